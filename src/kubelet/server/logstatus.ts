// Which container instance a log request reads, from the pod's status, as kubelet's validateContainerLogStatus
// decides it: with `previous` the last terminated one; otherwise the running one, else the terminated one, else the
// last terminated. Pure, so the API server can answer the same errors before calling the node.
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1.d.ts';

/** Why there is no log to read; the message is upstream's. */
export class ContainerLogStatusError extends Error {
  override name = 'ContainerLogStatusError';
}

/** The container ID (`<runtime>://<id>`) whose log a request reads; throws ContainerLogStatusError otherwise. */
export function containerLogID(pod: Pod, container: string, previous: boolean): string {
  const podName = pod.metadata?.name ?? '';
  const statuses: ContainerStatus[] = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])];
  const status = statuses.find((s) => s.name === container);
  const about = `container "${container}" in pod "${podName}"`;
  if (!status) throw new ContainerLogStatusError(`${about} is not available`);
  const last = status.lastState?.terminated;
  const { waiting, running, terminated } = status.state ?? {};
  if (previous) {
    if (!last?.containerID) throw new ContainerLogStatusError(`previous terminated ${about} not found`);
    return last.containerID;
  }
  if (running) return status.containerID ?? '';
  if (terminated) {
    // The next instance may not have started: its ID is empty, the last one's log is what there is.
    const id = terminated.containerID || last?.containerID;
    if (id) return id;
    throw new ContainerLogStatusError(`${about} is terminated`);
  }
  if (last) {
    if (last.containerID) return last.containerID;
    throw new ContainerLogStatusError(`${about} is terminated`);
  }
  if (waiting) {
    if (waiting.reason === 'ErrImagePull') throw new ContainerLogStatusError(`${about} is waiting to start: image can't be pulled`);
    if (waiting.reason === 'ImagePullBackOff') throw new ContainerLogStatusError(`${about} is waiting to start: trying and failing to pull image`);
    throw new ContainerLogStatusError(`${about} is waiting to start: ${waiting.reason ?? ''}`);
  }
  throw new ContainerLogStatusError(`${about} is waiting to start - no logs yet`);
}

/** `containerd://abc` → `abc`. */
export function runtimeContainerID(containerID: string): string {
  const i = containerID.indexOf('://');
  return i < 0 ? containerID : containerID.slice(i + 3);
}
