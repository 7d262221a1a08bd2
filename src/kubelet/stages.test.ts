import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_STAGES } from './stages-default.ts';
import { compileStage, compileStages, keepTransitionTimes, loadStagesFile, mergeStages, renderStage, selectStage, stageDelay, StageError, type Stage } from './stages.ts';
import type { EvalContext } from './template.ts';

const NOW = '2026-01-02T03:04:05Z';
const LATER = '2026-01-02T03:09:05Z';
const stages = compileStages(DEFAULT_STAGES);
const podStages = stages.filter((s) => s.resource === 'Pod');
const nodeStages = stages.filter((s) => s.resource === 'Node');

function context(now = NOW): EvalContext {
  return {
    now: new Date(now),
    functions: {
      podIPs: () => ['10.244.1.2'],
      hostIPs: () => ['198.18.0.1'],
      containerID: (name) => `simulated://${String(name)}`,
    },
  };
}

type Obj = Record<string, any>;

/** What a strategic merge patch of the status does to these fields: conditions merge by type, the rest replace. */
function applyStatus(obj: Obj, status: Obj): Obj {
  const next = structuredClone(obj);
  next['status'] ??= {};
  for (const [k, v] of Object.entries(status)) {
    if (k !== 'conditions') {
      next['status'][k] = v;
      continue;
    }
    const conditions: Obj[] = next['status'].conditions ?? [];
    for (const c of v as Obj[]) {
      const i = conditions.findIndex((o) => o['type'] === c['type']);
      const merged = { ...(i >= 0 ? conditions[i] : {}), ...c };
      for (const key of Object.keys(merged)) if (merged[key] === null) delete merged[key];
      if (i >= 0) conditions[i] = merged;
      else conditions.push(merged);
    }
    next['status'].conditions = conditions;
  }
  return next;
}

/** Applies the matching stage until none matches; returns the stage names in order and the final object. */
function walk(obj: Obj, limit = 10): { names: string[]; obj: Obj } {
  const names: string[] = [];
  for (let i = 0; i < limit; i++) {
    const stage = selectStage(podStages, obj, context());
    if (!stage) break;
    names.push(stage.name);
    const outcome = renderStage(stage, obj, context());
    if (outcome.delete) break;
    obj = applyStatus(obj, outcome.status ?? {});
  }
  return { names, obj };
}

const pendingPod = (spec: Obj = {}, metadata: Obj = {}): Obj => ({
  metadata: { name: 'p', namespace: 'default', uid: 'u1', ...metadata },
  spec: { nodeName: 'n1', restartPolicy: 'Always', containers: [{ name: 'web', image: 'nginx' }], ...spec },
  status: { phase: 'Pending', qosClass: 'BestEffort' },
});

void describe('default pod stages', () => {
  void it('pod-create gives the pod its addresses and marks its containers as being created (golden)', () => {
    const pod = pendingPod();
    const stage = selectStage(podStages, pod, context());
    assert.equal(stage?.name, 'pod-create');
    const notReady = { reason: 'ContainersNotReady', message: 'containers with unready status: [web]', lastProbeTime: null, lastTransitionTime: NOW };
    assert.deepEqual(renderStage(stage!, pod, context()), {
      delete: false,
      status: {
        phase: 'Pending',
        conditions: [
          { type: 'PodReadyToStartContainers', status: 'True', reason: null, message: null, lastProbeTime: null, lastTransitionTime: NOW },
          { type: 'Initialized', status: 'True', reason: null, message: null, lastProbeTime: null, lastTransitionTime: NOW },
          { type: 'Ready', status: 'False', ...notReady },
          { type: 'ContainersReady', status: 'False', ...notReady },
          { type: 'PodScheduled', status: 'True', reason: null, message: null, lastProbeTime: null, lastTransitionTime: NOW },
        ],
        hostIP: '198.18.0.1',
        hostIPs: [{ ip: '198.18.0.1' }],
        podIP: '10.244.1.2',
        podIPs: [{ ip: '10.244.1.2' }],
        startTime: NOW,
        containerStatuses: [
          { name: 'web', image: 'nginx', imageID: '', ready: false, restartCount: 0, started: false, lastState: {}, state: { waiting: { reason: 'ContainerCreating' } } },
        ],
      },
    });
  });

  void it('a Deployment pod goes Pending → Running and Ready, then stays', () => {
    const { names, obj } = walk(pendingPod());
    assert.deepEqual(names, ['pod-create', 'pod-running']);
    assert.equal(obj['status'].phase, 'Running');
    const ready = obj['status'].conditions.find((c: Obj) => c['type'] === 'Ready');
    assert.deepEqual(ready, { type: 'Ready', status: 'True', lastTransitionTime: NOW });
    assert.deepEqual(obj['status'].containerStatuses[0].state, { running: { startedAt: NOW } });
    assert.equal(obj['status'].containerStatuses[0].containerID, 'simulated://web');
    assert.equal(obj['status'].containerStatuses[0].ready, true);
  });

  void it('a pod with a readiness probe is Running first and Ready after the probe delay', () => {
    const pod = pendingPod({ containers: [{ name: 'web', image: 'nginx', readinessProbe: { httpGet: { port: 80 }, initialDelaySeconds: 7 } }, { name: 'side', image: 'busybox' }] });
    const { names, obj } = walk(pod, 2);
    assert.deepEqual(names, ['pod-create', 'pod-running']);
    const ready = obj['status'].conditions.find((c: Obj) => c['type'] === 'Ready');
    assert.equal(ready.status, 'False');
    assert.equal(ready.message, 'containers with unready status: [web]');
    assert.deepEqual(obj['status'].containerStatuses.map((c: Obj) => c['ready']), [false, true]);
    const next = selectStage(podStages, obj, context());
    assert.equal(next?.name, 'pod-ready');
    assert.equal(stageDelay(next!, obj, context()), 7000);
    const done = applyStatus(obj, renderStage(next!, obj, context(LATER)).status!);
    assert.equal(done['status'].conditions.find((c: Obj) => c['type'] === 'Ready').status, 'True');
    // The containers started when they started, not when they became ready.
    assert.equal(done['status'].containerStatuses[0].state.running.startedAt, NOW);
    assert.equal(selectStage(podStages, done, context()), undefined);
  });

  void it('init containers complete before the containers start', () => {
    const pod = pendingPod({ initContainers: [{ name: 'setup', image: 'busybox' }, { name: 'proxy', image: 'envoy', restartPolicy: 'Always' }] });
    const { names, obj } = walk(pod);
    assert.deepEqual(names, ['pod-create', 'pod-initialized', 'pod-running']);
    const [setup, proxy] = obj['status'].initContainerStatuses;
    assert.deepEqual(setup.state.terminated, { exitCode: 0, reason: 'Completed', startedAt: NOW, finishedAt: NOW, containerID: 'simulated://setup' });
    assert.deepEqual(proxy.state, { running: { startedAt: NOW } });
    const initialized = obj['status'].conditions.find((c: Obj) => c['type'] === 'Initialized');
    assert.deepEqual(initialized, { type: 'Initialized', status: 'True', lastTransitionTime: NOW });
  });

  void it('pods that run to completion (a Job pod) end Succeeded', () => {
    const pod = pendingPod({ restartPolicy: 'Never' }, { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'j1', controller: true }] });
    const { names, obj } = walk(pod);
    assert.deepEqual(names, ['pod-create', 'pod-running', 'pod-complete']);
    assert.equal(obj['status'].phase, 'Succeeded');
    assert.deepEqual(obj['status'].containerStatuses[0].state.terminated, { exitCode: 0, reason: 'Completed', startedAt: NOW, finishedAt: NOW, containerID: 'simulated://web' });
    const ready = obj['status'].conditions.find((c: Obj) => c['type'] === 'Ready');
    assert.deepEqual([ready.status, ready.reason], ['False', 'PodCompleted']);
    assert.equal(selectStage(podStages, obj, context()), undefined, 'a finished pod stays finished');
    const complete = stages.find((s) => s.name === 'pod-complete')!;
    assert.equal(stageDelay(complete, obj, context(), () => 0), 1000);
    const annotated = { ...obj, metadata: { ...obj['metadata'], annotations: { 'pod-complete.stage.skiff.dev/delay': '30s' } } };
    assert.equal(stageDelay(complete, annotated, context(), () => 0), 30_000, 'a pod can say how long it runs');
  });

  void it('a pod being deleted is deleted, no later than its deletion timestamp', () => {
    const running = walk(pendingPod()).obj;
    const deleting = { ...running, metadata: { ...running['metadata'], deletionTimestamp: '2026-01-02T03:04:05.300Z', deletionGracePeriodSeconds: 30 } };
    const stage = selectStage(podStages, deleting, context());
    assert.equal(stage?.name, 'pod-delete');
    assert.equal(renderStage(stage!, deleting, context()).delete, true);
    assert.ok(stageDelay(stage!, deleting, context('2026-01-02T03:04:05.000Z'), () => 0.99) <= 300);
    const withFinalizer = { ...deleting, metadata: { ...deleting.metadata, finalizers: ['example.com/keep'] } };
    assert.equal(selectStage(podStages, withFinalizer, context())?.name, 'pod-delete-with-finalizers');
    const alreadyAsked = { ...withFinalizer, metadata: { ...withFinalizer.metadata, deletionGracePeriodSeconds: 0 } };
    assert.equal(selectStage(podStages, alreadyAsked, context()), undefined);
  });

  void it('readiness gates pass, as kwok passes them', () => {
    const { obj } = walk(pendingPod({ readinessGates: [{ conditionType: 'example.com/lb' }] }));
    assert.equal(obj['status'].conditions.find((c: Obj) => c['type'] === 'example.com/lb').status, 'True');
  });
});

void describe('default node stages', () => {
  void it('a node without Ready posts the kubelet conditions, then heartbeats every 5 minutes', () => {
    const node: Obj = { metadata: { name: 'n1' }, status: {} };
    const ready = selectStage(nodeStages, node, context());
    assert.equal(ready?.name, 'node-ready');
    const status = renderStage(ready!, node, context()).status!;
    assert.deepEqual(
      (status['conditions'] as Obj[]).map((c) => [c['type'], c['status'], c['reason'], c['message']]),
      [
        ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
        ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
        ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
        ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
      ],
    );
    const up = applyStatus(node, status);
    const heartbeat = selectStage(nodeStages, up, context());
    assert.equal(heartbeat?.name, 'node-heartbeat');
    const delay = stageDelay(heartbeat!, up, context(), () => 0.5);
    assert.equal(delay, 5 * 60_000 + 15_000);
    const again = renderStage(heartbeat!, up, context(LATER)).status!;
    const readyAgain = (again['conditions'] as Obj[]).find((c) => c['type'] === 'Ready')!;
    assert.equal(readyAgain['lastHeartbeatTime'], LATER);
    assert.equal(readyAgain['lastTransitionTime'], NOW, 'an unchanged status keeps its transition time');
  });

  void it('a node someone marked Unknown reports itself Ready again at once', () => {
    const node: Obj = { metadata: { name: 'n1' }, status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', lastTransitionTime: NOW }] } };
    const stage = selectStage(nodeStages, node, context());
    assert.equal(stage?.name, 'node-ready');
    assert.equal(stageDelay(stage!, node, context()), 0);
    const ready = (renderStage(stage!, node, context(LATER)).status!['conditions'] as Obj[]).find((c) => c['type'] === 'Ready')!;
    assert.equal(ready['lastTransitionTime'], LATER, 'Unknown → True is a transition');
  });
});

void describe('stage engine', () => {
  const base: Stage = { name: 's', resource: 'Pod', next: { delete: true } };

  void it('checks stages when it compiles them', () => {
    assert.throws(() => compileStage({ ...base, resource: 'Service' as 'Pod' }), StageError);
    assert.throws(() => compileStage({ ...base, next: {} }), /next needs/);
    assert.throws(() => compileStage({ ...base, selector: { matchExpressions: [{ key: '.a', operator: 'Has' as 'In' }] } }), /operator/);
    assert.throws(() => compileStage({ ...base, selector: { matchExpressions: [{ key: '.a', operator: 'In' }] } }), /needs values/);
    assert.throws(() => compileStage({ ...base, next: { status: { a: '{{ join( }}' } } }), /stage "s"/);
    assert.throws(() => compileStages([base, base]), /defined twice/);
  });

  void it('picks among several matching stages by weight', () => {
    const a = compileStage({ ...base, name: 'a', weight: 1 });
    const b = compileStage({ ...base, name: 'b', weight: 3 });
    assert.equal(selectStage([a, b], {}, context(), () => 0.1)?.name, 'a');
    assert.equal(selectStage([a, b], {}, context(), () => 0.5)?.name, 'b');
    const none = compileStage({ ...base, name: 'none', weight: 0 });
    assert.equal(selectStage([none, a], {}, context(), () => 0.9)?.name, 'a');
  });

  void it('computes delays from ms, jitter, expressions, annotations and deadlines', () => {
    const s = compileStage({ ...base, delay: { ms: 100, jitterMs: 1000 } });
    assert.equal(stageDelay(s, {}, context(), () => 0.5), 600);
    const expr = compileStage({ ...base, delay: { ms: 100, expression: 'mul(.spec.wait, 1000)' } });
    assert.equal(stageDelay(expr, { spec: { wait: 2 } }, context()), 2000);
    const ann = compileStage({ ...base, delay: { ms: 100, annotation: 'x/delay' } });
    assert.equal(stageDelay(ann, { metadata: { annotations: { 'x/delay': '1.5s' } } }, context()), 1500);
    assert.equal(stageDelay(ann, { metadata: { annotations: { 'x/delay': 'later' } } }, context()), 100, 'an unreadable annotation is ignored');
    const deadline = compileStage({ ...base, delay: { ms: 60_000, notAfter: '.metadata.deletionTimestamp' } });
    assert.equal(stageDelay(deadline, { metadata: { deletionTimestamp: '2026-01-02T03:04:15Z' } }, context()), 10_000);
    assert.equal(stageDelay(deadline, { metadata: { deletionTimestamp: '2026-01-02T03:00:00Z' } }, context()), 0);
  });

  void it('keeps a condition’s transition time while its status holds', () => {
    const next = { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: LATER }, { type: 'X', status: 'False', lastTransitionTime: LATER }] };
    keepTransitionTimes(next, { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: NOW }, { type: 'X', status: 'True', lastTransitionTime: NOW }] });
    assert.deepEqual(next.conditions.map((c) => c.lastTransitionTime), [NOW, LATER]);
  });

  void it('loads a stages file that replaces, adds and removes stages by name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-stages-'));
    try {
      const file = join(dir, 'stages.yaml');
      await writeFile(
        file,
        [
          'name: pod-complete',
          'resource: Pod',
          'selector: { matchExpressions: [{ key: .status.phase, operator: In, values: [Running] }] }',
          'delay: { ms: 5000 }',
          'next: { status: { phase: Failed } }',
          '---',
          '- { name: pod-delete-with-finalizers, disabled: true }',
          '- { name: node-gone, resource: Node, next: { delete: true } }',
        ].join('\n'),
      );
      const merged = mergeStages(DEFAULT_STAGES, await loadStagesFile(file));
      const names = merged.map((s) => s.name);
      assert.ok(!names.includes('pod-delete-with-finalizers'));
      assert.ok(names.includes('node-gone'));
      assert.equal(merged.find((s) => s.name === 'pod-complete')?.delay?.ms, 5000);
      assert.equal(names.length, DEFAULT_STAGES.length);
      compileStages(merged);
      await writeFile(file, '- { resource: Pod }\n');
      await assert.rejects(loadStagesFile(file), /needs a name/);
      await assert.rejects(loadStagesFile(join(dir, 'missing.yaml')), StageError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
