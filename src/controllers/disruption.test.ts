// The disruption controller against a real API server: PodDisruptionBudget status from the pods it selects.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { eventually } from '../../test/support/server.ts';
import type { KubeObject } from '../client/client.ts';
import { DisruptionController } from './disruption.ts';
import { createNamespace, createNode, createPod, setPodStatus } from './endpoints-testpods.ts';

type PDB = PodDisruptionBudget & KubeObject;

const template = (labels: Record<string, string>) => ({ metadata: { labels }, spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] } });

describe('disruption controller', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster({ controllers: { disruption: (ctx) => new DisruptionController(ctx) } });
    await createNode(cluster.client, 'node-1');
  });
  after(() => cluster?.stop());

  const createPDB = (ns: string, name: string, spec: NonNullable<PodDisruptionBudget['spec']>) => cluster.client.create<PDB>(gvr.poddisruptionbudgets, ns, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec });
  const pdbStatus = async (ns: string, name: string) => {
    const pdb = await cluster.client.get<PDB>(gvr.poddisruptionbudgets, ns, name);
    return { ...pdb.status!, generation: pdb.metadata?.generation };
  };
  const allowedCondition = (status: PodDisruptionBudget['status']) => status?.conditions?.find((c) => c.type === 'DisruptionAllowed');

  it('counts healthy pods against an integer minAvailable and keeps the DisruptionAllowed condition', async () => {
    const ns = 'pdb-int';
    await createNamespace(cluster.client, ns);
    const pods = [];
    for (const name of ['a', 'b', 'c']) pods.push(await createPod(cluster.client, ns, name, {}, { ip: `10.244.0.${pods.length + 1}` }));
    await createPDB(ns, 'web', { minAvailable: 2, selector: { matchLabels: { app: 'web' } } });
    await eventually('one disruption allowed', async () => {
      const s = await pdbStatus(ns, 'web');
      assert.deepEqual([s.expectedPods, s.currentHealthy, s.desiredHealthy, s.disruptionsAllowed, s.observedGeneration], [3, 3, 2, 1, 1]);
      assert.deepEqual([allowedCondition(s)?.status, allowedCondition(s)?.reason, allowedCondition(s)?.observedGeneration], ['True', 'SufficientPods', 1]);
      return true;
    });

    await setPodStatus(cluster.client, pods[0]!, { ip: '10.244.0.1', ready: false });
    await eventually('no disruption allowed once a pod is not ready', async () => {
      const s = await pdbStatus(ns, 'web');
      assert.deepEqual([s.currentHealthy, s.disruptionsAllowed], [2, 0]);
      assert.deepEqual([allowedCondition(s)?.status, allowedCondition(s)?.reason], ['False', 'InsufficientPods']);
      return true;
    });

    await cluster.client.patch(gvr.poddisruptionbudgets, ns, 'web', 'merge', { spec: { minAvailable: 1 } });
    await eventually('the new generation observed', async () => {
      const s = await pdbStatus(ns, 'web');
      assert.deepEqual([s.generation, s.observedGeneration, s.desiredHealthy, s.disruptionsAllowed], [2, 2, 1, 1]);
      return true;
    });
  });

  it('scales percentages against the pods’ controllers: a Deployment through its ReplicaSet, a bare ReplicaSet', async () => {
    const ns = 'pdb-percent';
    await createNamespace(cluster.client, ns);
    const labels = { app: 'pct' };
    const deployment = await cluster.client.create<KubeObject>(gvr.deployments, ns, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'dep' },
      spec: { replicas: 5, selector: { matchLabels: labels }, template: template(labels) },
    });
    const rs = await cluster.client.create<KubeObject>(gvr.replicasets, ns, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'dep-1', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'dep', uid: deployment.metadata!.uid!, controller: true }] },
      spec: { replicas: 2, selector: { matchLabels: labels }, template: template(labels) },
    });
    const bare = await cluster.client.create<KubeObject>(gvr.replicasets, ns, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'bare' },
      spec: { replicas: 3, selector: { matchLabels: labels }, template: template(labels) },
    });
    const owned = (owner: KubeObject) => [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner.metadata!.name!, uid: owner.metadata!.uid!, controller: true }];
    await createPod(cluster.client, ns, 'd1', { labels, ownerReferences: owned(rs) }, { ip: '10.244.1.1' });
    await createPod(cluster.client, ns, 'd2', { labels, ownerReferences: owned(rs) }, { ip: '10.244.1.2' });
    await createPod(cluster.client, ns, 'b1', { labels, ownerReferences: owned(bare) }, { ip: '10.244.1.3' });
    // 5 (the Deployment) + 3 (the bare ReplicaSet) expected; 50% of 8 must stay, and 3 pods are healthy.
    await createPDB(ns, 'half', { minAvailable: '50%', selector: { matchLabels: labels } });
    await eventually('expected pods from the controllers’ scale', async () => {
      const s = await pdbStatus(ns, 'half');
      assert.deepEqual([s.expectedPods, s.desiredHealthy, s.currentHealthy, s.disruptionsAllowed], [8, 4, 3, 0]);
      return true;
    });
    await cluster.client.patch(gvr.poddisruptionbudgets, ns, 'half', 'json', [
      { op: 'remove', path: '/spec/minAvailable' },
      { op: 'add', path: '/spec/maxUnavailable', value: '75%' },
    ]);
    await eventually('maxUnavailable rounds up too', async () => {
      // ceil(0.75 × 8) = 6 may be unavailable: 2 must stay, 3 are healthy.
      const s = await pdbStatus(ns, 'half');
      assert.deepEqual([s.expectedPods, s.desiredHealthy, s.disruptionsAllowed], [8, 2, 1]);
      return true;
    });
  });

  it('fails safe when a pod’s controller cannot be found', async () => {
    const ns = 'pdb-orphan';
    await createNamespace(cluster.client, ns);
    const labels = { app: 'lost' };
    await createPod(cluster.client, ns, 'lost', { labels, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'nowhere', uid: 'no-such-uid', controller: true }] }, { ip: '10.244.2.1' });
    await createPDB(ns, 'lost', { maxUnavailable: 1, selector: { matchLabels: labels } });
    await eventually('the SyncFailed condition', async () => {
      const s = await pdbStatus(ns, 'lost');
      const cond = allowedCondition(s);
      assert.equal(s.disruptionsAllowed, 0);
      assert.deepEqual([cond?.status, cond?.reason, cond?.message], ['False', 'SyncFailed', 'found no controllers for pod "lost"']);
      return true;
    });
  });

  it('counts no pods for a budget without matches, and says so in an event', async () => {
    const ns = 'pdb-empty';
    await createNamespace(cluster.client, ns);
    await createPDB(ns, 'nothing', { minAvailable: 1, selector: { matchLabels: { app: 'absent' } } });
    await eventually('status and a NoPods event', async () => {
      const s = await pdbStatus(ns, 'nothing');
      assert.deepEqual([s.expectedPods, s.currentHealthy, s.desiredHealthy, s.disruptionsAllowed, s.observedGeneration], [0, 0, 1, 0, 1]);
      const events = (await cluster.client.list<KubeObject & { reason?: string; message?: string; source?: { component?: string }; involvedObject?: { kind?: string; name?: string } }>(gvr.events, ns)).items;
      const e = events.find((x) => x.reason === 'NoPods');
      assert.deepEqual([e?.message, e?.source?.component, e?.involvedObject?.kind, e?.involvedObject?.name], ['No matching pods found', 'controllermanager', 'PodDisruptionBudget', 'nothing']);
      return true;
    });
  });
});
