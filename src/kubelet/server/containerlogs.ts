// GET /containerLogs/{namespace}/{pod}/{container}: a container's log from the file the runtime writes under
// <root>/logs/<namespace>_<pod>_<uid>/<container>/<restartCount>.log. With the agent's view of its pods, the file is
// the one of the container instance the pod's status names (as upstream); without it, the current log is the highest
// restart count and the previous one the next lower. Following stops once the container writing the file has exited.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import type { ContainerRuntime } from '../runtime.ts';
import { CRI_LABELS, type KubeletPaths } from '../seams.ts';
import { readCriLog, type LogReadOptions } from './crilog.ts';
import { httpErrors, KubeletHttpError } from './errors.ts';
import { ContainerLogStatusError, containerLogID, runtimeContainerID } from './logstatus.ts';

/** The pods this node runs, with their status as the agent last computed it. */
export interface PodSource {
  get(namespace: string, name: string): Promise<Pod | undefined>;
}

export interface ContainerLogRequest {
  namespace: string;
  pod: string;
  container: string;
  previous: boolean;
  options: LogReadOptions;
}

export interface ContainerLogFile {
  path: string;
  podUID: string;
  restartCount: number;
  /** The runtime's container writing it, when known. */
  containerId?: string;
}

const BOOL_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const BOOL_FALSE = new Set(['', '0', 'f', 'F', 'FALSE', 'false', 'False']);
const INVALID_REQUEST = () => new KubeletHttpError(422, '{"message": "Invalid request."}');
const UNDECODABLE = () => httpErrors.badRequest('{"message": "Unable to decode query."}');

function bool(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  if (v === null) return false;
  if (BOOL_TRUE.has(v)) return true;
  if (BOOL_FALSE.has(v)) return false;
  throw UNDECODABLE();
}

function int(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  if (!/^[+-]?\d+$/.test(v)) throw UNDECODABLE();
  return Number(v);
}

/** The query of a containerLogs request as the kubelet decodes and validates it (PodLogOptions v1). */
export function parseLogQuery(query: URLSearchParams, now = Date.now()): { previous: boolean; options: LogReadOptions } {
  const q = new URLSearchParams(query);
  // The kubelet still takes the old `tail` parameter; "all" is no limit.
  const tail = q.get('tail');
  if (tail) {
    if (tail === 'all') q.delete('tailLines');
    else q.set('tailLines', tail);
  }
  const tailLines = int(q, 'tailLines');
  const limitBytes = int(q, 'limitBytes');
  const sinceSeconds = int(q, 'sinceSeconds');
  const sinceTimeText = q.get('sinceTime');
  let sinceTime: number | undefined;
  if (sinceTimeText) {
    sinceTime = Date.parse(sinceTimeText);
    if (Number.isNaN(sinceTime)) throw UNDECODABLE();
  }
  const stream = q.get('stream');
  if (stream !== null && !['All', 'Stdout', 'Stderr'].includes(stream)) throw INVALID_REQUEST();
  if (tailLines !== undefined && tailLines < 0) throw INVALID_REQUEST();
  if (limitBytes !== undefined && limitBytes < 1) throw INVALID_REQUEST();
  if (sinceSeconds !== undefined && sinceTime !== undefined) throw INVALID_REQUEST();
  if (sinceSeconds !== undefined && sinceSeconds < 1) throw INVALID_REQUEST();

  let sinceMs: number | undefined;
  if (sinceSeconds !== undefined) sinceMs = now - sinceSeconds * 1000;
  if (sinceTime !== undefined) sinceMs = sinceTime;
  const options: LogReadOptions = { follow: bool(q, 'follow'), timestamps: bool(q, 'timestamps') };
  if (tailLines !== undefined) options.tailLines = tailLines;
  if (limitBytes !== undefined) options.limitBytes = limitBytes;
  if (sinceMs !== undefined) options.sinceNs = BigInt(sinceMs) * 1_000_000n;
  if (stream === 'Stdout') options.stream = 'stdout';
  if (stream === 'Stderr') options.stream = 'stderr';
  return { previous: bool(q, 'previous'), options };
}

const isNotFound = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** The pod's log directory: `<ns>_<pod>_<uid>`; with several (a pod recreated under the same name), the live sandbox's, else the newest. */
async function podLogDir(paths: KubeletPaths, runtime: ContainerRuntime, namespace: string, pod: string): Promise<{ dir: string; uid: string }> {
  const logsRoot = path.dirname(paths.podLogDir(namespace, pod, 'x'));
  const prefix = `${namespace}_${pod}_`;
  let names: string[];
  try {
    names = (await readdir(logsRoot)).filter((n) => n.startsWith(prefix) && n.length > prefix.length);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    names = [];
  }
  if (names.length === 0) throw httpErrors.notFound(`pod "${pod}" does not exist`);
  const uids = names.map((n) => n.slice(prefix.length));
  let uid = uids[0]!;
  if (uids.length > 1) {
    const ready = await runtime.listPodSandbox({ state: 'SANDBOX_READY', labelSelector: { [CRI_LABELS.podNamespace]: namespace, [CRI_LABELS.podName]: pod } }).catch(() => []);
    const live = ready.map((s) => s.metadata.uid).find((u) => uids.includes(u));
    if (live) uid = live;
    else {
      const times = await Promise.all(uids.map(async (u) => ({ u, t: (await stat(paths.podLogDir(namespace, pod, u)).catch(() => undefined))?.mtimeMs ?? 0 })));
      uid = times.sort((a, b) => b.t - a.t)[0]!.u;
    }
  }
  return { dir: paths.podLogDir(namespace, pod, uid), uid };
}

/** The log file a request reads: the current one, or with `previous` the one before it. */
export async function findContainerLog(paths: KubeletPaths, runtime: ContainerRuntime, namespace: string, pod: string, container: string, previous: boolean): Promise<ContainerLogFile> {
  const { dir, uid } = await podLogDir(paths, runtime, namespace, pod);
  let files: string[];
  try {
    files = await readdir(path.join(dir, container));
  } catch (err) {
    if (!isNotFound(err)) throw err;
    throw httpErrors.notFound(`container "${container}" not found in pod "${pod}"`);
  }
  const counts = files
    .map((f) => /^(\d+)\.log$/.exec(f)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => b - a);
  const restartCount = previous ? counts[1] : counts[0];
  if (restartCount === undefined) {
    if (previous) throw httpErrors.badRequest(`previous terminated container "${container}" in pod "${pod}" not found`);
    throw httpErrors.badRequest(`container "${container}" in pod "${pod}" is not available`);
  }
  return { path: path.join(dir, container, `${restartCount}.log`), podUID: uid, restartCount };
}

/** Whether the container instance that writes `file` is running (by id, or the one with that attempt number). */
async function writerRunning(runtime: ContainerRuntime, namespace: string, pod: string, container: string, file: ContainerLogFile): Promise<boolean> {
  if (file.containerId) return (await runtime.containerStatus(file.containerId)).state === 'CONTAINER_RUNNING';
  const containers = await runtime.listContainers({
    labelSelector: { [CRI_LABELS.podNamespace]: namespace, [CRI_LABELS.podName]: pod, [CRI_LABELS.podUID]: file.podUID, [CRI_LABELS.containerName]: container },
  });
  const writer = containers.find((c) => c.metadata.attempt === file.restartCount);
  return writer?.state === 'CONTAINER_RUNNING';
}

const inSpec = (pod: Pod, container: string) =>
  [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []), ...(pod.spec?.ephemeralContainers ?? [])].some((c) => c.name === container);

/** From the pod's status, as the kubelet: which container instance (404 and 400 answers before any output). */
async function containerFromStatus(pods: PodSource, namespace: string, name: string, container: string, previous: boolean): Promise<{ pod: Pod; id: string }> {
  const pod = await pods.get(namespace, name);
  if (!pod) throw httpErrors.notFound(`pod "${name}" does not exist`);
  if (!inSpec(pod, container)) throw httpErrors.notFound(`container "${container}" not found in pod "${name}"`);
  try {
    return { pod, id: containerLogID(pod, container, previous) };
  } catch (err) {
    if (err instanceof ContainerLogStatusError) throw httpErrors.badRequest(err.message);
    throw err;
  }
}

/** The log file of a container instance, from the runtime (kuberuntime's GetContainerLogs). */
async function logFileOf(paths: KubeletPaths, runtime: ContainerRuntime, pod: Pod, containerID: string): Promise<ContainerLogFile> {
  const id = runtimeContainerID(containerID);
  let status;
  try {
    status = await runtime.containerStatus(id);
  } catch (err) {
    throw new Error(`failed to get container status "${containerID}": ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const uid = pod.metadata?.uid ?? '';
  const dir = paths.podLogDir(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', uid);
  return { path: path.isAbsolute(status.logPath) ? status.logPath : path.join(dir, status.logPath), podUID: uid, restartCount: status.metadata.attempt, containerId: id };
}

/** Serves one containerLogs request; errors before the first byte are thrown (the caller answers them). */
export async function serveContainerLogs(paths: KubeletPaths, runtime: ContainerRuntime, request: ContainerLogRequest, res: ServerResponse, signal: AbortSignal, pods?: PodSource): Promise<void> {
  const { namespace, pod, container } = request;
  const fromStatus = pods ? await containerFromStatus(pods, namespace, pod, container, request.previous) : undefined;
  const fromFiles = fromStatus ? undefined : await findContainerLog(paths, runtime, namespace, pod, container, request.previous);
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  const write = (chunk: Buffer) =>
    new Promise<void>((resolve) => {
      if (res.write(chunk) || res.destroyed) resolve();
      else {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.once('drain', done);
        res.once('close', done);
      }
    });
  try {
    const file = fromFiles ?? (await logFileOf(paths, runtime, fromStatus!.pod, fromStatus!.id));
    await readCriLog(
      file.path,
      request.options,
      async (chunk) => {
        if (signal.aborted) return;
        await write(chunk);
      },
      { isRunning: () => writerRunning(runtime, namespace, pod, container, file).catch(() => false) },
      signal,
    );
  } catch (err) {
    // Past the headers the kubelet writes its error into the body.
    if (!res.destroyed) res.write(err instanceof Error ? err.message : String(err));
  }
  res.end();
}
