// kube-proxy's health answers, as upstream's pkg/proxy/healthcheck serves them:
// - /healthz and /livez on the proxy's healthz address (0.0.0.0:10256 on a node): 200 while the rules keep up with
//   the API (a change queued longer than the health timeout without a sync makes it 503), /healthz also 503 once
//   this node is being deleted or is tainted ToBeDeletedByClusterAutoscaler;
// - one HTTP server per Service of type LoadBalancer with externalTrafficPolicy Local, on its healthCheckNodePort:
//   200 while this node has a ready endpoint of it and the proxy is healthy, else 503, so a load balancer sends
//   traffic only to nodes that keep it local.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Node } from 'kubernetes-types/core/v1.d.ts';
import type { Logger } from '../log.ts';
import type { ServiceHealthCheck } from './tracker.ts';

/** The taint the cluster autoscaler puts on a node it is about to delete. */
export const TO_BE_DELETED_TAINT = 'ToBeDeletedByClusterAutoscaler';

const JSON_HEADERS = { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' };
/** Plain-text answers of the proxy's HTTP servers (/healthz's "ok", a 404). */
export const TEXT_HEADERS = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' };
/** Go's ServeMux body for a path it does not serve. */
export const NOT_FOUND = '404 page not found\n';

/** Go's time.Time String() layout (UTC), which upstream's bodies carry: "2026-11-27 08:01:02.5 +0000 UTC". */
export function goTimeString(ms: number | undefined): string {
  if (ms === undefined) return '0001-01-01 00:00:00 +0000 UTC';
  const iso = new Date(ms).toISOString(); // 2026-11-27T08:01:02.500Z
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ''} +0000 UTC`;
}

/** Whether the proxy keeps up (upstream's ProxyHealthServer state), and whether this node still takes traffic. */
export class ProxyHealth {
  #lastUpdated: number | undefined;
  #oldestQueued: number | undefined;
  #nodeEligible = true;

  constructor(
    readonly healthTimeoutMs: number,
    readonly now: () => number = Date.now,
  ) {}

  /** A Service or endpoint change arrived that the rules do not show yet. */
  queuedUpdate(): void {
    this.#oldestQueued ??= this.now();
  }

  /** The rules show every change queued so far. */
  updated(): void {
    this.#oldestQueued = undefined;
    this.#lastUpdated = this.now();
  }

  /** Healthy while starting (no sync yet), when in sync, or when the oldest unsynced change is younger than the timeout. */
  isHealthy(): boolean {
    if (this.#lastUpdated === undefined || this.#oldestQueued === undefined) return true;
    return this.now() - this.#oldestQueued < this.healthTimeoutMs;
  }

  /** This node takes traffic unless it is being deleted or the autoscaler is about to delete it (undefined: deleted). */
  syncNode(node: Node | undefined): void {
    this.#nodeEligible = !!node && !node.metadata?.deletionTimestamp && !(node.spec?.taints ?? []).some((t) => t.key === TO_BE_DELETED_TAINT);
  }

  get nodeEligible(): boolean {
    return this.#nodeEligible;
  }

  /** The answer to GET /healthz or /livez (anything else: 404, as Go's ServeMux). */
  answer(path: string): { status: number; body: string } {
    if (path !== '/healthz' && path !== '/livez') return { status: 404, body: NOT_FOUND };
    const healthz = path === '/healthz';
    const healthy = this.isHealthy() && (!healthz || this.#nodeEligible);
    const now = this.now();
    // As upstream: a healthy proxy reports now as its last update (older releases' meaning: the sync loop ran).
    const lastUpdated = goTimeString(healthy ? now : this.#lastUpdated);
    const tail = healthz ? `, "nodeEligible": ${this.#nodeEligible}}` : '}';
    return { status: healthy ? 200 : 503, body: `{"lastUpdated": ${JSON.stringify(lastUpdated)},"currentTime": ${JSON.stringify(goTimeString(now))}${tail}` };
  }
}

/** Starts `server` listening; rejects when the address cannot be had. */
export function listenHttp(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Closes `server` and its open connections. */
export function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Splits "host:port" ("[::1]:10256" too). */
export function splitHostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  const port = Number(address.slice(at + 1));
  if (at < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`healthz address ${JSON.stringify(address)} is not host:port`);
  return { host: address.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port };
}

/** Serves /healthz and /livez at `address` (host:port) until closed; resolves with the address it listens on. */
export async function serveProxyHealth(health: ProxyHealth, address: string): Promise<{ address: AddressInfo; close(): Promise<void> }> {
  const { host, port } = splitHostPort(address);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const { status, body } = health.answer(new URL(req.url ?? '/', 'http://proxy').pathname);
    res.writeHead(status, status === 404 ? TEXT_HEADERS : JSON_HEADERS).end(body);
  });
  const bound = await listenHttp(server, host, port);
  return { address: bound, close: () => closeHttp(server) };
}

interface ServiceHealthServer {
  port: number;
  localEndpoints: number;
  servers: Server[];
}

/**
 * One HTTP server per health-checked Service (upstream's ServiceHealthServer). A port that cannot be opened (taken)
 * is logged and tried again on the next sync.
 */
export class ServiceHealthServers {
  readonly #services = new Map<string, ServiceHealthServer>();

  constructor(
    readonly opts: {
      /** Where each Service's health check listens (upstream: the NodePort addresses; every address by default). */
      addresses: readonly string[];
      health: ProxyHealth;
      logger: Logger;
    },
  ) {}

  /** Opens the new Services' servers, closes the gone ones', and sets every Service's endpoint count. */
  async sync(checks: readonly ServiceHealthCheck[]): Promise<void> {
    const wanted = new Map(checks.map((c) => [c.serviceKey, c]));
    for (const [key, open] of this.#services) {
      if (wanted.get(key)?.port === open.port) continue;
      this.#services.delete(key);
      this.opts.logger.info('closing the health check', { service: key, port: open.port });
      await Promise.all(open.servers.map(closeHttp));
    }
    for (const check of checks) {
      const open = this.#services.get(check.serviceKey);
      if (open) {
        open.localEndpoints = check.localEndpoints;
        continue;
      }
      const opened = await this.#open(check);
      if (opened) this.#services.set(check.serviceKey, opened);
    }
  }

  /** The ports open now, by Service ("namespace/name"). */
  get ports(): Map<string, number> {
    return new Map([...this.#services].map(([key, s]) => [key, s.port]));
  }

  async close(): Promise<void> {
    const all = [...this.#services.values()].flatMap((s) => s.servers);
    this.#services.clear();
    await Promise.all(all.map(closeHttp));
  }

  async #open(check: ServiceHealthCheck): Promise<ServiceHealthServer | undefined> {
    const slash = check.serviceKey.indexOf('/');
    const service = { namespace: check.serviceKey.slice(0, slash), name: check.serviceKey.slice(slash + 1) };
    const state: ServiceHealthServer = { port: check.port, localEndpoints: check.localEndpoints, servers: [] };
    const handler = (_req: IncomingMessage, res: ServerResponse) => {
      const serviceProxyHealthy = this.opts.health.isHealthy();
      const body = JSON.stringify({ service, localEndpoints: state.localEndpoints, serviceProxyHealthy }, null, '\t');
      res.writeHead(state.localEndpoints > 0 && serviceProxyHealthy ? 200 : 503, JSON_HEADERS).end(body);
    };
    try {
      for (const host of this.opts.addresses) {
        const server = createServer(handler);
        await listenHttp(server, host, check.port);
        state.servers.push(server);
      }
    } catch (err) {
      await Promise.all(state.servers.map(closeHttp));
      this.opts.logger.error('failed to start the health check', { service: check.serviceKey, port: check.port, error: err });
      return undefined;
    }
    this.opts.logger.info('opened the health check', { service: check.serviceKey, port: check.port });
    return state;
  }
}
