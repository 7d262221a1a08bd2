import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { containerPatch, globMatch, parseEnvChanges, parseResourceList, podSpecPath, splitEnvArgs, updateEnv } from './set.ts';

describe('kubectl set', () => {
  it('finds the pod spec of each workload kind', () => {
    assert.deepEqual(podSpecPath('Pod'), ['spec']);
    assert.deepEqual(podSpecPath('CronJob'), ['spec', 'jobTemplate', 'spec', 'template', 'spec']);
    assert.equal(podSpecPath('Service'), undefined);
  });

  it('splits resources from env changes and parses them', () => {
    assert.deepEqual(splitEnvArgs(['deploy/x', 'A=1', 'B-']), { resources: ['deploy/x'], pairs: ['A=1', 'B-'] });
    assert.throws(() => splitEnvArgs(['deploy/x', 'A=1', 'deploy/y']), { message: 'all resources must be specified before environment changes: deploy/x A=1 deploy/y' });
    assert.deepEqual(parseEnvChanges(['A=1', 'B-']), { env: [{ name: 'A', value: '1' }], remove: ['B'] });
    assert.throws(() => parseEnvChanges(['A=1', 'A-']), { message: 'can not both modify and remove the same environment variable in the same command' });
    assert.throws(() => parseEnvChanges(['A']), { message: 'unknown environment variable: A' });
  });

  it('updates env in place, appends new names, drops removed ones', () => {
    const env = updateEnv(
      [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ],
      [
        { name: 'B', value: '3' },
        { name: 'C', value: '4' },
      ],
      ['A'],
    );
    assert.deepEqual(env, [
      { name: 'B', value: '3' },
      { name: 'C', value: '4' },
    ]);
  });

  it('patches only what changed in a container; removed env vars become $patch: delete', () => {
    const before = { name: 'c', image: 'a', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] };
    const after = { name: 'c', image: 'b', env: [{ name: 'B', value: '2' }] };
    assert.deepEqual(containerPatch(before, after), { name: 'c', image: 'b', '$setElementOrder/env': [{ name: 'B' }], env: [{ $patch: 'delete', name: 'A' }] });
  });

  it('matches containers with Go path.Match globs and reads resource lists', () => {
    assert.ok(globMatch('web*', 'web-1'));
    assert.ok(!globMatch('web?', 'web-1'));
    assert.deepEqual(parseResourceList('memory=1Gi,cpu=1'), { cpu: '1', memory: '1Gi' });
    assert.throws(() => parseResourceList('cpu'), { message: 'Invalid argument syntax cpu, expected <resource>=<value>' });
  });
});
