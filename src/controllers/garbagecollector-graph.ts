// The garbage collector's dependency graph, in the shape of upstream's GraphBuilder: every object the monitors
// see, by uid, with the owners its ownerReferences name and the dependents that name it. An owner named before it
// is seen is a "virtual" node until the API confirms or denies it. The graph only records and tells: it asks for
// objects to be looked at (attemptToDelete) or for an owner's dependents to be orphaned (attemptToOrphan).
import type { KubeObject } from '../client/client.ts';

export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Where an object lives: its coordinates and its namespace ('' for cluster-scoped objects). */
export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  namespace: string;
}

export interface GroupVersionKind {
  /** 'v1', 'apps/v1'. */
  apiVersion: string;
  kind: string;
}

export class GraphNode {
  /** Nodes whose ownerReferences name this one. */
  readonly dependents = new Set<GraphNode>();
  /** Set once the object has a deletionTimestamp and the foregroundDeletion finalizer. */
  deletingDependents = false;
  /** Set once the object has a deletionTimestamp: a one-way trip. */
  beingDeleted = false;

  constructor(
    public identity: ObjectIdentity,
    public owners: OwnerReference[],
    /** Known only from a dependent's ownerReference, never observed through a monitor. */
    public virtual: boolean,
  ) {}

  /** Dependents whose reference to this node has blockOwnerDeletion: a foreground deletion waits for them. */
  blockingDependents(): GraphNode[] {
    const out: GraphNode[] = [];
    for (const dep of this.dependents) {
      if (dep.owners.some((o) => o.uid === this.identity.uid && o.blockOwnerDeletion === true)) out.push(dep);
    }
    return out;
  }
}

/** upstream's objectReference.String(), used in messages and events. */
export function describeIdentity(id: ObjectIdentity): string {
  return `[${id.apiVersion}/${id.kind}, namespace: ${id.namespace}, name: ${id.name}, uid: ${id.uid}]`;
}

export function sameIdentity(a: ObjectIdentity, b: ObjectIdentity): boolean {
  return a.uid === b.uid && a.name === b.name && a.kind === b.kind && a.apiVersion === b.apiVersion && a.namespace === b.namespace;
}

function matchesCoordinates(ref: OwnerReference, id: Pick<ObjectIdentity, 'apiVersion' | 'kind' | 'name' | 'uid'>): boolean {
  return ref.uid === id.uid && ref.name === id.name && ref.kind === id.kind && ref.apiVersion === id.apiVersion;
}

function sameReference(a: OwnerReference, b: OwnerReference): boolean {
  return matchesCoordinates(a, b) && (a.controller ?? null) === (b.controller ?? null) && (a.blockOwnerDeletion ?? null) === (b.blockOwnerDeletion ?? null);
}

/** The identity an owner reference gives, placed in `namespace`. */
export function referenceIdentity(ref: OwnerReference, namespace: string): ObjectIdentity {
  return { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid, namespace };
}

export function ownerReferencesOf(obj: KubeObject | undefined): OwnerReference[] {
  const refs = obj?.metadata?.['ownerReferences'];
  return Array.isArray(refs) ? (refs as OwnerReference[]) : [];
}

export function finalizersOf(obj: KubeObject | undefined): string[] {
  const f = obj?.metadata?.['finalizers'];
  return Array.isArray(f) ? (f as string[]) : [];
}

function beingDeleted(obj: KubeObject | undefined): boolean {
  return Boolean(obj?.metadata?.['deletionTimestamp']);
}

/** The object entered deletion with `finalizer` now, and had not before (or there is no before). */
function deletionStartsWithFinalizer(oldObj: KubeObject | undefined, obj: KubeObject, finalizer: string): boolean {
  if (!beingDeleted(obj) || !finalizersOf(obj).includes(finalizer)) return false;
  if (!oldObj) return true;
  return !beingDeleted(oldObj) || !finalizersOf(oldObj).includes(finalizer);
}

/** A bounded set of identities the API said do not exist (upstream's absentOwnerCache, an LRU of 500). */
export class ReferenceCache {
  readonly #entries = new Map<string, true>();
  constructor(readonly capacity = 500) {}

  static key(id: ObjectIdentity): string {
    return JSON.stringify([id.apiVersion, id.kind, id.name, id.uid, id.namespace]);
  }

  add(id: ObjectIdentity): void {
    const key = ReferenceCache.key(id);
    this.#entries.delete(key);
    this.#entries.set(key, true);
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
  }

  has(id: ObjectIdentity): boolean {
    const key = ReferenceCache.key(id);
    if (!this.#entries.has(key)) return false;
    this.#entries.delete(key);
    this.#entries.set(key, true);
    return true;
  }
}

/** What the graph asks of the collector. */
export interface GraphListener {
  attemptToDelete(node: GraphNode, options?: { rateLimited?: boolean }): void;
  attemptToOrphan(node: GraphNode): void;
  /** `dependent` names `owner` as a namespaced owner in another namespace. */
  invalidNamespaceOwnerRef(dependent: GraphNode, owner: OwnerReference): void;
}

export type GraphEventType = 'add' | 'update' | 'delete';

export class DependencyGraph {
  readonly #nodes = new Map<string, GraphNode>();
  readonly absentOwners = new ReferenceCache(500);

  constructor(readonly listener: GraphListener) {}

  get(uid: string): GraphNode | undefined {
    return this.#nodes.get(uid);
  }

  get size(): number {
    return this.#nodes.size;
  }

  /** An event from a monitor: `gvk` is the monitored resource's kind, `oldObj` the state before an update. */
  observe(type: GraphEventType, gvk: GroupVersionKind, obj: KubeObject, oldObj?: KubeObject): void {
    this.#process(type, false, gvk, obj, oldObj);
  }

  /** The API says the object at `identity` does not exist (the collector found it missing or replaced). */
  virtualDelete(identity: ObjectIdentity): void {
    const obj: KubeObject = { metadata: { name: identity.name, namespace: identity.namespace, uid: identity.uid } };
    this.#process('delete', true, { apiVersion: identity.apiVersion, kind: identity.kind }, obj, undefined);
  }

  #process(type: GraphEventType, virtual: boolean, gvk: GroupVersionKind, obj: KubeObject, oldObj: KubeObject | undefined): void {
    const uid = obj.metadata?.uid;
    if (!uid) return;
    const observed: ObjectIdentity = { apiVersion: gvk.apiVersion, kind: gvk.kind, name: obj.metadata?.name ?? '', uid, namespace: obj.metadata?.namespace ?? '' };
    const existing = this.#nodes.get(uid);
    if (existing && !virtual && existing.virtual) {
      // First sight of an owner known so far only from its dependents' references.
      if (!sameIdentity(observed, existing.identity)) {
        const [, mismatched] = partitionDependents([...existing.dependents], observed);
        for (const dep of mismatched) {
          if (observed.namespace && dep.identity.namespace !== observed.namespace) this.#reportInvalidNamespace(dep, uid);
          this.listener.attemptToDelete(dep);
        }
        existing.identity = observed;
      }
      existing.virtual = false;
    }

    if (type !== 'delete' && !existing) {
      const node = new GraphNode(observed, ownerReferencesOf(obj), false);
      node.beingDeleted = beingDeleted(obj);
      node.deletingDependents = node.beingDeleted && finalizersOf(obj).includes(FOREGROUND_FINALIZER);
      this.#nodes.set(uid, node);
      this.#addDependentToOwners(node, node.owners);
      this.#processTransitions(oldObj, obj, node);
      return;
    }
    if (type !== 'delete' && existing) {
      if (!virtual && (existing.identity.apiVersion !== gvk.apiVersion || existing.identity.kind !== gvk.kind)) {
        existing.identity = { ...existing.identity, apiVersion: gvk.apiVersion, kind: gvk.kind };
      }
      const owners = ownerReferencesOf(obj);
      const { added, removed, changed } = referencesDiff(existing.owners, owners);
      if (added.length || removed.length || changed.length) {
        this.#enqueueUnblockedOwners(removed, changed);
        existing.owners = owners;
        this.#addDependentToOwners(existing, added);
        this.#removeDependentFromOwners(existing, removed);
      }
      if (beingDeleted(obj)) existing.beingDeleted = true;
      this.#processTransitions(oldObj, obj, existing);
      return;
    }
    if (!existing) return;

    let remove = true;
    if (virtual) {
      if (existing.virtual) {
        // Dependents may disagree on this owner's coordinates: only those naming the deleted identity lose it.
        const [matching, mismatched] = partitionDependents([...existing.dependents], observed);
        if (mismatched.length) {
          remove = false;
          if (matching.length) {
            this.absentOwners.add(observed);
            for (const dep of matching) this.listener.attemptToDelete(dep);
          }
          if (sameIdentity(existing.identity, observed)) {
            const alternate = alternateOwnerIdentity(mismatched, observed);
            if (alternate) {
              existing.identity = alternate;
              this.listener.attemptToDelete(existing, { rateLimited: true });
            }
          }
        }
      } else if (!sameIdentity(existing.identity, observed)) {
        // The real object stays; dependents naming it by other coordinates are checked again.
        remove = false;
        const [matching] = partitionDependents([...existing.dependents], observed);
        if (matching.length) {
          this.absentOwners.add(observed);
          for (const dep of matching) this.listener.attemptToDelete(dep);
        }
      }
    }
    if (!remove) return;
    this.#nodes.delete(uid);
    this.#removeDependentFromOwners(existing, existing.owners);
    if (existing.dependents.size) this.absentOwners.add(observed);
    for (const dep of existing.dependents) this.listener.attemptToDelete(dep);
    for (const owner of existing.owners) {
      // An owner waiting for its dependents to go may now be free to go itself.
      const ownerNode = this.#nodes.get(owner.uid);
      if (ownerNode?.deletingDependents) this.listener.attemptToDelete(ownerNode);
    }
  }

  #addDependentToOwners(node: GraphNode, owners: OwnerReference[]): void {
    let potentiallyInvalid = false;
    for (const owner of owners) {
      let ownerNode = this.#nodes.get(owner.uid);
      if (!ownerNode) {
        // Not seen yet: a virtual owner, which the collector checks against the API.
        ownerNode = new GraphNode(referenceIdentity(owner, node.identity.namespace), [], true);
        this.#nodes.set(owner.uid, ownerNode);
        ownerNode.dependents.add(node);
        this.listener.attemptToDelete(ownerNode);
        continue;
      }
      ownerNode.dependents.add(node);
      if (potentiallyInvalid) continue;
      const ownerNamespaced = ownerNode.identity.namespace !== '';
      if (ownerNamespaced && ownerNode.identity.namespace !== node.identity.namespace) {
        // Namespaced owners must live in their dependents' namespace; cluster-scoped owners may own anything.
        if (!ownerNode.virtual) this.#reportInvalidNamespace(node, owner.uid);
        potentiallyInvalid = true;
      } else if (!matchesCoordinates(owner, ownerNode.identity)) {
        potentiallyInvalid = true;
      } else if (!ownerNamespaced && ownerNode.identity.namespace !== node.identity.namespace && ownerNode.virtual) {
        potentiallyInvalid = true;
      }
    }
    if (potentiallyInvalid) this.listener.attemptToDelete(node);
  }

  #removeDependentFromOwners(node: GraphNode, owners: OwnerReference[]): void {
    for (const owner of owners) this.#nodes.get(owner.uid)?.dependents.delete(node);
  }

  /** A blocking reference that went away, or stopped blocking, may let a foreground deletion finish. */
  #enqueueUnblockedOwners(removed: OwnerReference[], changed: Array<{ before: OwnerReference; after: OwnerReference }>): void {
    for (const ref of removed) {
      if (ref.blockOwnerDeletion !== true) continue;
      const owner = this.#nodes.get(ref.uid);
      if (owner) this.listener.attemptToDelete(owner);
    }
    for (const { before, after } of changed) {
      if (before.blockOwnerDeletion !== true || after.blockOwnerDeletion === true) continue;
      const owner = this.#nodes.get(after.uid);
      if (owner) this.listener.attemptToDelete(owner);
    }
  }

  #processTransitions(oldObj: KubeObject | undefined, obj: KubeObject, node: GraphNode): void {
    if (deletionStartsWithFinalizer(oldObj, obj, ORPHAN_FINALIZER)) {
      this.listener.attemptToOrphan(node);
      return;
    }
    if (deletionStartsWithFinalizer(oldObj, obj, FOREGROUND_FINALIZER)) {
      node.deletingDependents = true;
      for (const dep of node.dependents) this.listener.attemptToDelete(dep);
      this.listener.attemptToDelete(node);
    }
  }

  #reportInvalidNamespace(dependent: GraphNode, ownerUID: string): void {
    const ref = dependent.owners.find((o) => o.uid === ownerUID);
    if (ref) this.listener.invalidNamespaceOwnerRef(dependent, ref);
  }
}

function referencesDiff(
  before: OwnerReference[],
  after: OwnerReference[],
): { added: OwnerReference[]; removed: OwnerReference[]; changed: Array<{ before: OwnerReference; after: OwnerReference }> } {
  const old = new Map(before.map((r) => [r.uid, r]));
  const added: OwnerReference[] = [];
  const changed: Array<{ before: OwnerReference; after: OwnerReference }> = [];
  for (const ref of after) {
    const was = old.get(ref.uid);
    if (!was) {
      added.push(ref);
      continue;
    }
    if (!sameReference(was, ref)) changed.push({ before: was, after: ref });
    old.delete(ref.uid);
  }
  return { added, removed: [...old.values()], changed };
}

/**
 * Dependents naming `owner` by exactly its coordinates (matching), and those naming its uid otherwise or from
 * another namespace while it is namespaced (mismatched). A dependent can be in both.
 */
function partitionDependents(dependents: GraphNode[], owner: ObjectIdentity): [matching: GraphNode[], mismatched: GraphNode[]] {
  const matching: GraphNode[] = [];
  const mismatched: GraphNode[] = [];
  for (const dep of dependents) {
    let match = false;
    let mismatch = false;
    if (owner.namespace && owner.namespace !== dep.identity.namespace) mismatch = true;
    else {
      for (const ref of dep.owners) {
        if (ref.uid !== owner.uid) continue;
        if (matchesCoordinates(ref, owner)) match = true;
        else mismatch = true;
      }
    }
    if (match) matching.push(dep);
    if (mismatch) mismatched.push(dep);
  }
  return [matching, mismatched];
}

function identityLess(a: ObjectIdentity, b: ObjectIdentity): boolean {
  for (const field of ['kind', 'apiVersion', 'namespace', 'name', 'uid'] as const) {
    if (a[field] !== b[field]) return a[field] < b[field];
  }
  return false;
}

/**
 * Another identity the dependents give an owner's uid than the one the API denied: the first one after it in
 * order, else the first of all; undefined when there is none.
 */
function alternateOwnerIdentity(dependents: GraphNode[], absent: ObjectIdentity): ObjectIdentity | undefined {
  const absentClusterScoped = absent.namespace === '';
  const seen = new Set([ReferenceCache.key(absent)]);
  let first: ObjectIdentity | undefined;
  let firstFollowing: ObjectIdentity | undefined;
  for (const dep of dependents) {
    for (const ref of dep.owners) {
      if (ref.uid !== absent.uid) continue;
      if (matchesCoordinates(ref, absent) && (absentClusterScoped || absent.namespace === dep.identity.namespace)) continue;
      const candidate = referenceIdentity(ref, dep.identity.namespace);
      // This apiVersion and kind are known to be cluster-scoped.
      if (absentClusterScoped && candidate.apiVersion === absent.apiVersion && candidate.kind === absent.kind) candidate.namespace = '';
      const key = ReferenceCache.key(candidate);
      if (seen.has(key)) continue;
      seen.add(key);
      if (!first || identityLess(candidate, first)) first = candidate;
      if (identityLess(absent, candidate) && (!firstFollowing || identityLess(candidate, firstFollowing))) firstFollowing = candidate;
    }
  }
  return firstFollowing ?? first;
}
