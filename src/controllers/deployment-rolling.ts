// The RollingUpdate strategy (upstream's rolling.go): scale the new ReplicaSet up within maxSurge, then the old ones
// down within maxUnavailable — unhealthy old replicas first — until only the new ReplicaSet is left.
import { syncRolloutStatus } from './deployment-progress.ts';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent, type DeploymentContext } from './deployment-sync.ts';
import {
  availableReplicaCount, byCreationTimestamp, deploymentComplete, filterActiveReplicaSets, maxUnavailable, newRSNewReplicas, replicaCount, replicasOf,
  type DeploymentObject,
} from './deployment-util.ts';
import type { ReplicaSetObject } from './replicaset.ts';

export async function rolloutRolling(dc: DeploymentContext, d: DeploymentObject, rsList: readonly ReplicaSetObject[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(dc, d, rsList, true);
  const allRSs = [...oldRSs, newRS];
  if (newRS && (await reconcileNewReplicaSet(dc, allRSs, newRS, d))) return syncRolloutStatus(dc, allRSs, newRS, d);
  if (newRS && (await reconcileOldReplicaSets(dc, allRSs, filterActiveReplicaSets(oldRSs), newRS, d))) return syncRolloutStatus(dc, allRSs, newRS, d);
  if (deploymentComplete(d, d.status ?? {})) await cleanupDeployment(dc, oldRSs, d);
  return syncRolloutStatus(dc, allRSs, newRS, d);
}

/** Scales the new ReplicaSet towards spec.replicas as far as maxSurge allows. True if it scaled. */
export async function reconcileNewReplicaSet(dc: DeploymentContext, allRSs: ReadonlyArray<ReplicaSetObject | undefined>, newRS: ReplicaSetObject, d: DeploymentObject): Promise<boolean> {
  if (replicasOf(newRS) === replicasOf(d)) return false;
  if (replicasOf(newRS) > replicasOf(d)) return (await scaleReplicaSetAndRecordEvent(dc, newRS, replicasOf(d), d)).scaled;
  const count = newRSNewReplicas(d, allRSs, newRS);
  return (await scaleReplicaSetAndRecordEvent(dc, newRS, count, d)).scaled;
}

/**
 * Scales old ReplicaSets down as far as maxUnavailable allows, counting the new ReplicaSet's unavailable pods against
 * it so a broken new template cannot eat the old, working pods. True if anything was scaled down.
 */
export async function reconcileOldReplicaSets(dc: DeploymentContext, allRSs: ReadonlyArray<ReplicaSetObject | undefined>, oldRSs: ReplicaSetObject[], newRS: ReplicaSetObject, d: DeploymentObject): Promise<boolean> {
  if (replicaCount(oldRSs) === 0) return false;
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newRSUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = replicaCount(allRSs) - minAvailable - newRSUnavailable;
  if (maxScaledDown <= 0) return false;
  // Upstream carries on (and retries on the next sync) when these fail.
  let cleaned: { oldRSs: ReplicaSetObject[]; count: number };
  try {
    cleaned = await cleanupUnhealthyReplicas(dc, oldRSs, d, maxScaledDown);
  } catch (err) {
    dc.logger.debug('cleaning up unhealthy replicas failed', { deployment: d.metadata?.name, error: err });
    return false;
  }
  let scaledDown: number;
  try {
    scaledDown = await scaleDownOldReplicaSetsForRollingUpdate(dc, [...cleaned.oldRSs, newRS], cleaned.oldRSs, d);
  } catch (err) {
    dc.logger.debug('scaling down old replica sets failed', { deployment: d.metadata?.name, error: err });
    return false;
  }
  return cleaned.count + scaledDown > 0;
}

/** Removes old replicas that are not available (they do not count towards availability), oldest ReplicaSet first. */
async function cleanupUnhealthyReplicas(dc: DeploymentContext, oldRSs: ReplicaSetObject[], d: DeploymentObject, maxCleanup: number): Promise<{ oldRSs: ReplicaSetObject[]; count: number }> {
  const sorted = [...oldRSs].sort(byCreationTimestamp);
  let total = 0;
  for (const [i, rs] of sorted.entries()) {
    if (total >= maxCleanup) break;
    if (replicasOf(rs) === 0) continue;
    const available = rs.status?.availableReplicas ?? 0;
    if (replicasOf(rs) === available) continue;
    const count = Math.min(maxCleanup - total, replicasOf(rs) - available);
    const result = await scaleReplicaSetAndRecordEvent(dc, rs, replicasOf(rs) - count, d);
    total += count;
    sorted[i] = result.rs;
  }
  return { oldRSs: sorted, count: total };
}

/** Scales old ReplicaSets down by the available pods beyond minAvailable, oldest first. */
async function scaleDownOldReplicaSetsForRollingUpdate(dc: DeploymentContext, allRSs: readonly ReplicaSetObject[], oldRSs: readonly ReplicaSetObject[], d: DeploymentObject): Promise<number> {
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const available = availableReplicaCount(allRSs);
  if (available <= minAvailable) return 0;
  const toScaleDown = available - minAvailable;
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreationTimestamp)) {
    if (total >= toScaleDown) break;
    if (replicasOf(rs) === 0) continue;
    const count = Math.min(replicasOf(rs), toScaleDown - total);
    await scaleReplicaSetAndRecordEvent(dc, rs, replicasOf(rs) - count, d);
    total += count;
  }
  return total;
}
