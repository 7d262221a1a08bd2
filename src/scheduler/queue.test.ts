import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { eventMayHelp, QueueClosedError, SchedulingQueue } from './queue.ts';
import type { QueuedPodInfo } from './queue.ts';
import { makePod } from './testutil.ts';

function fakeClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

const pod = (name: string, priority = 0): Pod => makePod(name, {}, { priority });
const names = (q: SchedulingQueue): string[] => {
  const out: string[] = [];
  for (let i = q.popNow(); i; i = q.popNow()) out.push(i.pod.metadata?.name ?? '');
  return out;
};

describe('SchedulingQueue', () => {
  it('orders activeQ by priority, then by arrival', () => {
    const clock = fakeClock();
    const q = new SchedulingQueue({ clock });
    q.add(pod('low-old', 0));
    clock.advance(1);
    q.add(pod('high', 100));
    clock.advance(1);
    q.add(pod('low-new', 0));
    clock.advance(1);
    q.add(pod('mid', 10));
    assert.deepEqual(names(q), ['high', 'mid', 'low-old', 'low-new']);
  });

  it('doubles the backoff per attempt from 1 s up to 10 s', () => {
    const q = new SchedulingQueue({ clock: fakeClock() });
    const info = { attempts: 1, timestamp: 0 } as QueuedPodInfo;
    const durations = [1, 2, 3, 4, 5, 6].map((attempts) => q.backoffDuration({ ...info, attempts }));
    assert.deepEqual(durations, [1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('parks unschedulable pods until a cluster event that may help, then honours backoff', () => {
    const clock = fakeClock();
    const q = new SchedulingQueue({ clock });
    q.add(pod('p'));
    const info = q.popNow();
    assert.ok(info);
    q.addUnschedulable(info, { unschedulablePlugins: new Set(['NodeResourcesFit']) });
    assert.equal(q.where('default/p'), 'unschedulable');
    // A taint change cannot help a pod short of cpu.
    assert.equal(q.moveAllToActiveOrBackoff({ resource: 'Node', action: 'UpdateNodeTaint' }), 0);
    assert.equal(q.where('default/p'), 'unschedulable');
    // A deleted pod frees resources, but the 1 s backoff of the first attempt is still running.
    clock.advance(500);
    assert.equal(q.moveAllToActiveOrBackoff({ resource: 'AssignedPod', action: 'Delete' }), 1);
    assert.equal(q.where('default/p'), 'backoff');
    assert.equal(q.flushBackoffCompleted(), 0);
    clock.advance(500);
    assert.equal(q.flushBackoffCompleted(), 1);
    assert.equal(q.where('default/p'), 'active');
    const again = q.popNow();
    assert.equal(again?.attempts, 2);
  });

  it('sends a pod to backoff when an event arrived while it was being scheduled', () => {
    const clock = fakeClock();
    const q = new SchedulingQueue({ clock });
    q.add(pod('p'));
    const info = q.popNow();
    assert.ok(info);
    q.moveAllToActiveOrBackoff({ resource: 'Node', action: 'Add' });
    q.addUnschedulable(info, { unschedulablePlugins: new Set(['TaintToleration']) });
    assert.equal(q.where('default/p'), 'backoff');
    clock.advance(999);
    assert.equal(q.flushBackoffCompleted(), 0);
    clock.advance(1);
    assert.equal(q.flushBackoffCompleted(), 1);
  });

  it('retries pods parked longer than the limit, and forgets deleted ones', () => {
    const clock = fakeClock();
    const q = new SchedulingQueue({ clock, maxUnschedulableMs: 60_000 });
    q.add(pod('a'));
    q.add(pod('b'));
    const a = q.popNow();
    const b = q.popNow();
    assert.ok(a && b);
    q.addUnschedulable(a);
    q.delete(b.pod);
    q.addUnschedulable(b);
    assert.deepEqual(q.pending(), { active: 0, backoff: 0, unschedulable: 1 });
    clock.advance(59_999);
    assert.equal(q.flushUnschedulableLeftover(), 0);
    clock.advance(1);
    assert.equal(q.flushUnschedulableLeftover(), 1);
    assert.equal(q.where('default/a'), 'active');
  });

  it('wakes a waiting pop, and honours abort and close', async () => {
    const q = new SchedulingQueue({ clock: fakeClock() });
    const waiting = q.pop();
    q.add(pod('p'));
    assert.equal((await waiting).pod.metadata?.name, 'p');
    const ac = new AbortController();
    const aborted = q.pop(ac.signal);
    ac.abort(new Error('stop'));
    await assert.rejects(aborted, /stop/);
    const closed = q.pop();
    q.close();
    await assert.rejects(closed, QueueClosedError);
  });

  it('knows which events may help which plugins', () => {
    assert.ok(eventMayHelp({ resource: 'Node', action: 'Add' }, new Set(['NodeAffinity'])));
    assert.ok(!eventMayHelp({ resource: 'AssignedPod', action: 'Delete' }, new Set(['NodeAffinity'])));
    assert.ok(eventMayHelp({ resource: 'AssignedPod', action: 'Delete' }, new Set()));
    assert.ok(eventMayHelp({ resource: 'AssignedPod', action: 'Delete' }, new Set(['SomeOutOfTreePlugin'])));
  });
});
