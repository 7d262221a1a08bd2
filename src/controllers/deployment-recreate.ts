// The Recreate strategy (upstream's recreate.go): every old pod is gone before the new ReplicaSet scales up.
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { syncRolloutStatus } from './deployment-progress.ts';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent, type DeploymentContext } from './deployment-sync.ts';
import { actualReplicaCount, deploymentComplete, filterActiveReplicaSets, replicasOf, type DeploymentObject } from './deployment-util.ts';
import type { ReplicaSetObject } from './replicaset.ts';

/** The pods of each of the Deployment's ReplicaSets, by ReplicaSet uid (terminating and finished pods included). */
export type PodMap = Map<string, Pod[]>;

export async function rolloutRecreate(dc: DeploymentContext, d: DeploymentObject, rsList: readonly ReplicaSetObject[], podMap: PodMap): Promise<void> {
  // No new ReplicaSet yet: it must not scale up before the old ones are down.
  let { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(dc, d, rsList, false);
  let allRSs = [...oldRSs, newRS];
  let scaledDown = false;
  for (const rs of filterActiveReplicaSets(oldRSs)) {
    if ((await scaleReplicaSetAndRecordEvent(dc, rs, 0, d)).scaled) scaledDown = true;
  }
  if (scaledDown) return syncRolloutStatus(dc, allRSs, newRS, d);
  if (oldPodsRunning(newRS, oldRSs, podMap)) return syncRolloutStatus(dc, allRSs, newRS, d);
  if (!newRS) {
    ({ newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(dc, d, rsList, true));
    allRSs = [...oldRSs, newRS];
  }
  if (newRS) await scaleReplicaSetAndRecordEvent(dc, newRS, replicasOf(d), d);
  if (deploymentComplete(d, d.status ?? {})) await cleanupDeployment(dc, oldRSs, d);
  return syncRolloutStatus(dc, allRSs, newRS, d);
}

/** Whether an old ReplicaSet still reports pods, or any pod of one has not finished (Unknown counts as running). */
export function oldPodsRunning(newRS: ReplicaSetObject | undefined, oldRSs: readonly ReplicaSetObject[], podMap: PodMap): boolean {
  if (actualReplicaCount(oldRSs) > 0) return true;
  for (const [uid, pods] of podMap) {
    if (newRS && newRS.metadata?.uid === uid) continue;
    if (pods.some((p) => p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded')) return true;
  }
  return false;
}
