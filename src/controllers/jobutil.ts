// What the Job, CronJob and TTL-after-finished controllers share: batch/v1's well-known names, Job conditions, and
// metav1.Time formatting.
import type { Job, JobCondition } from 'kubernetes-types/batch/v1.d.ts';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { CRONJOBS, JOBS, PODS } from '../client/resources.ts';

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const JOB_COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
export const CRONJOB_SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** spec.managedBy of Jobs this controller syncs (unset means the same). */
export const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';

/** metav1.Time's wire form: RFC 3339 in UTC, whole seconds. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Milliseconds of a metav1.Time, or undefined when absent or unreadable. */
export function parseTime(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export function findCondition(job: Job, type: string): JobCondition | undefined {
  return job.status?.conditions?.find((c) => c.type === type);
}

/** The finishing condition (Complete or Failed, status True), if the Job has finished. */
export function finishedCondition(job: Job): JobCondition | undefined {
  return job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

export const isJobFinished = (job: Job): boolean => finishedCondition(job) !== undefined;

export const isJobSucceeded = (job: Job): boolean => finishedCondition(job)?.type === 'Complete';

export const hasTrackingFinalizer = (pod: Pod): boolean => pod.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;

/** The strategic merge patch that takes the tracking finalizer off a pod. */
export const removeTrackingFinalizerPatch = { metadata: { '$deleteFromPrimitiveList/finalizers': [JOB_TRACKING_FINALIZER] } };

export { cloneJSON } from './podcontrol.ts';

export { JOBS, CRONJOBS, PODS };
