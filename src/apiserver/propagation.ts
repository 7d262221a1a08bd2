// Deletion propagation: how DeleteOptions (propagationPolicy, the legacy orphanDependents) and a resource's
// default garbage-collection policy turn into the `orphan` and `foregroundDeletion` finalizers the garbage
// collector acts on — upstream's deletionFinalizersForGarbageCollection in the generic registry store.
import type { FieldError, ObjectMeta, ResourceType } from '../api/types.ts';
import { nowRFC3339 } from './objects.ts';

export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/** The DeleteOptions fields propagation reads. */
export interface PropagationOptions {
  propagationPolicy?: string;
  orphanDependents?: boolean;
}

/**
 * What happens to dependents when a request names no policy: Delete (Background), Orphan, or Unsupported
 * (no garbage-collection finalizers at all, whatever the request asks).
 */
export type GarbageCollectionPolicy = 'DeleteDependents' | 'OrphanDependents' | 'Unsupported';

/** Group versions whose kinds orphaned their dependents before server-side cascading deletion existed. */
const LEGACY_ORPHANING: Record<string, Set<string>> = {
  // core/v1 ReplicationControllers and batch/v1 Jobs keep orphaning for compatibility.
  'v1': new Set(['replicationcontrollers']),
  'batch/v1': new Set(['jobs']),
  'batch/v1beta1': new Set(['cronjobs']),
  'batch/v2alpha1': new Set(['cronjobs']),
  'extensions/v1beta1': new Set(['deployments', 'replicasets', 'daemonsets']),
  'apps/v1beta1': new Set(['deployments', 'statefulsets']),
  'apps/v1beta2': new Set(['deployments', 'replicasets', 'daemonsets', 'statefulsets']),
};

/** upstream's per-strategy DefaultGarbageCollectionPolicy, by the group version of the request. */
export function defaultGarbageCollectionPolicy(type: Pick<ResourceType, 'group' | 'version' | 'plural'>): GarbageCollectionPolicy {
  // Events are never garbage collected through finalizers (core/v1 and events.k8s.io/v1 share one strategy).
  if (type.plural === 'events' && (type.group === '' || type.group === 'events.k8s.io')) return 'Unsupported';
  const groupVersion = type.group ? `${type.group}/${type.version}` : type.version;
  return LEGACY_ORPHANING[groupVersion]?.has(type.plural) ? 'OrphanDependents' : 'DeleteDependents';
}

function shouldOrphan(policy: GarbageCollectionPolicy, finalizers: readonly string[], options: PropagationOptions): boolean {
  if (policy === 'Unsupported') return false;
  if (options.orphanDependents != null) return options.orphanDependents;
  if (options.propagationPolicy === 'Orphan') return true;
  if (options.propagationPolicy === 'Background' || options.propagationPolicy === 'Foreground') return false;
  // An earlier deletion's choice stands unless this request names one.
  for (const f of finalizers) {
    if (f === ORPHAN_FINALIZER) return true;
    if (f === FOREGROUND_FINALIZER) return false;
  }
  return policy === 'OrphanDependents';
}

function shouldDeleteInForeground(policy: GarbageCollectionPolicy, finalizers: readonly string[], options: PropagationOptions): boolean {
  if (policy === 'Unsupported') return false;
  if (options.orphanDependents != null) return false;
  if (options.propagationPolicy === 'Foreground') return true;
  if (options.propagationPolicy === 'Background' || options.propagationPolicy === 'Orphan') return false;
  for (const f of finalizers) {
    if (f === FOREGROUND_FINALIZER) return true;
    if (f === ORPHAN_FINALIZER) return false;
  }
  return false;
}

/**
 * The finalizers an object being deleted should carry: its own, minus `orphan` and `foregroundDeletion`, plus
 * the one the request (or the earlier deletion, or the resource's default) calls for. `changed` is false when
 * the set is the same as before.
 */
export function deletionFinalizers(policy: GarbageCollectionPolicy, finalizers: readonly string[], options: PropagationOptions): { changed: boolean; finalizers: string[] } {
  const next = finalizers.filter((f) => f !== ORPHAN_FINALIZER && f !== FOREGROUND_FINALIZER);
  if (shouldOrphan(policy, finalizers, options)) next.push(ORPHAN_FINALIZER);
  if (shouldDeleteInForeground(policy, finalizers, options)) next.push(FOREGROUND_FINALIZER);
  const before = new Set(finalizers);
  const after = new Set(next);
  const changed = before.size !== after.size || [...after].some((f) => !before.has(f));
  return { changed, finalizers: changed ? next : [...finalizers] };
}

/** upstream's ValidateDeleteOptions for the propagation fields. */
export function validatePropagation(options: PropagationOptions): FieldError[] {
  const problems: FieldError[] = [];
  const pp = options.propagationPolicy;
  if (options.orphanDependents != null && pp != null) {
    problems.push({ reason: 'FieldValueInvalid', field: 'propagationPolicy', message: `propagationPolicy: Invalid value: ${JSON.stringify(pp)}: orphanDependents and deletionPropagation cannot be both set` });
  }
  if (pp != null && pp !== 'Background' && pp !== 'Foreground' && pp !== 'Orphan') {
    problems.push({ reason: 'FieldValueNotSupported', field: 'propagationPolicy', message: `propagationPolicy: Unsupported value: ${JSON.stringify(pp)}: supported values: "Foreground", "Background", "Orphan", "nil"` });
  }
  return problems;
}

/** Warnings a delete request earns: batch/v1 Jobs keep their pods unless told otherwise (upstream's job storage). */
export function deletionWarnings(type: Pick<ResourceType, 'group' | 'version' | 'plural'>, options: PropagationOptions): string[] {
  if (type.group !== 'batch' || type.plural !== 'jobs') return [];
  if (options.propagationPolicy != null || options.orphanDependents != null) return [];
  if (defaultGarbageCollectionPolicy(type) !== 'OrphanDependents') return [];
  return ['child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning'];
}

/**
 * upstream's markAsDeleting, for an object that waits on finalizers without a grace period: deletionTimestamp
 * becomes now unless it is already earlier, the grace period 0, and the first marking counts as a spec change
 * (generation + 1) for kinds that keep a generation.
 */
export function markAsDeleting(meta: ObjectMeta, now: number, hasGeneration: boolean): void {
  if (!meta.deletionTimestamp && hasGeneration && (meta.generation ?? 0) > 0) meta.generation = meta.generation! + 1;
  if (!meta.deletionTimestamp || Date.parse(meta.deletionTimestamp) > now) meta.deletionTimestamp = nowRFC3339(now);
  meta.deletionGracePeriodSeconds = 0;
}
