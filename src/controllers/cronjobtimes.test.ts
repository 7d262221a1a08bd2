// The CronJob controller's schedule arithmetic: the due time, missed starts, startingDeadlineSeconds, the requeue delay,
// and the Job made for a scheduled time.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.d.ts';
import { parseStandard } from './cronschedule.ts';
import { compareByStartTime, jobFromTemplate, jobNameFor, mostRecentScheduleTime, nextScheduleDelay } from './cronjobtimes.ts';

const at = (iso: string) => Date.parse(iso);

function cronJob(spec: Partial<NonNullable<CronJob['spec']>>, status: CronJob['status'] = {}): CronJob {
  return {
    metadata: { name: 'nightly', namespace: 'ns', uid: 'cj-uid', creationTimestamp: '2024-01-01T10:00:30Z' },
    spec: { schedule: '*/1 * * * *', jobTemplate: { metadata: { labels: { app: 'x' }, annotations: { note: 'y' } }, spec: { template: { spec: { containers: [] } } } }, ...spec },
    status,
  };
}

describe('mostRecentScheduleTime', () => {
  const everyMinute = parseStandard('*/1 * * * *', 'UTC');

  it('nothing due before the first scheduled time after creation', () => {
    const r = mostRecentScheduleTime(cronJob({}), at('2024-01-01T10:00:50Z'), everyMinute, true);
    assert.equal(r.mostRecent, undefined);
    assert.equal(r.missed, 'none');
    assert.equal(r.earliest, at('2024-01-01T10:00:30Z'));
  });

  it('the one time due since creation', () => {
    const r = mostRecentScheduleTime(cronJob({}), at('2024-01-01T10:01:30Z'), everyMinute, true);
    assert.equal(r.mostRecent, at('2024-01-01T10:01:00Z'));
    assert.equal(r.missed, 'none');
  });

  it('the latest of several missed times, counted from lastScheduleTime', () => {
    const r = mostRecentScheduleTime(cronJob({}, { lastScheduleTime: '2024-01-01T10:02:00Z' }), at('2024-01-01T10:05:10Z'), everyMinute, true);
    assert.equal(r.mostRecent, at('2024-01-01T10:05:00Z'));
    assert.equal(r.missed, 'few');
  });

  it('more than 100 missed times are many', () => {
    const r = mostRecentScheduleTime(cronJob({}), at('2024-01-01T13:00:10Z'), everyMinute, true);
    assert.equal(r.mostRecent, at('2024-01-01T13:00:00Z'));
    assert.equal(r.missed, 'many');
  });

  it('startingDeadlineSeconds moves the earliest time up to now minus the deadline', () => {
    const cj = cronJob({ startingDeadlineSeconds: 30 });
    const r = mostRecentScheduleTime(cj, at('2024-01-01T13:00:10Z'), everyMinute, true);
    assert.equal(r.earliest, at('2024-01-01T12:59:40Z'));
    assert.equal(r.mostRecent, at('2024-01-01T13:00:00Z'));
    assert.equal(r.missed, 'none');
    // Only when asked: the requeue computation ignores it.
    assert.equal(mostRecentScheduleTime(cj, at('2024-01-01T13:00:10Z'), everyMinute, false).missed, 'many');
  });

  it('a schedule that never fires again is an error', () => {
    const r = mostRecentScheduleTime(cronJob({ schedule: '59 23 31 2 *' }), at('2024-01-01T13:00:10Z'), parseStandard('59 23 31 2 *', 'UTC'), true);
    assert.equal(r.error?.message, 'time difference between two schedules is less than 1 second');
  });
});

describe('nextScheduleDelay', () => {
  const everyFive = parseStandard('*/5 * * * *', 'UTC');
  it('waits for the next scheduled time plus 100 ms', () => {
    assert.equal(nextScheduleDelay(cronJob({}), at('2024-01-01T10:01:00Z'), everyFive), 4 * 60_000 + 100);
    assert.equal(nextScheduleDelay(cronJob({}, { lastScheduleTime: '2024-01-01T10:05:00Z' }), at('2024-01-01T10:05:00.200Z'), everyFive), 5 * 60_000 - 100);
  });
  it('after missed times, from the latest one', () => {
    assert.equal(nextScheduleDelay(cronJob({}), at('2024-01-01T10:17:00Z'), everyFive), 3 * 60_000 + 100);
  });
});

describe('the Job for a scheduled time', () => {
  it('is named by minutes since the epoch', () => {
    assert.equal(jobNameFor(cronJob({}), at('2024-01-01T10:05:00Z')), `nightly-${at('2024-01-01T10:05:00Z') / 60_000}`);
    assert.equal(jobNameFor(cronJob({}), at('1970-01-01T00:10:00Z')), 'nightly-10');
  });

  it('carries the template metadata, the scheduled time in the CronJob zone, and a controller reference', () => {
    const job = jobFromTemplate(cronJob({ timeZone: 'Europe/Berlin' }), at('2024-07-01T08:00:00Z'));
    assert.equal(job.metadata?.name, `nightly-${at('2024-07-01T08:00:00Z') / 60_000}`);
    assert.deepEqual(job.metadata?.labels, { app: 'x' });
    assert.deepEqual(job.metadata?.annotations, { note: 'y', 'batch.kubernetes.io/cronjob-scheduled-timestamp': '2024-07-01T10:00:00+02:00' });
    assert.deepEqual(job.metadata?.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: 'cj-uid', controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual(job.spec, { template: { spec: { containers: [] } } });
    // Without a zone the annotation is in UTC.
    assert.equal(jobFromTemplate(cronJob({}), at('2024-07-01T08:00:00Z')).metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2024-07-01T08:00:00Z');
  });

  it('history is trimmed oldest first: by start time, then name, unstarted last', () => {
    const job = (name: string, startTime?: string): Job => ({ metadata: { name }, ...(startTime ? { status: { startTime } } : {}) });
    const sorted = [job('c'), job('b', '2024-01-01T10:00:00Z'), job('a', '2024-01-01T10:00:00Z'), job('d', '2024-01-01T09:00:00Z')].sort(compareByStartTime);
    assert.deepEqual(
      sorted.map((j) => j.metadata?.name),
      ['d', 'a', 'b', 'c'],
    );
  });
});
