// kube-proxy's metrics server (--metrics-bind-address, 127.0.0.1:10249 upstream): /metrics in Prometheus' text format
// with upstream's names for the sync timings and change counters, /proxyMode (the backend's name, which is how people
// check which mode a kube-proxy runs), and /healthz.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeHttp, listenHttp, NOT_FOUND, splitHostPort, TEXT_HEADERS } from './health.ts';

/** upstream's prometheus.ExponentialBuckets(0.001, 2, 15): 1 ms … 16.4 s. */
const SYNC_BUCKETS = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i);

class Histogram {
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[] = SYNC_BUCKETS,
  ) {
    this.#counts = buckets.map(() => 0);
  }

  observe(value: number): void {
    this.#sum += value;
    this.#count++;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) this.#counts[i]!++;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((le, i) => lines.push(`${this.name}_bucket{le="${formatNumber(le)}"} ${this.#counts[i]}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.#count}`, `${this.name}_sum ${formatNumber(this.#sum)}`, `${this.name}_count ${this.#count}`);
    return lines.join('\n');
  }
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(12)));
}

function scalar(type: 'counter' | 'gauge', name: string, help: string, value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${formatNumber(value)}`;
}

/** What the Proxier records; rendered on /metrics. */
export class ProxyMetrics {
  readonly #sync = new Histogram('kubeproxy_sync_proxy_rules_duration_seconds', 'SyncProxyRules latency in seconds');
  readonly #fullSync = new Histogram('kubeproxy_sync_full_proxy_rules_duration_seconds', 'SyncProxyRules latency in seconds for full resyncs');
  readonly #partialSync = new Histogram('kubeproxy_sync_partial_proxy_rules_duration_seconds', 'SyncProxyRules latency in seconds for partial resyncs');
  #lastSynced = 0;
  #lastQueued = 0;
  #serviceChanges = 0;
  #endpointChanges = 0;
  #failures = 0;

  constructor(readonly now: () => number = Date.now) {}

  serviceChanged(): void {
    this.#serviceChanges++;
    this.#lastQueued = this.now();
  }

  endpointsChanged(): void {
    this.#endpointChanges++;
    this.#lastQueued = this.now();
  }

  synced(full: boolean, ms: number): void {
    const seconds = ms / 1000;
    this.#sync.observe(seconds);
    (full ? this.#fullSync : this.#partialSync).observe(seconds);
    this.#lastSynced = this.now();
  }

  syncFailed(): void {
    this.#failures++;
  }

  render(): string {
    return [
      this.#sync.render(),
      this.#fullSync.render(),
      this.#partialSync.render(),
      scalar('gauge', 'kubeproxy_sync_proxy_rules_last_timestamp_seconds', 'The last time proxy rules were successfully synced', this.#lastSynced / 1000),
      scalar('gauge', 'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds', 'The last time a sync of proxy rules was queued', this.#lastQueued / 1000),
      scalar('counter', 'kubeproxy_sync_proxy_rules_service_changes_total', 'Cumulative proxy rules Service changes', this.#serviceChanges),
      scalar('counter', 'kubeproxy_sync_proxy_rules_endpoint_changes_total', 'Cumulative proxy rules Endpoint changes', this.#endpointChanges),
      scalar('counter', 'kubeproxy_sync_proxy_rules_failures_total', 'Cumulative proxy rule syncs that failed (and were retried)', this.#failures),
      '',
    ].join('\n');
  }
}

/** Serves /metrics, /proxyMode and /healthz at `address` (host:port) until closed. */
export async function serveProxyMetrics(metrics: ProxyMetrics, mode: string, address: string): Promise<{ address: AddressInfo; close(): Promise<void> }> {
  const { host, port } = splitHostPort(address);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://proxy').pathname;
    if (path === '/metrics') res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metrics.render());
    else if (path === '/proxyMode') res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end(mode);
    else if (path === '/healthz') res.writeHead(200, TEXT_HEADERS).end('ok');
    else res.writeHead(404, TEXT_HEADERS).end(NOT_FOUND);
  });
  const bound = await listenHttp(server, host, port);
  return { address: bound, close: () => closeHttp(server) };
}
