// Cluster DNS throughput and latency over UDP on loopback, in one run: ClusterDNS (src/dns) fed by a real API server
// holding 1,000 ClusterIP Services and a headless Service with 10 endpoints, asked by a load generator in a worker
// thread that keeps a bounded number of queries in flight. Each target runs until it has answered
// SKIFF_BENCH_DNS_QUERIES queries (default 50,000) or for SKIFF_BENCH_DNS_SECONDS (default 4) — whichever comes first.
// The baseline is a UDP responder in the same process that answers every query with a ready-made packet: the ceiling
// of the generator, the loopback and Node's dgram, against which the DNS logic's cost shows. No upstream is used.
// Queries carry EDNS (1232 bytes).
// Sizes: SKIFF_BENCH_DNS_SERVICES (default 1000), SKIFF_BENCH_DNS_CONCURRENCY (default 64). Run: npm run bench:dns
import { createSocket } from 'node:dgram';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { gvr, startTestCluster } from '../test/support/cluster.ts';
import { eventually } from '../test/support/server.ts';
import type { KubeObject } from '../src/client/client.ts';
import { RRType } from '../src/dns/constants.ts';
import { ClusterDNS } from '../src/dns/server.ts';
import { encodeQuery, rawQuery } from '../src/dns/testing.ts';
import { forEachConcurrent } from './lib/load.ts';
import { fmt, formatTable } from './lib/report.ts';
import { percentile } from './lib/stats.ts';

const envNumber = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

interface LoadJob {
  port: number;
  packets: Uint8Array[];
  concurrency: number;
  maxQueries: number;
  maxMs: number;
}

interface LoadResult {
  latencies: Float64Array;
  count: number;
  errors: number;
  windowMs: number;
}

const QUERY_TIMEOUT_MS = 1000;

/** The worker: keeps `concurrency` queries in flight on one connected UDP socket until the count or time is up. */
function runLoad(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const pending = new Map<number, number>();
    const latencies = new Float64Array(job.maxQueries);
    let sent = 0;
    let count = 0;
    let errors = 0;
    let finished = false;
    const start = performance.now();
    const deadline = start + job.maxMs;
    let last = start;
    const finish = () => {
      if (finished || pending.size > 0) return;
      finished = true;
      clearInterval(sweeper);
      socket.close();
      resolve({ latencies: latencies.slice(0, count), count, errors, windowMs: last - start });
    };
    const sendOne = () => {
      if (sent >= job.maxQueries || performance.now() >= deadline) return finish();
      const packet = Buffer.from(job.packets[sent % job.packets.length]!);
      const id = sent & 0xffff;
      packet.writeUInt16BE(id, 0);
      sent++;
      pending.set(id, performance.now());
      socket.send(packet);
    };
    socket.on('message', (msg) => {
      const id = msg.readUInt16BE(0);
      const t0 = pending.get(id);
      if (t0 === undefined) return;
      pending.delete(id);
      last = performance.now();
      // NOERROR with at least one answer.
      if ((msg[3]! & 0xf) !== 0 || msg.readUInt16BE(6) === 0) errors++;
      else latencies[count++] = last - t0;
      sendOne();
    });
    const sweeper = setInterval(() => {
      const now = performance.now();
      for (const [id, t0] of pending) {
        if (now - t0 < QUERY_TIMEOUT_MS) continue;
        pending.delete(id);
        errors++;
        sendOne();
      }
      finish();
    }, 100);
    socket.connect(job.port, '127.0.0.1', () => {
      for (let i = 0; i < job.concurrency; i++) sendOne();
    });
  });
}

function inWorker(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    // Node 20 does not run --import hooks before a worker's own module loads, so the worker registers tsx itself.
    const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`;
    const worker = new Worker(boot, { eval: true, workerData: job });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

/** A UDP responder that answers each query with `answer` under the query's ID. */
async function startEcho(answer: Uint8Array, signal: AbortSignal): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  socket.on('message', (msg, rinfo) => {
    const out = Buffer.from(answer);
    out[0] = msg[0]!;
    out[1] = msg[1]!;
    socket.send(out, rinfo.port, rinfo.address);
  });
  signal.addEventListener('abort', () => socket.close(), { once: true });
  return socket.address().port;
}

async function main(): Promise<void> {
  const params = {
    services: envNumber('SKIFF_BENCH_DNS_SERVICES', 1000),
    headlessEndpoints: 10,
    maxQueries: envNumber('SKIFF_BENCH_DNS_QUERIES', 50_000),
    seconds: envNumber('SKIFF_BENCH_DNS_SECONDS', 4),
    concurrency: envNumber('SKIFF_BENCH_DNS_CONCURRENCY', 64),
  };
  const stop = new AbortController();
  const setupStart = performance.now();
  const cluster = await startTestCluster();
  try {
    const ns = 'bench';
    const { client } = cluster;
    await client.create(gvr.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const names = Array.from({ length: params.services }, (_, i) => `svc-${i}`);
    await forEachConcurrent(names, 16, async (name) => {
      await client.create(gvr.services, ns, { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80 }] } } as KubeObject);
    });
    await client.create(gvr.services, ns, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'headless', namespace: ns }, spec: { clusterIP: 'None', selector: { app: 'headless' }, ports: [{ name: 'http', port: 80 }] } } as KubeObject);
    await client.create(gvr.endpointslices, ns, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'headless-1', namespace: ns, labels: { 'kubernetes.io/service-name': 'headless' } },
      addressType: 'IPv4',
      endpoints: Array.from({ length: params.headlessEndpoints }, (_, i) => ({ addresses: [`10.244.0.${i + 10}`], hostname: `web-${i}`, conditions: { ready: true } })),
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    } as KubeObject);

    const dnsServer = new ClusterDNS({ client, upstreams: [], listen: { address: '127.0.0.1', port: 0 } });
    const dns = await dnsServer.start(stop.signal);
    await dnsServer.waitForSync(stop.signal);
    const last = `svc-${params.services - 1}.${ns}.svc.cluster.local`;
    await eventually('every Service in the DNS', async () => ((await rawQuery(dns, last, RRType.A)).answers.length === 1 ? true : undefined));
    await eventually('the headless endpoints in the DNS', async () =>
      (await rawQuery(dns, `headless.${ns}.svc.cluster.local`, RRType.A)).answers.length === params.headlessEndpoints ? true : undefined,
    );
    const setupSeconds = (performance.now() - setupStart) / 1000;

    // EDNS with 1232 bytes, as c-ares and systemd-resolved send: the headless SRV answer (801 bytes) fits whole.
    const queries = (names: string[], type: number) => names.map((n) => encodeQuery(n, type, { edns: 1232 }));
    const shuffled = [...names].sort(() => Math.random() - 0.5);
    const sample = await rawQuery(dns, `${shuffled[0]}.${ns}.svc.cluster.local`, RRType.A);
    const { encodeMessage } = await import('../src/dns/encode.ts');
    const echoPort = await startEcho(encodeMessage(sample), stop.signal);
    const targets: Array<{ label: string; port: number; packets: Uint8Array[] }> = [
      { label: 'baseline: canned UDP answer', port: echoPort, packets: queries([`${shuffled[0]}.${ns}.svc.cluster.local`], RRType.A) },
      { label: `A, ClusterIP (1 of ${params.services})`, port: dns.port, packets: queries(shuffled.map((n) => `${n}.${ns}.svc.cluster.local`), RRType.A) },
      { label: `A, headless (${params.headlessEndpoints} IPs)`, port: dns.port, packets: queries([`headless.${ns}.svc.cluster.local`], RRType.A) },
      { label: 'SRV _http._tcp, ClusterIP', port: dns.port, packets: queries(shuffled.map((n) => `_http._tcp.${n}.${ns}.svc.cluster.local`), RRType.SRV) },
      { label: `SRV _http._tcp, headless`, port: dns.port, packets: queries([`_http._tcp.headless.${ns}.svc.cluster.local`], RRType.SRV) },
    ];
    const rows: string[][] = [];
    const results: Record<string, { count: number; errors: number; qps: number; p50Ms: number; p99Ms: number; maxMs: number }> = {};
    let baselineP99 = Number.NaN;
    for (const target of targets) {
      const r = await inWorker({ port: target.port, packets: target.packets, concurrency: params.concurrency, maxQueries: params.maxQueries, maxMs: params.seconds * 1000 });
      const sorted = Array.from(r.latencies).sort((a, b) => a - b);
      const summary = { count: r.count, errors: r.errors, qps: (r.count * 1000) / r.windowMs, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), maxMs: sorted.at(-1) ?? Number.NaN };
      if (Number.isNaN(baselineP99)) baselineP99 = summary.p99Ms;
      results[target.label] = summary;
      rows.push([target.label, String(summary.count), fmt(summary.qps, 0), fmt(summary.p50Ms, 3), fmt(summary.p99Ms, 3), fmt(summary.maxMs, 2), `${fmt(summary.p99Ms / baselineP99, 1)}x`, String(summary.errors)]);
    }
    console.log(`\nCluster DNS over UDP on loopback: ${params.concurrency} queries in flight, up to ${params.maxQueries} queries or ${params.seconds} s per target; setup ${fmt(setupSeconds, 1)} s.`);
    console.log(`${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (the machine is shared).\n`);
    console.log(
      formatTable(
        [
          { title: 'target', width: 30, left: true },
          { title: 'queries', width: 7 },
          { title: 'qps', width: 7 },
          { title: 'p50 ms', width: 7 },
          { title: 'p99 ms', width: 7 },
          { title: 'max ms', width: 7 },
          { title: 'p99 vs base', width: 11 },
          { title: 'errors', width: 6 },
        ],
        rows,
      ),
    );
    console.log(JSON.stringify({ bench: 'dns', ...params, setupSeconds, results }));
  } finally {
    stop.abort();
    await cluster.stop();
  }
}

if (isMainThread) {
  await main();
} else {
  parentPort!.postMessage(await runLoad(workerData as LoadJob));
}
