// The Eviction API (POST pods/NAME/eviction) against the real API server: budgets allow, refuse, or are bypassed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.d.ts';
import { gvr, refusal, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { eventually } from '../../test/support/server.ts';
import type { KubeObject } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import { DisruptionController } from '../controllers/disruption.ts';
import { createNamespace, createNode, createPod } from '../controllers/endpoints-testpods.ts';

type PDB = PodDisruptionBudget & KubeObject;
type PodObject = Pod & KubeObject;

function evictor(cluster: () => TestCluster) {
  return (ns: string, name: string, options: { body?: unknown; dryRun?: boolean } = {}) =>
    cluster().client.transport.request({
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/pods/${name}/eviction`,
      body: options.body ?? { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns } },
      ...(options.dryRun ? { query: { dryRun: 'All' } } : {}),
    });
}

const SUCCESS = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };

describe('Eviction API with the disruption controller', () => {
  let cluster: TestCluster;
  const evict = evictor(() => cluster);
  before(async () => {
    cluster = await startTestCluster({ controllers: { disruption: (ctx) => new DisruptionController(ctx) } });
    await createNode(cluster.client, 'node-1');
  });
  after(() => cluster?.stop());

  const getPod = (ns: string, name: string) => cluster.client.get<PodObject>(gvr.pods, ns, name);
  const getPDB = (ns: string, name: string) => cluster.client.get<PDB>(gvr.poddisruptionbudgets, ns, name);

  it('evicts a pod no budget covers: graceful deletion, marked DisruptionTarget', async () => {
    const ns = 'evict-free';
    await createNamespace(cluster.client, ns);
    await createPod(cluster.client, ns, 'a', {}, { ip: '10.244.0.1' });
    const res = await evict(ns, 'a');
    assert.equal(res.status, 201);
    assert.deepEqual(res.body, SUCCESS);
    const pod = await getPod(ns, 'a');
    assert.ok(pod.metadata?.deletionTimestamp, 'a bound pod is deleted gracefully');
    const cond = pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
    assert.deepEqual([cond?.status, cond?.reason, cond?.message], ['True', 'EvictionByEvictionAPI', 'Eviction API: evicting']);

    await createPod(cluster.client, ns, 'b', {}, { ip: '10.244.0.2' });
    await evict(ns, 'b', { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'b' }, deleteOptions: { gracePeriodSeconds: 0 } } });
    await assert.rejects(getPod(ns, 'b'), (err) => isNotFound(err), 'gracePeriodSeconds 0 deletes at once');
  });

  it('takes a disruption off the budget, then refuses with 429 and the budget as cause', async () => {
    const ns = 'evict-budget';
    await createNamespace(cluster.client, ns);
    await createPod(cluster.client, ns, 'a', {}, { ip: '10.244.1.1' });
    await createPod(cluster.client, ns, 'b', {}, { ip: '10.244.1.2' });
    await cluster.client.create(gvr.poddisruptionbudgets, ns, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } } });
    await eventually('one disruption allowed', async () => ((await getPDB(ns, 'web')).status?.disruptionsAllowed === 1 ? true : undefined));

    const res = await evict(ns, 'a');
    assert.equal(res.status, 201);
    assert.equal((await getPDB(ns, 'web')).status?.disruptionsAllowed, 0, 'the disruption is spent');
    assert.ok((await getPod(ns, 'a')).metadata?.deletionTimestamp);

    await eventually('the budget recounted', async () => ((await getPDB(ns, 'web')).status?.currentHealthy === 1 ? true : undefined));
    const err = await refusal(evict(ns, 'b'));
    assert.equal(err.code, 429);
    assert.equal(err.status.reason, 'TooManyRequests');
    assert.equal(err.status.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    assert.deepEqual(err.status.details?.causes, [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 1 healthy pods and has 1 currently' }]);
    assert.equal((await getPod(ns, 'b')).metadata?.deletionTimestamp, undefined);
  });

  it('changes nothing on a dry run', async () => {
    const ns = 'evict-dry';
    await createNamespace(cluster.client, ns);
    await createPod(cluster.client, ns, 'a', {}, { ip: '10.244.2.1' });
    await createPod(cluster.client, ns, 'b', {}, { ip: '10.244.2.2' });
    await cluster.client.create(gvr.poddisruptionbudgets, ns, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } } });
    await eventually('one disruption allowed', async () => ((await getPDB(ns, 'web')).status?.disruptionsAllowed === 1 ? true : undefined));
    const before = await getPDB(ns, 'web');
    const res = await evict(ns, 'a', { dryRun: true });
    assert.deepEqual([res.status, res.body], [201, SUCCESS]);
    const pod = await getPod(ns, 'a');
    assert.equal(pod.metadata?.deletionTimestamp, undefined);
    assert.equal(pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget'), undefined);
    const afterDryRun = await getPDB(ns, 'web');
    assert.equal(afterDryRun.metadata?.resourceVersion, before.metadata?.resourceVersion);
  });
});

describe('Eviction API with budget status set by hand', () => {
  let cluster: TestCluster;
  const evict = evictor(() => cluster);
  before(async () => {
    cluster = await startTestCluster();
    await createNode(cluster.client, 'node-1');
  });
  after(() => cluster?.stop());

  const createPDB = async (ns: string, name: string, spec: NonNullable<PodDisruptionBudget['spec']>, status?: Partial<NonNullable<PodDisruptionBudget['status']>>) => {
    const pdb = await cluster.client.create<PDB>(gvr.poddisruptionbudgets, ns, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec });
    if (!status) return pdb;
    const full = { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0, observedGeneration: pdb.metadata?.generation ?? 1, ...status };
    return cluster.client.updateStatus<PDB>(gvr.poddisruptionbudgets, ns, { ...pdb, status: full });
  };

  it('decrements disruptionsAllowed, records the pod, and turns DisruptionAllowed false at zero', async () => {
    const ns = 'hand-decrement';
    await createNamespace(cluster.client, ns);
    await createPod(cluster.client, ns, 'a', {}, { ip: '10.244.3.1' });
    await createPDB(ns, 'web', { minAvailable: 1, selector: { matchLabels: { app: 'web' } } }, {
      currentHealthy: 2,
      desiredHealthy: 1,
      expectedPods: 2,
      disruptionsAllowed: 1,
      conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', lastTransitionTime: '2025-01-01T00:00:00Z', observedGeneration: 1 }],
    });
    await evict(ns, 'a');
    const s = (await cluster.client.get<PDB>(gvr.poddisruptionbudgets, ns, 'web')).status!;
    assert.equal(s.disruptionsAllowed, 0);
    assert.ok(s.disruptedPods?.['a']);
    const cond = s.conditions?.find((c) => c.type === 'DisruptionAllowed');
    assert.deepEqual([cond?.status, cond?.reason], ['False', 'InsufficientPods']);
    assert.notEqual(cond?.lastTransitionTime, '2025-01-01T00:00:00Z');
  });

  it('refuses while the budget’s status is older than its spec', async () => {
    const ns = 'hand-stale';
    await createNamespace(cluster.client, ns);
    await createPod(cluster.client, ns, 'a', {}, { ip: '10.244.4.1' });
    await createPDB(ns, 'web', { minAvailable: 0, selector: { matchLabels: { app: 'web' } } }, { disruptionsAllowed: 5, observedGeneration: 0 });
    const err = await refusal(evict(ns, 'a'));
    assert.equal(err.code, 429);
    assert.deepEqual(err.status.details?.causes, [{ reason: 'DisruptionBudget', message: 'The disruption budget web is still being processed by the server.' }]);
    assert.equal(err.status.details?.retryAfterSeconds, 10);
  });

  it('refuses a pod covered by two budgets', async () => {
    const ns = 'hand-two';
    await createNamespace(cluster.client, ns);
    await createPod(cluster.client, ns, 'a', {}, { ip: '10.244.5.1' });
    await createPDB(ns, 'one', { minAvailable: 0, selector: { matchLabels: { app: 'web' } } }, { disruptionsAllowed: 1 });
    await createPDB(ns, 'two', { minAvailable: 0, selector: { matchLabels: { app: 'web' } } }, { disruptionsAllowed: 1 });
    const err = await refusal(evict(ns, 'a'));
    assert.equal(err.code, 500);
    assert.equal(err.status.message, 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  });

  it('evicts pending pods whatever the budget says', async () => {
    const ns = 'hand-pending';
    await createNamespace(cluster.client, ns);
    await createPod(cluster.client, ns, 'bound');
    await createPod(cluster.client, ns, 'unscheduled', { node: '' });
    await createPDB(ns, 'web', { minAvailable: 1, selector: { matchLabels: { app: 'web' } } }, { disruptionsAllowed: 0, desiredHealthy: 1 });
    assert.equal((await evict(ns, 'bound')).status, 201);
    assert.ok((await cluster.client.get<PodObject>(gvr.pods, ns, 'bound')).metadata?.deletionTimestamp, 'a bound pod is deleted gracefully');
    assert.equal((await evict(ns, 'unscheduled')).status, 201);
    await assert.rejects(cluster.client.get(gvr.pods, ns, 'unscheduled'), (err) => isNotFound(err), 'an unscheduled pod goes at once');
  });

  it('evicts a running pod that is not ready per unhealthyPodEvictionPolicy', async () => {
    const ns = 'hand-unhealthy';
    await createNamespace(cluster.client, ns);
    await createPod(cluster.client, ns, 'sick', { labels: { app: 'web' } }, { ip: '10.244.6.1', ready: false });
    await createPod(cluster.client, ns, 'ill', { labels: { app: 'api' } }, { ip: '10.244.6.2', ready: false });
    // The guarded application is short of healthy pods: IfHealthyBudget keeps the unhealthy one, AlwaysAllow lets it go.
    const short = { currentHealthy: 1, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 0 };
    await createPDB(ns, 'web', { minAvailable: 2, selector: { matchLabels: { app: 'web' } }, unhealthyPodEvictionPolicy: 'IfHealthyBudget' }, short);
    await createPDB(ns, 'api', { minAvailable: 2, selector: { matchLabels: { app: 'api' } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' }, short);
    assert.equal((await refusal(evict(ns, 'sick'))).code, 429);
    assert.equal((await evict(ns, 'ill')).status, 201);
    assert.ok((await cluster.client.get<PodObject>(gvr.pods, ns, 'ill')).metadata?.deletionTimestamp);
    // A healthy budget lets unhealthy pods go without spending a disruption.
    await cluster.client.patch(gvr.poddisruptionbudgets, ns, 'web', 'merge', { status: { currentHealthy: 2 } }, { subresource: 'status' });
    assert.equal((await evict(ns, 'sick')).status, 201);
    assert.equal((await cluster.client.get<PDB>(gvr.poddisruptionbudgets, ns, 'web')).status?.disruptedPods, undefined);
  });

  it('accepts a policy/v1beta1 Eviction and checks the name', async () => {
    const ns = 'hand-body';
    await createNamespace(cluster.client, ns);
    await createPod(cluster.client, ns, 'a', {}, { ip: '10.244.7.1' });
    const mismatch = await refusal(evict(ns, 'a', { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'b' } } }));
    assert.deepEqual([mismatch.code, mismatch.status.message], [400, 'name in URL does not match name in Eviction object']);
    const res = await evict(ns, 'a', { body: { apiVersion: 'policy/v1beta1', kind: 'Eviction', metadata: { name: 'a' }, deleteOptions: { gracePeriodSeconds: 0 } } });
    assert.equal(res.status, 201);
    await assert.rejects(cluster.client.get(gvr.pods, ns, 'a'), (err) => isNotFound(err));
  });
});
