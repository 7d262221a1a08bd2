// The admission chain through the real API server: priority, default tolerations, LimitRanges, quotas and the
// namespace lifecycle, as a client sees them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gvr, refusal, startTestCluster, type TestCluster } from '../../../test/support/cluster.ts';
import { eventually } from '../../../test/support/server.ts';
import type { KubeObject } from '../../client/client.ts';
import { ResourceQuotaController } from '../../controllers/resourcequota.ts';

type Obj = KubeObject & Record<string, any>;

describe('admission through the API server', () => {
  let cluster: TestCluster;
  const pod = (namespace: string, name: string, spec: Record<string, unknown> = {}, container: Record<string, unknown> = {}): Obj => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { containers: [{ name: 'app', image: 'nginx', ...container }], ...spec },
  });
  const createPod = (p: Obj, opts: { dryRun?: 'All' } = {}) => cluster.client.create<Obj>(gvr.pods, p.metadata!.namespace, p, opts);
  const namespace = (name: string) => cluster.client.create(gvr.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

  before(async () => {
    cluster = await startTestCluster({ controllers: { resourcequota: (ctx) => new ResourceQuotaController(ctx) } });
  });
  after(() => cluster?.stop());

  it('resolves priorityClassName to priority and preemptionPolicy; an unknown class is Forbidden', async () => {
    await cluster.client.create(gvr.priorityclasses, undefined, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'gold' }, value: 1000, preemptionPolicy: 'Never' });
    const gold = await createPod(pod('default', 'gold-pod', { priorityClassName: 'gold' }));
    assert.equal(gold['spec'].priority, 1000);
    assert.equal(gold['spec'].preemptionPolicy, 'Never');
    const critical = await createPod(pod('kube-system', 'critical', { priorityClassName: 'system-node-critical' }));
    assert.equal(critical['spec'].priority, 2000001000);
    const plain = await createPod(pod('default', 'plain'));
    assert.equal(plain['spec'].priority, 0);
    assert.equal(plain['spec'].preemptionPolicy, 'PreemptLowerPriority');
    const err = await refusal(() => createPod(pod('default', 'lost', { priorityClassName: 'platinum' })));
    assert.equal(err.code, 403);
    assert.equal(err.reason, 'Forbidden');
    assert.equal(err.message, 'pods "lost" is forbidden: no PriorityClass with name platinum was found');
  });

  it('refuses PriorityClasses users may not make', async () => {
    const pc = (name: string, value: number) => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value });
    const reserved = await refusal(() => cluster.client.create(gvr.priorityclasses, undefined, pc('system-mine', 10)));
    assert.equal(reserved.code, 422);
    assert.match(reserved.message, /priority class names with 'system-' prefix are reserved for system use only/);
    const tooHigh = await refusal(() => cluster.client.create(gvr.priorityclasses, undefined, pc('huge', 1_000_000_001)));
    assert.equal(tooHigh.code, 422);
    assert.match(tooHigh.message, /maximum allowed value of a user defined priority is 1000000000/);
  });

  it('adds the default NoExecute tolerations and the default service account', async () => {
    const p = await createPod(pod('default', 'tolerant', { tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 7 }] }));
    assert.deepEqual(p['spec'].tolerations, [
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 7 },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
    assert.equal(p['spec'].serviceAccountName, 'default');
  });

  it('defaults container resources from a LimitRange and refuses what exceeds its max', async () => {
    await namespace('limited');
    await cluster.client.create(gvr.limitranges, 'limited', {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'limits' },
      spec: { limits: [{ type: 'Container', max: { cpu: '1' }, default: { cpu: '500m', memory: '128Mi' }, defaultRequest: { cpu: '100m' } }] },
    });
    const p = await createPod(pod('limited', 'defaulted'));
    assert.deepEqual(p['spec'].containers[0].resources, { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
    assert.equal(p.metadata?.annotations?.['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app');
    assert.equal(p['status'].qosClass, 'Burstable');
    const err = await refusal(() => createPod(pod('limited', 'greedy', {}, { resources: { limits: { cpu: '2' } } })));
    assert.equal(err.code, 403);
    assert.equal(err.message, 'pods "greedy" is forbidden: maximum cpu usage per Container is 1, but limit is 2');
  });

  it('charges quota, refuses the third pod of a two-pod quota, and frees the room when a pod is deleted', async () => {
    await namespace('quota');
    await cluster.client.create(gvr.resourcequotas, 'quota', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { pods: '2' } } });
    const used = async () => ((await cluster.client.get<Obj>(gvr.resourcequotas, 'quota', 'q'))['status']?.used ?? {}) as Record<string, string>;
    await eventually('the controller to fill in the quota status', async () => ((await used())['pods'] === '0' ? true : undefined));

    await createPod(pod('quota', 'dry'), { dryRun: 'All' });
    assert.deepEqual(await used(), { pods: '0' }, 'a dry run charges nothing');
    await createPod(pod('quota', 'p1'));
    assert.deepEqual(await used(), { pods: '1' }, 'admission charges the quota before the pod lands');
    await createPod(pod('quota', 'p2'));
    const err = await refusal(() => createPod(pod('quota', 'p3')));
    assert.equal(err.code, 403);
    assert.equal(err.reason, 'Forbidden');
    assert.equal(err.message, 'pods "p3" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2');

    await cluster.client.delete(gvr.pods, 'quota', 'p1');
    await eventually('the controller to lower the usage', async () => ((await used())['pods'] === '1' ? true : undefined));
    await createPod(pod('quota', 'p3'));
    assert.deepEqual(await used(), { pods: '2' });
  });

  it('asks for cpu when a quota tracks it', async () => {
    await namespace('compute');
    await cluster.client.create(gvr.resourcequotas, 'compute', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'cpu' }, spec: { hard: { 'requests.cpu': '1', 'limits.cpu': '2' } } });
    await eventually('the quota status', async () => ((await cluster.client.get<Obj>(gvr.resourcequotas, 'compute', 'cpu'))['status']?.used ? true : undefined));
    const err = await refusal(() => createPod(pod('compute', 'bare')));
    assert.equal(err.message, 'pods "bare" is forbidden: failed quota: cpu: must specify limits.cpu for: app; requests.cpu for: app');
    await createPod(pod('compute', 'half', {}, { resources: { requests: { cpu: '500m' }, limits: { cpu: '1' } } }));
    const over = await refusal(() => createPod(pod('compute', 'more', {}, { resources: { requests: { cpu: '600m' }, limits: { cpu: '600m' } } })));
    assert.equal(over.message, 'pods "more" is forbidden: exceeded quota: cpu, requested: requests.cpu=600m, used: requests.cpu=500m, limited: requests.cpu=1');
  });

  it('keeps new content out of a terminating namespace and never deletes the system namespaces', async () => {
    await namespace('doomed');
    await cluster.client.create(gvr.configmaps, 'doomed', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keep', finalizers: ['example.com/hold'] } });
    await cluster.client.delete(gvr.namespaces, undefined, 'doomed');
    const err = await refusal(() => cluster.client.create(gvr.configmaps, 'doomed', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'new' } }));
    assert.equal(err.code, 403);
    assert.equal(err.message, 'configmaps "new" is forbidden: unable to create new content in namespace doomed because it is being terminated');
    assert.equal(err.status.details?.causes?.[0]?.reason, 'NamespaceTerminating');
    const missing = await refusal(() => cluster.client.create(gvr.configmaps, 'nowhere', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }));
    assert.equal(missing.code, 404);
    assert.equal(missing.message, 'namespaces "nowhere" not found');
    const immortal = await refusal(() => cluster.client.delete(gvr.namespaces, undefined, 'kube-system'));
    assert.equal(immortal.code, 403);
    assert.equal(immortal.message, 'namespaces "kube-system" is forbidden: this namespace may not be deleted');
  });
});
