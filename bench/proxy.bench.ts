// Proxy rule sync: 1,000 and 10,000 ClusterIP Services × 10 endpoints, for each backend in PROXY_BENCH_MODES
// (default iptables,nftables): applied with iptables-nft-restore, or `nft -f` and nf_tables netlink batches (map
// elements, through the nfnl-send helper), inside a scratch network namespace per run (deleted at the end), timed as
// compute (rules and restore input / nft script and element ops, in this process) and restore (iptables-restore plus
// the jump-rule checks of a full sync; or nft, encoding the elements and the kernel applying them) separately. The MB
// column counts restore input / nft text only.
//   full        the first sync: every chain written into empty tables
//   resync      a full sync over the same, existing rules
//   endpoints   one Service's endpoints changed (one pod replaced): a partial sync
//   affinity endpoints   the same for a Service with sessionAffinity ClientIP (one in every 1,000 has it): in
//               nftables mode such a port keeps upstream's chains, so its change rewrites chains, not only elements
//   new service one Service added: a partial sync that also rewrites KUBE-SERVICES (as upstream's partial sync does)
// and, iptables only, at 1,000 Services, the full sync in a single nat transaction, to show why large writes are split
// (restore.ts).
// Targets (issue 6): full sync of 10,000 Services under 1 s; one changed Service under 50 ms.
// Needs root. Run: npm run bench:proxy   (BENCH_QUICK=1: 1,000 Services only)
// As `skiff up` runs the proxy — on a worker thread, in a process whose young generation is sized for the API server:
//   PROXY_BENCH_AS=up node --max-semi-space-size=64 --import tsx bench/proxy.bench.ts
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import type { Service } from 'kubernetes-types/core/v1.d.ts';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import { silentLogger } from '../src/log.ts';
import { moduleWorker, withDefaultYoungGeneration } from '../src/proxy/host-proxier.ts';
import { ExecIptables } from '../src/proxy/iptables.ts';
import { ExecNftables } from '../src/proxy/nft.ts';
import { NftSyncer } from '../src/proxy/nft-syncer.ts';
import type { ProxyMode, ProxySyncer } from '../src/proxy/proxier.ts';
import { RuleSyncer, type SyncResult } from '../src/proxy/syncer.ts';
import { fmt, formatTable } from './lib/report.ts';

const quick = process.env['BENCH_QUICK'] === '1';
const SIZES = quick ? [1000] : [1000, 10_000];
const ENDPOINTS = 10;
const PARTIAL_RUNS = 5;
const TARGET = { fullMs: 1000, partialMs: 50 };
const MODES = (process.env['PROXY_BENCH_MODES'] ?? 'iptables,nftables').split(',').map((m) => m.trim()).filter(Boolean) as ProxyMode[];
for (const m of MODES) if (m !== 'iptables' && m !== 'nftables') throw new Error(`PROXY_BENCH_MODES: unknown mode ${m}`);

interface Row {
  mode: ProxyMode;
  services: number;
  phase: string;
  result: SyncResult;
}

const namespaces: string[] = [];
const started = performance.now();

function progress(msg: string): void {
  process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}\n`);
}

function scratchNamespace(): string {
  const ns = `skb-proxy-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  namespaces.push(ns);
  // On a worker, the main thread deletes it too if the run is interrupted (signals reach only the main thread).
  parentPort?.postMessage({ namespace: ns });
  return ns;
}

function deleteNamespaces(): void {
  for (const ns of namespaces.splice(0)) {
    try {
      execFileSync('ip', ['netns', 'delete', ns]);
    } catch {
      // already gone
    }
  }
}

const ip = (base: number, n: number) => `${base}.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

/** One Service in every 1,000 has ClientIP session affinity. */
const STICKY = 999;
const isSticky = (i: number) => i % 1000 === STICKY;

function service(i: number, rv = '1'): Service {
  return {
    metadata: { namespace: 'bench', name: `svc-${i}`, resourceVersion: rv },
    spec: { type: 'ClusterIP', clusterIP: ip(10, 0x600000 + i), ports: [{ name: 'http', port: 80, protocol: 'TCP' }], sessionAffinity: isSticky(i) ? 'ClientIP' : 'None' },
  };
}

function slice(i: number, first: number, rv = '1'): EndpointSlice {
  return {
    metadata: { namespace: 'bench', name: `svc-${i}-abcde`, resourceVersion: rv, labels: { 'kubernetes.io/service-name': `svc-${i}` } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: Array.from({ length: ENDPOINTS }, (_, e) => ({ addresses: [ip(100, first + e)], nodeName: `node-${e % 3}`, conditions: { ready: true } })),
  };
}

// PROXY_MAX_CHAINS overrides the chains per nat transaction (restore.ts), to explore the trade-off.
const maxChains = Number(process.env['PROXY_MAX_CHAINS'] ?? 0) || undefined;

function newSyncer(mode: ProxyMode, netns: string, maxChainsPerTransaction = maxChains): ProxySyncer {
  if (mode === 'nftables') {
    return new NftSyncer({
      nftables: new ExecNftables({ netns }),
      nodeName: 'node-0',
      nodeIPs: ['192.0.2.2'],
      clusterCIDR: '10.244.0.0/16',
      serviceCIDRs: ['10.96.0.0/12'],
      logger: silentLogger(),
      conntrack: null,
    });
  }
  return new RuleSyncer({
    iptables: new ExecIptables({ netns }),
    nodeName: 'node-0',
    nodeIPs: ['192.0.2.2'],
    clusterCIDR: '10.244.0.0/16',
    logger: silentLogger(),
    conntrack: null,
    ...(maxChainsPerTransaction ? { maxChainsPerTransaction } : {}),
  });
}

function load(syncer: ProxySyncer, services: number): void {
  for (let i = 0; i < services; i++) {
    syncer.updateService(service(i));
    syncer.updateEndpointSlice(slice(i, i * ENDPOINTS));
  }
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function runSize(mode: ProxyMode, services: number, rows: Row[]): Promise<void> {
  const syncer = newSyncer(mode, scratchNamespace());
  load(syncer, services);
  progress(`${mode} ${services} Services: full sync`);
  rows.push({ mode, services, phase: 'full', result: await syncer.sync() });

  progress(`${mode} ${services} Services: ${PARTIAL_RUNS} syncs of one Service's endpoints changing`);
  // One pod replaced: the first endpoint gets a fresh address.
  const replacePod = async (i: number, r: number) => {
    const s = slice(i, i * ENDPOINTS, `${r + 2}`);
    s.endpoints![0]!.addresses = [ip(101, i * PARTIAL_RUNS + r)];
    syncer.updateEndpointSlice(s);
    return syncer.sync();
  };
  const middle = (results: SyncResult[]) => [...results].sort((a, b) => a.totalMs - b.totalMs)[Math.floor(results.length / 2)]!;
  const partial: SyncResult[] = [];
  for (let r = 0; r < PARTIAL_RUNS; r++) partial.push(await replacePod(Math.floor(((r + 1) * services) / (PARTIAL_RUNS + 1)), r));
  rows.push({ mode, services, phase: `endpoints (median of ${PARTIAL_RUNS})`, result: middle(partial) });
  progress(`${mode} ${services} Services: ${PARTIAL_RUNS} syncs of a ClientIP-affinity Service's endpoints changing`);
  const sticky: SyncResult[] = [];
  for (let r = 0; r < PARTIAL_RUNS; r++) sticky.push(await replacePod(STICKY, r));
  rows.push({ mode, services, phase: `affinity endpoints (median)`, result: middle(sticky) });

  progress(`${mode} ${services} Services: one Service added`);
  syncer.updateService(service(services));
  syncer.updateEndpointSlice(slice(services, services * ENDPOINTS));
  rows.push({ mode, services, phase: 'new service', result: await syncer.sync() });

  progress(`${mode} ${services} Services: full resync over existing rules`);
  syncer.requestFullSync();
  rows.push({ mode, services, phase: 'resync', result: await syncer.sync() });
  if ([...partial, ...sticky].some((p) => p.full)) throw new Error('a one-Service change produced a full sync');
  deleteNamespaces();
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('bench/proxy.bench.ts needs root (network namespaces and iptables)');
    process.exitCode = 1;
    return;
  }
  const rows: Row[] = [];
  for (const n of SIZES) for (const mode of MODES) await runSize(mode, n, rows);

  if (MODES.includes('iptables')) {
    progress('iptables 1000 Services: full sync as one nat transaction, for comparison');
    const single = newSyncer('iptables', scratchNamespace(), Number.MAX_SAFE_INTEGER);
    load(single, 1000);
    rows.push({ mode: 'iptables', services: 1000, phase: 'full, one transaction', result: await single.sync() });
    deleteNamespaces();
  }

  const table = formatTable(
    [
      { title: 'mode', width: 8, left: true },
      { title: 'services', width: 8 },
      { title: 'sync', width: 27, left: true },
      { title: 'compute ms', width: 10 },
      { title: 'restore ms', width: 10 },
      { title: 'jumps ms', width: 8 },
      { title: 'save ms', width: 7 },
      { title: 'total ms', width: 9 },
      { title: 'nat rules', width: 9 },
      { title: 'chains', width: 7 },
      { title: 'txns', width: 4 },
      { title: 'MB', width: 5 },
    ],
    rows.map(({ mode, services, phase, result: r }) => [
      mode,
      String(services),
      phase,
      fmt(r.computeMs, 1),
      fmt(r.restoreMs, 1),
      fmt(r.jumpsMs, 1),
      fmt(r.saveMs, 1),
      fmt(r.totalMs, 1),
      String(r.natRules),
      String(r.natChains),
      String(r.transactions),
      fmt(r.bytes / 1e6, 1),
    ]),
  );
  const find = (mode: ProxyMode, n: number, phase: string) => rows.find((r) => r.mode === mode && r.services === n && r.phase.startsWith(phase))?.result;
  const largest = SIZES.at(-1)!;
  console.log(`\nProxy rule sync, ClusterIP Services × ${ENDPOINTS} endpoints, iptables-nft-restore / nft -f in scratch network namespaces\n`);
  console.log(table);
  for (const mode of MODES) {
    const full = find(mode, largest, 'full');
    const partial = find(mode, largest, 'endpoints');
    const sticky = find(mode, largest, 'affinity endpoints');
    const worst = Math.max(partial?.totalMs ?? Infinity, sticky?.totalMs ?? Infinity);
    console.log(
      `\n${mode} targets: full sync of ${largest} Services ${fmt(full?.totalMs ?? NaN, 0)} ms (target < ${TARGET.fullMs} ms: ${(full?.totalMs ?? Infinity) < TARGET.fullMs ? 'met' : 'missed'}); ` +
        `one changed Service ${fmt(partial?.totalMs ?? NaN, 1)} ms, with ClientIP affinity ${fmt(sticky?.totalMs ?? NaN, 1)} ms (target < ${TARGET.partialMs} ms: ${worst < TARGET.partialMs ? 'met' : 'missed'})`,
    );
  }
  const json = {
    endpointsPerService: ENDPOINTS,
    modes: MODES,
    maxChainsPerTransaction: maxChains ?? 1000,
    rows: rows.map(({ mode, services, phase, result: r }) => ({
      mode,
      services,
      phase,
      computeMs: Math.round(r.computeMs * 10) / 10,
      restoreMs: Math.round(r.restoreMs * 10) / 10,
      jumpsMs: Math.round(r.jumpsMs * 10) / 10,
      saveMs: Math.round(r.saveMs * 10) / 10,
      totalMs: Math.round(r.totalMs * 10) / 10,
      natRules: r.natRules,
      natChains: r.natChains,
      transactions: r.transactions,
      bytes: r.bytes,
    })),
    medianPartialMs: Object.fromEntries(MODES.map((m) => [m, median(rows.filter((r) => r.mode === m && r.phase.startsWith('endpoints')).map((r) => r.result.totalMs))])),
  };
  process.stdout.write(`BENCH_JSON ${JSON.stringify(json)}\n`);
}

const onSignal = () => {
  deleteNamespaces();
  process.exit(130);
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);
/** The whole benchmark on a worker thread started as `skiff up` starts its proxy's (src/proxy/host-proxier.ts). */
async function mainOnWorker(): Promise<void> {
  const worker = withDefaultYoungGeneration(() => moduleWorker(new URL(import.meta.url), { env: { ...process.env, PROXY_BENCH_AS: '' } }));
  worker.on('message', (m: { namespace?: string }) => m.namespace && namespaces.push(m.namespace));
  const exitCode = await new Promise<number>((resolve, reject) => worker.once('exit', resolve).once('error', reject));
  namespaces.splice(0); // deleted by the worker
  if (exitCode !== 0) process.exitCode = exitCode;
}

(process.env['PROXY_BENCH_AS'] === 'up' ? mainOnWorker() : main())
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(deleteNamespaces);
