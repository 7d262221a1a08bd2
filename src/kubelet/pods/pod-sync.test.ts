import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { terminationGracePeriod } from './pod-sync.ts';

describe('terminationGracePeriod', () => {
  const pod = (deletionGracePeriodSeconds: number | undefined, terminationGracePeriodSeconds: number | undefined) => ({
    metadata: { name: 'p', ...(deletionGracePeriodSeconds !== undefined && { deletionGracePeriodSeconds }) },
    spec: { containers: [], ...(terminationGracePeriodSeconds !== undefined && { terminationGracePeriodSeconds }) },
  });
  it("uses the deletion's grace, the pod's when force-deleted, and at least one second", () => {
    assert.equal(terminationGracePeriod(pod(10, 30)), 10);
    assert.equal(terminationGracePeriod(pod(0, 30)), 30, 'a force deletion still stops the pod gracefully, as kubelet does');
    assert.equal(terminationGracePeriod(pod(undefined, 0)), 1);
    assert.equal(terminationGracePeriod(pod(undefined, undefined)), undefined);
  });
});
