// kubelet's crash-loop backoff: the first restart is free, then 10 s doubling to 5 min, and 10 quiet minutes reset it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff } from './backoff.ts';

describe('Backoff', () => {
  it('lets the first failure through, then backs off 10s, 20s, 40s … up to 300s', () => {
    let now = 1_000_000;
    const b = new Backoff(10_000, 300_000, () => now);
    assert.equal(b.isInBackOffSince('k', now), false);
    b.next('k', now);
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      now += 1_000; // the container ran for a second and exited
      const exitedAt = now;
      assert.equal(b.isInBackOffSince('k', exitedAt), true);
      delays.push(b.get('k'));
      assert.equal(b.endsAt('k', exitedAt), exitedAt + b.get('k'));
      now = exitedAt + b.get('k');
      assert.equal(b.isInBackOffSince('k', exitedAt), false);
      b.next('k', exitedAt);
    }
    assert.deepEqual(delays, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });

  it('starts over after a container ran longer than twice the maximum', () => {
    let now = 0;
    const b = new Backoff(10_000, 300_000, () => now);
    b.next('k', now);
    b.next('k', now);
    assert.equal(b.get('k'), 20_000);
    now += 11 * 60_000;
    assert.equal(b.isInBackOffSince('k', now), false);
    b.next('k', now);
    assert.equal(b.get('k'), 10_000);
  });

  it('backs image pulls off from the last failure, and forgets a pod', () => {
    let now = 0;
    const b = new Backoff(10_000, 300_000, () => now);
    b.next('uid1_img', now);
    assert.equal(b.isInBackOffSinceUpdate('uid1_img'), true);
    now += 10_001;
    assert.equal(b.isInBackOffSinceUpdate('uid1_img'), false);
    b.forgetPrefix('uid1_');
    assert.equal(b.get('uid1_img'), 0);
  });
});
