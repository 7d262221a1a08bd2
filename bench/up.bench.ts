// `skiff up` as a user runs it: `bin/skiff up` with a fresh data dir (first start: images built, PKI made), SIGTERM,
// then a second start with the same data dir. For each: the time from spawning bin/skiff to the API server's /readyz
// answering ok and to the node being Ready; on the second start also to nginx's welcome page answering on a NodePort
// after the tutorial's three commands (run with `skiff kubectl`, as the banner says). The cluster gets its own ports,
// data dir, pod, service and NodePort ranges and bridge, so its addresses do not collide with another cluster's here
// (the Services proxy's iptables chains are host-wide all the same); at the end its containers are stopped as `skiff
// killall` does, and the proxy's rules removed. Real containers need root (otherwise pods are simulated and there is
// no page to fetch). Run: npm run bench:up
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.d.ts';
import { Client, type GroupVersionResource } from '../src/client/client.ts';
import { httpsTransport, type Transport } from '../src/client/transport.ts';
import { freePort, readKubeconfig, repoRoot } from '../test/support/server.ts';
import { fmt, formatTable } from './lib/report.ts';

const NODES: GroupVersionResource = { group: '', version: 'v1', resource: 'nodes' };
const PODS: GroupVersionResource = { group: '', version: 'v1', resource: 'pods' };
const SERVICES: GroupVersionResource = { group: '', version: 'v1', resource: 'services' };
const BRIDGE = 'skbench-up0';
const SKIFF = join(repoRoot, 'bin', 'skiff');
const POLL_MS = 50;

class BenchError extends Error {
  override name = 'BenchError';
}

const progress = (msg: string) => process.stderr.write(`[up] ${msg}\n`);

interface Start {
  child: ChildProcess;
  output(): string;
  apiReadyS: number;
  nodeReadyS: number;
  /** Seconds from spawn to the page answering, or why it was not measured. */
  nginx?: number | string;
  /** What `skiff up` itself printed as its steps (stderr lines without JSON). */
  steps: string[];
  /** performance.now() when bin/skiff was spawned. */
  t0: number;
}

function get(url: string, tls?: { ca: Buffer; cert: Buffer; key: Buffer }, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, { timeout: timeoutMs, ...(tls ?? {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

/** Ready as reported by this start: a later start finds the last run's Ready status still stored. */
const readySince = (node: Node, wallT0: number) =>
  node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True' && Date.parse(c.lastHeartbeatTime ?? '') >= Math.floor(wallT0 / 1000) * 1000) === true;

/** Spawns bin/skiff up and waits (bounded) for the API and the node to be ready. */
async function start(args: string[], dataDir: string, readyWithinMs: number): Promise<Start & { transport: Transport; client: Client }> {
  const kubeconfig = join(dataDir, 'admin.conf');
  const t0 = performance.now();
  const wallT0 = Date.now();
  const child = spawn(SKIFF, ['up', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const append = (c: string) => (text = (text + c).slice(-50_000));
  child.stdout?.setEncoding('utf8').on('data', append);
  child.stderr?.setEncoding('utf8').on('data', append);
  const output = () => text;
  const deadline = t0 + readyWithinMs;
  const check = () => {
    if (child.exitCode !== null || child.signalCode !== null) throw new BenchError(`skiff up exited (${child.exitCode ?? child.signalCode}):\n${text.slice(-4000)}`);
    if (performance.now() > deadline) throw new BenchError(`skiff up was not ready within ${readyWithinMs / 1000} s:\n${text.slice(-4000)}`);
  };
  let apiReadyS = NaN;
  let tls: ReturnType<typeof readKubeconfig> | undefined;
  // A kubeconfig left by the first start names the same server: only /readyz answering counts.
  while (Number.isNaN(apiReadyS)) {
    check();
    if (existsSync(kubeconfig)) {
      try {
        tls ??= readKubeconfig(kubeconfig);
        const res = await get(`${tls.server}/readyz`, tls, 1000);
        if (res.status === 200 && res.body.trim() === 'ok') apiReadyS = (performance.now() - t0) / 1000;
      } catch {
        tls = undefined;
      }
    }
    if (Number.isNaN(apiReadyS)) await sleep(POLL_MS);
  }
  const transport = httpsTransport({ ...tls!, requestTimeoutMs: 5000 });
  const client = new Client(transport);
  let nodeReadyS = NaN;
  while (Number.isNaN(nodeReadyS)) {
    check();
    const nodes = (await client.list(NODES, '').catch(() => ({ items: [] }))).items as Node[];
    if (nodes.length > 0 && nodes.every((n) => readySince(n, wallT0))) nodeReadyS = (performance.now() - t0) / 1000;
    else await sleep(POLL_MS);
  }
  const steps = () => text.split('\n').filter((l) => l.trim() && !l.startsWith('{'));
  return { child, output, apiReadyS, nodeReadyS, transport, client, t0, get steps() { return steps(); } };
}

/** The tutorial's three commands, then nginx's page through the NodePort; seconds since `t0`, or why not. */
async function nginxThroughNodePort(client: Client, kubeconfig: string, t0: number, withinMs: number): Promise<number | string> {
  // As the banner says: skiff kubectl, with KUBECONFIG pointing at this cluster's admin.conf.
  const run = (args: string[]) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(SKIFF, ['kubectl', ...args], { cwd: repoRoot, env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.stderr?.setEncoding('utf8').on('data', (c: string) => (out += c));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('error', reject);
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(out);
        else reject(new BenchError(`skiff kubectl ${args.join(' ')} failed (${code}): ${out}`));
      });
    });
  await run(['create', 'deployment', 'nginx', '--image=nginx']);
  await run(['expose', 'deployment', 'nginx', '--port=80', '--type=NodePort']);
  await run(['get', 'pod,svc']);
  const svc = (await client.get(SERVICES, 'default', 'nginx')) as Service;
  const nodePort = svc.spec?.ports?.[0]?.nodePort;
  if (!nodePort) return 'n/a: the Service got no nodePort';
  const nodes = (await client.list(NODES, '')).items as Node[];
  const ip = nodes[0]?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  if (!ip) return 'n/a: the node has no InternalIP';
  const url = `http://${ip}:${nodePort}/`;
  const deadline = performance.now() + withinMs;
  // Once the pod itself answers, the Service has this long to follow before it counts as not working.
  const serviceGraceMs = 10_000;
  let podAnsweredAt: number | undefined;
  let podIP: string | undefined;
  for (let i = 0; performance.now() < deadline && i < 10_000; i++) {
    try {
      const res = await get(url, undefined, 1000);
      if (res.status === 200 && res.body.includes('Welcome to nginx')) return (performance.now() - t0) / 1000;
    } catch {
      // not yet
    }
    if (podAnsweredAt === undefined) {
      const pods = (await client.list(PODS, 'default', { labelSelector: 'app=nginx' })).items as Pod[];
      podIP = pods.find((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))?.status?.podIP;
      const direct = podIP ? await get(`http://${podIP}/`, undefined, 1000).catch(() => undefined) : undefined;
      if (direct?.body.includes('Welcome to nginx')) podAnsweredAt = performance.now();
    } else if (performance.now() - podAnsweredAt > serviceGraceMs) {
      return `n/a: nginx answers on its pod IP ${podIP} but not on ${url} ${serviceGraceMs / 1000} s later (no Services proxy yet?)`;
    }
    await sleep(200);
  }
  if (!podIP) return `n/a: no nginx pod was Ready within ${withinMs / 1000} s`;
  return podAnsweredAt === undefined ? `n/a: neither ${url} nor the pod at ${podIP} answered within ${withinMs / 1000} s` : `n/a: ${url} did not answer within ${withinMs / 1000} s`;
}

/** containerd processes of Skiff nodes (any data dir) still running on this machine. */
function skiffContainerds(): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return args[0]?.endsWith('containerd') && args.some((a) => a.endsWith('/containerd/config.toml'));
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * The Services proxy's rules outlive the cluster (as kube-proxy's do) and skiff killall leaves them: remove every KUBE-
 * rule and chain as k3s-killall.sh does — only when no other Skiff node runs here, whose proxy they could be.
 */
function removeProxyRules(): string {
  let saved: string;
  try {
    saved = execFileSync('iptables-save', { encoding: 'utf8' });
  } catch {
    return 'iptables-save failed: proxy rules not checked';
  }
  if (!saved.includes('KUBE-')) return 'no proxy rules left';
  if (skiffContainerds().length) return 'another Skiff node runs here: its proxy rules (KUBE-*) were left alone';
  execFileSync('iptables-restore', ['-w', '5'], { input: saved.split('\n').filter((l) => !l.includes('KUBE-')).join('\n') });
  return 'proxy rules (KUBE-*) removed';
}

/** Builds dist/ if src/ changed, so the figures are of starting, not of bundling. */
function buildFirst(): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const build = spawn(SKIFF, ['version'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
    build.once('error', reject);
    build.once('exit', (code) => (code === 0 ? resolve() : reject(new BenchError(`bin/skiff version exited ${code}`))));
  });
}

/** bin/skiff rebuilt dist/ during this start (someone changed src/ meanwhile): its figures include the build. */
const rebuilt = (start: Start) => start.steps.some((l) => l.includes('building dist/skiff.mjs'));

async function main(): Promise<void> {
  const root = process.getuid?.() === 0;
  if (!root) progress('not root: pods will be simulated, and the NodePort part is skipped');
  const dataDir = await mkdtemp('/tmp/sk-upb-');
  const args = [
    '--data-dir', dataDir,
    '--secure-port', String(await freePort()),
    '--kubelet-port', String(await freePort()),
    '--cluster-cidr', '10.249.0.0/16',
    '--service-cluster-ip-range', '10.113.0.0/16',
    '--service-node-port-range', '32700-32767',
    '--cni-bridge', BRIDGE,
    '--log-format', 'json',
  ];
  const starts: Start[] = [];
  let current: (Start & { transport: Transport; client: Client }) | undefined;
  try {
    progress(`first start, data dir ${dataDir}`);
    await buildFirst();
    current = await start(args, dataDir, 180_000);
    starts.push(current);
    progress(`first start: API ready ${fmt(current.apiReadyS)} s, node Ready ${fmt(current.nodeReadyS)} s`);
    await stopProcess(current.child);
    await current.transport.close();

    progress('second start');
    await buildFirst();
    current = await start(args, dataDir, 60_000);
    starts.push(current);
    progress(`second start: API ready ${fmt(current.apiReadyS)} s, node Ready ${fmt(current.nodeReadyS)} s`);
    current.nginx = root
      ? await nginxThroughNodePort(current.client, join(dataDir, 'admin.conf'), current.t0, 40_000).catch((err: unknown) => `n/a: ${err instanceof Error ? err.message : String(err)}`)
      : 'n/a: not root, pods are simulated';
  } catch (err) {
    if (current) progress(`skiff up's output:\n${current.output().slice(-4000)}`);
    throw err;
  } finally {
    if (current) {
      await stopProcess(current.child);
      await current.transport.close();
    }
    if (root) {
      // Containers outlive skiff up: stop them and clean up as `skiff killall` does.
      await new Promise((r) => spawn(SKIFF, ['killall', '--data-dir', dataDir, '--cni-bridge', BRIDGE], { cwd: repoRoot, stdio: 'ignore' }).once('exit', r));
      progress(removeProxyRules());
    }
    await rm(dataDir, { recursive: true, force: true });
  }

  const [first, second] = starts as [Start, Start];
  const nginx = second.nginx;
  const mark = (start: Start) => (rebuilt(start) ? '*' : '');
  const s = (v: number, start: Start) => `${fmt(v, 1)} s${mark(start)}`;
  console.log(`\nbin/skiff up on this machine (${root ? 'real containers' : 'simulated pods'}); first start with a fresh data dir, second with the same.\n`);
  console.log(
    formatTable(
      [{ title: 'measure', width: 40, left: true }, { title: 'first start', width: 12 }, { title: 'second start', width: 13 }, { title: 'kind (published)', width: 17 }, { title: 'k3s (published)', width: 16 }],
      [
        ['bin/skiff up → API ready (/readyz ok)', s(first.apiReadyS, first), s(second.apiReadyS, second), '', ''],
        ['bin/skiff up → node Ready', s(first.nodeReadyS, first), s(second.nodeReadyS, second), '~12–30 s', 'tens of seconds'],
        ['bin/skiff up → nginx page on the NodePort', '', typeof nginx === 'number' ? s(nginx, second) : 'n/a', '', ''],
      ],
    ),
  );
  if (rebuilt(first) || rebuilt(second)) console.log('\n* includes bin/skiff rebuilding dist/ (src/ changed during the run): run again for clean figures');
  if (typeof nginx === 'string') console.log(`\nnginx through the NodePort: ${nginx}`);
  for (const [name, start] of [['first', first], ['second', second]] as const) {
    console.log(`\n${name} start's steps as skiff up printed them:\n${start.steps.map((l) => `  ${l}`).join('\n')}`);
  }
  console.log(JSON.stringify({ bench: 'up', first: { apiReadyS: first.apiReadyS, nodeReadyS: first.nodeReadyS }, second: { apiReadyS: second.apiReadyS, nodeReadyS: second.nodeReadyS, nginx } }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
