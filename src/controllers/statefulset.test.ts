// The StatefulSet controller against the real API server: ordered creation gated on readiness, identities and
// claims, ordered scale-down, partitioned rolling updates, Parallel management, start ordinals, claim retention.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { StatefulSet } from 'kubernetes-types/apps/v1.d.ts';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { kubectl } from '../../test/support/kubectl.ts';
import { eventually } from '../../test/support/server.ts';
import type { KubeObject } from '../client/client.ts';
import { CONTROLLER_REVISION_HASH_LABEL, type Revision } from './history.ts';
import { StatefulSetController } from './statefulset.ts';

type PodObject = Pod & KubeObject;
type SetObject = StatefulSet & KubeObject;
type ClaimObject = PersistentVolumeClaim & KubeObject;

describe('StatefulSetController', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster({ controllers: { statefulset: (ctx) => new StatefulSetController(ctx) } });
  });
  after(() => cluster?.stop());

  const podsOf = async (app: string) =>
    (await cluster.client.list<PodObject>(gvr.pods, 'default', { labelSelector: `app=${app}` })).items.filter((p) => !p.metadata?.deletionTimestamp).sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
  const namesOf = async (app: string) => (await podsOf(app)).map((p) => p.metadata!.name!);
  const getSet = (name: string) => cluster.client.get<SetObject>(gvr.statefulsets, 'default', name);
  const getPod = (name: string) => cluster.client.get<PodObject>(gvr.pods, 'default', name);

  /** What a kubelet would report: Running and Ready. */
  async function markReady(name: string): Promise<void> {
    const pod = await getPod(name);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await cluster.client.updateStatus(gvr.pods, 'default', { ...pod, status: { ...pod.status, phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } });
  }

  /** Waits until the set's status has seen its generation and `check` holds. */
  const settled = (name: string, what: string, check: (s: NonNullable<SetObject['status']>) => boolean) =>
    eventually(what, async () => {
      const set = await getSet(name);
      return set.status && set.status.observedGeneration === set.metadata?.generation && check(set.status) ? set : undefined;
    });

  const newSet = (name: string, spec: Partial<NonNullable<StatefulSet['spec']>> = {}): SetObject => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: 3,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      ...spec,
    },
  });

  it('creates pods one at a time, each after its predecessor is Running and Ready, with identity and claims', async () => {
    await cluster.client.create(gvr.statefulsets, 'default', newSet('web'));
    const first = await settled('web', 'web-0 alone', (s) => s.replicas === 1);
    assert.deepEqual(await namesOf('web'), ['web-0'], 'web-1 waits for web-0');

    const pod = await getPod('web-0');
    assert.equal(pod.metadata?.labels?.['statefulset.kubernetes.io/pod-name'], 'web-0');
    assert.equal(pod.metadata?.labels?.['apps.kubernetes.io/pod-index'], '0');
    assert.equal(pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL], first.status!.updateRevision);
    assert.match(first.status!.updateRevision!, /^web-[a-z0-9]+$/);
    assert.equal(pod.spec?.hostname, 'web-0');
    assert.equal(pod.spec?.subdomain, 'web');
    assert.deepEqual(
      pod.spec?.volumes?.find((v) => v.name === 'www'),
      { name: 'www', persistentVolumeClaim: { claimName: 'www-web-0' } },
    );
    assert.equal(pod.metadata?.ownerReferences?.[0]?.kind, 'StatefulSet');
    const claim = await cluster.client.get<ClaimObject>(gvr.persistentvolumeclaims, 'default', 'www-web-0');
    assert.equal(claim.metadata?.labels?.['app'], 'web');
    assert.deepEqual(claim.spec?.resources?.requests, { storage: '1Gi' });

    const revisions = (await cluster.client.list<Revision>(gvr.controllerrevisions, 'default', { labelSelector: 'app=web' })).items;
    assert.deepEqual(
      revisions.map((r) => [r.metadata!.name, r.revision]),
      [[first.status!.updateRevision, 1]],
    );
    assert.ok(revisions[0]!.metadata?.labels?.['controller.kubernetes.io/hash']);

    await markReady('web-0');
    await settled('web', 'web-1 created', (s) => s.replicas === 2);
    assert.deepEqual(await namesOf('web'), ['web-0', 'web-1']);
    await markReady('web-1');
    await settled('web', 'web-2 created', (s) => s.replicas === 3);
    await markReady('web-2');
    const done = await settled('web', 'all ready', (s) => s.readyReplicas === 3 && s.availableReplicas === 3);
    assert.equal(done.status!.currentRevision, done.status!.updateRevision);
    assert.equal(done.status!.currentReplicas, 3);
    assert.equal(done.status!.updatedReplicas, 3);
    assert.equal(done.status!.collisionCount, 0);

    const events = (await cluster.client.list<KubeObject & { reason?: string; message?: string; source?: { component?: string } }>(gvr.events, 'default', { fieldSelector: 'involvedObject.name=web' })).items;
    const messages = events.map((e) => `${e.reason}: ${e.message}`);
    assert.ok(messages.includes('SuccessfulCreate: create Pod web-0 in StatefulSet web successful'), messages.join('\n'));
    assert.ok(messages.includes('SuccessfulCreate: create Claim www-web-0 Pod web-0 in StatefulSet web success'), messages.join('\n'));
    assert.equal(events[0]?.source?.component, 'statefulset-controller');
  });

  it('scales down from the highest ordinal, one pod at a time', async () => {
    const deleted: string[] = [];
    const stop = new AbortController();
    const watching = (async () => {
      for await (const ev of cluster.client.watch<PodObject>(gvr.pods, 'default', { labelSelector: 'app=web' }, stop.signal)) {
        if (ev.type === 'DELETED') deleted.push(ev.object.metadata!.name!);
      }
    })().catch(() => {});
    await cluster.client.patch(gvr.statefulsets, 'default', 'web', 'merge', { spec: { replicas: 1 } });
    await settled('web', 'one replica', (s) => s.replicas === 1);
    await eventually('both deletions seen', () => (deleted.length >= 2 ? true : undefined));
    stop.abort();
    await watching;
    assert.deepEqual(deleted, ['web-2', 'web-1']);
    assert.deepEqual(await namesOf('web'), ['web-0']);
    // whenScaled: Retain (the default) keeps the claims.
    await cluster.client.get(gvr.persistentvolumeclaims, 'default', 'www-web-2');
  });

  it('rolls a new template out only to ordinals at or above the partition, highest first', async () => {
    await cluster.client.create(gvr.statefulsets, 'default', newSet('part', { podManagementPolicy: 'Parallel', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }));
    await settled('part', 'three pods', (s) => s.replicas === 3);
    for (const n of ['part-0', 'part-1', 'part-2']) await markReady(n);
    const before = await settled('part', 'ready', (s) => s.readyReplicas === 3);
    const oldRevision = before.status!.updateRevision!;
    const uid0 = (await getPod('part-0')).metadata!.uid;

    await cluster.client.patch(gvr.statefulsets, 'default', 'part', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } });
    const step1 = await eventually('part-2 replaced', async () => {
      const pod = await getPod('part-2').catch(() => undefined);
      return pod && pod.spec?.containers[0]?.image === 'nginx:2' ? pod : undefined;
    });
    const set1 = await settled('part', 'new revision seen', (s) => s.updateRevision !== oldRevision);
    assert.equal(step1.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL], set1.status!.updateRevision);
    // part-2 is not ready yet, so part-1 keeps the old template.
    assert.equal((await getPod('part-1')).spec?.containers[0]?.image, 'nginx:1');
    await markReady('part-2');
    await eventually('part-1 replaced', async () => ((await getPod('part-1').catch(() => undefined))?.spec?.containers[0]?.image === 'nginx:2' ? true : undefined));
    await markReady('part-1');
    const after = await settled('part', 'partitioned update done', (s) => s.updatedReplicas === 2 && s.readyReplicas === 3);
    const pod0 = await getPod('part-0');
    assert.equal(pod0.metadata!.uid, uid0, 'part-0 is below the partition');
    assert.equal(pod0.spec?.containers[0]?.image, 'nginx:1');
    assert.equal(pod0.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL], oldRevision);
    assert.equal(after.status!.currentRevision, oldRevision);
    assert.equal(after.status!.currentReplicas, 1);
    const revisions = (await cluster.client.list<Revision>(gvr.controllerrevisions, 'default', { labelSelector: 'app=part' })).items;
    assert.deepEqual(revisions.map((r) => r.revision).sort(), [1, 2]);

    // Lowering the partition to 0 finishes the rollout, and the current revision follows.
    await cluster.client.patch(gvr.statefulsets, 'default', 'part', 'merge', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } });
    await eventually('part-0 replaced', async () => ((await getPod('part-0').catch(() => undefined))?.spec?.containers[0]?.image === 'nginx:2' ? true : undefined));
    await markReady('part-0');
    const done = await settled('part', 'complete', (s) => s.updatedReplicas === 3 && s.readyReplicas === 3);
    assert.equal(done.status!.currentRevision, done.status!.updateRevision);
  });

  it('creates every pod at once under Parallel, from ordinals.start', async () => {
    await cluster.client.create(gvr.statefulsets, 'default', newSet('par', { podManagementPolicy: 'Parallel', ordinals: { start: 5 } }));
    await settled('par', 'three pods without readiness', (s) => s.replicas === 3);
    assert.deepEqual(await namesOf('par'), ['par-5', 'par-6', 'par-7']);
    assert.equal((await getPod('par-6')).metadata?.labels?.['apps.kubernetes.io/pod-index'], '6');
    await cluster.client.get(gvr.persistentvolumeclaims, 'default', 'www-par-7');
  });

  it('gives claims owner references for a Delete retention policy', async () => {
    await cluster.client.create(
      gvr.statefulsets,
      'default',
      newSet('ret', { replicas: 2, podManagementPolicy: 'Parallel', persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } }),
    );
    const set = await settled('ret', 'two pods', (s) => s.replicas === 2);
    const refsOf = async (name: string) => (await cluster.client.get<ClaimObject>(gvr.persistentvolumeclaims, 'default', name)).metadata?.ownerReferences ?? [];
    await eventually('claims owned by the set', async () => {
      for (const n of ['www-ret-0', 'www-ret-1']) {
        const refs = await refsOf(n);
        if (refs.length !== 1 || refs[0]!.kind !== 'StatefulSet' || refs[0]!.uid !== set.metadata!.uid || refs[0]!.controller !== true) return undefined;
      }
      return true;
    });
    const pod1 = await getPod('ret-1');
    await cluster.client.patch(gvr.statefulsets, 'default', 'ret', 'merge', { spec: { replicas: 1 } });
    await settled('ret', 'one pod', (s) => s.replicas === 1);
    // The scaled-down pod's claim now belongs to that pod, for the garbage collector to take with it.
    const refs = await refsOf('www-ret-1');
    assert.deepEqual(
      refs.map((r) => [r.kind, r.name, r.uid]),
      [['Pod', 'ret-1', pod1.metadata!.uid]],
    );
    assert.equal((await refsOf('www-ret-0'))[0]?.kind, 'StatefulSet');
  });

  it('recreates a failed pod under the same name', async () => {
    await cluster.client.create(gvr.statefulsets, 'default', newSet('fail', { replicas: 1 }));
    await settled('fail', 'one pod', (s) => s.replicas === 1);
    const before = await getPod('fail-0');
    await cluster.client.updateStatus(gvr.pods, 'default', { ...before, status: { ...before.status, phase: 'Failed' } });
    const after = await eventually('a new fail-0', async () => {
      const pod = await getPod('fail-0').catch(() => undefined);
      return pod && pod.metadata!.uid !== before.metadata!.uid ? pod : undefined;
    });
    assert.equal(after.spec?.hostname, 'fail-0');
  });
});

describe('StatefulSetController with the real kubectl', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster({ controllers: { statefulset: (ctx) => new StatefulSetController(ctx) } });
  });
  after(() => cluster?.stop());

  const run = (args: string[], input?: string) => kubectl(args, { kubeconfig: cluster.kubeconfig, timeoutMs: 60_000, ...(input === undefined ? {} : { input }) });
  /** Plays the kubelet until both pods run `image` and the set reports it. */
  const rollOut = (image: string) =>
    eventually(`both pods run ${image}`, async () => {
      const pods = (await cluster.client.list<PodObject>(gvr.pods, 'default', { labelSelector: 'app=db' })).items.filter((p) => !p.metadata?.deletionTimestamp);
      for (const pod of pods) {
        if (pod.status?.phase === 'Running') continue;
        const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        await cluster.client.updateStatus(gvr.pods, 'default', { ...pod, status: { ...pod.status, phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } }).catch(() => {});
      }
      const set = await cluster.client.get<SetObject>(gvr.statefulsets, 'default', 'db');
      const s = set.status;
      const done = s?.observedGeneration === set.metadata?.generation && s?.readyReplicas === 2 && s.updatedReplicas === 2 && s.currentRevision === s.updateRevision;
      return done && pods.length === 2 && pods.every((p) => p.spec?.containers[0]?.image === image) ? true : undefined;
    });

  it('reports rollout status, lists history and undoes an update', async () => {
    const manifest = [
      'apiVersion: apps/v1',
      'kind: StatefulSet',
      'metadata: {name: db, namespace: default}',
      'spec:',
      '  replicas: 2',
      '  serviceName: db',
      '  selector: {matchLabels: {app: db}}',
      '  template:',
      '    metadata: {labels: {app: db}}',
      '    spec: {containers: [{name: db, image: "postgres:16"}]}',
      '  volumeClaimTemplates:',
      '  - metadata: {name: data}',
      '    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}',
    ].join('\n');
    const applied = await run(['apply', '-f', '-'], manifest);
    assert.equal(applied.code, 0, applied.stderr);
    await rollOut('postgres:16');
    const status = await run(['rollout', 'status', 'statefulset/db', '--timeout=30s']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /partitioned roll out complete: 2 new pods have been updated|statefulset rolling update complete 2 pods at revision db-/);

    assert.equal((await run(['set', 'image', 'statefulset/db', 'db=postgres:17'])).code, 0);
    await rollOut('postgres:17');
    const history = await run(['rollout', 'history', 'statefulset/db']);
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, /^1\s/m);
    assert.match(history.stdout, /^2\s/m);

    const undo = await run(['rollout', 'undo', 'statefulset/db']);
    assert.equal(undo.code, 0, undo.stderr);
    await rollOut('postgres:16');
    const revisions = (await cluster.client.list<Revision>(gvr.controllerrevisions, 'default', { labelSelector: 'app=db' })).items.map((r) => r.revision).sort();
    assert.deepEqual(revisions, [2, 3], 'the first template came back as revision 3');
    const claims = (await cluster.client.list<ClaimObject>(gvr.persistentvolumeclaims, 'default')).items.map((c) => c.metadata!.name).sort();
    assert.deepEqual(claims, ['data-db-0', 'data-db-1']);
  });
});
