// generatePodStatus and getPhase on hand-made runtime states: phase, conditions (with their times), container
// statuses, waiting reasons, addresses and QoS class, as kubelet writes them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerStatus, Pod, PodStatus } from 'kubernetes-types/core/v1.d.ts';
import type { RuntimeContainer, RuntimeContainerState, RuntimePodStatus } from './runtime-state.ts';
import { generatePodStatus, getPhase, sortPodIPs, type StartFailure, type StatusInput } from './status.ts';

const NOW = Date.parse('2025-03-01T10:00:00Z');
const T = (s: number) => NOW - 60_000 + s * 1000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

function pod(spec: Partial<NonNullable<Pod['spec']>> = {}, status: PodStatus = {}): Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: 'u' },
    spec: { containers: [{ name: 'app', image: 'nginx' }], restartPolicy: 'Always', ...spec },
    status: { phase: 'Pending', qosClass: 'BestEffort', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: iso(T(0)) }], ...status },
  };
}

let seq = 0;
function c(name: string, state: RuntimeContainerState, extra: Partial<RuntimeContainer> = {}): RuntimeContainer {
  seq++;
  return {
    id: `id${seq}`,
    sandboxId: 'sb',
    name,
    state,
    createdAt: T(seq),
    startedAt: T(seq),
    finishedAt: state === 'exited' ? T(seq + 1) : 0,
    exitCode: 0,
    reason: state === 'exited' ? 'Completed' : '',
    message: '',
    image: 'docker.io/library/nginx:latest',
    imageRef: 'docker.io/library/nginx@sha256:abc',
    restartCount: 0,
    hash: '',
    logPath: '',
    annotations: {},
    ...extra,
  };
}

const runtime = (containers: RuntimeContainer[], ready = true): RuntimePodStatus => ({
  uid: 'u',
  sandboxes: [{ id: 'sb', ready, attempt: 0, createdAt: T(0), ips: ready ? ['10.244.0.5'] : [] }],
  containers,
  ips: ready ? ['10.244.0.5'] : [],
});

function input(p: Pod, rs: RuntimePodStatus, extra: Partial<StatusInput> = {}): StatusInput {
  return {
    pod: p,
    oldStatus: p.status ?? {},
    runtime: rs,
    runtimeName: 'containerd',
    reasons: new Map<string, StartFailure>(),
    probes: { ready: () => undefined, started: () => undefined },
    hostIPs: ['192.168.1.10'],
    podIsTerminal: false,
    now: NOW,
    ...extra,
  };
}

const conditions = (s: PodStatus) => (s.conditions ?? []).map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '']);

describe('generatePodStatus', () => {
  it('reports a running pod: phase, conditions, addresses, container status, QoS', () => {
    const s = generatePodStatus(input(pod(), runtime([c('app', 'running')])));
    assert.equal(s.phase, 'Running');
    assert.deepEqual(conditions(s), [
      ['PodReadyToStartContainers', 'True', '', ''],
      ['Initialized', 'True', '', ''],
      ['Ready', 'True', '', ''],
      ['ContainersReady', 'True', '', ''],
      ['PodScheduled', 'True', '', ''],
    ]);
    assert.equal(s.conditions?.find((x) => x.type === 'PodScheduled')?.lastTransitionTime, iso(T(0)), "the scheduler's time stays");
    assert.equal(s.conditions?.find((x) => x.type === 'Ready')?.lastTransitionTime, iso(NOW));
    assert.equal(s.hostIP, '192.168.1.10');
    assert.deepEqual(s.hostIPs, [{ ip: '192.168.1.10' }]);
    assert.equal(s.podIP, '10.244.0.5');
    assert.deepEqual(s.podIPs, [{ ip: '10.244.0.5' }]);
    assert.equal(s.startTime, iso(NOW));
    assert.equal(s.qosClass, 'BestEffort');
    const [cs] = s.containerStatuses!;
    assert.deepEqual(cs, {
      name: 'app',
      state: { running: { startedAt: iso(T(seq)) } },
      lastState: {},
      ready: true,
      restartCount: 0,
      image: 'docker.io/library/nginx:latest',
      imageID: 'docker.io/library/nginx@sha256:abc',
      containerID: `containerd://id${seq}`,
      resources: {},
      started: true,
    });
  });

  it('keeps lastTransitionTime while a condition keeps its status, and startTime always', () => {
    const first = generatePodStatus(input(pod(), runtime([c('app', 'running')])));
    const later = generatePodStatus(input(pod({}, first), runtime([c('app', 'running')]), { now: NOW + 30_000 }));
    assert.deepEqual(
      later.conditions?.map((x) => x.lastTransitionTime),
      first.conditions?.map((x) => x.lastTransitionTime),
    );
    assert.equal(later.startTime, first.startTime);
  });

  it('waits with ContainerCreating, or PodInitializing when there are init containers', () => {
    const creating = generatePodStatus(input(pod(), { uid: 'u', sandboxes: [], containers: [], ips: [] }));
    assert.equal(creating.phase, 'Pending');
    assert.deepEqual(creating.containerStatuses?.[0]?.state, { waiting: { reason: 'ContainerCreating' } });
    assert.equal(creating.containerStatuses?.[0]?.imageID, '');
    assert.equal(creating.containerStatuses?.[0]?.image, 'nginx');
    assert.equal(creating.containerStatuses?.[0]?.started, false);
    assert.deepEqual(conditions(creating).slice(0, 4), [
      ['PodReadyToStartContainers', 'False', '', ''],
      ['Initialized', 'True', '', ''],
      ['Ready', 'False', 'ContainersNotReady', 'containers with unready status: [app]'],
      ['ContainersReady', 'False', 'ContainersNotReady', 'containers with unready status: [app]'],
    ]);
    const p = pod({ initContainers: [{ name: 'init', image: 'busybox' }] });
    const initializing = generatePodStatus(input(p, runtime([c('init', 'running')])));
    assert.equal(initializing.phase, 'Pending');
    assert.deepEqual(initializing.containerStatuses?.[0]?.state, { waiting: { reason: 'PodInitializing' } });
    assert.deepEqual(conditions(initializing)[1], ['Initialized', 'False', 'ContainersNotInitialized', 'containers with incomplete status: [init]']);
    const initialized = generatePodStatus(input(p, runtime([c('app', 'running'), c('init', 'exited')])));
    assert.equal(initialized.phase, 'Running');
    assert.equal(initialized.initContainerStatuses?.[0]?.ready, true);
    assert.equal(initialized.initContainerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
  });

  it('shows a crash loop: waiting CrashLoopBackOff, the last termination, the restart count', () => {
    const reasons = new Map([['app', { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=app pod=p_ns(u)' }]]);
    const dead = c('app', 'exited', { exitCode: 1, reason: 'Error', restartCount: 2 });
    const s = generatePodStatus(input(pod(), runtime([dead]), { reasons }));
    assert.equal(s.phase, 'Running');
    const cs = s.containerStatuses![0]!;
    assert.deepEqual(cs.state, { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=app pod=p_ns(u)' } });
    assert.equal(cs.lastState?.terminated?.exitCode, 1);
    assert.equal(cs.lastState?.terminated?.reason, 'Error');
    assert.equal(cs.lastState?.terminated?.containerID, `containerd://${dead.id}`);
    assert.equal(cs.restartCount, 2);
    assert.equal(cs.ready, false);
  });

  it('shows the previous instance as lastState of a restarted container', () => {
    const old = c('app', 'exited', { exitCode: 137, reason: 'OOMKilled' });
    const now = c('app', 'running', { restartCount: 1 });
    const s = generatePodStatus(input(pod(), runtime([now, old])));
    const cs = s.containerStatuses![0]!;
    assert.ok(cs.state?.running);
    assert.equal(cs.restartCount, 1);
    assert.equal(cs.lastState?.terminated?.reason, 'OOMKilled');
    assert.equal(cs.lastState?.terminated?.exitCode, 137);
  });

  it('fails a Never pod whose container failed, and marks it not ready with PodFailed', () => {
    const s = generatePodStatus(input(pod({ restartPolicy: 'Never' }), runtime([c('app', 'exited', { exitCode: 2, reason: 'Error', message: 'boom' })], false)));
    assert.equal(s.phase, 'Failed');
    assert.deepEqual(s.containerStatuses?.[0]?.state?.terminated?.message, 'boom');
    assert.deepEqual(conditions(s).slice(0, 4), [
      ['PodReadyToStartContainers', 'False', '', ''],
      ['Initialized', 'True', '', ''],
      ['Ready', 'False', 'PodFailed', ''],
      ['ContainersReady', 'False', 'PodFailed', ''],
    ]);
  });

  it('completes an OnFailure pod whose containers succeeded', () => {
    const s = generatePodStatus(input(pod({ restartPolicy: 'OnFailure' }), runtime([c('app', 'exited')], false)));
    assert.equal(s.phase, 'Succeeded');
    assert.deepEqual(conditions(s)[2], ['Ready', 'False', 'PodCompleted', '']);
  });

  it('gives a deleted pod a terminal phase from its exit codes', () => {
    const p = pod();
    assert.equal(generatePodStatus(input(p, runtime([c('app', 'exited')], false), { podIsTerminal: true })).phase, 'Succeeded');
    assert.equal(generatePodStatus(input(p, runtime([c('app', 'exited', { exitCode: 137 })], false), { podIsTerminal: true })).phase, 'Failed');
  });

  it('never leaves a terminal phase', () => {
    const s = generatePodStatus(input(pod({}, { phase: 'Failed' }), runtime([c('app', 'running')])));
    assert.equal(s.phase, 'Failed');
  });

  it('takes readiness and startup from the probes', () => {
    const notReady = generatePodStatus(input(pod(), runtime([c('app', 'running')]), { probes: { ready: () => false, started: () => undefined } }));
    assert.equal(notReady.containerStatuses?.[0]?.ready, false);
    assert.equal(notReady.phase, 'Running');
    assert.deepEqual(conditions(notReady)[2], ['Ready', 'False', 'ContainersNotReady', 'containers with unready status: [app]']);
    const notStarted = generatePodStatus(input(pod(), runtime([c('app', 'running')]), { probes: { ready: () => true, started: () => false } }));
    assert.equal(notStarted.containerStatuses?.[0]?.started, false);
    assert.equal(notStarted.containerStatuses?.[0]?.ready, false);
  });

  it('honours readiness gates', () => {
    const p = pod({ readinessGates: [{ conditionType: 'example.com/lb' }] });
    const s = generatePodStatus(input(p, runtime([c('app', 'running')])));
    assert.deepEqual(conditions(s)[2], ['Ready', 'False', 'ReadinessGatesNotReady', 'corresponding condition of pod readiness gate "example.com/lb" does not exist.']);
    p.status!.conditions!.push({ type: 'example.com/lb', status: 'True' });
    const ready = generatePodStatus(input(p, runtime([c('app', 'running')])));
    assert.equal(ready.conditions?.[0]?.type, 'example.com/lb', 'conditions kubelet does not own come first and stay');
    assert.deepEqual(conditions(ready).find((x) => x[0] === 'Ready'), ['Ready', 'True', '', '']);
  });

  it('reports host-network pods at the node address, and keeps a stopped pod\'s address', () => {
    const host = generatePodStatus(input(pod({ hostNetwork: true }), runtime([c('app', 'running')])));
    assert.equal(host.podIP, '192.168.1.10');
    const p = pod({ restartPolicy: 'Never' }, { podIP: '10.244.0.5', podIPs: [{ ip: '10.244.0.5' }] });
    const stopped = generatePodStatus(input(p, runtime([c('app', 'exited')], false)));
    assert.equal(stopped.podIP, '10.244.0.5');
  });

  it('marks a container that vanished while running as terminated with ContainerStatusUnknown', () => {
    const old: ContainerStatus = { name: 'app', image: 'nginx', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: iso(T(1)) } } };
    const s = generatePodStatus(input(pod({}, { containerStatuses: [old] }), runtime([])));
    const cs = s.containerStatuses![0]!;
    assert.equal(cs.lastState?.terminated?.reason, 'ContainerStatusUnknown');
    assert.equal(cs.lastState?.terminated?.exitCode, 137);
    assert.equal(cs.restartCount, 1);
  });

  it('sorts container statuses by name, init containers in spec order', () => {
    const p = pod({ containers: [{ name: 'zeta', image: 'a' }, { name: 'alpha', image: 'b' }], initContainers: [{ name: 'z-init', image: 'c' }, { name: 'a-init', image: 'd' }] });
    const s = generatePodStatus(input(p, { uid: 'u', sandboxes: [], containers: [], ips: [] }));
    assert.deepEqual(s.containerStatuses?.map((x) => x.name), ['alpha', 'zeta']);
    assert.deepEqual(s.initContainerStatuses?.map((x) => x.name), ['z-init', 'a-init']);
  });

  it('computes the QoS class when the API has none', () => {
    const p = pod({ containers: [{ name: 'app', image: 'x', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } }] });
    delete p.status!.qosClass;
    assert.equal(generatePodStatus(input(p, runtime([]))).qosClass, 'Guaranteed');
    p.spec!.containers[0]!.resources = { requests: { cpu: '100m' } };
    assert.equal(generatePodStatus(input(p, runtime([]))).qosClass, 'Burstable');
  });
});

describe('getPhase', () => {
  const st = (name: string, state: NonNullable<ContainerStatus['state']>, lastState: NonNullable<ContainerStatus['lastState']> = {}): ContainerStatus => ({ name, state, lastState, image: '', imageID: '', ready: false, restartCount: 0 });
  it('is Pending while an init container has not succeeded, Failed when it failed under Never', () => {
    const p = pod({ initContainers: [{ name: 'i', image: 'x' }] });
    assert.equal(getPhase(p, [st('i', { running: {} })], false, false), 'Pending');
    assert.equal(getPhase({ ...p, spec: { ...p.spec!, restartPolicy: 'Never' } }, [st('i', { terminated: { exitCode: 1 } })], false, false), 'Failed');
    assert.equal(getPhase(p, [st('i', { waiting: { reason: 'CrashLoopBackOff' } }, { terminated: { exitCode: 1 } })], false, false), 'Pending');
  });
  it('is Running once every container has started and one runs', () => {
    const p = pod({ containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] });
    assert.equal(getPhase(p, [st('a', { running: {} }), st('b', { waiting: { reason: 'ContainerCreating' } })], false, true), 'Pending');
    assert.equal(getPhase(p, [st('a', { running: {} }), st('b', { terminated: { exitCode: 0 } })], false, true), 'Running');
  });
});

describe('sortPodIPs', () => {
  it("puts the node's family first and keeps one of each family", () => {
    assert.deepEqual(sortPodIPs(['fd00::5', '10.0.0.5', '10.0.0.6'], ['192.168.1.1']), ['10.0.0.5', 'fd00::5']);
    assert.deepEqual(sortPodIPs(['10.0.0.5', 'fd00::5'], ['fd00::1']), ['fd00::5', '10.0.0.5']);
  });
});
