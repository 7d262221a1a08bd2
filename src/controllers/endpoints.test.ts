// The Endpoints controller against a real API server: core/v1 Endpoints named as their Service, repacked subsets.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, Service } from 'kubernetes-types/core/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { eventually } from '../../test/support/server.ts';
import type { KubeObject } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import { EndpointsController } from './endpoints.ts';
import { createNamespace, createNode, createPod, setPodStatus } from './endpoints-testpods.ts';

type EndpointsObject = Endpoints & KubeObject;

describe('Endpoints controller', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster({ controllers: { endpoint: (ctx) => new EndpointsController(ctx) } });
    await createNode(cluster.client, 'node-1');
  });
  after(() => cluster?.stop());

  const createService = (namespace: string, name: string, spec: Service['spec'], labels: Record<string, string> = { team: 'blue' }) =>
    cluster.client.create(gvr.services, namespace, { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, labels }, spec } as KubeObject);
  const endpointsOf = (namespace: string, name: string) => cluster.client.get<EndpointsObject>(gvr.endpoints, namespace, name);
  const ips = (addrs: Array<{ ip: string }> | undefined) => (addrs ?? []).map((a) => a.ip);

  it('lists ready and not-ready addresses per port, named as the Service and labelled like it', async () => {
    const ns = 'ep-basic';
    await createNamespace(cluster.client, ns);
    await createService(ns, 'web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'metrics', port: 9100 }] });
    await createPod(cluster.client, ns, 'b', {}, { ip: '10.244.0.2' });
    await createPod(cluster.client, ns, 'a', {}, { ip: '10.244.0.1' });
    await createPod(cluster.client, ns, 'c', {}, { ip: '10.244.0.3', ready: false });
    const leaving = await createPod(cluster.client, ns, 'd', {}, { ip: '10.244.0.4' });
    await cluster.client.delete(gvr.pods, ns, leaving.metadata!.name!, { gracePeriodSeconds: 30 });

    const ep = await eventually('endpoints with two ready and one not-ready address', async () => {
      const ep = await endpointsOf(ns, 'web');
      assert.equal(ep.subsets?.length, 1);
      assert.deepEqual(ips(ep.subsets![0]!.addresses), ['10.244.0.1', '10.244.0.2']);
      assert.deepEqual(ips(ep.subsets![0]!.notReadyAddresses), ['10.244.0.3']);
      return ep;
    });
    const subset = ep.subsets![0]!;
    assert.deepEqual(
      subset.ports?.map((p) => [p.name, p.port, p.protocol]),
      [
        ['http', 8080, 'TCP'],
        ['metrics', 9100, 'TCP'],
      ],
    );
    const a = subset.addresses![0]!;
    assert.equal(a.nodeName, 'node-1');
    assert.equal(a.targetRef?.kind, 'Pod');
    assert.equal(a.targetRef?.name, 'a');
    assert.equal(a.targetRef?.namespace, ns);
    assert.deepEqual(ep.metadata?.labels, { team: 'blue' });
  });

  it('splits pods whose named port resolves to different numbers into different subsets', async () => {
    const ns = 'ep-named';
    await createNamespace(cluster.client, ns);
    await createService(ns, 'api', { selector: { app: 'api' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] });
    await createPod(cluster.client, ns, 'old', { labels: { app: 'api' }, ports: [{ name: 'http', containerPort: 8080 }] }, { ip: '10.244.1.1' });
    await createPod(cluster.client, ns, 'new', { labels: { app: 'api' }, ports: [{ name: 'http', containerPort: 9090 }] }, { ip: '10.244.1.2' });
    await eventually('two subsets', async () => {
      const ep = await endpointsOf(ns, 'api');
      const byPort = Object.fromEntries((ep.subsets ?? []).map((s) => [s.ports?.[0]?.port, ips(s.addresses)]));
      assert.deepEqual(byPort, { 8080: ['10.244.1.1'], 9090: ['10.244.1.2'] });
      return true;
    });
  });

  it('follows readiness and deletion of pods, and deletes the Endpoints with the Service', async () => {
    const ns = 'ep-updates';
    await createNamespace(cluster.client, ns);
    await createService(ns, 'web', { selector: { app: 'web' }, ports: [{ port: 80 }] });
    const a = await createPod(cluster.client, ns, 'a', {}, { ip: '10.244.2.1' });
    await createPod(cluster.client, ns, 'b', {}, { ip: '10.244.2.2' });
    await eventually('both ready', async () => {
      assert.deepEqual(ips((await endpointsOf(ns, 'web')).subsets?.[0]?.addresses), ['10.244.2.1', '10.244.2.2']);
      return true;
    });
    // The Endpoints name the time of the change they reflect: pod a's Ready transition.
    const changedAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_000).toISOString().replace('.000Z', 'Z');
    await setPodStatus(cluster.client, a, { ip: '10.244.2.1', ready: false, readySince: changedAt });
    await eventually('a not ready', async () => {
      const ep = await endpointsOf(ns, 'web');
      const s = ep.subsets?.[0];
      assert.deepEqual([ips(s?.addresses), ips(s?.notReadyAddresses)], [['10.244.2.2'], ['10.244.2.1']]);
      assert.equal(ep.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'], changedAt);
      return true;
    });
    await cluster.client.delete(gvr.pods, ns, 'b', { gracePeriodSeconds: 0 });
    await eventually('b gone', async () => {
      const s = (await endpointsOf(ns, 'web')).subsets?.[0];
      assert.deepEqual([ips(s?.addresses), ips(s?.notReadyAddresses)], [[], ['10.244.2.1']]);
      return true;
    });
    await cluster.client.delete(gvr.services, ns, 'web');
    await eventually('the Endpoints deleted', async () => {
      try {
        await endpointsOf(ns, 'web');
        return undefined;
      } catch (err) {
        return isNotFound(err) ? true : undefined;
      }
    });
  });

  it('gives a headless Service without ports its addresses and the headless label; publishes not-ready pods when asked', async () => {
    const ns = 'ep-headless';
    await createNamespace(cluster.client, ns);
    await createService(ns, 'db', { clusterIP: 'None', selector: { app: 'db' }, publishNotReadyAddresses: true }, {});
    await createPod(cluster.client, ns, 'db-0', { labels: { app: 'db' }, hostname: 'db-0', subdomain: 'db' }, { ip: '10.244.3.1', ready: false });
    await eventually('a published address with its hostname', async () => {
      const ep = await endpointsOf(ns, 'db');
      assert.deepEqual(ep.metadata?.labels, { 'service.kubernetes.io/headless': '' });
      assert.equal(ep.subsets?.length, 1);
      assert.deepEqual(ep.subsets![0]!.ports ?? [], []);
      assert.deepEqual(
        ep.subsets![0]!.addresses?.map((x) => [x.ip, x.hostname]),
        [['10.244.3.1', 'db-0']],
      );
      return true;
    });
  });

  it('leaves the Endpoints of a Service without a selector alone', async () => {
    const ns = 'ep-manual';
    await createNamespace(cluster.client, ns);
    await createService(ns, 'external', { ports: [{ port: 443 }] });
    const manual = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'external', namespace: ns }, subsets: [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ port: 443 }] }] };
    await cluster.client.create(gvr.endpoints, ns, manual);
    await createService(ns, 'marker', { selector: { app: 'none' }, ports: [{ port: 80 }] });
    await eventually('the marker Service handled', async () => ((await endpointsOf(ns, 'marker')).metadata ? true : undefined));
    assert.deepEqual(ips((await endpointsOf(ns, 'external')).subsets?.[0]?.addresses), ['192.0.2.10']);
  });
});
