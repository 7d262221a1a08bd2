// The ReplicaSet controller against a real API server, with a fake kubelet making its pods ready.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { startFakeKubelet, type FakeKubelet } from '../../test/support/fakekubelet.ts';
import { eventually } from '../../test/support/server.ts';
import type { KubeObject } from '../client/client.ts';
import { controllerRefOf } from './podcontrol.ts';
import { ReplicaSetController, ReplicationManager, type ReplicaSetObject } from './replicaset.ts';

type PodObject = Pod & KubeObject;
const NS = 'default';

describe('ReplicaSet controller', () => {
  let cluster: TestCluster;
  let kubelet: FakeKubelet;
  before(async () => {
    cluster = await startTestCluster({ controllers: { replicaset: (ctx) => new ReplicaSetController(ctx), replicationcontroller: (ctx) => new ReplicationManager(ctx) } });
    kubelet = startFakeKubelet(cluster.client, { ready: (pod) => !pod.metadata?.labels?.['never-ready'] });
  });
  after(async () => {
    await kubelet?.stop();
    await cluster?.stop();
  });

  const rsObject = (name: string, replicas: number, extra: Record<string, unknown> = {}): ReplicaSetObject => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }], ...extra } },
    },
  });
  const getRS = (name: string) => cluster.client.get<ReplicaSetObject>(gvr.replicasets, NS, name);
  const podsOf = async (app: string): Promise<PodObject[]> => (await cluster.client.list<PodObject>(gvr.pods, NS, { labelSelector: `app=${app}` })).items;
  const ownedPods = async (rs: ReplicaSetObject): Promise<PodObject[]> =>
    (await podsOf(rs.spec!.selector!.matchLabels!['app']!)).filter((p) => controllerRefOf(p)?.uid === rs.metadata?.uid && !p.metadata?.deletionTimestamp);
  const eventsOf = async (name: string) =>
    (await cluster.client.list<KubeObject & { reason?: string; message?: string; source?: { component?: string } }>(gvr.events, NS, { fieldSelector: `involvedObject.name=${name}` })).items;
  const until = (what: string, check: () => Promise<void>) => eventually(what, async () => (await check(), true), { timeoutMs: 20_000 });
  const setReplicas = (name: string, replicas: number) => cluster.client.patch(gvr.replicasets, NS, name, 'merge', { spec: { replicas } });

  it('creates pods up to spec.replicas, owned by the ReplicaSet, and reports them ready and available', async () => {
    await cluster.client.create(gvr.replicasets, NS, rsObject('web', 3));
    const rs = await eventually('three ready replicas', async () => {
      const rs = await getRS('web');
      assert.equal(rs.status?.replicas, 3);
      assert.equal(rs.status?.readyReplicas, 3);
      assert.equal(rs.status?.availableReplicas, 3);
      assert.equal(rs.status?.fullyLabeledReplicas, 3);
      assert.equal(rs.status?.observedGeneration, rs.metadata?.generation);
      return rs;
    });
    const pods = await ownedPods(rs);
    assert.equal(pods.length, 3);
    for (const pod of pods) {
      assert.match(pod.metadata!.name!, /^web-[a-z0-9]{5}$/);
      const ref = controllerRefOf(pod)!;
      assert.deepEqual({ ...ref }, { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata!.uid, controller: true, blockOwnerDeletion: true });
    }
    assert.equal(rs.status?.terminatingReplicas, 0);
    const created = await eventually('SuccessfulCreate events', async () => {
      const events = (await eventsOf('web')).filter((e) => e.reason === 'SuccessfulCreate');
      assert.equal(events.length, 3);
      return events;
    });
    assert.deepEqual(created.map((e) => e.message).sort(), pods.map((p) => `Created pod: ${p.metadata!.name}`).sort());
    assert.equal(created[0]!.source?.component, 'replicaset-controller');
  });

  it('deletes the least valuable pod first: an adopted never-ready orphan goes before ready pods', async () => {
    const rs = await getRS('web');
    const before = (await ownedPods(rs)).map((p) => p.metadata!.name!).sort();
    const orphan: PodObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-slow', namespace: NS, labels: { app: 'web', 'never-ready': 'yes' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    await cluster.client.create(gvr.pods, NS, orphan);
    // Adopting it makes four for three replicas: the not-ready one is deleted.
    await until('web-slow adopted, then deleted', async () => {
      assert.ok((await eventsOf('web')).some((e) => e.reason === 'SuccessfulDelete' && e.message === 'Deleted pod: web-slow'));
    });
    assert.deepEqual((await ownedPods(rs)).map((p) => p.metadata!.name!).sort(), before);
  });

  it('scales down to spec.replicas and records SuccessfulDelete for each pod', async () => {
    const rs = await getRS('web');
    await setReplicas('web', 1);
    await until('one pod left', async () => {
      assert.equal((await ownedPods(rs)).length, 1);
      assert.equal((await getRS('web')).status?.replicas, 1);
    });
    await until('two more SuccessfulDelete events', async () => assert.equal((await eventsOf('web')).filter((e) => e.reason === 'SuccessfulDelete').length, 3));
  });

  it('adopts an orphan matching its selector instead of creating one', async () => {
    const orphan: PodObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'adoptee', namespace: NS, labels: { app: 'adopt' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    await cluster.client.create(gvr.pods, NS, orphan);
    await cluster.client.create(gvr.replicasets, NS, rsObject('adopt', 2));
    const rs = await eventually('two ready', async () => {
      const rs = await getRS('adopt');
      assert.equal(rs.status?.readyReplicas, 2);
      return rs;
    });
    const pods = await ownedPods(rs);
    assert.equal(pods.length, 2);
    assert.ok(pods.some((p) => p.metadata?.name === 'adoptee'), 'the orphan was adopted');
    assert.equal((await eventsOf('adopt')).filter((e) => e.reason === 'SuccessfulCreate').length, 1);
  });

  it('releases a pod whose labels no longer match and replaces it', async () => {
    const rs = await getRS('adopt');
    await cluster.client.patch(gvr.pods, NS, 'adoptee', 'merge', { metadata: { labels: { app: 'elsewhere' } } });
    await until('released', async () => {
      const pod = await cluster.client.get<PodObject>(gvr.pods, NS, 'adoptee');
      assert.equal(controllerRefOf(pod), undefined);
    });
    await until('replaced', async () => assert.equal((await ownedPods(rs)).length, 2));
    await cluster.client.delete(gvr.pods, NS, 'adoptee');
  });

  it('replaces a deleted pod', async () => {
    const rs = await getRS('adopt');
    const [victim] = await ownedPods(rs);
    await cluster.client.delete(gvr.pods, NS, victim!.metadata!.name!);
    await until('back to two pods, ready', async () => {
      const pods = await ownedPods(rs);
      assert.equal(pods.length, 2);
      assert.ok(!pods.some((p) => p.metadata?.name === victim!.metadata!.name));
      assert.equal((await getRS('adopt')).status?.readyReplicas, 2);
    });
  });

  it('counts availability after minReadySeconds and looks again when that time has passed', async () => {
    const rs = rsObject('slow', 1);
    rs.spec!.minReadySeconds = 2;
    await cluster.client.create(gvr.replicasets, NS, rs);
    await until('ready but not yet available', async () => {
      const cur = await getRS('slow');
      assert.equal(cur.status?.readyReplicas, 1);
      assert.equal(cur.status?.availableReplicas ?? 0, 0);
    });
    await until('available', async () => assert.equal((await getRS('slow')).status?.availableReplicas, 1));
  });

  it('reports ReplicaFailure (FailedCreate) when pods cannot be created, and a FailedCreate event', async () => {
    await cluster.client.create(gvr.replicasets, NS, rsObject('broken', 2, { priorityClassName: 'no-such-class' }));
    const cond = await eventually('ReplicaFailure condition', async () => {
      const cond = (await getRS('broken')).status?.conditions?.find((c) => c.type === 'ReplicaFailure');
      assert.ok(cond);
      return cond;
    });
    assert.equal(cond.status, 'True');
    assert.equal(cond.reason, 'FailedCreate');
    assert.match(cond.message ?? '', /no PriorityClass with name no-such-class was found/);
    await until('FailedCreate event', async () => {
      const failed = (await eventsOf('broken')).find((e) => e.reason === 'FailedCreate');
      assert.match(failed?.message ?? '', /^Error creating: pods "broken-.*" is forbidden: no PriorityClass/);
    });
    // Fixing the template clears the condition once pods can be created.
    await cluster.client.patch(gvr.replicasets, NS, 'broken', 'json', [{ op: 'remove', path: '/spec/template/spec/priorityClassName' }]);
    await until('condition cleared', async () => {
      const rs = await getRS('broken');
      assert.equal(rs.status?.replicas, 2);
      assert.equal(rs.status?.conditions?.find((c) => c.type === 'ReplicaFailure'), undefined);
    });
  });

  it('runs ReplicationControllers with the same code', async () => {
    await cluster.client.create({ group: '', version: 'v1', resource: 'replicationcontrollers' }, NS, {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'legacy', namespace: NS },
      spec: { replicas: 2, selector: { app: 'legacy' }, template: { metadata: { labels: { app: 'legacy' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    await until('two ready', async () => {
      const rc = await cluster.client.get<ReplicaSetObject>({ group: '', version: 'v1', resource: 'replicationcontrollers' }, NS, 'legacy');
      assert.equal(rc.status?.readyReplicas, 2);
      assert.equal(rc.status?.terminatingReplicas, undefined);
    });
    const pods = await podsOf('legacy');
    assert.equal(pods.length, 2);
    assert.ok(pods.every((p) => controllerRefOf(p)?.kind === 'ReplicationController'));
  });
});
