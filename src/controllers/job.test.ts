// The Job and TTL-after-finished controllers against the real API server. Nothing runs pods: the test moves them to
// Succeeded or Failed itself through the status subresource, with container exit codes, as a kubelet would.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from 'kubernetes-types/batch/v1.d.ts';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { eventually } from '../../test/support/server.ts';
import type { KubeObject } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import { JobController } from './job.ts';
import { TTLAfterFinishedController } from './ttlafterfinished.ts';

type JobObject = Job & KubeObject;
type PodObject = Pod & KubeObject;
type EventObject = KubeObject & { reason?: string; message?: string; type?: string; source?: { component?: string } };

const NS = 'default';
const TRACKING = 'batch.kubernetes.io/job-tracking';
const INDEX = 'batch.kubernetes.io/job-completion-index';

describe('job controller', { timeout: 180_000 }, () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster({
      controllers: {
        job: (ctx) => new JobController(ctx, { syncBatchPeriodMs: 200 }),
        'ttl-after-finished': (ctx) => new TTLAfterFinishedController(ctx),
      },
    });
  });
  after(() => cluster?.stop());

  const createJob = (name: string, spec: Partial<NonNullable<Job['spec']>> & Record<string, unknown> = {}, restartPolicy = 'Never') =>
    cluster.client.create<JobObject>(gvr.jobs, NS, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name },
      spec: { template: { spec: { restartPolicy, containers: [{ name: 'c', image: 'busybox' }] } }, ...spec },
    } as JobObject);
  const getJob = (name: string) => cluster.client.get<JobObject>(gvr.jobs, NS, name);
  const podsOf = async (job: string) => (await cluster.client.list<PodObject>(gvr.pods, NS, { labelSelector: `batch.kubernetes.io/job-name=${job}` })).items;
  const running = (pods: PodObject[]) => pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  const eventsOf = async (name: string) => (await cluster.client.list<EventObject>(gvr.events, NS, { fieldSelector: `involvedObject.name=${name}` })).items;
  /** Finishes a pod as a kubelet would: phase and a terminated container with its exit code. */
  const finish = (pod: PodObject, phase: 'Succeeded' | 'Failed', exitCode = phase === 'Succeeded' ? 0 : 1, finishedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z')) =>
    cluster.client.patch(
      gvr.pods,
      NS,
      pod.metadata!.name!,
      'merge',
      {
        status: {
          phase,
          containerStatuses: [
            { name: 'c', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed', startedAt: finishedAt, finishedAt } } },
          ],
        },
      },
      { subresource: 'status' },
    );
  const condition = (job: Job, type: string) => job.status?.conditions?.find((c) => c.type === type);
  const waitFor = <T>(what: string, fn: () => Promise<T | undefined>) => eventually(what, fn, { timeoutMs: 30_000 });

  it('completions 3, parallelism 2: never more than 2 pods at once, then Complete with upstream status and conditions', async () => {
    await createJob('three', { completions: 3, parallelism: 2 });
    let finished = 0;
    for (let round = 0; round < 50 && finished < 3; round++) {
      const pods = await waitFor('a running pod', async () => {
        const all = await podsOf('three');
        return running(all).length > 0 ? all : undefined;
      });
      const live = running(pods);
      assert.ok(live.length <= 2, `at most 2 pods run at once, saw ${live.length}`);
      const pod = live[0]!;
      // Created with the tracking finalizer, owned by the Job, labelled with its uid and name (new and legacy keys).
      assert.ok(pod.metadata?.finalizers?.includes(TRACKING));
      const job = await getJob('three');
      assert.equal(pod.metadata?.ownerReferences?.[0]?.uid, job.metadata?.uid);
      assert.equal(pod.metadata?.labels?.['batch.kubernetes.io/controller-uid'], job.metadata?.uid);
      assert.equal(pod.metadata?.labels?.['controller-uid'], job.metadata?.uid);
      assert.equal(pod.metadata?.labels?.['job-name'], 'three');
      assert.match(pod.metadata!.name!, /^three-[a-z0-9]{5}$/);
      await finish(pod, 'Succeeded');
      finished++;
      // The next round starts once the controller has taken this one into account.
      await waitFor('the pod counted', async () => ((await getJob('three')).status?.succeeded === finished ? true : undefined));
    }
    const job = await waitFor('Complete', async () => {
      const j = await getJob('three');
      return condition(j, 'Complete') ? j : undefined;
    });
    const st = job.status!;
    assert.equal(st.succeeded, 3);
    assert.equal(st.active, undefined);
    assert.equal(st.failed, undefined);
    assert.equal(st.ready, 0);
    assert.equal(st.terminating, 0);
    assert.deepEqual(st.uncountedTerminatedPods, {});
    assert.ok(st.startTime && st.completionTime && Date.parse(st.completionTime) >= Date.parse(st.startTime));
    assert.deepEqual(
      st.conditions?.map((c) => [c.type, c.status, c.reason, c.message]),
      [
        ['SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
        ['Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
      ],
    );
    assert.equal(st.completionTime, condition(job, 'Complete')!.lastTransitionTime);
    // Every counted pod has lost its tracking finalizer.
    const pods = await podsOf('three');
    assert.equal(pods.length, 3);
    for (const p of pods) assert.deepEqual(p.metadata?.finalizers ?? [], []);
    const events = await waitFor('events', async () => {
      const evs = await eventsOf('three');
      return evs.some((e) => e.reason === 'Completed') ? evs : undefined;
    });
    assert.deepEqual(events.filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.message).sort(), pods.map((p) => `Created pod: ${p.metadata!.name}`).sort());
    const completed = events.find((e) => e.reason === 'Completed')!;
    assert.equal(completed.message, 'Job completed');
    assert.equal(completed.source?.component, 'job-controller');
  });

  it('Indexed: one pod per index with its annotation, label, hostname and env; completedIndexes as indexes succeed', async () => {
    await createJob('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' });
    const pods = await waitFor('3 pods', async () => {
      const p = await podsOf('idx');
      return p.length === 3 ? p : undefined;
    });
    const byIndex = new Map(pods.map((p) => [p.metadata!.annotations![INDEX]!, p]));
    assert.deepEqual([...byIndex.keys()].sort(), ['0', '1', '2']);
    for (const [ix, p] of byIndex) {
      assert.equal(p.metadata?.labels?.[INDEX], ix);
      assert.equal(p.spec?.hostname, `idx-${ix}`);
      assert.match(p.metadata!.name!, new RegExp(`^idx-${ix}-[a-z0-9]{5}$`));
      assert.deepEqual(p.spec?.containers[0]?.env?.find((e) => e.name === 'JOB_COMPLETION_INDEX')?.valueFrom?.fieldRef?.fieldPath, `metadata.labels['${INDEX}']`);
    }
    await finish(byIndex.get('0')!, 'Succeeded');
    await finish(byIndex.get('2')!, 'Succeeded');
    const partial = await waitFor('indexes 0 and 2', async () => {
      const j = await getJob('idx');
      return j.status?.completedIndexes === '0,2' ? j : undefined;
    });
    assert.equal(partial.status?.succeeded, 2);
    assert.equal(condition(partial, 'Complete'), undefined);
    await finish(byIndex.get('1')!, 'Succeeded');
    const done = await waitFor('Complete', async () => {
      const j = await getJob('idx');
      return condition(j, 'Complete') ? j : undefined;
    });
    assert.equal(done.status?.completedIndexes, '0-2');
    assert.equal(done.status?.succeeded, 3);
  });

  it('backoffLimit: failed pods are replaced until the limit, then FailureTarget and Failed (BackoffLimitExceeded)', async () => {
    await createJob('flaky', { backoffLimit: 1 });
    // Failures long ago: the pod-failure backoff (10 s, doubling) has already passed.
    const longAgo = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const first = await waitFor('the first pod', async () => running(await podsOf('flaky'))[0]);
    await finish(first, 'Failed', 1, longAgo);
    const second = await waitFor('a replacement pod', async () => running(await podsOf('flaky')).find((p) => p.metadata?.uid !== first.metadata?.uid));
    await waitFor('the failure counted', async () => ((await getJob('flaky')).status?.failed === 1 ? true : undefined));
    await finish(second, 'Failed', 2, longAgo);
    const job = await waitFor('Failed', async () => {
      const j = await getJob('flaky');
      return condition(j, 'Failed') ? j : undefined;
    });
    assert.deepEqual(
      job.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.message]),
      [
        ['FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
        ['Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
      ],
    );
    assert.equal(job.status?.failed, 2);
    assert.equal(job.status?.completionTime, undefined);
    assert.equal((await podsOf('flaky')).length, 2);
    const event = await waitFor('the BackoffLimitExceeded event', async () => (await eventsOf('flaky')).find((e) => e.reason === 'BackoffLimitExceeded'));
    assert.equal(event.type, 'Warning');
    assert.equal(event.message, 'Job has reached the specified backoff limit');
  });

  it('activeDeadlineSeconds: the Job fails with DeadlineExceeded and its pods are deleted', async () => {
    await createJob('slow', { parallelism: 2, completions: 2, activeDeadlineSeconds: 1 });
    // The pods may live less than the deadline's second on a busy machine: their creation is read from the events.
    const creates = await waitFor('SuccessfulCreate events', async () => {
      const evs = (await eventsOf('slow')).filter((e) => e.reason === 'SuccessfulCreate');
      return evs.length === 2 ? evs : undefined;
    });
    for (const e of creates) assert.match(e.message!, /^Created pod: slow-[a-z0-9]{5}$/);
    const job = await waitFor('Failed', async () => {
      const j = await getJob('slow');
      return condition(j, 'Failed') ? j : undefined;
    });
    assert.deepEqual(
      job.status?.conditions?.map((c) => [c.type, c.reason, c.message]),
      [
        ['FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline'],
        ['Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline'],
      ],
    );
    // The deleted pods lost their finalizer once counted (as failed), and are gone.
    assert.equal(job.status?.failed, 2);
    assert.equal(job.status?.active, undefined);
    assert.deepEqual(await podsOf('slow'), []);
    const deletes = await waitFor('SuccessfulDelete events', async () => {
      const evs = (await eventsOf('slow')).filter((e) => e.reason === 'SuccessfulDelete');
      return evs.length === 2 ? evs : undefined;
    });
    for (const e of deletes) assert.match(e.message!, /^Deleted pod: slow-[a-z0-9]{5}$/);
  });

  it('ttlSecondsAfterFinished: the finished Job is deleted', async () => {
    await createJob('brief', { ttlSecondsAfterFinished: 0 });
    const pod = await waitFor('a pod', async () => running(await podsOf('brief'))[0]);
    await finish(pod, 'Succeeded');
    // Deleted with Foreground propagation: gone, or waiting for the garbage collector (not running here).
    await waitFor('the Job deleted', async () => {
      try {
        const j = await getJob('brief');
        return j.metadata?.deletionTimestamp ? true : undefined;
      } catch (err) {
        if (isNotFound(err)) return true;
        throw err;
      }
    });
  });

  it('suspend: no pods and Suspended; resuming starts them and the clock', async () => {
    await createJob('later', { suspend: true, parallelism: 2, completions: 2 });
    const suspended = await waitFor('Suspended', async () => {
      const j = await getJob('later');
      return condition(j, 'Suspended')?.status === 'True' ? j : undefined;
    });
    assert.equal(condition(suspended, 'Suspended')?.reason, 'JobSuspended');
    assert.equal(condition(suspended, 'Suspended')?.message, 'Job suspended');
    assert.equal(suspended.status?.startTime, undefined);
    assert.deepEqual(await podsOf('later'), []);
    await cluster.client.patch(gvr.jobs, NS, 'later', 'merge', { spec: { suspend: false } });
    const resumed = await waitFor('resumed', async () => {
      const j = await getJob('later');
      return condition(j, 'Suspended')?.status === 'False' ? j : undefined;
    });
    assert.equal(condition(resumed, 'Suspended')?.reason, 'JobResumed');
    assert.ok(resumed.status?.startTime);
    await waitFor('2 pods', async () => (running(await podsOf('later')).length === 2 ? true : undefined));
    const reasons = (await eventsOf('later')).map((e) => e.reason);
    assert.ok(reasons.includes('Suspended') && reasons.includes('Resumed'), reasons.join());
  });

  it('podFailurePolicy: Ignore does not count a failure; FailJob fails the Job at once', async () => {
    await createJob('policy', {
      backoffLimit: 6,
      podFailurePolicy: {
        rules: [
          { action: 'FailJob', onExitCodes: { containerName: 'c', operator: 'In', values: [42] } },
          { action: 'Ignore', onExitCodes: { operator: 'In', values: [3] } },
        ],
      },
    });
    const longAgo = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const first = await waitFor('a pod', async () => running(await podsOf('policy'))[0]);
    await finish(first, 'Failed', 3, longAgo);
    const second = await waitFor('a replacement', async () => running(await podsOf('policy')).find((p) => p.metadata?.uid !== first.metadata?.uid));
    // Once the controller is done with the ignored pod (its finalizer is off), the failure is still not counted.
    await waitFor('the ignored pod processed', async () => {
      const p = await cluster.client.get<PodObject>(gvr.pods, NS, first.metadata!.name!);
      return (p.metadata?.finalizers ?? []).includes(TRACKING) ? undefined : true;
    });
    assert.equal((await getJob('policy')).status?.failed, undefined, 'an ignored failure is not counted');
    await finish(second, 'Failed', 42, longAgo);
    const job = await waitFor('Failed', async () => {
      const j = await getJob('policy');
      return condition(j, 'Failed') ? j : undefined;
    });
    const failed = condition(job, 'Failed')!;
    assert.equal(failed.reason, 'PodFailurePolicy');
    assert.equal(failed.message, `Container c for pod ${NS}/${second.metadata!.name} failed with exit code 42 matching FailJob rule at index 0`);
    assert.equal(job.status?.failed, 1);
  });

  it('a deleted Job leaves no tracking finalizer on its pods', async () => {
    await createJob('dropped', { parallelism: 2, completions: 2 });
    await waitFor('2 pods', async () => ((await podsOf('dropped')).length === 2 ? true : undefined));
    await cluster.client.delete(gvr.jobs, NS, 'dropped', { propagationPolicy: 'Orphan' });
    await waitFor('finalizers removed', async () => {
      const pods = await podsOf('dropped');
      return pods.length === 2 && pods.every((p) => !(p.metadata?.finalizers ?? []).includes(TRACKING)) ? true : undefined;
    });
  });
});
