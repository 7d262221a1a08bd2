// The node lifecycle and taint eviction controllers against the real API server, with simulated nodes whose
// heartbeats the test stops and starts. Periods are shortened: grace 2 s, checks every 200 ms.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { eventually } from '../../test/support/server.ts';
import type { KubeObject } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import { DEFAULT_SIMULATED_CAPACITY } from '../kubelet/node.ts';
import { SimulatedNodes, simulatedNodeConfigs } from '../kubelet/simulated.ts';
import { createLogger } from '../log.ts';
import type { ControllerContext } from './controller.ts';
import { NodeIPAMController } from './nodeipam.ts';
import { NodeLifecycleController } from './nodelifecycle.ts';
import { TaintEvictionController } from './nodelifecycle-tainteviction.ts';

const logger = createLogger('nodelifecycle-test', { level: 'warn' });
const opts = { timeoutMs: 30_000, intervalMs: 100 };
const fast = (ctx: ControllerContext): ControllerContext => ({
  ...ctx,
  config: { ...ctx.config, nodeLifecycle: { monitorPeriodMs: 200, monitorGracePeriodMs: 2_000, startupGracePeriodMs: 2_000, evictionRate: 100 } },
});
const controllers = {
  'node-ipam': (ctx: ControllerContext) => new NodeIPAMController(ctx),
  'node-lifecycle': (ctx: ControllerContext) => new NodeLifecycleController(fast(ctx)),
  'taint-eviction-controller': (ctx: ControllerContext) => new TaintEvictionController(ctx),
};

const getNode = async (c: TestCluster, name: string) => (await c.client.get(gvr.nodes, '', name)) as Node;
const getPod = async (c: TestCluster, name: string) => (await c.client.get(gvr.pods, 'default', name)) as Pod;
const taintKeys = (n: Node) => (n.spec?.taints ?? []).map((t: Taint) => `${t.key}:${t.effect}`).sort();
const condition = (n: Node | Pod, type: string) => ((n.status?.conditions ?? []) as Array<{ type: string; status: string; reason?: string; message?: string }>).find((c) => c.type === type);

async function gone(c: TestCluster, name: string): Promise<true | undefined> {
  try {
    await getPod(c, name);
    return undefined;
  } catch (err) {
    return isNotFound(err) ? true : undefined;
  }
}

const pod = (name: string, nodeName: string, tolerations?: unknown[]): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { nodeName, containers: [{ name: 'web', image: 'nginx' }], ...(tolerations ? { tolerations } : {}) },
});

const unreachableFor = (seconds?: number) => ({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', ...(seconds === undefined ? {} : { tolerationSeconds: seconds }) });

void describe('node lifecycle and taint eviction', { timeout: 180_000 }, () => {
  let cluster: TestCluster;
  let fleet: SimulatedNodes;
  const stop = new AbortController();
  let running: Promise<void>;

  before(async () => {
    cluster = await startTestCluster({ controllers });
    const nodes = simulatedNodeConfigs(3, { prefix: 'life-', capacity: { ...DEFAULT_SIMULATED_CAPACITY }, runtimeVersion: 't' });
    fleet = new SimulatedNodes({ client: cluster.client, logger, nodes, leaseRenewIntervalMs: 200 });
    running = fleet.start(stop.signal);
    await fleet.waitForRegistration(stop.signal);
  });
  after(async () => {
    stop.abort();
    await running;
    await cluster?.stop();
  });

  void it('records each node and leaves healthy nodes untainted', async () => {
    await eventually('RegisteredNode events', async () => {
      const events = await cluster.client.list(gvr.events, 'default', { fieldSelector: 'reason=RegisteredNode' });
      const names = new Set(events.items.map((e) => (e['involvedObject'] as { name: string }).name));
      return ['life-0', 'life-1', 'life-2'].every((n) => names.has(n)) ? events.items : undefined;
    }, opts);
    const [event] = (await cluster.client.list(gvr.events, 'default', { fieldSelector: 'reason=RegisteredNode,involvedObject.name=life-0' })).items;
    assert.equal(event?.['message'], 'Node life-0 event: Registered Node life-0 in Controller');
    assert.deepEqual((event?.['source'] as { component: string }).component, 'node-controller');
    await new Promise((r) => setTimeout(r, 600));
    for (const n of ['life-0', 'life-1', 'life-2']) assert.deepEqual(taintKeys(await getNode(cluster, n)), []);
  });

  void it('marks a silent node Unknown and unreachable, evicts its pods by their tolerations, and recovers', async () => {
    // (Pods without tolerations get 300 s ones from the DefaultTolerationSeconds admission plugin.)
    for (const [name, seconds] of [
      ['short', 1],
      ['at-once', 0],
      ['forever', undefined],
    ] as const) {
      await cluster.client.create(gvr.pods, 'default', pod(name, 'life-1', [unreachableFor(seconds)]));
    }
    await eventually('pods Ready', async () => {
      const ps = await Promise.all(['short', 'at-once', 'forever'].map((n) => getPod(cluster, n)));
      return ps.every((p) => condition(p, 'Ready')?.status === 'True') ? true : undefined;
    }, opts);

    fleet.pause('life-1');
    const node = await eventually('life-1 Unknown and tainted', async () => {
      const n = await getNode(cluster, 'life-1');
      return condition(n, 'Ready')?.status === 'Unknown' && taintKeys(n).length === 2 ? n : undefined;
    }, opts);
    for (const type of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) {
      const c = condition(node, type);
      assert.deepEqual([c?.status, c?.reason, c?.message], ['Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'], type);
    }
    assert.deepEqual(taintKeys(node), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    assert.ok(node.spec?.taints?.every((t) => t.timeAdded), 'taints carry timeAdded');

    // Tolerated for 0 s: deleted at once. For 1 s: deleted after it. Forever: stays.
    const terminating = async (name: string) => {
      const p = await getPod(cluster, name);
      return p.metadata?.deletionTimestamp ? p : undefined;
    };
    const atOnce = await eventually('at-once pod marked for deletion', () => terminating('at-once'), opts);
    const short = await eventually('short pod marked for deletion', () => terminating('short'), opts);
    for (const p of [atOnce, short]) {
      const dt = condition(p, 'DisruptionTarget');
      assert.deepEqual([dt?.status, dt?.reason, dt?.message], ['True', 'DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint']);
      // The node is cut off, so its kubelet cannot finish the deletion; the pod waits, Terminating.
      assert.equal(condition(p, 'Ready')?.status, 'False', 'pods on a node that is not ready are not ready');
    }
    const forever = await getPod(cluster, 'forever');
    assert.equal(forever.metadata?.deletionTimestamp, undefined);
    assert.equal(condition(forever, 'Ready')?.status, 'False');

    const events = await cluster.client.list(gvr.events, 'default', { fieldSelector: 'reason=TaintManagerEviction' });
    assert.deepEqual(events.items.map((e) => e['message']).sort(), ['Marking for deletion Pod default/at-once', 'Marking for deletion Pod default/short']);
    const notReady = await cluster.client.list(gvr.events, 'default', { fieldSelector: 'reason=NodeNotReady,involvedObject.kind=Pod' });
    assert.ok(notReady.items.some((e) => e['message'] === 'Node is not ready' && e['type'] === 'Warning'));
    const nodeEvent = await cluster.client.list(gvr.events, 'default', { fieldSelector: 'reason=NodeNotReady,involvedObject.kind=Node' });
    assert.equal(nodeEvent.items[0]?.['message'], 'Node life-1 status is now: NodeNotReady');

    // Back: Ready again, taints gone, and the kubelet finishes the deletions it missed.
    fleet.resume('life-1');
    await eventually('life-1 Ready and untainted', async () => {
      const n = await getNode(cluster, 'life-1');
      return condition(n, 'Ready')?.status === 'True' && taintKeys(n).length === 0 ? true : undefined;
    }, opts);
    await eventually('evicted pods gone', async () => ((await gone(cluster, 'short')) && (await gone(cluster, 'at-once')) ? true : undefined), opts);
    assert.equal((await getPod(cluster, 'forever')).metadata?.deletionTimestamp, undefined);
    await eventually('the kubelet reports the surviving pod Ready again', async () => (condition(await getPod(cluster, 'forever'), 'Ready')?.status === 'True' ? true : undefined), opts);
  });

  void it('deletes a pod that does not tolerate a NoExecute taint at once, and cancels an eviction when the taint goes', async () => {
    await cluster.client.create(gvr.pods, 'default', pod('plain', 'life-2'));
    await cluster.client.create(gvr.pods, 'default', pod('patient', 'life-2', [{ key: 'example.com/maintenance', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 600 }]));
    await eventually('pods Running', async () => {
      const ps = await Promise.all(['plain', 'patient'].map((n) => getPod(cluster, n)));
      return ps.every((p) => p.status?.phase === 'Running') ? true : undefined;
    }, opts);
    const maintenance = { key: 'example.com/maintenance', value: 'now', effect: 'NoExecute' };
    await cluster.client.patch(gvr.nodes, '', 'life-2', 'merge', { spec: { taints: [maintenance] } });
    // The node is healthy, so its kubelet finishes the deletion.
    await eventually('plain gone', () => gone(cluster, 'plain'), opts);
    await eventually('the taint seen (plain’s eviction recorded)', async () => {
      const e = await cluster.client.list(gvr.events, 'default', { fieldSelector: 'reason=TaintManagerEviction,involvedObject.name=plain' });
      return e.items.length ? true : undefined;
    }, opts);
    await cluster.client.patch(gvr.nodes, '', 'life-2', 'merge', { spec: { taints: null } });
    const cancelled = await eventually('eviction cancelled', async () => {
      const e = await cluster.client.list(gvr.events, 'default', { fieldSelector: 'reason=TaintManagerEviction,involvedObject.name=patient' });
      return e.items.length ? e.items : undefined;
    }, opts);
    assert.equal(cancelled[0]?.['message'], 'Cancelling deletion of Pod default/patient');
    assert.equal((await getPod(cluster, 'patient')).metadata?.deletionTimestamp, undefined);
  });

  void it('taints a node whose kubelet reports Ready=False not-ready, and swaps to unreachable when it falls silent', async () => {
    // A Node no simulated kubelet plays: its status is whatever the test writes.
    await cluster.client.create(gvr.nodes, '', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'sick' } });
    const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await cluster.client.patch(gvr.nodes, '', 'sick', 'merge', {
      status: { conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'container runtime is down', lastHeartbeatTime: stamp, lastTransitionTime: stamp }] },
    }, { subresource: 'status' });
    const notReady = await eventually('not-ready taints', async () => {
      const n = await getNode(cluster, 'sick');
      return taintKeys(n).includes('node.kubernetes.io/not-ready:NoExecute') ? n : undefined;
    }, opts);
    assert.ok(taintKeys(notReady).includes('node.kubernetes.io/not-ready:NoSchedule'));
    const silent = await eventually('unreachable taints after the grace period', async () => {
      const n = await getNode(cluster, 'sick');
      return taintKeys(n).includes('node.kubernetes.io/unreachable:NoExecute') ? n : undefined;
    }, opts);
    assert.deepEqual(taintKeys(silent), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    assert.equal(condition(silent, 'Ready')?.reason, 'NodeStatusUnknown');
    await cluster.client.delete(gvr.nodes, '', 'sick');
  });
});

void describe('node lifecycle when every node is down', { timeout: 60_000 }, () => {
  void it('marks the nodes Unknown but taints none NoExecute (master disruption mode)', async () => {
    const cluster = await startTestCluster({ controllers });
    const stop = new AbortController();
    const fleet = new SimulatedNodes({
      client: cluster.client,
      logger,
      nodes: simulatedNodeConfigs(1, { prefix: 'alone-', capacity: { ...DEFAULT_SIMULATED_CAPACITY }, runtimeVersion: 't' }),
      leaseRenewIntervalMs: 200,
    });
    const running = fleet.start(stop.signal);
    try {
      await fleet.waitForRegistration(stop.signal);
      await eventually('alone-0 Ready', async () => (condition(await getNode(cluster, 'alone-0'), 'Ready')?.status === 'True' ? true : undefined), opts);
      fleet.pause('alone-0');
      const n = await eventually('alone-0 Unknown with its NoSchedule taint', async () => {
        const x = await getNode(cluster, 'alone-0');
        return condition(x, 'Ready')?.status === 'Unknown' && taintKeys(x).includes('node.kubernetes.io/unreachable:NoSchedule') ? x : undefined;
      }, opts);
      assert.equal(condition(n, 'Ready')?.reason, 'NodeStatusUnknown');
      // Several monitor passes later there is still no NoExecute taint.
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(taintKeys(await getNode(cluster, 'alone-0')), ['node.kubernetes.io/unreachable:NoSchedule']);
    } finally {
      stop.abort();
      await running;
      await cluster.stop();
    }
  });
});
