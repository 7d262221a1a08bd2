// podFailurePolicy and successPolicy matching, and the backoff before failed pods are replaced.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { parseIntervals } from './jobindexes.ts';
import { backoffRemaining, matchPodFailurePolicy, matchSuccessPolicy, nextBackoffRecord, podFinishedTime } from './jobpolicy.ts';

const failedPod = (exitCode: number, finishedAt = '2024-01-01T00:00:10Z', conditions: Array<{ type: string; status: string }> = []): Pod => ({
  metadata: { name: 'p', namespace: 'ns', creationTimestamp: '2024-01-01T00:00:00Z' },
  status: { phase: 'Failed', conditions, containerStatuses: [{ name: 'main', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, finishedAt } } }] },
});

describe('podFailurePolicy', () => {
  const policy = {
    rules: [
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      { action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } },
      { action: 'Count', onExitCodes: { operator: 'NotIn', values: [42, 43] } },
    ],
  };
  it('the first matching rule decides', () => {
    assert.deepEqual(matchPodFailurePolicy(policy, failedPod(42)), {
      failJobMessage: 'Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 1',
      countFailed: true,
      action: 'FailJob',
    });
    assert.deepEqual(matchPodFailurePolicy(policy, failedPod(42, undefined, [{ type: 'DisruptionTarget', status: 'True' }])), { countFailed: false, action: 'Ignore' });
    assert.deepEqual(matchPodFailurePolicy(policy, failedPod(1)), { countFailed: true, action: 'Count' });
    // No rule matches: counted, no action.
    assert.deepEqual(matchPodFailurePolicy(policy, failedPod(43)), { countFailed: true });
  });
  it('exit code 0 never matches', () => {
    assert.deepEqual(matchPodFailurePolicy({ rules: [{ action: 'FailJob', onExitCodes: { operator: 'NotIn', values: [1] } }] }, failedPod(0)), { countFailed: true });
  });
});

describe('successPolicy', () => {
  it('succeededIndexes, succeededCount, or both', () => {
    const done = parseIntervals('0-2,5', 10);
    assert.equal(matchSuccessPolicy({ rules: [{ succeededIndexes: '7' }, { succeededIndexes: '0-2' }] }, 10, done), 'Matched rules at index 1');
    assert.equal(matchSuccessPolicy({ rules: [{ succeededIndexes: '4-6', succeededCount: 1 }] }, 10, done), 'Matched rules at index 0');
    assert.equal(matchSuccessPolicy({ rules: [{ succeededIndexes: '4-6', succeededCount: 2 }] }, 10, done), undefined);
    assert.equal(matchSuccessPolicy({ rules: [{ succeededCount: 4 }] }, 10, done), 'Matched rules at index 0');
    assert.equal(matchSuccessPolicy({ rules: [{ succeededCount: 5 }] }, 10, done), undefined);
  });
});

describe('pod failure backoff', () => {
  const t0 = Date.parse('2024-01-01T00:00:10Z');
  it('10 s after the first failure, doubling, capped at 10 minutes', () => {
    assert.equal(backoffRemaining({ failuresAfterLastSuccess: 0 }, t0), 0);
    assert.equal(backoffRemaining({ failuresAfterLastSuccess: 1, lastFailureTime: t0 }, t0), 10_000);
    assert.equal(backoffRemaining({ failuresAfterLastSuccess: 3, lastFailureTime: t0 }, t0 + 15_000), 25_000);
    assert.equal(backoffRemaining({ failuresAfterLastSuccess: 20, lastFailureTime: t0 }, t0), 600_000);
    assert.equal(backoffRemaining({ failuresAfterLastSuccess: 2, lastFailureTime: t0 }, t0 + 60_000), 0);
  });
  it('failures count from the last success', () => {
    const early = failedPod(1, '2024-01-01T00:00:05Z');
    const late = failedPod(1, '2024-01-01T00:00:20Z');
    const success: Pod = { metadata: {}, status: { phase: 'Succeeded', containerStatuses: [{ name: 'main', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, finishedAt: '2024-01-01T00:00:10Z' } } }] } };
    assert.deepEqual(nextBackoffRecord({ failuresAfterLastSuccess: 4, lastFailureTime: 0 }, [success], [early, late]), { failuresAfterLastSuccess: 1, lastFailureTime: Date.parse('2024-01-01T00:00:20Z') });
    assert.deepEqual(nextBackoffRecord({ failuresAfterLastSuccess: 1, lastFailureTime: 0 }, [], [early]), { failuresAfterLastSuccess: 2, lastFailureTime: Date.parse('2024-01-01T00:00:05Z') });
    assert.deepEqual(nextBackoffRecord(undefined, [success], [early]), { failuresAfterLastSuccess: 0 });
  });
  it('a pod finished when its last container did, else when Ready turned False, else at deletion less grace', () => {
    assert.equal(podFinishedTime(failedPod(1)), t0);
    const notReady: Pod = { metadata: {}, status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: '2024-01-01T00:01:00Z' }] } };
    assert.equal(podFinishedTime(notReady), Date.parse('2024-01-01T00:01:00Z'));
    const deleted: Pod = { metadata: { deletionTimestamp: '2024-01-01T00:02:00Z', deletionGracePeriodSeconds: 30 } };
    assert.equal(podFinishedTime(deleted), Date.parse('2024-01-01T00:01:30Z'));
  });
});
