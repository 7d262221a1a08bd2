// A pod's API status from what the runtime holds, as kubelet's generateAPIPodStatus makes it (kubelet_pods.go:
// convertToAPIContainerStatuses, getPhase; status/generate.go: the conditions; the probe manager's ready/started;
// the status manager's lastTransitionTime and startTime). Pure: the worker supplies the inputs.
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.d.ts';
import { computeQOSClass } from '../../api/validation-pod.ts';
import { apiTime, isSidecar } from './format.ts';
import { findContainer, type RuntimeContainer, type RuntimePodStatus } from './runtime-state.ts';
import { podSandboxChanged, shouldContainerBeRestarted } from './sync.ts';

/** Why a container could not be started in the last sync (kubelet's reasonCache): CrashLoopBackOff, ErrImagePull … */
export interface StartFailure {
  reason: string;
  message: string;
}

export interface StatusInput {
  pod: Pod;
  /** The status kubelet last wrote, or the API's. */
  oldStatus: PodStatus;
  runtime: RuntimePodStatus;
  /** Container IDs are `<runtimeName>://<id>` (containerd, simulated). */
  runtimeName: string;
  reasons: ReadonlyMap<string, StartFailure>;
  probes: { ready(name: string): boolean | undefined; started(name: string): boolean | undefined };
  hostIPs: readonly string[];
  /** The pod is being (or has been) stopped for good: its phase becomes Succeeded or Failed. */
  podIsTerminal: boolean;
  now: number;
}

/** The condition types kubelet owns (PodConditionsByKubelet); the others are kept as they are. */
export const KUBELET_CONDITIONS = new Set(['PodScheduled', 'Ready', 'Initialized', 'ContainersReady', 'PodReadyToStartContainers', 'PodResizeInProgress', 'PodResizePending']);

const isIPv4 = (ip: string) => /^\d+\.\d+\.\d+\.\d+$/.test(ip);

/** sortPodIPs: the first address of the node's family, then the first of the other. */
export function sortPodIPs(ips: readonly string[], hostIPs: readonly string[]): string[] {
  const v4first = hostIPs.length === 0 || isIPv4(hostIPs[0]!);
  const primary = ips.find((ip) => isIPv4(ip) === v4first);
  const secondary = ips.find((ip) => isIPv4(ip) !== v4first);
  return [primary, secondary].filter((ip): ip is string => ip !== undefined);
}

function volumeMountStatuses(container: Container): ContainerStatus['volumeMounts'] {
  const mounts = container.volumeMounts ?? [];
  if (mounts.length === 0) return undefined;
  return mounts.map((vm) => ({
    name: vm.name,
    mountPath: vm.mountPath,
    ...(vm.readOnly && { readOnly: true, recursiveReadOnly: 'Disabled' }),
  }));
}

function convertContainerStatus(cs: RuntimeContainer, old: ContainerStatus | undefined, spec: Container | undefined, input: StatusInput): ContainerStatus {
  const containerID = `${input.runtimeName}://${cs.id}`;
  const image = cs.image && !cs.image.startsWith('sha256:') ? cs.image : (spec?.image ?? cs.image);
  const status: ContainerStatus = {
    name: cs.name,
    state: {},
    lastState: {},
    ready: false,
    restartCount: cs.restartCount,
    image,
    imageID: cs.imageRef,
    containerID,
  };
  if (old?.volumeMounts) status.volumeMounts = old.volumeMounts;
  switch (cs.state) {
    case 'running':
      status.state = { running: { startedAt: apiTime(cs.startedAt) } };
      break;
    case 'created':
      status.state = { waiting: {} };
      break;
    case 'exited': {
      const terminated: NonNullable<ContainerState['terminated']> = { exitCode: cs.exitCode, containerID };
      if (cs.reason) terminated.reason = cs.reason;
      if (cs.message) terminated.message = cs.message;
      if (cs.startedAt) terminated.startedAt = apiTime(cs.startedAt);
      if (cs.finishedAt) terminated.finishedAt = apiTime(cs.finishedAt);
      status.state = { terminated };
      break;
    }
    default:
      if (old?.state?.running) {
        status.state = { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' } };
        status.restartCount = (old.restartCount ?? 0) + 1;
      } else {
        status.state = { waiting: {} };
      }
  }
  if (spec && cs.state === 'running') {
    status.resources = structuredClone(spec.resources ?? {});
    if (spec.resources?.requests && Object.keys(spec.resources.requests).length) status.allocatedResources = { ...spec.resources.requests };
  }
  return status;
}

function convertContainerStatuses(containers: readonly Container[], previous: readonly ContainerStatus[], isInit: boolean, input: StatusInput): ContainerStatus[] {
  const { pod, runtime } = input;
  const hasInits = (pod.spec?.initContainers ?? []).length > 0;
  const defaultReason = hasInits ? 'PodInitializing' : 'ContainerCreating';
  const olds = new Map(previous.map((s) => [s.name, s]));
  const statuses = new Map<string, ContainerStatus>();
  for (const c of containers) {
    let status: ContainerStatus = { name: c.name, state: { waiting: { reason: defaultReason } }, lastState: {}, ready: false, restartCount: 0, image: c.image ?? '', imageID: '' };
    const mounts = volumeMountStatuses(c);
    if (mounts) status.volumeMounts = mounts;
    const old = olds.get(c.name);
    if (old) {
      if (old.state?.terminated) status = structuredClone(old);
      else {
        status.restartCount = old.restartCount;
        status.lastState = structuredClone(old.lastState ?? {});
      }
    }
    statuses.set(c.name, status);
  }

  // A container that was running and is gone from the runtime terminated, even if we did not see how.
  for (const c of containers) {
    if (findContainer(runtime, c.name)) continue;
    const old = olds.get(c.name);
    if (!old || old.state?.terminated || !old.state?.running) continue;
    const status = statuses.get(c.name)!;
    if (status.state?.waiting?.reason !== defaultReason || status.lastState?.terminated) continue;
    status.lastState = {
      terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was deleted.  The container used to be Running' },
    };
    if (!pod.metadata?.deletionTimestamp) status.restartCount += 1;
  }

  const seen = new Map<string, number>();
  for (const cs of runtime.containers) {
    const current = statuses.get(cs.name);
    if (!current) continue;
    const count = seen.get(cs.name) ?? 0;
    if (count >= 2) continue;
    const spec = containers.find((c) => c.name === cs.name);
    const converted = convertContainerStatus(cs, olds.get(cs.name) ?? current, spec, input);
    if (count === 0) {
      if (current.volumeMounts && !converted.volumeMounts) converted.volumeMounts = current.volumeMounts;
      statuses.set(cs.name, converted);
    } else statuses.get(cs.name)!.lastState = converted.state ?? {};
    seen.set(cs.name, count + 1);
  }

  // Containers that failed to start (or wait out a backoff) are waiting, and say why.
  for (const c of containers) {
    if (isInit) {
      const s = findContainer(runtime, c.name);
      if (s && s.state === 'exited' && s.exitCode === 0) continue;
    }
    if (!shouldContainerBeRestarted(c, pod, runtime)) continue;
    const failure = input.reasons.get(c.name);
    if (!failure) continue;
    const status = statuses.get(c.name)!;
    if (status.state?.terminated) status.lastState = status.state;
    status.state = { waiting: { reason: failure.reason, ...(failure.message && { message: failure.message }) } };
  }

  const out = containers.map((c) => statuses.get(c.name)!);
  if (!isInit) out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

/** The probe manager's UpdatePodStatus: started from the startup probe, ready from the readiness probe. */
function applyProbes(statuses: ContainerStatus[], specs: readonly Container[], isInit: boolean, input: StatusInput): void {
  for (const status of statuses) {
    const spec = specs.find((c) => c.name === status.name);
    let started = false;
    if (status.state?.running) started = input.probes.started(status.name) ?? true;
    status.started = started;
    if (isInit && spec && !isSidecar(spec)) {
      status.ready = status.state?.terminated?.exitCode === 0;
      continue;
    }
    if (!started) {
      status.ready = false;
      continue;
    }
    status.ready = input.probes.ready(status.name) ?? true;
  }
}

type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** kubelet's getPhase. */
export function getPhase(pod: Pod, statuses: readonly ContainerStatus[], podIsTerminal: boolean, podHasInitialized: boolean): Phase {
  const byName = new Map(statuses.map((s) => [s.name, s]));
  let pendingInit = 0;
  let pendingSidecars = 0;
  let failedInit = 0;
  for (const c of pod.spec?.initContainers ?? []) {
    if (isSidecar(c)) continue;
    const s = byName.get(c.name);
    if (!s) pendingInit++;
    else if (s.state?.running) pendingInit++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) {
        if (s.lastState.terminated.exitCode !== 0) failedInit++;
      } else pendingInit++;
    } else pendingInit++;
  }
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of pod.spec?.initContainers ?? []) {
    if (!isSidecar(c)) continue;
    const s = byName.get(c.name);
    if (!s) unknown++;
    else if (s.state?.running) {
      if (!s.started) pendingSidecars++;
      running++;
    } else if (s.state?.terminated) {
      // Stopped sidecars do not count towards the phase.
    } else if (s.state?.waiting) {
      if (!s.lastState?.terminated) {
        pendingSidecars++;
        waiting++;
      }
    } else {
      pendingSidecars++;
      unknown++;
    }
  }
  for (const c of pod.spec?.containers ?? []) {
    const s = byName.get(c.name);
    if (!s) unknown++;
    else if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  const restartPolicy = pod.spec?.restartPolicy ?? 'Always';
  if (failedInit > 0 && restartPolicy === 'Never') return 'Failed';
  if (pendingInit > 0 || (pendingSidecars > 0 && !podHasInitialized) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

type Condition = Pick<PodCondition, 'type' | 'status' | 'reason' | 'message'>;

function containersReadyCondition(pod: Pod, statuses: readonly ContainerStatus[], phase: Phase): Condition {
  const byName = new Map(statuses.map((s) => [s.name, s]));
  const unknown: string[] = [];
  const unready: string[] = [];
  const check = (c: Container) => {
    const s = byName.get(c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  };
  for (const c of pod.spec?.initContainers ?? []) if (isSidecar(c)) check(c);
  for (const c of pod.spec?.containers ?? []) check(c);
  if (phase === 'Succeeded' && unknown.length === 0) return { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' };
  if (phase === 'Failed') return { type: 'ContainersReady', status: 'False', reason: 'PodFailed' };
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: [${unknown.join(' ')}]`);
  if (unready.length) messages.push(`containers with unready status: [${unready.join(' ')}]`);
  if (messages.length) return { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: messages.join(', ') };
  return { type: 'ContainersReady', status: 'True' };
}

function readyCondition(pod: Pod, conditions: readonly Condition[], containersReady: Condition): Condition {
  if (containersReady.status !== 'True') {
    const c: Condition = { type: 'Ready', status: containersReady.status };
    if (containersReady.reason) c.reason = containersReady.reason;
    if (containersReady.message) c.message = containersReady.message;
    return c;
  }
  const messages: string[] = [];
  for (const gate of pod.spec?.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === gate.conditionType);
    if (!c) messages.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    else if (c.status !== 'True') messages.push(`the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`);
  }
  if (messages.length) return { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: messages.join(', ') };
  return { type: 'Ready', status: 'True' };
}

function hasAnyRegularContainerStarted(pod: Pod, statuses: readonly ContainerStatus[]): boolean {
  const names = new Set((pod.spec?.containers ?? []).map((c) => c.name));
  return statuses.some((s) => names.has(s.name) && (s.state?.running || s.state?.terminated));
}

function initializedCondition(pod: Pod, statuses: readonly ContainerStatus[], phase: Phase): Condition {
  const byName = new Map(statuses.map((s) => [s.name, s]));
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of pod.spec?.initContainers ?? []) {
    const s = byName.get(c.name);
    if (!s) unknown.push(c.name);
    else if (isSidecar(c) ? !s.started : !s.ready) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  if (hasAnyRegularContainerStarted(pod, statuses)) return { type: 'Initialized', status: 'True' };
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: [${unknown.join(' ')}]`);
  if (incomplete.length) messages.push(`containers with incomplete status: [${incomplete.join(' ')}]`);
  if (messages.length) return { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: messages.join(', ') };
  return { type: 'Initialized', status: 'True' };
}

/** A condition as the API shows it: lastTransitionTime kept while the status stays the same. */
function withTimes(c: Condition, old: readonly PodCondition[], now: number, generation: number | undefined): PodCondition {
  const prior = old.find((o) => o.type === c.type);
  const lastTransitionTime = prior && prior.status === c.status && prior.lastTransitionTime ? prior.lastTransitionTime : apiTime(now);
  const out: PodCondition = { type: c.type, status: c.status };
  if (generation !== undefined) (out as PodCondition & { observedGeneration?: number }).observedGeneration = generation;
  (out as { lastProbeTime: string | null }).lastProbeTime = null;
  out.lastTransitionTime = lastTransitionTime;
  if (c.reason) out.reason = c.reason;
  if (c.message) out.message = c.message;
  return out;
}

const isTerminalPhase = (phase: string | undefined) => phase === 'Succeeded' || phase === 'Failed';

/** generateAPIPodStatus. */
export function generatePodStatus(input: StatusInput): PodStatus {
  const { pod, oldStatus, runtime } = input;
  const spec = pod.spec ?? { containers: [] };
  const generation = pod.metadata?.generation;
  const status: PodStatus & { observedGeneration?: number } = {};
  if (generation !== undefined) status.observedGeneration = generation;

  const containerStatuses = convertContainerStatuses(spec.containers ?? [], oldStatus.containerStatuses ?? [], false, input);
  const initContainerStatuses = convertContainerStatuses(spec.initContainers ?? [], oldStatus.initContainerStatuses ?? [], true, input);
  applyProbes(containerStatuses, spec.containers ?? [], false, input);
  applyProbes(initContainerStatuses, spec.initContainers ?? [], true, input);
  const all = [...containerStatuses, ...initContainerStatuses];

  const podHasInitialized = (spec.containers ?? []).some((c) => {
    const s = findContainer(runtime, c.name);
    return !!s && (s.state === 'running' || s.state === 'created');
  });
  let phase = getPhase(pod, all, input.podIsTerminal, podHasInitialized);
  if (!isTerminalPhase(phase)) {
    if (isTerminalPhase(oldStatus.phase)) phase = oldStatus.phase as Phase;
    else if (isTerminalPhase(pod.status?.phase)) phase = pod.status!.phase as Phase;
  }
  if (isTerminalPhase(pod.status?.phase)) phase = pod.status!.phase as Phase;
  status.phase = phase;
  if (phase === oldStatus.phase) {
    const reason = oldStatus.reason || pod.status?.reason;
    const message = oldStatus.message || pod.status?.message;
    if (reason) status.reason = reason;
    if (message) status.message = message;
  }

  // Conditions: the ones kubelet does not own stay; its own are made afresh.
  const oldConditions = oldStatus.conditions ?? [];
  const apiConditions = pod.status?.conditions ?? [];
  const kept = apiConditions.filter((c) => !KUBELET_CONDITIONS.has(c.type));
  const [sandboxChanged] = podSandboxChanged(runtime);
  const readyToStart: Condition = { type: 'PodReadyToStartContainers', status: sandboxChanged ? 'False' : 'True' };
  const initialized = initializedCondition(pod, initContainerStatuses.concat(containerStatuses), phase);
  const containersReady = containersReadyCondition(pod, all, phase);
  const ready = readyCondition(pod, kept, containersReady);
  const scheduled: Condition = { type: 'PodScheduled', status: 'True' };
  const previous = [...oldConditions, ...apiConditions.filter((c) => !oldConditions.some((o) => o.type === c.type))];
  status.conditions = [...kept, ...[readyToStart, initialized, ready, containersReady, scheduled].map((c) => withTimes(c, previous, input.now, generation))];

  if (input.hostIPs.length) {
    status.hostIP = input.hostIPs[0]!;
    status.hostIPs = input.hostIPs.slice(0, 2).map((ip) => ({ ip }));
  }
  let podIPs = sortPodIPs(runtime.ips, input.hostIPs);
  if (spec.hostNetwork) podIPs = oldStatus.podIPs?.length ? oldStatus.podIPs.flatMap((p) => (p.ip ? [p.ip] : [])) : input.hostIPs.slice(0, 2);
  // A stopped sandbox has no address any more; the pod keeps showing the one it had.
  if (podIPs.length === 0 && oldStatus.podIPs?.length) podIPs = oldStatus.podIPs.flatMap((p) => (p.ip ? [p.ip] : []));
  if (podIPs.length) {
    status.podIP = podIPs[0]!;
    status.podIPs = podIPs.map((ip) => ({ ip }));
  }
  status.startTime = oldStatus.startTime ?? pod.status?.startTime ?? apiTime(input.now);
  if (containerStatuses.length) status.containerStatuses = containerStatuses;
  if (initContainerStatuses.length) status.initContainerStatuses = initContainerStatuses;
  status.qosClass = pod.status?.qosClass ?? computeQOSClass(spec as unknown as Record<string, unknown>);
  return status;
}
