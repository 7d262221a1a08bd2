// Simulated nodes against the real API server (in-process, memory storage), with the node IPAM controller.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.d.ts';
import type { Node, Pod } from 'kubernetes-types/core/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { eventually } from '../../test/support/server.ts';
import type { KubeObject } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import { NodeIPAMController } from '../controllers/nodeipam.ts';
import { createLogger } from '../log.ts';
import { parseCIDR, ipToBigInt } from './ippool.ts';
import { DEFAULT_SIMULATED_CAPACITY } from './node.ts';
import { PAUSED_ANNOTATION, SimulatedNodes, simulatedNodeConfigs } from './simulated.ts';

const logger = createLogger('simulated-test', { level: 'warn' });
const opts = { timeoutMs: 20_000, intervalMs: 50 };

function inCIDR(ip: string, cidr: string): boolean {
  const { base, prefix, family } = parseCIDR(cidr);
  const size = 1n << BigInt((family === 4 ? 32 : 128) - prefix);
  const n = ipToBigInt(ip);
  return n >= base && n < base + size;
}

const pod = (name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, ...metadata },
  spec: { containers: [{ name: 'web', image: 'nginx' }], ...spec },
});

async function getPod(cluster: TestCluster, name: string): Promise<Pod> {
  return (await cluster.client.get(gvr.pods, 'default', name)) as Pod;
}

async function renewTime(cluster: TestCluster, node: string): Promise<number> {
  const lease = (await cluster.client.get(gvr.leases, 'kube-node-lease', node)) as Lease;
  return Date.parse(lease.spec?.renewTime ?? '');
}

void describe('simulated nodes', { timeout: 120_000 }, () => {
  let cluster: TestCluster;
  let fleet: SimulatedNodes;
  const stop = new AbortController();
  let running: Promise<void>;
  const nodes = simulatedNodeConfigs(3, { prefix: 'sim-', capacity: { ...DEFAULT_SIMULATED_CAPACITY, cpu: '8' }, labels: { tier: 'test' }, runtimeVersion: '0.0.0-test' });

  before(async () => {
    cluster = await startTestCluster({ controllers: { 'node-ipam': (ctx) => new NodeIPAMController(ctx) } });
    fleet = new SimulatedNodes({ client: cluster.client, logger, nodes, leaseRenewIntervalMs: 200 });
    running = fleet.start(stop.signal);
    await fleet.waitForRegistration(stop.signal);
  });
  after(async () => {
    stop.abort();
    await running;
    await cluster?.stop();
  });

  void it('registers each node with its labels, capacity, Ready conditions, a podCIDR and a renewed Lease', async () => {
    for (const { name } of nodes) {
      const node = await eventually(`${name} Ready with a podCIDR`, async () => {
        const n = (await cluster.client.get(gvr.nodes, '', name)) as Node;
        const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
        return ready?.status === 'True' && n.spec?.podCIDR ? n : undefined;
      }, opts);
      assert.equal(node.metadata?.labels?.['kubernetes.io/hostname'], name);
      assert.equal(node.metadata?.labels?.['kubernetes.io/os'], 'linux');
      assert.equal(node.metadata?.labels?.['tier'], 'test');
      assert.equal(node.status?.capacity?.['cpu'], '8');
      assert.equal(node.status?.allocatable?.['pods'], '110');
      assert.deepEqual(node.status?.conditions?.map((c) => [c.type, c.status, c.reason]), [
        ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
        ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
        ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
        ['Ready', 'True', 'KubeletReady'],
      ]);
      assert.equal(node.status?.nodeInfo?.containerRuntimeVersion, 'simulated://0.0.0-test');
      assert.ok(inCIDR(node.status!.addresses!.find((a) => a.type === 'InternalIP')!.address, '198.18.0.0/15'));
      const lease = (await cluster.client.get(gvr.leases, 'kube-node-lease', name)) as Lease;
      assert.equal(lease.spec?.holderIdentity, name);
      assert.equal(lease.spec?.leaseDurationSeconds, 40);
      assert.deepEqual(lease.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.uid]), [['Node', name, node.metadata?.uid]]);
    }
    const cidrs = await Promise.all(nodes.map(async ({ name }) => ((await cluster.client.get(gvr.nodes, '', name)) as Node).spec?.podCIDR));
    assert.equal(new Set(cidrs).size, nodes.length, 'every node has its own podCIDR');
    const first = await renewTime(cluster, 'sim-0');
    await eventually('the lease to be renewed', async () => ((await renewTime(cluster, 'sim-0')) > first ? true : undefined), opts);
  });

  void it('runs a bound pod: Running and Ready, with an IP from its node’s podCIDR', async () => {
    await cluster.client.create(gvr.pods, 'default', pod('web', { nodeName: 'sim-1' }));
    const p = await eventually('pod web Ready', async () => {
      const x = await getPod(cluster, 'web');
      return x.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? x : undefined;
    }, opts);
    const node = (await cluster.client.get(gvr.nodes, '', 'sim-1')) as Node;
    assert.equal(p.status?.phase, 'Running');
    assert.ok(p.status?.podIP && inCIDR(p.status.podIP, node.spec!.podCIDR!), `${p.status?.podIP} in ${node.spec?.podCIDR}`);
    assert.deepEqual(p.status?.podIPs, [{ ip: p.status?.podIP }]);
    assert.equal(p.status?.hostIP, node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address);
    assert.equal(p.status?.qosClass, 'BestEffort');
    assert.ok(p.status?.startTime);
    assert.deepEqual(p.status?.conditions?.map((c) => [c.type, c.status]).sort(), [
      ['ContainersReady', 'True'],
      ['Initialized', 'True'],
      ['PodReadyToStartContainers', 'True'],
      ['PodScheduled', 'True'],
      ['Ready', 'True'],
    ]);
    for (const c of p.status?.conditions ?? []) assert.ok(c.lastTransitionTime, `${c.type} has a lastTransitionTime`);
    const cs = p.status?.containerStatuses?.[0];
    assert.deepEqual([cs?.name, cs?.image, cs?.ready, cs?.started, cs?.restartCount], ['web', 'nginx', true, true, 0]);
    assert.ok(cs?.state?.running?.startedAt);
    assert.match(cs?.containerID ?? '', /^simulated:\/\/[0-9a-f]{64}$/);
  });

  void it('gives a host-network pod its node’s address and every other pod an address of its own', async () => {
    await cluster.client.create(gvr.pods, 'default', pod('host', { nodeName: 'sim-1', hostNetwork: true }));
    await cluster.client.create(gvr.pods, 'default', pod('web2', { nodeName: 'sim-1' }));
    const [host, web, web2] = await eventually('pods running', async () => {
      const ps = await Promise.all(['host', 'web', 'web2'].map((n) => getPod(cluster, n)));
      return ps.every((x) => x.status?.phase === 'Running') ? ps : undefined;
    }, opts);
    assert.equal(host!.status?.podIP, host!.status?.hostIP);
    assert.notEqual(web!.status?.podIP, web2!.status?.podIP);
  });

  void it('finishes a Job’s pod as Succeeded', async () => {
    await cluster.client.create(
      gvr.pods,
      'default',
      pod('job-x', { nodeName: 'sim-2', restartPolicy: 'Never' }, { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'x', uid: '6a3c2b4e-0000-4000-8000-000000000001', controller: true }] }),
    );
    const p = await eventually('job pod Succeeded', async () => {
      const x = await getPod(cluster, 'job-x');
      return x.status?.phase === 'Succeeded' ? x : undefined;
    }, opts);
    const term = p.status?.containerStatuses?.[0]?.state?.terminated;
    assert.deepEqual([term?.exitCode, term?.reason], [0, 'Completed']);
    assert.equal(p.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'PodCompleted');
  });

  void it('completes the graceful deletion of a running pod', async () => {
    await cluster.client.create(gvr.pods, 'default', pod('doomed', { nodeName: 'sim-0' }));
    await eventually('doomed Running', async () => ((await getPod(cluster, 'doomed')).status?.phase === 'Running' ? true : undefined), opts);
    const answer = await cluster.client.delete(gvr.pods, 'default', 'doomed');
    assert.ok((answer.metadata as { deletionTimestamp?: string } | undefined)?.deletionTimestamp, 'deletion is graceful');
    await eventually('doomed gone', async () => {
      try {
        await getPod(cluster, 'doomed');
        return undefined;
      } catch (err) {
        return isNotFound(err) ? true : undefined;
      }
    }, opts);
  });

  void it('stops heartbeating while paused (by call or by annotation) and starts again when resumed', async () => {
    fleet.pause('sim-2');
    assert.equal(fleet.isPaused('sim-2'), true);
    // A renewal already on the wire may still land; after that the Lease stands still.
    await new Promise((r) => setTimeout(r, 300));
    const paused = await renewTime(cluster, 'sim-2');
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(await renewTime(cluster, 'sim-2'), paused, 'no renewals while paused');
    fleet.resume('sim-2');
    await eventually('renewals again', async () => ((await renewTime(cluster, 'sim-2')) > paused ? true : undefined), opts);

    await cluster.client.patch(gvr.nodes, '', 'sim-0', 'merge', { metadata: { annotations: { [PAUSED_ANNOTATION]: 'true' } } });
    await eventually('paused by annotation', () => (fleet.isPaused('sim-0') ? true : undefined), opts);
    await new Promise((r) => setTimeout(r, 300));
    const annotated = await renewTime(cluster, 'sim-0');
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(await renewTime(cluster, 'sim-0'), annotated);
    await cluster.client.patch(gvr.nodes, '', 'sim-0', 'merge', { metadata: { annotations: { [PAUSED_ANNOTATION]: null } } });
    await eventually('renewals after the annotation went', async () => ((await renewTime(cluster, 'sim-0')) > annotated ? true : undefined), opts);
  });

  void it('after a restart, keeps the addresses it gave and registers the existing nodes again', async () => {
    const before = await Promise.all(['web', 'web2'].map(async (n) => (await getPod(cluster, n)).status?.podIP));
    const second = new AbortController();
    const again = new SimulatedNodes({ client: cluster.client, logger, nodes: nodes.slice(1, 2), leaseRenewIntervalMs: 200 });
    // The first fleet stops playing sim-1 (as a kubelet restarts), and a new one takes over.
    fleet.pause('sim-1');
    const run = again.start(second.signal);
    try {
      await again.waitForRegistration(second.signal);
      await cluster.client.create(gvr.pods, 'default', pod('web3', { nodeName: 'sim-1' }));
      const p3 = await eventually('web3 Running', async () => {
        const x = await getPod(cluster, 'web3');
        return x.status?.phase === 'Running' ? x : undefined;
      }, opts);
      assert.ok(!before.includes(p3.status?.podIP), `${p3.status?.podIP} is new (taken: ${before.join(', ')})`);
    } finally {
      second.abort();
      await run;
      fleet.resume('sim-1');
    }
  });
});

void describe('a simulated node without a podCIDR', { timeout: 60_000 }, () => {
  void it('holds its pods until the podCIDR comes', async () => {
    const cluster = await startTestCluster();
    const stop = new AbortController();
    const fleet = new SimulatedNodes({ client: cluster.client, logger, nodes: simulatedNodeConfigs(1, { prefix: 'lonely-', capacity: { ...DEFAULT_SIMULATED_CAPACITY }, runtimeVersion: 't' }), leaseRenewIntervalMs: 500 });
    const running = fleet.start(stop.signal);
    try {
      await fleet.waitForRegistration(stop.signal);
      await cluster.client.create(gvr.pods, 'default', pod('waiting', { nodeName: 'lonely-0' }));
      await cluster.client.create(gvr.pods, 'default', pod('hostnet', { nodeName: 'lonely-0', hostNetwork: true }));
      // The host-network pod needs no podCIDR; once it runs, the other has had its chance too.
      await eventually('hostnet Running', async () => ((await getPod(cluster, 'hostnet')).status?.phase === 'Running' ? true : undefined), opts);
      assert.equal((await getPod(cluster, 'waiting')).status?.podIP, undefined);
      await cluster.client.patch(gvr.nodes, '', 'lonely-0', 'merge', { spec: { podCIDR: '10.99.7.0/24', podCIDRs: ['10.99.7.0/24'] } });
      const p = await eventually('waiting Running', async () => {
        const x = await getPod(cluster, 'waiting');
        return x.status?.phase === 'Running' ? x : undefined;
      }, opts);
      assert.equal(p.status?.podIP, '10.99.7.2');
    } finally {
      stop.abort();
      await running;
      await cluster.stop();
    }
  });

  void it('says FailedCreatePodSandBox when the node has no address left, and starts the pod once one is free', async () => {
    const cluster = await startTestCluster();
    const stop = new AbortController();
    const fleet = new SimulatedNodes({ client: cluster.client, logger, nodes: simulatedNodeConfigs(1, { prefix: 'tiny-', capacity: { ...DEFAULT_SIMULATED_CAPACITY }, runtimeVersion: 't' }), leaseRenewIntervalMs: 500 });
    const running = fleet.start(stop.signal);
    try {
      await fleet.waitForRegistration(stop.signal);
      // A /30 leaves one address for pods (.2): not the network, the gateway or the broadcast address.
      await cluster.client.patch(gvr.nodes, '', 'tiny-0', 'merge', { spec: { podCIDR: '10.99.8.0/30', podCIDRs: ['10.99.8.0/30'] } });
      await cluster.client.create(gvr.pods, 'default', pod('first', { nodeName: 'tiny-0' }));
      await eventually('first Running', async () => ((await getPod(cluster, 'first')).status?.phase === 'Running' ? true : undefined), opts);
      await cluster.client.create(gvr.pods, 'default', pod('second', { nodeName: 'tiny-0' }));
      const event = await eventually('FailedCreatePodSandBox', async () => {
        const list = await cluster.client.list(gvr.events, 'default', { fieldSelector: 'involvedObject.name=second,reason=FailedCreatePodSandBox' });
        return list.items[0];
      }, opts);
      assert.equal(event['type'], 'Warning');
      assert.match(String(event['message']), /^Failed to create pod sandbox: no free address left in 10\.99\.8\.0\/30/);
      assert.equal((await getPod(cluster, 'second')).status?.podIP, undefined);
      await cluster.client.delete(gvr.pods, 'default', 'first');
      const second = await eventually('second Running', async () => {
        const x = await getPod(cluster, 'second');
        return x.status?.phase === 'Running' ? x : undefined;
      }, opts);
      assert.equal(second.status?.podIP, '10.99.8.2');
    } finally {
      stop.abort();
      await running;
      await cluster.stop();
    }
  });
});
