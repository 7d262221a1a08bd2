import { writeFileSync } from 'node:fs';
import { kubectl } from './support/kubectl.ts';
import { startTestCluster } from './support/cluster.ts';
const c = await startTestCluster();
const docs = [];
for (let i = 0; i < 50; i++) docs.push(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}, namespace: default}\ndata: {k: v${i}}`);
writeFileSync('/tmp/m.yaml', docs.join('\n---\n'));
await kubectl(['apply', '-f', '/tmp/m.yaml'], { kubeconfig: c.kubeconfig });
for (let r = 0; r < 3; r++) {
  const t = performance.now();
  const res = await kubectl(['apply', '-f', '/tmp/m.yaml'], { kubeconfig: c.kubeconfig });
  console.log('noop', Math.round(performance.now() - t), res.stdout.split('\n')[0]);
}
await c.stop();
