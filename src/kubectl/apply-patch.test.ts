import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { builtinType, goJsonCompact, threeWayJsonMergePatch, threeWayStrategicPatch } from './apply-patch.ts';

const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';

const deployment = (containers: unknown[]) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { containers } } } });

describe('threeWayStrategicPatch', () => {
  it('is empty when the new configuration matches what was applied and the live object only adds defaults', () => {
    const applied = deployment([{ name: 'web', image: 'nginx' }]);
    const live = deployment([{ name: 'web', image: 'nginx', imagePullPolicy: 'Always', terminationMessagePath: '/dev/termination-log' }]);
    assert.deepEqual(threeWayStrategicPatch(applied, applied, live, DEPLOYMENT), {});
  });

  it('patches a container by its name and keeps the order with $setElementOrder', () => {
    const original = deployment([{ name: 'web', image: 'nginx:1', env: [{ name: 'A', value: '1' }] }, { name: 'side', image: 'busybox' }]);
    const modified = deployment([{ name: 'web', image: 'nginx:2', env: [{ name: 'A', value: '1' }] }, { name: 'side', image: 'busybox' }]);
    const patch = threeWayStrategicPatch(original, modified, original, DEPLOYMENT);
    assert.deepEqual(patch, { spec: { template: { spec: { containers: [{ image: 'nginx:2', name: 'web' }], '$setElementOrder/containers': [{ name: 'web' }, { name: 'side' }] } } } });
  });

  it('deletes list items and fields the new configuration dropped, leaving fields others set', () => {
    const original = { ...deployment([{ name: 'web', image: 'nginx', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }]), metadata: { name: 'web', labels: { a: '1', b: '2' } } };
    const modified = { ...deployment([{ name: 'web', image: 'nginx', env: [{ name: 'B', value: '2' }] }]), metadata: { name: 'web', labels: { b: '2' } } };
    const live = { ...original, metadata: { name: 'web', labels: { a: '1', b: '2', other: 'x' } } };
    const patch = threeWayStrategicPatch(original, modified, live, DEPLOYMENT) as { metadata: unknown; spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } };
    assert.deepEqual(patch.metadata, { labels: { a: null } });
    const container = patch.spec.template.spec.containers[0]!;
    assert.equal(container['name'], 'web');
    assert.deepEqual(container['env'], [{ name: 'A', $patch: 'delete' }]);
    assert.deepEqual(container['$setElementOrder/env'], [{ name: 'B' }]);
  });

  it('replaces atomic lists whole (no merge strategy) and adds retainKeys where the strategy asks', () => {
    const original = { apiVersion: 'apps/v1', kind: 'Deployment', spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } };
    const modified = { apiVersion: 'apps/v1', kind: 'Deployment', spec: { strategy: { type: 'Recreate' } } };
    const patch = threeWayStrategicPatch(original, modified, original, DEPLOYMENT);
    assert.deepEqual(patch, { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } } });
  });
});

describe('threeWayJsonMergePatch', () => {
  it('keeps additions from live to new and deletions from last-applied to new', () => {
    const original = { spec: { a: 1, b: 2 } };
    const modified = { spec: { b: 3 } };
    const live = { spec: { a: 1, b: 2, c: 9 } };
    assert.deepEqual(threeWayJsonMergePatch(original, modified, live), { spec: { a: null, b: 3 } });
    assert.deepEqual(threeWayJsonMergePatch(modified, modified, { spec: { b: 3, c: 9 } }), {});
  });
});

describe('builtinType and goJsonCompact', () => {
  it('knows built-in kinds and not custom ones', () => {
    assert.equal(builtinType('apps/v1', 'Deployment'), DEPLOYMENT);
    assert.equal(builtinType('v1', 'ConfigMap'), 'io.k8s.api.core.v1.ConfigMap');
    assert.equal(builtinType('example.com/v1', 'Widget'), undefined);
  });

  it('writes JSON as Go does: sorted keys, <>& escaped', () => {
    assert.equal(goJsonCompact({ b: '<&>', a: [{ z: 1, y: 2 }] }), '{"a":[{"y":2,"z":1}],"b":"\\u003c\\u0026\\u003e"}');
  });
});
