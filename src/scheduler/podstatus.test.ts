import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod, PodCondition } from 'kubernetes-types/core/v1.d.ts';
import { conditionChange } from './podstatus.ts';
import { nodeUpdateActions } from './scheduler.ts';
import { makeNode } from './testutil.ts';

describe('conditionChange', () => {
  const pod = (conditions: PodCondition[]): Pod => ({ metadata: { name: 'p' }, status: { conditions } });
  const wanted = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'no' };

  it('adds a missing condition and changes a different one, keeping the transition time when the status stays', () => {
    assert.equal(conditionChange(pod([]), wanted)?.status, 'False');
    const old = { ...wanted, message: 'earlier', lastTransitionTime: '2020-01-01T00:00:00Z' };
    const next = conditionChange(pod([old]), wanted);
    assert.equal(next?.message, 'no');
    assert.equal(next?.lastTransitionTime, '2020-01-01T00:00:00Z');
  });

  it('reports nothing to do for the same condition', () => {
    assert.equal(conditionChange(pod([{ ...wanted, lastTransitionTime: '2020-01-01T00:00:00Z' }]), wanted), undefined);
  });
});

describe('nodeUpdateActions', () => {
  it('names what changed for scheduling and ignores heartbeats', () => {
    const a = makeNode('n', { labels: { zone: 'a' } });
    assert.deepEqual(nodeUpdateActions(a, makeNode('n', { labels: { zone: 'b' } })), ['UpdateNodeLabel']);
    assert.deepEqual(nodeUpdateActions(a, makeNode('n', { labels: { zone: 'a' }, cpu: '8' })), ['UpdateNodeAllocatable']);
    assert.deepEqual(nodeUpdateActions(a, makeNode('n', { labels: { zone: 'a' }, unschedulable: true })), ['UpdateNodeTaint']);
    const beat = (t: string) => ({ ...a, status: { ...a.status, conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: t }] } });
    assert.deepEqual(nodeUpdateActions(beat('1'), beat('2')), []);
  });
});
