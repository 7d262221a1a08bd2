// What one sync of a pod must do, decided from the pod's spec and what the runtime holds: kubelet's
// computePodActions (kuberuntime_manager.go) with its init-container half (computeInitContainerActions, which
// handles sidecars too). Pure: the worker carries the actions out.
import type { Container, Pod } from 'kubernetes-types/core/v1.d.ts';
import { isSidecar } from './format.ts';
import { findContainer, type RuntimeContainer, type RuntimePodStatus } from './runtime-state.ts';

export type KillReason = 'liveness' | 'startup' | 'unknown' | '';

export interface ContainerToKill {
  id: string;
  name: string;
  container: Container;
  /** The Killing event's message. */
  message: string;
  reason: KillReason;
}

export interface PodActions {
  /** Stop every container and the sandbox. */
  killPod: boolean;
  createSandbox: boolean;
  /** The sandbox to start containers in (empty when a new one is made). */
  sandboxId: string;
  /** The new sandbox's attempt number. */
  attempt: number;
  /** Indexes into spec.initContainers, in order. */
  initContainersToStart: number[];
  /** Indexes into spec.containers. */
  containersToStart: number[];
  containersToKill: ContainerToKill[];
}

/** What the probes know, as computePodActions needs it. */
export interface ProbeState {
  /** A liveness or startup probe of this container has failed for good. */
  unhealthy(containerId: string): 'liveness' | 'startup' | undefined;
  /** undefined: no startup probe; else whether it has succeeded. */
  started(containerName: string): boolean | undefined;
}

export const noProbes: ProbeState = { unhealthy: () => undefined, started: () => undefined };

/** The spec hash that, when it changes, restarts a running container (upstream hashes name and image). */
export function containerHash(container: Container): string {
  const text = JSON.stringify([container.name, container.image ?? '']);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16);
}

export const shouldRestartOnFailure = (pod: Pod) => pod.spec?.restartPolicy !== 'Never';

/** The sandbox must be (re)made: none, none ready, more than one ready; returns [changed, attempt, sandboxId]. */
export function podSandboxChanged(status: RuntimePodStatus): [boolean, number, string] {
  const newest = status.sandboxes[0];
  if (!newest) return [true, 0, ''];
  const maxAttempt = Math.max(...status.sandboxes.map((s) => s.attempt));
  const ready = status.sandboxes.filter((s) => s.ready).length;
  if (ready > 1 || !newest.ready) return [true, maxAttempt + 1, newest.id];
  return [false, maxAttempt, newest.id];
}

export function isInitContainerFailed(status: RuntimeContainer): boolean {
  if (status.reason === 'OOMKilled') return true;
  if (status.state === 'exited' && status.exitCode !== 0) return true;
  return status.state === 'unknown';
}

/** kubecontainer.ShouldContainerBeRestarted. */
export function shouldContainerBeRestarted(container: Container, pod: Pod, status: RuntimePodStatus): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  const c = findContainer(status, container.name);
  if (!c) return true;
  if (c.state === 'running') return false;
  if (c.state === 'unknown' || c.state === 'created') return true;
  if (pod.spec?.restartPolicy === 'Never') return false;
  if (pod.spec?.restartPolicy === 'OnFailure' && c.exitCode === 0) return false;
  return true;
}

function containerSucceeded(container: Container, status: RuntimePodStatus): boolean {
  const c = findContainer(status, container.name);
  return !!c && c.state === 'exited' && c.exitCode === 0;
}

function hasAnyRegularContainerCreated(pod: Pod, status: RuntimePodStatus): boolean {
  return (pod.spec?.containers ?? []).some((c) => {
    const s = findContainer(status, c.name);
    return !!s && (s.state === 'created' || s.state === 'running' || s.state === 'exited');
  });
}

/** Init containers' part; returns whether the pod has been initialized. */
function computeInitContainerActions(pod: Pod, status: RuntimePodStatus, probes: ProbeState, changes: PodActions): boolean {
  const inits = pod.spec?.initContainers ?? [];
  if (inits.length === 0) return true;
  let podHasInitialized = (pod.spec?.containers ?? []).some((c) => {
    const s = findContainer(status, c.name);
    return !!s && (s.state === 'created' || s.state === 'running');
  });
  let previouslyInitialized = podHasInitialized;
  const restartOnFailure = shouldRestartOnFailure(pod);
  const toStart: number[] = [];
  const kill = (s: RuntimeContainer, container: Container, message: string, reason: KillReason) =>
    changes.containersToKill.push({ id: s.id, name: container.name, container, message, reason });

  for (let i = inits.length - 1; i >= 0; i--) {
    const container = inits[i]!;
    const s = findContainer(status, container.name);
    const sidecar = isSidecar(container);
    if (!s) {
      if (previouslyInitialized && sidecar) toStart.push(i);
      continue;
    }
    if (previouslyInitialized && !sidecar) continue;

    switch (s.state) {
      case 'created':
        toStart.push(i);
        break;
      case 'running': {
        if (!sidecar) break;
        const unhealthy = probes.unhealthy(s.id);
        if (container.startupProbe) {
          if (unhealthy === 'startup') {
            kill(s, container, `Init container ${container.name} failed startup probe`, 'startup');
            toStart.push(i);
            break;
          }
          if (probes.started(container.name) !== true) break;
        }
        if (i === inits.length - 1) podHasInitialized = true;
        else if (!previouslyInitialized) toStart.push(i + 1);
        if (s.hash && s.hash !== containerHash(container)) {
          kill(s, container, `Init container ${container.name} definition changed`, '');
          toStart.push(i);
          break;
        }
        if (container.livenessProbe && unhealthy === 'liveness') {
          kill(s, container, `Init container ${container.name} failed liveness probe`, 'liveness');
          toStart.push(i);
        }
        break;
      }
      case 'exited':
        if (sidecar) {
          toStart.push(i);
        } else if (isInitContainerFailed(s)) {
          if (!restartOnFailure) {
            changes.killPod = true;
            changes.initContainersToStart = [];
            return false;
          }
          toStart.push(i);
        } else if (i === inits.length - 1) {
          podHasInitialized = true;
        } else {
          toStart.push(i + 1);
        }
        break;
      default:
        if (!sidecar && !restartOnFailure) {
          changes.killPod = true;
          changes.initContainersToStart = [];
          return false;
        }
        kill(s, container, `Init container is in "unknown" state, try killing it before restart`, 'unknown');
        toStart.push(i);
    }
    previouslyInitialized = true;
  }
  if (!previouslyInitialized) toStart.push(0);
  changes.initContainersToStart = toStart.reverse();
  return podHasInitialized;
}

export function computePodActions(pod: Pod, status: RuntimePodStatus, probes: ProbeState = noProbes): PodActions {
  const [createSandbox, attempt, sandboxId] = podSandboxChanged(status);
  const changes: PodActions = {
    killPod: createSandbox,
    createSandbox,
    sandboxId,
    attempt,
    initContainersToStart: [],
    containersToStart: [],
    containersToKill: [],
  };
  const containers = pod.spec?.containers ?? [];

  if (createSandbox) {
    if (!shouldRestartOnFailure(pod) && attempt !== 0 && status.containers.length !== 0) {
      // A pod that must not restart gets no new sandbox once its containers have run.
      changes.createSandbox = false;
      return changes;
    }
    const toStart = containers.flatMap((c, i) => (pod.spec?.restartPolicy === 'OnFailure' && containerSucceeded(c, status) ? [] : [i]));
    if (toStart.length === 0 && hasAnyRegularContainerCreated(pod, status)) {
      changes.createSandbox = false;
      return changes;
    }
    if ((pod.spec?.initContainers ?? []).length > 0) {
      changes.initContainersToStart = [0];
      return changes;
    }
    changes.containersToStart = toStart;
    return changes;
  }

  const initialized = computeInitContainerActions(pod, status, probes, changes);
  if (changes.killPod || !initialized) return changes;

  let keepCount = 0;
  containers.forEach((container, idx) => {
    const s = findContainer(status, container.name);
    if (!s || s.state !== 'running') {
      if (shouldContainerBeRestarted(container, pod, status)) {
        changes.containersToStart.push(idx);
        if (s?.state === 'unknown') {
          changes.containersToKill.push({ id: s.id, name: s.name, container, message: `Container is in "unknown" state, try killing it before restart`, reason: 'unknown' });
        }
      }
      return;
    }
    let message: string;
    let reason: KillReason = '';
    let restart = shouldRestartOnFailure(pod);
    const unhealthy = probes.unhealthy(s.id);
    if (s.hash && s.hash !== containerHash(container)) {
      message = `Container ${container.name} definition changed`;
      restart = true;
    } else if (unhealthy === 'liveness') {
      message = `Container ${container.name} failed liveness probe`;
      reason = 'liveness';
    } else if (unhealthy === 'startup') {
      message = `Container ${container.name} failed startup probe`;
      reason = 'startup';
    } else {
      keepCount++;
      return;
    }
    if (restart) {
      message = `${message}, will be restarted`;
      changes.containersToStart.push(idx);
    }
    changes.containersToKill.push({ id: s.id, name: s.name, container, message, reason });
  });

  if (keepCount === 0 && changes.containersToStart.length === 0) {
    changes.killPod = true;
    // Sidecars alone do not keep a pod alive.
    changes.initContainersToStart = [];
  }
  return changes;
}
