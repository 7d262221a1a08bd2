import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunEnvs, parseRunLabels, runPod } from './run.ts';

describe('kubectl run', () => {
  it('parses --labels and --env with kubectl messages', () => {
    assert.deepEqual(parseRunLabels('b=2,a=1'), { a: '1', b: '2' });
    assert.throws(() => parseRunLabels('a'), { message: 'unexpected label spec: a' });
    assert.throws(() => parseRunLabels('=x'), { message: 'unexpected empty label key' });
    assert.deepEqual(parseRunEnvs(['A=1=2']), [{ name: 'A', value: '1=2' }]);
    assert.throws(() => parseRunEnvs(['1A=x']), { message: 'invalid env: 1A=x' });
  });

  it('builds the pod with args (or command), port, env and policies in Go field order', () => {
    const pod = runPod({ name: 'p', image: 'nginx', labels: { run: 'p' }, env: [{ name: 'A', value: '1' }], args: ['sleep', '1'], command: true, port: '80', restartPolicy: 'Never', imagePullPolicy: 'Always', privileged: false });
    const container = (pod['spec'] as { containers: Array<Record<string, unknown>> }).containers[0]!;
    assert.deepEqual(Object.keys(container), ['name', 'image', 'command', 'ports', 'env', 'resources', 'imagePullPolicy']);
    assert.deepEqual(pod['spec'] && Object.keys(pod['spec']), ['containers', 'restartPolicy', 'dnsPolicy']);
  });
});
