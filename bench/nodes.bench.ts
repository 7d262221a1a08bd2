// Simulated nodes under load, in one run of `skiff up --runtime simulated` started as a child process, as a user runs it:
// 1. churn: on N nodes (default 100), P pods/s (default 100) of bare pods created for S seconds (default 30); each pod
//    is deleted once `live` newer ones exist, so the live count stays bounded. A pod watch here records, for every pod,
//    the time from its create request (its scheduled send time, so queueing in this process counts) to the watch event
//    showing spec.nodeName set, and to the one showing phase Running with Ready True — all on this process's clock.
// 2. scale: `skiff up` with N nodes (default 5,000) and P pods (default 10,000, as Deployments of up to 1,000 replicas);
//    once they are Running (bounded), the process's VmRSS and VmHWM from /proc and its CPU over 10 idle seconds.
//
// Sizes: SKIFF_BENCH_NODES (scale, default 5000), SKIFF_BENCH_PODS (scale, default 10000), SKIFF_BENCH_SECONDS (churn,
// default 30), SKIFF_BENCH_CHURN_NODES (default min(100, NODES)), SKIFF_BENCH_CHURN_RATE (default 100),
// SKIFF_BENCH_LIVE (default 1000), SKIFF_BENCH_READY_TIMEOUT (seconds, default 300), SKIFF_BENCH_PARTS
// (churn,scale), SKIFF_BENCH_DATASTORE (sqlite or etcd), SKIFF_BENCH_CPU_PROF (a directory: `skiff up` runs under
// the CPU profiler, bench/lib/profiled-skiff.ts), SKIFF_BENCH_SERVER_LOG (a file for `skiff up`'s output),
// SKIFF_BENCH_POD_TIMES (a CSV file of the churn's per-pod times). Run: npm run bench:nodes
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Deployment } from 'kubernetes-types/apps/v1.d.ts';
import type { Node, Pod } from 'kubernetes-types/core/v1.d.ts';
import { Client, type GroupVersionResource, type KubeObject } from '../src/client/client.ts';
import { httpsTransport, type Transport } from '../src/client/transport.ts';
import { readKubeconfig, startSkiffServer, type Datastore, type SkiffServer } from '../test/support/server.ts';
import { openLoop } from './lib/load.ts';
import { fmt, formatTable } from './lib/report.ts';
import { percentile } from './lib/stats.ts';

const NODES: GroupVersionResource = { group: '', version: 'v1', resource: 'nodes' };
const PODS: GroupVersionResource = { group: '', version: 'v1', resource: 'pods' };
const DEPLOYMENTS: GroupVersionResource = { group: 'apps', version: 'v1', resource: 'deployments' };
const NS = 'default';
const REPLICAS_PER_DEPLOYMENT = 1000;

const envNumber = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const scaleNodes = envNumber('SKIFF_BENCH_NODES', 5000);
const params = {
  parts: (process.env['SKIFF_BENCH_PARTS'] ?? 'churn,scale').split(',').map((s) => s.trim()),
  datastore: (process.env['SKIFF_BENCH_DATASTORE'] === 'etcd' ? 'etcd' : 'sqlite') as Datastore,
  churnNodes: envNumber('SKIFF_BENCH_CHURN_NODES', Math.min(100, scaleNodes)),
  churnRatePerSec: envNumber('SKIFF_BENCH_CHURN_RATE', 100),
  churnSeconds: envNumber('SKIFF_BENCH_SECONDS', 30),
  /** A pod is deleted once this many newer ones have been created. */
  churnLive: envNumber('SKIFF_BENCH_LIVE', 1000),
  /** After the last create, how long the pods still on their way get to reach Running. */
  churnDrainMs: 30_000,
  scaleNodes,
  scalePods: envNumber('SKIFF_BENCH_PODS', 10_000),
  readyTimeoutMs: envNumber('SKIFF_BENCH_READY_TIMEOUT', 300) * 1000,
  registrationTimeoutMs: 300_000,
  idleSeconds: 10,
  cpuProfileDir: process.env['SKIFF_BENCH_CPU_PROF'],
  /** A file to append everything `skiff up` writes to (run with SKIFF_DEBUG=1 for its debug records). */
  serverLog: process.env['SKIFF_BENCH_SERVER_LOG'],
  /** A CSV file for the churn's per-pod times (ms from the first send), to see whether slow pods come in bursts. */
  podTimesFile: process.env['SKIFF_BENCH_POD_TIMES'],
};

class BenchError extends Error {
  override name = 'BenchError';
}

const benchStart = performance.now();
function progress(message: string): void {
  process.stderr.write(`[${((performance.now() - benchStart) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}

// ---- the skiff up process ----------------------------------------------------------------------------------------

interface ProcessSample {
  rssMiB: number;
  hwmMiB: number;
  cpuSeconds: number;
}

/** VmRSS and VmHWM from /proc/<pid>/status, utime + stime from /proc/<pid>/stat (Linux). */
async function sampleProcess(pid: number): Promise<ProcessSample> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100 };
}

/** Enough room for a /24 podCIDR per node (this machine's node included): upstream's default /16 holds 256. */
function clusterCIDRArgs(nodes: number): string[] {
  if (nodes + 1 <= 256) return [];
  const prefix = Math.max(8, 24 - Math.ceil(Math.log2(nodes + 1)));
  return ['--cluster-cidr', `10.0.0.0/${prefix}`, '--node-cidr-mask-size', '24'];
}

interface Up {
  server: SkiffServer;
  pid: number;
  client: Client;
  transports: Transport[];
  /** A client on a connection of its own (for the watch). */
  newClient(): Client;
  /** Seconds from spawning to every node registered (`Skiff is up` on stdout). */
  registeredSeconds: number;
  stop(): Promise<void>;
}

async function startUp(nodes: number, signal: AbortSignal): Promise<Up> {
  const started = performance.now();
  const server = await startSkiffServer({
    datastore: params.datastore,
    command: 'up',
    launcher: 'tsx',
    // The child inherits SKIFF_BENCH_CPU_PROF, which this entry reads.
    ...(params.cpuProfileDir ? { entry: fileURLToPath(new URL('./lib/profiled-skiff.ts', import.meta.url)) } : {}),
    extraArgs: ['--runtime', 'simulated', '--simulated-nodes', String(nodes), ...clusterCIDRArgs(nodes)],
    readyTimeoutMs: 120_000,
    signal,
  });
  const pid = server.process.pid;
  if (pid === undefined) throw new BenchError('skiff up has no pid');
  if (params.serverLog) {
    const log = createWriteStream(params.serverLog, { flags: 'a' });
    const write = (chunk: string) => void log.write(chunk);
    server.process.stdout?.on('data', write);
    server.process.stderr?.on('data', write);
    server.process.once('exit', () => log.end());
  }
  const tls = readKubeconfig(server.kubeconfig);
  const transports: Transport[] = [];
  const newClient = () => {
    const transport = httpsTransport({ ...tls, requestTimeoutMs: 120_000 });
    transports.push(transport);
    return new Client(transport);
  };
  const up: Up = {
    server,
    pid,
    client: newClient(),
    transports,
    newClient,
    registeredSeconds: Number.NaN,
    async stop() {
      await Promise.allSettled(transports.map((t) => t.close()));
      try {
        await server.stop();
      } catch (err) {
        progress(`warning: skiff up did not stop cleanly: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
      }
    },
  };
  try {
    await waitForOutput(server, 'Skiff is up at', params.registrationTimeoutMs, signal);
    up.registeredSeconds = (performance.now() - started) / 1000;
  } catch (err) {
    await up.stop();
    throw err;
  }
  return up;
}

/** Waits until `text` shows in the server's output (its stdout is read by the harness as well). */
async function waitForOutput(server: SkiffServer, text: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  let seen = false;
  const onData = (chunk: string) => void (chunk.includes(text) && (seen = true));
  server.process.stdout?.on('data', onData);
  try {
    const deadline = performance.now() + timeoutMs;
    while (!seen && !server.output().includes(text)) {
      if (performance.now() > deadline) throw new BenchError(`skiff up did not print "${text}" within ${timeoutMs / 1000} s`);
      if (server.process.exitCode !== null) throw new BenchError(`skiff up exited (${server.process.exitCode})\n${server.output().slice(-4000)}`);
      await sleep(200, undefined, { signal });
    }
  } finally {
    server.process.stdout?.off('data', onData);
  }
}

const isReady = (conditions: readonly { type?: string; status?: string }[] | undefined) => conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** Lists every object page by page (bounded page count), so no single answer is the whole collection. */
async function listAll<T extends KubeObject>(client: Client, gvr: GroupVersionResource, namespace: string | undefined, fieldSelector?: string): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const list = await client.list<T>(gvr, namespace, { limit: 500, ...(token ? { continue: token } : {}), ...(fieldSelector ? { fieldSelector } : {}) });
    items.push(...list.items);
    token = list.metadata.continue;
    if (!token) break;
  }
  return items;
}

/** Waits (bounded) until `want` nodes are Ready; returns how many were. */
async function waitForReadyNodes(client: Client, want: number, timeoutMs: number, signal: AbortSignal): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  const intervalMs = Math.max(500, want); // one poll a second per 1,000 nodes: the lists cost the server too
  let ready = 0;
  for (let attempt = 0; attempt < 1000 && performance.now() < deadline; attempt++) {
    ready = (await listAll<Node & KubeObject>(client, NODES, undefined)).filter((n) => isReady(n.status?.conditions)).length;
    if (ready >= want) break;
    await sleep(intervalMs, undefined, { signal });
  }
  return ready;
}

// ---- 1. churn ----------------------------------------------------------------------------------------------------

interface PodTimes {
  sentAt: number;
  respondedAt?: number;
  scheduledAt?: number;
  runningAt?: number;
  deleteSentAt?: number;
}

interface Distribution {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

function distribution(values: number[]): Distribution {
  const sorted = values.sort((a, b) => a - b);
  return { count: sorted.length, p50Ms: percentile(sorted, 0.5), p90Ms: percentile(sorted, 0.9), p99Ms: percentile(sorted, 0.99), maxMs: percentile(sorted, 1) };
}

interface ChurnResult {
  nodes: number;
  targetRatePerSec: number;
  seconds: number;
  sent: number;
  created: number;
  createErrors: number;
  firstCreateError?: string;
  achievedCreatePerSec: number;
  maxSendLagMs: number;
  deletes: number;
  deleteErrors: number;
  maxLive: number;
  /** Created, never Running, and not deleted by the churn before it could be. */
  neverRunning: number;
  deletedBeforeRunning: number;
  watchRestarts: number;
  createResponse: Distribution;
  toScheduled: Distribution;
  toRunning: Distribution;
  /** From the create's response rather than its request. */
  responseToRunning: Distribution;
  serverCpuCores: number;
  serverRssMiB: number;
  registeredSeconds: number;
  nodesReadySeconds: number;
}

/** Runs the pod watch until `signal` aborts, restarting it (a bounded number of times) when the server ends it. */
async function watchPods(client: Client, onEvent: (type: string, pod: Pod, at: number) => void, signal: AbortSignal): Promise<number> {
  let restarts = 0;
  let resourceVersion = (await client.list(PODS, NS, { limit: 1 })).metadata.resourceVersion ?? '';
  for (let attempt = 0; attempt < 50 && !signal.aborted; attempt++) {
    if (attempt > 0) restarts++;
    try {
      for await (const event of client.watch<Pod & KubeObject>(PODS, NS, { resourceVersion, allowWatchBookmarks: true }, signal)) {
        const at = performance.now();
        if (event.type === 'ERROR') throw new BenchError(`watch error: ${JSON.stringify(event.object).slice(0, 200)}`);
        resourceVersion = event.object.metadata?.resourceVersion ?? resourceVersion;
        if (event.type !== 'BOOKMARK') onEvent(event.type, event.object, at);
      }
    } catch (err) {
      if (signal.aborted) break;
      progress(`pod watch ended (${err instanceof Error ? err.message : String(err)}); watching again from now`);
      // Events in the gap are lost: pods that moved then count as never Running.
      resourceVersion = (await client.list(PODS, NS, { limit: 1 })).metadata.resourceVersion ?? '';
    }
    if (!signal.aborted) await sleep(100, undefined, { signal }).catch(() => {});
  }
  return restarts;
}

function churnPod(name: string): Pod & KubeObject {
  const resources = { cpu: '10m', memory: '50Mi' };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app: 'churn' } },
    spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: resources, limits: resources } }] },
  };
}

async function churn(signal: AbortSignal): Promise<ChurnResult> {
  const nodes = params.churnNodes;
  progress(`churn: starting skiff up with ${nodes} simulated nodes`);
  const up = await startUp(nodes, signal);
  try {
    const readyStart = performance.now();
    const readyNodes = await waitForReadyNodes(up.client, nodes + 1, 120_000, signal);
    const nodesReadySeconds = (performance.now() - readyStart) / 1000;
    progress(`churn: ${nodes} nodes registered in ${fmt(up.registeredSeconds, 1)} s, ${readyNodes} Ready ${fmt(nodesReadySeconds, 1)} s later`);

    const times = new Map<string, PodTimes>();
    let live = 0;
    let maxLive = 0;
    let deletedBeforeRunning = 0;
    const stopWatch = new AbortController();
    const onAbort = () => stopWatch.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const watching = watchPods(
      up.newClient(),
      (type, pod, at) => {
        const t = times.get(pod.metadata?.name ?? '');
        if (!t) return;
        if (type === 'ADDED') maxLive = Math.max(maxLive, ++live);
        if (type === 'DELETED') {
          live--;
          if (t.runningAt === undefined) deletedBeforeRunning++;
          return;
        }
        if (t.scheduledAt === undefined && pod.spec?.nodeName) t.scheduledAt = at;
        if (t.runningAt === undefined && pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp && isReady(pod.status.conditions)) t.runningAt = at;
      },
      stopWatch.signal,
    );
    await sleep(200, undefined, { signal }); // the watch is open before the first create

    const creators = [up.client, up.newClient()];
    const deleter = up.newClient();
    let createErrors = 0;
    let firstCreateError: string | undefined;
    let deletes = 0;
    let deleteErrors = 0;
    let lastResponseAt = 0;
    const name = (i: number) => `churn-${String(i).padStart(6, '0')}`;
    const cpu0 = (await sampleProcess(up.pid)).cpuSeconds;
    progress(`churn: ${params.churnRatePerSec} pods/s for ${params.churnSeconds} s, at most ${params.churnLive} live`);
    const loop = await openLoop({ ratePerSec: params.churnRatePerSec, durationMs: params.churnSeconds * 1000, signal }, async (i, due) => {
      const podName = name(i);
      const t: PodTimes = { sentAt: due };
      times.set(podName, t);
      try {
        await creators[i % creators.length]!.create(PODS, NS, churnPod(podName));
        t.respondedAt = lastResponseAt = performance.now();
      } catch (err) {
        createErrors++;
        firstCreateError ??= err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      }
      const old = i - params.churnLive;
      const oldTimes = old >= 0 ? times.get(name(old)) : undefined;
      if (oldTimes?.respondedAt !== undefined) {
        oldTimes.deleteSentAt = performance.now();
        try {
          await deleter.delete(PODS, NS, name(old));
          deletes++;
        } catch {
          deleteErrors++;
        }
      }
    });
    const cpu1 = (await sampleProcess(up.pid)).cpuSeconds;
    const windowSeconds = (lastResponseAt - benchOrigin(times)) / 1000;

    // Pods still on their way get a bounded while to arrive.
    const waiting = () => [...times.values()].filter((t) => t.respondedAt !== undefined && t.runningAt === undefined && t.deleteSentAt === undefined).length;
    const drainDeadline = performance.now() + params.churnDrainMs;
    while (waiting() > 0 && performance.now() < drainDeadline) await sleep(100, undefined, { signal });
    const sample = await sampleProcess(up.pid);
    stopWatch.abort();
    signal.removeEventListener('abort', onAbort);
    const watchRestarts = await watching;

    if (params.podTimesFile) await writePodTimes(params.podTimesFile, times);
    const all = [...times.values()];
    const created = all.filter((t) => t.respondedAt !== undefined);
    const result: ChurnResult = {
      nodes,
      targetRatePerSec: params.churnRatePerSec,
      seconds: params.churnSeconds,
      sent: loop.sent,
      created: created.length,
      createErrors,
      achievedCreatePerSec: created.length / windowSeconds,
      maxSendLagMs: loop.maxSendLagMs,
      deletes,
      deleteErrors,
      maxLive,
      neverRunning: created.filter((t) => t.runningAt === undefined && t.deleteSentAt === undefined).length,
      deletedBeforeRunning,
      watchRestarts,
      createResponse: distribution(created.map((t) => t.respondedAt! - t.sentAt)),
      toScheduled: distribution(created.filter((t) => t.scheduledAt !== undefined).map((t) => t.scheduledAt! - t.sentAt)),
      toRunning: distribution(created.filter((t) => t.runningAt !== undefined).map((t) => t.runningAt! - t.sentAt)),
      responseToRunning: distribution(created.filter((t) => t.runningAt !== undefined).map((t) => t.runningAt! - t.respondedAt!)),
      serverCpuCores: (cpu1 - cpu0) / (loop.windowMs / 1000),
      serverRssMiB: sample.rssMiB,
      registeredSeconds: up.registeredSeconds,
      nodesReadySeconds,
    };
    if (firstCreateError !== undefined) result.firstCreateError = firstCreateError;
    progress(
      `churn: ${result.created} created (${fmt(result.achievedCreatePerSec, 1)}/s), Running p50 ${fmt(result.toRunning.p50Ms, 1)} ms, ` +
        `p99 ${fmt(result.toRunning.p99Ms, 1)} ms; skiff up used ${fmt(result.serverCpuCores, 2)} cores`,
    );
    return result;
  } finally {
    await up.stop();
  }
}

async function writePodTimes(path: string, times: Map<string, PodTimes>): Promise<void> {
  const origin = benchOrigin(times);
  const ms = (t: number | undefined) => (t === undefined ? '' : (t - origin).toFixed(1));
  const lines = [...times].map(([name, t]) => [name, ms(t.sentAt), ms(t.respondedAt), ms(t.scheduledAt), ms(t.runningAt), ms(t.deleteSentAt)].join(','));
  await writeFile(path, ['pod,sent,responded,scheduled,running,deleteSent', ...lines].join('\n') + '\n');
}

/** The first create's send time. */
function benchOrigin(times: Map<string, PodTimes>): number {
  let first = Number.POSITIVE_INFINITY;
  for (const t of times.values()) first = Math.min(first, t.sentAt);
  return first;
}

// ---- 2. scale ----------------------------------------------------------------------------------------------------

interface ScaleResult {
  nodes: number;
  pods: number;
  deployments: number;
  registeredSeconds: number;
  nodesReady: number;
  nodesReadySeconds: number;
  rssNodesOnlyMiB: number;
  /** Ready replicas summed over the Deployments when the wait ended. */
  podsReady: number;
  /** Pods listed as Running with Ready True, after the measurements. */
  podsRunningListed: number;
  secondsToReady: number;
  podsPerSec: number;
  timedOut: boolean;
  serverCpuSecondsLoading: number;
  rssMiB: number;
  hwmMiB: number;
  rssAfterIdleMiB: number;
  idleCpuCores: number;
}

function deployment(name: string, replicas: number): Deployment & KubeObject {
  const resources = { cpu: '10m', memory: '50Mi' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: resources, limits: resources } }] },
      },
    },
  };
}

async function scale(signal: AbortSignal): Promise<ScaleResult> {
  const nodes = params.scaleNodes;
  progress(`scale: starting skiff up with ${nodes} simulated nodes${params.cpuProfileDir ? ` (cpu profile into ${params.cpuProfileDir})` : ''}`);
  const up = await startUp(nodes, signal);
  try {
    const readyStart = performance.now();
    const nodesReady = await waitForReadyNodes(up.client, nodes + 1, 180_000, signal);
    const nodesReadySeconds = (performance.now() - readyStart) / 1000;
    const nodesOnly = await sampleProcess(up.pid);
    progress(`scale: ${nodes} nodes registered in ${fmt(up.registeredSeconds, 1)} s, ${nodesReady} Ready ${fmt(nodesReadySeconds, 1)} s later; RSS ${fmt(nodesOnly.rssMiB, 0)} MiB`);

    const count = Math.ceil(params.scalePods / REPLICAS_PER_DEPLOYMENT);
    const replicas = Array.from({ length: count }, (_, i) => Math.min(REPLICAS_PER_DEPLOYMENT, params.scalePods - i * REPLICAS_PER_DEPLOYMENT));
    progress(`scale: creating ${count} Deployments, ${params.scalePods} replicas in all`);
    const cpu0 = (await sampleProcess(up.pid)).cpuSeconds;
    const start = performance.now();
    for (const [i, n] of replicas.entries()) await up.client.create(DEPLOYMENTS, NS, deployment(`load-${i}`, n));
    const deadline = start + params.readyTimeoutMs;
    let ready = 0;
    let lastReport = start;
    let readyAt = Number.NaN;
    for (let attempt = 0; attempt < 100_000 && performance.now() < deadline; attempt++) {
      const list = await up.client.list<Deployment & KubeObject>(DEPLOYMENTS, NS);
      ready = list.items.filter((d) => d.metadata?.name?.startsWith('load-')).reduce((n, d) => n + (d.status?.readyReplicas ?? 0), 0);
      if (ready >= params.scalePods) {
        readyAt = performance.now();
        break;
      }
      if (performance.now() - lastReport >= 10_000) {
        lastReport = performance.now();
        const s = await sampleProcess(up.pid);
        progress(`scale: ${ready}/${params.scalePods} ready; RSS ${fmt(s.rssMiB, 0)} MiB, skiff up cpu ${fmt(s.cpuSeconds - cpu0, 1)} s; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
      }
      await sleep(1000, undefined, { signal });
    }
    const loaded = await sampleProcess(up.pid);
    const timedOut = Number.isNaN(readyAt);
    const secondsToReady = ((timedOut ? performance.now() : readyAt) - start) / 1000;
    progress(`scale: ${ready}/${params.scalePods} ready after ${fmt(secondsToReady, 1)} s${timedOut ? ' (timed out)' : ''}; RSS ${fmt(loaded.rssMiB, 0)} MiB, HWM ${fmt(loaded.hwmMiB, 0)} MiB`);

    progress(`scale: ${params.idleSeconds} s idle`);
    await sleep(params.idleSeconds * 1000, undefined, { signal });
    const idle = await sampleProcess(up.pid);
    const running = (await listAll<Pod & KubeObject>(up.client, PODS, NS, 'status.phase=Running')).filter((p) => !p.metadata?.deletionTimestamp && isReady(p.status?.conditions)).length;
    return {
      nodes,
      pods: params.scalePods,
      deployments: count,
      registeredSeconds: up.registeredSeconds,
      nodesReady,
      nodesReadySeconds,
      rssNodesOnlyMiB: nodesOnly.rssMiB,
      podsReady: ready,
      podsRunningListed: running,
      secondsToReady,
      podsPerSec: ready / secondsToReady,
      timedOut,
      serverCpuSecondsLoading: loaded.cpuSeconds - cpu0,
      rssMiB: loaded.rssMiB,
      hwmMiB: idle.hwmMiB,
      rssAfterIdleMiB: idle.rssMiB,
      idleCpuCores: (idle.cpuSeconds - loaded.cpuSeconds) / params.idleSeconds,
    };
  } finally {
    await up.stop();
  }
}

// ---- report ------------------------------------------------------------------------------------------------------

function report(churnResult: ChurnResult | undefined, scaleResult: ScaleResult | undefined, load: { start: number[]; end: number[] }, seconds: number): void {
  const out: string[] = [];
  const loads = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  out.push(`Simulated nodes benchmark — ${cpus().length} CPUs, Node ${process.version}; skiff up (tsx) as a child process, datastore ${params.datastore}`);
  out.push(`Load average (1/5/15 min) at start: ${loads(load.start)}; at end: ${loads(load.end)}`);
  if (churnResult) {
    const c = churnResult;
    out.push('');
    out.push(`1. Churn: ${c.nodes} simulated nodes; bare pods (10m cpu, 50Mi) created at ${c.targetRatePerSec}/s for ${c.seconds} s, each deleted once ${params.churnLive} newer exist.`);
    out.push('   Latency from the create request (its scheduled send) to the watch event showing it, on this process\'s clock.');
    out.push('');
    const row = (label: string, d: Distribution) => [label, String(d.count), fmt(d.p50Ms, 1), fmt(d.p90Ms, 1), fmt(d.p99Ms, 1), fmt(d.maxMs, 1)];
    out.push(
      formatTable(
        [
          { title: 'stage', width: 32, left: true },
          { title: 'pods', width: 6 },
          { title: 'p50 ms', width: 8 },
          { title: 'p90 ms', width: 8 },
          { title: 'p99 ms', width: 8 },
          { title: 'max ms', width: 8 },
        ],
        [
          row('create response', c.createResponse),
          row('scheduled (spec.nodeName)', c.toScheduled),
          row('Running + Ready', c.toRunning),
          row('Running + Ready, from response', c.responseToRunning),
        ],
      ),
    );
    out.push('');
    out.push(
      `   created ${c.created}/${c.sent} (${c.createErrors} errors${c.firstCreateError ? `: ${c.firstCreateError}` : ''}); achieved ${fmt(c.achievedCreatePerSec, 1)} creates/s ` +
        `(send lag max ${fmt(c.maxSendLagMs, 1)} ms); ${c.deletes} deletes (${c.deleteErrors} errors); live pods at most ${c.maxLive}`,
    );
    out.push(`   never Running: ${c.neverRunning}; deleted before Running: ${c.deletedBeforeRunning}; watch restarts: ${c.watchRestarts}`);
    out.push(`   skiff up: ${fmt(c.serverCpuCores, 2)} cores during the churn, RSS ${fmt(c.serverRssMiB, 0)} MiB after; nodes registered ${fmt(c.registeredSeconds, 1)} s after spawn`);
  }
  if (scaleResult) {
    const s = scaleResult;
    out.push('');
    out.push(`2. Scale: skiff up with ${s.nodes} simulated nodes and ${s.pods} pods (${s.deployments} Deployments of up to ${REPLICAS_PER_DEPLOYMENT} replicas, 10m cpu, 50Mi)`);
    out.push('');
    out.push(
      formatTable(
        [
          { title: 'measure', width: 44, left: true },
          { title: 'value', width: 10 },
        ],
        [
          ['nodes registered after spawn (s)', fmt(s.registeredSeconds, 1)],
          [`nodes Ready (of ${s.nodes + 1}) / after registration (s)`, `${s.nodesReady} / ${fmt(s.nodesReadySeconds, 1)}`],
          ['VmRSS, nodes only (MiB)', fmt(s.rssNodesOnlyMiB, 0)],
          [`pods Ready (of ${s.pods})${s.timedOut ? ' — TIMED OUT' : ''}`, String(s.podsReady)],
          ['pods Running + Ready by list, after idle', String(s.podsRunningListed)],
          ['Deployments created to pods Ready (s)', fmt(s.secondsToReady, 1)],
          ['pods Ready per second', fmt(s.podsPerSec, 1)],
          ['skiff up CPU while loading (s)', fmt(s.serverCpuSecondsLoading, 1)],
          ['VmRSS, pods Ready (MiB)', fmt(s.rssMiB, 0)],
          ['VmRSS, after 10 s idle (MiB)', fmt(s.rssAfterIdleMiB, 0)],
          ['VmHWM, peak (MiB)', fmt(s.hwmMiB, 0)],
          [`idle CPU over ${params.idleSeconds} s (cores)`, fmt(s.idleCpuCores, 3)],
        ],
      ),
    );
  }
  out.push('');
  out.push(`Total bench time: ${seconds.toFixed(1)} s`);
  process.stdout.write(out.join('\n') + '\n');
  const round = (n: number) => (Number.isFinite(n) ? Number(n.toFixed(1)) : null);
  // Four significant digits: idle CPU is a small fraction of a core.
  const roundAll = <T extends object>(o: T): Record<string, unknown> =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? (Number.isFinite(v) ? Number(v.toPrecision(4)) : null) : v && typeof v === 'object' ? roundAll(v as object) : v]));
  const json = {
    schema: 1,
    bench: 'nodes',
    node: process.version,
    cpus: cpus().length,
    loadavg: { start: load.start, end: load.end },
    params,
    churn: churnResult ? roundAll(churnResult) : null,
    scale: scaleResult ? roundAll(scaleResult) : null,
    durationSeconds: round(seconds),
  };
  process.stdout.write(`BENCH_JSON ${JSON.stringify(json)}\n`);
}

async function main(): Promise<number> {
  const controller = new AbortController();
  const onSignal = () => controller.abort(new BenchError('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const hardStop = setTimeout(() => controller.abort(new BenchError('the bench ran longer than 20 minutes')), 20 * 60_000);
  hardStop.unref();
  const load = { start: loadavg(), end: [] as number[] };
  let churnResult: ChurnResult | undefined;
  let scaleResult: ScaleResult | undefined;
  try {
    if (params.parts.includes('churn')) churnResult = await churn(controller.signal);
    if (params.parts.includes('scale')) scaleResult = await scale(controller.signal);
  } catch (err) {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  } finally {
    clearTimeout(hardStop);
    load.end = loadavg();
  }
  report(churnResult, scaleResult, load, (performance.now() - benchStart) / 1000);
  const churnOk = !churnResult || (churnResult.createErrors === 0 && churnResult.neverRunning === 0);
  const scaleOk = !scaleResult || !scaleResult.timedOut;
  return churnOk && scaleOk ? 0 : 1;
}

process.exitCode = await main();
