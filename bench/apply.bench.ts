// kubectl apply of a 50-object manifest against skiff server, beside plain creates of the same objects, in one run.
// Run: node --import tsx bench/apply.bench.ts   (prints a table and one BENCH_JSON line)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubectl } from '../test/support/kubectl.ts';
import { startSkiffServer } from '../test/support/server.ts';

const OBJECTS = 50;
const ROUNDS = 3;

/** 50 objects: Deployments, Services and ConfigMaps in turn, in namespace ns. */
function manifest(ns: string): string {
  const docs: string[] = [];
  for (let i = 0; i < OBJECTS; i++) {
    const name = `obj-${i}`;
    if (i % 3 === 0) {
      docs.push(`apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}, labels: {app: ${name}}}
spec:
  replicas: 2
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80}]
        env: [{name: MODE, value: bench}]
        resources: {requests: {cpu: 10m, memory: 16Mi}}`);
    } else if (i % 3 === 1) {
      docs.push(`apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}}
spec:
  selector: {app: ${name}}
  ports: [{port: 80, targetPort: 80}]`);
    } else {
      docs.push(`apiVersion: v1
kind: ConfigMap
metadata: {name: ${name}, namespace: ${ns}}
data: {key: value-${i}, other: "${'x'.repeat(200)}"}`);
    }
  }
  return docs.join('\n---\n') + '\n';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const server = await startSkiffServer({ datastore: 'sqlite' });
const times: Record<string, number[]> = { create: [], 'apply (creates)': [], 'apply (no-op)': [], 'apply --server-side (creates)': [], 'apply --server-side (no-op)': [] };
try {
  const run = async (label: string, args: string[]): Promise<void> => {
    const t0 = performance.now();
    const r = await kubectl(args, { kubeconfig: server.kubeconfig, timeoutMs: 120_000 });
    const ms = performance.now() - t0;
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
    times[label]!.push(ms);
  };
  // Warm kubectl's discovery cache and the server's OpenAPI documents first.
  await run('create', ['create', 'namespace', 'warm']);
  times['create'] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [kind, label, extra] of [
      ['c', 'create', []],
      ['a', 'apply (creates)', []],
      ['s', 'apply --server-side (creates)', ['--server-side']],
    ] as const) {
      const ns = `${kind}${round}`;
      await kubectl(['create', 'namespace', ns], { kubeconfig: server.kubeconfig });
      const file = join(server.dataDir, `${ns}.yaml`);
      writeFileSync(file, manifest(ns));
      await run(label, [kind === 'c' ? 'create' : 'apply', ...extra, '-f', file]);
      if (kind === 'a') await run('apply (no-op)', ['apply', '-f', file]);
      if (kind === 's') await run('apply --server-side (no-op)', ['apply', '--server-side', '-f', file]);
    }
  }
} finally {
  await server.stop();
}

const create = median(times['create']!);
console.log(`kubectl 1.35 against skiff server (sqlite): ${OBJECTS} objects (Deployments, Services, ConfigMaps), median of ${ROUNDS} rounds, wall time of the kubectl command\n`);
console.log(`${'operation'.padEnd(32)}${'median ms'.padStart(12)}${'vs create'.padStart(12)}`);
console.log('-'.repeat(56));
for (const [label, xs] of Object.entries(times)) console.log(`${label.padEnd(32)}${median(xs).toFixed(0).padStart(12)}${(median(xs) / create).toFixed(2).padStart(11)}x`);
const noop = median(times['apply (no-op)']!);
console.log(`\nTarget: no-op re-apply of ${OBJECTS} objects under 1000 ms: ${noop.toFixed(0)} ms ${noop < 1000 ? 'PASS' : 'MISS'}`);
console.log(`BENCH_JSON ${JSON.stringify({ objects: OBJECTS, rounds: ROUNDS, medianMs: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.round(median(v))])), samples: times })}`);
