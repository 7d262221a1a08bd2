// Rollback through the deprecated `deprecated.deployment.rollback.to` annotation (upstream's rollback.go), what the
// old extensions/v1beta1 rollback subresource set. kubectl 1.35's `rollout undo` instead patches the template itself;
// the controller then finds the old ReplicaSet as the new one and raises its revision (getNewReplicaSet).
import { getAllReplicaSetsAndSyncRevision, typedDeployment, type DeploymentContext, DEPLOYMENTS } from './deployment-sync.ts';
import {
  equalIgnoreHash, lastRevision, POD_TEMPLATE_HASH_LABEL, Reasons, revisionOf, ROLLBACK_TO_ANNOTATION, rollbackToOf, setDeploymentAnnotationsTo,
  type DeploymentObject,
} from './deployment-util.ts';
import { FIELD_MANAGER } from './podcontrol.ts';
import type { ReplicaSetObject } from './replicaset.ts';

export async function rollback(dc: DeploymentContext, d: DeploymentObject, rsList: readonly ReplicaSetObject[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(dc, d, rsList, true);
  const allRSs = [...oldRSs, ...(newRS ? [newRS] : [])];
  let revision = rollbackToOf(d) ?? 0;
  if (revision === 0) {
    revision = lastRevision(allRSs);
    if (revision === 0) {
      dc.recorder.event(typedDeployment(d), 'Warning', Reasons.RollbackRevisionNotFound, 'Unable to find last revision.');
      return updateDeploymentAndClearRollbackTo(dc, d);
    }
  }
  const target = allRSs.find((rs) => revisionOf(rs) === revision);
  if (!target) {
    dc.recorder.event(typedDeployment(d), 'Warning', Reasons.RollbackRevisionNotFound, 'Unable to find the revision to rollback to.');
    return updateDeploymentAndClearRollbackTo(dc, d);
  }
  if (equalIgnoreHash(d.spec?.template, target.spec?.template)) {
    dc.recorder.event(typedDeployment(d), 'Warning', Reasons.RollbackTemplateUnchanged, `The rollback revision contains the same template as current deployment ${JSON.stringify(d.metadata!.name)}`);
    return updateDeploymentAndClearRollbackTo(dc, d);
  }
  // The template back (without the hash label), and the annotations that went with it.
  const template = JSON.parse(JSON.stringify(target.spec?.template ?? {})) as NonNullable<NonNullable<DeploymentObject['spec']>['template']>;
  if (template.metadata?.labels) delete template.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  d.spec = { ...(d.spec ?? {}), template };
  setDeploymentAnnotationsTo(d, target);
  await updateDeploymentAndClearRollbackTo(dc, d);
  dc.recorder.event(typedDeployment(d), 'Normal', Reasons.RollbackDone, `Rolled back deployment ${JSON.stringify(d.metadata!.name)} to revision ${revision}`);
}

async function updateDeploymentAndClearRollbackTo(dc: DeploymentContext, d: DeploymentObject): Promise<void> {
  if (d.metadata?.annotations) delete d.metadata.annotations[ROLLBACK_TO_ANNOTATION];
  const { status: _status, ...rest } = typedDeployment(d);
  await dc.client.update(DEPLOYMENTS, d.metadata!.namespace, rest, { fieldManager: FIELD_MANAGER });
}
