import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TimerQueue } from './timers.ts';

void describe('TimerQueue', () => {
  void it('fires keys in time order, once each, replacing earlier schedules of a key', async () => {
    const fired: string[] = [];
    const t0 = Date.now();
    const q = new TimerQueue((k) => fired.push(k));
    q.schedule('c', t0 + 60);
    q.schedule('a', t0 + 10);
    q.schedule('b', t0 + 30);
    q.schedule('a', t0 + 45); // moved after b
    q.schedule('gone', t0 + 20);
    q.cancel('gone');
    assert.equal(q.size, 3);
    assert.equal(q.dueAt('a'), t0 + 45);
    await sleep(150);
    assert.deepEqual(fired, ['b', 'a', 'c']);
    assert.equal(q.size, 0);
    q.stop();
  });

  void it('re-arms for an earlier key and fires past-due keys at once', async () => {
    const fired: string[] = [];
    const q = new TimerQueue((k) => fired.push(k));
    q.schedule('late', Date.now() + 10_000);
    q.schedule('now', Date.now() - 5);
    await sleep(20);
    assert.deepEqual(fired, ['now']);
    q.stop();
    q.schedule('after-stop', Date.now());
    await sleep(20);
    assert.deepEqual(fired, ['now']);
  });

  void it('stays small when keys are rescheduled again and again', () => {
    const q = new TimerQueue(() => {});
    const t0 = Date.now() + 60_000;
    for (let i = 0; i < 20_000; i++) q.schedule(`k${i % 10}`, t0 - i);
    assert.equal(q.size, 10);
    assert.equal(q.dueAt('k9'), t0 - 19_999);
    q.stop();
  });
});
