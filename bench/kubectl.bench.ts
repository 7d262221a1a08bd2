// Skiff's kubectl beside the real kubectl 1.35 in one run: wall time of `get pods` with 200 pods, `get pod,svc`,
// `apply -f` of a 20-object file (Deployments, Services, ConfigMaps) and `version --client`, median of 15 runs each
// taken in turns, warm discovery cache for both. Creating the objects happens once, in the untimed warm-up runs (each
// tool applies the file once); the timed runs are re-applies with nothing to change, which every tool repeats alike.
// Skiff's runs from the bundle (dist/skiff.mjs, built first). Run: npm run bench:kubectl
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster } from '../test/support/cluster.ts';
import { kubeCacheDir, kubectlPath } from '../test/support/kubectl.ts';
import { repoRoot } from '../test/support/server.ts';
import { dirname } from 'node:path';

const PODS = 200;
const RUNS = 15;
const APPLY_OBJECTS = 20;

/** Deployments, Services and ConfigMaps in turn, as one multi-document YAML file. */
function applyManifest(count: number): string {
  const docs: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `applied-${Math.floor(i / 3)}`;
    if (i % 3 === 0) {
      docs.push(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: 2
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
`);
    } else if (i % 3 === 1) {
      docs.push(`apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector: {app: ${name}}
  ports:
  - port: 80
    targetPort: 80
`);
    } else {
      docs.push(`apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
data:
  greeting: hello
  index.html: "<h1>${name}</h1>"
`);
    }
  }
  return docs.join('---\n');
}

const build = spawnSync(process.execPath, [join(repoRoot, 'build.mjs')], { env: { ...process.env, SKIFF_BUILD_QUIET: '1' }, stdio: 'inherit' });
if (build.status !== 0) throw new Error('build failed');

const cluster = await startTestCluster();
const work = mkdtempSync(join(tmpdir(), 'skiff-kubectl-bench-'));
try {
  const manifest = join(work, 'apply.yaml');
  writeFileSync(manifest, applyManifest(APPLY_OBJECTS));
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
  // Another clone's build to compare against (e.g. the last commit, built in a temporary directory).
  const baseline = process.env['SKIFF_BENCH_BASELINE'];
  if (baseline) tools['baseline bin/skiff kubectl'] = [join(baseline, 'bin/skiff'), 'kubectl'];
  const commands: Array<{ args: string[]; expect: string; label?: string }> = [
    { args: ['get', 'pods'], expect: 'bench-199' },
    { args: ['get', 'pod,svc'], expect: 'bench-199' },
    // The first (warm-up) apply of each tool may create or configure; every timed one finds nothing to change.
    { args: ['apply', '-f', manifest], expect: 'service/applied-6 unchanged', label: `apply -f (${APPLY_OBJECTS})` },
    { args: ['version', '--client'], expect: 'Client Version' },
  ];
  const rows: Array<{ tool: string; command: string; medianMs: number; minMs: number }> = [];
  for (const command of commands) {
    // Asynchronous: the API server runs in this process and must keep answering.
    const run = (tool: string, argv: string[], check = true) =>
      new Promise<number>((resolve, reject) => {
        const start = process.hrtime.bigint();
        const child = spawn(argv[0]!, [...argv.slice(1), ...command.args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
        child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.on('close', (code) => {
          clearTimeout(timer);
          const ms = Number(process.hrtime.bigint() - start) / 1e6;
          if (code !== 0 || (check && !stdout.includes(command.expect))) reject(new Error(`${tool} ${command.args.join(' ')} failed: ${stderr}`));
          else resolve(ms);
        });
      });
    const times = new Map<string, number[]>();
    for (const [tool, argv] of Object.entries(tools)) {
      await run(tool, argv, false); // warm the discovery cache and the page cache (and apply the file once)
      times.set(tool, []);
    }
    // Round-robin, so load from other processes on the machine falls on every tool alike.
    for (let i = 0; i < RUNS; i++) for (const [tool, argv] of Object.entries(tools)) times.get(tool)!.push(await run(tool, argv));
    for (const [tool, list] of times) {
      list.sort((a, b) => a - b);
      const mid = list.length / 2;
      rows.push({ tool, command: command.label ?? command.args.join(' '), medianMs: (list[Math.floor(mid - 0.5)]! + list[Math.ceil(mid - 0.5)]!) / 2, minMs: list[0]! });
    }
  }
  console.log(`${'command'.padEnd(18)}${'tool'.padEnd(30)}${'median ms'.padStart(10)}${'min ms'.padStart(9)}`);
  for (const r of rows) console.log(`${r.command.padEnd(18)}${r.tool.padEnd(30)}${r.medianMs.toFixed(1).padStart(10)}${r.minMs.toFixed(1).padStart(9)}`);
  console.log(`BENCH_JSON ${JSON.stringify({ bench: 'kubectl', pods: PODS, runs: RUNS, rows })}`);
} finally {
  await cluster.stop();
  rmSync(work, { recursive: true, force: true });
}
