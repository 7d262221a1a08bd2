// The status manager against the real API server: writes only changes, keeps other writers' fields, never writes
// onto another pod of the same name, and deletes with the UID precondition.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../../test/support/cluster.ts';
import type { KubeObject } from '../../client/client.ts';
import { isNotFound } from '../../client/errors.ts';
import { canonicalJSON, StatusManager } from './status-manager.ts';

describe('StatusManager', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster();
  });
  after(() => cluster?.stop());

  const create = async (name: string) =>
    (await cluster.client.create(gvr.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: 'n', containers: [{ name: 'c', image: 'nginx' }] } } as KubeObject)) as Pod;
  const get = async (name: string) => (await cluster.client.get(gvr.pods, 'default', name)) as Pod;

  it('compares statuses regardless of key order and nulls', () => {
    assert.equal(canonicalJSON({ b: 1, a: [{ y: null, x: 2 }] }), canonicalJSON({ a: [{ x: 2 }], b: 1 }));
  });

  it('writes a changed status once, through pods/status, as kubelet', async () => {
    const pod = await create('a');
    await cluster.client.patch(gvr.pods, 'default', 'a', 'merge', { status: { nominatedNodeName: 'n' } }, { subresource: 'status' });
    const sm = new StatusManager(cluster.client);
    const status = { phase: 'Running', hostIP: '192.0.2.1', qosClass: 'BestEffort' };
    assert.equal(await sm.setStatus(await get('a'), status), true);
    const written = await get('a');
    assert.equal(written.status?.phase, 'Running');
    assert.equal(written.status?.hostIP, '192.0.2.1');
    assert.equal(written.status?.nominatedNodeName, 'n', "the scheduler's field stays");
    assert.ok(written.metadata?.managedFields?.some((f) => f.manager === 'kubelet' && f.subresource === 'status'));
    assert.equal(await sm.setStatus(written, status), false, 'nothing changed');
    assert.equal(await sm.setStatus(pod, status), false, 'a stale copy does not cause a write either');
    assert.deepEqual(sm.currentStatus(pod), status);
  });

  it('does not write onto a new pod that took the name, and deletes only its own pod', async () => {
    const old = await create('b');
    await cluster.client.delete(gvr.pods, 'default', 'b', { gracePeriodSeconds: 0 });
    await create('b');
    const sm = new StatusManager(cluster.client);
    assert.equal(await sm.setStatus(old, { phase: 'Failed' }), false);
    assert.notEqual((await get('b')).status?.phase, 'Failed');
    await sm.deletePod(old);
    assert.ok(await get('b'), 'the new pod stays');
    const current = await get('b');
    await sm.deletePod(current);
    await assert.rejects(get('b'), (err: unknown) => isNotFound(err));
  });
});
