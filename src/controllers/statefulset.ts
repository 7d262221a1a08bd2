// The StatefulSet controller (upstream's 'statefulset'): pods `<set>-<ordinal>` with stable hostnames and their own
// PersistentVolumeClaims, made in order and each waited for (OrderedReady) or all at once (Parallel), removed from the
// highest ordinal down, and rolled to a new template from the top ordinal to the partition.
import type { StatefulSetStatus } from 'kubernetes-types/apps/v1.d.ts';
import type { Client, KubeObject } from '../client/client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../client/errors.ts';
import type { EventRecorder } from '../client/events.ts';
import { objectKey, type Informer } from '../client/informer.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import { matchesLabelSelector } from '../api/labels.ts';
import type { Logger } from '../log.ts';
import type { Controller, ControllerContext } from './controller.ts';
import { CONTROLLER_REVISIONS, equalRevision, findEqualRevisions, nextRevision, RevisionHistory, sortRevisions, type Revision } from './history.ts';
import { claimObjects, controllerRefOf, FIELD_MANAGER, isPodReady, newControllerRef } from './podcontrol.ts';
import {
  allowsBurst,
  applyRevision,
  claimOwnerRefsFor,
  claimsFor,
  endOrdinal,
  hasStaleOwnerRef,
  hasUnexpectedController,
  identityMatches,
  inOrdinalRange,
  isClaimOwnerUpToDate,
  isCreated,
  isFailed,
  isMemberOf,
  isPending,
  isRunningAndAvailable,
  isRunningAndReady,
  isSucceeded,
  isTerminating,
  isUnavailable,
  maxUnavailableOf,
  newStatefulSetRevision,
  newVersionedStatefulSetPod,
  ordinalOf,
  podRevision,
  recount,
  replicasOf,
  startOrdinal,
  storageMatches,
  STS_KIND,
  updateIdentity,
  updateStorage,
  type ClaimObject,
  type PodObject,
  type StatefulSetObject,
} from './statefulset-util.ts';
import { PERSISTENT_VOLUME_CLAIMS as CLAIMS, PODS, STATEFULSETS as STATEFUL_SETS } from '../client/resources.ts';

/** kube-controller-manager's --concurrent-statefulset-syncs default. */
const WORKERS = 5;
const STATUS_RETRIES = 5;

export class StatefulSetSyncError extends Error {
  override name = 'StatefulSetSyncError';
}

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));
const title = (verb: string) => verb.charAt(0).toUpperCase() + verb.slice(1);

/** A step's answer: stop this round (in order mode, or on error)? */
type Step = (i: number) => Promise<boolean>;

/**
 * runForAll: in order mode one after another, stopping at the first that says so; otherwise all, in slow-start
 * batches (1, 2, 4, …) that stop at the first batch with an error.
 */
async function runForAll(count: number, step: Step, monotonic: boolean): Promise<boolean> {
  if (monotonic) {
    for (let i = 0; i < count; i++) if (await step(i)) return true;
    return false;
  }
  for (let pos = 0, batch = Math.min(count, 1); pos < count; pos += batch, batch = Math.min(2 * batch, count - pos)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, (_, j) => step(pos + j)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
  return false;
}

export interface StatefulSetControllerOptions {
  now?: () => number;
}

export class StatefulSetController implements Controller {
  readonly #queue = new WorkQueue<string>();
  readonly #sets: Informer<StatefulSetObject>;
  readonly #pods: Informer<PodObject>;
  readonly #claims: Informer<ClaimObject>;
  readonly #revisions: Informer<Revision>;
  readonly #history: RevisionHistory;
  readonly #recorder: EventRecorder;
  readonly client: Client;
  readonly logger: Logger;
  readonly now: () => number;

  constructor(ctx: ControllerContext, options: StatefulSetControllerOptions = {}) {
    this.client = ctx.client;
    this.logger = ctx.logger('statefulset-controller');
    this.#recorder = ctx.recorder('statefulset-controller');
    this.now = options.now ?? Date.now;
    this.#sets = ctx.informers.informer<StatefulSetObject>(STATEFUL_SETS);
    this.#pods = ctx.informers.informer<PodObject>(PODS);
    this.#claims = ctx.informers.informer<ClaimObject>(CLAIMS);
    this.#revisions = ctx.informers.informer<Revision>(CONTROLLER_REVISIONS);
    this.#history = new RevisionHistory(this.client, this.#revisions.lister);

    this.#sets.addEventHandler({
      onAdd: (set) => this.#enqueue(set),
      onUpdate: (_old, set) => this.#enqueue(set),
      onDelete: (set) => this.#enqueue(set),
    });
    this.#pods.addEventHandler({
      onAdd: (pod) => this.#podAdded(pod),
      onUpdate: (old, pod) => this.#podUpdated(old, pod),
      onDelete: (pod) => this.#ownerOf(pod, (set) => this.#enqueue(set)),
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    await Promise.all([this.#sets, this.#pods, this.#claims, this.#revisions].map((i) => i.waitForSync(signal)));
    await runWorkers(this.#queue, WORKERS, (key) => this.sync(key), signal, {
      onError: (key, err) => this.logger.warn('statefulset sync failed', { statefulset: key, error: err }),
    });
  }

  #enqueue(set: KubeObject, afterMs = 0): void {
    if (afterMs > 0) this.#queue.addAfter(objectKey(set), afterMs);
    else this.#queue.add(objectKey(set));
  }

  #ownerOf(obj: KubeObject, then: (set: StatefulSetObject) => void): boolean {
    const ref = controllerRefOf(obj);
    if (!ref) return false;
    if (ref.kind !== STS_KIND.kind) return true;
    const set = this.#sets.lister.get(`${obj.metadata?.namespace}/${ref.name}`);
    if (set?.metadata?.uid === ref.uid) then(set);
    return true;
  }

  #selecting(pod: PodObject): StatefulSetObject[] {
    const labels = pod.metadata?.labels ?? {};
    return this.#sets.lister.list((s) => s.metadata?.namespace === pod.metadata?.namespace && matchesLabelSelector(s.spec?.selector, labels) && hasSelectorTerms(s));
  }

  #podAdded(pod: PodObject): void {
    if (pod.metadata?.deletionTimestamp) {
      this.#ownerOf(pod, (set) => this.#enqueue(set));
      return;
    }
    if (this.#ownerOf(pod, (set) => this.#enqueue(set))) return;
    for (const set of this.#selecting(pod)) this.#enqueue(set);
  }

  #podUpdated(old: PodObject, pod: PodObject): void {
    if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
    const oldRef = controllerRefOf(old);
    const refChanged = JSON.stringify(oldRef) !== JSON.stringify(controllerRefOf(pod));
    if (refChanged && oldRef) this.#ownerOf(old, (set) => this.#enqueue(set));
    const owned = this.#ownerOf(pod, (set) => {
      this.#enqueue(set);
      const minReady = set.spec?.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(pod) && minReady > 0) this.#enqueue(set, minReady * 1000 + 1000);
    });
    if (owned) return;
    if (refChanged || JSON.stringify(old.metadata?.labels) !== JSON.stringify(pod.metadata?.labels)) for (const set of this.#selecting(pod)) this.#enqueue(set);
  }

  async sync(key: string): Promise<void> {
    const set = this.#sets.lister.get(key);
    if (!set) return;
    await this.#adoptOrphanRevisions(set);
    const pods = await this.#podsFor(set);
    const status = await this.#updateStatefulSet(set, pods);
    const minReady = set.spec?.minReadySeconds ?? 0;
    // One more look once the newest pods may have become available.
    if (minReady > 0 && status && (status.availableReplicas ?? 0) !== replicasOf(set)) this.#enqueue(set, minReady * 1000);
  }

  #event(set: StatefulSetObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.#recorder.event({ ...set, ...STS_KIND }, type, reason, message);
  }

  async #adoptOrphanRevisions(set: StatefulSetObject): Promise<void> {
    const orphans = this.#history.list(set, set.spec?.selector).filter((r) => !controllerRefOf(r));
    if (orphans.length === 0 || !hasSelectorTerms(set)) return;
    // Adopt only for the very set we listed for, not one deleted and recreated under the same name.
    const fresh = await this.client.get<StatefulSetObject>(STATEFUL_SETS, set.metadata!.namespace, set.metadata!.name!);
    if (fresh.metadata?.uid !== set.metadata?.uid || fresh.metadata?.deletionTimestamp) return;
    const ref = newControllerRef(set, STS_KIND.apiVersion, STS_KIND.kind);
    for (const rev of orphans) await this.#history.adopt(rev, ref);
  }

  /** The set's pods: those it controls and still selects by label and name, adopting matching orphans. */
  async #podsFor(set: StatefulSetObject): Promise<PodObject[]> {
    const ns = set.metadata?.namespace;
    return claimObjects(
      this.#pods.lister.list((p) => p.metadata?.namespace === ns),
      {
        client: this.client,
        gvr: PODS,
        owner: set,
        ownerRef: newControllerRef(set, STS_KIND.apiVersion, STS_KIND.kind),
        matches: (p) => hasSelectorTerms(set) && matchesLabelSelector(set.spec?.selector, p.metadata?.labels ?? {}) && isMemberOf(set, p as PodObject),
      },
    );
  }

  // --- revisions ---------------------------------------------------------------------------------------------------

  /** The current and update revisions (creating or renumbering the update one) and the collision count. */
  async #revisionsFor(set: StatefulSetObject, revisions: Revision[]): Promise<{ current: Revision; update: Revision; collisionCount: number }> {
    const collision = { value: set.status?.collisionCount ?? 0 };
    let update = newStatefulSetRevision(set, nextRevision(revisions), collision.value);
    const equal = findEqualRevisions(revisions, update);
    const latest = revisions[revisions.length - 1];
    if (equal.length > 0 && equalRevision(latest, equal[equal.length - 1])) {
      update = latest!;
    } else if (equal.length > 0) {
      // The template went back to an earlier revision: that one becomes the newest again.
      update = await this.#history.updateRevision(equal[equal.length - 1]!, update.revision);
    } else {
      update = await this.#history.create(set, update, collision);
    }
    const current = revisions.find((r) => r.metadata?.name === set.status?.currentRevision) ?? update;
    return { current, update, collisionCount: collision.value };
  }

  /** truncateHistory: revisions no pod, current or update revision uses, beyond revisionHistoryLimit, oldest first. */
  async #truncateHistory(set: StatefulSetObject, pods: PodObject[], revisions: Revision[], current: Revision | undefined, update: Revision | undefined): Promise<void> {
    const live = new Set<string>(pods.map(podRevision));
    if (current) live.add(current.metadata!.name!);
    if (update) live.add(update.metadata!.name!);
    const historic = revisions.filter((r) => !live.has(r.metadata!.name!));
    const excess = historic.length - (set.spec?.revisionHistoryLimit ?? 10);
    for (const rev of historic.slice(0, Math.max(excess, 0))) await this.#history.delete(rev);
  }

  // --- the update ----------------------------------------------------------------------------------------------------

  async #updateStatefulSet(set: StatefulSetObject, pods: PodObject[]): Promise<StatefulSetStatus | undefined> {
    const revisions = sortRevisions(this.#history.list(set, set.spec?.selector));
    let current: Revision | undefined;
    let update: Revision | undefined;
    let status: StatefulSetStatus | undefined;
    let failure: unknown;
    try {
      const r = await this.#revisionsFor(set, revisions);
      current = r.current;
      update = r.update;
      let stepError: unknown;
      try {
        status = await this.#reconcile(set, current, update, r.collisionCount, pods);
      } catch (err) {
        if (!(err instanceof PartialStatus)) throw err;
        status = err.status;
        stepError = err.cause;
      }
      try {
        await this.#writeStatus(set, status);
      } catch (err) {
        if (stepError === undefined) throw err;
        this.logger.warn('statefulset status update failed', { statefulset: objectKey(set), error: err });
      }
      if (stepError !== undefined) throw stepError;
    } catch (err) {
      failure = err;
    }
    try {
      await this.#truncateHistory(set, pods, revisions, current, update);
    } catch (err) {
      if (failure === undefined) failure = err;
    }
    if (failure !== undefined) throw failure;
    return status;
  }

  /** updateStatefulSet: create, fix and delete pods towards the target; the status to record. */
  async #reconcile(set: StatefulSetObject, currentRevision: Revision, updateRevision: Revision, collisionCount: number, pods: PodObject[]): Promise<StatefulSetStatus> {
    const currentSet = applyRevision(set, currentRevision);
    const updateSet = applyRevision(set, updateRevision);
    const current = currentRevision.metadata!.name!;
    const updateName = updateRevision.metadata!.name!;
    const minReady = set.spec?.minReadySeconds ?? 0;
    const now = this.now();
    const status: StatefulSetStatus = {
      replicas: 0,
      observedGeneration: set.metadata?.generation ?? 0,
      currentRevision: current,
      updateRevision: updateName,
      collisionCount,
    };
    recount(status, minReady, current, updateName, now, pods);

    const start = startOrdinal(set);
    const replicas: PodObject[] = new Array<PodObject>(replicasOf(set));
    const condemned: PodObject[] = [];
    for (const pod of pods) {
      if (inOrdinalRange(pod, set)) replicas[ordinalOf(pod) - start] = pod;
      else if (ordinalOf(pod) >= 0) condemned.push(pod);
    }
    for (let ord = start; ord <= endOrdinal(set); ord++) {
      if (!replicas[ord - start]) replicas[ord - start] = newVersionedStatefulSetPod(currentSet, updateSet, current, updateName, ord);
    }
    condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
    const firstUnavailable = replicas.find((p) => isUnavailable(p, minReady, now)) ?? [...condemned].reverse().find((p) => isUnavailable(p, minReady, now));

    if (set.metadata?.deletionTimestamp) return status;
    const monotonic = !allowsBurst(set);
    const finish = () => {
      recount(status, minReady, current, updateName, this.now(), replicas, condemned);
      return status;
    };
    const run = async (count: number, step: Step): Promise<boolean> => {
      try {
        return await runForAll(count, step, monotonic);
      } catch (err) {
        throw new PartialStatus(finish(), err);
      }
    };

    if (await run(replicas.length, (i) => this.#processReplica(set, updateSet, monotonic, replicas, i, now))) return finish();
    const fixClaims: Step = async (i) => {
      if (!this.#claimsMatchRetention(updateSet, condemned[i]!)) await this.#updateClaimsForRetention(updateSet, condemned[i]!);
      return false;
    };
    if (await run(condemned.length, fixClaims)) return finish();
    if (await run(condemned.length, (i) => this.#processCondemned(set, firstUnavailable, monotonic, condemned, i, now))) return finish();
    finish();

    if (set.spec?.updateStrategy?.type === 'OnDelete') return status;
    try {
      await this.#rollingUpdate(set, replicas, updateName, status, minReady, now);
    } catch (err) {
      throw new PartialStatus(status, err);
    }
    return status;
  }

  async #processReplica(set: StatefulSetObject, updateSet: StatefulSetObject, monotonic: boolean, replicas: PodObject[], i: number, now: number): Promise<boolean> {
    const pod = replicas[i]!;
    const minReady = set.spec?.minReadySeconds ?? 0;
    // Failed and succeeded pods alike are restarted: a replacement comes once this one is gone.
    if (isFailed(pod) || isSucceeded(pod)) {
      if (!pod.metadata?.deletionTimestamp) await this.#deletePod(set, pod);
      return true;
    }
    if (!isCreated(pod)) {
      if (await this.#claimIsStale(set, pod)) return true;
      await this.#createPod(set, pod);
      return monotonic;
    }
    if (isPending(pod)) await this.#createMissingClaims(set, pod);
    if (monotonic && (isTerminating(pod) || !isRunningAndReady(pod) || !isRunningAndAvailable(pod, minReady, now))) return true;
    if (identityMatches(set, pod) && storageMatches(set, pod) && this.#claimsMatchRetention(updateSet, pod)) return false;
    await this.#updatePod(updateSet, JSON.parse(JSON.stringify(pod)) as PodObject);
    return false;
  }

  async #processCondemned(set: StatefulSetObject, firstUnavailable: PodObject | undefined, monotonic: boolean, condemned: PodObject[], i: number, now: number): Promise<boolean> {
    const pod = condemned[i]!;
    if (isTerminating(pod)) return monotonic;
    const minReady = set.spec?.minReadySeconds ?? 0;
    // In order mode the highest ordinal goes only when every lower one is healthy (or it is the first unhealthy one).
    if (monotonic && pod !== firstUnavailable && (!isRunningAndReady(pod) || !isRunningAndAvailable(pod, minReady, now))) return true;
    await this.#deletePod(set, pod);
    return true;
  }

  /** The rolling update (MaxUnavailableStatefulSet, on by default in 1.35): from the top ordinal down to the partition. */
  async #rollingUpdate(set: StatefulSetObject, replicas: PodObject[], updateName: string, status: StatefulSetStatus, minReady: number, now: number): Promise<void> {
    const partition = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
    const maxUnavailable = set.spec?.updateStrategy?.rollingUpdate ? maxUnavailableOf(set) : 1;
    const unavailable = replicas.filter((p) => isUnavailable(p, minReady, now)).length;
    if (unavailable >= maxUnavailable) return;
    let toDelete = maxUnavailable - unavailable;
    for (let target = replicas.length - 1; target >= partition && toDelete > 0; target--) {
      const pod = replicas[target]!;
      if (podRevision(pod) === updateName || isTerminating(pod)) continue;
      try {
        await this.#deletePod(set, pod);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      toDelete--;
      status.currentReplicas = (status.currentReplicas ?? 0) - 1;
    }
  }

  /** updateStatefulSetStatus: finish a completed rolling update, write only what changed. */
  async #writeStatus(set: StatefulSetObject, status: StatefulSetStatus): Promise<void> {
    const replicas = replicasOf(set);
    if (set.spec?.updateStrategy?.type === 'RollingUpdate' && status.updatedReplicas === replicas && status.readyReplicas === replicas && status.replicas === replicas) {
      status.currentReplicas = status.updatedReplicas;
      status.currentRevision = status.updateRevision!;
    }
    const old = set.status;
    const n = (v: number | undefined) => v ?? 0;
    const changed =
      n(status.observedGeneration) > n(old?.observedGeneration) ||
      status.replicas !== n(old?.replicas) ||
      n(status.currentReplicas) !== n(old?.currentReplicas) ||
      n(status.readyReplicas) !== n(old?.readyReplicas) ||
      n(status.updatedReplicas) !== n(old?.updatedReplicas) ||
      (status.currentRevision ?? '') !== (old?.currentRevision ?? '') ||
      n(status.availableReplicas) !== n(old?.availableReplicas) ||
      (status.updateRevision ?? '') !== (old?.updateRevision ?? '');
    if (!changed) return;
    let target: StatefulSetObject = set;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.updateStatus(STATEFUL_SETS, set.metadata!.namespace, { ...target, status }, { fieldManager: FIELD_MANAGER });
        return;
      } catch (err) {
        if (!isConflict(err) || attempt >= STATUS_RETRIES) throw err;
        target = await this.client.get<StatefulSetObject>(STATEFUL_SETS, set.metadata!.namespace, set.metadata!.name!);
      }
    }
  }

  // --- pods and claims (upstream's StatefulPodControl) ---------------------------------------------------------------

  #recordPodEvent(verb: string, set: StatefulSetObject, pod: PodObject, err?: unknown): void {
    if (err === undefined) this.#event(set, 'Normal', `Successful${title(verb)}`, `${verb} Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} successful`);
    else this.#event(set, 'Warning', `Failed${title(verb)}`, `${verb} Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} failed error: ${errorMessage(err)}`);
  }

  #recordClaimEvent(verb: string, set: StatefulSetObject, pod: PodObject, claim: ClaimObject, err?: unknown): void {
    if (err === undefined) this.#event(set, 'Normal', `Successful${title(verb)}`, `${verb} Claim ${claim.metadata?.name} Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} success`);
    else this.#event(set, 'Warning', `Failed${title(verb)}`, `${verb} Claim ${claim.metadata?.name} for Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} failed error: ${errorMessage(err)}`);
  }

  #claim(namespace: string | undefined, name: string): ClaimObject | undefined {
    return this.#claims.lister.get(`${namespace}/${name}`);
  }

  /** Creates the pod's missing claims; a claim being deleted is an error (the pod would lose its data). */
  async #createClaims(set: StatefulSetObject, pod: PodObject): Promise<void> {
    const errors: string[] = [];
    for (const claim of claimsFor(set, pod).values()) {
      const existing = this.#claim(claim.metadata?.namespace, claim.metadata!.name!);
      if (existing) {
        if (existing.metadata?.deletionTimestamp) errors.push(`pvc ${claim.metadata!.name} is being deleted`);
        continue;
      }
      try {
        await this.client.create(CLAIMS, claim.metadata!.namespace, claim, { fieldManager: FIELD_MANAGER });
        this.#recordClaimEvent('create', set, pod, claim);
      } catch (err) {
        errors.push(`failed to create PVC ${claim.metadata!.name}: ${errorMessage(err)}`);
        if (!isAlreadyExists(err)) this.#recordClaimEvent('create', set, pod, claim, err);
      }
    }
    if (errors.length) throw new StatefulSetSyncError(errors.join(', '));
  }

  async #createPod(set: StatefulSetObject, pod: PodObject): Promise<void> {
    try {
      await this.#createClaims(set, pod);
    } catch (err) {
      this.#recordPodEvent('create', set, pod, err);
      throw err;
    }
    try {
      await this.client.create(PODS, set.metadata!.namespace, pod, { fieldManager: FIELD_MANAGER });
    } catch (err) {
      if (!isAlreadyExists(err)) this.#recordPodEvent('create', set, pod, err);
      throw err;
    }
    try {
      await this.#updateClaimsForRetention(set, pod);
    } catch (err) {
      this.#recordPodEvent('update', set, pod, err);
      throw err;
    }
    this.#recordPodEvent('create', set, pod);
  }

  async #createMissingClaims(set: StatefulSetObject, pod: PodObject): Promise<void> {
    await this.#createClaims(set, pod);
    try {
      await this.#updateClaimsForRetention(set, pod);
    } catch (err) {
      this.#recordPodEvent('update', set, pod, err);
      throw err;
    }
  }

  async #deletePod(set: StatefulSetObject, pod: PodObject): Promise<void> {
    try {
      await this.client.delete(PODS, set.metadata!.namespace, pod.metadata!.name!);
    } catch (err) {
      this.#recordPodEvent('delete', set, pod, err);
      throw err;
    }
    this.#recordPodEvent('delete', set, pod);
  }

  /** UpdateStatefulPod: restore identity, storage and claim ownership, retrying on conflicts. */
  async #updatePod(set: StatefulSetObject, pod: PodObject): Promise<void> {
    let attempted = false;
    let failure: unknown;
    for (let attempt = 0; attempt <= STATUS_RETRIES; attempt++) {
      try {
        let consistent = true;
        if (!identityMatches(set, pod)) {
          updateIdentity(set, pod);
          consistent = false;
        }
        if (!storageMatches(set, pod)) {
          updateStorage(set, pod);
          consistent = false;
          await this.#createClaims(set, pod);
        }
        if (!this.#claimsMatchRetention(set, pod)) {
          await this.#updateClaimsForRetention(set, pod);
          consistent = false;
        }
        if (consistent) return;
        attempted = true;
        await this.client.update(PODS, set.metadata!.namespace, pod, { fieldManager: FIELD_MANAGER });
        this.#recordPodEvent('update', set, pod);
        return;
      } catch (err) {
        failure = err;
        if (!isConflict(err)) break;
        pod = await this.client.get<PodObject>(PODS, set.metadata!.namespace, pod.metadata!.name!);
      }
    }
    if (attempted || failure !== undefined) this.#recordPodEvent('update', set, pod, failure);
    throw failure;
  }

  /** PodClaimIsStale: with whenScaled Delete, a claim still owned by an earlier pod of that name blocks creation. */
  async #claimIsStale(set: StatefulSetObject, pod: PodObject): Promise<boolean> {
    if ((set.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled ?? 'Retain') === 'Retain') return false;
    for (const claim of claimsFor(set, pod).values()) {
      const existing = this.#claim(claim.metadata?.namespace, claim.metadata!.name!);
      if (existing && hasStaleOwnerRef(existing, pod, { apiVersion: 'v1', kind: 'Pod' })) return true;
    }
    return false;
  }

  #claimsMatchRetention(set: StatefulSetObject, pod: PodObject): boolean {
    for (const claim of claimsFor(set, pod).values()) {
      const existing = this.#claim(claim.metadata?.namespace, claim.metadata!.name!);
      if (existing && !isClaimOwnerUpToDate(existing, set, pod)) return false;
    }
    return true;
  }

  /** UpdatePodClaimForRetentionPolicy: owner references on the pod's claims as the retention policy says. */
  async #updateClaimsForRetention(set: StatefulSetObject, pod: PodObject): Promise<void> {
    for (const claim of claimsFor(set, pod).values()) {
      const existing = this.#claim(claim.metadata?.namespace, claim.metadata!.name!);
      if (!existing) continue;
      if (hasUnexpectedController(existing, set, pod)) {
        this.#event(set, 'Warning', 'ConflictingController', `PersistentVolumeClaim ${claim.metadata!.name} has a conflicting OwnerReference that acts as a manging controller, the retention policy is ignored for this claim`);
      }
      if (isClaimOwnerUpToDate(existing, set, pod)) continue;
      const updated: ClaimObject = { ...existing, metadata: { ...existing.metadata, ownerReferences: claimOwnerRefsFor(existing, set, pod) } };
      try {
        await this.client.update(CLAIMS, existing.metadata!.namespace, updated, { fieldManager: FIELD_MANAGER });
      } catch (err) {
        throw new StatefulSetSyncError(`could not update claim ${claim.metadata!.name} for delete policy ownerRefs: ${errorMessage(err)}`, { cause: err });
      }
    }
  }
}

/** A step failed after part of the work was done: the status to record anyway, and the failure. */
class PartialStatus extends Error {
  override name = 'PartialStatus';
  constructor(
    readonly status: StatefulSetStatus,
    cause: unknown,
  ) {
    super('statefulset step failed', { cause });
  }
}

function hasSelectorTerms(set: StatefulSetObject): boolean {
  const sel = set.spec?.selector;
  return !!sel && (Object.keys(sel.matchLabels ?? {}).length > 0 || (sel.matchExpressions ?? []).length > 0);
}
