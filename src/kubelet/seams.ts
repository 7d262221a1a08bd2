// The seams between the node agent's pod workers (pods/) and the parts they call: volumes and environment
// (volumes/, env.ts), probes (prober/), and where a pod's files and logs live on the host. Each part is built and
// tested on its own; agent.ts wires them together.
import path from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1.d.ts';
import type { KeyValue, Mount } from './runtime.ts';

/** Volumes of the pods on this node. */
export interface PodVolumes {
  /**
   * Makes every volume of the pod ready on the host; idempotent, and refreshes configMap, secret, downwardAPI and
   * projected contents when called again. Rejects with VolumeError, whose message goes into a FailedMount event.
   */
  setUp(pod: Pod, signal?: AbortSignal): Promise<void>;
  /** CRI mounts for one container: its volumeMounts (subPath, readOnly), plus /etc/hosts and its termination log. */
  mounts(pod: Pod, container: Container, podIPs: readonly string[]): Promise<Mount[]>;
  /** Removes everything the pod's volumes left on the host. */
  tearDown(podUID: string): Promise<void>;
}

/** A volume could not be set up; the message says which and why (upstream's FailedMount wording). */
export class VolumeError extends Error {
  override name = 'VolumeError';
}

/** A container's environment. */
export interface ContainerEnvironment {
  /** Rejects with ContainerConfigError when a referenced ConfigMap, Secret or key is missing. */
  env(pod: Pod, container: Container, podIPs: readonly string[]): Promise<KeyValue[]>;
}

/** The container cannot be configured (CreateContainerConfigError); the message is upstream's, e.g. `configmap "x" not found`. */
export class ContainerConfigError extends Error {
  override name = 'ContainerConfigError';
}

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/** Probes of running containers. */
export interface ContainerProbes {
  /** Starts the probe workers of a container that has just started. */
  add(pod: Pod, container: Container, containerId: string, podIPs: readonly string[]): void;
  /** Stops the workers of one container (it exited or is being replaced). */
  remove(podUID: string, containerName: string): void;
  removePod(podUID: string): void;
  /** undefined: no readiness probe (ready while running); otherwise the last result, false until the first success. */
  ready(podUID: string, containerName: string): boolean | undefined;
  /** undefined: no startup probe; otherwise whether it has succeeded. */
  started(podUID: string, containerName: string): boolean | undefined;
}

/** What the probes report back to the pod workers. */
export interface ProbeListener {
  /** Liveness or startup probe failed failureThreshold times: the container must be killed and restarted. */
  unhealthy(podUID: string, containerName: string, containerId: string, kind: 'liveness' | 'startup', message: string): void;
  /** A readiness or startup result changed: the pod's status should be written again. */
  changed(podUID: string): void;
}

/** Labels CRI objects carry so that anyone can find them from the pod (kubelet's names). */
export const CRI_LABELS = {
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUID: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
} as const;

/** Where the node agent keeps its files, all under <data-dir>/kubelet. */
export interface KubeletPaths {
  root: string;
  /** <root>/pods/<uid>: the pod's volumes (volumes/<plugin>/<name>), etc-hosts, containers/<name>/termination-log. */
  podDir(podUID: string): string;
  /** <root>/logs/<namespace>_<name>_<uid> (upstream's /var/log/pods layout); container logs are <container>/<restartCount>.log inside. */
  podLogDir(namespace: string, name: string, podUID: string): string;
}

export function kubeletPaths(dataDir: string): KubeletPaths {
  const root = path.join(path.resolve(dataDir), 'kubelet');
  return {
    root,
    podDir: (uid) => path.join(root, 'pods', uid),
    podLogDir: (namespace, name, uid) => path.join(root, 'logs', `${namespace}_${name}_${uid}`),
  };
}

/** A container's log file, relative to its pod's log directory (the sandbox's logDirectory). */
export function containerLogPath(containerName: string, restartCount: number): string {
  return `${containerName}/${restartCount}.log`;
}
