// The garbage collector against the real API server: owners and dependents created directly with ownerReferences
// (no other controller runs), deleted with each propagation policy.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { eventually } from '../../test/support/server.ts';
import type { GroupVersionResource, KubeObject } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import { GarbageCollector } from './garbagecollector.ts';

const clusterroles: GroupVersionResource = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' };
const crds: GroupVersionResource = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' };
const widgets: GroupVersionResource = { group: 'gc.example.com', version: 'v1', resource: 'widgets' };

interface RefOptions {
  block?: boolean;
  controller?: boolean;
}

function ref(owner: KubeObject, opts: RefOptions = {}): Record<string, unknown> {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata!.name,
    uid: owner.metadata!.uid,
    ...(opts.controller ? { controller: true } : {}),
    ...(opts.block ? { blockOwnerDeletion: true } : {}),
  };
}

const ownerRefs = (obj: KubeObject): Array<{ uid: string }> => (obj.metadata?.['ownerReferences'] as Array<{ uid: string }> | undefined) ?? [];
const finalizers = (obj: KubeObject): string[] => (obj.metadata?.['finalizers'] as string[] | undefined) ?? [];

describe('garbage collector', { timeout: 120_000 }, () => {
  let cluster: TestCluster;
  let gc: GarbageCollector;
  before(async () => {
    cluster = await startTestCluster({ controllers: { 'garbage-collector': (ctx) => (gc = new GarbageCollector(ctx, { discoveryPeriodMs: 300 })) } });
  });
  after(() => cluster?.stop());

  const namespace = async (name: string) => {
    await cluster.client.create(gvr.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    return name;
  };
  const configMap = (ns: string, name: string, owners: Array<Record<string, unknown>> = [], extra: Record<string, unknown> = {}) =>
    cluster.client.create<KubeObject>(gvr.configmaps, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(owners.length ? { ownerReferences: owners } : {}), ...extra }, data: { k: 'v' } });
  const exists = async (resource: GroupVersionResource, ns: string, name: string): Promise<KubeObject | undefined> => {
    try {
      return await cluster.client.get(resource, ns, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  /** Waits until the collector's graph has seen every one of `objects` through its monitors. */
  const observed = (...objects: KubeObject[]) =>
    eventually('the objects to be in the graph', () => (objects.every((o) => gc.graph.get(o.metadata!.uid!)?.virtual === false) ? true : undefined));
  const gone = (resource: GroupVersionResource, ns: string, name: string) =>
    eventually(`${resource.resource} ${ns}/${name} to be gone`, async () => ((await exists(resource, ns, name)) ? undefined : true));

  it('Background: deleting an owner removes its dependents and theirs', async () => {
    const ns = await namespace('gc-background');
    const owner = await configMap(ns, 'owner');
    const child1 = await configMap(ns, 'child-1', [ref(owner)]);
    await configMap(ns, 'child-2', [ref(owner)]);
    await configMap(ns, 'grandchild', [ref(child1)]);
    const unrelated = await configMap(ns, 'unrelated');
    await cluster.client.delete(gvr.configmaps, ns, 'owner', { propagationPolicy: 'Background' });
    assert.equal(await exists(gvr.configmaps, ns, 'owner'), undefined, 'Background removes the owner at once');
    await gone(gvr.configmaps, ns, 'child-1');
    await gone(gvr.configmaps, ns, 'child-2');
    await gone(gvr.configmaps, ns, 'grandchild');
    assert.equal((await exists(gvr.configmaps, ns, 'unrelated'))?.metadata?.uid, unrelated.metadata?.uid);
  });

  it('Foreground: the owner waits with foregroundDeletion until its blocking dependents are gone', async () => {
    const ns = await namespace('gc-foreground');
    const owner = await configMap(ns, 'owner');
    await configMap(ns, 'held', [ref(owner, { block: true })], { finalizers: ['example.com/hold'] });
    await configMap(ns, 'free', [ref(owner, { block: true })]);
    await configMap(ns, 'grandchild', [ref(await cluster.client.get(gvr.configmaps, ns, 'free'), { block: true })]);
    const answer = await cluster.client.delete(gvr.configmaps, ns, 'owner', { propagationPolicy: 'Foreground' });
    assert.ok(answer.metadata?.['deletionTimestamp'], 'a foreground delete answers the object, marked');
    assert.deepEqual(finalizers(answer), ['foregroundDeletion']);
    await gone(gvr.configmaps, ns, 'free');
    await gone(gvr.configmaps, ns, 'grandchild');
    const held = await eventually('the held dependent to be deleting', async () => {
      const obj = await exists(gvr.configmaps, ns, 'held');
      return obj?.metadata?.['deletionTimestamp'] ? obj : undefined;
    });
    const waiting = await exists(gvr.configmaps, ns, 'owner');
    assert.ok(waiting, 'the owner stays while a blocking dependent remains');
    assert.deepEqual(finalizers(waiting), ['foregroundDeletion']);
    await cluster.client.patch(gvr.configmaps, ns, 'held', 'merge', { metadata: { resourceVersion: held.metadata?.resourceVersion, finalizers: null } });
    await gone(gvr.configmaps, ns, 'held');
    await gone(gvr.configmaps, ns, 'owner');
  });

  it('Orphan: dependents stay without the reference, and the owner goes', async () => {
    const ns = await namespace('gc-orphan');
    const owner = await configMap(ns, 'owner');
    const other = await configMap(ns, 'other');
    await configMap(ns, 'child-1', [ref(owner, { controller: true, block: true })]);
    await configMap(ns, 'child-2', [ref(owner), ref(other)]);
    const answer = await cluster.client.delete(gvr.configmaps, ns, 'owner', { propagationPolicy: 'Orphan' });
    assert.deepEqual(finalizers(answer), ['orphan']);
    await gone(gvr.configmaps, ns, 'owner');
    const child1 = await cluster.client.get(gvr.configmaps, ns, 'child-1');
    assert.deepEqual(ownerRefs(child1), []);
    const child2 = await cluster.client.get(gvr.configmaps, ns, 'child-2');
    assert.deepEqual(ownerRefs(child2).map((r) => r.uid), [other.metadata!.uid]);
  });

  it('collects a dependent whose owner never existed (same name, another uid), and leaves the namesake', async () => {
    const ns = await namespace('gc-wrong-uid');
    const namesake = await configMap(ns, 'owner');
    await configMap(ns, 'orphaned', [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: '00000000-0000-0000-0000-000000000001' }]);
    await configMap(ns, 'ownerless', [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'nobody', uid: '00000000-0000-0000-0000-000000000002' }]);
    await gone(gvr.configmaps, ns, 'orphaned');
    await gone(gvr.configmaps, ns, 'ownerless');
    assert.equal((await exists(gvr.configmaps, ns, 'owner'))?.metadata?.uid, namesake.metadata?.uid);
  });

  it('a dependent with two owners loses only the deleted owner’s reference', async () => {
    const ns = await namespace('gc-two-owners');
    const a = await configMap(ns, 'owner-a');
    const b = await configMap(ns, 'owner-b');
    await configMap(ns, 'shared', [ref(a), ref(b)]);
    await cluster.client.delete(gvr.configmaps, ns, 'owner-a', { propagationPolicy: 'Background' });
    const shared = await eventually('the reference to owner-a to go', async () => {
      const obj = await cluster.client.get(gvr.configmaps, ns, 'shared');
      return ownerRefs(obj).length === 1 ? obj : undefined;
    });
    assert.deepEqual(ownerRefs(shared).map((r) => r.uid), [b.metadata!.uid]);
    await cluster.client.delete(gvr.configmaps, ns, 'owner-b');
    await gone(gvr.configmaps, ns, 'shared');
  });

  it('a cluster-scoped owner collects namespaced dependents in any namespace', async () => {
    const ns1 = await namespace('gc-cluster-1');
    const ns2 = await namespace('gc-cluster-2');
    const role = await cluster.client.create<KubeObject>(clusterroles, undefined, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'gc-owner' }, rules: [] });
    const dep1 = await configMap(ns1, 'dep', [ref(role)]);
    const dep2 = await configMap(ns2, 'dep', [ref(role)]);
    await observed(role, dep1, dep2);
    assert.equal(gc.graph.get(role.metadata!.uid!)?.dependents.size, 2);
    assert.ok(await exists(gvr.configmaps, ns1, 'dep'), 'a live cluster-scoped owner keeps its dependents');
    await cluster.client.delete(clusterroles, undefined, 'gc-owner');
    await gone(gvr.configmaps, ns1, 'dep');
    await gone(gvr.configmaps, ns2, 'dep');
  });

  it('a namespaced owner in another namespace is invalid: OwnerRefInvalidNamespace, and the dependent is collected', async () => {
    const ns1 = await namespace('gc-invalid-1');
    const ns2 = await namespace('gc-invalid-2');
    const owner = await configMap(ns1, 'owner');
    // Seen first, so the wrong namespace is certain when the dependent arrives.
    await observed(owner);
    await configMap(ns2, 'dep', [ref(owner)]);
    await gone(gvr.configmaps, ns2, 'dep');
    const event = await eventually('an OwnerRefInvalidNamespace event', async () => {
      const events = await cluster.client.list<KubeObject & { reason?: string; message?: string; type?: string }>(gvr.events, ns2, { fieldSelector: 'involvedObject.name=dep' });
      return events.items.find((e) => e.reason === 'OwnerRefInvalidNamespace');
    });
    assert.equal(event.type, 'Warning');
    assert.equal(event.message, `ownerRef [v1/ConfigMap, namespace: ${ns2}, name: owner, uid: ${owner.metadata!.uid}] does not exist in namespace "${ns2}"`);
    assert.ok(await exists(gvr.configmaps, ns1, 'owner'), 'the owner itself is untouched');
  });

  describe('a Deployment owning a ReplicaSet owning Pods (no workload controllers)', () => {
    const labels = { app: 'web' };
    const template = { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    const chain = async (ns: string) => {
      const deploy = await cluster.client.create<KubeObject>(gvr.deployments, ns, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2, selector: { matchLabels: labels }, template } });
      const rs = await cluster.client.create<KubeObject>(gvr.replicasets, ns, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'web-1', labels, ownerReferences: [ref(deploy, { controller: true, block: true })] },
        spec: { replicas: 2, selector: { matchLabels: labels }, template },
      });
      for (const name of ['web-1-a', 'web-1-b']) {
        await cluster.client.create(gvr.pods, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels, ownerReferences: [ref(rs, { controller: true, block: true })] }, spec: template.spec });
      }
      return { deploy, rs };
    };

    it('Background removes the ReplicaSet and the Pods', async () => {
      const ns = await namespace('gc-deploy-background');
      await chain(ns);
      await cluster.client.delete(gvr.deployments, ns, 'web', { propagationPolicy: 'Background' });
      await gone(gvr.replicasets, ns, 'web-1');
      await gone(gvr.pods, ns, 'web-1-a');
      await gone(gvr.pods, ns, 'web-1-b');
    });

    it('Foreground keeps the Deployment until the ReplicaSet and Pods are gone', async () => {
      const ns = await namespace('gc-deploy-foreground');
      await chain(ns);
      const answer = await cluster.client.delete(gvr.deployments, ns, 'web', { propagationPolicy: 'Foreground' });
      assert.deepEqual(finalizers(answer), ['foregroundDeletion']);
      assert.equal(answer.metadata?.generation, 2, 'marking for deletion counts as a change');
      await gone(gvr.deployments, ns, 'web');
      // The Deployment went last: nothing of the chain is left.
      assert.equal(await exists(gvr.replicasets, ns, 'web-1'), undefined);
      assert.equal((await cluster.client.list(gvr.pods, ns)).items.length, 0);
    });

    it('Orphan leaves the ReplicaSet without its owner and the Pods with theirs', async () => {
      const ns = await namespace('gc-deploy-orphan');
      const { rs } = await chain(ns);
      await cluster.client.delete(gvr.deployments, ns, 'web', { propagationPolicy: 'Orphan' });
      await gone(gvr.deployments, ns, 'web');
      assert.deepEqual(ownerRefs(await cluster.client.get(gvr.replicasets, ns, 'web-1')), []);
      for (const name of ['web-1-a', 'web-1-b']) {
        assert.deepEqual(ownerRefs(await cluster.client.get(gvr.pods, ns, name)).map((r) => r.uid), [rs.metadata!.uid]);
      }
    });
  });

  it('custom resources: found through discovery, collected, and orphaned by JSON merge patch', async () => {
    const ns = await namespace('gc-crd');
    await cluster.client.create(crds, undefined, {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.gc.example.com' },
      spec: {
        group: 'gc.example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    });
    const widget = (name: string, owners: Array<Record<string, unknown>> = []) =>
      cluster.client.create<KubeObject>(widgets, ns, { apiVersion: 'gc.example.com/v1', kind: 'Widget', metadata: { name, ...(owners.length ? { ownerReferences: owners } : {}) } });
    const owner = await eventually('the Widget resource to be served', () => widget('owner'));
    await configMap(ns, 'cm-of-widget', [ref(owner)]);
    await widget('widget-of-widget', [ref(owner)]);
    await cluster.client.delete(widgets, ns, 'owner', { propagationPolicy: 'Background' });
    await gone(gvr.configmaps, ns, 'cm-of-widget');
    await gone(widgets, ns, 'widget-of-widget');

    const parent = await widget('parent');
    await widget('child', [ref(parent, { block: true })]);
    await cluster.client.delete(widgets, ns, 'parent', { propagationPolicy: 'Orphan' });
    await gone(widgets, ns, 'parent');
    assert.deepEqual(ownerRefs(await cluster.client.get(widgets, ns, 'child')), []);
  });
});
