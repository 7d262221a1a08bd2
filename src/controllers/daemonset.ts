// The DaemonSet controller (upstream's 'daemonset'): one pod on every node the pod template fits and tolerates,
// pinned there by node affinity for the scheduler to bind; failed pods replaced with backoff, extra ones removed,
// templates rolled out with maxUnavailable/maxSurge (or on delete), history kept as ControllerRevisions.
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.d.ts';
import type { Client, KubeObject } from '../client/client.ts';
import { ApiError, isNotFound } from '../client/errors.ts';
import type { EventRecorder } from '../client/events.ts';
import { objectKey, type Informer } from '../client/informer.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import { matchesLabelSelector } from '../api/labels.ts';
import type { Logger } from '../log.ts';
import type { Controller, ControllerContext } from './controller.ts';
import {
  allowsSurge,
  compareDaemonPods,
  daemonPodTemplate,
  isPodUpdated,
  nodeShouldRunDaemonPod,
  pinToNode,
  surgeCount,
  targetNodeName,
  templateGeneration,
  unavailableCount,
  type DaemonSetObject,
  type NodeObject,
  type PodObject,
} from './daemonset-util.ts';
import { CONTROLLER_REVISION_HASH_LABEL, CONTROLLER_REVISIONS, computeTemplateHash, revisionData, sortRevisions, templatePatch, type Revision } from './history.ts';
import { claimObjects, controllerRefOf, Expectations, FIELD_MANAGER, isPodAvailable, isPodReady, isPodTerminal, newControllerRef, podFromTemplate } from './podcontrol.ts';
import { DAEMONSETS as DAEMON_SETS, NODES, PODS } from '../client/resources.ts';

/** At most this many creations (and deletions) per sync, as upstream's BurstReplicas. */
const BURST_REPLICAS = 250;
const WORKERS = 2;
/** kube-controller-manager's failed daemon pod backoff: 1 s doubling to 15 min. */
const FAILED_POD_BACKOFF_MS = 1000;
const FAILED_POD_BACKOFF_MAX_MS = 15 * 60_000;

export class DaemonSetSyncError extends Error {
  override name = 'DaemonSetSyncError';
}

export class StaleCollisionCountError extends Error {
  override name = 'StaleCollisionCountError';
}

/** client-go's flowcontrol.Backoff, per key: each step doubles, and a key left alone for 2×max starts over. */
class Backoff {
  readonly #entries = new Map<string, { delay: number; last: number }>();
  constructor(
    readonly initialMs: number,
    readonly maxMs: number,
  ) {}
  delay(key: string): number {
    return this.#entries.get(key)?.delay ?? 0;
  }
  next(key: string, now: number): void {
    const e = this.#entries.get(key);
    if (!e || now - e.last > 2 * this.maxMs) this.#entries.set(key, { delay: this.initialMs, last: now });
    else this.#entries.set(key, { delay: Math.min(e.delay * 2, this.maxMs), last: now });
  }
  inBackoffSinceUpdate(key: string, now: number): boolean {
    const e = this.#entries.get(key);
    return !!e && now - e.last < e.delay;
  }
  gc(now: number): void {
    for (const [k, e] of this.#entries) if (now - e.last > 2 * this.maxMs) this.#entries.delete(k);
  }
}

const DS_KIND = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;

const selectorIsEmpty = (ds: DaemonSetObject) => {
  const sel = ds.spec?.selector;
  return !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
};

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

const namespaceTerminating = (err: unknown) => err instanceof ApiError && (err.status.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');

export interface DaemonSetControllerOptions {
  now?: () => number;
}

export class DaemonSetController implements Controller {
  readonly #queue = new WorkQueue<string>();
  readonly #daemonSets: Informer<DaemonSetObject>;
  readonly #pods: Informer<PodObject>;
  readonly #nodes: Informer<NodeObject>;
  readonly #revisions: Informer<Revision>;
  readonly #expectations: Expectations;
  readonly #backoff = new Backoff(FAILED_POD_BACKOFF_MS, FAILED_POD_BACKOFF_MAX_MS);
  readonly #recorder: EventRecorder;
  readonly client: Client;
  readonly logger: Logger;
  readonly now: () => number;

  constructor(ctx: ControllerContext, options: DaemonSetControllerOptions = {}) {
    this.client = ctx.client;
    this.logger = ctx.logger('daemonset-controller');
    this.#recorder = ctx.recorder('daemonset-controller');
    this.now = options.now ?? Date.now;
    this.#expectations = new Expectations(this.now);
    this.#daemonSets = ctx.informers.informer<DaemonSetObject>(DAEMON_SETS);
    this.#pods = ctx.informers.informer<PodObject>(PODS);
    this.#nodes = ctx.informers.informer<NodeObject>(NODES);
    this.#revisions = ctx.informers.informer<Revision>(CONTROLLER_REVISIONS);

    this.#daemonSets.addEventHandler({
      onAdd: (ds) => this.#enqueue(ds),
      onUpdate: (_old, ds) => this.#enqueue(ds),
      onDelete: (ds) => this.#enqueue(ds),
    });
    this.#revisions.addEventHandler({
      onAdd: (rev) => this.#revisionAdded(rev),
      onUpdate: (old, rev) => this.#revisionUpdated(old, rev),
      onDelete: (rev) => this.#ownerOf(rev, (ds) => this.#enqueue(ds)),
    });
    this.#pods.addEventHandler({
      onAdd: (pod) => this.#podAdded(pod),
      onUpdate: (old, pod) => this.#podUpdated(old, pod),
      onDelete: (pod) => this.#podDeleted(pod),
    });
    this.#nodes.addEventHandler({
      onAdd: (node) => {
        for (const ds of this.#daemonSets.lister.list()) if (nodeShouldRunDaemonPod(node, ds).shouldRun) this.#enqueue(ds);
      },
      onUpdate: (old, node) => this.#nodeUpdated(old, node),
      // Upstream leaves pods of deleted nodes to the pod GC; syncing here also drops unscheduled pods aimed at it.
      onDelete: () => {
        for (const ds of this.#daemonSets.lister.list()) this.#enqueue(ds);
      },
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    await Promise.all([this.#daemonSets, this.#pods, this.#nodes, this.#revisions].map((i) => i.waitForSync(signal)));
    const gc = setInterval(() => this.#backoff.gc(this.now()), 60_000);
    try {
      await runWorkers(this.#queue, WORKERS, (key) => this.sync(key), signal, {
        onError: (key, err) => this.logger.warn('daemonset sync failed', { daemonset: key, error: err }),
      });
    } finally {
      clearInterval(gc);
    }
  }

  #enqueue(ds: KubeObject, afterMs = 0): void {
    if (afterMs > 0) this.#queue.addAfter(objectKey(ds), afterMs);
    else this.#queue.add(objectKey(ds));
  }

  #resolve(namespace: string | undefined, ref: { kind: string; name: string; uid: string } | undefined): DaemonSetObject | undefined {
    if (!ref || ref.kind !== 'DaemonSet') return undefined;
    const ds = this.#daemonSets.lister.get(`${namespace}/${ref.name}`);
    return ds?.metadata?.uid === ref.uid ? ds : undefined;
  }

  #ownerOf(obj: KubeObject, then: (ds: DaemonSetObject) => void): boolean {
    const ref = controllerRefOf(obj);
    if (!ref) return false;
    const ds = this.#resolve(obj.metadata?.namespace, ref);
    if (ds) then(ds);
    return true;
  }

  /** DaemonSets in the object's namespace whose (non-empty) selector matches its labels. */
  #selecting(obj: KubeObject): DaemonSetObject[] {
    const labels = obj.metadata?.labels ?? {};
    return this.#daemonSets.lister.list((ds) => ds.metadata?.namespace === obj.metadata?.namespace && !selectorIsEmpty(ds) && matchesLabelSelector(ds.spec?.selector, labels));
  }

  #revisionAdded(rev: Revision): void {
    if (rev.metadata?.['deletionTimestamp']) {
      this.#ownerOf(rev, (ds) => this.#enqueue(ds));
      return;
    }
    if (controllerRefOf(rev)) return;
    for (const ds of this.#selecting(rev)) this.#enqueue(ds);
  }

  #revisionUpdated(old: Revision, rev: Revision): void {
    if (old.metadata?.resourceVersion === rev.metadata?.resourceVersion) return;
    const oldRef = controllerRefOf(old);
    const refChanged = JSON.stringify(oldRef) !== JSON.stringify(controllerRefOf(rev));
    if (refChanged && oldRef) this.#ownerOf(old, (ds) => this.#enqueue(ds));
    if (this.#ownerOf(rev, (ds) => this.#enqueue(ds))) return;
    if (refChanged || JSON.stringify(old.metadata?.labels) !== JSON.stringify(rev.metadata?.labels)) for (const ds of this.#selecting(rev)) this.#enqueue(ds);
  }

  #podAdded(pod: PodObject): void {
    if (pod.metadata?.deletionTimestamp) return this.#podDeleted(pod);
    if (
      this.#ownerOf(pod, (ds) => {
        this.#expectations.creationObserved(objectKey(ds));
        this.#enqueue(ds);
      })
    ) {
      return;
    }
    for (const ds of this.#selecting(pod)) this.#enqueue(ds);
  }

  #podUpdated(old: PodObject, pod: PodObject): void {
    if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
    if (pod.metadata?.deletionTimestamp) return this.#podDeleted(pod);
    const oldRef = controllerRefOf(old);
    const refChanged = JSON.stringify(oldRef) !== JSON.stringify(controllerRefOf(pod));
    if (refChanged && oldRef) this.#ownerOf(old, (ds) => this.#enqueue(ds));
    const owned = this.#ownerOf(pod, (ds) => {
      this.#enqueue(ds);
      const minReady = ds.spec?.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(pod) && minReady > 0) this.#enqueue(ds, minReady * 1000 + 1000);
    });
    if (owned) return;
    if (refChanged || JSON.stringify(old.metadata?.labels) !== JSON.stringify(pod.metadata?.labels)) for (const ds of this.#selecting(pod)) this.#enqueue(ds);
  }

  #podDeleted(pod: PodObject): void {
    this.#ownerOf(pod, (ds) => {
      this.#expectations.deletionObserved(objectKey(ds));
      this.#enqueue(ds);
    });
  }

  #nodeUpdated(old: NodeObject, node: NodeObject): void {
    const same = JSON.stringify(old.metadata?.labels ?? {}) === JSON.stringify(node.metadata?.labels ?? {}) && JSON.stringify(old.spec?.taints ?? []) === JSON.stringify(node.spec?.taints ?? []);
    if (same) return;
    for (const ds of this.#daemonSets.lister.list()) {
      const before = nodeShouldRunDaemonPod(old, ds);
      const after = nodeShouldRunDaemonPod(node, ds);
      if (before.shouldRun !== after.shouldRun || before.shouldContinueRunning !== after.shouldContinueRunning) this.#enqueue(ds);
    }
  }

  async sync(key: string): Promise<void> {
    const ds = this.#daemonSets.lister.get(key);
    if (!ds) {
      this.#expectations.delete(key);
      return;
    }
    const nodes = this.#nodes.lister.list();
    if (selectorIsEmpty(ds)) {
      this.#event(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    // Its revisions may already be going with it; status could not be trusted.
    if (ds.metadata?.deletionTimestamp) return;
    const { cur, old } = await this.#constructHistory(ds);
    const hash = cur.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
    if (!this.#expectations.satisfied(key)) {
      await this.#updateStatus(ds, nodes, hash, false);
      return;
    }
    let failure: unknown;
    try {
      await this.#manage(ds, nodes, hash);
      if (this.#expectations.satisfied(key) && ds.spec?.updateStrategy?.type === 'RollingUpdate') await this.#rollingUpdate(ds, nodes, hash);
      await this.#cleanupHistory(ds, old);
    } catch (err) {
      failure = err;
    }
    try {
      await this.#updateStatus(ds, nodes, hash, true);
    } catch (err) {
      if (failure === undefined) failure = err;
      else this.logger.warn('daemonset status update failed', { daemonset: key, error: err });
    }
    if (failure !== undefined) throw failure;
  }

  #event(ds: DaemonSetObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.#recorder.event({ ...ds, ...DS_KIND }, type, reason, message);
  }

  /** Pods the DaemonSet controls (adopting orphans it selects, releasing those it no longer selects). */
  async #daemonPods(ds: DaemonSetObject): Promise<PodObject[]> {
    const ns = ds.metadata?.namespace;
    const pods = this.#pods.lister.list((p) => p.metadata?.namespace === ns);
    return claimObjects(pods, {
      client: this.client,
      gvr: PODS,
      owner: ds,
      ownerRef: newControllerRef(ds, DS_KIND.apiVersion, DS_KIND.kind),
      matches: (p) => matchesLabelSelector(ds.spec?.selector, p.metadata?.labels ?? {}),
    });
  }

  /** Daemon pods by the node they run on or are pinned to; terminal pods being deleted are left out unless asked for. */
  async #nodesToDaemonPods(ds: DaemonSetObject, includeDeletedTerminal: boolean): Promise<Map<string, PodObject[]>> {
    const out = new Map<string, PodObject[]>();
    for (const pod of await this.#daemonPods(ds)) {
      if (!includeDeletedTerminal && isPodTerminal(pod) && pod.metadata?.deletionTimestamp) continue;
      const node = targetNodeName(pod);
      if (node === undefined) continue;
      const list = out.get(node);
      if (list) list.push(pod);
      else out.set(node, [pod]);
    }
    return out;
  }

  async #manage(ds: DaemonSetObject, nodes: NodeObject[], hash: string): Promise<void> {
    const nodeToPods = await this.#nodesToDaemonPods(ds, false);
    const create: string[] = [];
    const del: string[] = [];
    for (const node of nodes) {
      const r = this.#podsShouldBeOnNode(node, nodeToPods, ds, hash);
      create.push(...r.create);
      del.push(...r.del);
    }
    // Pods pinned to a node that is gone were never scheduled, so the pod GC will not find them.
    const names = new Set(nodes.map((n) => n.metadata?.name));
    for (const [node, pods] of nodeToPods) {
      if (names.has(node)) continue;
      for (const p of pods) if (!p.spec?.nodeName) del.push(p.metadata!.name!);
    }
    await this.#syncNodes(ds, del, create, hash);
  }

  #podsShouldBeOnNode(node: NodeObject, nodeToPods: Map<string, PodObject[]>, ds: DaemonSetObject, hash: string): { create: string[]; del: string[] } {
    const name = node.metadata!.name!;
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
    const pods = nodeToPods.get(name);
    const create: string[] = [];
    const del: string[] = [];
    if (shouldRun && !pods) {
      create.push(name);
    } else if (shouldContinueRunning) {
      const running: PodObject[] = [];
      for (const pod of pods ?? []) {
        if (pod.metadata?.deletionTimestamp) continue;
        const phase = pod.status?.phase;
        if (phase === 'Failed') {
          // Daemon pods a kubelet keeps rejecting would otherwise be recreated in a hot loop.
          const key = `${ds.metadata?.uid}/${ds.status?.observedGeneration ?? 0}/${name}`;
          const now = this.now();
          if (this.#backoff.inBackoffSinceUpdate(key, now)) {
            this.#enqueue(ds, this.#backoff.delay(key));
            continue;
          }
          this.#backoff.next(key, now);
          this.#event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${pod.metadata?.namespace}/${pod.metadata?.name} on node ${name}, will try to kill it`);
          del.push(pod.metadata!.name!);
        } else if (phase === 'Succeeded') {
          this.#event(ds, 'Normal', 'SucceededDaemonPod', `Found succeeded daemon pod ${pod.metadata?.namespace}/${pod.metadata?.name} on node ${name}, will try to delete it`);
          del.push(pod.metadata!.name!);
        } else {
          running.push(pod);
        }
      }
      running.sort(compareDaemonPods);
      if (!allowsSurge(ds)) {
        // Without surge one pod per node: keep the oldest.
        for (const extra of running.slice(1)) del.push(extra.metadata!.name!);
      } else if (running.length === 0) {
        if (shouldRun) create.push(name);
      } else if (running.length > 1) {
        // With surge an old and a new pod may overlap until the new one is available.
        let oldestNew: PodObject | undefined;
        let oldestOld: PodObject | undefined;
        for (const pod of running) {
          const updated = pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash;
          if (updated && !oldestNew) oldestNew = pod;
          else if (!updated && !oldestOld) oldestOld = pod;
          else del.push(pod.metadata!.name!);
        }
        if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec?.minReadySeconds ?? 0, this.now()))) del.push(oldestOld.metadata!.name!);
      }
    } else if (pods) {
      for (const pod of pods) if (!pod.metadata?.deletionTimestamp) del.push(pod.metadata!.name!);
    }
    return { create, del };
  }

  /** Creates pods for `nodes` (slow start: batches of 1, 2, 4, …) and deletes `podsToDelete`, with expectations. */
  async #syncNodes(ds: DaemonSetObject, podsToDelete: string[], nodes: string[], hash: string): Promise<void> {
    const key = objectKey(ds);
    const createDiff = Math.min(nodes.length, BURST_REPLICAS);
    const deleteDiff = Math.min(podsToDelete.length, BURST_REPLICAS);
    this.#expectations.setExpectations(key, createDiff, deleteDiff);
    const errors: unknown[] = [];
    const template = daemonPodTemplate(ds.spec!.template, templateGeneration(ds), hash);
    for (let pos = 0, batch = Math.min(createDiff, 1); pos < createDiff; pos += batch, batch = Math.min(2 * batch, createDiff - pos)) {
      const before = errors.length;
      await Promise.all(
        nodes.slice(pos, pos + batch).map(async (node) => {
          const tpl = JSON.parse(JSON.stringify(template)) as PodTemplateSpec;
          tpl.spec!.affinity = pinToNode(tpl.spec!.affinity, node);
          try {
            await this.#createPod(ds, tpl);
          } catch (err) {
            if (namespaceTerminating(err)) return;
            this.#expectations.creationObserved(key);
            errors.push(err);
          }
        }),
      );
      const skipped = createDiff - (pos + batch);
      if (errors.length > before && skipped > 0) {
        // The rest would likely fail the same way; the next sync tries again.
        for (let i = 0; i < skipped; i++) this.#expectations.creationObserved(key);
        break;
      }
    }
    await Promise.all(
      podsToDelete.slice(0, deleteDiff).map(async (name) => {
        try {
          await this.#deletePod(ds, name);
        } catch (err) {
          this.#expectations.deletionObserved(key);
          if (!isNotFound(err)) errors.push(err);
        }
      }),
    );
    if (errors.length) throw new DaemonSetSyncError(`${errors.length} pod operation(s) failed for DaemonSet ${key}: ${errors.map(errorMessage).join('; ')}`, { cause: errors[0] });
  }

  async #createPod(ds: DaemonSetObject, template: PodTemplateSpec): Promise<void> {
    if (Object.keys(template.metadata?.labels ?? {}).length === 0) throw new DaemonSetSyncError('unable to create pods, no labels');
    const ns = ds.metadata!.namespace!;
    const pod = podFromTemplate(template, ns, newControllerRef(ds, DS_KIND.apiVersion, DS_KIND.kind), { generateName: `${ds.metadata!.name}-` });
    let created: Pod;
    try {
      created = await this.client.create<PodObject>(PODS, ns, pod as PodObject, { fieldManager: FIELD_MANAGER });
    } catch (err) {
      if (!namespaceTerminating(err)) this.#event(ds, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
      throw err;
    }
    this.#event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name}`);
  }

  async #deletePod(ds: DaemonSetObject, name: string): Promise<void> {
    try {
      await this.client.delete(PODS, ds.metadata!.namespace, name);
    } catch (err) {
      if (isNotFound(err)) throw err;
      this.#event(ds, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`);
      throw new DaemonSetSyncError(`unable to delete pods: ${errorMessage(err)}`, { cause: err });
    }
    this.#event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
  }

  /** The surge and unavailability budgets for the nodes that want a pod; such nodes get an entry in `nodeToPods`. */
  #desiredNodeCounts(ds: DaemonSetObject, nodes: NodeObject[], nodeToPods: Map<string, PodObject[]>): { maxSurge: number; maxUnavailable: number; desired: number } {
    let desired = 0;
    for (const node of nodes) {
      if (!nodeShouldRunDaemonPod(node, ds).shouldRun) continue;
      desired++;
      if (!nodeToPods.has(node.metadata!.name!)) nodeToPods.set(node.metadata!.name!, []);
    }
    let maxUnavailable = unavailableCount(ds, desired);
    const maxSurge = surgeCount(ds, desired);
    // An impossible configuration falls back to one unavailable pod at a time.
    if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
    return { maxSurge, maxUnavailable, desired };
  }

  async #rollingUpdate(ds: DaemonSetObject, nodes: NodeObject[], hash: string): Promise<void> {
    const nodeToPods = await this.#nodesToDaemonPods(ds, false);
    const { maxSurge, maxUnavailable, desired } = this.#desiredNodeCounts(ds, nodes, nodeToPods);
    const now = this.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const available = (p: Pod) => isPodAvailable(p, minReady, now);
    const generation = templateGeneration(ds);
    const nodeNames = [...nodeToPods.keys()].sort();

    if (maxSurge === 0) {
      // Delete old pods while the unavailable count allows; the manage loop creates their replacements.
      let numUnavailable = 0;
      const replacements: string[] = [];
      const candidates: string[] = [];
      for (const nodeName of nodeNames) {
        const found = findUpdatedPodsOnNode(nodeToPods.get(nodeName)!, hash, generation);
        if (!found) {
          numUnavailable++;
          continue;
        }
        const { newPod, oldPod } = found;
        if ((!oldPod && !newPod) || (oldPod && newPod)) numUnavailable++;
        else if (newPod) {
          if (!available(newPod)) numUnavailable++;
        } else if (oldPod) {
          if (!available(oldPod)) {
            replacements.push(oldPod.metadata!.name!);
            numUnavailable++;
          } else if (numUnavailable < maxUnavailable) {
            candidates.push(oldPod.metadata!.name!);
          }
        }
      }
      const remaining = Math.min(Math.max(maxUnavailable - numUnavailable, 0), candidates.length);
      await this.#syncNodes(ds, [...replacements, ...candidates.slice(0, remaining)], [], hash);
      return;
    }

    // Surge: start new pods beside old ones, delete an old pod once its replacement is available.
    const oldPodsToDelete: string[] = [];
    const shouldNotRunToDelete: string[] = [];
    const candidateNodes: string[] = [];
    const allowedNodes: string[] = [];
    let numSurge = 0;
    let numAvailable = 0;
    for (const nodeName of nodeNames) {
      const found = findUpdatedPodsOnNode(nodeToPods.get(nodeName)!, hash, generation);
      if (!found) {
        numSurge++;
        continue;
      }
      const { newPod, oldPod } = found;
      if (oldPod ? available(oldPod) : newPod ? available(newPod) : false) numAvailable++;
      if (!oldPod) continue;
      if (!newPod) {
        const node = this.#nodes.lister.get(nodeName);
        if (!node) throw new DaemonSetSyncError(`couldn't get node for nodeName "${nodeName}"`);
        const shouldRun = nodeShouldRunDaemonPod(node, ds).shouldRun;
        if (!available(oldPod)) {
          if (!shouldRun) oldPodsToDelete.push(oldPod.metadata!.name!);
          else allowedNodes.push(nodeName);
        } else if (!shouldRun) {
          shouldNotRunToDelete.push(oldPod.metadata!.name!);
        } else if (numSurge < maxSurge) {
          candidateNodes.push(nodeName);
        }
        continue;
      }
      if (!available(newPod)) {
        numSurge++;
        continue;
      }
      oldPodsToDelete.push(oldPod.metadata!.name!);
    }
    // Pods on nodes the DaemonSet no longer fits go only while enough others are available.
    const deletable = Math.min(numAvailable - desired, shouldNotRunToDelete.length);
    if (deletable > 0) oldPodsToDelete.push(...shouldNotRunToDelete.slice(0, deletable));
    const remainingSurge = Math.min(Math.max(maxSurge - numSurge, 0), candidateNodes.length);
    await this.#syncNodes(ds, oldPodsToDelete, [...allowedNodes, ...candidateNodes.slice(0, remainingSurge)], hash);
  }

  async #updateStatus(ds: DaemonSetObject, nodes: NodeObject[], hash: string, updateObservedGeneration: boolean): Promise<void> {
    const nodeToPods = await this.#nodesToDaemonPods(ds, false);
    const now = this.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const generation = templateGeneration(ds);
    let desired = 0;
    let current = 0;
    let misscheduled = 0;
    let ready = 0;
    let updated = 0;
    let available = 0;
    for (const node of nodes) {
      const pods = nodeToPods.get(node.metadata!.name!) ?? [];
      if (nodeShouldRunDaemonPod(node, ds).shouldRun) {
        desired++;
        if (pods.length === 0) continue;
        current++;
        const pod = [...pods].sort(compareDaemonPods)[0]!;
        if (isPodReady(pod)) {
          ready++;
          if (isPodAvailable(pod, minReady, now)) available++;
        }
        if (isPodUpdated(pod, hash, generation)) updated++;
      } else if (pods.length > 0) {
        misscheduled++;
      }
    }
    const counts = {
      desiredNumberScheduled: desired,
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      numberReady: ready,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      numberUnavailable: desired - available,
    };
    await this.#storeStatus(ds, counts, updateObservedGeneration);
    // A last look once minReadySeconds have passed, in case no pod event comes.
    if (minReady > 0 && ready !== available) this.#enqueue(ds, minReady * 1000);
  }

  async #storeStatus(ds: DaemonSetObject, counts: Record<string, number>, updateObservedGeneration: boolean): Promise<void> {
    const old = (ds.status ?? {}) as Record<string, unknown>;
    const unchanged = Object.entries(counts).every(([k, v]) => (old[k] ?? 0) === v) && (ds.status?.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 0);
    if (unchanged) return;
    let target: DaemonSetObject = ds;
    for (let attempt = 0; ; attempt++) {
      const status = { ...target.status, ...counts } as NonNullable<DaemonSetObject['status']>;
      if (updateObservedGeneration) status.observedGeneration = ds.metadata?.generation ?? 0;
      const next: DaemonSetObject = { ...target, status };
      try {
        await this.client.updateStatus(DAEMON_SETS, ds.metadata!.namespace, next, { fieldManager: FIELD_MANAGER });
        return;
      } catch (err) {
        if (attempt >= 1) throw err;
        target = await this.client.get<DaemonSetObject>(DAEMON_SETS, ds.metadata!.namespace, ds.metadata!.name!);
      }
    }
  }

  // --- history ---------------------------------------------------------------------------------------------------

  async #controlledRevisions(ds: DaemonSetObject): Promise<Revision[]> {
    const ns = ds.metadata?.namespace;
    const revisions = this.#revisions.lister.list((r) => r.metadata?.namespace === ns);
    return claimObjects(revisions, {
      client: this.client,
      gvr: CONTROLLER_REVISIONS,
      owner: ds,
      ownerRef: newControllerRef(ds, DS_KIND.apiVersion, DS_KIND.kind),
      matches: (r) => matchesLabelSelector(ds.spec?.selector, r.metadata?.labels ?? {}),
    });
  }

  /** The revision of the current template (made if missing, renumbered to be newest) and all the others. */
  async #constructHistory(ds: DaemonSetObject): Promise<{ cur: Revision; old: Revision[] }> {
    const patch = templatePatch(ds.spec?.template);
    const current: Revision[] = [];
    const old: Revision[] = [];
    for (let rev of await this.#controlledRevisions(ds)) {
      if (rev.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === undefined) {
        // Older revisions are labelled with their name, which needs no hashing.
        const labels = { ...rev.metadata?.labels, [CONTROLLER_REVISION_HASH_LABEL]: rev.metadata!.name! };
        rev = await this.client.update<Revision>(CONTROLLER_REVISIONS, rev.metadata!.namespace, { ...rev, metadata: { ...rev.metadata, labels } }, { fieldManager: FIELD_MANAGER });
      }
      if (revisionData(rev) === patch) current.push(rev);
      else old.push(rev);
    }
    const nextRevision = old.reduce((max, r) => Math.max(max, r.revision), 0) + 1;
    let cur: Revision;
    if (current.length === 0) {
      cur = await this.#snapshot(ds, nextRevision, patch);
    } else {
      cur = await this.#dedupCurrent(ds, current);
      if (cur.revision < nextRevision) {
        cur = await this.client.update<Revision>(CONTROLLER_REVISIONS, cur.metadata!.namespace, { ...cur, revision: nextRevision }, { fieldManager: FIELD_MANAGER });
      }
    }
    return { cur, old };
  }

  async #snapshot(ds: DaemonSetObject, revision: number, patch: string): Promise<Revision> {
    const collisionCount = ds.status?.collisionCount;
    const hash = computeTemplateHash(ds.spec?.template, collisionCount);
    const ns = ds.metadata!.namespace!;
    const name = `${ds.metadata!.name}-${hash}`;
    const rev: Revision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name,
        namespace: ns,
        labels: { ...ds.spec?.template.metadata?.labels, [CONTROLLER_REVISION_HASH_LABEL]: hash },
        ...(ds.metadata?.annotations ? { annotations: { ...ds.metadata.annotations } } : {}),
        ownerReferences: [newControllerRef(ds, DS_KIND.apiVersion, DS_KIND.kind)],
      },
      data: JSON.parse(patch) as object,
      revision,
    };
    try {
      return await this.client.create<Revision>(CONTROLLER_REVISIONS, ns, rev, { fieldManager: FIELD_MANAGER });
    } catch (err) {
      if (!(err instanceof ApiError) || err.reason !== 'AlreadyExists') throw err;
      const existing = await this.client.get<Revision>(CONTROLLER_REVISIONS, ns, name);
      if (revisionData(existing) === patch) return existing;
      // Another template hashed to this name: bump collisionCount so the next try hashes differently.
      const fresh = await this.client.get<DaemonSetObject>(DAEMON_SETS, ns, ds.metadata!.name!);
      if (fresh.status?.collisionCount !== collisionCount) {
        throw new StaleCollisionCountError(
          `found a stale collision count (${collisionCount ?? 0}, expected ${fresh.status?.collisionCount ?? 0}) of DaemonSet "${ds.metadata!.name}" while processing; will retry until it is updated`,
        );
      }
      const bumped: DaemonSetObject = { ...fresh, status: { ...fresh.status!, collisionCount: (fresh.status?.collisionCount ?? 0) + 1 } };
      await this.client.updateStatus(DAEMON_SETS, ns, bumped, { fieldManager: FIELD_MANAGER });
      throw err;
    }
  }

  /** Several revisions of the current template: keep the newest, move pods over to its hash, delete the rest. */
  async #dedupCurrent(ds: DaemonSetObject, current: Revision[]): Promise<Revision> {
    if (current.length === 1) return current[0]!;
    const keep = current.reduce((a, b) => (b.revision > a.revision ? b : a));
    const keepHash = keep.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
    const pods = await this.#daemonPods(ds);
    for (const dup of current) {
      if (dup === keep) continue;
      const dupHash = dup.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
      for (const pod of pods) {
        if (pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] !== dupHash) continue;
        await this.client.patch(PODS, pod.metadata!.namespace, pod.metadata!.name!, 'strategic', { metadata: { labels: { [CONTROLLER_REVISION_HASH_LABEL]: keepHash } } }, { fieldManager: FIELD_MANAGER });
      }
      await this.#deleteRevision(dup);
    }
    return keep;
  }

  /** Old revisions beyond revisionHistoryLimit go, oldest first, unless a pod still runs them. */
  async #cleanupHistory(ds: DaemonSetObject, old: Revision[]): Promise<void> {
    let toKill = old.length - (ds.spec?.revisionHistoryLimit ?? 10);
    if (toKill <= 0) return;
    const live = new Set<string>();
    for (const pods of (await this.#nodesToDaemonPods(ds, true)).values()) {
      for (const pod of pods) {
        const h = pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
        if (h) live.add(h);
      }
    }
    for (const rev of sortRevisions(old)) {
      if (toKill <= 0) break;
      if (live.has(rev.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '')) continue;
      await this.#deleteRevision(rev);
      toKill--;
    }
  }

  async #deleteRevision(rev: Revision): Promise<void> {
    try {
      await this.client.delete(CONTROLLER_REVISIONS, rev.metadata!.namespace, rev.metadata!.name!);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** At most one old and one new (not deleting) pod on a node; undefined when there are more, for the manage loop to prune. */
function findUpdatedPodsOnNode(pods: readonly Pod[], hash: string, generation: string | undefined): { newPod?: Pod; oldPod?: Pod } | undefined {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    if (isPodUpdated(pod, hash, generation)) {
      if (newPod) return undefined;
      newPod = pod;
    } else {
      if (oldPod) return undefined;
      oldPod = pod;
    }
  }
  return { ...(newPod ? { newPod } : {}), ...(oldPod ? { oldPod } : {}) };
}
