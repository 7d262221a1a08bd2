// The Deployment controller's common steps (upstream's sync.go): the new ReplicaSet and the revisions, scaling
// (proportionally while a rollout is under way), history cleanup, paused conditions and the status.
import type { Client } from '../client/client.ts';
import { isAlreadyExists, isNotFound } from '../client/errors.ts';
import type { EventRecorder } from '../client/events.ts';
import type { Logger } from '../log.ts';
import { canonicalJSON, computeHash } from './deployment-hash.ts';
import {
  actualReplicaCount, availableReplicaCount, byRevision, bySizeNewer, bySizeOlder, desiredReplicasAnnotation, equalIgnoreHash, filterActiveReplicaSets,
  findActiveOrLatest, findNewReplicaSet, findOldReplicaSets, getCondition, hasProgressDeadline, hasRevisionHistoryLimit, isRollingUpdate, isSaturated,
  maxRevision, maxSurge, maxUnavailable, newCondition, newRSNewReplicas, POD_TEMPLATE_HASH_LABEL, readyReplicaCount, Reasons, replicaCount,
  replicaSetProportion, replicasAnnotationsNeedUpdate, replicasOf, REVISION_ANNOTATION, rollbackToOf, setCondition, setDeploymentRevision,
  setNewReplicaSetAnnotations, setReplicasAnnotations, terminatingReplicaCount, type DeploymentObject, type DeploymentStatus,
} from './deployment-util.ts';
import { controllerRefOf, FIELD_MANAGER, isNamespaceTerminating, newControllerRef } from './podcontrol.ts';
import type { ReplicaSetObject } from './replicaset.ts';
import { DEPLOYMENTS, REPLICASETS } from '../client/resources.ts';

/** What the sync steps need from the controller. */
export interface DeploymentContext {
  client: Client;
  recorder: EventRecorder;
  logger: Logger;
  now(): number;
  /** Fetches a ReplicaSet from the cache. */
  replicaSet(namespace: string, name: string): ReplicaSetObject | undefined;
  enqueueAfter(d: DeploymentObject, ms: number): void;
  enqueueRateLimited(d: DeploymentObject): void;
}

export const typedDeployment = (d: DeploymentObject): DeploymentObject => ({ ...d, apiVersion: 'apps/v1', kind: 'Deployment' });
export const typedReplicaSet = (rs: ReplicaSetObject): ReplicaSetObject => ({ ...rs, apiVersion: 'apps/v1', kind: 'ReplicaSet' });
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The status as Go's JSON writes it: zero counts omitted, pointers (terminatingReplicas, collisionCount) kept. */
export function normalizeStatus(s: DeploymentStatus | undefined): DeploymentStatus {
  const out: DeploymentStatus = {};
  for (const k of ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'] as const) {
    const v = s?.[k];
    if (v) out[k] = v;
  }
  if (s?.terminatingReplicas !== undefined) out.terminatingReplicas = s.terminatingReplicas;
  if (s?.conditions?.length) out.conditions = s.conditions;
  if (s?.collisionCount !== undefined) out.collisionCount = s.collisionCount;
  return out;
}

export const sameStatus = (a: DeploymentStatus | undefined, b: DeploymentStatus | undefined): boolean => canonicalJSON(normalizeStatus(a)) === canonicalJSON(normalizeStatus(b));

/**
 * Writes the Deployment's status (and, as upstream's status endpoint keeps them, its annotations). If the server
 * dropped the revision annotation from the status write, it is set with a metadata patch. `d` takes the new resourceVersion.
 */
export async function updateDeploymentStatus(dc: DeploymentContext, d: DeploymentObject): Promise<void> {
  const body = typedDeployment({ ...d, status: normalizeStatus(d.status) });
  const updated = await dc.client.updateStatus<DeploymentObject>(DEPLOYMENTS, d.metadata!.namespace, body, { fieldManager: FIELD_MANAGER });
  if (updated.metadata?.resourceVersion) d.metadata!.resourceVersion = updated.metadata.resourceVersion;
  const want = d.metadata?.annotations?.[REVISION_ANNOTATION];
  if (want !== undefined && updated.metadata?.annotations?.[REVISION_ANNOTATION] !== want) {
    const patched = await dc.client.patch<DeploymentObject>(
      DEPLOYMENTS,
      d.metadata!.namespace,
      d.metadata!.name!,
      'merge',
      { metadata: { resourceVersion: d.metadata!.resourceVersion, annotations: { [REVISION_ANNOTATION]: want } } },
      { fieldManager: FIELD_MANAGER },
    );
    if (patched.metadata?.resourceVersion) d.metadata!.resourceVersion = patched.metadata.resourceVersion;
  }
}

export interface ReplicaSetsOfDeployment {
  newRS: ReplicaSetObject | undefined;
  oldRSs: ReplicaSetObject[];
}

/**
 * The new ReplicaSet (created when `createIfNotExisted`) with its revision raised above the old ones, and every old
 * ReplicaSet; the Deployment's revision annotation follows the new ReplicaSet's.
 */
export async function getAllReplicaSetsAndSyncRevision(dc: DeploymentContext, d: DeploymentObject, rsList: readonly ReplicaSetObject[], createIfNotExisted: boolean): Promise<ReplicaSetsOfDeployment> {
  const oldRSs = findOldReplicaSets(d, rsList).all;
  const newRS = await getNewReplicaSet(dc, d, rsList, oldRSs, createIfNotExisted);
  return { newRS, oldRSs };
}

async function getNewReplicaSet(dc: DeploymentContext, d: DeploymentObject, rsList: readonly ReplicaSetObject[], oldRSs: readonly ReplicaSetObject[], createIfNotExisted: boolean): Promise<ReplicaSetObject | undefined> {
  const existing = findNewReplicaSet(d, rsList);
  const newRevision = String(maxRevision(oldRSs) + 1);
  d.status ??= {};

  if (existing) {
    const rsCopy = clone(existing);
    const annotationsUpdated = setNewReplicaSetAnnotations(d, rsCopy, newRevision, true);
    const minReadyChanged = (rsCopy.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
    if (annotationsUpdated || minReadyChanged) {
      rsCopy.spec ??= {};
      rsCopy.spec.minReadySeconds = d.spec?.minReadySeconds ?? 0;
      return dc.client.update<ReplicaSetObject>(REPLICASETS, rsCopy.metadata!.namespace, typedReplicaSet(rsCopy), { fieldManager: FIELD_MANAGER });
    }
    // The revision the new ReplicaSet carries is the reliable one.
    let needsUpdate = setDeploymentRevision(d, rsCopy.metadata?.annotations?.[REVISION_ANNOTATION] ?? '');
    if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
      setCondition(d.status, newCondition('Progressing', 'True', Reasons.FoundNewRS, `Found new replica set ${JSON.stringify(rsCopy.metadata!.name)}`, dc.now()));
      needsUpdate = true;
    }
    if (needsUpdate) await updateDeploymentStatus(dc, d);
    return rsCopy;
  }
  if (!createIfNotExisted) return undefined;

  const template = clone(d.spec!.template!);
  const hash = computeHash(template, d.status.collisionCount);
  template.metadata = { ...(template.metadata ?? {}), labels: { ...(d.spec?.template?.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
  const selector = clone(d.spec!.selector ?? {});
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  const namespace = d.metadata!.namespace!;
  const newRS: ReplicaSetObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      // A name from the hash makes creating it idempotent.
      name: `${d.metadata!.name}-${hash}`,
      namespace,
      ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
      labels: { ...template.metadata.labels },
    },
    spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
  };
  const replicas = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
  newRS.spec!.replicas = replicas;
  setNewReplicaSetAnnotations(d, newRS, newRevision, false);

  let createdRS: ReplicaSetObject;
  let alreadyExists = false;
  try {
    createdRS = await dc.client.create<ReplicaSetObject>(REPLICASETS, namespace, newRS, { fieldManager: FIELD_MANAGER });
  } catch (err) {
    if (isAlreadyExists(err)) {
      alreadyExists = true;
      const rs = dc.replicaSet(namespace, newRS.metadata!.name!) ?? (await dc.client.get<ReplicaSetObject>(REPLICASETS, namespace, newRS.metadata!.name!));
      // Ours, with our template: the cache was just behind. Anything else is a hash collision.
      if (controllerRefOf(rs)?.uid === d.metadata?.uid && equalIgnoreHash(d.spec?.template, rs.spec?.template)) {
        createdRS = rs;
      } else {
        d.status.collisionCount = (d.status.collisionCount ?? 0) + 1;
        await updateDeploymentStatus(dc, d).catch(() => {});
        throw err;
      }
    } else if (isNamespaceTerminating(err)) {
      throw err;
    } else {
      const message = `Failed to create new replica set ${JSON.stringify(newRS.metadata!.name)}: ${err instanceof Error ? err.message : String(err)}`;
      if (hasProgressDeadline(d)) {
        setCondition(d.status, newCondition('Progressing', 'False', Reasons.FailedRSCreate, message, dc.now()));
        await updateDeploymentStatus(dc, d).catch(() => {});
      }
      dc.recorder.event(typedDeployment(d), 'Warning', Reasons.FailedRSCreate, message);
      throw err;
    }
  }
  if (!alreadyExists && replicas > 0) dc.recorder.event(typedDeployment(d), 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${createdRS.metadata!.name} from 0 to ${replicas}`);
  let needsUpdate = setDeploymentRevision(d, newRevision);
  if (!alreadyExists && hasProgressDeadline(d)) {
    setCondition(d.status, newCondition('Progressing', 'True', Reasons.NewReplicaSet, `Created new replica set ${JSON.stringify(createdRS.metadata!.name)}`, dc.now()));
    needsUpdate = true;
  }
  if (needsUpdate) await updateDeploymentStatus(dc, d);
  return createdRS;
}

export interface ScaleResult {
  scaled: boolean;
  rs: ReplicaSetObject;
}

/** Scales `rs` to `newScale` unless it already is (scaleReplicaSetAndRecordEvent). */
export async function scaleReplicaSetAndRecordEvent(dc: DeploymentContext, rs: ReplicaSetObject, newScale: number, d: DeploymentObject): Promise<ScaleResult> {
  if (replicasOf(rs) === newScale) return { scaled: false, rs };
  return scaleReplicaSet(dc, rs, newScale, d);
}

/** Sets the size and the desired/max replicas annotations; a ScalingReplicaSet event when the size changed. */
export async function scaleReplicaSet(dc: DeploymentContext, rs: ReplicaSetObject, newScale: number, d: DeploymentObject): Promise<ScaleResult> {
  const sizeNeedsUpdate = replicasOf(rs) !== newScale;
  const max = replicasOf(d) + maxSurge(d);
  if (!sizeNeedsUpdate && !replicasAnnotationsNeedUpdate(rs, replicasOf(d), max)) return { scaled: false, rs };
  const oldScale = replicasOf(rs);
  const rsCopy = clone(rs);
  rsCopy.spec = { ...(rsCopy.spec ?? {}), replicas: newScale };
  setReplicasAnnotations(rsCopy, replicasOf(d), max);
  const updated = await dc.client.update<ReplicaSetObject>(REPLICASETS, rsCopy.metadata!.namespace, typedReplicaSet(rsCopy), { fieldManager: FIELD_MANAGER });
  if (sizeNeedsUpdate) {
    const op = oldScale < newScale ? 'up' : 'down';
    dc.recorder.event(typedDeployment(d), 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${rs.metadata!.name} from ${oldScale} to ${newScale}`);
  }
  return { scaled: sizeNeedsUpdate, rs: updated };
}

/**
 * Scaling a Deployment: the one active ReplicaSet takes the new size; with several active (a rollout under way, or
 * paused), the change is shared out in proportion to their sizes, the largest taking any leftover.
 */
export async function scale(dc: DeploymentContext, d: DeploymentObject, newRS: ReplicaSetObject | undefined, oldRSs: readonly ReplicaSetObject[]): Promise<void> {
  const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
  if (activeOrLatest) {
    if (replicasOf(activeOrLatest) === replicasOf(d)) return;
    await scaleReplicaSetAndRecordEvent(dc, activeOrLatest, replicasOf(d), d);
    return;
  }
  // A saturated new ReplicaSet leaves nothing for the old ones (e.g. after adopting them).
  if (isSaturated(d, newRS)) {
    for (const old of filterActiveReplicaSets(oldRSs)) await scaleReplicaSetAndRecordEvent(dc, old, 0, d);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const all = filterActiveReplicaSets([...oldRSs, newRS]);
  const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - replicaCount(all);
  if (toAdd > 0) all.sort(bySizeNewer);
  else if (toAdd < 0) all.sort(bySizeOlder);
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of all) {
    if (toAdd !== 0) {
      const proportion = replicaSetProportion(rs, d, toAdd, added);
      sizes.set(rs.metadata!.name!, replicasOf(rs) + proportion);
      added += proportion;
    } else sizes.set(rs.metadata!.name!, replicasOf(rs));
  }
  for (const [i, rs] of all.entries()) {
    const name = rs.metadata!.name!;
    if (i === 0 && toAdd !== 0) sizes.set(name, Math.max(0, (sizes.get(name) ?? 0) + toAdd - added));
    // Annotations are refreshed even when the size stays.
    await scaleReplicaSet(dc, rs, sizes.get(name) ?? 0, d);
  }
}

/** Deletes the oldest ReplicaSets beyond revisionHistoryLimit that have no pods left. */
export async function cleanupDeployment(dc: DeploymentContext, oldRSs: readonly ReplicaSetObject[], d: DeploymentObject): Promise<void> {
  if (!hasRevisionHistoryLimit(d)) return;
  const cleanable = oldRSs.filter((rs) => !rs.metadata?.['deletionTimestamp']);
  const diff = cleanable.length - (d.spec!.revisionHistoryLimit ?? 0);
  if (diff <= 0) return;
  const sorted = [...cleanable].sort(byRevision);
  for (const rs of sorted.slice(0, diff)) {
    if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || (rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
    try {
      await dc.client.delete(REPLICASETS, rs.metadata!.namespace, rs.metadata!.name!);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** The status from the ReplicaSets, with the Available condition. */
export function calculateStatus(allRSs: ReadonlyArray<ReplicaSetObject | undefined>, newRS: ReplicaSetObject | undefined, d: DeploymentObject, now: number): DeploymentStatus {
  const available = availableReplicaCount(allRSs);
  const unavailable = Math.max(0, replicaCount(allRSs) - available);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: actualReplicaCount(allRSs),
    updatedReplicas: actualReplicaCount([newRS]),
    readyReplicas: readyReplicaCount(allRSs),
    availableReplicas: available,
    unavailableReplicas: unavailable,
  };
  const terminating = terminatingReplicaCount(allRSs);
  if (terminating !== undefined) status.terminatingReplicas = terminating;
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  status.conditions = (d.status?.conditions ?? []).map((c) => ({ ...c }));
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(status, newCondition('Available', 'True', Reasons.MinimumReplicasAvailable, 'Deployment has minimum availability.', now));
  } else {
    setCondition(status, newCondition('Available', 'False', Reasons.MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', now));
  }
  return status;
}

/** Writes the status computed from the ReplicaSets, if it changed (no Progressing update: scaling or paused). */
export async function syncDeploymentStatus(dc: DeploymentContext, allRSs: ReadonlyArray<ReplicaSetObject | undefined>, newRS: ReplicaSetObject | undefined, d: DeploymentObject): Promise<void> {
  const status = calculateStatus(allRSs, newRS, d, dc.now());
  if (sameStatus(d.status, status)) return;
  d.status = status;
  await updateDeploymentStatus(dc, d);
}

/** Whether the Deployment's size differs from what an active ReplicaSet was last scaled for. */
export async function isScalingEvent(dc: DeploymentContext, d: DeploymentObject, rsList: readonly ReplicaSetObject[]): Promise<boolean> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(dc, d, rsList, false);
  for (const rs of filterActiveReplicaSets([...oldRSs, newRS])) {
    const desired = desiredReplicasAnnotation(rs);
    if (desired !== undefined && desired !== replicasOf(d)) return true;
  }
  return false;
}

/** A Progressing Unknown condition on pause and resume, so time spent paused never counts against the deadline. */
export async function checkPausedConditions(dc: DeploymentContext, d: DeploymentObject): Promise<void> {
  if (!hasProgressDeadline(d)) return;
  d.status ??= {};
  const cond = getCondition(d.status, 'Progressing');
  if (cond?.reason === Reasons.TimedOut) return;
  const pausedCondExists = cond?.reason === Reasons.PausedDeploy;
  if (d.spec?.paused && !pausedCondExists) {
    setCondition(d.status, newCondition('Progressing', 'Unknown', Reasons.PausedDeploy, 'Deployment is paused', dc.now()));
  } else if (!d.spec?.paused && pausedCondExists) {
    setCondition(d.status, newCondition('Progressing', 'Unknown', Reasons.ResumedDeploy, 'Deployment is resumed', dc.now()));
  } else return;
  await updateDeploymentStatus(dc, d);
}

/** Scaling and status for a paused Deployment or a scaling event: no rollout. */
export async function sync(dc: DeploymentContext, d: DeploymentObject, rsList: readonly ReplicaSetObject[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(dc, d, rsList, false);
  await scale(dc, d, newRS, oldRSs);
  if (d.spec?.paused && rollbackToOf(d) === undefined) await cleanupDeployment(dc, oldRSs, d);
  await syncDeploymentStatus(dc, [...oldRSs, newRS], newRS, d);
}

/** Status only, for a Deployment being deleted. */
export async function syncStatusOnly(dc: DeploymentContext, d: DeploymentObject, rsList: readonly ReplicaSetObject[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(dc, d, rsList, false);
  await syncDeploymentStatus(dc, [...oldRSs, newRS], newRS, d);
}

export { DEPLOYMENTS, REPLICASETS };
