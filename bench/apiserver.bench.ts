// API server benchmark: create, get, list and watch fan-out on skiff+sqlite and skiff+etcd, and the same operations
// straight against etcd, in one run. The server runs as a child process; the load is generated here over HTTP/2
// (one session per client worker, as client-go does). Run: node --import tsx bench/apiserver.bench.ts
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { readKubeconfig, startSkiffServer, type Datastore, type SkiffServer } from '../test/support/server.ts';
import { closedLoop, forEachConcurrent, openLoop } from './lib/load.ts';
import { dataBytes } from './lib/objects.ts';
import { fmt, summaryTable } from './lib/report.ts';
import { Recorder, type Summary } from './lib/stats.ts';
import { EtcdClient, etcdTarget, podPrefix, skiffTarget, type SkiffClient, type Target, type TargetClient } from './lib/targets.ts';

// BENCH_QUICK=1 shrinks every phase, to check the bench itself quickly; figures from it mean little.
const quick = process.env['BENCH_QUICK'] === '1';

const params = {
  createRatePerSec: 200,
  createDurationMs: 10_000,
  createSessions: 4,
  closedWorkers: 16,
  closedDurationMs: 5_000,
  getWorkers: 16,
  getDurationMs: 5_000,
  pods: 10_000,
  podConcurrency: 32,
  podSessions: 8,
  listRuns: 20,
  listWarmups: 3,
  pageLimit: 500,
  watchers: 100,
  watchCreates: 200,
  /** The M creates go out as a burst with this many in flight, so events/s shows what fan-out delivers. */
  watchCreateConcurrency: 8,
  watchTimeoutMs: 30_000,
  warmupMs: 3_000,
  warmupOpsPerWorker: 100,
  ...(quick ? { createDurationMs: 2_000, closedDurationMs: 1_000, getDurationMs: 1_000, pods: 1_000, listRuns: 5, watchers: 10, watchCreates: 50 } : {}),
};

const targetsGoal = { createP99Ms: 10, listP99Ms: 100 };

const SQLITE = 'skiff+sqlite';
const ETCD = 'skiff+etcd';
const DIRECT = 'etcd direct';
const ORDER = [SQLITE, ETCD, DIRECT] as const;

const NS = 'bench';
const WATCH_NS = 'benchw';

type Operation = 'create_open' | 'create_closed' | 'get' | 'list_full' | 'list_page' | 'watch' | 'watch_from_send';
type Results = Record<Operation, Record<string, Summary>>;

interface Extras {
  openLoopMaxSendLagMs: Record<string, number>;
  populatePodsPerSec: Record<string, number>;
  listBytes: Record<string, number>;
  /** Time to the response headers of the whole-namespace LIST (skiff): the server's share, before the transfer. */
  listFirstByteP50Ms: Record<string, number>;
  serverStartFailures: string[];
}

class BenchAborted extends Error {
  override name = 'BenchAborted';
}

const results: Results = { create_open: {}, create_closed: {}, get: {}, list_full: {}, list_page: {}, watch: {}, watch_from_send: {} };
const extras: Extras = { openLoopMaxSendLagMs: {}, populatePodsPerSec: {}, listBytes: {}, listFirstByteP50Ms: {}, serverStartFailures: [] };
const benchStart = performance.now();

function progress(message: string): void {
  process.stderr.write(`[${((performance.now() - benchStart) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}

async function connectAll(target: Target, count: number): Promise<TargetClient[]> {
  return Promise.all(Array.from({ length: count }, () => target.connect()));
}

async function closeAll(clients: readonly TargetClient[]): Promise<void> {
  await Promise.allSettled(clients.map((c) => c.close()));
}

/** 1a. Creates at a fixed rate, latency measured from each create's scheduled send time. */
async function createOpenLoop(target: Target, signal: AbortSignal): Promise<string[]> {
  const clients = await connectAll(target, params.createSessions);
  const recorder = new Recorder();
  const names: string[] = [];
  try {
    const run = await openLoop({ ratePerSec: params.createRatePerSec, durationMs: params.createDurationMs, signal }, async (i, scheduledAt) => {
      const name = `open-${i}`;
      try {
        await clients[i % clients.length]!.createConfigMap(NS, name);
        recorder.ok(performance.now() - scheduledAt);
        names.push(name);
      } catch (err) {
        recorder.fail(err);
      }
    });
    results.create_open[target.label] = recorder.summarize(run.windowMs);
    extras.openLoopMaxSendLagMs[target.label] = Number(run.maxSendLagMs.toFixed(2));
  } finally {
    await closeAll(clients);
  }
  return names;
}

/** 1b. Maximum create throughput: N clients, each sending its next create when the last one is answered. */
async function createClosedLoop(target: Target, signal: AbortSignal): Promise<string[]> {
  const clients = await connectAll(target, params.closedWorkers);
  const recorder = new Recorder();
  const names: string[] = [];
  try {
    const run = await closedLoop({ workers: clients.length, durationMs: params.closedDurationMs, signal }, async (worker, i) => {
      const name = `closed-${worker}-${i}`;
      const start = performance.now();
      try {
        await clients[worker]!.createConfigMap(NS, name);
        recorder.ok(performance.now() - start);
        names.push(name);
      } catch (err) {
        recorder.fail(err);
      }
    });
    results.create_closed[target.label] = recorder.summarize(run.windowMs);
  } finally {
    await closeAll(clients);
  }
  return names;
}

/** 2. GET of single objects picked at random among those created. */
async function getClosedLoop(target: Target, names: readonly string[], signal: AbortSignal): Promise<void> {
  const clients = await connectAll(target, params.getWorkers);
  const recorder = new Recorder();
  try {
    const run = await closedLoop({ workers: clients.length, durationMs: params.getDurationMs, signal }, async (worker) => {
      const name = names[Math.floor(Math.random() * names.length)]!;
      const start = performance.now();
      try {
        await clients[worker]!.getConfigMap(NS, name);
        recorder.ok(performance.now() - start);
      } catch (err) {
        recorder.fail(err);
      }
    });
    results.get[target.label] = recorder.summarize(run.windowMs);
  } finally {
    await closeAll(clients);
  }
}

/** 3 (set-up). 10,000 pods, created with concurrency over several sessions. */
async function populatePods(target: Target, signal: AbortSignal): Promise<void> {
  const clients = (await connectAll(target, params.podSessions)) as SkiffClient[];
  const indexes = Array.from({ length: params.pods }, (_, i) => i);
  const start = performance.now();
  try {
    await forEachConcurrent(indexes, params.podConcurrency, (i) => clients[i % clients.length]!.createPod(NS, `web-${String(i).padStart(5, '0')}`, i), signal);
  } finally {
    await closeAll(clients);
  }
  extras.populatePodsPerSec[target.label] = Number(((params.pods * 1000) / (performance.now() - start)).toFixed(1));
}

/** 3. LIST of the 10,000 pods, whole and as one page; the first (untimed) run checks the count. */
async function listPods(target: Target, signal: AbortSignal): Promise<void> {
  const [client] = await connectAll(target, 1);
  try {
    for (const [operation, limit] of [['list_full', 0], ['list_page', params.pageLimit]] as const) {
      const expected = limit || params.pods;
      for (let i = 0; i < params.listWarmups; i++) {
        const warm = await client!.listPods(NS, { limit, count: i === 0 });
        if (i === 0 && warm.items !== expected) throw new Error(`${target.label}: LIST returned ${warm.items} pods, expected ${expected}`);
        if (operation === 'list_full') extras.listBytes[target.label] = warm.bytes;
      }
      const recorder = new Recorder();
      const firstByte = new Recorder();
      const windowStart = performance.now();
      for (let i = 0; i < params.listRuns; i++) {
        signal.throwIfAborted();
        const start = performance.now();
        try {
          const list = await client!.listPods(NS, { limit });
          recorder.ok(performance.now() - start);
          if (list.firstByteMs !== undefined) firstByte.ok(list.firstByteMs);
        } catch (err) {
          recorder.fail(err);
        }
      }
      results[operation][target.label] = recorder.summarize(performance.now() - windowStart);
      const firstByteP50 = firstByte.summarize(0).p50Ms;
      if (operation === 'list_full' && Number.isFinite(firstByteP50)) extras.listFirstByteP50Ms[target.label] = Number(firstByteP50.toFixed(2));
    }
  } finally {
    await closeAll(client ? [client] : []);
  }
}

/**
 * 4. W watchers on one namespace's ConfigMaps, then M creates at a fixed rate: the delay from each create's response
 * to each watcher's event, and events delivered per second (from the first send to the last delivery).
 */
async function watchFanOut(target: Target, signal: AbortSignal): Promise<void> {
  const total = params.watchers * params.watchCreates;
  const received: { name: string; at: number }[] = [];
  const sentAt = new Map<string, number>();
  const responseAt = new Map<string, number>();
  const recorder = new Recorder();
  const fromSend = new Recorder();
  let allReceived!: () => void;
  const done = new Promise<void>((resolve) => (allReceived = resolve));
  const onAdded = (name: string) => {
    received.push({ name, at: performance.now() });
    if (received.length === total) allReceived();
  };
  const watchClients = await connectAll(target, target.sharedWatchConnection ? 1 : params.watchers);
  const [writer] = await connectAll(target, 1);
  try {
    const watches = await Promise.all(Array.from({ length: params.watchers }, (_, i) => watchClients[i % watchClients.length]!.watchConfigMaps(WATCH_NS, onAdded)));
    const firstSend = performance.now();
    const indexes = Array.from({ length: params.watchCreates }, (_, i) => i);
    await forEachConcurrent(indexes, params.watchCreateConcurrency, async (i) => {
      const name = `watched-${i}`;
      sentAt.set(name, performance.now());
      try {
        await writer!.createConfigMap(WATCH_NS, name);
        responseAt.set(name, performance.now());
      } catch (err) {
        recorder.fail(err);
      }
    }, signal);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise((resolve) => (timer = setTimeout(resolve, params.watchTimeoutMs)))]);
    clearTimeout(timer);
    for (const w of watches) w.close();
    const events = received.slice(0, total);
    for (const { name, at } of events) {
      const answered = responseAt.get(name);
      if (answered !== undefined) recorder.ok(at - answered);
      const sent = sentAt.get(name);
      if (sent !== undefined) fromSend.ok(at - sent);
    }
    const missing = total - events.length;
    if (missing > 0) recorder.fail(new Error(`${missing} of ${total} watch events not delivered within ${params.watchTimeoutMs} ms`), missing);
    const last = events.reduce((m, e) => Math.max(m, e.at), firstSend);
    results.watch[target.label] = recorder.summarize(last - firstSend);
    results.watch_from_send[target.label] = fromSend.summarize(last - firstSend);
  } finally {
    await closeAll([...watchClients, ...(writer ? [writer] : [])]);
  }
}

/** Untimed creates and gets first, so that the measured phases do not include JIT and connection warm-up. */
async function warmUp(target: Target, signal: AbortSignal): Promise<void> {
  const clients = await connectAll(target, params.createSessions);
  try {
    await closedLoop({ workers: clients.length, durationMs: params.warmupMs, maxOpsPerWorker: params.warmupOpsPerWorker, signal }, async (worker, i) => {
      await clients[worker]!.createConfigMap(NS, `warm-${worker}-${i}`);
      await clients[worker]!.getConfigMap(NS, `warm-${worker}-${i}`);
    });
  } finally {
    await closeAll(clients);
  }
}

async function benchTarget(target: Target, signal: AbortSignal, options: { pods: boolean }): Promise<void> {
  progress(`${target.label}: warm-up`);
  await warmUp(target, signal);
  progress(`${target.label}: create, open loop ${params.createRatePerSec}/s for ${params.createDurationMs / 1000} s`);
  const names = await createOpenLoop(target, signal);
  progress(`${target.label}: create, closed loop, ${params.closedWorkers} clients for ${params.closedDurationMs / 1000} s`);
  names.push(...(await createClosedLoop(target, signal)));
  if (names.length === 0) throw new Error(`${target.label}: no object was created; cannot measure GET`);
  progress(`${target.label}: get, ${params.getWorkers} clients for ${params.getDurationMs / 1000} s`);
  await getClosedLoop(target, names, signal);
  progress(`${target.label}: watch fan-out, ${params.watchers} watchers × ${params.watchCreates} creates`);
  await watchFanOut(target, signal);
  if (options.pods) {
    progress(`${target.label}: creating ${params.pods} pods`);
    await populatePods(target, signal);
  }
  progress(`${target.label}: list ${params.pods} pods × ${params.listRuns}, and pages of ${params.pageLimit}`);
  await listPods(target, signal);
}

/**
 * Starts the server, trying up to three times: a failed start is a server bug worth reporting, not a reason to lose
 * the other figures, so each failure is printed and kept in the report's notes.
 */
async function startServer(datastore: Datastore, label: string, signal: AbortSignal): Promise<SkiffServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startSkiffServer({ datastore, signal });
    } catch (err) {
      if (attempt >= 3 || signal.aborted) throw err;
      const message = String(err instanceof Error ? err.message : err);
      const reason = message.split('\n').find((line) => line.includes('"level":"error"')) ?? message.split('\n')[0]!;
      extras.serverStartFailures.push(`${label}: ${reason}`);
      progress(`${label}: server start failed (attempt ${attempt}), retrying: ${reason}`);
    }
  }
}

function waitForExit(server: SkiffServer): Promise<void> {
  const child = server.process;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function benchSkiff(datastore: Datastore, signal: AbortSignal): Promise<void> {
  const label = datastore === 'sqlite' ? SQLITE : ETCD;
  progress(`${label}: starting skiff server`);
  const server = await startServer(datastore, label, signal);
  try {
    const target = skiffTarget(label, readKubeconfig(server.kubeconfig));
    const admin = (await target.connect()) as SkiffClient;
    try {
      for (const ns of [NS, WATCH_NS]) {
        await admin.ensureNamespace(ns);
        await admin.waitUntilWritable(ns, signal);
      }
    } finally {
      await admin.close();
    }
    await benchTarget(target, signal, { pods: true });
    if (datastore === 'etcd') {
      // etcd direct runs against this etcd with skiff stopped: its LIST reads the very keys and values skiff stored.
      server.kill('SIGTERM');
      await waitForExit(server);
      const endpoint = `http://${server.datastoreEndpoint!.replace(/^etcd:\/\//, '')}`;
      const direct = etcdTarget(DIRECT, endpoint);
      const cleaner = new EtcdClient(endpoint);
      try {
        const pods = await cleaner.listPods(NS, {});
        if (pods.items !== params.pods) throw new Error(`etcd holds ${pods.items} pods under ${podPrefix(NS)}, expected ${params.pods}`);
        await cleaner.deletePrefix(`/registry/configmaps/${NS}/`);
        await cleaner.deletePrefix(`/registry/configmaps/${WATCH_NS}/`);
      } finally {
        await cleaner.close();
      }
      await benchTarget(direct, signal, { pods: false });
    }
  } catch (err) {
    process.stderr.write(`--- skiff server output (tail) ---\n${server.output().slice(-4000)}\n`);
    throw err;
  } finally {
    await server.stop().catch((err: unknown) => progress(`${label}: ${String(err).split('\n')[0]}`));
  }
}

function printReport(totalSeconds: number): boolean {
  const out: string[] = [];
  const section = (title: string, operation: Operation, throughputTitle?: string) => {
    out.push('', `== ${title} ==`, summaryTable(ORDER, results[operation], DIRECT, throughputTitle));
  };
  out.push(`API server benchmark — ${cpus().length} CPUs, Node ${process.version}; server, etcd and load generator share the machine`);
  section(`create: open loop ${params.createRatePerSec}/s for ${params.createDurationMs / 1000} s, ConfigMap with ${dataBytes} bytes of data (latency from scheduled send)`, 'create_open');
  section(`create: closed loop, ${params.closedWorkers} clients for ${params.closedDurationMs / 1000} s (max throughput)`, 'create_closed');
  section(`get: single ConfigMap, ${params.getWorkers} clients for ${params.getDurationMs / 1000} s`, 'get');
  section(`list: all ${params.pods} pods of a namespace, ${params.listRuns} runs (skiff: watch cache, full JSON; etcd: range read)`, 'list_full', 'lists/s');
  section(`list: one page, limit=${params.pageLimit}, ${params.listRuns} runs`, 'list_page', 'lists/s');
  section(`watch fan-out: ${params.watchers} watchers, ${params.watchCreates} creates as a burst (${params.watchCreateConcurrency} in flight); delay from create response to event`, 'watch', 'events/s');
  section(`watch fan-out, the same events: delay from create sent to event`, 'watch_from_send', 'events/s');
  out.push('(skiff: one HTTP/2 session per watch; etcd: the watchers share one etcd3 client. Every event is decoded in the bench process.)');

  out.push('', 'Notes');
  out.push(`  open-loop sender lag, max ms: ${ORDER.map((t) => `${t} ${fmt(extras.openLoopMaxSendLagMs[t] ?? Number.NaN)}`).join(', ')}`);
  out.push(`  creating ${params.pods} pods (${params.podConcurrency} in flight): ${[SQLITE, ETCD].map((t) => `${t} ${fmt(extras.populatePodsPerSec[t] ?? Number.NaN, 0)}/s`).join(', ')}`);
  out.push(`  LIST of ${params.pods} pods, p50 time to response headers: ${[SQLITE, ETCD].map((t) => `${t} ${fmt(extras.listFirstByteP50Ms[t] ?? Number.NaN)} ms`).join(', ')} (the rest is the transfer)`);
  for (const failure of extras.serverStartFailures) out.push(`  server start failed, retried: ${failure}`);
  out.push(`  LIST body bytes: ${ORDER.map((t) => `${t} ${extras.listBytes[t] ?? '-'}`).join(', ')} (etcd: keys + stored values)`);

  const goals: { name: string; target: string; valueMs: number; limitMs: number }[] = [
    { name: `create p99 at ${params.createRatePerSec}/s`, target: SQLITE, valueMs: results.create_open[SQLITE]?.p99Ms ?? Number.NaN, limitMs: targetsGoal.createP99Ms },
    { name: `LIST ${params.pods} pods p99`, target: SQLITE, valueMs: results.list_full[SQLITE]?.p99Ms ?? Number.NaN, limitMs: targetsGoal.listP99Ms },
    { name: `LIST ${params.pods} pods p99`, target: ETCD, valueMs: results.list_full[ETCD]?.p99Ms ?? Number.NaN, limitMs: targetsGoal.listP99Ms },
  ];
  out.push('', 'Targets');
  for (const g of goals) {
    const verdict = g.valueMs < g.limitMs ? 'PASS' : 'MISS';
    out.push(`  ${`${g.name} on ${g.target}`.padEnd(34)} < ${String(g.limitMs).padStart(3)} ms: ${fmt(g.valueMs).padStart(8)} ms  ${verdict}`);
  }

  const failures = Object.entries(results).flatMap(([operation, byTarget]) =>
    Object.entries(byTarget)
      .filter(([, s]) => s.errors > 0)
      .map(([target, s]) => `  ${operation} on ${target}: ${s.errors} errors; first: ${s.firstError ?? '?'}`),
  );
  if (failures.length) out.push('', 'Errors', ...failures);
  out.push('', `Total bench time: ${totalSeconds.toFixed(1)} s`);
  process.stdout.write(out.join('\n') + '\n');

  const json = {
    schema: 1,
    node: process.version,
    cpus: cpus().length,
    durationSeconds: Number(totalSeconds.toFixed(1)),
    params,
    results: Object.fromEntries(
      Object.entries(results).map(([operation, byTarget]) => [
        operation,
        Object.fromEntries(
          Object.entries(byTarget).map(([target, s]) => {
            const base = results[operation as Operation][DIRECT]?.p99Ms;
            return [target, { ...round(s), p99VsEtcd: base && base > 0 && s.p99Ms > 0 ? Number((s.p99Ms / base).toFixed(3)) : null }];
          }),
        ),
      ]),
    ),
    extras,
    targets: goals.map((g) => ({ name: g.name, target: g.target, valueMs: Number(g.valueMs.toFixed(2)), limitMs: g.limitMs, pass: g.valueMs < g.limitMs })),
  };
  process.stdout.write(`BENCH_JSON ${JSON.stringify(json)}\n`);
  return failures.length === 0;
}

function round(s: Summary): Record<string, unknown> {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, typeof v === 'number' ? (Number.isFinite(v) ? Number(v.toFixed(3)) : null) : v]));
}

async function main(): Promise<number> {
  const controller = new AbortController();
  const onSignal = () => controller.abort(new BenchAborted('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // A hard bound on the whole run, in case something hangs.
  const hardStop = setTimeout(() => controller.abort(new BenchAborted('the bench ran longer than 10 minutes')), 10 * 60_000);
  hardStop.unref();
  try {
    await benchSkiff('sqlite', controller.signal);
    await benchSkiff('etcd', controller.signal);
  } catch (err) {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  } finally {
    clearTimeout(hardStop);
  }
  return printReport((performance.now() - benchStart) / 1000) ? 0 : 1;
}

process.exitCode = await main();
