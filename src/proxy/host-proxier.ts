// The Services proxy as a node runs it: on this host's iptables or nftables, either in the calling thread or on a
// worker thread of its own (proxy-worker.ts).
//
// `skiff up` runs the API server and the node in one process, started with a 64 MB young generation for the API
// server (bin/skiff). The proxy's largest burst, a full sync, allocates ~75 MB at 10,000 Services, all of it just
// listed and still young, and in that young generation every scavenge copies it: a third slower than V8's default.
// On a worker it gets a heap of its own with V8's defaults, and its computing no longer holds up the API server's
// requests (the two run on separate cores).
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { Client } from '../client/client.ts';
import type { HttpsTransportOptions } from '../client/transport.ts';
import type { LogFields, Logger, LogLevel } from '../log.ts';
import { ExecIptables } from './iptables.ts';
import { ExecNftables } from './nft.ts';
import { Proxier, type ProxyMode } from './proxier.ts';

/** What a node's proxy is told (kube-proxy's flags that Skiff has). */
export interface HostProxySettings {
  nodeName: string;
  nodeIPs: readonly string[];
  /** The pod network: traffic from outside it to a ClusterIP is masqueraded (kube-proxy --cluster-cidr). */
  clusterCIDR?: string | undefined;
  /** iptables (the default) or nftables. */
  mode?: ProxyMode | undefined;
  /** nftables mode drops traffic to unallocated ClusterIPs in these, as upstream. */
  serviceCIDRs?: readonly string[] | undefined;
  /** Where /healthz and /livez are served (host:port). Default 0.0.0.0:10256, as upstream. */
  healthzBindAddress?: string | undefined;
  /** Where /metrics and /proxyMode are served (host:port). Default 127.0.0.1:10249, as upstream. */
  metricsBindAddress?: string | undefined;
  /** Write the rules in this network namespace instead of the host's (tests). */
  netns?: string | undefined;
}

export function hostProxier(settings: HostProxySettings, client: Client, logger: Logger): Proxier {
  const backend =
    settings.mode === 'nftables'
      ? { mode: 'nftables' as const, nftables: new ExecNftables({ netns: settings.netns }), ...(settings.serviceCIDRs ? { serviceCIDRs: settings.serviceCIDRs } : {}) }
      : { iptables: new ExecIptables({ netns: settings.netns }) };
  return new Proxier({
    client,
    nodeName: settings.nodeName,
    nodeIPs: settings.nodeIPs,
    ...(settings.clusterCIDR ? { clusterCIDR: settings.clusterCIDR } : {}),
    ...backend,
    // Upstream's default: every address; a second proxy on the same host logs that the port is taken.
    healthzBindAddress: settings.healthzBindAddress ?? '0.0.0.0:10256',
    metricsBindAddress: settings.metricsBindAddress ?? '127.0.0.1:10249',
    logger,
  });
}

/** What proxy-worker.ts is given. */
export interface ProxyWorkerData {
  settings: HostProxySettings;
  /** How the worker reaches the API server (it opens its own connection). */
  connection: HttpsTransportOptions;
}

/** What proxy-worker.ts sends back: its log records, and why it stopped when it failed. */
export type ProxyWorkerMessage = { log: { path: string[]; level: LogLevel; msg: string; fields?: LogFields } } | { failed: { name: string; message: string } };

// A module worker's bootstrap, as plain CommonJS so it needs no build step: it imports the entry — from the bundle
// (dist/), or from source through tsx's loader, which Node 20 does not pass on to worker threads — and calls `run`.
const MODULE_WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
(async () => {
  const { loader, entry, run } = workerData.moduleWorker;
  if (loader) (await import(loader)).register();
  const loaded = await import(entry);
  if (run) await loaded[run]();
})();
`;

/**
 * A worker thread running the ES module `entry` (a .ts file from source too), calling its export `run` if given;
 * `data` is its workerData.
 */
export function moduleWorker(entry: URL, opts: { run?: string; data?: object; env?: NodeJS.ProcessEnv } = {}): Worker {
  const loader = entry.pathname.endsWith('.ts') ? import.meta.resolve('tsx/esm/api') : undefined;
  const workerData = { ...opts.data, moduleWorker: { entry: entry.href, loader, run: opts.run } };
  return new Worker(MODULE_WORKER_SOURCE, { eval: true, workerData, ...(opts.env ? { env: opts.env } : {}) });
}

// Not written as new URL('./…', import.meta.url): build.mjs points such URLs back at src/.
const BUNDLED_ENTRY = './proxy-worker.mjs';
const SOURCE_ENTRY = './proxy-worker.ts';

/** How long a stopping worker may take before it is terminated. */
const STOP_GRACE_MS = 10_000;

/**
 * Runs the proxy on a worker thread until `signal` aborts; its log records go to `logger`. Rejects when the proxy
 * fails (it is not restarted: the caller logs it, as for a proxy in the calling thread).
 */
export async function runProxierOnWorker(settings: HostProxySettings, connection: HttpsTransportOptions, logger: Logger, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  const data: ProxyWorkerData = { settings, connection };
  const entry = new URL(import.meta.url.endsWith('.ts') ? SOURCE_ENTRY : BUNDLED_ENTRY, import.meta.url);
  const worker = withDefaultYoungGeneration(() => moduleWorker(entry, { run: 'runProxyWorker', data }));
  const loggers = new Map<string, Logger>();
  const loggerAt = (path: string[]) => {
    const key = path.join('.');
    let l = loggers.get(key);
    if (!l) loggers.set(key, (l = path.reduce((parent, sub) => parent.child(sub), logger)));
    return l;
  };
  let failure: Error | undefined;
  worker.on('message', (message: ProxyWorkerMessage) => {
    if ('log' in message) loggerAt(message.log.path)[message.log.level](message.log.msg, message.log.fields);
    else failure ??= Object.assign(new Error(message.failed.message), { name: message.failed.name });
  });
  worker.on('error', (err) => (failure ??= err));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let killTimer: NodeJS.Timeout | undefined;
  const stop = () => {
    worker.postMessage('stop');
    killTimer = setTimeout(() => void worker.terminate(), STOP_GRACE_MS);
  };
  signal.addEventListener('abort', stop, { once: true });
  try {
    await exited;
  } finally {
    signal.removeEventListener('abort', stop);
    clearTimeout(killTimer);
  }
  if (failure && !signal.aborted) throw new ProxyWorkerError('the Services proxy on its worker thread stopped', { cause: failure });
  if (!signal.aborted) throw new ProxyWorkerError('the Services proxy on its worker thread exited');
}

export class ProxyWorkerError extends Error {
  override name = 'ProxyWorkerError';
}

const SEMI_SPACE_FLAG = /^--max-semi-space-size=\d+$/;

/**
 * Starts a worker whose heap has V8's default young generation even when this process was given a larger one:
 * V8 reads --max-semi-space-size when an isolate's heap is set up, and the flag wins over a Worker's resourceLimits,
 * so it is cleared until the worker's isolate exists (the 'online' event) and then put back.
 */
export function withDefaultYoungGeneration(start: () => Worker): Worker {
  const flag = process.execArgv.findLast((arg) => SEMI_SPACE_FLAG.test(arg));
  if (!flag) return start();
  v8.setFlagsFromString('--max-semi-space-size=0');
  let restored = false;
  const restore = () => {
    if (!restored) v8.setFlagsFromString(flag);
    restored = true;
  };
  try {
    const worker = start();
    worker.once('online', restore);
    worker.once('exit', restore);
    return worker;
  } catch (err) {
    restore();
    throw err;
  }
}
