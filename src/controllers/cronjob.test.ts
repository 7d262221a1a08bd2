// The CronJob controller against the real API server, on a clock the test moves: Jobs on schedule with their names and
// annotation, concurrencyPolicy Forbid and Replace, suspend, history limits, too many missed start times. Only the
// CronJob controller runs, so the test finishes Jobs itself through their status.
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { eventually } from '../../test/support/server.ts';
import type { KubeObject } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import { CronJobController } from './cronjob.ts';
import { FakeClock } from './clock.ts';

type CronJobObject = CronJob & KubeObject;
type JobObject = Job & KubeObject;
type EventObject = KubeObject & { reason?: string; message?: string; type?: string };

const NS = 'default';
const MINUTE = 60_000;
const stamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

describe('cronjob controller', { timeout: 180_000 }, () => {
  let cluster: TestCluster | undefined;
  let clock: FakeClock;
  const start = async () => {
    clock = new FakeClock(Date.now());
    cluster = await startTestCluster({ controllers: { cronjob: (ctx) => new CronJobController(ctx, { clock, defaultTimeZone: 'UTC' }) } });
    return cluster;
  };
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });
  after(() => cluster?.stop());

  const createCronJob = (c: TestCluster, name: string, spec: Partial<NonNullable<CronJob['spec']>> = {}) =>
    c.client.create<CronJobObject>(gvr.cronjobs, NS, {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name },
      spec: {
        schedule: '*/1 * * * *',
        jobTemplate: { metadata: { labels: { app: name } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
        ...spec,
      },
    } as CronJobObject);
  const jobsOf = async (c: TestCluster, cronJob: string) =>
    (await c.client.list<JobObject>(gvr.jobs, NS)).items.filter((j) => j.metadata?.ownerReferences?.some((r) => r.kind === 'CronJob' && r.name === cronJob));
  const getCronJob = (c: TestCluster, name: string) => c.client.get<CronJobObject>(gvr.cronjobs, NS, name);
  const eventsOf = async (c: TestCluster, name: string) => (await c.client.list<EventObject>(gvr.events, NS, { fieldSelector: `involvedObject.name=${name}` })).items;
  /** The first scheduled minute after the CronJob's creation. */
  const firstSlot = (cj: CronJob) => Math.floor(Date.parse(cj.metadata!.creationTimestamp!) / MINUTE) * MINUTE + MINUTE;
  const waitFor = <T>(what: string, fn: () => Promise<T | undefined>) => eventually(what, fn, { timeoutMs: 30_000 });
  const jobNamed = async (c: TestCluster, name: string) => {
    try {
      return await c.client.get<JobObject>(gvr.jobs, NS, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  /** Marks a Job finished as the Job controller would. */
  const finishJob = (c: TestCluster, name: string, type: 'Complete' | 'Failed', startTime: number, endTime: number) => {
    const t = stamp(endTime);
    const conditions =
      type === 'Complete'
        ? [
            { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: t, lastTransitionTime: t },
            { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: t, lastTransitionTime: t },
          ]
        : [
            { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastProbeTime: t, lastTransitionTime: t },
            { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastProbeTime: t, lastTransitionTime: t },
          ];
    const status = type === 'Complete' ? { startTime: stamp(startTime), completionTime: t, succeeded: 1, conditions } : { startTime: stamp(startTime), failed: 1, conditions };
    return c.client.patch(gvr.jobs, NS, name, 'merge', { status }, { subresource: 'status' });
  };

  it('creates a Job per scheduled minute, named by the minute, with the scheduled-timestamp annotation; suspend stops it', async () => {
    const c = await start();
    const cj = await createCronJob(c, 'tick');
    const slot = firstSlot(cj);
    // Before the first scheduled time nothing runs.
    await waitFor('the first requeue', async () => (clock.pending() > 0 ? true : undefined));
    assert.deepEqual(await jobsOf(c, 'tick'), []);
    clock.set(slot + 1000);
    const job = await waitFor('the first Job', async () => jobNamed(c, `tick-${slot / MINUTE}`));
    assert.equal(job.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], stamp(slot));
    assert.equal(job.metadata?.labels?.['app'], 'tick');
    assert.deepEqual(
      job.metadata?.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]),
      [['CronJob', 'tick', cj.metadata!.uid, true]],
    );
    const status = await waitFor('status', async () => {
      const s = (await getCronJob(c, 'tick')).status;
      return s?.active?.length === 1 ? s : undefined;
    });
    assert.equal(status.lastScheduleTime, stamp(slot));
    assert.deepEqual(
      status.active?.map((r) => [r.kind, r.name, r.uid]),
      [['Job', job.metadata!.name, job.metadata!.uid]],
    );
    clock.set(slot + MINUTE + 1000);
    await waitFor('the second Job', async () => jobNamed(c, `tick-${slot / MINUTE + 1}`));
    const created = (await eventsOf(c, 'tick')).filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.message);
    assert.deepEqual(created.sort(), [`Created job tick-${slot / MINUTE}`, `Created job tick-${slot / MINUTE + 1}`]);

    // Suspended, a due time starts nothing. The barrier: finishing the active Job makes the controller write status,
    // after the point where it would have created the Job for the due time.
    await c.client.patch(gvr.cronjobs, NS, 'tick', 'merge', { spec: { suspend: true } });
    clock.set(slot + 2 * MINUTE + 1000);
    const active = (await getCronJob(c, 'tick')).status?.active ?? [];
    for (const ref of active) await finishJob(c, ref.name!, 'Complete', slot, slot + 2 * MINUTE);
    await waitFor('the finished Jobs out of active', async () => ((await getCronJob(c, 'tick')).status?.active?.length ? undefined : true));
    assert.equal(await jobNamed(c, `tick-${slot / MINUTE + 2}`), undefined);
    assert.equal((await jobsOf(c, 'tick')).length, 2);
  });

  it('Forbid: no new Job while one runs; Replace: the running Job is deleted for the new one', async () => {
    const c = await start();
    const forbid = await createCronJob(c, 'forbid', { concurrencyPolicy: 'Forbid' });
    const replace = await createCronJob(c, 'replace', { concurrencyPolicy: 'Replace' });
    const slot = Math.max(firstSlot(forbid), firstSlot(replace));
    clock.set(slot + 1000);
    const first = await waitFor('the first forbid Job', async () => jobNamed(c, `forbid-${slot / MINUTE}`));
    const firstReplace = await waitFor('the first replace Job', async () => jobNamed(c, `replace-${slot / MINUTE}`));
    await waitFor('both recorded active', async () =>
      (await getCronJob(c, 'forbid')).status?.active?.length === 1 && (await getCronJob(c, 'replace')).status?.active?.length === 1 ? true : undefined,
    );

    clock.set(slot + MINUTE + 1000);
    // Replace: the old Job goes, the new one comes.
    await waitFor('the replacement Job', async () => jobNamed(c, `replace-${slot / MINUTE + 1}`));
    await waitFor('the replaced Job deleted', async () => ((await jobNamed(c, firstReplace.metadata!.name!)) ? undefined : true));
    const replaceStatus = await waitFor('replace active', async () => {
      const s = (await getCronJob(c, 'replace')).status;
      return s?.active?.length === 1 && s.active[0]!.name === `replace-${slot / MINUTE + 1}` ? s : undefined;
    });
    assert.equal(replaceStatus.lastScheduleTime, stamp(slot + MINUTE));
    assert.ok((await eventsOf(c, 'replace')).some((e) => e.reason === 'SuccessfulDelete' && e.message === `Deleted job ${firstReplace.metadata!.name}`));
    // Forbid: skipped, and said so.
    const skipped = await waitFor('JobAlreadyActive', async () => (await eventsOf(c, 'forbid')).find((e) => e.reason === 'JobAlreadyActive'));
    assert.equal(skipped.message, 'Not starting job because prior execution is running and concurrency policy is Forbid');
    assert.equal(await jobNamed(c, `forbid-${slot / MINUTE + 1}`), undefined);
    assert.deepEqual(
      (await jobsOf(c, 'forbid')).map((j) => j.metadata?.name),
      [first.metadata!.name],
    );

    // Once the running Job finishes, the skipped time (still the latest, and no startingDeadlineSeconds) runs late.
    await finishJob(c, first.metadata!.name!, 'Complete', slot, slot + 30_000);
    const late = await waitFor('the skipped time run', async () => jobNamed(c, `forbid-${slot / MINUTE + 1}`));
    await waitFor('active is the late Job only', async () => {
      const active = (await getCronJob(c, 'forbid')).status?.active ?? [];
      return active.length === 1 && active[0]!.uid === late.metadata!.uid ? true : undefined;
    });
    const saw = (await eventsOf(c, 'forbid')).find((e) => e.reason === 'SawCompletedJob');
    assert.equal(saw?.message, `Saw completed job: ${first.metadata!.name}, condition: Complete`);
  });

  it('history limits: the oldest finished Jobs beyond the limits are deleted; lastSuccessfulTime follows', async () => {
    const c = await start();
    const cj = await createCronJob(c, 'hist', { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 });
    const slot = firstSlot(cj);
    const names: string[] = [];
    for (let i = 0; i < 4; i++) {
      clock.set(slot + i * MINUTE + 1000);
      names.push((await waitFor(`Job ${i}`, async () => jobNamed(c, `hist-${slot / MINUTE + i}`))).metadata!.name!);
    }
    await finishJob(c, names[0]!, 'Complete', slot, slot + 10_000);
    await finishJob(c, names[1]!, 'Complete', slot + MINUTE, slot + MINUTE + 10_000);
    await finishJob(c, names[2]!, 'Failed', slot + 2 * MINUTE, slot + 2 * MINUTE + 10_000);
    await finishJob(c, names[3]!, 'Failed', slot + 3 * MINUTE, slot + 3 * MINUTE + 10_000);
    await waitFor('the oldest of each kind deleted', async () => ((await jobNamed(c, names[0]!)) || (await jobNamed(c, names[2]!)) ? undefined : true));
    assert.deepEqual((await jobsOf(c, 'hist')).map((j) => j.metadata?.name).sort(), [names[1], names[3]].sort());
    const status = await waitFor('status settled', async () => {
      const s = (await getCronJob(c, 'hist')).status;
      return !s?.active?.length && s?.lastSuccessfulTime === stamp(slot + MINUTE + 10_000) ? s : undefined;
    });
    assert.equal(status.lastScheduleTime, stamp(slot + 3 * MINUTE));
    const deleted = (await eventsOf(c, 'hist')).filter((e) => e.reason === 'SuccessfulDelete').map((e) => e.message);
    assert.deepEqual(deleted.sort(), [`Deleted job ${names[0]}`, `Deleted job ${names[2]}`]);
  });

  it('more than 100 missed start times: a TooManyMissedTimes warning, and one Job for the latest time', async () => {
    const c = await start();
    const cj = await createCronJob(c, 'late', { timeZone: 'Asia/Kolkata' });
    const slot = firstSlot(cj);
    clock.set(slot + 150 * MINUTE + 1000);
    const latest = slot + 150 * MINUTE;
    const job = await waitFor('the Job for the latest time', async () => jobNamed(c, `late-${latest / MINUTE}`));
    // The annotation is written in the CronJob's time zone (UTC+05:30).
    const local = new Date(latest + 330 * MINUTE).toISOString().replace(/\.\d+Z$/, '+05:30');
    assert.equal(job.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], local);
    const warning = await waitFor('TooManyMissedTimes', async () => (await eventsOf(c, 'late')).find((e) => e.reason === 'TooManyMissedTimes'));
    assert.equal(warning.type, 'Warning');
    assert.equal(warning.message, 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
    assert.equal((await jobsOf(c, 'late')).length, 1);
  });
});
