// The garbage collector (upstream's 'garbage-collector'): a dependency graph of every object that can be listed,
// watched and deleted, built from ownerReferences, and workers that act on it — dependents whose owners are all
// gone are deleted (Background), an owner being deleted in the foreground loses its `foregroundDeletion` finalizer
// once its blocking dependents are gone, and an owner with the `orphan` finalizer first has its dependents' references
// to it removed. Resources come from discovery, read again periodically so custom resources are included.
import { setMaxListeners } from 'node:events';
import type { Client, GroupVersionResource, KubeObject } from '../client/client.ts';
import { ApiError, isConflict, isNotFound } from '../client/errors.ts';
import type { EventRecorder } from '../client/events.ts';
import { Informer } from '../client/informer.ts';
import { abortableSleep } from '../client/sleep.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import type { Logger } from '../log.ts';
import type { Controller, ControllerContext } from './controller.ts';
import { discoverResources, gvrKey, kindKey, type DiscoveredResource, type DiscoverySnapshot } from './garbagecollector-discovery.ts';
import {
  DependencyGraph,
  describeIdentity,
  finalizersOf,
  FOREGROUND_FINALIZER,
  ORPHAN_FINALIZER,
  ownerReferencesOf,
  referenceIdentity,
  type GraphNode,
  type ObjectIdentity,
  type OwnerReference,
} from './garbagecollector-graph.ts';
import { CUSTOM_RESOURCE_DEFINITIONS as CRDS } from '../client/resources.ts';

export interface GarbageCollectorOptions {
  /** How often discovery is read again for added or removed resources (upstream: 30 s). */
  discoveryPeriodMs?: number;
  /** Workers for each of the two queues (upstream's --concurrent-gc-syncs, default 20). */
  workers?: number;
  /** How long start() waits for the monitors' first lists before collecting anyway. */
  initialSyncTimeoutMs?: number;
}

const FIELD_MANAGER = 'kube-controller-manager';
/** Resources never collected: events are too many and too short-lived (upstream's DefaultIgnoredResources). */
const IGNORED = new Set(['/events', 'events.k8s.io/events']);
/** A REST mapping miss reads discovery again, at most this often. */
const REMAP_INTERVAL_MS = 1000;
/** Dependents patched at once when an owner's dependents are orphaned. */
const ORPHAN_CONCURRENCY = 32;
/** client-go's retry.DefaultBackoff: 4 tries, 10 ms growing fivefold. */
const CONFLICT_RETRIES = 4;

/** Stops processing an item without error: the graph got a virtual delete event instead. */
class VirtualDeleteEnqueued extends Error {
  override name = 'VirtualDeleteEnqueued';
}

/** A cluster-scoped object naming a namespaced owner: retrying cannot help. */
class NamespacedOwnerOfClusterScopedObject extends Error {
  override name = 'NamespacedOwnerOfClusterScopedObject';
}

/** The item is looked at again later with backoff, without counting as a failure in the logs. */
class RequeueItem extends Error {
  override name = 'RequeueItem';
}

export class RESTMappingError extends Error {
  override name = 'RESTMappingError';
  constructor(
    readonly apiVersion: string,
    readonly kind: string,
  ) {
    super(`unable to get REST mapping for ${apiVersion}/${kind}.`);
  }
}

export class OrphanDependentsError extends Error {
  override name = 'OrphanDependentsError';
}

interface Monitor {
  resource: DiscoveredResource;
  informer: Informer;
  /** Cleared when the resource leaves discovery: a shared informer keeps running, its events are ignored. */
  active: boolean;
  /** Stops an informer of the collector's own (custom resources, which can go away). */
  stop?: AbortController;
}

interface Classified {
  solid: OwnerReference[];
  dangling: OwnerReference[];
  waitingForDependentsDeletion: OwnerReference[];
}

export class GarbageCollector implements Controller {
  readonly client: Client;
  readonly logger: Logger;
  readonly graph: DependencyGraph;
  readonly #ctx: ControllerContext;
  readonly #recorder: EventRecorder;
  readonly #attemptToDelete = new WorkQueue<string>();
  readonly #attemptToOrphan = new WorkQueue<string>();
  readonly #monitors = new Map<string, Monitor>();
  readonly #discoveryPeriodMs: number;
  readonly #workers: number;
  readonly #initialSyncTimeoutMs: number;
  #snapshot: DiscoverySnapshot = { deletable: new Map(), byKind: new Map(), failed: new Set() };
  #lastDiscovery = 0;
  #resyncing: Promise<void> | undefined;
  #signal: AbortSignal | undefined;

  constructor(ctx: ControllerContext, options: GarbageCollectorOptions = {}) {
    this.#ctx = ctx;
    this.client = ctx.client;
    this.logger = ctx.logger('garbage-collector');
    this.#recorder = ctx.recorder('garbage-collector-controller');
    this.#discoveryPeriodMs = options.discoveryPeriodMs ?? 30_000;
    this.#workers = options.workers ?? 20;
    this.#initialSyncTimeoutMs = options.initialSyncTimeoutMs ?? 30_000;
    this.graph = new DependencyGraph({
      attemptToDelete: (node, opts) => {
        if (opts?.rateLimited) this.#attemptToDelete.addRateLimited(node.identity.uid);
        else this.#attemptToDelete.add(node.identity.uid);
      },
      attemptToOrphan: (node) => this.#attemptToOrphan.add(node.identity.uid),
      invalidNamespaceOwnerRef: (dependent, owner) => {
        const id = dependent.identity;
        const invalid = referenceIdentity(owner, id.namespace);
        this.#recorder.event(
          { apiVersion: id.apiVersion, kind: id.kind, metadata: { name: id.name, namespace: id.namespace, uid: id.uid } },
          'Warning',
          'OwnerRefInvalidNamespace',
          `ownerRef ${describeIdentity(invalid)} does not exist in namespace ${JSON.stringify(id.namespace)}`,
        );
      },
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    // The shared informers this adds (one per resource) each listen on the manager's signal: expected, not a leak.
    setMaxListeners(0, signal);
    signal.addEventListener('abort', () => {
      for (const m of this.#monitors.values()) m.stop?.abort();
    });
    // Discovery must answer once before there is anything to watch.
    for (let backoff = 100; !signal.aborted; backoff = Math.min(backoff * 2, 5000)) {
      try {
        await this.#resync(signal);
        if (this.#monitors.size) break;
      } catch (err) {
        if (signal.aborted) return;
        this.logger.warn('garbage collector discovery failed', { error: err });
      }
      await abortableSleep(backoff, signal).catch(() => {});
    }
    if (signal.aborted) return;
    await this.#waitForMonitors(signal);
    if (signal.aborted) return;
    this.logger.info('garbage collector: proceeding to collect garbage', { resources: this.#monitors.size, objects: this.graph.size });
    const onError = (queue: string) => (uid: string, err: unknown) => {
      if (!(err instanceof RequeueItem)) this.logger.warn('garbage collector sync failed', { queue, uid, error: err });
    };
    await Promise.all([
      runWorkers(this.#attemptToDelete, this.#workers, (uid) => this.#attemptToDeleteWorker(uid), signal, { onError: onError('attemptToDelete') }),
      runWorkers(this.#attemptToOrphan, this.#workers, (uid) => this.#attemptToOrphanWorker(uid), signal, { onError: onError('attemptToOrphan') }),
      this.#discoveryLoop(signal),
    ]);
  }

  // ---- monitors ----------------------------------------------------------------------------------------

  async #discoveryLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await abortableSleep(this.#discoveryPeriodMs, signal).catch(() => {});
      if (signal.aborted) return;
      await this.#resync(signal).catch((err: unknown) => {
        if (!signal.aborted) this.logger.warn('garbage collector discovery failed', { error: err });
      });
    }
  }

  /** Reads discovery and starts or stops monitors to match; concurrent callers share one run. */
  #resync(signal: AbortSignal): Promise<void> {
    this.#resyncing ??= this.#doResync(signal).finally(() => {
      this.#resyncing = undefined;
    });
    return this.#resyncing;
  }

  async #doResync(signal: AbortSignal): Promise<void> {
    const snapshot = await discoverResources(this.client, signal);
    this.#lastDiscovery = Date.now();
    if (!snapshot.deletable.size) return;
    // A group version that failed to answer keeps the monitors it had (upstream's partial discovery).
    for (const [key, m] of this.#monitors) {
      if (snapshot.failed.has(m.resource.apiVersion) && !snapshot.deletable.has(key)) snapshot.deletable.set(key, m.resource);
    }
    for (const [key, resource] of this.#snapshot.byKind) {
      if (snapshot.failed.has(resource.apiVersion) && !snapshot.byKind.has(key)) snapshot.byKind.set(key, resource);
    }
    this.#snapshot = snapshot;
    const wanted = [...snapshot.deletable].filter(([, r]) => !IGNORED.has(`${r.gvr.group}/${r.gvr.resource}`));
    const toAdd = wanted.filter(([key]) => !this.#monitors.has(key));
    const keep = new Set(wanted.map(([key]) => key));
    for (const [key, m] of this.#monitors) {
      if (keep.has(key)) continue;
      m.active = false;
      m.stop?.abort();
      this.#monitors.delete(key);
      this.logger.info('garbage collector stopped monitoring', { resource: key });
    }
    if (!toAdd.length) return;
    const custom = await this.#customResources(signal);
    for (const [key, resource] of toAdd) this.#monitors.set(key, this.#monitor(resource, custom.has(`${resource.gvr.group}/${resource.gvr.resource}`), signal));
    if (this.#monitors.size > toAdd.length) this.logger.info('garbage collector monitors added', { resources: toAdd.map(([key]) => key) });
  }

  /** `group/plural` of every custom resource: their informers are the collector's own, stopped when they go. */
  async #customResources(signal: AbortSignal): Promise<Set<string>> {
    try {
      const crds = await this.client.list<KubeObject & { spec?: { group?: string; names?: { plural?: string } } }>(CRDS, undefined, { signal });
      return new Set(crds.items.map((c) => `${c.spec?.group}/${c.spec?.names?.plural}`));
    } catch (err) {
      if (signal.aborted) throw err;
      return new Set();
    }
  }

  #monitor(resource: DiscoveredResource, custom: boolean, signal: AbortSignal): Monitor {
    let informer: Informer;
    let stop: AbortController | undefined;
    if (custom) {
      stop = new AbortController();
      const stopSignal = AbortSignal.any([signal, stop.signal]);
      informer = new Informer(this.client, resource.gvr, { onError: (err) => this.logger.debug('garbage collector monitor error', { resource: resource.gvr.resource, error: err }) });
      void informer.start(stopSignal);
    } else {
      informer = this.#ctx.informers.informer(resource.gvr);
    }
    const monitor: Monitor = { resource, informer, active: true, ...(stop ? { stop } : {}) };
    const gvk = { apiVersion: resource.apiVersion, kind: resource.kind };
    informer.addEventHandler({
      onAdd: (obj) => {
        if (monitor.active) this.graph.observe('add', gvk, obj);
      },
      onUpdate: (old, obj) => {
        if (monitor.active) this.graph.observe('update', gvk, obj, old);
      },
      onDelete: (obj) => {
        if (monitor.active) this.graph.observe('delete', gvk, obj);
      },
    });
    return monitor;
  }

  async #waitForMonitors(signal: AbortSignal): Promise<void> {
    const timeout = AbortSignal.any([signal, AbortSignal.timeout(this.#initialSyncTimeoutMs)]);
    // Every monitor listens on this one signal.
    setMaxListeners(this.#monitors.size + 10, timeout);
    try {
      await Promise.all([...this.#monitors.values()].map((m) => m.informer.waitForSync(timeout)));
    } catch {
      if (!signal.aborted) this.logger.info('garbage collector: not all resource monitors could be synced, proceeding anyway');
    }
  }

  /** The resource of an apiVersion and kind; a miss reads discovery again (at most once a second) before failing. */
  async #mapping(apiVersion: string, kind: string): Promise<DiscoveredResource> {
    let found = this.#snapshot.byKind.get(kindKey(apiVersion, kind));
    if (!found && this.#signal && Date.now() - this.#lastDiscovery > REMAP_INTERVAL_MS) {
      await this.#resync(this.#signal);
      found = this.#snapshot.byKind.get(kindKey(apiVersion, kind));
    }
    if (!found) throw new RESTMappingError(apiVersion, kind);
    return found;
  }

  async #target(id: ObjectIdentity): Promise<{ gvr: GroupVersionResource; namespace: string; resource: DiscoveredResource }> {
    const resource = await this.#mapping(id.apiVersion, id.kind);
    if (resource.namespaced && !id.namespace) throw new NamespacedOwnerOfClusterScopedObject(`cluster-scoped objects cannot refer to namespaced owners: ${describeIdentity(id)}`);
    return { gvr: resource.gvr, namespace: resource.namespaced ? id.namespace : '', resource };
  }

  // ---- attemptToDelete ----------------------------------------------------------------------------------

  async #attemptToDeleteWorker(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    if (!node) return;
    try {
      await this.#attemptToDeleteItem(node);
    } catch (err) {
      if (err instanceof VirtualDeleteEnqueued || err instanceof NamespacedOwnerOfClusterScopedObject) return;
      throw err;
    }
    // An owner not observed yet is looked at again until a monitor sees it or the API denies it.
    if (node.virtual && this.graph.get(uid) === node) throw new RequeueItem();
  }

  async #attemptToDeleteItem(item: GraphNode): Promise<void> {
    // Being deleted is a one-way trip: wait for the final deletion, then look at the dependents.
    if (item.beingDeleted && !item.deletingDependents) return;
    const latest = await this.#getLive(item);
    if (item.deletingDependents) return this.#processDeletingDependents(item);

    const ownerReferences = ownerReferencesOf(latest);
    if (!ownerReferences.length) return;
    const { solid, dangling, waitingForDependentsDeletion } = await this.#classify(item, ownerReferences);
    if (solid.length) {
      if (!dangling.length && !waitingForDependentsDeletion.length) return;
      // Owners that are gone, or that wait on their dependents, lose this dependent; the live ones keep it.
      const uids = [...dangling, ...waitingForDependentsDeletion].map((r) => r.uid);
      await this.#patchOwnerReferences(item, deleteOwnerRefsSMP(item.identity.uid, uids), (live) => ({
        metadata: { resourceVersion: live.metadata?.resourceVersion, ownerReferences: nullIfEmpty(ownerReferencesOf(live).filter((r) => !uids.includes(r.uid))) },
      }));
      return;
    }
    if (waitingForDependentsDeletion.length && item.dependents.size) {
      for (const dep of item.dependents) {
        if (!dep.deletingDependents) continue;
        // Owner and dependent both wait on their dependents: stop blocking so that a cycle cannot stall.
        this.logger.debug('unblocking ownerReferences to avoid a cycle', { item: describeIdentity(item.identity), dependent: describeIdentity(dep.identity) });
        const blocking = item.owners.filter((o) => o.blockOwnerDeletion === true).map((o) => ({ ...o, blockOwnerDeletion: false }));
        await this.#patchOwnerReferences(item, { metadata: { ownerReferences: blocking, uid: item.identity.uid } }, (live) => ({
          metadata: { resourceVersion: live.metadata?.resourceVersion, ownerReferences: item.owners.map((o) => ({ ...o, blockOwnerDeletion: false })) },
        }));
        break;
      }
      // Its own dependents go first; processDeletingDependents then lets it go.
      return this.#deleteItem(item, latest, 'Foreground');
    }
    const finalizers = finalizersOf(latest);
    const policy = finalizers.includes(ORPHAN_FINALIZER) ? 'Orphan' : finalizers.includes(FOREGROUND_FINALIZER) ? 'Foreground' : 'Background';
    this.logger.debug('deleting item', { item: describeIdentity(item.identity), propagationPolicy: policy });
    return this.#deleteItem(item, latest, policy);
  }

  /** The live object of a node; a missing one (or one of another uid) becomes a virtual delete event. */
  async #getLive(item: GraphNode): Promise<KubeObject> {
    const { gvr, namespace } = await this.#target(item.identity);
    let latest: KubeObject;
    try {
      latest = await this.client.get(gvr, namespace, item.identity.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.graph.virtualDelete(item.identity);
      throw new VirtualDeleteEnqueued();
    }
    if (latest.metadata?.uid !== item.identity.uid) {
      this.graph.virtualDelete(item.identity);
      throw new VirtualDeleteEnqueued();
    }
    return latest;
  }

  async #processDeletingDependents(item: GraphNode): Promise<void> {
    const blocking = item.blockingDependents();
    if (!blocking.length) {
      this.logger.debug('removing the foregroundDeletion finalizer', { item: describeIdentity(item.identity) });
      return this.#removeFinalizer(item, FOREGROUND_FINALIZER);
    }
    for (const dep of blocking) if (!dep.deletingDependents) this.#attemptToDelete.add(dep.identity.uid);
  }

  /** Sorts references into owners that exist (solid), are gone (dangling), or wait on their dependents. */
  async #classify(item: GraphNode, references: OwnerReference[]): Promise<Classified> {
    const out: Classified = { solid: [], dangling: [], waitingForDependentsDeletion: [] };
    for (const ref of references) {
      const owner = await this.#liveOwner(ref, item);
      if (!owner) out.dangling.push(ref);
      else if (owner.metadata?.['deletionTimestamp'] && finalizersOf(owner).includes(FOREGROUND_FINALIZER)) out.waitingForDependentsDeletion.push(ref);
      else out.solid.push(ref);
    }
    return out;
  }

  /** The owner a reference names, or undefined when it does not exist — by uid: the same name with another uid is gone. */
  async #liveOwner(ref: OwnerReference, item: GraphNode): Promise<KubeObject | undefined> {
    const absent: ObjectIdentity = referenceIdentity(ref, '');
    if (this.graph.absentOwners.has(absent)) return undefined;
    absent.namespace = item.identity.namespace;
    if (this.graph.absentOwners.has(absent)) return undefined;
    const resource = await this.#mapping(ref.apiVersion, ref.kind);
    if (!resource.namespaced) absent.namespace = '';
    if (!item.identity.namespace && resource.namespaced) {
      throw new NamespacedOwnerOfClusterScopedObject(`cluster-scoped objects cannot refer to namespaced owners: ${describeIdentity(item.identity)}`);
    }
    let owner: KubeObject;
    try {
      owner = await this.client.get(resource.gvr, resource.namespaced ? item.identity.namespace : '', ref.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.graph.absentOwners.add(absent);
      return undefined;
    }
    if (owner.metadata?.uid !== ref.uid) {
      this.graph.absentOwners.add(absent);
      return undefined;
    }
    return owner;
  }

  /** Deletes with the item's uid and resourceVersion as preconditions; a changed resourceVersion alone is retried without. */
  async #deleteItem(item: GraphNode, latest: KubeObject, policy: 'Background' | 'Foreground' | 'Orphan'): Promise<void> {
    const { gvr, namespace } = await this.#target(item.identity);
    const name = item.identity.name;
    const rv = latest.metadata?.resourceVersion;
    try {
      try {
        await this.client.delete(gvr, namespace, name, { propagationPolicy: policy, preconditions: { uid: item.identity.uid, ...(rv ? { resourceVersion: rv } : {}) } });
      } catch (err) {
        if (!isConflict(err) || !rv) throw err;
        let live: KubeObject;
        try {
          live = await this.client.get(gvr, namespace, name);
        } catch (getErr) {
          if (isNotFound(getErr)) return;
          throw err;
        }
        // Only the resourceVersion moved (not the owners): the decision stands.
        const sameOwners = JSON.stringify(ownerReferencesOf(live)) === JSON.stringify(ownerReferencesOf(latest));
        if (live.metadata?.uid !== item.identity.uid || live.metadata?.resourceVersion === rv || !sameOwners) throw err;
        await this.client.delete(gvr, namespace, name, { propagationPolicy: policy, preconditions: { uid: item.identity.uid } });
      }
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.graph.virtualDelete(item.identity);
      throw new VirtualDeleteEnqueued();
    }
  }

  /** A strategic merge patch, or (for custom resources, which do not take one) a JSON merge patch built from the live object. */
  async #patchOwnerReferences(item: GraphNode, smp: unknown, mergePatch: (live: KubeObject) => unknown): Promise<void> {
    const { gvr, namespace, resource } = await this.#target(item.identity);
    try {
      await this.client.patch(gvr, namespace, item.identity.name, 'strategic', smp, { fieldManager: FIELD_MANAGER });
      return;
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 415)) throw err;
    }
    const live = this.#cached(resource, item.identity) ?? (await this.client.get(gvr, namespace, item.identity.name));
    await this.client.patch(gvr, namespace, item.identity.name, 'merge', mergePatch(live), { fieldManager: FIELD_MANAGER });
  }

  #cached(resource: DiscoveredResource, id: ObjectIdentity): KubeObject | undefined {
    const monitor = this.#monitors.get(gvrKey(resource.gvr));
    const obj = monitor?.informer.lister.get(resource.namespaced ? `${id.namespace}/${id.name}` : id.name);
    return obj?.metadata?.uid === id.uid ? obj : undefined;
  }

  /** Removes one finalizer with a JSON merge patch conditional on the resourceVersion read, retrying on conflict. */
  async #removeFinalizer(owner: GraphNode, finalizer: string): Promise<void> {
    const { gvr, namespace } = await this.#target(owner.identity);
    for (let attempt = 0; attempt < CONFLICT_RETRIES; attempt++) {
      let live: KubeObject;
      try {
        live = await this.client.get(gvr, namespace, owner.identity.name);
      } catch (err) {
        if (isNotFound(err)) return;
        throw new Error(`cannot finalize owner ${describeIdentity(owner.identity)}, because cannot get it: ${String(err)}. The garbage collector will retry later`, { cause: err });
      }
      const finalizers = finalizersOf(live);
      if (!finalizers.includes(finalizer)) return;
      const rest = finalizers.filter((f) => f !== finalizer);
      try {
        await this.client.patch(gvr, namespace, owner.identity.name, 'merge', { metadata: { resourceVersion: live.metadata?.resourceVersion, finalizers: nullIfEmpty(rest) } }, { fieldManager: FIELD_MANAGER });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) throw err;
        await abortableSleep(10 * 5 ** attempt, this.#signal).catch(() => {});
      }
    }
    throw new Error(`updateMaxRetries(${CONFLICT_RETRIES}) has reached. The garbage collector will retry later for owner ${describeIdentity(owner.identity)}`);
  }

  // ---- attemptToOrphan ----------------------------------------------------------------------------------

  /** Removes the owner from its dependents' ownerReferences, then its `orphan` finalizer. */
  async #attemptToOrphanWorker(uid: string): Promise<void> {
    const owner = this.graph.get(uid);
    if (!owner) return;
    const dependents = [...owner.dependents];
    const failures: string[] = [];
    for (let i = 0; i < dependents.length; i += ORPHAN_CONCURRENCY) {
      const batch = dependents.slice(i, i + ORPHAN_CONCURRENCY);
      const results = await Promise.allSettled(
        batch.map((dep) =>
          this.#patchOwnerReferences(dep, deleteOwnerRefsSMP(dep.identity.uid, [uid]), (live) => ({
            metadata: { resourceVersion: live.metadata?.resourceVersion, ownerReferences: nullIfEmpty(ownerReferencesOf(live).filter((r) => r.uid !== uid)) },
          })),
        ),
      );
      results.forEach((r, j) => {
        if (r.status === 'rejected' && !isNotFound(r.reason)) failures.push(`orphaning ${describeIdentity(batch[j]!.identity)} failed, ${String(r.reason)}`);
      });
    }
    if (failures.length) throw new OrphanDependentsError(`failed to orphan dependents of owner ${describeIdentity(owner.identity)}, got errors: ${failures.join(', ')}`);
    await this.#removeFinalizer(owner, ORPHAN_FINALIZER);
  }
}

/** Deletes the references to `ownerUIDs` by their merge key; the dependent's uid makes it a precondition. */
function deleteOwnerRefsSMP(dependentUID: string, ownerUIDs: string[]): unknown {
  return { metadata: { ownerReferences: ownerUIDs.map((uid) => ({ $patch: 'delete', uid })), uid: dependentUID } };
}

function nullIfEmpty<T>(list: T[]): T[] | null {
  return list.length ? list : null;
}
