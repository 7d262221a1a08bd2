// A StatefulSet's pods and claims as data (upstream's stateful_set_utils.go): stable names and ordinals, identity
// labels and hostnames, claims from volumeClaimTemplates, revisions of the template, the PVC retention owner
// references, and the status counts.
import type { ControllerRevision, StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1.d.ts';
import type { PersistentVolumeClaim, Pod, Volume } from 'kubernetes-types/core/v1.d.ts';
import type { OwnerReference } from 'kubernetes-types/meta/v1.d.ts';
import type { KubeObject } from '../client/client.ts';
import { CONTROLLER_REVISION_HASH_LABEL, newControllerRevision, templateOfRevision, templatePatch, type Revision } from './history.ts';
import { isPodAvailable, isPodReady, newControllerRef, podFromTemplate, scaledValueFromIntOrPercent } from './podcontrol.ts';

export type StatefulSetObject = StatefulSet & KubeObject;
export type PodObject = Pod & KubeObject;
export type ClaimObject = PersistentVolumeClaim & KubeObject;

/** apps/v1 StatefulSetPodNameLabel and PodIndexLabel. */
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
export const STS_KIND = { apiVersion: 'apps/v1', kind: 'StatefulSet' } as const;
const POD_KIND = { apiVersion: 'v1', kind: 'Pod' } as const;

const STATEFUL_POD_NAME = /^(.*)-([0-9]+)$/;

/** The parent set's name and the ordinal from a pod's name; ordinal -1 when the name has none (or it overflows int32). */
export function parentAndOrdinal(pod: Pod): { parent: string; ordinal: number } {
  const m = STATEFUL_POD_NAME.exec(pod.metadata?.name ?? '');
  if (!m) return { parent: '', ordinal: -1 };
  const n = Number(m[2]);
  return { parent: m[1]!, ordinal: Number.isSafeInteger(n) && n <= 2 ** 31 - 1 ? n : -1 };
}

export const ordinalOf = (pod: Pod): number => parentAndOrdinal(pod).ordinal;
export const isMemberOf = (set: StatefulSet, pod: Pod): boolean => parentAndOrdinal(pod).parent === set.metadata?.name;
export const startOrdinal = (set: StatefulSet): number => set.spec?.ordinals?.start ?? 0;
export const replicasOf = (set: StatefulSet): number => set.spec?.replicas ?? 1;
export const endOrdinal = (set: StatefulSet): number => startOrdinal(set) + replicasOf(set) - 1;
export const podName = (set: StatefulSet, ordinal: number): string => `${set.metadata?.name}-${ordinal}`;
export const claimName = (set: StatefulSet, template: PersistentVolumeClaim, ordinal: number): string => `${template.metadata?.name}-${set.metadata?.name}-${ordinal}`;

export function inOrdinalRange(pod: Pod, set: StatefulSet): boolean {
  const o = ordinalOf(pod);
  return o >= startOrdinal(set) && o <= endOrdinal(set);
}

export const isCreated = (pod: Pod): boolean => !!pod.status?.phase;
export const isPending = (pod: Pod): boolean => pod.status?.phase === 'Pending';
export const isFailed = (pod: Pod): boolean => pod.status?.phase === 'Failed';
export const isSucceeded = (pod: Pod): boolean => pod.status?.phase === 'Succeeded';
export const isTerminating = (pod: Pod): boolean => !!pod.metadata?.deletionTimestamp;
export const isRunningAndReady = (pod: Pod): boolean => pod.status?.phase === 'Running' && isPodReady(pod);
export const isRunningAndAvailable = (pod: Pod, minReadySeconds: number, now: number): boolean => isPodAvailable(pod, minReadySeconds, now);
export const isHealthy = (pod: Pod): boolean => isRunningAndReady(pod) && !isTerminating(pod);
/** Not (running, ready and available), or going. */
export const isUnavailable = (pod: Pod, minReadySeconds: number, now: number): boolean => !isHealthy(pod) || !isRunningAndAvailable(pod, minReadySeconds, now);
export const allowsBurst = (set: StatefulSet): boolean => set.spec?.podManagementPolicy === 'Parallel';
export const podRevision = (pod: Pod): string => pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';

/** The claims a pod of the set uses, keyed by template name: named per ordinal, labelled with the selector's matchLabels. */
export function claimsFor(set: StatefulSet, pod: Pod): Map<string, ClaimObject> {
  const ordinal = ordinalOf(pod);
  const out = new Map<string, ClaimObject>();
  for (const template of set.spec?.volumeClaimTemplates ?? []) {
    const { status: _status, ...copy } = JSON.parse(JSON.stringify(template)) as ClaimObject;
    const claim: ClaimObject = { ...copy, apiVersion: 'v1', kind: 'PersistentVolumeClaim' };
    claim.metadata = { ...claim.metadata, name: claimName(set, template, ordinal), namespace: set.metadata?.namespace ?? '' };
    claim.metadata.labels = { ...claim.metadata.labels, ...set.spec?.selector.matchLabels };
    out.set(template.metadata?.name ?? '', claim);
  }
  return out;
}

/** updateIdentity: name, namespace and the pod-name and pod-index labels. */
export function updateIdentity(set: StatefulSet, pod: Pod): void {
  const ordinal = ordinalOf(pod);
  pod.metadata ??= {};
  pod.metadata.name = podName(set, ordinal);
  pod.metadata.namespace = set.metadata?.namespace ?? '';
  pod.metadata.labels = { ...pod.metadata.labels, [POD_NAME_LABEL]: pod.metadata.name, [POD_INDEX_LABEL]: String(ordinal) };
}

export function identityMatches(set: StatefulSet, pod: Pod): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod);
  return (
    ordinal >= 0 &&
    parent === set.metadata?.name &&
    pod.metadata?.name === podName(set, ordinal) &&
    pod.metadata?.namespace === set.metadata?.namespace &&
    pod.metadata?.labels?.[POD_NAME_LABEL] === pod.metadata?.name
  );
}

/** updateStorage: a persistentVolumeClaim volume per claim template, replacing same-named volumes of the template. */
export function updateStorage(set: StatefulSet, pod: Pod): void {
  const claims = claimsFor(set, pod);
  const volumes: Volume[] = [...claims].map(([name, claim]) => ({ name, persistentVolumeClaim: { claimName: claim.metadata!.name! } }));
  for (const v of pod.spec?.volumes ?? []) if (!claims.has(v.name)) volumes.push(v);
  pod.spec = { ...pod.spec!, volumes };
}

export function storageMatches(set: StatefulSet, pod: Pod): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  return (set.spec?.volumeClaimTemplates ?? []).every((t) => volumes.get(t.metadata?.name ?? '')?.persistentVolumeClaim?.claimName === claimName(set, t, ordinal));
}

/** newStatefulSetPod: from the template, named by ordinal, with hostname/subdomain and its claims mounted. */
export function newStatefulSetPod(set: StatefulSetObject, ordinal: number): PodObject {
  const pod = podFromTemplate(set.spec!.template, set.metadata!.namespace!, newControllerRef(set, STS_KIND.apiVersion, STS_KIND.kind), { name: podName(set, ordinal) }) as PodObject;
  updateIdentity(set, pod);
  // Only set on creation: both are immutable afterwards.
  pod.spec!.hostname = pod.metadata!.name!;
  if (set.spec?.serviceName) pod.spec!.subdomain = set.spec.serviceName;
  updateStorage(set, pod);
  return pod;
}

/**
 * newVersionedStatefulSetPod: ordinals below the partition (or, without rollingUpdate, below the current replica
 * count) are made at the current revision, the rest at the update revision.
 */
export function newVersionedStatefulSetPod(currentSet: StatefulSetObject, updateSet: StatefulSetObject, currentRevision: string, updateRevision: string, ordinal: number): PodObject {
  const strategy = currentSet.spec?.updateStrategy;
  const start = startOrdinal(currentSet);
  const atCurrent =
    (strategy?.type === 'RollingUpdate' && !strategy.rollingUpdate && ordinal < start + (currentSet.status?.currentReplicas ?? 0)) ||
    (strategy?.rollingUpdate !== undefined && ordinal < start + (strategy.rollingUpdate.partition ?? 0));
  const pod = newStatefulSetPod(atCurrent ? currentSet : updateSet, ordinal);
  pod.metadata!.labels = { ...pod.metadata!.labels, [CONTROLLER_REVISION_HASH_LABEL]: atCurrent ? currentRevision : updateRevision };
  return pod;
}

/** newRevision: the template as a replace patch, labelled with the template labels, annotated with the set's. */
export function newStatefulSetRevision(set: StatefulSetObject, revision: number, collisionCount: number): Revision {
  const rev = newControllerRevision(set, newControllerRef(set, STS_KIND.apiVersion, STS_KIND.kind), set.spec?.template.metadata?.labels, templatePatch(set.spec?.template), revision, collisionCount);
  rev.metadata!.annotations = { ...set.metadata?.annotations };
  return rev;
}

/** ApplyRevision: the set with the template the revision recorded. */
export function applyRevision(set: StatefulSetObject, revision: ControllerRevision & KubeObject): StatefulSetObject {
  const clone = JSON.parse(JSON.stringify(set)) as StatefulSetObject;
  clone.spec!.template = templateOfRevision(revision);
  return clone;
}

/** The status counts of one list of pods (upstream's computeReplicaStatus). */
export function addReplicaStatus(status: StatefulSetStatus, pods: readonly Pod[], minReadySeconds: number, current: string, update: string, now: number): void {
  for (const pod of pods) {
    if (isCreated(pod)) status.replicas++;
    if (isRunningAndReady(pod)) {
      status.readyReplicas = (status.readyReplicas ?? 0) + 1;
      if (isRunningAndAvailable(pod, minReadySeconds, now)) status.availableReplicas = (status.availableReplicas ?? 0) + 1;
    }
    if (isCreated(pod) && !isTerminating(pod)) {
      const rev = podRevision(pod);
      if (rev === current) status.currentReplicas = (status.currentReplicas ?? 0) + 1;
      if (rev === update) status.updatedReplicas = (status.updatedReplicas ?? 0) + 1;
    }
  }
}

/** updateStatus: recount replicas, ready, available, current and updated over the lists. */
export function recount(status: StatefulSetStatus, minReadySeconds: number, current: string, update: string, now: number, ...lists: ReadonlyArray<readonly Pod[]>): void {
  status.replicas = 0;
  status.readyReplicas = 0;
  status.availableReplicas = 0;
  status.currentReplicas = 0;
  status.updatedReplicas = 0;
  for (const list of lists) addReplicaStatus(status, list, minReadySeconds, current, update, now);
}

/** The rolling update's maxUnavailable scaled to the replicas, rounding down but at least 1. */
export function maxUnavailableOf(set: StatefulSet): number {
  const v = set.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1;
  return Math.max(1, scaledValueFromIntOrPercent(v, replicasOf(set), false));
}

// --- PVC retention (persistentVolumeClaimRetentionPolicy) ----------------------------------------------------------

interface Retention {
  whenDeleted: string;
  whenScaled: string;
}

export function retentionOf(set: StatefulSet): Retention {
  const p = set.spec?.persistentVolumeClaimRetentionPolicy;
  return { whenDeleted: p?.whenDeleted ?? 'Retain', whenScaled: p?.whenScaled ?? 'Retain' };
}

type Owner = { metadata?: { name?: string; uid?: string } };
const refMatches = (ref: OwnerReference, owner: Owner, kind: { apiVersion: string; kind: string }) => ref.apiVersion === kind.apiVersion && ref.kind === kind.kind && ref.name === owner.metadata?.name;
const hasOwnerRef = (claim: PersistentVolumeClaim, owner: Owner) => (claim.metadata?.ownerReferences ?? []).some((r) => r.uid === (owner.metadata?.uid ?? ''));

/** A reference to the set or pod by name whose uid is another's: left alone (for the garbage collector). */
export function hasStaleOwnerRef(claim: PersistentVolumeClaim, owner: Owner, kind: { apiVersion: string; kind: string }): boolean {
  const ref = (claim.metadata?.ownerReferences ?? []).find((r) => refMatches(r, owner, kind));
  return ref !== undefined && ref.uid !== (owner.metadata?.uid ?? '');
}

/** A controller of the claim other than this set or pod (only matters when something is deleted with the claims). */
export function hasUnexpectedController(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod): boolean {
  const policy = retentionOf(set);
  if (policy.whenScaled === 'Retain' && policy.whenDeleted === 'Retain') return false;
  for (const ref of claim.metadata?.ownerReferences ?? []) {
    if (refMatches(ref, set, STS_KIND)) {
      if (ref.uid !== set.metadata?.uid) return true;
      continue;
    }
    if (refMatches(ref, pod, POD_KIND)) {
      if (ref.uid !== (pod.metadata?.uid ?? '')) return true;
      continue;
    }
    if (ref.controller) return true;
  }
  return false;
}

function hasNonControllerOwner(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod): boolean {
  return (claim.metadata?.ownerReferences ?? []).some((r) => (r.uid === set.metadata?.uid || r.uid === (pod.metadata?.uid ?? '')) && !r.controller);
}

/** isClaimOwnerUpToDate: the claim's references to the set and pod are what the retention policy asks for. */
export function isClaimOwnerUpToDate(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod): boolean {
  if (hasStaleOwnerRef(claim, set, STS_KIND) || hasStaleOwnerRef(claim, pod, POD_KIND)) return true;
  if (hasUnexpectedController(claim, set, pod)) return !(hasOwnerRef(claim, set) || hasOwnerRef(claim, pod));
  if (hasNonControllerOwner(claim, set, pod)) return false;
  const { whenScaled, whenDeleted } = retentionOf(set);
  const scaledDown = !inOrdinalRange(pod, set);
  if (whenScaled === 'Delete' && whenDeleted === 'Delete') return scaledDown !== hasOwnerRef(claim, set) && scaledDown === hasOwnerRef(claim, pod);
  if (whenScaled === 'Delete') return !hasOwnerRef(claim, set) && scaledDown === hasOwnerRef(claim, pod);
  if (whenDeleted === 'Delete') return hasOwnerRef(claim, set) && !hasOwnerRef(claim, pod);
  return !hasOwnerRef(claim, set) && !hasOwnerRef(claim, pod);
}

/** updateClaimOwnerRefForSetAndPod: the claim's owner references rewritten for the retention policy. */
export function claimOwnerRefsFor(claim: PersistentVolumeClaim, set: StatefulSetObject, pod: PodObject): OwnerReference[] {
  const unexpected = hasUnexpectedController(claim, set, pod);
  let refs = (claim.metadata?.ownerReferences ?? []).filter((r) => !refMatches(r, set, STS_KIND) && !refMatches(r, pod, POD_KIND));
  if (unexpected) return refs;
  const add = (owner: KubeObject, kind: { apiVersion: string; kind: string }) => {
    if (!refs.some((r) => r.uid === owner.metadata?.uid)) refs = [...refs, newControllerRef(owner, kind.apiVersion, kind.kind)];
  };
  const { whenScaled, whenDeleted } = retentionOf(set);
  const scaledDown = !inOrdinalRange(pod, set);
  if (whenScaled === 'Delete' && scaledDown) add(pod, POD_KIND);
  if (whenDeleted === 'Delete' && (whenScaled !== 'Delete' || !scaledDown)) add(set, STS_KIND);
  return refs;
}
