// The Deployment controller (with the ReplicaSet controller) against a real API server, a fake kubelet making pods
// ready: ReplicaSets by template hash, revisions, scaling, RollingUpdate within its fenceposts, Recreate, undo by
// template, pause, proportional scaling, history cleanup and the progress deadline.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { startFakeKubelet, type FakeKubelet } from '../../test/support/fakekubelet.ts';
import { eventually } from '../../test/support/server.ts';
import type { KubeObject } from '../client/client.ts';
import { Informer } from '../client/informer.ts';
import { DeploymentController } from './deployment.ts';
import { computeHash } from './deployment-hash.ts';
import { DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION, type DeploymentObject } from './deployment-util.ts';
import { controllerRefOf } from './podcontrol.ts';
import { ReplicaSetController, type ReplicaSetObject } from './replicaset.ts';

type PodObject = Pod & KubeObject;
const NS = 'default';

describe('Deployment controller', () => {
  let cluster: TestCluster;
  let kubelet: FakeKubelet;
  before(async () => {
    cluster = await startTestCluster({ controllers: { replicaset: (ctx) => new ReplicaSetController(ctx), deployment: (ctx) => new DeploymentController(ctx) } });
    kubelet = startFakeKubelet(cluster.client, { ready: (pod) => !pod.metadata?.labels?.['never-ready'] });
  });
  after(async () => {
    await kubelet?.stop();
    await cluster?.stop();
  });

  const until = <T>(what: string, check: () => Promise<T>, timeoutMs = 20_000): Promise<T> =>
    eventually(what, async () => {
      const value = await check();
      return value === undefined ? (true as T) : value;
    }, { timeoutMs });

  function deploymentObject(name: string, replicas: number, spec: Record<string, unknown> = {}, image = 'nginx:1'): DeploymentObject {
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: NS },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
        ...spec,
      },
    };
  }
  const getD = (name: string) => cluster.client.get<DeploymentObject>(gvr.deployments, NS, name);
  const replicaSetsOf = async (d: DeploymentObject): Promise<ReplicaSetObject[]> =>
    (await cluster.client.list<ReplicaSetObject>(gvr.replicasets, NS)).items.filter((rs) => controllerRefOf(rs)?.uid === d.metadata?.uid);
  const events = async (name: string) =>
    (await cluster.client.list<KubeObject & { reason?: string; message?: string }>(gvr.events, NS, { fieldSelector: `involvedObject.name=${name}` })).items;
  const setImage = (name: string, image: string) =>
    cluster.client.patch(gvr.deployments, NS, name, 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image }] } } } });
  const imageOf = (rs: ReplicaSetObject) => rs.spec?.template?.spec?.containers[0]?.image;
  const condition = (d: DeploymentObject, type: string) => d.status?.conditions?.find((c) => c.type === type);

  /** What `kubectl rollout status` waits for. */
  async function rolledOut(name: string): Promise<DeploymentObject> {
    return until(`${name} rolled out`, async () => {
      const d = await getD(name);
      const want = d.spec!.replicas!;
      assert.ok((d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0), 'observedGeneration');
      assert.equal(d.status?.updatedReplicas ?? 0, want, 'updatedReplicas');
      assert.equal(d.status?.replicas ?? 0, want, 'replicas');
      assert.equal(d.status?.availableReplicas ?? 0, want, 'availableReplicas');
      assert.equal(condition(d, 'Progressing')?.reason, 'NewReplicaSetAvailable');
      return d;
    });
  }

  it('creates a ReplicaSet named by the template hash, at revision 1, and its pods', async () => {
    await cluster.client.create(gvr.deployments, NS, deploymentObject('web', 3));
    const d = await rolledOut('web');
    const [rs, ...others] = await replicaSetsOf(d);
    assert.equal(others.length, 0);
    const hash = rs!.metadata!.labels!['pod-template-hash']!;
    assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    assert.equal(rs!.metadata!.name, `web-${hash}`);
    assert.deepEqual(rs!.spec!.selector!.matchLabels, { app: 'web', 'pod-template-hash': hash });
    assert.deepEqual(rs!.spec!.template!.metadata!.labels, { app: 'web', 'pod-template-hash': hash });
    assert.equal(rs!.metadata!.annotations![REVISION_ANNOTATION], '1');
    assert.equal(rs!.metadata!.annotations![DESIRED_REPLICAS_ANNOTATION], '3');
    assert.equal(rs!.metadata!.annotations![MAX_REPLICAS_ANNOTATION], '4');
    assert.equal(d.metadata!.annotations![REVISION_ANNOTATION], '1');
    const pods = (await cluster.client.list<PodObject>(gvr.pods, NS, { labelSelector: 'app=web' })).items;
    assert.equal(pods.length, 3);
    assert.ok(pods.every((p) => p.metadata!.name!.startsWith(`web-${hash}-`) && p.metadata!.labels!['pod-template-hash'] === hash));

    assert.equal(d.status?.readyReplicas, 3);
    assert.equal(d.status?.unavailableReplicas, undefined);
    assert.equal(d.status?.terminatingReplicas, 0);
    const available = condition(d, 'Available')!;
    assert.deepEqual([available.status, available.reason, available.message], ['True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.']);
    const progressing = condition(d, 'Progressing')!;
    assert.deepEqual([progressing.status, progressing.message], ['True', `ReplicaSet "web-${hash}" has successfully progressed.`]);
    await until('ScalingReplicaSet event', async () => {
      assert.ok((await events('web')).some((e) => e.reason === 'ScalingReplicaSet' && e.message === `Scaled up replica set web-${hash} from 0 to 3`));
    });
  });

  it('scales the ReplicaSet with the Deployment', async () => {
    await cluster.client.patch(gvr.deployments, NS, 'web', 'merge', { spec: { replicas: 5 } });
    const d = await rolledOut('web');
    const [rs] = await replicaSetsOf(d);
    assert.equal(rs!.spec!.replicas, 5);
    assert.equal(rs!.metadata!.annotations![DESIRED_REPLICAS_ANNOTATION], '5');
    await cluster.client.patch(gvr.deployments, NS, 'web', 'merge', { spec: { replicas: 2 } });
    await rolledOut('web');
    await until('scaling events', async () => {
      const messages = (await events('web')).map((e) => e.message);
      assert.ok(messages.includes(`Scaled up replica set ${rs!.metadata!.name} from 3 to 5`), messages.join('\n'));
      assert.ok(messages.includes(`Scaled down replica set ${rs!.metadata!.name} from 5 to 2`), messages.join('\n'));
    });
  });

  it('rolls out a new template within maxSurge and maxUnavailable at every step, scaling the old ReplicaSet to 0', async () => {
    await cluster.client.create(gvr.deployments, NS, deploymentObject('roll', 4, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }));
    const d = await rolledOut('roll');
    // Watch every ReplicaSet change of the Deployment while it rolls.
    const abort = new AbortController();
    const informer = new Informer<ReplicaSetObject>(cluster.client, gvr.replicasets, { namespace: NS });
    const violations: string[] = [];
    let steps = 0;
    const check = () => {
      const mine = informer.lister.list((rs) => controllerRefOf(rs)?.uid === d.metadata?.uid);
      const specs = mine.reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0);
      const available = mine.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
      steps++;
      if (specs > 5) violations.push(`${specs} replicas wanted (max 4 + 1 surge)`);
      if (available < 3) violations.push(`${available} available (min 4 - 1 unavailable)`);
    };
    informer.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
    const watching = informer.start(abort.signal);
    await informer.waitForSync(abort.signal);
    try {
      await setImage('roll', 'nginx:2');
      const done = await until('rolled out to nginx:2', async () => {
        const cur = await rolledOut('roll');
        assert.equal(cur.metadata!.annotations![REVISION_ANNOTATION], '2');
        return cur;
      });
      const sets = await replicaSetsOf(done);
      assert.equal(sets.length, 2);
      const fresh = sets.find((rs) => imageOf(rs) === 'nginx:2')!;
      const old = sets.find((rs) => imageOf(rs) === 'nginx:1')!;
      assert.equal(fresh.spec!.replicas, 4);
      assert.equal(fresh.metadata!.annotations![REVISION_ANNOTATION], '2');
      assert.equal(old.spec!.replicas, 0);
      await until('old pods gone', async () => assert.equal((await cluster.client.list<ReplicaSetObject>(gvr.replicasets, NS)).items.find((rs) => rs.metadata?.uid === old.metadata?.uid)?.status?.replicas, 0));
    } finally {
      abort.abort();
      await watching;
    }
    assert.ok(steps > 5, `watched ${steps} ReplicaSet changes`);
    assert.deepEqual(violations, []);
  });

  it('rolls back by template (as kubectl rollout undo does): the old ReplicaSet is reused at the next revision', async () => {
    const d = await getD('roll');
    const before = await replicaSetsOf(d);
    const old = before.find((rs) => imageOf(rs) === 'nginx:1')!;
    const template = JSON.parse(JSON.stringify(old.spec!.template)) as NonNullable<ReplicaSetObject['spec']>['template'] & object;
    delete template.metadata!.labels!['pod-template-hash'];
    await cluster.client.patch(gvr.deployments, NS, 'roll', 'json', [{ op: 'replace', path: '/spec/template', value: template }]);
    const done = await until('rolled back', async () => {
      const cur = await rolledOut('roll');
      assert.equal(cur.metadata!.annotations![REVISION_ANNOTATION], '3');
      return cur;
    });
    const after = await replicaSetsOf(done);
    assert.deepEqual(after.map((rs) => rs.metadata!.uid).sort(), before.map((rs) => rs.metadata!.uid).sort(), 'no new ReplicaSet');
    const reused = after.find((rs) => rs.metadata!.uid === old.metadata!.uid)!;
    assert.equal(reused.spec!.replicas, 4);
    assert.equal(reused.metadata!.annotations![REVISION_ANNOTATION], '3');
    assert.equal(reused.metadata!.annotations![REVISION_HISTORY_ANNOTATION], '1');
  });

  it('replaces every pod at once with Recreate, never running old and new pods together', async () => {
    await cluster.client.create(gvr.deployments, NS, deploymentObject('recreate', 3, { strategy: { type: 'Recreate' } }));
    const d = await rolledOut('recreate');
    const abort = new AbortController();
    const pods = new Informer<PodObject>(cluster.client, gvr.pods, { namespace: NS, labelSelector: 'app=recreate' });
    const mixed: string[] = [];
    const check = () => {
      const images = new Set(pods.lister.list().map((p) => p.spec?.containers[0]?.image));
      if (images.size > 1) mixed.push([...images].join(' + '));
    };
    pods.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
    const watching = pods.start(abort.signal);
    await pods.waitForSync(abort.signal);
    try {
      await setImage('recreate', 'nginx:2');
      await until('recreated', async () => {
        const cur = await rolledOut('recreate');
        assert.equal(cur.metadata!.annotations![REVISION_ANNOTATION], '2');
      });
    } finally {
      abort.abort();
      await watching;
    }
    assert.deepEqual(mixed, []);
    const sets = await replicaSetsOf(d);
    assert.deepEqual(sets.map((rs) => [imageOf(rs), rs.spec!.replicas]).sort(), [['nginx:1', 0], ['nginx:2', 3]]);
  });

  it('does not roll out while paused, reports DeploymentPaused, and rolls on resume', async () => {
    await cluster.client.create(gvr.deployments, NS, deploymentObject('paused', 2));
    const d = await rolledOut('paused');
    await cluster.client.patch(gvr.deployments, NS, 'paused', 'merge', { spec: { paused: true } });
    await setImage('paused', 'nginx:2');
    const seen = await until('the paused spec observed', async () => {
      const cur = await getD('paused');
      assert.equal(cur.status?.observedGeneration, cur.metadata?.generation);
      assert.equal(condition(cur, 'Progressing')?.reason, 'DeploymentPaused');
      return cur;
    });
    assert.equal(condition(seen, 'Progressing')?.status, 'Unknown');
    assert.equal(condition(seen, 'Progressing')?.message, 'Deployment is paused');
    assert.equal((await replicaSetsOf(d)).length, 1, 'no new ReplicaSet while paused');
    // No ReplicaSet has the new template yet: nothing is updated, the old pods still run.
    assert.equal(seen.status?.updatedReplicas, undefined);
    assert.equal(seen.status?.availableReplicas, 2);

    await cluster.client.patch(gvr.deployments, NS, 'paused', 'merge', { spec: { paused: false } });
    await until('rolled out after resume', async () => {
      const cur = await rolledOut('paused');
      assert.equal(cur.metadata!.annotations![REVISION_ANNOTATION], '2');
    });
    assert.equal((await replicaSetsOf(d)).length, 2);
  });

  it('scales proportionally while a rollout is stuck', async () => {
    await cluster.client.create(gvr.deployments, NS, deploymentObject('stuck', 10, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }));
    const d = await rolledOut('stuck');
    // The new template's pods never become ready: the rollout stops at old 8 + new 5.
    await cluster.client.patch(gvr.deployments, NS, 'stuck', 'strategic', { spec: { template: { metadata: { labels: { 'never-ready': 'yes' } } } } });
    const sizes = async () => {
      const sets = await replicaSetsOf(d);
      const fresh = sets.find((rs) => rs.spec?.template?.metadata?.labels?.['never-ready'])!;
      const old = sets.find((rs) => !rs.spec?.template?.metadata?.labels?.['never-ready'])!;
      return { old, fresh };
    };
    await until('stuck at 8 + 5', async () => {
      const { old, fresh } = await sizes();
      assert.equal(old.spec!.replicas, 8);
      assert.equal(fresh?.spec!.replicas, 5);
      assert.equal(fresh?.status?.replicas, 5);
    });
    await cluster.client.patch(gvr.deployments, NS, 'stuck', 'merge', { spec: { replicas: 20 } });
    // 10 more (20 + 3 surge - 13) shared by size: old 8·23/13 ≈ 14, new 5·23/13 ≈ 9.
    await until('scaled to 14 + 9', async () => {
      const { old, fresh } = await sizes();
      assert.equal(old.spec!.replicas, 14);
      assert.equal(fresh.spec!.replicas, 9);
      assert.equal(old.metadata!.annotations![DESIRED_REPLICAS_ANNOTATION], '20');
      assert.equal(fresh.metadata!.annotations![MAX_REPLICAS_ANNOTATION], '23');
    });
  });

  it('reports ProgressDeadlineExceeded when the new pods never become ready', async () => {
    await cluster.client.create(
      gvr.deployments,
      NS,
      deploymentObject('deadline', 2, { progressDeadlineSeconds: 2, template: { metadata: { labels: { app: 'deadline', 'never-ready': 'yes' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } }),
    );
    const d = await until('timed out', async () => {
      const cur = await getD('deadline');
      assert.equal(condition(cur, 'Progressing')?.reason, 'ProgressDeadlineExceeded');
      return cur;
    });
    const [rs] = await replicaSetsOf(d);
    const progressing = condition(d, 'Progressing')!;
    assert.equal(progressing.status, 'False');
    assert.equal(progressing.message, `ReplicaSet "${rs!.metadata!.name}" has timed out progressing.`);
    const available = condition(d, 'Available')!;
    assert.deepEqual([available.status, available.reason, available.message], ['False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.']);
    assert.equal(d.status?.unavailableReplicas, 2);
  });

  it('keeps only revisionHistoryLimit old ReplicaSets', async () => {
    await cluster.client.create(gvr.deployments, NS, deploymentObject('history', 1, { revisionHistoryLimit: 1 }));
    let d = await rolledOut('history');
    for (const image of ['nginx:2', 'nginx:3', 'nginx:4']) {
      await setImage('history', image);
      d = await until(`rolled out ${image}`, async () => {
        const cur = await rolledOut('history');
        assert.equal(imageOf((await replicaSetsOf(cur)).find((rs) => rs.spec?.replicas === 1)!), image);
        return cur;
      });
    }
    await until('two ReplicaSets left', async () => {
      const sets = await replicaSetsOf(d);
      assert.deepEqual(sets.map((rs) => [imageOf(rs), rs.metadata!.annotations![REVISION_ANNOTATION]]).sort(), [['nginx:3', '3'], ['nginx:4', '4']]);
    });
  });

  it('rolls back to the revision named by the deprecated rollback annotation, and clears it', async () => {
    const d = await getD('history');
    await cluster.client.patch(gvr.deployments, NS, 'history', 'merge', { metadata: { annotations: { 'deprecated.deployment.rollback.to': '3' } } });
    const done = await until('rolled back to revision 3', async () => {
      const cur = await rolledOut('history');
      assert.equal(cur.spec?.template?.spec?.containers[0]?.image, 'nginx:3');
      assert.equal(cur.metadata!.annotations!['deprecated.deployment.rollback.to'], undefined);
      assert.equal(cur.metadata!.annotations![REVISION_ANNOTATION], '5');
      return cur;
    });
    assert.deepEqual((await replicaSetsOf(done)).map((rs) => [imageOf(rs), rs.metadata!.annotations![REVISION_ANNOTATION]]).sort(), [['nginx:3', '5'], ['nginx:4', '4']]);
    await until('DeploymentRollback event', async () => {
      assert.ok((await events('history')).some((e) => e.reason === 'DeploymentRollback' && e.message === 'Rolled back deployment "history" to revision 3'));
    });
    assert.equal(d.metadata?.uid, done.metadata?.uid);
  });

  it('bumps collisionCount and picks another name when a ReplicaSet of another owner has the hashed name', async () => {
    await cluster.client.create(gvr.deployments, NS, deploymentObject('collide', 1, { paused: true }));
    const paused = await until('created', () => getD('collide'));
    const taken = `collide-${computeHash(paused.spec!.template!)}`;
    await cluster.client.create(gvr.replicasets, NS, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: taken, namespace: NS, labels: { app: 'squatter' } },
      spec: { replicas: 0, selector: { matchLabels: { app: 'squatter' } }, template: { metadata: { labels: { app: 'squatter' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    await cluster.client.patch(gvr.deployments, NS, 'collide', 'merge', { spec: { paused: false } });
    const d = await rolledOut('collide');
    assert.equal(d.status?.collisionCount, 1);
    const [rs, ...more] = await replicaSetsOf(d);
    assert.equal(more.length, 0);
    assert.notEqual(rs!.metadata!.name, taken);
    assert.equal(rs!.metadata!.name, `collide-${computeHash(d.spec!.template!, 1)}`);
  });
});
