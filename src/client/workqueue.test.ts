import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ItemExponentialRateLimiter, runWorkers, WorkQueue, type RateLimiter } from './workqueue.ts';

/** What get() answers within 10 ms, or 'pending' (the waiting get is withdrawn so it takes no item later). */
async function getSoon<T extends NonNullable<unknown>>(q: WorkQueue<T>): Promise<T | undefined | 'pending'> {
  const controller = new AbortController();
  const result = await Promise.race([q.get(controller.signal), sleep(10).then(() => 'pending' as const)]);
  controller.abort();
  return result;
}

describe('WorkQueue', () => {
  it('deduplicates an item added twice while queued', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(q.len(), 0);
  });

  it('never hands out a key being processed; a re-add while processing comes back after done()', async () => {
    const q = new WorkQueue();
    q.add('a');
    const first = await q.get();
    assert.equal(first, 'a');
    q.add('a');
    q.add('a');
    assert.equal(q.len(), 0, 'a re-added key waits for done()');
    assert.equal(await getSoon(q), 'pending');
    q.shutDown();
    const q2 = new WorkQueue();
    q2.add('a');
    await q2.get();
    q2.add('a');
    const second = q2.get();
    assert.equal(await Promise.race([second, sleep(10).then(() => 'pending')]), 'pending');
    q2.done('a');
    assert.equal(await second, 'a');
    q2.done('a');
    assert.equal(q2.len(), 0, 'done without a re-add does not queue again');
  });

  it('runWorkers never runs one key on two workers at once', async () => {
    const q = new WorkQueue();
    const running = new Set<string>();
    let overlaps = 0;
    let runs = 0;
    const controller = new AbortController();
    const workers = runWorkers(
      q,
      4,
      async (key) => {
        if (running.has(key)) overlaps++;
        running.add(key);
        runs++;
        await sleep(2);
        running.delete(key);
        if (runs >= 40) controller.abort();
      },
      controller.signal,
    );
    for (let round = 0; round < 20 && !controller.signal.aborted; round++) {
      for (const key of ['x', 'y', 'x', 'x', 'y']) q.add(key);
      await sleep(1);
    }
    controller.abort();
    await workers;
    assert.ok(runs >= 2);
    assert.equal(overlaps, 0);
    assert.equal(q.shuttingDown(), true);
  });

  it('backs off exponentially per item from 5 ms, capped at 1000 s, until forget', () => {
    const limiter = new ItemExponentialRateLimiter<string>();
    assert.deepEqual([limiter.when('a'), limiter.when('a'), limiter.when('a'), limiter.when('a')], [5, 10, 20, 40]);
    assert.equal(limiter.when('b'), 5, 'backoff is per item');
    assert.equal(limiter.numRequeues('a'), 4);
    for (let i = 0; i < 40; i++) limiter.when('a');
    assert.equal(limiter.when('a'), 1_000_000);
    limiter.forget('a');
    assert.equal(limiter.numRequeues('a'), 0);
    assert.equal(limiter.when('a'), 5);
  });

  it('addRateLimited waits the limiter delay; forget resets it', async () => {
    const asked: number[] = [];
    const base = new ItemExponentialRateLimiter<string>(1, 1_000);
    const recording: RateLimiter<string> = {
      when: (item) => {
        const d = base.when(item);
        asked.push(d);
        return d;
      },
      forget: (item) => base.forget(item),
      numRequeues: (item) => base.numRequeues(item),
    };
    const q = new WorkQueue({ rateLimiter: recording });
    q.addRateLimited('k');
    assert.equal(q.len(), 0, 'not queued before its delay');
    assert.equal(await q.get(), 'k');
    q.done('k');
    q.addRateLimited('k');
    assert.equal(await q.get(), 'k');
    q.done('k');
    assert.equal(q.numRequeues('k'), 2);
    q.forget('k');
    q.addRateLimited('k');
    assert.equal(await q.get(), 'k');
    assert.deepEqual(asked, [1, 2, 1]);
    q.shutDown();
  });

  it('addAfter queues the item only after the delay, and the earliest of two delays wins', async () => {
    const q = new WorkQueue();
    q.addAfter('late', 60_000);
    q.addAfter('late', 20);
    assert.equal(q.len(), 0);
    assert.equal(await getSoon(q), 'pending');
    const got = await q.get();
    assert.equal(got, 'late');
    q.done('late');
    q.addAfter('now', 0);
    assert.equal(q.len(), 1, 'a zero delay adds at once');
    q.shutDown();
  });

  it('shutDown wakes waiting getters with undefined, drains what is queued, and drops delayed items', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.shutDown();
    assert.equal(await waiting, undefined);
    const q2 = new WorkQueue();
    q2.add('a');
    q2.addAfter('b', 10);
    q2.shutDown();
    q2.add('c');
    assert.equal(await q2.get(), 'a');
    assert.equal(await q2.get(), undefined);
  });

  it('get rejects with the signal reason when aborted while waiting', async () => {
    const q = new WorkQueue();
    const controller = new AbortController();
    const waiting = q.get(controller.signal);
    controller.abort(new Error('stop'));
    await assert.rejects(waiting, /stop/);
    q.add('a');
    assert.equal(await q.get(), 'a', 'the aborted waiter does not swallow the next item');
  });

  it('runWorkers forgets on success and re-queues with backoff on failure', async () => {
    const q = new WorkQueue();
    const controller = new AbortController();
    const errors: string[] = [];
    let tries = 0;
    const done = runWorkers(
      q,
      2,
      async (key) => {
        tries++;
        if (tries < 3) throw new Error(`fail ${tries}`);
        assert.equal(q.numRequeues(key), 2, 'two failures counted before the success');
        controller.abort();
      },
      controller.signal,
      { onError: (_key, err) => errors.push((err as Error).message) },
    );
    q.add('k');
    await done;
    assert.deepEqual(errors, ['fail 1', 'fail 2']);
    assert.equal(q.numRequeues('k'), 0, 'forgotten after success');
  });
});
