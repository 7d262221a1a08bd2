// The EndpointSlice controller against a real API server: pods (bound to a node, status set by hand) become endpoints.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { eventually } from '../../test/support/server.ts';
import type { KubeObject } from '../client/client.ts';
import { createNamespace, createNode, createPod, setPodStatus } from './endpoints-testpods.ts';
import { EndpointSliceController } from './endpointslice.ts';
import type { EndpointSliceObject } from './endpointslice-reconciler.ts';

describe('EndpointSlice controller', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster({ controllers: { endpointslice: (ctx) => new EndpointSliceController(ctx) } });
    await createNode(cluster.client, 'node-1', { 'topology.kubernetes.io/zone': 'zone-a' });
  });
  after(() => cluster?.stop());

  const createService = (namespace: string, name: string, spec: Service['spec']) =>
    cluster.client.create(gvr.services, namespace, { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, labels: { team: 'blue' } }, spec } as KubeObject);
  const slicesOf = async (namespace: string, service: string) =>
    (await cluster.client.list<EndpointSliceObject>(gvr.endpointslices, namespace, { labelSelector: `kubernetes.io/service-name=${service}` })).items;
  const byPod = (slice: EndpointSliceObject) => new Map(slice.endpoints.map((ep) => [ep.targetRef?.name, ep]));

  it('lists ready, not-ready and terminating pods with upstream conditions, owned by the Service', async () => {
    const ns = 'es-conditions';
    await createNamespace(cluster.client, ns);
    const svc = await createService(ns, 'web', { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] });
    await createPod(cluster.client, ns, 'ready', {}, { ip: '10.244.0.10' });
    await createPod(cluster.client, ns, 'unready', {}, { ip: '10.244.0.11', ready: false });
    const leaving = await createPod(cluster.client, ns, 'leaving', {}, { ip: '10.244.0.12' });
    await createPod(cluster.client, ns, 'no-ip', {}, { ready: false });
    await createPod(cluster.client, ns, 'done', {}, { ip: '10.244.0.13', phase: 'Succeeded', ready: false });
    await createPod(cluster.client, ns, 'other', { labels: { app: 'other' } }, { ip: '10.244.0.14' });
    // Bound to a node, so deletion is graceful: the pod stays, terminating.
    await cluster.client.delete(gvr.pods, ns, leaving.metadata!.name!, { gracePeriodSeconds: 30 });

    const slice = await eventually('a slice with three endpoints', async () => {
      const slices = await slicesOf(ns, 'web');
      assert.equal(slices.length, 1);
      assert.equal(slices[0]!.endpoints.length, 3);
      assert.equal(byPod(slices[0]!).get('leaving')?.conditions?.terminating, true);
      return slices[0]!;
    });
    const meta = slice.metadata!;
    assert.match(meta.name!, /^web-[a-z0-9]{5}$/);
    assert.equal(meta.generateName, 'web-');
    assert.deepEqual(meta.labels, { team: 'blue', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    assert.deepEqual(meta.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(slice.addressType, 'IPv4');
    assert.deepEqual(slice.ports, [{ name: '', port: 8080, protocol: 'TCP' }]);
    const eps = byPod(slice);
    assert.deepEqual(eps.get('ready')?.conditions, { ready: true, serving: true, terminating: false });
    assert.deepEqual(eps.get('unready')?.conditions, { ready: false, serving: false, terminating: false });
    assert.deepEqual(eps.get('leaving')?.conditions, { ready: false, serving: true, terminating: true });
    const ready = eps.get('ready')!;
    assert.deepEqual(ready.addresses, ['10.244.0.10']);
    assert.equal(ready.nodeName, 'node-1');
    assert.equal(ready.zone, 'zone-a');
    assert.equal(ready.targetRef?.kind, 'Pod');
    assert.equal(ready.targetRef?.namespace, ns);
    assert.ok(ready.targetRef?.uid);
  });

  it('resolves a named target port per pod: different port numbers go into different slices', async () => {
    const ns = 'es-named';
    await createNamespace(cluster.client, ns);
    await createService(ns, 'api', { selector: { app: 'api' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] });
    const labels = { app: 'api' };
    await createPod(cluster.client, ns, 'old', { labels, ports: [{ name: 'http', containerPort: 8080 }] }, { ip: '10.244.1.1' });
    await createPod(cluster.client, ns, 'new', { labels, ports: [{ name: 'http', containerPort: 9090 }] }, { ip: '10.244.1.2' });
    await createPod(cluster.client, ns, 'also-new', { labels, ports: [{ name: 'http', containerPort: 9090 }] }, { ip: '10.244.1.3' });
    await eventually('two slices, one per port number', async () => {
      const slices = await slicesOf(ns, 'api');
      const byPort = new Map(slices.map((s) => [s.ports?.[0]?.port, s.endpoints.map((e) => e.targetRef?.name).sort()]));
      assert.deepEqual(Object.fromEntries(byPort), { 8080: ['old'], 9090: ['also-new', 'new'] });
      for (const s of slices) assert.equal(s.ports?.[0]?.name, 'http');
      return true;
    });
  });

  it('follows pod changes in the same slice, and keeps an empty slice when no pod is left', async () => {
    const ns = 'es-updates';
    await createNamespace(cluster.client, ns);
    await createService(ns, 'web', { selector: { app: 'web' }, ports: [{ port: 80 }] });
    const a = await createPod(cluster.client, ns, 'a', {}, { ip: '10.244.2.1' });
    await createPod(cluster.client, ns, 'b', {}, { ip: '10.244.2.2' });
    const first = await eventually('both pods ready in a slice', async () => {
      const [slice, ...rest] = await slicesOf(ns, 'web');
      assert.equal(rest.length, 0);
      assert.equal(slice?.endpoints.filter((e) => e.conditions?.ready).length, 2);
      return slice!;
    });

    // The slice names the time of the change it reflects: pod a's Ready transition.
    const changedAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_000).toISOString().replace('.000Z', 'Z');
    await setPodStatus(cluster.client, a, { ip: '10.244.2.1', ready: false, readySince: changedAt });
    await eventually('pod a no longer ready, same slice', async () => {
      const slices = await slicesOf(ns, 'web');
      assert.deepEqual(
        slices.map((s) => s.metadata?.name),
        [first.metadata?.name],
      );
      assert.equal(byPod(slices[0]!).get('a')?.conditions?.ready, false);
      assert.equal(slices[0]!.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'], changedAt);
      return true;
    });

    await cluster.client.delete(gvr.pods, ns, 'a', { gracePeriodSeconds: 0 });
    await cluster.client.delete(gvr.pods, ns, 'b', { gracePeriodSeconds: 0 });
    await eventually('an empty slice, the same one', async () => {
      const slices = await slicesOf(ns, 'web');
      assert.deepEqual(
        slices.map((s) => [s.metadata?.name, s.endpoints?.length ?? 0]),
        [[first.metadata?.name, 0]],
      );
      return true;
    });
  });

  it('spreads 250 pods over 3 slices of at most 100 endpoints', { timeout: 120_000 }, async () => {
    const ns = 'es-many';
    await createNamespace(cluster.client, ns);
    await createService(ns, 'big', { selector: { app: 'big' }, ports: [{ port: 80 }] });
    for (let i = 0; i < 250; i++) await createPod(cluster.client, ns, `p${i}`, { labels: { app: 'big' } }, { ip: `10.245.${Math.floor(i / 200)}.${(i % 200) + 1}` });
    await eventually(
      '3 slices holding 250 endpoints',
      async () => {
        const slices = await slicesOf(ns, 'big');
        assert.equal(slices.length, 3);
        for (const s of slices) assert.ok(s.endpoints.length <= 100, `${s.metadata?.name} has ${s.endpoints.length}`);
        assert.equal(new Set(slices.flatMap((s) => s.endpoints.map((e) => e.targetRef?.name))).size, 250);
        return true;
      },
      { timeoutMs: 60_000 },
    );
  });

  it('gives headless Services the headless label and publishNotReadyAddresses makes every pod ready', async () => {
    const ns = 'es-headless';
    await createNamespace(cluster.client, ns);
    await createService(ns, 'db', { clusterIP: 'None', selector: { app: 'db' }, publishNotReadyAddresses: true });
    await createPod(cluster.client, ns, 'db-0', { labels: { app: 'db' }, hostname: 'db-0', subdomain: 'db' }, { ip: '10.244.3.1', ready: false });
    await eventually('a headless slice with a ready (published) endpoint', async () => {
      const [slice] = await slicesOf(ns, 'db');
      assert.equal(slice?.metadata?.labels?.['service.kubernetes.io/headless'], '');
      assert.deepEqual(slice.ports ?? [], []);
      const ep = slice.endpoints[0];
      assert.deepEqual(ep?.conditions, { ready: true, serving: false, terminating: false });
      assert.equal(ep?.hostname, 'db-0');
      return true;
    });
  });

  it('leaves Services without a selector alone', async () => {
    const ns = 'es-noselector';
    await createNamespace(cluster.client, ns);
    await createService(ns, 'external', { ports: [{ port: 80 }] });
    await createService(ns, 'marker', { selector: { app: 'x' }, ports: [{ port: 80 }] });
    // Once the Service with a selector has its (empty) slice, the other one has been looked at too.
    await eventually('the placeholder slice of the Service with a selector', async () => ((await slicesOf(ns, 'marker')).length === 1 ? true : undefined));
    assert.deepEqual(await slicesOf(ns, 'external'), []);
  });
});
