// The Proxier against the real API server, writing to the in-memory iptables: informers, coalesced syncs, the canary
// check and retries. (test/e2e/proxy.test.ts runs it against real iptables and packets.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.d.ts';
import { silentLogger } from '../log.ts';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { httpGet } from '../../test/support/http.ts';
import { eventually } from '../../test/support/server.ts';
import { FakeIptables } from './fake-iptables.testutil.ts';
import { service, slice } from './fixtures.testutil.ts';
import { Proxier } from './proxier.ts';

describe('Proxier', () => {
  let cluster: TestCluster;
  const iptables = new FakeIptables();
  const stop = new AbortController();
  let proxier: Proxier;
  let running: Promise<void>;

  // The fixtures carry a resourceVersion, which a create must not.
  const create = (obj: { metadata?: object }, resource: typeof gvr.services) =>
    cluster.client.create(resource, 'default', { ...obj, metadata: { ...obj.metadata, resourceVersion: undefined } } as never);

  before(async () => {
    cluster = await startTestCluster();
    await create(service('default', 'early', { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }), gvr.services);
    proxier = new Proxier({
      client: cluster.client,
      nodeName: 'node-a',
      nodeIPs: ['192.0.2.2'],
      clusterCIDR: '10.244.0.0/16',
      iptables,
      logger: silentLogger(),
      conntrack: null,
      sysctl: null,
      minSyncPeriodMs: 50,
      syncPeriodMs: 300,
      healthzBindAddress: '127.0.0.1:0',
      metricsBindAddress: '127.0.0.1:0',
      healthCheckAddresses: ['127.0.0.1'],
    });
    running = proxier.start(stop.signal);
    await proxier.waitForFirstSync(stop.signal);
  });

  after(async () => {
    stop.abort();
    await running;
    await cluster?.stop();
  });

  const get = (port: number, path: string) => httpGet('127.0.0.1', port, path);

  const natServices = () => iptables.rules('nat', 'KUBE-SERVICES') ?? [];

  it('has synced every Service that existed at start before waitForFirstSync resolves', () => {
    assert.equal(proxier.metrics.fullSyncs >= 1, true);
    assert.ok(
      (iptables.rules('filter', 'KUBE-SERVICES') ?? []).some((r) => r.includes('"default/early:http has no endpoints"')),
      'a Service without endpoints is rejected from the first sync',
    );
  });

  it('follows Services and EndpointSlices with partial syncs', async () => {
    await create(service('default', 'web', { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }), gvr.services);
    await create(slice('default', 'web', [{ ip: '10.244.0.5', node: 'node-a' }], [{ name: 'http', port: 8080 }]), gvr.endpointslices);
    const rule = await eventually('the web ClusterIP is captured', () => natServices().find((r) => r.includes('"default/web:http cluster IP"')));
    assert.match(rule, /-j KUBE-SVC-[A-Z2-7]{16}$/);
    const svcChain = rule.split(' -j ')[1]!;
    await eventually('traffic goes to the endpoint', () => (iptables.rules('nat', svcChain)?.some((r) => r.includes('10.244.0.5:8080')) ? true : undefined));
    assert.equal(proxier.metrics.lastSync?.full, false);

    await cluster.client.delete(gvr.services, 'default', 'web');
    await eventually('the web chains are gone', () => (!iptables.chains('nat').includes(svcChain) ? true : undefined));
    assert.ok(!natServices().some((r) => r.includes('default/web')));
  });

  it('serves its mode and sync metrics', async () => {
    const port = proxier.metricsAddress!.port;
    assert.equal((await get(port, '/proxyMode')).body, 'iptables');
    const page = (await get(port, '/metrics')).body;
    const value = (series: string) => Number(page.split('\n').find((l) => l.startsWith(`${series} `))?.split(' ')[1]);
    assert.ok(value('kubeproxy_sync_proxy_rules_duration_seconds_count') >= 1, page);
    assert.ok(value('kubeproxy_sync_full_proxy_rules_duration_seconds_count') >= 1, 'the first sync was a full one');
    assert.ok(value('kubeproxy_sync_proxy_rules_service_changes_total') >= 1, 'the Service that existed at start counts as a change');
  });

  it('rewrites everything when the canary chains disappear (someone flushed the tables)', async () => {
    const before = proxier.metrics.fullSyncs;
    await iptables.restore('*mangle\n-X KUBE-PROXY-CANARY\nCOMMIT\n');
    await eventually('a full sync', () => (proxier.metrics.fullSyncs > before ? true : undefined), { timeoutMs: 5000 });
    assert.ok(iptables.chains('mangle').includes('KUBE-PROXY-CANARY'));
  });

  it('retries a failed sync with a full one', async () => {
    const failures = proxier.metrics.failures;
    iptables.failNextRestore = 'iptables-restore: simulated failure';
    await create(service('default', 'after-failure', { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }), gvr.services);
    await eventually('the failure is counted', () => (proxier.metrics.failures > failures ? true : undefined));
    assert.match(proxier.metrics.lastError ?? '', /simulated failure/);
    await eventually('the Service is synced after the retry', () =>
      (iptables.rules('filter', 'KUBE-SERVICES') ?? []).some((r) => r.includes('default/after-failure:http')) ? true : undefined,
    );
    assert.equal(proxier.metrics.lastSync?.full, true);
  });

  it('answers a LoadBalancer Service’s health check with this node’s ready endpoints, and /healthz with the node’s state', async () => {
    const lb = service('default', 'lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] });
    const created = (await create(lb, gvr.services)) as unknown as Service;
    const port = created.spec!.healthCheckNodePort!;
    assert.ok(port > 0, 'the API server allocated a health check node port');
    await eventually('the health check port opens', () => (proxier.healthCheckPorts.get('default/lb') === port ? true : undefined));
    const none = await get(port, '/');
    assert.equal(none.status, 503, 'no endpoint on this node yet');
    assert.equal(JSON.parse(none.body).localEndpoints, 0);

    await create(slice('default', 'lb', [{ ip: '10.244.0.7', node: 'node-a' }, { ip: '10.244.1.7', node: 'node-b' }], [{ name: 'http', port: 8080 }]), gvr.endpointslices);
    const ok = await eventually('the health check passes', async () => ((await get(port, '/')).status === 200 ? await get(port, '/') : undefined));
    assert.deepEqual(JSON.parse(ok.body), { service: { namespace: 'default', name: 'lb' }, localEndpoints: 1, serviceProxyHealthy: true });

    const healthz = proxier.healthzAddress!.port;
    assert.equal((await get(healthz, '/healthz')).status, 200);
    await cluster.client.create(gvr.nodes, '', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' }, spec: { taints: [{ key: 'ToBeDeletedByClusterAutoscaler', effect: 'NoSchedule' }] } } as never);
    const draining = await eventually('/healthz turns 503 for a node the autoscaler is deleting', async () => {
      const r = await get(healthz, '/healthz');
      return r.status === 503 ? r : undefined;
    });
    assert.match(draining.body, /"nodeEligible": false}$/);
    assert.equal((await get(healthz, '/livez')).status, 200);

    await cluster.client.delete(gvr.services, 'default', 'lb');
    await eventually('the health check port closes', () => (!proxier.healthCheckPorts.has('default/lb') ? true : undefined));
    await assert.rejects(get(port, '/'), /ECONNREFUSED/);
  });

  it('sends a zone-hinted Service’s traffic to this node’s zone once its Node has the zone label', async () => {
    await create(service('default', 'zonal', { trafficDistribution: 'PreferClose', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }), gvr.services);
    const zonal = slice('default', 'zonal', [{ ip: '10.244.0.21', node: 'node-a' }, { ip: '10.244.1.21', node: 'node-b' }], [{ name: 'http', port: 8080 }]);
    zonal.endpoints![0]!.hints = { forZones: [{ name: 'zone-a' }] };
    zonal.endpoints![1]!.hints = { forZones: [{ name: 'zone-b' }] };
    await create(zonal, gvr.endpointslices);
    const svcChain = await eventually('the zonal Service is captured', () => natServices().find((r) => r.includes('"default/zonal:http cluster IP"'))?.split(' -j ')[1]);
    const endpointsIn = () => ['10.244.0.21', '10.244.1.21'].filter((ip) => iptables.rules('nat', svcChain)?.some((r) => r.includes(ip)));
    await eventually('without a zone on the node, both endpoints', () => (endpointsIn().length === 2 ? true : undefined));
    const node = (await cluster.client.get(gvr.nodes, '', 'node-a')) as { metadata: { labels?: Record<string, string> } };
    await cluster.client.update(gvr.nodes, '', { ...node, metadata: { ...node.metadata, labels: { ...node.metadata.labels, 'topology.kubernetes.io/zone': 'zone-a' } } } as never);
    await eventually('only the zone-a endpoint', () => (endpointsIn().join() === '10.244.0.21' ? true : undefined));
  });
});
