// The TTL-after-finished controller on a clock the test moves: a finished Job goes once its TTL has passed, not before.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from 'kubernetes-types/batch/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { eventually } from '../../test/support/server.ts';
import type { KubeObject } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import { FakeClock } from './clock.ts';
import { TTLAfterFinishedController, ttlRemaining } from './ttlafterfinished.ts';

type JobObject = Job & KubeObject;
const stamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

describe('ttlRemaining', () => {
  const finished = (ttl: number | undefined, type = 'Complete'): Job => ({
    metadata: { name: 'j' },
    spec: { template: {}, ...(ttl === undefined ? {} : { ttlSecondsAfterFinished: ttl }) },
    status: { conditions: [{ type, status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
  });
  it('counts from the finishing condition, Complete or Failed', () => {
    assert.equal(ttlRemaining(finished(60), Date.parse('2024-01-01T00:00:20Z')), 40_000);
    assert.equal(ttlRemaining(finished(60, 'Failed'), Date.parse('2024-01-01T00:01:30Z')), -30_000);
  });
  it('does not apply without a TTL, before finishing, or once deleting', () => {
    assert.equal(ttlRemaining(finished(undefined), 0), undefined);
    assert.equal(ttlRemaining(finished(60, 'SuccessCriteriaMet'), 0), undefined);
    assert.equal(ttlRemaining({ ...finished(60), metadata: { name: 'j', deletionTimestamp: '2024-01-01T00:00:01Z' } }, 0), undefined);
  });
});

describe('ttl-after-finished controller', { timeout: 60_000 }, () => {
  let cluster: TestCluster;
  const clock = new FakeClock(Date.now());
  before(async () => {
    cluster = await startTestCluster({ controllers: { 'ttl-after-finished': (ctx) => new TTLAfterFinishedController(ctx, { clock }) } });
  });
  after(() => cluster?.stop());

  it('deletes a finished Job when its TTL has passed', async () => {
    await cluster.client.create<JobObject>(gvr.jobs, 'default', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'short-lived' },
      spec: { ttlSecondsAfterFinished: 60, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    } as JobObject);
    const t = stamp(clock.now());
    await cluster.client.patch(
      gvr.jobs,
      'default',
      'short-lived',
      'merge',
      {
        status: {
          startTime: t,
          completionTime: t,
          succeeded: 1,
          conditions: [
            { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', lastTransitionTime: t },
            { type: 'Complete', status: 'True', reason: 'CompletionsReached', lastTransitionTime: t },
          ],
        },
      },
      { subresource: 'status' },
    );
    // The controller has seen the finished Job when it waits on the clock for it.
    await eventually('a timer for the TTL', () => (clock.pending() > 0 ? true : undefined));
    assert.equal((await cluster.client.get<JobObject>(gvr.jobs, 'default', 'short-lived')).metadata?.deletionTimestamp, undefined);
    clock.advance(61_000);
    await eventually('the Job deleted', async () => {
      try {
        const job = await cluster.client.get<JobObject>(gvr.jobs, 'default', 'short-lived');
        // Foreground propagation: the garbage collector (not running here) would finish it.
        return job.metadata?.deletionTimestamp ? true : undefined;
      } catch (err) {
        if (isNotFound(err)) return true;
        throw err;
      }
    });
  });
});
