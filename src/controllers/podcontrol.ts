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

function cloneJSON<T>(value: T): T {
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
      await patchOwnerRefs(opts, obj, [{ $patch: 'delete', uid: ownerUID }]);
      continue;
    }
    if (!opts.matches(obj) || opts.owner.metadata?.['deletionTimestamp'] || obj.metadata?.['deletionTimestamp']) continue;
    if (await patchOwnerRefs(opts, obj, [opts.ownerRef])) claimed.push(obj);
  }
  return claimed;
}

/** A strategic merge patch of ownerReferences, guarded by the dependent's uid. False when the dependent is gone. */
async function patchOwnerRefs(opts: ClaimOptions, obj: KubeObject, refs: unknown[]): Promise<boolean> {
  const patch = { metadata: { ownerReferences: refs, uid: obj.metadata!.uid } };
  try {
    await opts.client.patch(opts.gvr, obj.metadata!.namespace, obj.metadata!.name!, 'strategic', patch, { fieldManager: FIELD_MANAGER });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
