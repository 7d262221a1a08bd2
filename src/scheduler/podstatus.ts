// The pod status writes of the scheduler: the PodScheduled condition (and status.nominatedNodeName) after a failed
// attempt, and the DisruptionTarget condition of a preemption victim, as strategic merge patches of pods/status.
import type { Pod, PodCondition } from 'kubernetes-types/core/v1.d.ts';
import type { Client } from '../client/client.ts';

const PODS = { group: '', version: 'v1', resource: 'pods' };

function now(): string {
  return new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * upstream's UpdatePodCondition: the condition as it would be stored (lastTransitionTime kept when the status did not
 * change), or undefined when nothing would change.
 */
export function conditionChange(pod: Pod, wanted: Omit<PodCondition, 'lastTransitionTime' | 'lastProbeTime'>): PodCondition | undefined {
  const old = pod.status?.conditions?.find((c) => c.type === wanted.type);
  const next: PodCondition = { ...wanted, lastProbeTime: null as unknown as string, lastTransitionTime: old && old.status === wanted.status && old.lastTransitionTime ? old.lastTransitionTime : now() };
  if (!old) return next;
  const same =
    old.status === next.status &&
    (old.reason ?? '') === (next.reason ?? '') &&
    (old.message ?? '') === (next.message ?? '') &&
    (old.lastProbeTime ?? null) === null &&
    old.lastTransitionTime === next.lastTransitionTime &&
    ((old as { observedGeneration?: number }).observedGeneration ?? 0) === ((next as { observedGeneration?: number }).observedGeneration ?? 0);
  return same ? undefined : next;
}

/** The generation a condition observed: the pod's own (upstream tracks it since 1.33). */
export function observedGeneration(pod: Pod): { observedGeneration?: number } {
  const g = pod.metadata?.generation;
  return typeof g === 'number' ? { observedGeneration: g } : {};
}

/**
 * Patches status.conditions[type] and/or status.nominatedNodeName ('' clears it; undefined leaves it).
 * Resolves false when there was nothing to change.
 */
export async function patchPodStatus(client: Client, pod: Pod, condition: PodCondition | undefined, nominatedNodeName?: string): Promise<boolean> {
  const status: Record<string, unknown> = {};
  if (condition) status['conditions'] = [condition];
  if (nominatedNodeName !== undefined && nominatedNodeName !== (pod.status?.nominatedNodeName ?? '')) status['nominatedNodeName'] = nominatedNodeName || null;
  if (Object.keys(status).length === 0) return false;
  await client.patch(PODS, pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', 'strategic', { status }, { subresource: 'status', fieldManager: 'kube-scheduler' });
  return true;
}
