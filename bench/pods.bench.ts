// Real pods on one node: `skiff server` and `skiff agent` (Skiff's containerd + the node agent) as two child
// processes, as on a node of a real cluster.
// 1. idle: once the node is Ready, the agent's (and its containerd's) RSS from /proc and CPU over 10 idle seconds.
// 2. startup: P pods (default 100) created at R pods/s (default 10), images present (busybox, IfNotPresent); for each
//    pod the time from its create request to the watch event showing phase Running — upstream's pod startup SLO
//    (p99 ≤ 5 s) measures the same span.
// 3. self-healing: K times (default 20) a running container's process is killed with SIGKILL from outside; the time
//    from the kill to the watch event showing the container running again with a higher restartCount.
// Sizes: SKIFF_BENCH_PODS, SKIFF_BENCH_RATE, SKIFF_BENCH_KILLS. Needs root. Run: npm run bench:pods
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Node, Pod } from 'kubernetes-types/core/v1.d.ts';
import { Client, type GroupVersionResource, type KubeObject } from '../src/client/client.ts';
import { httpsTransport } from '../src/client/transport.ts';
import { CriClient } from '../src/kubelet/cri/client.ts';
import { freePort, readKubeconfig, repoRoot, startSkiffServer } from '../test/support/server.ts';
import { fmt, formatTable } from './lib/report.ts';
import { percentile } from './lib/stats.ts';

const PODS: GroupVersionResource = { group: '', version: 'v1', resource: 'pods' };
const NODES: GroupVersionResource = { group: '', version: 'v1', resource: 'nodes' };
const envNumber = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const params = { pods: envNumber('SKIFF_BENCH_PODS', 100), rate: envNumber('SKIFF_BENCH_RATE', 10), kills: envNumber('SKIFF_BENCH_KILLS', 20), idleSeconds: 10 };
const NODE = 'bench-node';
const BRIDGE = 'skiff-bench0';

class BenchError extends Error {
  override name = 'BenchError';
}

const progress = (msg: string) => process.stderr.write(`[pods] ${msg}\n`);

function procStat(pid: number): { rssKiB: number; cpuTicks: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { rssKiB, cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function podSpec(name: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { bench: 'pods' } },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'sleep', image: 'docker.io/library/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
    },
  } as Pod;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new BenchError('bench:pods needs root (containerd)');
  const stop = new AbortController();
  const server = await startSkiffServer({ datastore: 'sqlite', command: 'server', extraArgs: ['--cluster-cidr', '10.246.0.0/16'], signal: stop.signal });
  const agentDir = await mkdtemp(join(tmpdir(), 'sk-agent-'));
  let agent: ChildProcess | undefined;
  const tls = readKubeconfig(server.kubeconfig);
  const transport = httpsTransport({ ...tls, requestTimeoutMs: 60_000 });
  const client = new Client(transport);
  const cri = new CriClient({ endpoint: join(agentDir, 'containerd', 'containerd.sock'), timeoutMs: 10_000 });
  try {
    const kubeletPort = await freePort();
    const t0 = performance.now();
    agent = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'agent', '--kubeconfig', server.kubeconfig, '--data-dir', agentDir, '--node-name', NODE, '--node-ip', '127.0.0.1', '--kubelet-port', String(kubeletPort), '--cni-bridge', BRIDGE, '--disable-kube-proxy', '--log-format', 'json'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let agentOutput = '';
    agent.stdout?.setEncoding('utf8').on('data', (c: string) => (agentOutput = (agentOutput + c).slice(-20_000)));
    agent.stderr?.setEncoding('utf8').on('data', (c: string) => (agentOutput = (agentOutput + c).slice(-20_000)));
    for (;;) {
      if (agent.exitCode !== null) throw new BenchError(`skiff agent exited (${agent.exitCode}):\n${agentOutput}`);
      if (performance.now() - t0 > 120_000) throw new BenchError(`the node was not Ready within 120 s:\n${agentOutput.slice(-4000)}`);
      const node = (await client.get(NODES, '', NODE).catch(() => undefined)) as Node | undefined;
      if (node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) break;
      await sleep(100);
    }
    const readySeconds = (performance.now() - t0) / 1000;
    progress(`node Ready ${fmt(readySeconds)} s after skiff agent started`);
    // The busybox image is imported in the background at start; wait for it.
    for (let i = 0; i < 600 && !(await cri.imageStatus({ image: 'docker.io/library/busybox:latest' })).image; i++) await sleep(100);

    // 1. idle
    await sleep(3000);
    const agentPid = agent.pid!;
    const containerdPid = childPids(agentPid).find((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'containerd');
    const a0 = procStat(agentPid);
    const c0 = containerdPid ? procStat(containerdPid) : undefined;
    await sleep(params.idleSeconds * 1000);
    const a1 = procStat(agentPid);
    const c1 = containerdPid ? procStat(containerdPid) : undefined;
    const hz = 100;
    const idle = {
      agentRssMiB: a1.rssKiB / 1024,
      agentCpuPct: ((a1.cpuTicks - a0.cpuTicks) / hz / params.idleSeconds) * 100,
      containerdRssMiB: c1 ? c1.rssKiB / 1024 : NaN,
      containerdCpuPct: c0 && c1 ? ((c1.cpuTicks - c0.cpuTicks) / hz / params.idleSeconds) * 100 : NaN,
    };

    // 2. startup latency through a watch
    const sentAt = new Map<string, number>();
    const runningAt = new Map<string, number>();
    const restarts = new Map<string, { count: number; runningSince: string | undefined }>();
    const watchAbort = new AbortController();
    const list = await client.list(PODS, 'default', { labelSelector: 'bench=pods' });
    const watching = (async () => {
      for await (const ev of client.watch(PODS, 'default', { labelSelector: 'bench=pods', resourceVersion: list.metadata?.resourceVersion ?? '0' }, watchAbort.signal)) {
        const pod = ev.object as unknown as Pod;
        const name = pod.metadata?.name ?? '';
        if (pod.status?.phase === 'Running' && !runningAt.has(name)) runningAt.set(name, performance.now());
        const cs = pod.status?.containerStatuses?.[0];
        if (cs) restarts.set(name, { count: cs.restartCount ?? 0, runningSince: cs.state?.running?.startedAt });
      }
    })().catch(() => {});
    const names = Array.from({ length: params.pods }, (_, i) => `bench-${i}`);
    const start = performance.now();
    await Promise.all(
      names.map(async (name, i) => {
        const due = start + (i * 1000) / params.rate;
        await sleep(Math.max(0, due - performance.now()));
        sentAt.set(name, due);
        await client.create(PODS, 'default', podSpec(name) as KubeObject);
      }),
    );
    const deadline = performance.now() + 120_000;
    while (runningAt.size < names.length && performance.now() < deadline) await sleep(100);
    const startup = names.filter((n) => runningAt.has(n)).map((n) => runningAt.get(n)! - sentAt.get(n)!).sort((a, b) => a - b);

    // 3. self-healing: SIGKILL a container's process, time until it runs again
    const heal: number[] = [];
    for (let k = 0; k < params.kills; k++) {
      const name = names[k % names.length]!;
      const before = restarts.get(name)?.count ?? 0;
      const pod = (await client.get(PODS, 'default', name)) as Pod;
      const id = pod.status?.containerStatuses?.[0]?.containerID?.replace(/^containerd:\/\//, '');
      if (!id) continue;
      const status = await cri.containerStatus(id, true);
      const pid = Number(/"pid":\s*(\d+)/.exec(status.info['info'] ?? '')?.[1]);
      if (!pid) continue;
      const killedAt = performance.now();
      process.kill(pid, 'SIGKILL');
      const until = killedAt + 30_000;
      while (performance.now() < until) {
        const seen = restarts.get(name);
        if (seen && seen.count > before && seen.runningSince) break;
        await sleep(5);
      }
      const seen = restarts.get(name);
      if (seen && seen.count > before) heal.push(performance.now() - killedAt);
      await sleep(200);
    }
    watchAbort.abort();
    await watching;

    const rows = [
      ['pod startup (create → Running)', String(startup.length), fmt(percentile(startup, 0.5), 0), fmt(percentile(startup, 0.9), 0), fmt(percentile(startup, 0.99), 0)],
      ['self-healing (SIGKILL → running)', String(heal.length), fmt(percentile(heal, 0.5), 0), fmt(percentile(heal, 0.9), 0), fmt(percentile(heal, 0.99), 0)],
    ];
    console.log(`\nOne node (skiff agent with its containerd), ${params.pods} pods at ${params.rate}/s, busybox present; ${heal.length} kills.\n`);
    console.log(formatTable([{ title: 'what', width: 34, left: true }, { title: 'n', width: 4 }, { title: 'p50 ms', width: 7 }, { title: 'p90 ms', width: 7 }, { title: 'p99 ms', width: 7 }], rows));
    console.log(`\nnode Ready after start: ${fmt(readySeconds)} s; idle over ${params.idleSeconds} s: agent RSS ${fmt(idle.agentRssMiB, 0)} MiB, CPU ${fmt(idle.agentCpuPct, 1)}%; containerd RSS ${fmt(idle.containerdRssMiB, 0)} MiB, CPU ${fmt(idle.containerdCpuPct, 1)}%`);
    console.log(JSON.stringify({ bench: 'pods', ...params, readySeconds, idle, startup: { n: startup.length, p50: percentile(startup, 0.5), p99: percentile(startup, 0.99) }, heal: { n: heal.length, p50: percentile(heal, 0.5), p99: percentile(heal, 0.99) } }));
    for (const name of names) await client.delete(PODS, 'default', name, { gracePeriodSeconds: 0 }).catch(() => {});
    // Containers outlive the agent: wait until it has removed every sandbox before stopping it.
    for (let i = 0; i < 600 && (await cri.listPodSandbox()).length > 0; i++) await sleep(200);
  } finally {
    cri.close();
    if (agent && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await new Promise((r) => agent!.once('exit', r));
    }
    await transport.close();
    await server.stop().catch((err: unknown) => progress(`server stop: ${String(err)}`));
    stop.abort();
    await rm(agentDir, { recursive: true, force: true });
    spawn('ip', ['link', 'delete', BRIDGE], { stdio: 'ignore' });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
