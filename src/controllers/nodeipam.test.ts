// The node IPAM controller against the real API server: unique podCIDRs across hundreds of nodes, across restarts
// of the controller, never from the Service range, and CIDRNotAvailable when the range is full.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Node } from 'kubernetes-types/core/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { eventually } from '../../test/support/server.ts';
import { createLogger } from '../log.ts';
import type { ControllerConfig, ControllerContext } from './controller.ts';
import { newControllerContext, runControllerManager } from './manager.ts';
import { NodeIPAMController } from './nodeipam.ts';
import { CIDRSet } from './nodeipam-cidrset.ts';

const logger = () => createLogger('nodeipam-test', { level: 'warn' });
const opts = { timeoutMs: 60_000, intervalMs: 100, attempts: 1000 };

/** Runs only the node IPAM controller (as a controller manager would) until the returned stop() is called. */
function runIPAM(cluster: TestCluster, config: Partial<ControllerConfig>): { stop(): Promise<void> } {
  const abort = new AbortController();
  const options = {
    client: cluster.client,
    logger,
    config: { caPem: '', clusterCIDR: '10.244.0.0/16', nodeCIDRMaskSize: 24, serviceCIDR: '10.96.0.0/12', ...config },
    controllers: { 'node-ipam': (ctx: ControllerContext) => new NodeIPAMController(ctx) },
  };
  const done = runControllerManager(options, abort.signal, newControllerContext(options));
  return {
    async stop() {
      abort.abort();
      await done;
    },
  };
}

async function createNodes(cluster: TestCluster, names: string[], extra: (name: string) => Record<string, unknown> = () => ({})): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < names.length; i = next++) {
      const name = names[i]!;
      await cluster.client.create(gvr.nodes, '', { apiVersion: 'v1', kind: 'Node', metadata: { name }, ...extra(name) });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function podCIDRs(cluster: TestCluster): Promise<Map<string, string | undefined>> {
  const list = await cluster.client.list(gvr.nodes, '');
  return new Map((list.items as Node[]).map((n) => [n.metadata!.name!, n.spec?.podCIDR]));
}

void describe('node IPAM', { timeout: 180_000 }, () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  void it('gives 300 nodes unique podCIDRs, keeping assignments across a restart and away from the Service range', async () => {
    // A cluster CIDR the Service range (10.96.0.0/12) cuts into: none of 10.96–10.111 may be given.
    const config = { clusterCIDR: '10.64.0.0/10', nodeCIDRMaskSize: 20, serviceCIDR: '10.96.0.0/12' };
    await createNodes(cluster, ['preset'], () => ({ spec: { podCIDR: '10.64.16.0/20', podCIDRs: ['10.64.16.0/20'] } }));
    const first = Array.from({ length: 150 }, (_, i) => `ipam-a-${i}`);
    const second = Array.from({ length: 150 }, (_, i) => `ipam-b-${i}`);
    await createNodes(cluster, first);
    const one = runIPAM(cluster, config);
    await eventually('the first 150 nodes have podCIDRs', async () => {
      const m = await podCIDRs(cluster);
      return first.every((n) => m.get(n)) ? true : undefined;
    }, opts);
    await one.stop();

    await createNodes(cluster, second);
    const two = runIPAM(cluster, config);
    try {
      const all = await eventually('all 301 nodes have podCIDRs', async () => {
        const m = await podCIDRs(cluster);
        return [...m.values()].every(Boolean) && m.size === 301 ? m : undefined;
      }, opts);
      const cidrs = [...all.values()] as string[];
      assert.equal(new Set(cidrs).size, 301, 'no podCIDR is given twice');
      assert.equal(all.get('preset'), '10.64.16.0/20', 'an existing assignment stays');
      const cluster10 = new CIDRSet('10.64.0.0/10', 20);
      const services = new CIDRSet('10.96.0.0/12', 20);
      for (const c of cidrs) {
        assert.ok(cluster10.contains(c), `${c} is in the cluster CIDR`);
        assert.ok(!services.contains(c), `${c} is not in the Service range`);
      }
      const node = (await cluster.client.get(gvr.nodes, '', 'ipam-b-0')) as Node;
      assert.deepEqual(node.spec?.podCIDRs, [node.spec?.podCIDR]);
    } finally {
      await two.stop();
      for (const n of [...first, ...second, 'preset']) await cluster.client.delete(gvr.nodes, '', n);
    }
  });

  void it('says CIDRNotAvailable when the range is full, and assigns again once a node goes', async () => {
    const ipam = runIPAM(cluster, { clusterCIDR: '10.200.0.0/22', nodeCIDRMaskSize: 24 });
    try {
      await createNodes(cluster, ['full-0', 'full-1', 'full-2', 'full-3']);
      await eventually('four nodes with podCIDRs', async () => {
        const m = await podCIDRs(cluster);
        return ['full-0', 'full-1', 'full-2', 'full-3'].every((n) => m.get(n)) ? true : undefined;
      }, opts);
      await createNodes(cluster, ['full-4']);
      const event = await eventually('CIDRNotAvailable event', async () => {
        const list = await cluster.client.list(gvr.events, 'default', { fieldSelector: 'involvedObject.name=full-4' });
        return list.items.find((e) => e['reason'] === 'CIDRNotAvailable');
      }, opts);
      assert.equal(event['message'], 'Node full-4 status is now: CIDRNotAvailable');
      assert.equal((event['source'] as { component: string }).component, 'cidrAllocator');
      const freed = (await podCIDRs(cluster)).get('full-1');
      await cluster.client.delete(gvr.nodes, '', 'full-1');
      const got = await eventually('full-4 gets the freed podCIDR', async () => (await podCIDRs(cluster)).get('full-4'), opts);
      assert.equal(got, freed);
    } finally {
      await ipam.stop();
    }
  });
});
