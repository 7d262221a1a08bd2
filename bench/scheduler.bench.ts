// Scheduler throughput in the shape of upstream's scheduler_perf SchedulingBasic: N nodes (4 cpu, 32Gi, 110 pods each)
// created through the API, then P pods with small requests; pods bound per second from the first create to the last
// bind, and the scheduler's own rate (attempts per second from its first attempt to its last bind).
//
// Layout (SKIFF_BENCH_LAYOUT): `split` (default) runs the API server in a child process and the scheduler here, as
// kube-scheduler runs beside kube-apiserver; `single` runs both in this process, as `skiff server` does.
// Sizes: SKIFF_BENCH_NODES (default "100,1000,5000"), SKIFF_BENCH_PODS (default 10000), SKIFF_BENCH_DATASTORE
// (sqlite, default, or memory). Run: npm run bench:scheduler
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startControlPlane } from '../src/cli/controlplane.ts';
import type { ServerFlags } from '../src/cli/server-flags.ts';
import { Client, type GroupVersionResource, type KubeObject } from '../src/client/client.ts';
import { httpsTransport, type Transport } from '../src/client/transport.ts';
import { newControllerContext } from '../src/controllers/manager.ts';
import { createLogger } from '../src/log.ts';
import { Scheduler } from '../src/scheduler/scheduler.ts';
import { readKubeconfig } from '../test/support/server.ts';
import { forEachConcurrent } from './lib/load.ts';
import { fmt, formatTable } from './lib/report.ts';

const NODES: GroupVersionResource = { group: '', version: 'v1', resource: 'nodes' };
const PODS: GroupVersionResource = { group: '', version: 'v1', resource: 'pods' };
const NS = 'default';
/** upstream's published threshold for SchedulingBasic 5000Nodes_10000Pods (pods/s). */
const UPSTREAM_THRESHOLD_5000 = 680;
const TARGET_5000 = 1000;

const params = {
  nodeCounts: (process.env['SKIFF_BENCH_NODES'] ?? '100,1000,5000').split(',').map((s) => Number(s.trim())).filter((n) => n > 0),
  pods: Number(process.env['SKIFF_BENCH_PODS'] ?? 10_000),
  layout: process.env['SKIFF_BENCH_LAYOUT'] === 'single' ? 'single' : 'split',
  datastore: process.env['SKIFF_BENCH_DATASTORE'] === 'memory' ? 'memory' : 'sqlite',
  createConcurrency: 64,
  createSessions: 4,
  /** Upper bound on waiting for the last bind after the last create. */
  bindTimeoutMs: 120_000,
};

class BenchError extends Error {
  override name = 'BenchError';
}

interface Result {
  nodes: number;
  pods: number;
  bound: number;
  createPerSec: number;
  /** From the first pod create sent to the last bind answered. */
  boundPerSec: number;
  /** The scheduler's attempts per second, from its first attempt to its last bind. */
  attemptsPerSec: number;
  /** Attempts per second of time spent in scheduling cycles alone (filter, score; no API calls). */
  cyclesPerSec: number;
  attempts: number;
  unschedulable: number;
  errors: number;
  nodeCreateSeconds: number;
  seconds: number;
  /** CPU seconds over the pod phase: this process (scheduler and load) and the API server's child (split layout). */
  cpuHere: number;
  cpuApiServer: number | undefined;
}

const benchStart = performance.now();
function progress(message: string): void {
  process.stderr.write(`[${((performance.now() - benchStart) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}

function node(name: string): KubeObject {
  const resources = { cpu: '4', memory: '32Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
    status: { capacity: resources, allocatable: resources, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }] },
  };
}

function pod(name: string): KubeObject {
  const resources = { cpu: '10m', memory: '50Mi' };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: resources, limits: resources } }] },
  };
}

function flags(dataDir: string): ServerFlags {
  return {
    dataDir,
    securePort: 0,
    bindAddress: '127.0.0.1',
    advertiseAddress: '127.0.0.1',
    disable: new Set(['dns', 'servicelb'] as const),
    datastoreEndpoint: params.datastore === 'memory' ? 'memory://' : `sqlite://${join(dataDir, 'db', 'state.db')}`,
    serviceCIDR: '10.96.0.0/12',
    nodePortRange: [30000, 32767],
    clusterCIDR: '10.244.0.0/16',
    nodeCIDRMaskSize: 24,
    logFormat: 'json',
    compaction: { intervalMs: 5 * 60_000, keepRevisions: 1000 },
  };
}

// ---- the API server's side (a child process in the split layout) ---------------------------------------------------

async function serveApi(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'skiff-sched-bench-'));
  const stop = new AbortController();
  const plane = await startControlPlane(flags(dataDir), stop.signal, { controllers: {}, scheduler: false });
  process.send?.({ kubeconfig: plane.kubeconfigPath });
  await new Promise<void>((resolve) => {
    process.once('message', () => resolve());
    process.once('disconnect', () => resolve());
  });
  stop.abort();
  await plane.closed;
  await rm(dataDir, { recursive: true, force: true });
  process.exit(0);
}

interface ApiServer {
  client(): { client: Client; transport: Transport };
  /** CPU seconds the API server's process has used so far (the split layout's child), or undefined. */
  cpuSeconds(): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** utime + stime of a process, from /proc (Linux). */
async function processCpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const { readFile } = await import('node:fs/promises');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function startSplitServer(): Promise<ApiServer> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--max-semi-space-size=64', '--import', 'tsx'],
    env: { ...process.env, SKIFF_BENCH_ROLE: 'apiserver' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const kubeconfig = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new BenchError('the API server did not start within 60 s')), 60_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve((m as { kubeconfig: string }).kubeconfig);
    });
    child.once('exit', (code) => reject(new BenchError(`the API server exited (${code}) before it was ready`)));
  });
  const tls = readKubeconfig(kubeconfig);
  return {
    client() {
      const transport = httpsTransport(tls);
      return { client: new Client(transport), transport };
    },
    cpuSeconds: () => processCpuSeconds(child.pid),
    async stop() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function startSingleServer(): Promise<ApiServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'skiff-sched-bench-'));
  const stop = new AbortController();
  const plane = await startControlPlane(flags(dataDir), stop.signal, { controllers: {}, scheduler: false });
  const tls = readKubeconfig(plane.kubeconfigPath);
  return {
    client() {
      const transport = httpsTransport(tls);
      return { client: new Client(transport), transport };
    },
    cpuSeconds: () => Promise.resolve(undefined),
    async stop() {
      stop.abort();
      await plane.closed;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

// ---- one workload -------------------------------------------------------------------------------------------------

async function run(nodeCount: number, signal: AbortSignal): Promise<Result> {
  progress(`${nodeCount} nodes: starting the API server (${params.layout}, ${params.datastore})`);
  const server = params.layout === 'split' ? await startSplitServer() : await startSingleServer();
  const stopScheduler = new AbortController();
  const onAbort = () => stopScheduler.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const sessions = Array.from({ length: params.createSessions }, () => server.client());
  const main = server.client();
  const logger = (name: string) => createLogger(name, { format: 'json', level: 'warn' });
  const ctx = newControllerContext({ client: main.client, logger, config: { caPem: '', clusterCIDR: '10.244.0.0/16', nodeCIDRMaskSize: 24, serviceCIDR: '10.96.0.0/12' } });
  const scheduler = new Scheduler(ctx);
  const nodeInformer = ctx.informers.informer(NODES);
  ctx.informers.start(stopScheduler.signal);
  const running = scheduler.start(stopScheduler.signal);
  try {
    progress(`${nodeCount} nodes: creating the nodes`);
    const nodeStart = performance.now();
    const names = Array.from({ length: nodeCount }, (_, i) => `node-${String(i).padStart(5, '0')}`);
    await forEachConcurrent(names, params.createConcurrency, async (name, i) => void (await sessions[i % sessions.length]!.client.create(NODES, undefined, node(name))), signal);
    while (nodeInformer.lister.list().length < nodeCount) await sleep(20, undefined, { signal });
    const nodeCreateSeconds = (performance.now() - nodeStart) / 1000;

    progress(`${nodeCount} nodes: creating ${params.pods} pods`);
    const firstCreate = performance.now();
    const cpuHere0 = ownCpuSeconds();
    const cpuApi0 = await server.cpuSeconds();
    const podNames = Array.from({ length: params.pods }, (_, i) => `pod-${String(i).padStart(6, '0')}`);
    await forEachConcurrent(podNames, params.createConcurrency, async (name, i) => void (await sessions[i % sessions.length]!.client.create(PODS, NS, pod(name))), signal);
    const lastCreate = performance.now();
    const deadline = lastCreate + params.bindTimeoutMs;
    while (scheduler.stats.bound < params.pods && performance.now() < deadline) {
      const pending = scheduler.pending();
      if (pending.unschedulable > 0 && pending.active === 0 && pending.backoff === 0 && scheduler.stats.bound + pending.unschedulable >= params.pods) break;
      await sleep(10, undefined, { signal });
    }
    const cpuHere = ownCpuSeconds() - cpuHere0;
    const cpuApi1 = await server.cpuSeconds();
    const cpuApiServer = cpuApi0 !== undefined && cpuApi1 !== undefined ? cpuApi1 - cpuApi0 : undefined;
    const s = scheduler.stats;
    const window = (s.lastBoundAt - firstCreate) / 1000;
    const result: Result = {
      nodes: nodeCount,
      pods: params.pods,
      bound: s.bound,
      createPerSec: params.pods / ((lastCreate - firstCreate) / 1000),
      boundPerSec: s.bound / window,
      attemptsPerSec: s.attempts / ((s.lastBoundAt - s.firstAttemptAt) / 1000),
      cyclesPerSec: s.attempts / (s.cycleMs / 1000),
      attempts: s.attempts,
      unschedulable: s.unschedulable,
      errors: s.errors,
      nodeCreateSeconds,
      seconds: window,
      cpuHere,
      cpuApiServer,
    };
    progress(
      `${nodeCount} nodes: ${s.bound}/${params.pods} bound in ${fmt(window, 1)} s (${fmt(result.boundPerSec, 0)} pods/s); ` +
        `cpu s: scheduler+load ${fmt(cpuHere, 1)}, apiserver ${cpuApiServer === undefined ? '-' : fmt(cpuApiServer, 1)}`,
    );
    return result;
  } finally {
    signal.removeEventListener('abort', onAbort);
    stopScheduler.abort();
    await running.catch(() => {});
    await ctx.informers.stopped();
    await Promise.allSettled([...sessions, main].map((c) => c.transport.close()));
    await server.stop();
  }
}

function report(results: readonly Result[], seconds: number): void {
  const out: string[] = [];
  out.push(`Scheduler benchmark (SchedulingBasic shape) — ${cpus().length} CPUs, Node ${process.version}; layout ${params.layout}, datastore ${params.datastore}`);
  out.push(`${params.pods} pods (10m cpu, 50Mi) onto N nodes (4 cpu, 32Gi, 110 pods); bound/s: from the first create to the last bind;`);
  out.push('sched attempts/s: from the first attempt to the last bind; cycles/s alone: attempts per second of scheduling-cycle time (no API calls)');
  out.push('');
  const rows = results.map((r) => [
    String(r.nodes),
    String(r.pods),
    String(r.bound),
    fmt(r.createPerSec, 0),
    fmt(r.boundPerSec, 0),
    fmt(r.attemptsPerSec, 0),
    fmt(r.cyclesPerSec, 0),
    r.nodes === 5000 ? String(UPSTREAM_THRESHOLD_5000) : '-',
    String(r.unschedulable + r.errors),
  ]);
  out.push(
    formatTable(
      [
        { title: 'nodes', width: 6 },
        { title: 'pods', width: 6 },
        { title: 'bound', width: 6 },
        { title: 'created/s', width: 9 },
        { title: 'bound/s', width: 8 },
        { title: 'sched attempts/s', width: 16 },
        { title: 'cycles/s alone', width: 14 },
        { title: 'upstream threshold', width: 18 },
        { title: 'failed', width: 6 },
      ],
      rows,
    ),
  );
  const big = results.find((r) => r.nodes === 5000);
  if (big) {
    out.push('');
    out.push(`Target at 5000 nodes: >= ${TARGET_5000} pods/s: ${fmt(big.boundPerSec, 0)} pods/s  ${big.boundPerSec >= TARGET_5000 ? 'PASS' : 'MISS'}`);
  }
  out.push(`Total bench time: ${seconds.toFixed(1)} s`);
  process.stdout.write(out.join('\n') + '\n');
  const round = (n: number) => (Number.isFinite(n) ? Number(n.toFixed(1)) : null);
  const json = {
    schema: 1,
    bench: 'scheduler',
    node: process.version,
    cpus: cpus().length,
    params,
    upstreamThreshold5000: UPSTREAM_THRESHOLD_5000,
    results: results.map((r) => ({ ...r, createPerSec: round(r.createPerSec), boundPerSec: round(r.boundPerSec), attemptsPerSec: round(r.attemptsPerSec), cyclesPerSec: round(r.cyclesPerSec), seconds: round(r.seconds), nodeCreateSeconds: round(r.nodeCreateSeconds) })),
    durationSeconds: round(seconds),
  };
  process.stdout.write(`BENCH_JSON ${JSON.stringify(json)}\n`);
}

async function main(): Promise<number> {
  if (process.env['SKIFF_BENCH_ROLE'] === 'apiserver') {
    await serveApi();
    return 0;
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort(new BenchError('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const hardStop = setTimeout(() => controller.abort(new BenchError('the bench ran longer than 10 minutes')), 10 * 60_000);
  hardStop.unref();
  const results: Result[] = [];
  try {
    for (const n of params.nodeCounts) results.push(await run(n, controller.signal));
  } catch (err) {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  } finally {
    clearTimeout(hardStop);
  }
  report(results, (performance.now() - benchStart) / 1000);
  return results.every((r) => r.bound === r.pods) ? 0 : 1;
}

process.exitCode = await main();
