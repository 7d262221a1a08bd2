// What the runtime holds for one pod, read through CRI the way kubelet's GetPodStatus reads it: the pod's sandboxes
// and containers (newest first), each container with its restart count and spec hash from the annotations Skiff put
// on it, and the termination message the container left.
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerRuntime, ContainerStatus as CriContainerStatus, Mount } from '../runtime.ts';
import { RuntimeError } from '../runtime.ts';
import { CRI_LABELS } from '../seams.ts';
import { nanosToMs } from './format.ts';

/** Annotations kubelet puts on each container (newContainerAnnotations), read back to know the container. */
export const CONTAINER_ANNOTATIONS = {
  hash: 'io.kubernetes.container.hash',
  restartCount: 'io.kubernetes.container.restartCount',
  terminationMessagePath: 'io.kubernetes.container.terminationMessagePath',
  terminationMessagePolicy: 'io.kubernetes.container.terminationMessagePolicy',
  terminationGracePeriod: 'io.kubernetes.pod.terminationGracePeriod',
  preStopHandler: 'io.kubernetes.container.preStopHandler',
  ports: 'io.kubernetes.container.ports',
} as const;

export type RuntimeContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface RuntimeContainer {
  id: string;
  /** The sandbox it runs in. */
  sandboxId: string;
  name: string;
  state: RuntimeContainerState;
  /** Milliseconds since the epoch; 0 when not yet. */
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
  /** The image as the runtime names it, and its digest or id. */
  image: string;
  imageRef: string;
  restartCount: number;
  hash: string;
  /** Absolute path of its log file, when known. */
  logPath: string;
  annotations: Record<string, string>;
}

export interface RuntimeSandbox {
  id: string;
  ready: boolean;
  attempt: number;
  createdAt: number;
  ips: string[];
}

export interface RuntimePodStatus {
  uid: string;
  /** Newest first. */
  sandboxes: RuntimeSandbox[];
  /** Newest first. */
  containers: RuntimeContainer[];
  /** The pod's IPs, from the newest sandbox when it is ready. */
  ips: string[];
}

export const emptyRuntimePodStatus = (uid: string): RuntimePodStatus => ({ uid, sandboxes: [], containers: [], ips: [] });

/** The newest container of `name` (kubelet's FindContainerStatusByName). */
export function findContainer(status: RuntimePodStatus, name: string): RuntimeContainer | undefined {
  return status.containers.find((c) => c.name === name);
}

const isNotFound = (err: unknown) => err instanceof RuntimeError && err.code === 'NotFound';

function stateOf(state: string): RuntimeContainerState {
  switch (state) {
    case 'CONTAINER_CREATED':
      return 'created';
    case 'CONTAINER_RUNNING':
      return 'running';
    case 'CONTAINER_EXITED':
      return 'exited';
    default:
      return 'unknown';
  }
}

/** The most kubelet reports of a termination-log file, and of a log tail in its place. */
const MAX_MESSAGE_BYTES = 4096;
const MAX_LOG_TAIL_BYTES = 2048;
const MAX_LOG_TAIL_LINES = 80;

async function readTerminationLog(mounts: readonly Mount[], containerPath: string): Promise<string> {
  const mount = mounts.find((m) => m.containerPath === containerPath);
  if (!mount) return '';
  try {
    const text = await readFile(mount.hostPath);
    return text.subarray(0, MAX_MESSAGE_BYTES).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    return `Error on reading termination message from logs: ${(err as Error).message}`;
  }
}

/** The last lines a container logged, taken out of CRI's log format (`time stream tag content`). */
export async function readLogTail(file: string): Promise<string> {
  let handle;
  try {
    handle = await open(file, 'r');
    const { size } = await handle.stat();
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n').filter((l) => l.length > 0);
    if (length < size) lines.shift();
    let out = '';
    for (const line of lines.slice(-MAX_LOG_TAIL_LINES)) {
      const parts = line.split(' ');
      if (parts.length < 3) continue;
      const content = parts.slice(3).join(' ');
      out += parts[2] === 'P' ? content : `${content}\n`;
    }
    return Buffer.from(out).subarray(-MAX_LOG_TAIL_BYTES).toString('utf8');
  } catch {
    return '';
  } finally {
    await handle?.close();
  }
}

async function terminationMessage(status: CriContainerStatus, logPath: string): Promise<string> {
  if (status.state !== 'CONTAINER_EXITED') return '';
  const messagePath = status.annotations[CONTAINER_ANNOTATIONS.terminationMessagePath];
  let message = messagePath ? await readTerminationLog(status.mounts ?? [], messagePath) : '';
  const policy = status.annotations[CONTAINER_ANNOTATIONS.terminationMessagePolicy];
  if (!message && policy === 'FallbackToLogsOnError' && status.exitCode !== 0 && logPath) message = await readLogTail(logPath);
  return message;
}

export interface InspectOptions {
  /** Statuses of exited containers, which never change again; filled and pruned by inspectPod. */
  exitedCache?: Map<string, RuntimeContainer>;
  /** Where relative log paths are (the sandbox's log directory). */
  logDirectory?: string;
  signal?: AbortSignal;
}

/** The pod's sandboxes and containers as the runtime has them now. */
export async function inspectPod(runtime: ContainerRuntime, uid: string, options: InspectOptions = {}): Promise<RuntimePodStatus> {
  const { signal, exitedCache } = options;
  const selector = { labelSelector: { [CRI_LABELS.podUID]: uid } };
  const [sandboxList, containerList] = await Promise.all([runtime.listPodSandbox(selector, signal), runtime.listContainers(selector, signal)]);

  const sandboxes: RuntimeSandbox[] = [];
  for (const s of sandboxList.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : b.metadata.attempt - a.metadata.attempt))) {
    const sandbox: RuntimeSandbox = { id: s.id, ready: s.state === 'SANDBOX_READY', attempt: s.metadata.attempt, createdAt: nanosToMs(s.createdAt), ips: [] };
    if (sandboxes.length === 0 && sandbox.ready) {
      try {
        const status = await runtime.podSandboxStatus(s.id, signal);
        sandbox.ready = status.state === 'SANDBOX_READY';
        if (status.network?.ip) sandbox.ips = [status.network.ip, ...status.network.additionalIps];
      } catch (err) {
        if (!isNotFound(err)) throw err;
        continue;
      }
    }
    sandboxes.push(sandbox);
  }

  const containers: RuntimeContainer[] = [];
  const seen = new Set<string>();
  for (const c of containerList) {
    seen.add(c.id);
    const cached = exitedCache?.get(c.id);
    if (cached) {
      containers.push(cached);
      continue;
    }
    let status: CriContainerStatus;
    try {
      status = await runtime.containerStatus(c.id, signal);
    } catch (err) {
      if (isNotFound(err)) continue;
      throw err;
    }
    const logPath = status.logPath && options.logDirectory && !path.isAbsolute(status.logPath) ? path.join(options.logDirectory, status.logPath) : status.logPath;
    const annotations = status.annotations;
    const exited = status.state === 'CONTAINER_EXITED';
    const container: RuntimeContainer = {
      id: c.id,
      sandboxId: c.podSandboxId,
      name: status.labels[CRI_LABELS.containerName] ?? status.metadata.name,
      state: stateOf(status.state),
      createdAt: nanosToMs(status.createdAt),
      startedAt: nanosToMs(status.startedAt),
      finishedAt: nanosToMs(status.finishedAt),
      exitCode: exited ? status.exitCode : 0,
      reason: exited ? status.reason : '',
      message: exited ? status.message : '',
      image: status.image.image,
      imageRef: status.imageRef,
      restartCount: Number(annotations[CONTAINER_ANNOTATIONS.restartCount] ?? status.metadata.attempt) || 0,
      hash: annotations[CONTAINER_ANNOTATIONS.hash] ?? '',
      logPath,
      annotations,
    };
    const message = await terminationMessage(status, logPath);
    if (message) container.message = message;
    if (exited) exitedCache?.set(c.id, container);
    containers.push(container);
  }
  if (exitedCache) for (const id of exitedCache.keys()) if (!seen.has(id)) exitedCache.delete(id);
  containers.sort((a, b) => b.createdAt - a.createdAt || b.restartCount - a.restartCount);

  const newest = sandboxes[0];
  return { uid, sandboxes, containers, ips: newest?.ready ? newest.ips : [] };
}
