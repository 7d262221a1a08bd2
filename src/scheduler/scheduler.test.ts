// The scheduler against a real API server: Node objects made through the API (no kubelet), pods bound through
// pods/binding, FailedScheduling worded as upstream's, preemption by priority.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Node, Pod, PodCondition, Taint } from 'kubernetes-types/core/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { eventually } from '../../test/support/server.ts';
import type { KubeObject } from '../client/client.ts';
import { resourcePath } from '../client/client.ts';
import { ApiError } from '../client/errors.ts';
import { Scheduler } from './scheduler.ts';

type K<T> = T & KubeObject;
interface Event extends KubeObject {
  reason?: string;
  message?: string;
  type?: string;
  source?: { component?: string };
  involvedObject?: { name?: string; uid?: string };
}

function makeNode(name: string, opts: { cpu?: string; memory?: string; pods?: string; labels?: Record<string, string>; taints?: Taint[] } = {}): K<Node> {
  const resources = { cpu: opts.cpu ?? '4', memory: opts.memory ?? '32Gi', pods: opts.pods ?? '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...opts.labels } },
    spec: opts.taints ? { taints: opts.taints } : {},
    status: { capacity: resources, allocatable: resources, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready' }] },
  };
}

function makePod(name: string, requests: Record<string, string> = {}, spec: Partial<NonNullable<Pod['spec']>> = {}): K<Pod> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests } }], ...spec } };
}

async function withScheduler(): Promise<TestCluster> {
  return startTestCluster({ controllers: { scheduler: (ctx) => new Scheduler(ctx) } });
}

const getPod = (c: TestCluster, name: string) => c.client.get<K<Pod>>(gvr.pods, 'default', name);
const condition = (pod: Pod, type: string): PodCondition | undefined => pod.status?.conditions?.find((x) => x.type === type);

async function boundTo(c: TestCluster, name: string): Promise<string> {
  return eventually(`pod ${name} bound`, async () => (await getPod(c, name)).spec?.nodeName || undefined, { timeoutMs: 10_000 });
}

async function eventsFor(c: TestCluster, name: string, reason: string): Promise<Event[]> {
  const list = await c.client.list<Event>(gvr.events, 'default', { fieldSelector: `involvedObject.name=${name}` });
  return list.items.filter((e) => e.reason === reason);
}

/** Runs op over items, `lanes` at a time. */
async function concurrently<T>(items: readonly T[], lanes: number, op: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < items.length) await op(items[next++] as T);
  }));
}

async function createNodes(c: TestCluster, nodes: K<Node>[]): Promise<void> {
  for (const n of nodes) await c.client.create(gvr.nodes, undefined, n);
}

describe('Scheduler', () => {
  describe('placing pods', () => {
    let c: TestCluster;
    before(async () => {
      c = await withScheduler();
      await createNodes(c, [
        makeNode('small', { cpu: '2' }),
        makeNode('ssd', { cpu: '4', labels: { disk: 'ssd' } }),
        makeNode('tainted', { cpu: '8', taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }),
      ]);
    });
    after(() => c?.stop());

    it('binds a pod to a node that fits and records Scheduled', async () => {
      await c.client.create(gvr.pods, 'default', makePod('big', { cpu: '3' }));
      assert.equal(await boundTo(c, 'big'), 'ssd');
      const pod = await getPod(c, 'big');
      assert.equal(condition(pod, 'PodScheduled')?.status, 'True');
      const event = await eventually('Scheduled event', async () => (await eventsFor(c, 'big', 'Scheduled'))[0]);
      assert.equal(event.message, 'Successfully assigned default/big to ssd');
      assert.equal(event.type, 'Normal');
      assert.equal(event.source?.component, 'default-scheduler');
    });

    it('respects nodeSelector and taints', async () => {
      await c.client.create(gvr.pods, 'default', makePod('picky', {}, { nodeSelector: { disk: 'ssd' } }));
      await c.client.create(gvr.pods, 'default', makePod('db', { cpu: '6' }, { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] }));
      assert.equal(await boundTo(c, 'picky'), 'ssd');
      // Only the tainted node has 6 cpu, and the pod tolerates its taint.
      assert.equal(await boundTo(c, 'db'), 'tainted');
      for (let i = 0; i < 6; i++) await c.client.create(gvr.pods, 'default', makePod(`any-${i}`, { cpu: '100m' }));
      for (let i = 0; i < 6; i++) assert.notEqual(await boundTo(c, `any-${i}`), 'tainted');
    });

    it('leaves pods of another scheduler alone', async () => {
      await c.client.create(gvr.pods, 'default', makePod('foreign', {}, { schedulerName: 'other-scheduler' }));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await getPod(c, 'foreign')).spec?.nodeName, undefined);
    });
  });

  describe('an unschedulable pod', () => {
    let c: TestCluster;
    before(async () => {
      c = await withScheduler();
      await createNodes(c, [
        makeNode('cp', { cpu: '4', taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }),
        makeNode('w1', { cpu: '2' }),
        makeNode('w2', { cpu: '2' }),
      ]);
      for (const w of ['w1', 'w2']) {
        await c.client.create(gvr.pods, 'default', makePod(`fill-${w}`, { cpu: '1500m' }, { nodeSelector: { 'kubernetes.io/hostname': w } }));
        await boundTo(c, `fill-${w}`);
      }
    });
    after(() => c?.stop());

    const message =
      '0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu. ' +
      'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.';

    it('gets FailedScheduling and PodScheduled=False worded as upstream', async () => {
      await c.client.create(gvr.pods, 'default', makePod('waiting', { cpu: '1' }));
      const event = await eventually('FailedScheduling event', async () => (await eventsFor(c, 'waiting', 'FailedScheduling'))[0]);
      assert.equal(event.message, message);
      assert.equal(event.type, 'Warning');
      assert.equal(event.source?.component, 'default-scheduler');
      const cond = await eventually('PodScheduled=False', async () => condition(await getPod(c, 'waiting'), 'PodScheduled'));
      assert.equal(cond.status, 'False');
      assert.equal(cond.reason, 'Unschedulable');
      assert.equal(cond.message, message);
    });

    it('is scheduled once a node that fits is added', async () => {
      await createNodes(c, [makeNode('w3', { cpu: '2' })]);
      assert.equal(await boundTo(c, 'waiting'), 'w3');
      const cond = condition(await getPod(c, 'waiting'), 'PodScheduled');
      assert.equal(cond?.status, 'True');
      assert.equal(cond?.reason, undefined);
    });

    it('says so when no node exists at all', async () => {
      const empty = await withScheduler();
      try {
        await empty.client.create(gvr.pods, 'default', makePod('alone'));
        const event = await eventually('FailedScheduling event', async () => (await eventsFor(empty, 'alone', 'FailedScheduling'))[0]);
        assert.equal(event.message, 'no nodes available to schedule pods');
      } finally {
        await empty.stop();
      }
    });
  });

  describe('pods/binding', () => {
    let c: TestCluster;
    before(async () => {
      c = await startTestCluster();
    });
    after(() => c?.stop());

    const bind = (path: string, body: unknown) => c.client.transport.request({ method: 'POST', path, body });
    const binding = (name: string, node: string, extra: Record<string, unknown> = {}) => ({
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name, ...extra },
      target: { apiVersion: 'v1', kind: 'Node', name: node },
    });
    const bindingPath = (name: string) => resourcePath(gvr.pods, 'default', name, 'binding');
    async function rejected(p: Promise<unknown>): Promise<ApiError> {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
      return err;
    }

    it('assigns the pod, copies annotations and answers 201 Success', async () => {
      await c.client.create(gvr.pods, 'default', makePod('b1'));
      const res = await bind(bindingPath('b1'), binding('b1', 'n1', { annotations: { 'example.com/why': 'test' } }));
      assert.equal(res.status, 201);
      assert.deepEqual(res.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
      const pod = await getPod(c, 'b1');
      assert.equal(pod.spec?.nodeName, 'n1');
      assert.equal(pod.metadata?.annotations?.['example.com/why'], 'test');
      assert.equal(condition(pod, 'PodScheduled')?.status, 'True');
    });

    it('refuses a pod already bound, a missing pod, and a uid that does not match', async () => {
      const conflict = await rejected(bind(bindingPath('b1'), binding('b1', 'n2')));
      assert.equal(conflict.code, 409);
      assert.equal(conflict.reason, 'Conflict');
      assert.equal(conflict.message, 'Operation cannot be fulfilled on pods/binding "b1": pod b1 is already assigned to node "n1"');
      const missing = await rejected(bind(bindingPath('nope'), binding('nope', 'n1')));
      assert.equal(missing.code, 404);
      assert.equal(missing.message, 'pods "nope" not found');
      await c.client.create(gvr.pods, 'default', makePod('b2'));
      const stale = await rejected(bind(bindingPath('b2'), binding('b2', 'n1', { uid: 'not-the-uid' })));
      assert.equal(stale.code, 409);
      assert.match(stale.message, /Precondition failed: UID in precondition: not-the-uid, UID in object meta: /);
      assert.equal((await getPod(c, 'b2')).spec?.nodeName, undefined);
    });

    it('refuses a pod being deleted', async () => {
      await c.client.create(gvr.pods, 'default', { ...makePod('b3'), metadata: { name: 'b3', finalizers: ['example.com/hold'] } });
      await c.client.delete(gvr.pods, 'default', 'b3');
      const err = await rejected(bind(bindingPath('b3'), binding('b3', 'n1')));
      assert.equal(err.code, 409);
      assert.equal(err.message, 'Operation cannot be fulfilled on pods/binding "b3": pod b3 is being deleted, cannot be assigned to a host');
      await c.client.patch(gvr.pods, 'default', 'b3', 'merge', { metadata: { finalizers: null } });
    });

    it('validates the target and the name as upstream', async () => {
      await c.client.create(gvr.pods, 'default', makePod('b4'));
      const noTarget = await rejected(bind(bindingPath('b4'), { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'b4' }, target: { kind: 'Pod' } }));
      assert.equal(noTarget.code, 500);
      assert.equal(noTarget.message, '[target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>", target.name: Required value]');
      const wrongName = await rejected(bind(bindingPath('b4'), binding('other', 'n1')));
      assert.equal(wrongName.code, 400);
      assert.equal(wrongName.message, 'name in URL does not match name in Binding object');
      assert.equal((await getPod(c, 'b4')).spec?.nodeName, undefined);
    });

    it('takes the legacy bindings collection, with the pod named in the body', async () => {
      await c.client.create(gvr.pods, 'default', makePod('b5'));
      const res = await bind(resourcePath({ group: '', version: 'v1', resource: 'bindings' }, 'default'), binding('b5', 'n3'));
      assert.equal(res.status, 201);
      assert.equal((await getPod(c, 'b5')).spec?.nodeName, 'n3');
    });

    it('changes nothing on a dry run', async () => {
      await c.client.create(gvr.pods, 'default', makePod('b6'));
      const res = await c.client.transport.request({ method: 'POST', path: bindingPath('b6'), query: { dryRun: 'All' }, body: binding('b6', 'n1') });
      assert.equal(res.status, 201);
      assert.equal((await getPod(c, 'b6')).spec?.nodeName, undefined);
    });
  });

  describe('preemption', () => {
    let c: TestCluster;
    before(async () => {
      c = await withScheduler();
      await createNodes(c, [makeNode('only', { cpu: '2' })]);
      for (const [name, value, preemptionPolicy] of [['low', 10, 'PreemptLowerPriority'], ['high', 1000, 'PreemptLowerPriority'], ['high-polite', 1000, 'Never']] as const) {
        await c.client.create(gvr.priorityclasses, undefined, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, preemptionPolicy });
      }
    });
    after(() => c?.stop());

    it('evicts a lower-priority pod for a higher-priority one, which then lands on the node', async () => {
      await c.client.create(gvr.pods, 'default', makePod('victim', { cpu: '1500m' }, { priorityClassName: 'low' }));
      assert.equal(await boundTo(c, 'victim'), 'only');
      const preemptor = await c.client.create(gvr.pods, 'default', makePod('preemptor', { cpu: '1500m' }, { priorityClassName: 'high' }));

      const victim = await eventually('victim being deleted', async () => {
        const p = await getPod(c, 'victim');
        return p.metadata?.deletionTimestamp ? p : undefined;
      });
      const disruption = condition(victim, 'DisruptionTarget');
      assert.equal(disruption?.status, 'True');
      assert.equal(disruption?.reason, 'PreemptionByScheduler');
      assert.equal(disruption?.message, 'default-scheduler: preempting to accommodate a higher priority pod');
      const event = await eventually('Preempted event', async () => (await eventsFor(c, 'victim', 'Preempted'))[0]);
      assert.equal(event.message, `Preempted by pod ${preemptor.metadata?.uid} on node only`);
      const nominated = await eventually('nominatedNodeName', async () => (await getPod(c, 'preemptor')).status?.nominatedNodeName);
      assert.equal(nominated, 'only');
      assert.equal((await getPod(c, 'preemptor')).spec?.nodeName, undefined, 'the victim still holds the node while it terminates');

      // No kubelet here: finish the victim's graceful deletion as one would.
      await c.client.delete(gvr.pods, 'default', 'victim', { gracePeriodSeconds: 0 });
      assert.equal(await boundTo(c, 'preemptor'), 'only');
      assert.equal((await getPod(c, 'preemptor')).status?.nominatedNodeName, undefined, 'binding clears the nomination');
    });

    it('does not preempt for a pod with preemptionPolicy Never', async () => {
      await c.client.create(gvr.pods, 'default', makePod('polite', { cpu: '1500m' }, { priorityClassName: 'high-polite' }));
      const event = await eventually('FailedScheduling event', async () => (await eventsFor(c, 'polite', 'FailedScheduling'))[0]);
      assert.equal(event.message, '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.');
      assert.equal((await getPod(c, 'preemptor')).metadata?.deletionTimestamp, undefined);
    });
  });

  describe('many pods', () => {
    let c: TestCluster;
    before(async () => {
      c = await withScheduler();
    });
    after(() => c?.stop());

    it('binds 500 pods over 50 nodes, filling them exactly, with no node over its allocatable', async () => {
      const nodes = Array.from({ length: 50 }, (_, i) => makeNode(`n${String(i).padStart(2, '0')}`, { cpu: '4', memory: '8Gi', pods: '110' }));
      await concurrently(nodes, 8, (n) => c.client.create(gvr.nodes, undefined, n));
      const names = Array.from({ length: 500 }, (_, i) => `p${i}`);
      // 400m each: the 50 nodes hold exactly 500, so any double-booking would leave a pod unbound or a node over.
      await concurrently(names, 16, (name) => c.client.create(gvr.pods, 'default', makePod(name, { cpu: '400m', memory: '512Mi' })));
      const pods = await eventually(
        'all pods bound',
        async () => {
          const list = await c.client.list<K<Pod>>(gvr.pods, 'default');
          return list.items.every((p) => p.spec?.nodeName) && list.items.length === names.length ? list.items : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      const cpu = new Map<string, number>();
      const memory = new Map<string, number>();
      for (const p of pods) {
        const node = p.spec!.nodeName!;
        cpu.set(node, (cpu.get(node) ?? 0) + 400);
        memory.set(node, (memory.get(node) ?? 0) + 512);
      }
      for (const [node, milli] of cpu) assert.ok(milli <= 4000, `${node} holds ${milli}m cpu`);
      for (const [node, mi] of memory) assert.ok(mi <= 8192, `${node} holds ${mi}Mi memory`);
      // Spread by LeastAllocated: every node got some.
      assert.equal(cpu.size, 50);
    });
  });
});
