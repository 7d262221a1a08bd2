import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { drainErrors, drainWarnings, filterPods, podsToDelete } from './drain.ts';
import { conflicts, parseTaints, reorganize, TaintSpecError } from './taints.ts';
import { parseGoDuration } from './goduration.ts';

const pod = (name: string, extra: Partial<Pod> & { owner?: string } = {}): Pod => ({
  metadata: { name, namespace: 'default', ...(extra.owner ? { ownerReferences: [{ apiVersion: extra.owner === 'DaemonSet' ? 'apps/v1' : 'apps/v1', kind: extra.owner, name: 'o', uid: 'u', controller: true }] } : {}) },
  spec: { containers: [], ...extra.spec },
  status: { phase: 'Running', ...extra.status },
});

describe('drain filters', () => {
  const exists = async () => undefined;

  it('stops at DaemonSet pods, local data and pods without a controller, with kubectl 1.35 messages', async () => {
    const pods = [pod('ds', { owner: 'DaemonSet' }), pod('solo'), pod('tmp', { owner: 'ReplicaSet', spec: { containers: [], volumes: [{ name: 'v', emptyDir: {} }] } }), pod('ok', { owner: 'ReplicaSet' })];
    const verdicts = await filterPods(pods, { force: false, ignoreDaemonSets: false, deleteEmptyDirData: false, skipWaitForDeleteTimeoutSeconds: 0 }, exists);
    assert.deepEqual(drainErrors(verdicts), [
      'cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/ds',
      'cannot delete cannot delete Pods that declare no controller (use --force to override): default/solo',
      'cannot delete Pods with local storage (use --delete-emptydir-data to override): default/tmp',
    ]);
    assert.deepEqual(podsToDelete(verdicts).map((p) => p.metadata!.name), ['ok']);
  });

  it('with the overriding flags deletes them, warning only as the last filter that spoke', async () => {
    const pods = [pod('ds', { owner: 'DaemonSet' }), pod('solo'), pod('tmp', { owner: 'ReplicaSet', spec: { containers: [], volumes: [{ name: 'v', emptyDir: {} }] } }), pod('done', { status: { phase: 'Succeeded' } })];
    const verdicts = await filterPods(pods, { force: true, ignoreDaemonSets: true, deleteEmptyDirData: true, skipWaitForDeleteTimeoutSeconds: 0 }, exists);
    assert.deepEqual(drainErrors(verdicts), []);
    assert.equal(drainWarnings(verdicts), 'ignoring DaemonSet-managed Pods: default/ds; deleting Pods that declare no controller: default/solo');
    assert.deepEqual(podsToDelete(verdicts).map((p) => p.metadata!.name), ['solo', 'tmp', 'done']);
  });

  it('a pod of a missing DaemonSet goes only with --force', async () => {
    const missing = async () => ({ message: 'daemonsets.apps "o" not found', notFound: true });
    const [refused] = await filterPods([pod('ds', { owner: 'DaemonSet' })], { force: false, ignoreDaemonSets: true, deleteEmptyDirData: false, skipWaitForDeleteTimeoutSeconds: 0 }, missing);
    assert.deepEqual(refused!.verdict, { delete: false, error: 'daemonsets.apps "o" not found' });
    const [forced] = await filterPods([pod('ds', { owner: 'DaemonSet' })], { force: true, ignoreDaemonSets: true, deleteEmptyDirData: false, skipWaitForDeleteTimeoutSeconds: 0 }, missing);
    assert.equal(forced!.verdict.delete, true);
  });
});

describe('taints', () => {
  it('parses additions and removals, refusing bad effects, values and duplicates', () => {
    assert.deepEqual(parseTaints(['a=b:NoSchedule', 'c:NoExecute', 'd-', 'e:PreferNoSchedule-']), {
      add: [{ key: 'a', value: 'b', effect: 'NoSchedule' }, { key: 'c', effect: 'NoExecute' }],
      remove: [{ key: 'd', effect: '' }, { key: 'e', effect: 'PreferNoSchedule' }],
    });
    assert.throws(() => parseTaints(['a=b:Never']), { message: 'invalid taint effect: Never, unsupported taint effect' });
    assert.throws(() => parseTaints(['a=b']), TaintSpecError);
    assert.throws(() => parseTaints(['a=b:NoSchedule', 'a=c:NoSchedule']), { message: 'duplicated taints with the same key and effect: {a c NoSchedule <nil>}' });
    assert.throws(() => parseTaints(['a=b c:NoSchedule']), /invalid taint spec: a=b c:NoSchedule, a valid label must be/);
  });

  it('adds, overwrites and removes as kubectl reports them', () => {
    const current = [{ key: 'a', value: '1', effect: 'NoSchedule' }];
    assert.deepEqual(reorganize(current, false, [{ key: 'b', effect: 'NoExecute' }], []), { operation: 'tainted', taints: [{ key: 'b', effect: 'NoExecute' }, ...current] });
    assert.deepEqual(reorganize(current, true, [{ key: 'a', value: '2', effect: 'NoSchedule' }], []).operation, 'modified');
    assert.deepEqual(reorganize(current, false, [], [{ key: 'a', effect: '' }]), { operation: 'untainted', taints: [] });
    assert.throws(() => reorganize(current, false, [], [{ key: 'a', effect: 'NoExecute' }]), { message: 'taint "a:NoExecute" not found' });
    assert.deepEqual(conflicts([{ key: 'a', effect: 'NoSchedule' }], [{ key: 'a', effect: '' }]), ['a=']);
  });
});

describe('Go durations', () => {
  it('reads what time.ParseDuration reads, with its errors', () => {
    assert.equal(parseGoDuration('1m30s'), 90_000);
    assert.equal(parseGoDuration('1.5h'), 5_400_000);
    assert.equal(parseGoDuration('250ms'), 250);
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('-2s'), -2000);
    assert.throws(() => parseGoDuration('5'), { message: 'time: missing unit in duration "5"' });
    assert.throws(() => parseGoDuration('soon'), { message: 'time: invalid duration "soon"' });
    assert.throws(() => parseGoDuration('3d'), { message: 'time: unknown unit "d" in duration "3d"' });
  });
});
