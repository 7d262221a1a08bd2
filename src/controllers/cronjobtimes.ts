// The schedule arithmetic of the CronJob controller (upstream's cronjob utils): which scheduled time is due, how many
// were missed, when to look again, and the Job made for a scheduled time.
import type { CronJob, Job } from 'kubernetes-types/batch/v1.d.ts';
import { Zone, type Schedule } from './cronschedule.ts';
import { cloneJSON, CRONJOB_SCHEDULED_TIMESTAMP, parseTime } from './jobutil.ts';

export type MissedSchedules = 'none' | 'few' | 'many';

/** Requeues land this long after the scheduled time, against clock skew (upstream's nextScheduleDelta). */
export const NEXT_SCHEDULE_DELTA_MS = 100;
/** More missed start times than this is reported as TooManyMissedTimes. */
export const MAX_MISSED = 100;

export class InvalidScheduleError extends Error {
  override name = 'InvalidScheduleError';
}

export interface MostRecent {
  /** lastScheduleTime, else the creation time (later of that and now − startingDeadlineSeconds when asked). */
  earliest: number;
  /** The latest scheduled time not after now, if one came since `earliest`. */
  mostRecent?: number;
  missed: MissedSchedules;
  error?: InvalidScheduleError;
}

/** Upstream's mostRecentScheduleTime, including its estimate of missed times from the interval of the next two. */
export function mostRecentScheduleTime(cj: CronJob, now: number, schedule: Schedule, includeStartingDeadline: boolean): MostRecent {
  let earliest = parseTime(cj.status?.lastScheduleTime) ?? parseTime(cj.metadata?.creationTimestamp) ?? now;
  const sds = cj.spec?.startingDeadlineSeconds;
  if (includeStartingDeadline && sds !== undefined) earliest = Math.max(earliest, now - sds * 1000);
  const t1 = schedule.next(earliest);
  if (t1 !== undefined && now < t1) return { earliest, missed: 'none' };
  const t2 = t1 === undefined ? undefined : schedule.next(t1);
  if (t1 !== undefined && t2 !== undefined && now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  // A schedule that never fires again (the 31st of February) is an error here, as upstream finds it.
  const between = t1 === undefined || t2 === undefined ? 0 : Math.round((t2 - t1) / 1000);
  if (t1 === undefined || between < 1) return { earliest, missed: 'none', error: new InvalidScheduleError('time difference between two schedules is less than 1 second') };
  const missedCount = Math.trunc(Math.trunc((now - t1) / 1000) / between) + 1;
  // Step back to about two intervals before now and walk forward to the latest time not after now.
  const potentialEarliest = t1 + (missedCount - 2) * between * 1000;
  let mostRecent: number | undefined;
  for (let t = schedule.next(potentialEarliest), n = 0; t !== undefined && t <= now && n < 1_000_000; t = schedule.next(t), n++) mostRecent = t;
  const missed: MissedSchedules = missedCount > MAX_MISSED ? 'many' : missedCount > 0 ? 'few' : 'none';
  return mostRecent === undefined ? { earliest, missed } : { earliest, mostRecent, missed };
}

/** How long until the sync for the next scheduled time (plus the delta); undefined when the schedule never fires again. */
export function nextScheduleDelay(cj: CronJob, now: number, schedule: Schedule): number | undefined {
  const r = mostRecentScheduleTime(cj, now, schedule, false);
  let from: number;
  if (r.error) from = now;
  else if (r.mostRecent !== undefined) from = r.mostRecent;
  else from = r.missed === 'none' ? r.earliest : now;
  const next = schedule.next(from);
  return next === undefined ? undefined : next + NEXT_SCHEDULE_DELTA_MS - now;
}

/** The name of the Job for a scheduled time: `<cronjob>-<minutes since the epoch>`. */
export function jobNameFor(cj: CronJob, scheduled: number): string {
  return `${cj.metadata!.name}-${Math.trunc(Math.trunc(scheduled / 1000) / 60)}`;
}

/** Go's time.RFC3339 of an instant in a zone: `2024-03-10T02:30:00-05:00`, `Z` for UTC. */
export function rfc3339In(ms: number, zone: Zone): string {
  const w = zone.wall(ms);
  const offsetMin = Math.round(zone.offset(ms) / 60_000);
  const p = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');
  const offset = offsetMin === 0 ? 'Z' : `${offsetMin < 0 ? '-' : '+'}${p(Math.trunc(Math.abs(offsetMin) / 60))}:${p(Math.abs(offsetMin) % 60)}`;
  return `${p(w.year, 4)}-${p(w.month)}-${p(w.day)}T${p(w.hour)}:${p(w.minute)}:${p(w.second)}${offset}`;
}

/**
 * The Job a CronJob runs for `scheduled`: the template's labels and annotations plus the scheduled-timestamp
 * annotation (in the CronJob's time zone, UTC without one), and a controller reference to the CronJob.
 */
export function jobFromTemplate(cj: CronJob, scheduled: number): Job {
  const template = cj.spec!.jobTemplate;
  const zone = Zone.of(cj.spec?.timeZone ?? '');
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(cj, scheduled),
      namespace: cj.metadata!.namespace!,
      labels: { ...template.metadata?.labels },
      annotations: { ...template.metadata?.annotations, [CRONJOB_SCHEDULED_TIMESTAMP]: rfc3339In(scheduled, zone) },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata!.name!, uid: cj.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: cloneJSON(template.spec!),
  };
}

/** Oldest first: Jobs with a start time before those without, then by start time, then by name. */
export function compareByStartTime(a: Job, b: Job): number {
  const sa = parseTime(a.status?.startTime);
  const sb = parseTime(b.status?.startTime);
  if (sa === undefined && sb !== undefined) return 1;
  if (sa !== undefined && sb === undefined) return -1;
  if (sa === sb) return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : (a.metadata?.name ?? '') > (b.metadata?.name ?? '') ? 1 : 0;
  return sa! - sb!;
}
