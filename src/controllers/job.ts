// The Job controller (upstream's 'job'): runs a Job's pods to completion. Pods carry the batch.kubernetes.io/job-tracking
// finalizer until the controller has counted them (through status.uncountedTerminatedPods); a Job that meets its
// completions gets SuccessCriteriaMet then Complete, one that fails gets FailureTarget then Failed (backoffLimit,
// activeDeadlineSeconds, podFailurePolicy). Failed pods are replaced after an exponential backoff.
import type { Job, JobCondition } from 'kubernetes-types/batch/v1.d.ts';
import type { OwnerReference } from 'kubernetes-types/meta/v1.d.ts';
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.d.ts';
import type { Client, KubeObject } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import type { EventRecorder } from '../client/events.ts';
import { objectKey, type Informer } from '../client/informer.ts';
import { ItemExponentialRateLimiter, runWorkers, WorkQueue } from '../client/workqueue.ts';
import { matchesLabelSelector } from '../api/labels.ts';
import type { Logger } from '../log.ts';
import type { Controller, ControllerContext } from './controller.ts';
import { DelayedAdds, realClock, type Clock } from './clock.ts';
import { completionIndex, firstPendingIndexes, formatIntervals, generateNameWithIndex, hasIndex, parseIntervals, sortedIndexes, totalOf, withIndexes, type Interval } from './jobindexes.ts';
import {
  activePodsForRemoval, completionsOf, countReady, DEFAULT_BACKOFF_LIMIT, ensureCondition, indexedTemplate, isIndexedJob, isPodFailed, isSuccessCriteriaMet,
  isSuspended, newCondition, onlyReplaceFailedPods, pastBackoffLimitOnFailure, podTemplateFor,
} from './jobpods.ts';
import {
  backoffRemaining, DEFAULT_POD_FAILURE_BACKOFF_MS, matchPodFailurePolicy, matchSuccessPolicy, MAX_POD_FAILURE_BACKOFF_MS, nextBackoffRecord, type BackoffRecord,
} from './jobpolicy.ts';
import {
  cloneJSON, findCondition, hasTrackingFinalizer, isJobFinished, JOB_CONTROLLER_NAME, JOB_TRACKING_FINALIZER, JOBS, parseTime, PODS, removeTrackingFinalizerPatch, rfc3339,
} from './jobutil.ts';
import {
  claimObjects, controllerRefOf, Expectations, FIELD_MANAGER, isNamespaceTerminating, isPodActive, isPodReady, isPodTerminating, newControllerRef, OwnerIndex, podFromTemplate,
} from './podcontrol.ts';

type JobObject = Job & KubeObject;
type PodObject = Pod & KubeObject;

/** Pods named in status.uncountedTerminatedPods at most, and pods created or deleted per sync at most. */
const MAX_UNCOUNTED_PODS = 500;
const MAX_POD_CREATE_DELETE_PER_SYNC = 500;
/** Parallel API calls when removing finalizers. */
const PARALLEL_CALLS = 16;

export interface JobControllerOptions {
  clock?: Clock;
  /** Delay of syncs caused by pod events and status updates (upstream's syncJobBatchPeriod). Default 1 s. */
  syncBatchPeriodMs?: number;
  /** Backoff before replacing failed pods: first delay and cap. Default 10 s and 10 min. */
  podFailureBackoffMs?: { base: number; max: number };
  workers?: number;
}

interface SyncState {
  job: Job;
  pods: Pod[];
  active: Pod[];
  finished: JobCondition | undefined;
  succeeded: number;
  failed: number;
  prevSucceededIndexes: Interval[];
  succeededIndexes: Interval[];
  newBackoff: BackoffRecord;
  expectedRmFinalizers: ReadonlySet<string>;
  uncountedSucceeded: ReadonlySet<string>;
  uncountedFailed: ReadonlySet<string>;
  terminating: number;
  ready: number;
}

export class JobController implements Controller {
  readonly #queue = new WorkQueue<string>({ rateLimiter: new ItemExponentialRateLimiter<string>(1000, 60_000) });
  readonly #orphanQueue = new WorkQueue<string>({ rateLimiter: new ItemExponentialRateLimiter<string>(1000, 60_000) });
  readonly #delays: DelayedAdds;
  readonly #jobs: Informer<JobObject>;
  readonly #pods: Informer<PodObject>;
  /** Pods by controller uid, and orphans by namespace: the candidates of a Job's claim. */
  readonly #podIndex = new OwnerIndex<PodObject>();
  readonly #expectations: Expectations;
  /** Per Job key, the pod UIDs whose tracking finalizer removal has been sent but not yet seen. */
  readonly #finalizerExpectations = new Map<string, Set<string>>();
  readonly #backoff = new Map<string, BackoffRecord>();
  readonly #batchMs: number;
  readonly #backoffMs: { base: number; max: number };
  readonly #workers: number;
  readonly clock: Clock;
  readonly client: Client;
  readonly recorder: EventRecorder;
  readonly logger: Logger;

  constructor(ctx: ControllerContext, options: JobControllerOptions = {}) {
    this.client = ctx.client;
    this.clock = options.clock ?? realClock;
    this.recorder = ctx.recorder('job-controller');
    this.logger = ctx.logger('job-controller');
    this.#delays = new DelayedAdds(this.#queue, this.clock);
    this.#expectations = new Expectations(() => this.clock.now());
    this.#batchMs = options.syncBatchPeriodMs ?? 1000;
    this.#backoffMs = options.podFailureBackoffMs ?? { base: DEFAULT_POD_FAILURE_BACKOFF_MS, max: MAX_POD_FAILURE_BACKOFF_MS };
    this.#workers = options.workers ?? 5;
    this.#jobs = ctx.informers.informer<JobObject>(JOBS);
    this.#pods = ctx.informers.informer<PodObject>(PODS);
    this.#jobs.addEventHandler({
      onAdd: (job) => this.#queue.add(objectKey(job)),
      onUpdate: (old, cur) => this.#updateJob(old, cur),
      onDelete: (job) => {
        this.#queue.add(objectKey(job));
        this.#cleanupPodFinalizers(job);
      },
    });
    this.#pods.addEventHandler({
      onAdd: (pod) => {
        this.#podIndex.set(objectKey(pod), pod);
        this.#addPod(pod);
      },
      onUpdate: (old, cur) => {
        this.#podIndex.set(objectKey(cur), cur);
        this.#updatePod(old, cur);
      },
      onDelete: (pod) => {
        this.#podIndex.remove(objectKey(pod));
        this.#deletePod(pod, true);
      },
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    await Promise.all([this.#jobs.waitForSync(signal), this.#pods.waitForSync(signal)]);
    try {
      await Promise.all([
        runWorkers(this.#queue, this.#workers, (key) => this.sync(key), signal, { onError: (key, err) => this.logger.warn('job sync failed', { job: key, error: err }) }),
        runWorkers(this.#orphanQueue, 1, (key) => this.#syncOrphanPod(key), signal, { onError: (key, err) => this.logger.warn('orphan pod sync failed', { pod: key, error: err }) }),
      ]);
    } finally {
      this.#delays.stop();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Event handlers: they only enqueue keys and note what was observed.

  #enqueueBatched(key: string): void {
    this.#delays.addAfter(key, this.#batchMs);
  }

  #resolve(namespace: string, ref: OwnerReference): Job | undefined {
    if (ref.kind !== 'Job') return undefined;
    const job = this.#jobs.lister.get(`${namespace}/${ref.name}`);
    return job && job.metadata?.uid === ref.uid ? job : undefined;
  }

  #jobsSelecting(pod: Pod): Job[] {
    const ns = pod.metadata?.namespace;
    const labels = pod.metadata?.labels ?? {};
    return this.#jobs.lister.list((j) => j.metadata?.namespace === ns && matchesLabelSelector(j.spec?.selector, labels));
  }

  #addPod(pod: PodObject): void {
    if (pod.metadata?.deletionTimestamp) return this.#deletePod(pod, false);
    const ref = controllerRefOf(pod);
    if (ref) {
      const job = this.#resolve(pod.metadata!.namespace!, ref);
      if (!job) return;
      const key = objectKey(job as JobObject);
      this.#expectations.creationObserved(key);
      this.#enqueueBatched(key);
      return;
    }
    if (hasTrackingFinalizer(pod)) this.#orphanQueue.add(objectKey(pod));
    for (const job of this.#jobsSelecting(pod)) this.#enqueueBatched(objectKey(job as JobObject));
  }

  #updatePod(old: PodObject, cur: PodObject): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    if (cur.metadata?.deletionTimestamp) return this.#deletePod(cur, false);
    const finalizerRemoved = !hasTrackingFinalizer(cur);
    const curRef = controllerRefOf(cur);
    const oldRef = controllerRefOf(old);
    const refChanged = JSON.stringify(curRef) !== JSON.stringify(oldRef);
    const ns = cur.metadata!.namespace!;
    const touch = (job: Job) => {
      const key = objectKey(job as JobObject);
      if (finalizerRemoved) this.#finalizerRemovalObserved(key, cur.metadata!.uid!);
      this.#enqueueBatched(key);
    };
    if (refChanged && oldRef) {
      const job = this.#resolve(ns, oldRef);
      if (job) touch(job);
    }
    if (curRef) {
      const job = this.#resolve(ns, curRef);
      if (job) touch(job);
      return;
    }
    if (hasTrackingFinalizer(cur)) this.#orphanQueue.add(objectKey(cur));
    if (refChanged || JSON.stringify(cur.metadata?.labels ?? {}) !== JSON.stringify(old.metadata?.labels ?? {})) {
      for (const job of this.#jobsSelecting(cur)) this.#enqueueBatched(objectKey(job as JobObject));
    }
  }

  /** `final`: the pod is gone (not only marked for deletion). */
  #deletePod(pod: PodObject, final: boolean): void {
    const ref = controllerRefOf(pod);
    const hasFinalizer = hasTrackingFinalizer(pod);
    if (!ref) {
      if (hasFinalizer) this.#orphanQueue.add(objectKey(pod));
      return;
    }
    const job = this.#resolve(pod.metadata!.namespace!, ref);
    if (!job || isJobFinished(job)) {
      if (hasFinalizer) this.#orphanQueue.add(objectKey(pod));
      return;
    }
    const key = objectKey(job as JobObject);
    this.#expectations.deletionObserved(key);
    if (final || !hasFinalizer) this.#finalizerRemovalObserved(key, pod.metadata!.uid!);
    this.#enqueueBatched(key);
  }

  #updateJob(old: JobObject, cur: JobObject): void {
    const key = objectKey(cur);
    if (cur.metadata?.generation === old.metadata?.generation) this.#enqueueBatched(key);
    else this.#queue.add(key);
    if (isJobFinished(cur)) this.#cleanupPodFinalizers(cur);
    const start = parseTime(cur.status?.startTime);
    const ads = cur.spec?.activeDeadlineSeconds;
    if (start !== undefined && ads !== undefined && ads !== old.spec?.activeDeadlineSeconds) {
      this.#delays.addAfter(key, ads * 1000 - (this.clock.now() - start));
    }
  }

  /** Pods of a finished or deleted Job still holding the tracking finalizer go to the orphan worker. */
  #cleanupPodFinalizers(job: Job): void {
    for (const pod of this.#podIndex.owned(job.metadata?.uid ?? '')) {
      if (hasTrackingFinalizer(pod) && matchesLabelSelector(job.spec?.selector, pod.metadata?.labels ?? {})) this.#orphanQueue.add(objectKey(pod));
    }
  }

  #finalizerRemovalObserved(key: string, uid: string): void {
    const set = this.#finalizerExpectations.get(key);
    set?.delete(uid);
    if (set?.size === 0) this.#finalizerExpectations.delete(key);
  }

  /** Removes the tracking finalizer from a pod no running Job counts any more. */
  async #syncOrphanPod(key: string): Promise<void> {
    const pod = this.#pods.lister.get(key);
    if (!pod) return;
    const ref = controllerRefOf(pod);
    if (ref) {
      if (ref.kind !== 'Job' || ref.apiVersion !== 'batch/v1') return;
      const job = this.#resolve(pod.metadata!.namespace!, ref);
      if (job && job.spec?.managedBy && job.spec.managedBy !== JOB_CONTROLLER_NAME) return;
      if (job && !isJobFinished(job)) return;
    }
    if (!hasTrackingFinalizer(pod)) return;
    try {
      await this.client.patch(PODS, pod.metadata!.namespace, pod.metadata!.name!, 'strategic', removeTrackingFinalizerPatch, { fieldManager: FIELD_MANAGER });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  // ------------------------------------------------------------------------------------------
  // The sync.

  async sync(key: string): Promise<void> {
    const shared = this.#jobs.lister.get(key);
    if (!shared) {
      this.#expectations.delete(key);
      this.#finalizerExpectations.delete(key);
      this.#backoff.delete(key);
      return;
    }
    if (shared.spec?.managedBy && shared.spec.managedBy !== JOB_CONTROLLER_NAME) return;
    const job = cloneJSON(shared) as Job;
    job.apiVersion = 'batch/v1';
    job.kind = 'Job';
    if (isJobFinished(job)) {
      this.#backoff.delete(key);
      return;
    }
    const mode = job.spec?.completionMode;
    if (mode && mode !== 'NonIndexed' && mode !== 'Indexed') {
      this.recorder.event(job as JobObject, 'Warning', 'UnknownCompletionMode', 'Skipped Job sync because completion mode is unknown');
      return;
    }
    const now = this.clock.now();
    const status = (job.status ??= {});
    const uncounted = (status.uncountedTerminatedPods ??= {});
    // Expectations first: a pod created after this check is seen by the next sync.
    const satisfied = this.#expectations.satisfied(key);
    const pods = await this.#podsForJob(job);
    const active = pods.filter(isPodActive);
    const s: SyncState = {
      job,
      pods,
      active,
      finished: undefined,
      succeeded: 0,
      failed: 0,
      prevSucceededIndexes: [],
      succeededIndexes: [],
      newBackoff: { failuresAfterLastSuccess: 0 },
      expectedRmFinalizers: new Set(this.#finalizerExpectations.get(key) ?? []),
      uncountedSucceeded: new Set(uncounted.succeeded ?? []),
      uncountedFailed: new Set(uncounted.failed ?? []),
      terminating: pods.filter(isPodTerminating).length,
      ready: countReady(active),
    };
    let activeCount = active.length;
    const newSucceeded = this.#newFinishedPods(s, s.uncountedSucceeded, (p) => p.status?.phase === 'Succeeded');
    const newFailed = this.#newFinishedPods(s, s.uncountedFailed, (p) => isPodFailed(p, job));
    const countedNewFailed = job.spec?.podFailurePolicy ? newFailed.filter((p) => matchPodFailurePolicy(job.spec!.podFailurePolicy, p).countFailed).length : newFailed.length;
    s.succeeded = (status.succeeded ?? 0) + newSucceeded.length + s.uncountedSucceeded.size;
    s.failed = (status.failed ?? 0) + countedNewFailed + s.uncountedFailed.size;
    if (!status.startTime && !isSuspended(job)) status.startTime = rfc3339(now);
    s.newBackoff = nextBackoffRecord(this.#backoff.get(key), newSucceeded, newFailed);

    // Has the Job met a terminal criterion? The interim conditions already written decide first.
    s.finished = findCondition(job, 'SuccessCriteriaMet')?.status === 'True' ? findCondition(job, 'SuccessCriteriaMet') : undefined;
    if (!s.finished) {
      const target = findCondition(job, 'FailureTarget');
      if (target?.status === 'True') s.finished = newCondition('Failed', 'True', target.reason ?? '', target.message ?? '', now);
      else {
        const message = this.#failJobMessage(job, pods);
        if (message !== undefined) s.finished = newCondition('FailureTarget', 'True', 'PodFailurePolicy', message, now);
      }
    }
    if (!s.finished) {
      if (s.failed > (job.spec?.backoffLimit ?? DEFAULT_BACKOFF_LIMIT) || pastBackoffLimitOnFailure(job, pods)) {
        s.finished = newCondition('FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now);
      } else if (this.#pastActiveDeadline(job, now)) {
        s.finished = newCondition('FailureTarget', 'True', 'DeadlineExceeded', 'Job was active longer than specified deadline', now);
      } else if (job.spec?.activeDeadlineSeconds !== undefined && !isSuspended(job)) {
        this.#delays.addAfter(key, job.spec.activeDeadlineSeconds * 1000 - (now - (parseTime(status.startTime) ?? now)));
      }
    }
    if (isIndexedJob(job)) {
      const completions = completionsOf(job) ?? 0;
      s.prevSucceededIndexes = parseIntervals(status.completedIndexes, completions);
      const fresh = sortedIndexes(pods.filter((p) => p.status?.phase === 'Succeeded' && hasTrackingFinalizer(p) && completionIndex(p) < completions));
      s.succeededIndexes = withIndexes(s.prevSucceededIndexes, fresh);
      s.succeeded = totalOf(s.succeededIndexes);
      if (!s.finished) {
        const message = matchSuccessPolicy(job.spec?.successPolicy, completions, s.succeededIndexes);
        if (message !== undefined) s.finished = newCondition('SuccessCriteriaMet', 'True', 'SuccessPolicy', message, now);
      }
    }

    let manageError: unknown;
    let suspendChanged = false;
    if (s.finished) {
      // Finishing: the remaining active pods go; the Job is marked finished once they are counted and gone.
      const { deleted, deletedReady, error } = await this.#deleteActivePods(job, s.active);
      if (deleted !== activeCount || !satisfied) s.finished = undefined;
      activeCount -= deleted;
      s.terminating += deleted;
      s.ready -= deletedReady;
      manageError = error;
    } else {
      let managed = false;
      if (satisfied && !job.metadata?.deletionTimestamp) {
        ({ active: activeCount, error: manageError } = await this.#manageJob(key, job, s));
        managed = true;
      }
      const completions = completionsOf(job);
      const complete = completions === undefined ? s.succeeded > 0 && activeCount === 0 : s.succeeded >= completions && activeCount === 0;
      if (complete) {
        s.finished = newCondition('SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
      } else if (managed) {
        if (isSuspended(job)) {
          if (ensureCondition(job, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now)) {
            suspendChanged = true;
            this.recorder.event(job as JobObject, 'Normal', 'Suspended', 'Job suspended');
          }
        } else if (ensureCondition(job, 'Suspended', 'False', 'JobResumed', 'Job resumed', now)) {
          suspendChanged = true;
          this.recorder.event(job as JobObject, 'Normal', 'Resumed', 'Job resumed');
          // activeDeadlineSeconds counts time continuously active: a resumed Job starts again.
          status.startTime = rfc3339(now);
        }
      }
    }

    const needsUpdate = suspendChanged || activeCount !== (status.active ?? 0) || s.ready !== status.ready || s.terminating !== status.terminating;
    status.active = activeCount;
    status.ready = s.ready;
    status.terminating = s.terminating;
    await this.#trackStatusAndRemoveFinalizers(key, s, needsUpdate);
    if (manageError) throw manageError;
  }

  #newFinishedPods(s: SyncState, uncounted: ReadonlySet<string>, filter: (p: Pod) => boolean): Pod[] {
    const indexed = isIndexedJob(s.job);
    const completions = completionsOf(s.job) ?? 0;
    return s.pods.filter((p) => {
      const uid = p.metadata?.uid ?? '';
      if (!hasTrackingFinalizer(p) || uncounted.has(uid) || s.expectedRmFinalizers.has(uid)) return false;
      if (indexed) {
        const ix = completionIndex(p);
        if (ix < 0 || ix >= completions) return false;
      }
      return filter(p);
    });
  }

  #failJobMessage(job: Job, pods: readonly Pod[]): string | undefined {
    if (!job.spec?.podFailurePolicy) return undefined;
    for (const p of pods) {
      if (!isPodFailed(p, job)) continue;
      const message = matchPodFailurePolicy(job.spec.podFailurePolicy, p).failJobMessage;
      if (message !== undefined) return message;
    }
    return undefined;
  }

  #pastActiveDeadline(job: Job, now: number): boolean {
    const ads = job.spec?.activeDeadlineSeconds;
    const start = parseTime(job.status?.startTime);
    if (ads === undefined || start === undefined || isSuspended(job)) return false;
    return now - start >= ads * 1000;
  }

  /** The pods this Job owns: claimed by selector and controller reference; adopted ones get the tracking finalizer. */
  async #podsForJob(job: Job): Promise<Pod[]> {
    const ns = job.metadata!.namespace!;
    const uid = job.metadata!.uid!;
    // Only its own pods and orphans can be claimed; pods of other controllers are never candidates.
    const candidates = [...this.#podIndex.owned(uid).filter((p) => p.metadata?.namespace === ns), ...this.#podIndex.orphans(ns)];
    const claimed = await claimObjects<PodObject>(candidates, {
      client: this.client,
      gvr: PODS,
      owner: job as JobObject,
      ownerRef: newControllerRef(job as JobObject, 'batch/v1', 'Job'),
      matches: (p) => matchesLabelSelector(job.spec?.selector, p.metadata?.labels ?? {}),
      finalizers: [JOB_TRACKING_FINALIZER],
    });
    return claimed.map((p) => {
      const adopted = !(p.metadata?.ownerReferences ?? []).some((r) => r.uid === uid);
      if (!adopted || hasTrackingFinalizer(p)) return p;
      const copy = cloneJSON(p);
      copy.metadata!.finalizers = [...(copy.metadata!.finalizers ?? []), JOB_TRACKING_FINALIZER];
      return copy;
    });
  }

  /** Creates or deletes pods towards parallelism and completions; answers the active count and any failure. */
  async #manageJob(key: string, job: Job, s: SyncState): Promise<{ active: number; error?: unknown }> {
    let active = s.active.length;
    const parallelism = job.spec?.parallelism ?? 1;
    if (isSuspended(job)) {
      const toDelete = activePodsForRemoval(job, s.active, active);
      this.#expectations.expectDeletions(key, toDelete.length);
      const { deleted, deletedReady, error } = await this.#deleteJobPods(key, job, toDelete);
      active -= deleted;
      s.terminating += deleted;
      s.ready -= deletedReady;
      return { active, error };
    }
    const completions = completionsOf(job);
    let wantActive: number;
    if (completions === undefined) wantActive = s.succeeded > 0 ? active : parallelism;
    else wantActive = Math.max(0, Math.min(completions - s.succeeded, parallelism));

    const toDelete = activePodsForRemoval(job, s.active, Math.max(0, active - wantActive)).slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
    if (toDelete.length) {
      // A sync either deletes or creates; deletion first.
      this.#expectations.expectDeletions(key, toDelete.length);
      const { deleted, deletedReady, error } = await this.#deleteJobPods(key, job, toDelete);
      active -= deleted;
      s.terminating += deleted;
      s.ready -= deletedReady;
      return { active, error };
    }

    const terminating = onlyReplaceFailedPods(job) ? s.terminating : 0;
    let diff = wantActive - terminating - active;
    if (diff <= 0) return { active };
    const remaining = backoffRemaining(s.newBackoff, this.clock.now(), this.#backoffMs.base, this.#backoffMs.max);
    if (remaining > 0) {
      // Upstream reports 0 active while backing off; the pods that run are still counted here.
      this.#delays.addAfter(key, Math.max(remaining, this.#batchMs));
      return { active };
    }
    diff = Math.min(diff, MAX_POD_CREATE_DELETE_PER_SYNC);
    let indexes: number[] = [];
    if (isIndexedJob(job)) {
      let taken = withIndexes(s.succeededIndexes, sortedIndexes(s.active));
      if (onlyReplaceFailedPods(job)) taken = withIndexes(taken, sortedIndexes(s.pods.filter(isPodTerminating)));
      indexes = firstPendingIndexes(taken, diff, completions ?? 0);
      diff = indexes.length;
    }
    if (diff <= 0) return { active };
    this.#expectations.expectCreations(key, diff);
    active += diff;
    const template = podTemplateFor(job);
    const ref = newControllerRef(job as JobObject, 'batch/v1', 'Job');
    const errors: unknown[] = [];
    // Slow start: batches of 1, 2, 4… so a Job that cannot create pods (quota) does not flood the API server.
    let remainingToCreate = diff;
    for (let batch = Math.min(remainingToCreate, 1); remainingToCreate > 0; batch = Math.min(2 * batch, remainingToCreate)) {
      const before = errors.length;
      const batchIndexes = indexes.splice(0, batch);
      await Promise.all(
        Array.from({ length: batch }, async (_, i) => {
          const ix = batchIndexes[i];
          const podTemplate = ix === undefined ? template : indexedTemplate(template, job.metadata!.name!, ix);
          const generateName = ix === undefined ? `${job.metadata!.name}-` : generateNameWithIndex(job.metadata!.name!, ix);
          try {
            await this.#createPod(job, podTemplate, ref, generateName);
          } catch (err) {
            this.#expectations.creationObserved(key);
            active--;
            if (!isNamespaceTerminating(err)) errors.push(err);
          }
        }),
      );
      remainingToCreate -= batch;
      if (errors.length > before && remainingToCreate > 0) {
        // The pods not tried are not expected either; the next sync tries again.
        active -= remainingToCreate;
        for (let i = 0; i < remainingToCreate; i++) this.#expectations.creationObserved(key);
        break;
      }
    }
    return { active, error: errors[0] };
  }

  async #createPod(job: Job, template: PodTemplateSpec, ref: OwnerReference, generateName: string): Promise<void> {
    const pod = podFromTemplate(template, job.metadata!.namespace!, ref, { generateName });
    try {
      const created = await this.client.create(PODS, job.metadata!.namespace, pod as PodObject, { fieldManager: FIELD_MANAGER });
      this.recorder.event(job as JobObject, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name}`);
    } catch (err) {
      if (!isNamespaceTerminating(err)) this.recorder.event(job as JobObject, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
      throw err;
    }
  }

  async #deletePodWithEvent(job: Job, pod: Pod): Promise<void> {
    try {
      await this.client.delete(PODS, pod.metadata!.namespace, pod.metadata!.name!);
      this.recorder.event(job as JobObject, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata!.name}`);
    } catch (err) {
      if (isNotFound(err)) throw err;
      this.recorder.event(job as JobObject, 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
      throw err;
    }
  }

  /** Deletes the active pods of a finishing Job, keeping their finalizers (the tracking removes them). */
  async #deleteActivePods(job: Job, pods: readonly Pod[]): Promise<{ deleted: number; deletedReady: number; error?: unknown }> {
    let deleted = 0;
    let deletedReady = 0;
    let error: unknown;
    await inParallel(pods, async (pod) => {
      try {
        await this.#deletePodWithEvent(job, pod);
      } catch (err) {
        if (!isNotFound(err)) {
          error ??= err;
          return;
        }
      }
      deleted++;
      if (isPodReady(pod)) deletedReady++;
    });
    return error === undefined ? { deleted, deletedReady } : { deleted, deletedReady, error };
  }

  /** Deletes pods the Job no longer wants: the finalizer comes off first, as they will not be counted. */
  async #deleteJobPods(key: string, job: Job, pods: readonly Pod[]): Promise<{ deleted: number; deletedReady: number; error?: unknown }> {
    let deleted = 0;
    let deletedReady = 0;
    let error: unknown;
    await inParallel(pods, async (pod) => {
      try {
        if (hasTrackingFinalizer(pod)) await this.client.patch(PODS, pod.metadata!.namespace, pod.metadata!.name!, 'strategic', removeTrackingFinalizerPatch, { fieldManager: FIELD_MANAGER });
        await this.#deletePodWithEvent(job, pod);
      } catch (err) {
        // The informer will not see this deletion.
        this.#expectations.deletionObserved(key);
        if (!isNotFound(err)) {
          error ??= err;
          return;
        }
      }
      deleted++;
      if (isPodReady(pod)) deletedReady++;
    });
    return error === undefined ? { deleted, deletedReady } : { deleted, deletedReady, error };
  }

  // ------------------------------------------------------------------------------------------
  // Tracking finished pods: uncounted first, finalizer off, then counted; then the terminal condition.

  #canRemoveFinalizer(s: SyncState, pod: Pod, considerFailed: boolean): boolean {
    return !!s.job.metadata?.deletionTimestamp || s.finished !== undefined || pod.status?.phase === 'Succeeded' || considerFailed;
  }

  async #trackStatusAndRemoveFinalizers(key: string, s: SyncState, needsFlushIn: boolean): Promise<void> {
    let needsFlush = needsFlushIn;
    let job = s.job;
    const status = job.status!;
    const uncounted = status.uncountedTerminatedPods!;
    const indexed = isIndexedJob(job);
    const completions = completionsOf(job) ?? 0;
    const pods = indexed ? [...s.pods].sort((a, b) => completionIndex(a) - completionIndex(b)) : s.pods;
    const withFinalizer = new Set<string>();
    for (const p of pods) if (hasTrackingFinalizer(p) && !s.expectedRmFinalizers.has(p.metadata!.uid!)) withFinalizer.add(p.metadata!.uid!);
    if (countUncountedWithoutFinalizers(status, withFinalizer)) needsFlush = true;

    const toRemove: Pod[] = [];
    const newSucceededIndexes: number[] = [];
    let reachedMax = false;
    for (const pod of pods) {
      const uid = pod.metadata!.uid!;
      if (!hasTrackingFinalizer(pod) || s.expectedRmFinalizers.has(uid)) continue;
      const considerFailed = isPodFailed(pod, job);
      if (!this.#canRemoveFinalizer(s, pod, considerFailed)) continue;
      toRemove.push(pod);
      if (pod.status?.phase === 'Succeeded' && !s.uncountedFailed.has(uid)) {
        if (indexed) {
          const ix = completionIndex(pod);
          if (ix >= 0 && ix < completions && !hasIndex(s.prevSucceededIndexes, ix)) {
            newSucceededIndexes.push(ix);
            needsFlush = true;
          }
        } else if (!s.uncountedSucceeded.has(uid)) {
          (uncounted.succeeded ??= []).push(uid);
          needsFlush = true;
        }
      } else if (considerFailed || (s.finished && !isSuccessCriteriaMet(s.finished))) {
        // A finishing Job counts every pod that did not succeed as failed.
        const ix = completionIndex(pod);
        if (!s.uncountedFailed.has(uid) && (!indexed || (ix >= 0 && ix < completions))) {
          if (!job.spec?.podFailurePolicy || matchPodFailurePolicy(job.spec.podFailurePolicy, pod).countFailed) {
            (uncounted.failed ??= []).push(uid);
            needsFlush = true;
          }
        }
      }
      if (newSucceededIndexes.length + (uncounted.succeeded?.length ?? 0) + (uncounted.failed?.length ?? 0) >= MAX_UNCOUNTED_PODS) {
        reachedMax = true;
        break;
      }
    }
    if (indexed) {
      s.succeededIndexes = withIndexes(s.succeededIndexes, newSucceededIndexes);
      const text = formatIntervals(s.succeededIndexes);
      if (text !== (status.completedIndexes ?? '')) needsFlush = true;
      status.succeeded = totalOf(s.succeededIndexes);
      if (text) status.completedIndexes = text;
      else delete status.completedIndexes;
    }
    const now = this.clock.now();
    if (s.finished?.type === 'FailureTarget') {
      // The reason is written before the finalizers go, so it survives a restart.
      (status.conditions ??= []).push(s.finished);
      needsFlush = true;
      s.finished = newCondition('Failed', 'True', s.finished.reason ?? '', s.finished.message ?? '', now);
    }
    if (isSuccessCriteriaMet(s.finished)) {
      if (findCondition(job, 'SuccessCriteriaMet')?.status !== 'True') {
        (status.conditions ??= []).push(s.finished!);
        needsFlush = true;
      }
      s.finished = newCondition('Complete', 'True', s.finished!.reason ?? '', s.finished!.message ?? '', now);
    }

    // Flush the uncounted UIDs, take the finalizers off, then count the pods whose finalizer went.
    if (needsFlush) {
      job = await this.#updateStatus(job);
      this.#backoff.set(key, s.newBackoff);
      needsFlush = false;
    }
    let removeError: unknown;
    if (toRemove.length) {
      const removed = await this.#removeTrackingFinalizers(key, toRemove);
      for (const [i, p] of toRemove.entries()) if (removed.ok[i]) withFinalizer.delete(p.metadata!.uid!);
      removeError = removed.error;
    }
    if (countUncountedWithoutFinalizers(job.status!, withFinalizer)) needsFlush = true;
    if (removeError !== undefined) {
      if (needsFlush) await this.#updateStatus(job);
      throw removeError;
    }
    s.job = job;
    const finished = !reachedMax && this.#enactFinished(s);
    if (finished) needsFlush = true;
    if (needsFlush) {
      s.job = await this.#updateStatus(s.job);
      if (finished) this.#recordFinished(s.job, s.finished!);
    }
  }

  /** Writes the terminal condition once every pod is counted and none is terminating. */
  #enactFinished(s: SyncState): boolean {
    const finished = s.finished;
    if (!finished) return false;
    const uncounted = s.job.status?.uncountedTerminatedPods;
    if ((uncounted?.succeeded?.length ?? 0) + (uncounted?.failed?.length ?? 0) > 0) return false;
    if (s.terminating > 0) return false;
    ensureCondition(s.job, finished.type, 'True', finished.reason ?? '', finished.message ?? '', this.clock.now());
    if (finished.type === 'Complete') s.job.status!.completionTime = findCondition(s.job, 'Complete')!.lastTransitionTime!;
    return true;
  }

  #recordFinished(job: Job, cond: JobCondition): void {
    if (cond.type === 'Complete') {
      const completions = completionsOf(job);
      if (completions !== undefined && (job.status?.succeeded ?? 0) > completions) {
        this.recorder.event(job as JobObject, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
      }
      this.recorder.event(job as JobObject, 'Normal', 'Completed', 'Job completed');
    } else {
      this.recorder.event(job as JobObject, 'Warning', cond.reason ?? '', cond.message ?? '');
    }
  }

  async #removeTrackingFinalizers(key: string, pods: readonly Pod[]): Promise<{ ok: boolean[]; error?: unknown }> {
    const expected = this.#finalizerExpectations.get(key) ?? new Set<string>();
    for (const p of pods) expected.add(p.metadata!.uid!);
    this.#finalizerExpectations.set(key, expected);
    const ok = pods.map(() => false);
    let error: unknown;
    await inParallel(
      pods.map((p, i) => [p, i] as const),
      async ([pod, i]) => {
        try {
          await this.client.patch(PODS, pod.metadata!.namespace, pod.metadata!.name!, 'strategic', removeTrackingFinalizerPatch, { fieldManager: FIELD_MANAGER });
        } catch (err) {
          // No update will show the finalizer gone: stop expecting one.
          this.#finalizerRemovalObserved(key, pod.metadata!.uid!);
          if (!isNotFound(err)) {
            error ??= err;
            return;
          }
        }
        ok[i] = true;
      },
    );
    return error === undefined ? { ok } : { ok, error };
  }

  async #updateStatus(job: Job): Promise<Job> {
    const body = cloneJSON(job);
    tidyStatus(body);
    const updated = await this.client.updateStatus(JOBS, body.metadata!.namespace, body as JobObject, { fieldManager: FIELD_MANAGER });
    const out = updated as Job;
    out.apiVersion = 'batch/v1';
    out.kind = 'Job';
    out.status ??= {};
    out.status.uncountedTerminatedPods ??= {};
    return out;
  }
}

/** Moves pods whose finalizer is gone from uncountedTerminatedPods into the succeeded/failed counters. */
function countUncountedWithoutFinalizers(status: NonNullable<Job['status']>, withFinalizer: ReadonlySet<string>): boolean {
  const uncounted = (status.uncountedTerminatedPods ??= {});
  let changed = false;
  for (const field of ['succeeded', 'failed'] as const) {
    const list = uncounted[field] ?? [];
    const keep = list.filter((uid) => withFinalizer.has(uid));
    if (keep.length === list.length) continue;
    changed = true;
    status[field] = (status[field] ?? 0) + list.length - keep.length;
    if (keep.length) uncounted[field] = keep;
    else delete uncounted[field];
  }
  return changed;
}

/** Omits what upstream's omitempty leaves out: zero counters and empty uncounted lists. */
function tidyStatus(job: Job): void {
  const status = job.status;
  if (!status) return;
  for (const field of ['active', 'succeeded', 'failed'] as const) if (status[field] === 0) delete status[field];
  const uncounted = status.uncountedTerminatedPods;
  if (uncounted) for (const field of ['succeeded', 'failed'] as const) if (uncounted[field]?.length === 0) delete uncounted[field];
}

async function inParallel<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_CALLS, items.length) }, worker));
}
