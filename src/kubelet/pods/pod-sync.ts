// One sync of one pod, as kubelet's SyncPod / SyncTerminatingPod / SyncTerminatedPod do it: read what the runtime has,
// decide (computePodActions), act (kill, sandbox, init containers, containers, with the events kubelet records),
// then write the status. The pod workers (workers.ts) call these one at a time per pod.
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Container, Pod, Secret } from 'kubernetes-types/core/v1.d.ts';
import type { Client } from '../../client/client.ts';
import type { EventRecorder, EventType } from '../../client/events.ts';
import type { Logger } from '../../log.ts';
import type { AuthConfig, ContainerRuntime, PodSandboxConfig } from '../runtime.ts';
import { RuntimeError } from '../runtime.ts';
import { ContainerConfigError, VolumeError, type ContainerEnvironment, type ContainerProbes, type KubeletPaths, type PodVolumes } from '../seams.ts';
import { Backoff } from './backoff.ts';
import { containerConfig, podSandboxConfig, verifyRunAsNonRoot } from './container-config.ts';
import { podDNSConfig, type HostDNS } from './dns.ts';
import { containerFieldPath, containerSpec, errorMessage, goDuration, isSidecar, podFullName, podReference } from './format.ts';
import { runHandler } from './hooks.ts';
import { credentialsFor, ImagePullError, type ImageManager } from './images.ts';
import { CONTAINER_ANNOTATIONS, findContainer, inspectPod, type RuntimeContainer, type RuntimePodStatus } from './runtime-state.ts';
import type { StatusManager } from './status-manager.ts';
import { generatePodStatus, type StartFailure } from './status.ts';
import { computePodActions, containerHash, type KillReason, type ProbeState } from './sync.ts';

const SECRETS = { group: '', version: 'v1', resource: 'secrets' };
/** kubelet never gives a container less than this to stop (minimumGracePeriodInSeconds). */
export const MINIMUM_GRACE_PERIOD_SECONDS = 2;
/** How soon a pod whose containers could not be started is synced again (kubelet's pod worker backoff). */
export const RETRY_AFTER_ERROR_MS = 10_000;

export type PodPhaseInWorker = 'active' | 'terminal' | 'terminated';

/** What the pod workers keep about one pod between syncs. */
export interface PodRecord {
  uid: string;
  /** The latest pod from the API (or made up from CRI labels for an orphan). */
  pod: Pod;
  /** Gone from the API (deleted, force-deleted, or never known: an orphan). */
  deleted: boolean;
  /** Found in the runtime only: no API object to record events on. */
  orphan: boolean;
  phase: PodPhaseInWorker;
  /** Why containers could not be started in the last sync (kubelet's reasonCache). */
  reasons: Map<string, StartFailure>;
  exitedCache: Map<string, RuntimeContainer>;
  /** Containers whose liveness or startup probe failed for good, by container ID. */
  unhealthy: Map<string, 'liveness' | 'startup'>;
  /** Containers with probe workers, by name → container ID. */
  probed: Map<string, string>;
  lastVolumeSetUp: number;
  sandboxReady: boolean;
}

export function newPodRecord(pod: Pod, orphan = false): PodRecord {
  return {
    uid: pod.metadata?.uid ?? '',
    pod,
    deleted: orphan,
    orphan,
    phase: 'active',
    reasons: new Map(),
    exitedCache: new Map(),
    unhealthy: new Map(),
    probed: new Map(),
    lastVolumeSetUp: 0,
    sandboxReady: false,
  };
}

export interface PodSyncerDeps {
  client: Client;
  runtime: ContainerRuntime;
  /** `containerd`, `simulated`: the prefix of container IDs in the status. */
  runtimeName: () => string;
  paths: KubeletPaths;
  volumes: PodVolumes;
  environment: ContainerEnvironment;
  probes: ContainerProbes;
  recorder: EventRecorder;
  statuses: StatusManager;
  images: ImageManager;
  clusterDNS: readonly string[];
  clusterDomain: string;
  hostIPs: readonly string[];
  hostDNS: () => Promise<HostDNS>;
  memoryCapacity: number;
  /** How often volumes are set up again (configMap and secret contents refreshed). */
  volumeRefreshMs: number;
  logger: Logger;
  now: () => number;
}

/** When the worker should sync the pod again by itself (a backoff ending, a retry). */
export interface SyncResult {
  wakeAfterMs?: number;
}

const isTerminalPhase = (phase: string | undefined) => phase === 'Succeeded' || phase === 'Failed';
const isRuntimeNotFound = (err: unknown) => err instanceof RuntimeError && err.code === 'NotFound';

/** The message of a runtime failure as kubelet shows it (gRPC's status message). */
function runtimeMessage(err: unknown): string {
  const details = (err as { details?: unknown }).details;
  return typeof details === 'string' && details ? details : errorMessage(err);
}

/** A runtime failure as Go prints a gRPC error ("rpc error: code = Unknown desc = …"), which some kubelet events carry whole. */
function grpcErrorString(err: unknown): string {
  const code = (err as { grpcCodeName?: unknown }).grpcCodeName;
  return typeof code === 'string' ? `rpc error: code = ${code} desc = ${runtimeMessage(err)}` : errorMessage(err);
}

/** Key of a container's crash-loop backoff (GetStableKey). */
const stableKey = (pod: Pod, container: Container) =>
  `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}_${pod.metadata?.uid ?? ''}_${container.name}_${containerHash(container)}`;

export class PodSyncer {
  readonly crashBackoff: Backoff;

  constructor(readonly deps: PodSyncerDeps) {
    this.crashBackoff = new Backoff(undefined, undefined, deps.now);
  }

  /** Brings the runtime in line with the pod and writes its status. */
  async sync(rec: PodRecord, signal: AbortSignal): Promise<SyncResult> {
    if (rec.phase === 'terminated') return {};
    const pod = rec.pod;
    const rs = await this.#inspect(rec, signal);
    if (rec.deleted || pod.metadata?.deletionTimestamp) {
      await this.#terminate(rec, rs, signal);
      return {};
    }
    if (rec.phase === 'terminal' || isTerminalPhase(pod.status?.phase)) {
      await this.#finishTerminal(rec, rs, signal);
      return {};
    }
    return this.#syncActive(rec, rs, signal);
  }

  #inspect(rec: PodRecord, signal: AbortSignal): Promise<RuntimePodStatus> {
    const m = rec.pod.metadata ?? {};
    return inspectPod(this.deps.runtime, rec.uid, {
      exitedCache: rec.exitedCache,
      logDirectory: this.deps.paths.podLogDir(m.namespace ?? '', m.name ?? '', rec.uid),
      signal,
    });
  }

  #event(rec: PodRecord, type: EventType, reason: string, message: string, container?: Container): void {
    if (rec.orphan) return;
    this.deps.recorder.event(podReference(rec.pod), type, reason, message, container ? containerFieldPath(rec.pod, container) : undefined);
  }

  #probeState(rec: PodRecord): ProbeState {
    return {
      unhealthy: (id) => rec.unhealthy.get(id),
      started: (name) => this.deps.probes.started(rec.uid, name),
    };
  }

  #podIPs(rec: PodRecord, rs: RuntimePodStatus): string[] {
    if (rec.pod.spec?.hostNetwork) return [...this.deps.hostIPs];
    if (rs.ips.length) return rs.ips;
    return (rec.pod.status?.podIPs ?? []).flatMap((p) => (p.ip ? [p.ip] : []));
  }

  /** Probe workers follow the containers: gone for containers not running, there for running ones (after a restart of Skiff too). */
  #reconcileProbes(rec: PodRecord, rs: RuntimePodStatus): void {
    for (const [name, id] of rec.probed) {
      const c = findContainer(rs, name);
      if (!c || c.id !== id || c.state !== 'running') {
        this.deps.probes.remove(rec.uid, name);
        rec.probed.delete(name);
      }
    }
    for (const id of rec.unhealthy.keys()) if (!rs.containers.some((c) => c.id === id && c.state === 'running')) rec.unhealthy.delete(id);
    const ips = this.#podIPs(rec, rs);
    for (const spec of [...(rec.pod.spec?.initContainers ?? []), ...(rec.pod.spec?.containers ?? [])]) {
      const c = findContainer(rs, spec.name);
      if (!c || c.state !== 'running' || rec.probed.get(spec.name) === c.id) continue;
      this.deps.probes.add(rec.pod, spec, c.id, ips);
      rec.probed.set(spec.name, c.id);
    }
  }

  async #syncActive(rec: PodRecord, rs: RuntimePodStatus, signal: AbortSignal): Promise<SyncResult> {
    const { deps } = this;
    const pod = rec.pod;
    this.#reconcileProbes(rec, rs);
    const actions = computePodActions(pod, rs, this.#probeState(rec));
    let retryMs: number | undefined;

    if (actions.createSandbox && actions.sandboxId) this.#event(rec, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
    if (actions.killPod) {
      await this.#killPod(rec, rs, signal);
      if (actions.createSandbox) await this.#removeContainers(rs.containers.filter((c) => (pod.spec?.initContainers ?? []).some((i) => i.name === c.name)), signal);
    } else {
      for (const k of actions.containersToKill) {
        await this.#killContainer(rec, k.id, k.container, rs, k.message, k.reason, signal);
        rec.unhealthy.delete(k.id);
      }
    }
    await this.#pruneExited(rs, signal);

    const starting = actions.createSandbox || actions.initContainersToStart.length > 0 || actions.containersToStart.length > 0;
    let podIPs = this.#podIPs(rec, rs);
    let sandboxId = actions.sandboxId;
    let sandboxConfig: PodSandboxConfig | undefined;
    let blocked = false;

    if (starting || deps.now() - rec.lastVolumeSetUp >= deps.volumeRefreshMs) {
      try {
        await deps.volumes.setUp(pod, signal);
        rec.lastVolumeSetUp = deps.now();
      } catch (err) {
        if (signal.aborted || !(err instanceof VolumeError)) throw err;
        this.#event(rec, 'Warning', 'FailedMount', err.message);
        blocked = true;
        retryMs = RETRY_AFTER_ERROR_MS;
      }
    }

    if (!blocked && (actions.createSandbox || starting)) {
      try {
        sandboxConfig = await this.#sandboxConfig(rec, actions.attempt, actions.createSandbox);
      } catch (err) {
        if (signal.aborted) throw err;
        deps.logger.warn('pod sandbox config failed', { pod: podFullName(pod), error: err });
        blocked = true;
        retryMs = RETRY_AFTER_ERROR_MS;
      }
    }

    if (!blocked && actions.createSandbox && sandboxConfig) {
      try {
        sandboxId = await deps.runtime.runPodSandbox(sandboxConfig, '', signal);
        const st = await deps.runtime.podSandboxStatus(sandboxId, signal);
        if (!pod.spec?.hostNetwork) podIPs = st.network?.ip ? [st.network.ip, ...st.network.additionalIps] : [];
      } catch (err) {
        if (signal.aborted) throw err;
        this.#event(rec, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${grpcErrorString(err)}`);
        blocked = true;
        retryMs = RETRY_AFTER_ERROR_MS;
      }
    }

    if (!blocked && sandboxConfig) {
      const init = pod.spec?.initContainers ?? [];
      let initFailed = false;
      for (const idx of actions.initContainersToStart) {
        const container = init[idx];
        if (!container) continue;
        const ok = await this.#startContainer(rec, container, rs, sandboxId, sandboxConfig, podIPs, signal);
        if (!ok && !isSidecar(container)) {
          initFailed = true;
          break;
        }
      }
      if (!initFailed) {
        for (const idx of actions.containersToStart) {
          const container = pod.spec?.containers?.[idx];
          if (container) await this.#startContainer(rec, container, rs, sandboxId, sandboxConfig, podIPs, signal);
        }
      }
    }

    const after = await this.#inspect(rec, signal);
    rec.sandboxReady = after.sandboxes[0]?.ready ?? false;
    const status = this.#status(rec, after, false);
    await deps.statuses.setStatus(rec.pod, status, signal);
    if (isTerminalPhase(status.phase)) {
      await this.#finishTerminal(rec, after, signal);
      return {};
    }
    const wake = this.#nextWake(rec, after);
    if (wake !== undefined) retryMs = Math.min(retryMs ?? wake, wake);
    return retryMs === undefined ? {} : { wakeAfterMs: retryMs };
  }

  /** When a backoff of this pod ends, or a failed start should be tried again. */
  #nextWake(rec: PodRecord, rs: RuntimePodStatus): number | undefined {
    let wake: number | undefined;
    const now = this.deps.now();
    for (const [name, failure] of rec.reasons) {
      const container = containerSpec(rec.pod, name);
      if (!container) continue;
      let at: number | undefined;
      if (failure.reason === 'CrashLoopBackOff') {
        const exited = rs.containers.find((c) => c.name === name && c.state === 'exited');
        if (exited) at = this.crashBackoff.endsAt(stableKey(rec.pod, container), exited.finishedAt);
      } else if (failure.reason === 'ErrImagePull' || failure.reason === 'ImagePullBackOff') {
        at = this.deps.images.backoffEndsAt(rec.uid, container.image ?? '');
      }
      const ms = at === undefined ? RETRY_AFTER_ERROR_MS : Math.max(0, at - now) + 5;
      wake = wake === undefined ? ms : Math.min(wake, ms);
    }
    return wake;
  }

  #status(rec: PodRecord, rs: RuntimePodStatus, podIsTerminal: boolean) {
    return generatePodStatus({
      pod: rec.pod,
      oldStatus: this.deps.statuses.currentStatus(rec.pod),
      runtime: rs,
      runtimeName: this.deps.runtimeName(),
      reasons: rec.reasons,
      probes: { ready: (name) => this.deps.probes.ready(rec.uid, name), started: (name) => this.deps.probes.started(rec.uid, name) },
      hostIPs: this.deps.hostIPs,
      podIsTerminal,
      now: this.deps.now(),
    });
  }

  async #sandboxConfig(rec: PodRecord, attempt: number, creating: boolean): Promise<PodSandboxConfig> {
    const { deps } = this;
    const pod = rec.pod;
    const m = pod.metadata ?? {};
    const logDirectory = deps.paths.podLogDir(m.namespace ?? '', m.name ?? '', rec.uid);
    const dns = podDNSConfig(pod, { clusterDNS: deps.clusterDNS, clusterDomain: deps.clusterDomain, host: await deps.hostDNS() });
    if (creating) {
      for (const w of dns.warnings) this.#event(rec, 'Warning', w.reason, w.message);
      await mkdir(logDirectory, { recursive: true, mode: 0o755 });
    }
    return podSandboxConfig(pod, { attempt, logDirectory, dnsConfig: dns.config, clusterDomain: deps.clusterDomain });
  }

  async #pullSecrets(rec: PodRecord, signal: AbortSignal): Promise<Secret[]> {
    const refs = rec.pod.spec?.imagePullSecrets ?? [];
    const secrets: Secret[] = [];
    const missing: string[] = [];
    for (const ref of refs) {
      if (!ref.name) continue;
      try {
        secrets.push((await this.deps.client.get(SECRETS, rec.pod.metadata?.namespace, ref.name, { signal })) as Secret);
      } catch (err) {
        if (signal.aborted) throw err;
        missing.push(`"${ref.name}"`);
      }
    }
    if (missing.length) {
      this.#event(rec, 'Warning', 'FailedToRetrieveImagePullSecret', `Unable to retrieve some image pull secrets (${missing.join(', ')}); attempting to pull the image may not succeed.`);
    }
    return secrets;
  }

  /** The next restart count: one more than the newest instance's, or past the logs a lost container left. */
  async #restartCount(rec: PodRecord, container: Container, rs: RuntimePodStatus): Promise<number> {
    const latest = findContainer(rs, container.name);
    if (latest) return latest.restartCount + 1;
    const m = rec.pod.metadata ?? {};
    try {
      const files = await readdir(path.join(this.deps.paths.podLogDir(m.namespace ?? '', m.name ?? '', rec.uid), container.name));
      let count = 0;
      for (const f of files) {
        const match = /^(\d+)\.log/.exec(f);
        if (match) count = Math.max(count, Number(match[1]) + 1);
      }
      return count;
    } catch {
      return 0;
    }
  }

  /** kubelet's start(): backoff, image, config, create, start, postStart. Returns whether the container runs. */
  async #startContainer(
    rec: PodRecord,
    container: Container,
    rs: RuntimePodStatus,
    sandboxId: string,
    sandboxConfig: PodSandboxConfig,
    podIPs: string[],
    signal: AbortSignal,
  ): Promise<boolean> {
    const { deps } = this;
    const pod = rec.pod;
    const name = container.name;
    const fail = (reason: string, message: string): false => {
      rec.reasons.set(name, { reason, message });
      return false;
    };

    const lastExited = rs.containers.find((c) => c.name === name && c.state === 'exited');
    if (lastExited) {
      const key = stableKey(pod, container);
      if (this.crashBackoff.isInBackOffSince(key, lastExited.finishedAt)) {
        this.#event(rec, 'Warning', 'BackOff', `Back-off restarting failed container ${name} in pod ${podFullName(pod)}`, container);
        return fail('CrashLoopBackOff', `back-off ${goDuration(this.crashBackoff.get(key))} restarting failed container=${name} pod=${podFullName(pod)}`);
      }
      this.crashBackoff.next(key, lastExited.finishedAt);
    }

    let auths: AuthConfig[] = [];
    if (pod.spec?.imagePullSecrets?.length) auths = credentialsFor(container.image ?? '', await this.#pullSecrets(rec, signal));
    let image;
    try {
      image = await deps.images.ensureImageExists(pod, container, auths, (type, reason, message) => this.#event(rec, type, reason, message, container), signal);
    } catch (err) {
      if (signal.aborted || !(err instanceof ImagePullError)) throw err;
      this.#event(rec, 'Warning', 'Failed', `Error: ${err.reason}`, container);
      return fail(err.reason, err.message);
    }

    const restartCount = await this.#restartCount(rec, container, rs);
    if (rec.probed.has(name)) {
      deps.probes.remove(rec.uid, name);
      rec.probed.delete(name);
    }
    let config;
    try {
      const envs = await deps.environment.env(pod, container, podIPs);
      const mounts = await deps.volumes.mounts(pod, container, podIPs);
      verifyRunAsNonRoot(pod, container, image.user);
      config = containerConfig(pod, container, { image: image.image, restartCount, envs, mounts, memoryCapacity: deps.memoryCapacity });
      await mkdir(path.join(sandboxConfig.logDirectory ?? '', name), { recursive: true, mode: 0o755 });
    } catch (err) {
      if (signal.aborted || !(err instanceof ContainerConfigError || err instanceof VolumeError)) throw err;
      this.#event(rec, 'Warning', 'Failed', `Error: ${err.message}`, container);
      return fail('CreateContainerConfigError', err.message);
    }

    let id: string;
    try {
      id = await deps.runtime.createContainer(sandboxId, config, sandboxConfig, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      this.#event(rec, 'Warning', 'Failed', `Error: ${runtimeMessage(err)}`, container);
      return fail('CreateContainerError', runtimeMessage(err));
    }
    this.#event(rec, 'Normal', 'Created', `Created container: ${name}`, container);
    try {
      await deps.runtime.startContainer(id, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      this.#event(rec, 'Warning', 'Failed', `Error: ${runtimeMessage(err)}`, container);
      return fail('RunContainerError', runtimeMessage(err));
    }
    this.#event(rec, 'Normal', 'Started', `Started container ${name}`, container);
    rec.reasons.delete(name);
    deps.probes.add(pod, container, id, podIPs);
    rec.probed.set(name, id);

    const postStart = container.lifecycle?.postStart;
    if (postStart) {
      try {
        await runHandler(postStart, {
          runtime: deps.runtime,
          pod,
          container,
          containerId: id,
          podIP: podIPs[0] ?? '',
          timeoutSeconds: pod.spec?.terminationGracePeriodSeconds ?? 30,
          signal,
        });
      } catch (err) {
        if (signal.aborted) throw err;
        deps.logger.info('postStart hook failed', { pod: podFullName(pod), container: name, error: err });
        // The hook's output stays out of the event: it may hold secrets.
        this.#event(rec, 'Warning', 'FailedPostStartHook', 'PostStartHook failed', container);
        await this.#killContainer(rec, id, container, rs, 'FailedPostStartHook', '', signal);
        return fail('PostStartHookError', errorMessage(err));
      }
    }
    return true;
  }

  /** setTerminationGracePeriod: the deletion's grace, a failed probe's own, the pod's, or the minimum. */
  #gracePeriod(pod: Pod, container: Container | undefined, reason: KillReason): number {
    const deletion = pod.metadata?.deletionGracePeriodSeconds;
    if (deletion) return deletion;
    const podGrace = pod.spec?.terminationGracePeriodSeconds;
    if (podGrace === undefined || podGrace === null) return MINIMUM_GRACE_PERIOD_SECONDS;
    const probe = reason === 'liveness' ? container?.livenessProbe : reason === 'startup' ? container?.startupProbe : undefined;
    return probe?.terminationGracePeriodSeconds ?? podGrace;
  }

  /** killContainer: Killing event, preStop within the grace period, then SIGTERM (SIGKILL when the rest runs out). */
  async #killContainer(
    rec: PodRecord,
    id: string,
    container: Container | undefined,
    rs: RuntimePodStatus,
    message: string,
    reason: KillReason,
    signal: AbortSignal,
    gracePeriodOverride?: number,
  ): Promise<void> {
    const { deps } = this;
    const pod = rec.pod;
    const runtimeContainer = rs.containers.find((c) => c.id === id);
    const name = container?.name ?? runtimeContainer?.name ?? '';
    let grace = this.#gracePeriod(pod, container, reason);
    if (!container && runtimeContainer?.annotations[CONTAINER_ANNOTATIONS.terminationGracePeriod]) {
      grace = Number(runtimeContainer.annotations[CONTAINER_ANNOTATIONS.terminationGracePeriod]) || grace;
    }
    if (container) this.#event(rec, 'Normal', 'Killing', message || `Stopping container ${name}`, container);
    if (gracePeriodOverride !== undefined) grace = gracePeriodOverride;
    const preStop = container?.lifecycle?.preStop;
    if (preStop && grace > 0) {
      const started = deps.now();
      try {
        await runHandler(preStop, {
          runtime: deps.runtime,
          pod,
          container: container!,
          containerId: id,
          podIP: this.#podIPs(rec, rs)[0] ?? '',
          timeoutSeconds: grace,
          signal,
        });
      } catch (err) {
        if (signal.aborted) throw err;
        deps.logger.info('preStop hook failed', { pod: podFullName(pod), container: name, error: err });
        this.#event(rec, 'Warning', 'FailedPreStopHook', 'PreStopHook failed', container);
      }
      grace -= Math.floor((deps.now() - started) / 1000);
    }
    grace = Math.max(grace, MINIMUM_GRACE_PERIOD_SECONDS);
    if (rec.probed.get(name) === id) {
      deps.probes.remove(rec.uid, name);
      rec.probed.delete(name);
    }
    try {
      await deps.runtime.stopContainer(id, grace, signal);
    } catch (err) {
      if (!isRuntimeNotFound(err)) throw err;
    }
  }

  /** killPodWithSyncResult: every running container (app containers, then sidecars last to first), then every sandbox. */
  async #killPod(rec: PodRecord, rs: RuntimePodStatus, signal: AbortSignal, gracePeriodOverride?: number): Promise<void> {
    const running = rs.containers.filter((c) => c.state === 'running' || c.state === 'unknown');
    const sidecarNames = (rec.pod.spec?.initContainers ?? []).filter(isSidecar).map((c) => c.name);
    const regular = running.filter((c) => !sidecarNames.includes(c.name));
    const kill = (c: RuntimeContainer) => this.#killContainer(rec, c.id, containerSpec(rec.pod, c.name), rs, '', 'unknown', signal, gracePeriodOverride);
    await Promise.all(regular.map(kill));
    for (const name of [...sidecarNames].reverse()) {
      for (const c of running.filter((r) => r.name === name)) await kill(c);
    }
    for (const s of rs.sandboxes) {
      try {
        await this.deps.runtime.stopPodSandbox(s.id, signal);
      } catch (err) {
        if (!isRuntimeNotFound(err)) throw err;
      }
    }
  }

  async #removeContainers(containers: readonly RuntimeContainer[], signal: AbortSignal): Promise<void> {
    for (const c of containers) {
      try {
        await this.deps.runtime.removeContainer(c.id, signal);
      } catch (err) {
        if (!isRuntimeNotFound(err)) throw err;
      }
      if (c.logPath) await rm(c.logPath, { force: true }).catch(() => {});
    }
  }

  /**
   * kubelet's garbage collection within a pod: only the newest exited instance of each container is kept (for
   * lastState and --previous), and only the newest sandbox unless containers still live in an older one.
   */
  async #pruneExited(rs: RuntimePodStatus, signal: AbortSignal): Promise<void> {
    const keptExited = new Set<string>();
    const stale: RuntimeContainer[] = [];
    for (const c of rs.containers) {
      if (c.state !== 'exited') continue;
      if (keptExited.has(c.name)) stale.push(c);
      else keptExited.add(c.name);
    }
    if (stale.length) await this.#removeContainers(stale, signal);
    const inUse = new Set(rs.containers.filter((c) => !stale.includes(c)).map((c) => c.sandboxId));
    for (const s of rs.sandboxes.slice(1)) {
      if (s.ready || inUse.has(s.id)) continue;
      try {
        await this.deps.runtime.removePodSandbox(s.id, signal);
      } catch (err) {
        if (!isRuntimeNotFound(err)) throw err;
      }
    }
  }

  /** A pod in a terminal phase: nothing of it runs, its volumes are gone, its containers stay for their logs. */
  async #finishTerminal(rec: PodRecord, rs: RuntimePodStatus, signal: AbortSignal): Promise<void> {
    const { deps } = this;
    if (rec.phase !== 'terminal') {
      await this.#killPod(rec, rs, signal);
      deps.probes.removePod(rec.uid);
      rec.probed.clear();
      await deps.volumes.tearDown(rec.uid);
      rec.phase = 'terminal';
      rs = await this.#inspect(rec, signal);
    }
    rec.sandboxReady = false;
    await deps.statuses.setStatus(rec.pod, this.#status(rec, rs, true), signal);
  }

  /** SyncTerminatingPod and SyncTerminatedPod: stop everything gracefully, write the final status, remove what is left, delete the pod. */
  async #terminate(rec: PodRecord, rs: RuntimePodStatus, signal: AbortSignal): Promise<void> {
    const { deps } = this;
    const pod = rec.pod;
    const m = pod.metadata ?? {};
    await this.#killPod(rec, rs, signal, terminationGracePeriod(pod));
    deps.probes.removePod(rec.uid);
    rec.probed.clear();
    rec.sandboxReady = false;
    const stopped = await this.#inspect(rec, signal);
    if (!rec.deleted) await deps.statuses.setStatus(pod, this.#status(rec, stopped, true), signal);
    await deps.volumes.tearDown(rec.uid);
    await this.#removeContainers(stopped.containers, signal);
    for (const s of stopped.sandboxes) {
      try {
        await deps.runtime.removePodSandbox(s.id, signal);
      } catch (err) {
        if (!isRuntimeNotFound(err)) throw err;
      }
    }
    await rm(deps.paths.podLogDir(m.namespace ?? '', m.name ?? '', rec.uid), { recursive: true, force: true });
    await rm(deps.paths.podDir(rec.uid), { recursive: true, force: true });
    deps.images.forgetPod(rec.uid);
    this.crashBackoff.forgetPrefix(`${m.name ?? ''}_${m.namespace ?? ''}_${rec.uid}_`);
    if (!rec.deleted) await deps.statuses.deletePod(pod, signal);
    rec.phase = 'terminated';
  }
}

/**
 * The grace period of a pod being deleted (calculateEffectiveGracePeriod): the deletion's, or — when that is 0, a
 * force deletion — still the pod's own terminationGracePeriodSeconds; at least 1. undefined for a pod with no spec.
 */
export function terminationGracePeriod(pod: Pod): number | undefined {
  const deletion = pod.metadata?.deletionGracePeriodSeconds;
  const grace = deletion || pod.spec?.terminationGracePeriodSeconds;
  if (grace === undefined || grace === null) return deletion === 0 ? 1 : undefined;
  return Math.max(grace, 1);
}

/** A pod made up from a sandbox's CRI labels, for cleaning up after a pod the API no longer has. */
export function orphanPod(uid: string, name: string, namespace: string): Pod {
  return { metadata: { uid, name, namespace }, spec: { containers: [] } } as Pod;
}

