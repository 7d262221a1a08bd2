// Skiff's kubectl beside the real kubectl 1.35 in one run: wall time of `get pods` with 200 pods and of `get pod,svc`,
// median of 10 runs each, warm discovery cache for both. Skiff's runs from the bundle (dist/skiff.mjs, built first).
// Run: npm run bench:kubectl
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startTestCluster } from '../test/support/cluster.ts';
import { kubeCacheDir, kubectlPath } from '../test/support/kubectl.ts';
import { repoRoot } from '../test/support/server.ts';
import { dirname } from 'node:path';

const PODS = 200;
const RUNS = 10;

const build = spawnSync(process.execPath, [join(repoRoot, 'build.mjs')], { env: { ...process.env, SKIFF_BUILD_QUIET: '1' }, stdio: 'inherit' });
if (build.status !== 0) throw new Error('build failed');

const cluster = await startTestCluster();
try {
  const pods = { group: '', version: 'v1', resource: 'pods' };
  const services = { group: '', version: 'v1', resource: 'services' };
  for (let i = 0; i < PODS; i++) {
    await cluster.client.create(pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `bench-${i}`, labels: { app: 'bench' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
  }
  for (let i = 0; i < 5; i++) {
    await cluster.client.create(services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}` }, spec: { selector: { app: 'bench' }, ports: [{ port: 80 + i }] } });
  }
  const env = { ...process.env, KUBECONFIG: cluster.kubeconfig, KUBECACHEDIR: kubeCacheDir(cluster.kubeconfig), HOME: dirname(kubeCacheDir(cluster.kubeconfig)), KUBERC: 'off' };
  const tools: Record<string, string[]> = {
    'kubectl 1.35 (Go)': [kubectlPath()],
    'node dist/skiff.mjs kubectl': [process.execPath, join(repoRoot, 'dist/skiff.mjs'), 'kubectl'],
    'bin/skiff kubectl': [join(repoRoot, 'bin/skiff'), 'kubectl'],
  };
  const commands = [['get', 'pods'], ['get', 'pod,svc']];
  const rows: Array<{ tool: string; command: string; medianMs: number; minMs: number }> = [];
  for (const command of commands) {
    for (const [tool, argv] of Object.entries(tools)) {
      // Asynchronous: the API server runs in this process and must keep answering.
      const run = () =>
        new Promise<number>((resolve, reject) => {
          const start = process.hrtime.bigint();
          const child = spawn(argv[0]!, [...argv.slice(1), ...command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
          let stdout = '';
          let stderr = '';
          child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
          child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
          const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
          child.on('close', (code) => {
            clearTimeout(timer);
            const ms = Number(process.hrtime.bigint() - start) / 1e6;
            if (code !== 0 || !stdout.includes('bench-199')) reject(new Error(`${tool} ${command.join(' ')} failed: ${stderr}`));
            else resolve(ms);
          });
        });
      await run(); // warm the discovery cache and the page cache
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) times.push(await run());
      times.sort((a, b) => a - b);
      rows.push({ tool, command: `get ${command[1]}`, medianMs: (times[4]! + times[5]!) / 2, minMs: times[0]! });
    }
  }
  console.log(`${'command'.padEnd(14)}${'tool'.padEnd(30)}${'median ms'.padStart(10)}${'min ms'.padStart(9)}`);
  for (const r of rows) console.log(`${r.command.padEnd(14)}${r.tool.padEnd(30)}${r.medianMs.toFixed(1).padStart(10)}${r.minMs.toFixed(1).padStart(9)}`);
  console.log(`BENCH_JSON ${JSON.stringify({ bench: 'kubectl', pods: PODS, runs: RUNS, rows })}`);
} finally {
  await cluster.stop();
}
