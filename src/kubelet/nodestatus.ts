// What a real node agent reports in its Node's status: the four conditions kubelet sets (with upstream's reasons and
// messages), the images the runtime holds, and when a status write is due (on change, or every
// nodeStatusReportFrequency as a heartbeat).
import type { ContainerImage, NodeCondition } from 'kubernetes-types/core/v1.d.ts';
import type { Image, RuntimeCondition } from './runtime.ts';

/** kubelet's nodeStatusMaxImages. */
export const MAX_NODE_IMAGES = 50;
/** kubelet's nodeStatusReportFrequency: an unchanged status is still written this often. */
export const STATUS_REPORT_FREQUENCY_MS = 5 * 60_000;

export interface NodeHealth {
  /** The runtime's own conditions (RuntimeReady, NetworkReady); undefined when the runtime does not answer. */
  runtime: RuntimeCondition[] | undefined;
  /** Why the runtime did not answer, for the Ready message. */
  runtimeError?: string;
}

/** kubelet's Ready message: the first thing that keeps the node from being ready, or "" when it is. */
export function notReadyMessage(health: NodeHealth): string {
  if (!health.runtime) return `container runtime is down${health.runtimeError ? `: ${health.runtimeError}` : ''}`;
  const problems: string[] = [];
  for (const type of ['RuntimeReady', 'NetworkReady']) {
    const c = health.runtime.find((x) => x.type === type);
    if (c?.status) continue;
    const detail = `${type}=false reason:${c?.reason ?? ''} message:${c?.message ?? ''}`;
    problems.push(type === 'NetworkReady' ? `container runtime network not ready: ${detail}` : `container runtime not ready: ${detail}`);
  }
  return problems.join(', ');
}

type Spec = { type: string; status: 'True' | 'False'; reason: string; message: string };

/**
 * The node's conditions now. heartbeat time moves on every write; transition time only when the status flips.
 */
export function nodeConditions(previous: readonly NodeCondition[] | undefined, health: NodeHealth, now: Date): NodeCondition[] {
  const notReady = notReadyMessage(health);
  const specs: Spec[] = [
    { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
    notReady
      ? { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: notReady }
      : { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
  ];
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return specs.map((s) => {
    const before = previous?.find((c) => c.type === s.type);
    const transitioned = !before || before.status !== s.status;
    return {
      type: s.type,
      status: s.status,
      lastHeartbeatTime: stamp,
      lastTransitionTime: transitioned ? stamp : (before.lastTransitionTime ?? stamp),
      reason: s.reason,
      message: s.message,
    };
  });
}

/** status.images: largest first, at most MAX_NODE_IMAGES, each named by its digests and tags. */
export function nodeImages(images: readonly Image[]): ContainerImage[] {
  return [...images]
    .sort((a, b) => (a.size === b.size ? 0 : a.size > b.size ? -1 : 1))
    .slice(0, MAX_NODE_IMAGES)
    .map((i) => ({ names: [...i.repoDigests, ...i.repoTags], sizeBytes: Number(i.size) }))
    .filter((i) => i.names.length > 0);
}

/** Whether two condition lists differ in anything but their heartbeat times. */
export function conditionsChanged(a: readonly NodeCondition[] | undefined, b: readonly NodeCondition[]): boolean {
  if (!a || a.length !== b.length) return true;
  return b.some((c) => {
    const o = a.find((x) => x.type === c.type);
    return !o || o.status !== c.status || o.reason !== c.reason || o.message !== c.message;
  });
}
