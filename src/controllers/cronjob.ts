// The CronJob controller (upstream's 'cronjob', the v2 controller): creates a Job named `<cronjob>-<minutes>` for each
// scheduled time (in spec.timeZone), honours startingDeadlineSeconds, suspend and concurrencyPolicy, keeps
// status.active / lastScheduleTime / lastSuccessfulTime, trims finished Jobs to the history limits, and requeues itself
// for the next scheduled time.
import type { CronJob, Job } from 'kubernetes-types/batch/v1.d.ts';
import type { ObjectReference } from 'kubernetes-types/core/v1.d.ts';
import type { OwnerReference } from 'kubernetes-types/meta/v1.d.ts';
import type { Client, KubeObject } from '../client/client.ts';
import { isAlreadyExists, isNotFound } from '../client/errors.ts';
import type { EventRecorder } from '../client/events.ts';
import { objectKey, splitKey, type Informer } from '../client/informer.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import type { Logger } from '../log.ts';
import type { Controller, ControllerContext } from './controller.ts';
import { isValidTimeZone, parseStandard, Zone, type Schedule } from './cronschedule.ts';
import { compareByStartTime, jobFromTemplate, jobNameFor, mostRecentScheduleTime, nextScheduleDelay } from './cronjobtimes.ts';
import { DelayedAdds, realClock, type Clock } from './clock.ts';
import { cloneJSON, CRONJOBS, finishedCondition, isJobFinished, isJobSucceeded, JOBS, parseTime, rfc3339 } from './jobutil.ts';
import { controllerRefOf, FIELD_MANAGER, isNamespaceTerminating } from './podcontrol.ts';

type CronJobObject = CronJob & KubeObject;
type JobObject = Job & KubeObject;

export interface CronJobControllerOptions {
  /** The clock schedules are read against and requeues wait on (tests move a FakeClock). */
  clock?: Clock;
  /** The zone of a schedule without spec.timeZone: upstream uses the controller manager's local zone. */
  defaultTimeZone?: string;
  workers?: number;
}

interface SyncResult {
  requeueAfter?: number;
  updateStatus: boolean;
  error?: unknown;
}

export class CronJobController implements Controller {
  readonly #queue = new WorkQueue<string>();
  readonly #delays: DelayedAdds;
  readonly #cronJobs: Informer<CronJobObject>;
  readonly #jobs: Informer<JobObject>;
  readonly #defaultZone: string;
  readonly #workers: number;
  readonly clock: Clock;
  readonly client: Client;
  readonly recorder: EventRecorder;
  readonly logger: Logger;

  constructor(ctx: ControllerContext, options: CronJobControllerOptions = {}) {
    this.client = ctx.client;
    this.clock = options.clock ?? realClock;
    this.recorder = ctx.recorder('cronjob-controller');
    this.logger = ctx.logger('cronjob-controller');
    this.#defaultZone = options.defaultTimeZone ?? 'Local';
    this.#workers = options.workers ?? 5;
    this.#delays = new DelayedAdds(this.#queue, this.clock);
    this.#cronJobs = ctx.informers.informer<CronJobObject>(CRONJOBS);
    this.#jobs = ctx.informers.informer<JobObject>(JOBS);
    this.#cronJobs.addEventHandler({
      onAdd: (cj) => this.#queue.add(objectKey(cj)),
      onUpdate: (old, cur) => this.#updateCronJob(old, cur),
      onDelete: (cj) => this.#queue.add(objectKey(cj)),
    });
    this.#jobs.addEventHandler({
      onAdd: (job) => this.#jobChanged(job),
      onUpdate: (old, cur) => {
        if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
        const oldRef = controllerRefOf(old);
        if (oldRef && JSON.stringify(oldRef) !== JSON.stringify(controllerRefOf(cur))) this.#enqueueOwner(old, oldRef);
        this.#jobChanged(cur);
      },
      onDelete: (job) => this.#jobChanged(job),
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    await Promise.all([this.#cronJobs.waitForSync(signal), this.#jobs.waitForSync(signal)]);
    try {
      await runWorkers(this.#queue, this.#workers, (key) => this.sync(key), signal, { onError: (key, err) => this.logger.warn('cronjob sync failed', { cronjob: key, error: err }) });
    } finally {
      this.#delays.stop();
    }
  }

  #jobChanged(job: JobObject): void {
    const ref = controllerRefOf(job);
    if (ref) this.#enqueueOwner(job, ref);
  }

  #enqueueOwner(job: JobObject, ref: OwnerReference): void {
    if (ref.kind !== 'CronJob') return;
    const key = `${job.metadata!.namespace}/${ref.name}`;
    if (this.#cronJobs.lister.get(key)?.metadata?.uid === ref.uid) this.#queue.add(key);
  }

  /** A new schedule or zone requeues for its next time; any other change syncs now. */
  #updateCronJob(old: CronJobObject, cur: CronJobObject): void {
    const key = objectKey(cur);
    if (old.spec?.schedule === cur.spec?.schedule && old.spec?.timeZone === cur.spec?.timeZone) return this.#queue.add(key);
    let schedule: Schedule;
    try {
      schedule = this.#parse(cur, false);
    } catch (err) {
      this.recorder.event(cur, 'Warning', 'UnParseableCronJobSchedule', `unparseable schedule for cronjob: ${cur.spec?.schedule}`);
      this.logger.debug('unparseable schedule', { cronjob: key, error: err });
      return;
    }
    const delay = nextScheduleDelay(cur, this.clock.now(), schedule);
    if (delay !== undefined) this.#delays.addAfter(key, delay);
  }

  /** Upstream's formatSchedule + cron.ParseStandard: spec.timeZone becomes the schedule's zone; TZ in the schedule is warned about. */
  #parse(cj: CronJob, warn: boolean): Schedule {
    const spec = cj.spec?.schedule ?? '';
    if (spec.includes('TZ')) {
      if (warn) {
        this.recorder.event(
          cj as CronJobObject,
          'Warning',
          'UnsupportedSchedule',
          `CRON_TZ or TZ used in schedule ${JSON.stringify(spec)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`,
        );
      }
      return parseStandard(spec, this.#defaultZone);
    }
    const tz = cj.spec?.timeZone;
    return parseStandard(tz !== undefined && isValidTimeZone(tz) ? `TZ=${tz} ${spec}` : spec, this.#defaultZone);
  }

  async sync(key: string): Promise<void> {
    const cj = this.#cronJobs.lister.get(key);
    if (!cj) return;
    const [namespace] = splitKey(key);
    // Every Job whose controller reference names this CronJob, including those no longer matching its template.
    const jobs = this.#jobs.lister.list((j) => j.metadata?.namespace === namespace && controllerRefOf(j)?.name === cj.metadata?.name);
    const copy = cloneJSON(cj) as CronJob;
    copy.apiVersion = 'batch/v1';
    copy.kind = 'CronJob';
    copy.status ??= {};
    const cleaned = await this.#cleanupFinishedJobs(copy, jobs);
    const result = await this.#syncCronJob(copy, jobs);
    if (result.error) this.logger.debug('error reconciling cronjob', { cronjob: key, error: result.error });
    if (cleaned || result.updateStatus) {
      const body = cloneJSON(copy);
      if (body.status?.active?.length === 0) delete body.status.active;
      await this.client.updateStatus(CRONJOBS, namespace, body as CronJobObject, { fieldManager: FIELD_MANAGER });
    }
    if (result.requeueAfter !== undefined) {
      this.#delays.addAfter(key, result.requeueAfter);
      return;
    }
    if (result.error) throw result.error;
  }

  async #syncCronJob(cj: CronJob, jobs: readonly Job[]): Promise<SyncResult> {
    const now = this.clock.now();
    let updateStatus = false;
    const children = new Set<string>();
    for (const j of jobs) {
      const uid = j.metadata!.uid!;
      children.add(uid);
      const found = inActiveList(cj, uid);
      if (!found && !isJobFinished(j)) {
        // Perhaps the status written after creating this Job has not reached the cache yet.
        let fresh: CronJob;
        try {
          fresh = await this.client.get<CronJobObject>(CRONJOBS, cj.metadata!.namespace, cj.metadata!.name!);
        } catch (err) {
          return { updateStatus, error: err };
        }
        if (inActiveList(fresh, uid)) {
          Object.assign(cj, { metadata: fresh.metadata, spec: fresh.spec, status: fresh.status ?? {} });
          continue;
        }
        this.recorder.event(cj as CronJobObject, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata!.name}`);
      } else if (found && isJobFinished(j)) {
        removeFromActiveList(cj, uid);
        this.recorder.event(cj as CronJobObject, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata!.name}, condition: ${finishedCondition(j)!.type}`);
        updateStatus = true;
      } else if (isJobSucceeded(j)) {
        const completed = j.status?.completionTime;
        const last = parseTime(cj.status!.lastSuccessfulTime);
        if (completed && (last === undefined || (parseTime(completed) ?? 0) > last)) {
          cj.status!.lastSuccessfulTime = completed;
          updateStatus = true;
        }
      }
    }

    // Active Jobs that are gone are dropped (after a direct read: the cache may lag).
    for (const ref of [...(cj.status!.active ?? [])]) {
      if (children.has(ref.uid ?? '')) continue;
      try {
        await this.client.get(JOBS, ref.namespace, ref.name!);
      } catch (err) {
        if (!isNotFound(err)) return { updateStatus, error: err };
        this.recorder.event(cj as CronJobObject, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
        removeFromActiveList(cj, ref.uid ?? '');
        updateStatus = true;
      }
    }

    if (cj.metadata?.deletionTimestamp) return { updateStatus };
    const tz = cj.spec?.timeZone;
    if (tz !== undefined) {
      try {
        Zone.of(tz);
      } catch (err) {
        this.recorder.event(cj as CronJobObject, 'Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(tz)}: ${(err as Error).message}`);
        return { updateStatus };
      }
    }
    if (cj.spec?.suspend === true) return { updateStatus };

    let schedule: Schedule;
    try {
      schedule = this.#parse(cj, true);
    } catch (err) {
      this.recorder.event(cj as CronJobObject, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(cj.spec?.schedule)} : ${(err as Error).message}`);
      return { updateStatus };
    }
    const recent = mostRecentScheduleTime(cj, now, schedule, true);
    if (recent.error) {
      this.recorder.event(cj as CronJobObject, 'Warning', 'InvalidSchedule', `invalid schedule: ${cj.spec?.schedule} : ${recent.error.message}`);
      return { updateStatus };
    }
    const requeue = (): SyncResult => {
      const delay = nextScheduleDelay(cj, now, schedule);
      return delay === undefined ? { updateStatus } : { requeueAfter: delay, updateStatus };
    };
    const scheduled = recent.mostRecent;
    if (scheduled === undefined || scheduled > now) return requeue();
    if (recent.missed === 'many') {
      this.recorder.event(cj as CronJobObject, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
    }

    const sds = cj.spec?.startingDeadlineSeconds;
    if (sds !== undefined && scheduled + sds * 1000 < now) {
      this.recorder.event(cj as CronJobObject, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`);
      return requeue();
    }
    const name = jobNameFor(cj, scheduled);
    if ((cj.status!.active ?? []).some((r) => r.name === name && r.namespace === cj.metadata?.namespace) || parseTime(cj.status!.lastScheduleTime) === scheduled) {
      return requeue();
    }
    const active = cj.status!.active ?? [];
    if (cj.spec?.concurrencyPolicy === 'Forbid' && active.length > 0) {
      this.recorder.event(cj as CronJobObject, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return requeue();
    }
    if (cj.spec?.concurrencyPolicy === 'Replace') {
      for (const ref of [...active]) {
        let job: Job;
        try {
          job = await this.client.get<JobObject>(JOBS, ref.namespace, ref.name!);
        } catch (err) {
          this.recorder.event(cj as CronJobObject, 'Warning', 'FailedGet', `Get job: ${(err as Error).message}`);
          return { updateStatus, error: err };
        }
        if (!(await this.#deleteJob(cj, job))) return { updateStatus, error: new Error(`could not replace job ${ref.namespace}/${ref.name}`) };
        updateStatus = true;
      }
    }

    const request = jobFromTemplate(cj, scheduled);
    let created: Job;
    let alreadyExisted = false;
    try {
      created = await this.client.create(JOBS, cj.metadata!.namespace, request as JobObject, { fieldManager: FIELD_MANAGER });
    } catch (err) {
      if (isNamespaceTerminating(err)) return { updateStatus, error: err };
      if (!isAlreadyExists(err)) {
        this.recorder.event(cj as CronJobObject, 'Warning', 'FailedCreate', `Error creating job: ${(err as Error).message}`);
        return { updateStatus, error: err };
      }
      // Created before (perhaps by us, before the status write was lost): recorded in active unless another owner has it.
      alreadyExisted = true;
      try {
        created = await this.client.get<JobObject>(JOBS, cj.metadata!.namespace, request.metadata!.name!);
      } catch (getErr) {
        return { updateStatus, error: getErr };
      }
      const ref = controllerRefOf(created as JobObject);
      if (ref?.uid !== cj.metadata?.uid || inActiveList(cj, created.metadata!.uid!)) return { updateStatus };
    }
    if (alreadyExisted) this.logger.info('job already exists', { cronjob: `${cj.metadata!.namespace}/${cj.metadata!.name}`, job: created.metadata!.name });
    else this.recorder.event(cj as CronJobObject, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata!.name}`);
    const ref: ObjectReference = {
      kind: 'Job',
      namespace: created.metadata!.namespace!,
      name: created.metadata!.name!,
      uid: created.metadata!.uid!,
      apiVersion: 'batch/v1',
      resourceVersion: created.metadata!.resourceVersion!,
    };
    cj.status!.active = [...(cj.status!.active ?? []), ref];
    cj.status!.lastScheduleTime = rfc3339(scheduled);
    return { ...requeue(), updateStatus: true };
  }

  /** Finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit go, oldest first. */
  async #cleanupFinishedJobs(cj: CronJob, jobs: readonly Job[]): Promise<boolean> {
    const successLimit = cj.spec?.successfulJobsHistoryLimit;
    const failedLimit = cj.spec?.failedJobsHistoryLimit;
    if (successLimit === undefined && failedLimit === undefined) return false;
    let changed = false;
    const succeeded = jobs.filter((j) => finishedCondition(j)?.type === 'Complete');
    const failed = jobs.filter((j) => finishedCondition(j)?.type === 'Failed');
    if (successLimit !== undefined && (await this.#removeOldestJobs(cj, succeeded, successLimit))) changed = true;
    if (failedLimit !== undefined && (await this.#removeOldestJobs(cj, failed, failedLimit))) changed = true;
    return changed;
  }

  async #removeOldestJobs(cj: CronJob, jobs: readonly Job[], keep: number): Promise<boolean> {
    const excess = jobs.length - keep;
    if (excess <= 0) return false;
    let changed = false;
    for (const job of [...jobs].sort(compareByStartTime).slice(0, excess)) if (await this.#deleteJob(cj, job)) changed = true;
    return changed;
  }

  /** Deletes a Job (Background propagation) and its active-list entry; false (with a FailedDelete event) on failure. */
  async #deleteJob(cj: CronJob, job: Job): Promise<boolean> {
    try {
      await this.client.delete(JOBS, job.metadata!.namespace, job.metadata!.name!, { propagationPolicy: 'Background' });
    } catch (err) {
      this.recorder.event(cj as CronJobObject, 'Warning', 'FailedDelete', `Deleted job: ${(err as Error).message}`);
      this.logger.warn('error deleting job from cronjob', { job: job.metadata!.name, error: err });
      return false;
    }
    removeFromActiveList(cj, job.metadata!.uid!);
    this.recorder.event(cj as CronJobObject, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata!.name}`);
    return true;
  }
}

const inActiveList = (cj: CronJob, uid: string): boolean => (cj.status?.active ?? []).some((r) => r.uid === uid);

function removeFromActiveList(cj: CronJob, uid: string): void {
  cj.status!.active = (cj.status!.active ?? []).filter((r) => r.uid !== uid);
}

/** Go's time.RFC1123Z in UTC: `Mon, 02 Jan 2006 15:04:05 +0000`. */
function rfc1123z(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
