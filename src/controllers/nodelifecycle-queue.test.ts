import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimitedTimedQueue, TokenBucket } from './nodelifecycle-queue.ts';
import { matchingTolerations, minTolerationMs, toleratesTaint, zoneKey } from './nodelifecycle-util.ts';

void describe('node lifecycle tainting queue', () => {
  void it('lets one node through at once, then one per 1/qps seconds', async () => {
    let now = 0;
    const q = new RateLimitedTimedQueue(0.1, () => now);
    for (const n of ['a', 'b', 'c']) assert.equal(q.add(n, `${n}-uid`), true);
    assert.equal(q.add('a', 'a-uid'), false);
    const seen: string[] = [];
    const take = async () => q.try(async (name) => (seen.push(name), { done: true }));
    await take();
    assert.deepEqual(seen, ['a']);
    now = 5_000;
    await take();
    assert.deepEqual(seen, ['a']);
    now = 10_000;
    await take();
    assert.deepEqual(seen, ['a', 'b']);
    q.swapLimiter(0);
    now = 100_000;
    await take();
    assert.deepEqual(seen, ['a', 'b'], 'a zero rate stops tainting');
    q.swapLimiter(1);
    await take();
    assert.deepEqual(seen, ['a', 'b'], 'a swap from a drained limiter starts drained');
    now = 101_000;
    await take();
    assert.deepEqual(seen, ['a', 'b', 'c']);
    assert.equal(q.size, 0);
  });

  void it('retries an item later when told to', async () => {
    let now = 0;
    const q = new RateLimitedTimedQueue(1000, () => now);
    q.add('a', '1');
    let calls = 0;
    await q.try(async () => (calls++, { done: false, retryAfterMs: 50 }));
    await q.try(async () => (calls++, { done: true }));
    assert.equal(calls, 1, 'not due yet');
    now = 100;
    await q.try(async () => (calls++, { done: true }));
    assert.equal(calls, 2);
    assert.equal(q.has('a'), false);
  });

  void it('token bucket starts full and refills', () => {
    let now = 0;
    const b = new TokenBucket(2, 1, () => now);
    assert.equal(b.tryAccept(), true);
    assert.equal(b.tryAccept(), false);
    now = 500;
    assert.equal(b.tryAccept(), true);
  });
});

void describe('tolerations', () => {
  const unreachable = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
  void it('match as upstream ToleratesTaint does', () => {
    assert.equal(toleratesTaint({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }, unreachable), true);
    assert.equal(toleratesTaint({ operator: 'Exists' }, unreachable), true, 'an empty key with Exists tolerates everything');
    assert.equal(toleratesTaint({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }, unreachable), false);
    assert.equal(toleratesTaint({ key: 'k', value: 'v' }, { key: 'k', value: 'v', effect: 'NoExecute' }), true);
    assert.equal(toleratesTaint({ key: 'k', operator: 'Equal', value: 'w' }, { key: 'k', value: 'v', effect: 'NoExecute' }), false);
  });

  void it('give the shortest tolerationSeconds, or forever', () => {
    const t300 = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
    const t5 = { operator: 'Exists', tolerationSeconds: 5 };
    const forever = { operator: 'Exists' };
    const notReady = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' };
    const both = matchingTolerations([unreachable, notReady], [t300, t5]);
    assert.equal(both.all, true);
    assert.equal(minTolerationMs(both.used), 5_000);
    assert.equal(minTolerationMs(matchingTolerations([unreachable], [forever]).used), -1);
    assert.equal(matchingTolerations([unreachable], [{ key: 'other', operator: 'Exists' }]).all, false);
    assert.equal(minTolerationMs([{ operator: 'Exists', tolerationSeconds: -1 }]), 0);
  });

  void it('group nodes into zones by their topology labels', () => {
    assert.equal(zoneKey({ metadata: { labels: {} } }), '');
    assert.equal(zoneKey({ metadata: { labels: { 'topology.kubernetes.io/region': 'r', 'topology.kubernetes.io/zone': 'z' } } }), 'r:\x00:z');
  });
});
