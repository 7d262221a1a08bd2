// The TTL-after-finished controller (upstream's 'ttl-after-finished'): a finished Job with spec.ttlSecondsAfterFinished
// is deleted, with its dependents (Foreground propagation, as upstream), that many seconds after it finished.
import type { Job } from 'kubernetes-types/batch/v1.d.ts';
import type { Client, KubeObject } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import { objectKey, splitKey, type Informer } from '../client/informer.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import type { Logger } from '../log.ts';
import type { Controller, ControllerContext } from './controller.ts';
import { DelayedAdds, realClock, type Clock } from './clock.ts';
import { finishedCondition, JOBS, parseTime } from './jobutil.ts';

type JobObject = Job & KubeObject;

export interface TTLAfterFinishedOptions {
  clock?: Clock;
  workers?: number;
}

/** Finished (Complete or Failed) and carrying a TTL. */
const needsCleanup = (job: Job): boolean => job.spec?.ttlSecondsAfterFinished !== undefined && finishedCondition(job) !== undefined;

/** Milliseconds until the Job's TTL expires (≤ 0: expired), or undefined when it does not apply. */
export function ttlRemaining(job: Job, now: number): number | undefined {
  if (job.metadata?.deletionTimestamp || !needsCleanup(job)) return undefined;
  const finishedAt = parseTime(finishedCondition(job)!.lastTransitionTime);
  if (finishedAt === undefined) return undefined;
  return finishedAt + job.spec!.ttlSecondsAfterFinished! * 1000 - now;
}

export class TTLAfterFinishedController implements Controller {
  readonly #queue = new WorkQueue<string>();
  readonly #delays: DelayedAdds;
  readonly #jobs: Informer<JobObject>;
  readonly #workers: number;
  readonly clock: Clock;
  readonly client: Client;
  readonly logger: Logger;

  constructor(ctx: ControllerContext, options: TTLAfterFinishedOptions = {}) {
    this.client = ctx.client;
    this.clock = options.clock ?? realClock;
    this.logger = ctx.logger('ttl-after-finished-controller');
    this.#delays = new DelayedAdds(this.#queue, this.clock);
    this.#workers = options.workers ?? 5;
    this.#jobs = ctx.informers.informer<JobObject>(JOBS);
    const enqueue = (job: JobObject) => {
      if (!job.metadata?.deletionTimestamp && needsCleanup(job)) this.#queue.add(objectKey(job));
    };
    this.#jobs.addEventHandler({ onAdd: enqueue, onUpdate: (_old, job) => enqueue(job) });
  }

  async start(signal: AbortSignal): Promise<void> {
    await this.#jobs.waitForSync(signal);
    try {
      await runWorkers(this.#queue, this.#workers, (key) => this.sync(key), signal, { onError: (key, err) => this.logger.warn('ttl-after-finished sync failed', { job: key, error: err }) });
    } finally {
      this.#delays.stop();
    }
  }

  /** Expired: checked again against a fresh read (the TTL may have changed), then deleted with a uid precondition. */
  async sync(key: string): Promise<void> {
    const job = this.#jobs.lister.get(key);
    if (!job || !this.#expired(key, job)) return;
    const [namespace, name] = splitKey(key);
    let fresh: Job;
    try {
      fresh = await this.client.get<JobObject>(JOBS, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (!this.#expired(key, fresh)) return;
    try {
      await this.client.delete(JOBS, namespace, name, { propagationPolicy: 'Foreground', preconditions: { uid: fresh.metadata!.uid! } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Expired now, or enqueued for when it will be. */
  #expired(key: string, job: Job): boolean {
    const remaining = ttlRemaining(job, this.clock.now());
    if (remaining === undefined) return false;
    if (remaining <= 0) return true;
    this.#delays.addAfter(key, remaining);
    return false;
  }
}
