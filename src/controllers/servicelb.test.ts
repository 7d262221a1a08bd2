// The built-in service load balancer against a real API server: LoadBalancer Services get the real Ready nodes'
// addresses as ingress; a port an older one holds keeps the newer one pending until it is freed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Node, Service } from 'kubernetes-types/core/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { eventually } from '../../test/support/server.ts';
import type { KubeObject } from '../client/client.ts';
import { nodeIngressIPs, portConflict, ServiceLBController } from './servicelb.ts';

const node = (name: string, ip: string, opts: { ready?: boolean; runtime?: string; externalIP?: string } = {}): Node => ({
  metadata: { name },
  status: {
    conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    addresses: [{ type: 'InternalIP', address: ip }, ...(opts.externalIP ? [{ type: 'ExternalIP', address: opts.externalIP }] : [])],
    nodeInfo: { containerRuntimeVersion: opts.runtime ?? 'containerd://1.6.20' } as never,
  },
});

describe('servicelb', () => {
  it('uses Ready nodes with real pods, ExternalIP first', () => {
    const nodes = [
      node('b', '192.0.2.12'),
      node('a', '192.0.2.11', { externalIP: '198.51.100.1' }),
      node('down', '192.0.2.13', { ready: false }),
      node('sim', '10.0.0.1', { runtime: 'simulated://0.1.0' }),
    ];
    assert.deepEqual(nodeIngressIPs(nodes), ['192.0.2.12', '198.51.100.1']);
  });

  it('finds the older LoadBalancer Service holding a port', () => {
    const lb = (name: string, created: string, ports: Array<[number, string]>): Service => ({
      metadata: { name, namespace: 'default', uid: name, creationTimestamp: created },
      spec: { type: 'LoadBalancer', ports: ports.map(([port, protocol]) => ({ port, protocol })) },
    });
    const first = lb('first', '2026-01-01T00:00:00Z', [[80, 'TCP']]);
    const second = lb('second', '2026-01-02T00:00:00Z', [[53, 'UDP'], [80, 'TCP']]);
    const udp = lb('udp', '2026-01-03T00:00:00Z', [[80, 'UDP']]);
    assert.deepEqual(portConflict(second, [second, first, udp]), { port: '80/TCP', holder: 'default/first' });
    assert.equal(portConflict(first, [second, first, udp]), undefined);
    assert.equal(portConflict(udp, [second, first, udp]), undefined);
  });

  describe('against the API server', () => {
    let cluster: TestCluster;
    before(async () => {
      cluster = await startTestCluster({ controllers: { servicelb: (ctx) => new ServiceLBController(ctx) } });
      const created = await cluster.client.create(gvr.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } });
      await cluster.client.updateStatus(gvr.nodes, undefined, { ...created, status: node('node-1', '192.0.2.21').status } as KubeObject);
    });
    after(() => cluster?.stop());

    const create = (name: string, spec: Service['spec']) =>
      cluster.client.create(gvr.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec } as KubeObject);
    const ingress = async (name: string) => ((await cluster.client.get(gvr.services, 'default', name)) as Service).status?.loadBalancer?.ingress;

    it('gives the node address, keeps a conflicting Service pending, and hands the port over when freed', async () => {
      await create('web', { type: 'LoadBalancer', ports: [{ port: 80 }] });
      await eventually('web has the node address', async () => {
        assert.deepEqual(await ingress('web'), [{ ip: '192.0.2.21', ipMode: 'VIP' }]);
        return true;
      });
      await create('web2', { type: 'LoadBalancer', ports: [{ port: 80 }] });
      await eventually('a warning on web2', async () => {
        const events = await cluster.client.list(gvr.events, 'default', { fieldSelector: 'involvedObject.name=web2' });
        const reasons = events.items.map((e) => `${(e as { reason?: string }).reason}: ${(e as { message?: string }).message}`);
        assert.ok(reasons.includes('SyncLoadBalancerFailed: port 80/TCP is in use by the LoadBalancer Service default/web'), reasons.join('\n'));
        return true;
      });
      assert.equal(await ingress('web2'), undefined);
      // A ClusterIP Service on the same port is no conflict; changing web's type frees port 80 and clears its status.
      const web = (await cluster.client.get(gvr.services, 'default', 'web')) as Service;
      await cluster.client.update(gvr.services, 'default', { ...web, spec: { ...web.spec, type: 'ClusterIP' } } as unknown as KubeObject);
      await eventually('web2 takes the port', async () => {
        assert.deepEqual(await ingress('web2'), [{ ip: '192.0.2.21', ipMode: 'VIP' }]);
        return true;
      });
      await eventually('web no longer has an ingress', async () => {
        assert.equal(await ingress('web'), undefined);
        return true;
      });
    });

    it('leaves Services with a loadBalancerClass to their own controller', async () => {
      await create('classy', { type: 'LoadBalancer', loadBalancerClass: 'example.com/lb', ports: [{ port: 8080 }] });
      await create('plain', { type: 'LoadBalancer', ports: [{ port: 8081 }] });
      await eventually('plain is served', async () => {
        assert.ok((await ingress('plain'))?.length);
        return true;
      });
      assert.equal(await ingress('classy'), undefined);
    });
  });
});
