// Rollout progress (upstream's progress.go): the Progressing condition — progressing, complete or past its deadline —
// the ReplicaFailure condition copied from the ReplicaSets, and a resync when the deadline would pass unobserved.
import { calculateStatus, sameStatus, updateDeploymentStatus, type DeploymentContext } from './deployment-sync.ts';
import {
  deploymentComplete, deploymentProgressing, deploymentTimedOut, getCondition, hasProgressDeadline, newCondition, Reasons, removeCondition,
  replicaSetToDeploymentCondition, setCondition, type DeploymentCondition, type DeploymentObject, type DeploymentStatus,
} from './deployment-util.ts';
import type { ReplicaSetObject } from './replicaset.ts';

const subject = (d: DeploymentObject, newRS: ReplicaSetObject | undefined): string =>
  newRS ? `ReplicaSet ${JSON.stringify(newRS.metadata!.name)}` : `Deployment ${JSON.stringify(d.metadata!.name)}`;

/** ReplicaFailure conditions of the new ReplicaSet, else of any ReplicaSet. */
function replicaFailures(allRSs: ReadonlyArray<ReplicaSetObject | undefined>, newRS: ReplicaSetObject | undefined): DeploymentCondition[] {
  const of = (rs: ReplicaSetObject | undefined) => (rs?.status?.conditions ?? []).filter((c) => c.type === 'ReplicaFailure').map(replicaSetToDeploymentCondition);
  const fromNew = of(newRS);
  return fromNew.length ? fromNew : allRSs.flatMap(of);
}

/** Status with the Progressing condition brought up to date; writes it if anything changed. */
export async function syncRolloutStatus(dc: DeploymentContext, allRSs: ReadonlyArray<ReplicaSetObject | undefined>, newRS: ReplicaSetObject | undefined, d: DeploymentObject): Promise<void> {
  const now = dc.now();
  const status = calculateStatus(allRSs, newRS, d, now);
  if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');

  // A finished rollout on resync: nothing to estimate.
  const current = getCondition(d.status, 'Progressing');
  const complete = (status.replicas ?? 0) === (status.updatedReplicas ?? 0) && current?.reason === Reasons.NewRSAvailable;
  if (hasProgressDeadline(d) && !complete) {
    if (deploymentComplete(d, status)) {
      setCondition(status, newCondition('Progressing', 'True', Reasons.NewRSAvailable, `${subject(d, newRS)} has successfully progressed.`, now));
    } else if (deploymentProgressing(d, status)) {
      // Progress moves lastUpdateTime even when the reason stays; lastTransitionTime only moves with the status.
      const condition = newCondition('Progressing', 'True', Reasons.ReplicaSetUpdated, `${subject(d, newRS)} is progressing.`, now);
      if (current) {
        if (current.status === 'True' && current.lastTransitionTime) condition.lastTransitionTime = current.lastTransitionTime;
        removeCondition(status, 'Progressing');
      }
      setCondition(status, condition);
    } else if (deploymentTimedOut(d, status, now)) {
      setCondition(status, newCondition('Progressing', 'False', Reasons.TimedOut, `${subject(d, newRS)} has timed out progressing.`, now));
    }
  }

  const [failure] = replicaFailures(allRSs, newRS);
  if (failure) setCondition(status, failure);
  else removeCondition(status, 'ReplicaFailure');

  if (sameStatus(d.status, status)) {
    requeueStuckDeployment(dc, d, status);
    return;
  }
  d.status = status;
  await updateDeploymentStatus(dc, d);
}

/**
 * Without progress nothing wakes the Deployment when its deadline passes: queue it for then. Returns the wait in ms
 * (-1 when none is needed).
 */
export function requeueStuckDeployment(dc: DeploymentContext, d: DeploymentObject, status: DeploymentStatus): number {
  const current = getCondition(d.status, 'Progressing');
  if (!hasProgressDeadline(d) || !current) return -1;
  if (deploymentComplete(d, status) || current.reason === Reasons.TimedOut) return -1;
  const lastUpdate = Date.parse(current.lastUpdateTime ?? '');
  if (Number.isNaN(lastUpdate)) return -1;
  const after = lastUpdate + (d.spec!.progressDeadlineSeconds ?? 0) * 1000 - dc.now();
  if (after < 1000) {
    dc.enqueueRateLimited(d);
    return 0;
  }
  // A second more against clock skew.
  dc.enqueueAfter(d, after + 1000);
  return after;
}
