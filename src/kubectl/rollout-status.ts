// kubectl's rollout status viewers: one line about a Deployment, DaemonSet or StatefulSet and whether its rollout is
// done, computed from the object alone (upstream's polymorphichelpers/rollout_status.go).
type Fields = Record<string, any>;

export interface RolloutStatus {
  message: string;
  done: boolean;
}

/** A rollout that cannot finish as asked (progress deadline exceeded, another revision): kubectl stops with it. */
export class RolloutStatusError extends Error {
  override name = 'RolloutStatusError';
}

const int = (v: unknown): number => (typeof v === 'number' ? v : 0);

function deploymentStatus(d: Fields, revision: number): RolloutStatus {
  const name = d['metadata']?.name ?? '';
  const status = d['status'] ?? {};
  if (revision > 0) {
    const text = d['metadata']?.annotations?.['deployment.kubernetes.io/revision'];
    const current = text === undefined ? 0 : Number(text);
    if (!Number.isInteger(current)) throw new RolloutStatusError(`cannot get the revision of deployment ${JSON.stringify(name)}: strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`);
    if (revision !== current) throw new RolloutStatusError(`desired revision (${revision}) is different from the running revision (${current})`);
  }
  if (int(d['metadata']?.generation) > int(status.observedGeneration)) return { message: 'Waiting for deployment spec update to be observed...\n', done: false };
  const progressing = (status.conditions ?? []).find((c: Fields) => c['type'] === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') throw new RolloutStatusError(`deployment ${JSON.stringify(name)} exceeded its progress deadline`);
  const q = JSON.stringify(name);
  const replicas = d['spec']?.replicas;
  const updated = int(status.updatedReplicas);
  if (typeof replicas === 'number' && updated < replicas) {
    return { message: `Waiting for deployment ${q} rollout to finish: ${updated} out of ${replicas} new replicas have been updated...\n`, done: false };
  }
  if (int(status.replicas) > updated) return { message: `Waiting for deployment ${q} rollout to finish: ${int(status.replicas) - updated} old replicas are pending termination...\n`, done: false };
  if (int(status.availableReplicas) < updated) {
    return { message: `Waiting for deployment ${q} rollout to finish: ${int(status.availableReplicas)} of ${updated} updated replicas are available...\n`, done: false };
  }
  return { message: `deployment ${q} successfully rolled out\n`, done: true };
}

function daemonSetStatus(ds: Fields): RolloutStatus {
  const name = JSON.stringify(ds['metadata']?.name ?? '');
  const status = ds['status'] ?? {};
  if (ds['spec']?.updateStrategy?.type !== 'RollingUpdate') throw new RolloutStatusError('rollout status is only available for RollingUpdate strategy type');
  if (int(ds['metadata']?.generation) > int(status.observedGeneration)) return { message: 'Waiting for daemon set spec update to be observed...\n', done: false };
  const desired = int(status.desiredNumberScheduled);
  if (int(status.updatedNumberScheduled) < desired) {
    return { message: `Waiting for daemon set ${name} rollout to finish: ${int(status.updatedNumberScheduled)} out of ${desired} new pods have been updated...\n`, done: false };
  }
  if (int(status.numberAvailable) < desired) return { message: `Waiting for daemon set ${name} rollout to finish: ${int(status.numberAvailable)} of ${desired} updated pods are available...\n`, done: false };
  return { message: `daemon set ${name} successfully rolled out\n`, done: true };
}

function statefulSetStatus(sts: Fields): RolloutStatus {
  const spec = sts['spec'] ?? {};
  const status = sts['status'] ?? {};
  if (spec.updateStrategy?.type !== 'RollingUpdate') throw new RolloutStatusError('rollout status is only available for RollingUpdate strategy type');
  if (int(status.observedGeneration) === 0 || int(sts['metadata']?.generation) > int(status.observedGeneration)) {
    return { message: 'Waiting for statefulset spec update to be observed...\n', done: false };
  }
  const replicas = spec.replicas;
  if (typeof replicas === 'number' && int(status.readyReplicas) < replicas) return { message: `Waiting for ${replicas - int(status.readyReplicas)} pods to be ready...\n`, done: false };
  const rolling = spec.updateStrategy?.rollingUpdate;
  if (rolling) {
    if (typeof replicas === 'number' && typeof rolling.partition === 'number' && int(status.updatedReplicas) < replicas - rolling.partition) {
      return { message: `Waiting for partitioned roll out to finish: ${int(status.updatedReplicas)} out of ${replicas - rolling.partition} new pods have been updated...\n`, done: false };
    }
    return { message: `partitioned roll out complete: ${int(status.updatedReplicas)} new pods have been updated...\n`, done: true };
  }
  if (status.updateRevision !== status.currentRevision) {
    return { message: `waiting for statefulset rolling update to complete ${int(status.updatedReplicas)} pods at revision ${status.updateRevision ?? ''}...\n`, done: false };
  }
  return { message: `statefulset rolling update complete ${int(status.currentReplicas)} pods at revision ${status.currentRevision ?? ''}...\n`, done: true };
}

export type RolloutKind = 'Deployment' | 'DaemonSet' | 'StatefulSet';

export function isRolloutKind(group: string, kind: string): kind is RolloutKind {
  return group === 'apps' && (kind === 'Deployment' || kind === 'DaemonSet' || kind === 'StatefulSet');
}

/** The status line for one object of `kind`; `revision` > 0 pins a Deployment to that revision. */
export function rolloutStatus(kind: RolloutKind, obj: Fields, revision = 0): RolloutStatus {
  if (kind === 'Deployment') return deploymentStatus(obj, revision);
  if (kind === 'DaemonSet') return daemonSetStatus(obj);
  return statefulSetStatus(obj);
}
