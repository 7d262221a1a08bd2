// Which pods a ReplicaSet deletes first when it scales down: upstream's ActivePodsWithRanks order (controller_utils.go),
// with LogarithmicScaleDown and PodDeletionCost on as in 1.35.
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { isPodActive, isPodReady, podReadyCondition } from './podcontrol.ts';

export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** The annotation as an int32; anything else counts as 0, as upstream ignores a bad value. */
export function podDeletionCost(pod: Pod): number {
  const raw = pod.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (raw === undefined || !/^[+-]?\d+$/.test(raw.trim())) return 0;
  const n = Number(raw.trim());
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : 0;
}

const time = (s: string | undefined): number => (s ? Date.parse(s) : NaN);
const isZero = (t: number): boolean => Number.isNaN(t);

/** t1 after t2, an unset time counting as earliest-to-delete (upstream's afterOrZero). */
function afterOrZero(t1: number, t2: number): boolean {
  if (isZero(t1) || isZero(t2)) return isZero(t1);
  return t1 > t2;
}

/** Difference of the log2 buckets of the ages (in nanoseconds) of two times. */
function logarithmicRankDiff(t1: number, t2: number, now: number): number {
  const bucket = (t: number) => {
    const d = (now - t) * 1e6;
    return d > 0 ? Math.trunc(Math.log2(d)) : -1;
  };
  return bucket(t1) - bucket(t2);
}

function maxRestarts(pod: Pod): { regular: number; sidecar: number } {
  let regular = 0;
  let sidecar = 0;
  for (const c of pod.status?.containerStatuses ?? []) regular = Math.max(regular, c.restartCount ?? 0);
  const sidecars = new Set((pod.spec?.initContainers ?? []).filter((c) => (c as { restartPolicy?: string }).restartPolicy === 'Always').map((c) => c.name));
  for (const c of pod.status?.initContainerStatuses ?? []) if (sidecars.has(c.name)) sidecar = Math.max(sidecar, c.restartCount ?? 0);
  return { regular, sidecar };
}

/** Negative when `a` should be deleted before `b`. */
function compareForDeletion(a: Pod, rankA: number, b: Pod, rankB: number, now: number): number {
  const less = (x: boolean) => (x ? -1 : 1);
  const nodeA = a.spec?.nodeName ?? '';
  const nodeB = b.spec?.nodeName ?? '';
  // 1. Unassigned before assigned.
  if (nodeA !== nodeB && (!nodeA || !nodeB)) return less(!nodeA);
  // 2. Pending < Unknown < Running.
  const phaseA = PHASE_ORDINAL[a.status?.phase ?? ''] ?? 0;
  const phaseB = PHASE_ORDINAL[b.status?.phase ?? ''] ?? 0;
  if (phaseA !== phaseB) return less(phaseA < phaseB);
  // 3. Not ready before ready.
  const readyA = isPodReady(a);
  const readyB = isPodReady(b);
  if (readyA !== readyB) return less(!readyA);
  // 4. Lower pod-deletion-cost first.
  const costA = podDeletionCost(a);
  const costB = podDeletionCost(b);
  if (costA !== costB) return less(costA < costB);
  // 5. Doubled up (more related pods on the same node) first.
  if (rankA !== rankB) return less(rankA > rankB);
  const uidOrder = () => ((a.metadata?.uid ?? '') < (b.metadata?.uid ?? '') ? -1 : (a.metadata?.uid ?? '') > (b.metadata?.uid ?? '') ? 1 : 0);
  // 6. Ready for a shorter time first (in logarithmic buckets).
  if (readyA && readyB) {
    const tA = time(podReadyCondition(a)?.lastTransitionTime);
    const tB = time(podReadyCondition(b)?.lastTransitionTime);
    if (tA !== tB && !(isZero(tA) && isZero(tB))) {
      if (isZero(tA) || isZero(tB)) return less(afterOrZero(tA, tB));
      const diff = logarithmicRankDiff(tA, tB, now);
      if (diff === 0) return uidOrder();
      return less(diff < 0);
    }
  }
  // 7. More container restarts first (regular containers, then sidecars).
  const rA = maxRestarts(a);
  const rB = maxRestarts(b);
  if (rA.regular !== rB.regular) return less(rA.regular > rB.regular);
  if (rA.sidecar !== rB.sidecar) return less(rA.sidecar > rB.sidecar);
  // 8. Newer (or unset) creation time first.
  const cA = time(a.metadata?.creationTimestamp);
  const cB = time(b.metadata?.creationTimestamp);
  if (cA !== cB && !(isZero(cA) && isZero(cB))) {
    if (isZero(cA) || isZero(cB)) return less(afterOrZero(cA, cB));
    const diff = logarithmicRankDiff(cA, cB, now);
    if (diff === 0) return uidOrder();
    return less(diff < 0);
  }
  return 0;
}

/**
 * The `diff` pods of `pods` to delete first. `related` are the pods of every ReplicaSet with the same owner: a pod
 * sharing its node with more of them ranks as doubled up (getPodsRankedByRelatedPodsOnSameNode).
 */
export function podsToDelete(pods: readonly Pod[], related: readonly Pod[], diff: number, now: number = Date.now()): Pod[] {
  if (diff >= pods.length) return [...pods];
  const onNode = new Map<string, number>();
  for (const p of related) if (isPodActive(p)) onNode.set(p.spec?.nodeName ?? '', (onNode.get(p.spec?.nodeName ?? '') ?? 0) + 1);
  const ranked = pods.map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((x, y) => compareForDeletion(x.pod, x.rank, y.pod, y.rank, now));
  return ranked.slice(0, diff).map((r) => r.pod);
}
