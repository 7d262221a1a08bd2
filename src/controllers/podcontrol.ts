// What the controllers that own objects share (ReplicaSet, Deployment, DaemonSet, StatefulSet, Job): controller
// references, adoption and release (client-go's ControllerRefManager), expectations, pods from templates, and the pod
// predicates upstream's controller utilities define.
import type { OwnerReference } from 'kubernetes-types/meta/v1.d.ts';
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.d.ts';
import type { Client, GroupVersionResource, KubeObject } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';

export const FIELD_MANAGER = 'kube-controller-manager';

/** The ownerReference with controller=true, if any. */
export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  const refs = (obj.metadata?.['ownerReferences'] ?? []) as OwnerReference[];
  return refs.find((r) => r.controller === true);
}

/** A controller reference to `owner`, as upstream's metav1.NewControllerRef. */
export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata!.name!, uid: owner.metadata!.uid!, controller: true, blockOwnerDeletion: true };
}

export function cloneJSON<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** A pod from a controller's template, owned by `ref`; `name` or `generateName` names it. */
export function podFromTemplate(template: PodTemplateSpec, namespace: string, ref: OwnerReference, naming: { name?: string; generateName?: string }): Pod {
  const meta = template.metadata ?? {};
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      namespace,
      ...(naming.name ? { name: naming.name } : { generateName: naming.generateName ?? `${ref.name}-` }),
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [ref],
    },
    spec: cloneJSON(template.spec)!,
  };
  return pod;
}

/** Creations and deletions a controller has asked for and not yet seen in its informer (upstream's ControllerExpectations). */
export class Expectations {
  /** Expectations older than this are considered met, so a lost event cannot wedge a controller. */
  static readonly TTL_MS = 5 * 60_000;
  readonly #items = new Map<string, { add: number; del: number; at: number }>();

  constructor(readonly now: () => number = Date.now) {}

  expectCreations(key: string, n: number): void {
    this.#items.set(key, { add: n, del: 0, at: this.now() });
  }
  expectDeletions(key: string, n: number): void {
    this.#items.set(key, { add: 0, del: n, at: this.now() });
  }
  /** Creations and deletions at once (upstream's SetExpectations). */
  setExpectations(key: string, add: number, del: number): void {
    this.#items.set(key, { add, del, at: this.now() });
  }
  creationObserved(key: string): void {
    const e = this.#items.get(key);
    if (e) e.add--;
  }
  deletionObserved(key: string): void {
    const e = this.#items.get(key);
    if (e) e.del--;
  }
  /** True when nothing is pending (or the expectation expired): the controller may sync from its cache. */
  satisfied(key: string): boolean {
    const e = this.#items.get(key);
    return !e || (e.add <= 0 && e.del <= 0) || this.now() - e.at > Expectations.TTL_MS;
  }
  delete(key: string): void {
    this.#items.delete(key);
  }
}

export const isPodTerminal = (pod: Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** Upstream's IsPodActive: not finished and not being deleted. */
export const isPodActive = (pod: Pod): boolean => !isPodTerminal(pod) && !pod.metadata?.deletionTimestamp;

export function podReadyCondition(pod: Pod) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export const isPodReady = (pod: Pod): boolean => podReadyCondition(pod)?.status === 'True';

/** Ready for at least minReadySeconds (upstream's IsPodAvailable). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number = Date.now()): boolean {
  const ready = podReadyCondition(pod);
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= now;
}

export interface ClaimOptions {
  client: Client;
  /** The resource of the dependents (pods, replicasets, controllerrevisions). */
  gvr: GroupVersionResource;
  owner: KubeObject;
  ownerRef: OwnerReference;
  /** Whether a dependent belongs to the owner by its selector. */
  matches(obj: KubeObject): boolean;
  /** Finalizers added on adoption and removed on release (the Job's batch.kubernetes.io/job-tracking). */
  finalizers?: readonly string[];
}

/**
 * client-go's ControllerRefManager.Claim: keeps the dependents the owner controls and still selects, adopts orphans it
 * selects (unless it is being deleted), and releases those it controls but no longer selects. Returns the claimed ones.
 */
export async function claimObjects<T extends KubeObject>(objects: readonly T[], opts: ClaimOptions): Promise<T[]> {
  const ownerUID = opts.owner.metadata!.uid!;
  const claimed: T[] = [];
  for (const obj of objects) {
    const ref = controllerRefOf(obj);
    if (ref) {
      if (ref.uid !== ownerUID) continue;
      if (opts.matches(obj)) {
        claimed.push(obj);
        continue;
      }
      if (opts.owner.metadata?.['deletionTimestamp']) continue;
      const release = opts.finalizers?.length ? { '$deleteFromPrimitiveList/finalizers': [...opts.finalizers] } : {};
      await patchOwnerRefs(opts, obj, [{ $patch: 'delete', uid: ownerUID }], release);
      continue;
    }
    if (!opts.matches(obj) || opts.owner.metadata?.['deletionTimestamp'] || obj.metadata?.['deletionTimestamp']) continue;
    const adopt = opts.finalizers?.length ? { finalizers: [...opts.finalizers] } : {};
    if (await patchOwnerRefs(opts, obj, [opts.ownerRef], adopt)) claimed.push(obj);
  }
  return claimed;
}

/** A strategic merge patch of ownerReferences, guarded by the dependent's uid. False when the dependent is gone. */
async function patchOwnerRefs(opts: ClaimOptions, obj: KubeObject, refs: unknown[], extra: Record<string, unknown> = {}): Promise<boolean> {
  const patch = { metadata: { ownerReferences: refs, uid: obj.metadata!.uid, ...extra } };
  try {
    await opts.client.patch(opts.gvr, obj.metadata!.namespace, obj.metadata!.name!, 'strategic', patch, { fieldManager: FIELD_MANAGER });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * Upstream's controller.ActivePods order, the pods to delete first: unscheduled before scheduled, Pending before
 * Unknown before Running, not ready before ready, ready more recently before longer, more container restarts before
 * fewer, newer before older.
 */
export function compareActivePodsForDeletion(a: Pod, b: Pod): number {
  const assigned = (p: Pod) => (p.spec?.nodeName ? 1 : 0);
  if (assigned(a) !== assigned(b)) return assigned(a) - assigned(b);
  const phase = (p: Pod) => PHASE_RANK[p.status?.phase ?? ''] ?? 0;
  if (phase(a) !== phase(b)) return phase(a) - phase(b);
  const ready = (p: Pod) => (isPodReady(p) ? 1 : 0);
  if (ready(a) !== ready(b)) return ready(a) - ready(b);
  if (isPodReady(a) && isPodReady(b)) {
    const since = (p: Pod) => Date.parse(podReadyCondition(p)?.lastTransitionTime ?? '') || 0;
    if (since(a) !== since(b)) return since(b) - since(a);
  }
  const restarts = (p: Pod) => Math.max(0, ...(p.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  const created = (p: Pod) => Date.parse(p.metadata?.creationTimestamp ?? '') || 0;
  return created(b) - created(a);
}

/**
 * intstr.GetScaledValueFromIntOrPercent: a count as is, or a percentage of `total` rounded up or down. Absent or
 * malformed values count as 0.
 */
export function scaledValueFromIntOrPercent(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const m = typeof v === 'string' ? /^(\d+)%$/.exec(v) : null;
  if (!m) return 0;
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/** Expectations whose deletions are tracked per pod key, so one pod seen twice (update, then delete) counts once (upstream's UIDTrackingControllerExpectations). */
export class TrackingExpectations extends Expectations {
  readonly #deleting = new Map<string, Set<string>>();

  expectPodDeletions(key: string, podKeys: readonly string[]): void {
    this.#deleting.set(key, new Set(podKeys));
    this.expectDeletions(key, podKeys.length);
  }
  podDeletionObserved(key: string, podKey: string): void {
    if (this.#deleting.get(key)?.delete(podKey)) this.deletionObserved(key);
  }
  override delete(key: string): void {
    super.delete(key);
    this.#deleting.delete(key);
  }
}

/** Being deleted but not finished (upstream's FilterTerminatingPods predicate). */
export const isPodTerminating = (pod: Pod): boolean => !!pod.metadata?.deletionTimestamp && !isPodTerminal(pod);

/**
 * Upstream's slowStartBatch: calls `fn` `count` times in batches of 1, 2, 4, … run concurrently; stops after the first
 * batch with a failure. Returns how many calls succeeded and the first error, if any.
 */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<void>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed.length) return { successes, error: failed[0]!.reason };
    remaining -= batch;
  }
  return { successes };
}

/** Milliseconds until the first ready-but-not-yet-available pod becomes available, if any (FindMinNextPodAvailabilityCheck). */
export function nextAvailabilityCheckMs(pods: readonly Pod[], minReadySeconds: number, now: number = Date.now()): number | undefined {
  if (minReadySeconds <= 0) return undefined;
  let next: number | undefined;
  for (const pod of pods) {
    const ready = podReadyCondition(pod);
    if (ready?.status !== 'True' || !ready.lastTransitionTime) continue;
    const wait = Date.parse(ready.lastTransitionTime) + minReadySeconds * 1000 - now;
    if (wait > 0 && (next === undefined || wait < next)) next = wait;
  }
  return next;
}

/**
 * Objects of one informer indexed by the uid of their controller, and the orphans by namespace (upstream's
 * controllerUID pod index behind FilterPodsByOwner). Feed it from the informer's event handlers.
 */
export class OwnerIndex<T extends KubeObject> {
  readonly #owned = new Map<string, Map<string, T>>();
  readonly #orphans = new Map<string, Map<string, T>>();
  readonly #where = new Map<string, { buckets: Map<string, Map<string, T>>; bucketKey: string }>();

  set(key: string, obj: T): void {
    this.remove(key);
    const uid = controllerRefOf(obj)?.uid;
    const buckets = uid ? this.#owned : this.#orphans;
    const bucketKey = uid ?? obj.metadata?.namespace ?? '';
    let bucket = buckets.get(bucketKey);
    if (!bucket) buckets.set(bucketKey, (bucket = new Map()));
    bucket.set(key, obj);
    this.#where.set(key, { buckets, bucketKey });
  }
  remove(key: string): void {
    const where = this.#where.get(key);
    if (!where) return;
    this.#where.delete(key);
    const bucket = where.buckets.get(where.bucketKey);
    bucket?.delete(key);
    if (bucket?.size === 0) where.buckets.delete(where.bucketKey);
  }
  /** Objects controlled by `uid`. */
  owned(uid: string): T[] {
    return [...(this.#owned.get(uid)?.values() ?? [])];
  }
  /** Objects controlled by `uid`, without copying (do not change the index while iterating). */
  ownedValues(uid: string): IterableIterator<T> {
    return (this.#owned.get(uid) ?? new Map<string, T>()).values();
  }
  /** Objects of `namespace` without a controller, without copying (do not change the index while iterating). */
  orphanValues(namespace: string): IterableIterator<T> {
    return (this.#orphans.get(namespace) ?? new Map<string, T>()).values();
  }
  /** Objects of `namespace` without a controller. */
  orphans(namespace: string): T[] {
    return [...(this.#orphans.get(namespace)?.values() ?? [])];
  }
}

/** Whether a failed create was refused because the namespace is being deleted (v1.NamespaceTerminatingCause). */
export function isNamespaceTerminating(err: unknown): boolean {
  const causes = (err as { status?: { details?: { causes?: Array<{ reason?: string }> } } })?.status?.details?.causes ?? [];
  return causes.some((c) => c.reason === 'NamespaceTerminating');
}
