// computePodActions against runtime states made by hand: what kubelet would start, kill or leave alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.d.ts';
import type { RuntimeContainer, RuntimePodStatus, RuntimeContainerState } from './runtime-state.ts';
import { computePodActions, containerHash, podSandboxChanged, type ProbeState } from './sync.ts';

const containers = (...names: string[]): Container[] => names.map((name) => ({ name, image: `img-${name}` }));

function pod(spec: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return { metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { containers: containers('app'), restartPolicy: 'Always', ...spec } };
}

let seq = 0;
function c(name: string, state: RuntimeContainerState, exitCode = 0, extra: Partial<RuntimeContainer> = {}): RuntimeContainer {
  seq++;
  return {
    id: `id-${name}-${seq}`,
    sandboxId: 'sb1',
    name,
    state,
    createdAt: 1000 - seq,
    startedAt: 1,
    finishedAt: state === 'exited' ? 2 : 0,
    exitCode,
    reason: state === 'exited' ? (exitCode ? 'Error' : 'Completed') : '',
    message: '',
    image: `img-${name}`,
    imageRef: 'sha256:x',
    restartCount: 0,
    hash: containerHash({ name, image: `img-${name}` }),
    logPath: '',
    annotations: {},
    ...extra,
  };
}

/** A ready sandbox and the given containers, newest first as listed. */
const running = (...cs: RuntimeContainer[]): RuntimePodStatus => ({
  uid: 'u',
  sandboxes: [{ id: 'sb1', ready: true, attempt: 0, createdAt: 1, ips: ['10.0.0.1'] }],
  containers: cs,
  ips: ['10.0.0.1'],
});

describe('podSandboxChanged', () => {
  it('wants a first sandbox, keeps a ready one, replaces a dead one with the next attempt', () => {
    assert.deepEqual(podSandboxChanged({ uid: 'u', sandboxes: [], containers: [], ips: [] }), [true, 0, '']);
    assert.deepEqual(podSandboxChanged(running()), [false, 0, 'sb1']);
    assert.deepEqual(podSandboxChanged({ uid: 'u', sandboxes: [{ id: 'sb2', ready: false, attempt: 2, createdAt: 2, ips: [] }], containers: [], ips: [] }), [true, 3, 'sb2']);
  });
});

describe('computePodActions', () => {
  it('creates the sandbox and starts every container of a new pod', () => {
    const a = computePodActions(pod({ containers: containers('a', 'b') }), { uid: 'u', sandboxes: [], containers: [], ips: [] });
    assert.equal(a.createSandbox, true);
    assert.equal(a.killPod, true);
    assert.deepEqual(a.containersToStart, [0, 1]);
    assert.deepEqual(a.initContainersToStart, []);
  });

  it('starts only the first init container of a new pod', () => {
    const a = computePodActions(pod({ initContainers: containers('i1', 'i2') }), { uid: 'u', sandboxes: [], containers: [], ips: [] });
    assert.deepEqual(a.initContainersToStart, [0]);
    assert.deepEqual(a.containersToStart, []);
  });

  it('leaves a running container alone', () => {
    const a = computePodActions(pod(), running(c('app', 'running')));
    assert.equal(a.killPod, false);
    assert.deepEqual(a.containersToStart, []);
    assert.deepEqual(a.containersToKill, []);
  });

  it('restarts an exited container by restart policy', () => {
    assert.deepEqual(computePodActions(pod(), running(c('app', 'exited', 0))).containersToStart, [0]);
    assert.deepEqual(computePodActions(pod({ restartPolicy: 'OnFailure' }), running(c('app', 'exited', 1))).containersToStart, [0]);
    const succeeded = computePodActions(pod({ restartPolicy: 'OnFailure' }), running(c('app', 'exited', 0)));
    assert.deepEqual(succeeded.containersToStart, []);
    assert.equal(succeeded.killPod, true, 'nothing left to run: the sandbox goes');
    const never = computePodActions(pod({ restartPolicy: 'Never' }), running(c('app', 'exited', 1)));
    assert.deepEqual(never.containersToStart, []);
    assert.equal(never.killPod, true);
  });

  it('runs init containers strictly in order', () => {
    const p = pod({ initContainers: containers('i1', 'i2') });
    assert.deepEqual(computePodActions(p, running(c('i1', 'running'))).initContainersToStart, []);
    assert.deepEqual(computePodActions(p, running(c('i1', 'exited', 0))).initContainersToStart, [1]);
    const done = computePodActions(p, running(c('i2', 'exited', 0), c('i1', 'exited', 0)));
    assert.deepEqual(done.initContainersToStart, []);
    assert.deepEqual(done.containersToStart, [0]);
  });

  it('retries a failed init container, or fails the pod when it must not restart', () => {
    const p = pod({ initContainers: containers('i1', 'i2') });
    assert.deepEqual(computePodActions(p, running(c('i1', 'exited', 1))).initContainersToStart, [0]);
    const never = computePodActions({ ...p, spec: { ...p.spec!, restartPolicy: 'Never' } }, running(c('i1', 'exited', 1)));
    assert.equal(never.killPod, true);
    assert.deepEqual(never.initContainersToStart, []);
    assert.deepEqual(never.containersToStart, []);
    const oom = computePodActions(p, running(c('i1', 'exited', 0, { reason: 'OOMKilled' })));
    assert.deepEqual(oom.initContainersToStart, [0], 'an OOM-killed init container failed');
  });

  it('does not run init containers again once an app container runs', () => {
    const a = computePodActions(pod({ initContainers: containers('i1') }), running(c('app', 'running')));
    assert.deepEqual(a.initContainersToStart, []);
    assert.equal(a.killPod, false);
  });

  it('starts a sidecar, then the next init container once the sidecar has started, and keeps it running', () => {
    const sidecar: Container = { name: 'proxy', image: 'img-proxy', restartPolicy: 'Always' };
    const p = pod({ initContainers: [sidecar, { name: 'i2', image: 'img-i2' }] });
    assert.deepEqual(computePodActions(p, running(c('proxy', 'running'))).initContainersToStart, [1]);
    const withStartup = { ...p, spec: { ...p.spec!, initContainers: [{ ...sidecar, startupProbe: { exec: { command: ['true'] } } }, { name: 'i2', image: 'img-i2' }] } };
    const waiting: ProbeState = { unhealthy: () => undefined, started: () => false };
    assert.deepEqual(computePodActions(withStartup, running(c('proxy', 'running')), waiting).initContainersToStart, [], 'waits for the startup probe');
    const restarted = computePodActions(p, running(c('app', 'running'), c('proxy', 'exited', 1), c('i2', 'exited', 0)));
    assert.deepEqual(restarted.initContainersToStart, [0], 'an exited sidecar restarts after initialization');
    assert.equal(restarted.killPod, false);
  });

  it('kills and restarts a container whose liveness probe failed, or whose image changed', () => {
    const running1 = c('app', 'running');
    const probes: ProbeState = { unhealthy: (id) => (id === running1.id ? 'liveness' : undefined), started: () => undefined };
    const a = computePodActions(pod(), running(running1), probes);
    assert.deepEqual(a.containersToStart, [0]);
    assert.deepEqual(
      a.containersToKill.map((k) => [k.id, k.message, k.reason]),
      [[running1.id, 'Container app failed liveness probe, will be restarted', 'liveness']],
    );
    const never = computePodActions(pod({ restartPolicy: 'Never' }), running(running1), probes);
    assert.equal(never.containersToKill[0]?.message, 'Container app failed liveness probe');
    assert.deepEqual(never.containersToStart, []);
    const changed = computePodActions(pod({ containers: [{ name: 'app', image: 'img-new' }] }), running(c('app', 'running')));
    assert.equal(changed.containersToKill[0]?.message, 'Container app definition changed, will be restarted');
    assert.deepEqual(changed.containersToStart, [0]);
  });

  it('starts nothing for a pod being deleted', () => {
    const p: Pod = { ...pod(), metadata: { name: 'p', namespace: 'ns', uid: 'u', deletionTimestamp: '2024-01-01T00:00:00Z' } };
    const a = computePodActions(p, running(c('app', 'exited', 1)));
    assert.deepEqual(a.containersToStart, []);
    assert.equal(a.killPod, true);
  });

  it('makes no new sandbox for a Never pod whose containers have run', () => {
    const status: RuntimePodStatus = { uid: 'u', sandboxes: [{ id: 'sb1', ready: false, attempt: 0, createdAt: 1, ips: [] }], containers: [c('app', 'exited', 0)], ips: [] };
    const a = computePodActions(pod({ restartPolicy: 'Never' }), status);
    assert.equal(a.createSandbox, false);
    assert.equal(a.killPod, true);
  });

  it('re-creates a dead sandbox and starts over from the first init container', () => {
    const status: RuntimePodStatus = { uid: 'u', sandboxes: [{ id: 'sb1', ready: false, attempt: 0, createdAt: 1, ips: [] }], containers: [c('app', 'exited', 137), c('i1', 'exited', 0)], ips: [] };
    const a = computePodActions(pod({ initContainers: containers('i1') }), status);
    assert.equal(a.createSandbox, true);
    assert.equal(a.attempt, 1);
    assert.equal(a.sandboxId, 'sb1');
    assert.deepEqual(a.initContainersToStart, [0]);
  });
});
