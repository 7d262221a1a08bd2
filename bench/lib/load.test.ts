import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closedLoop, forEachConcurrent, openLoop } from './load.ts';

test('openLoop fires every operation on its own schedule without waiting for earlier ones', async () => {
  const scheduled: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const run = openLoop({ ratePerSec: 1000, durationMs: 20 }, async (i, at) => {
    scheduled[i] = at;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    if (i === 19) release();
    await gate; // nothing completes until the last one was sent
    inFlight--;
  });
  const result = await run;
  assert.equal(result.sent, 20);
  assert.equal(maxInFlight, 20);
  for (let i = 1; i < scheduled.length; i++) assert.ok(Math.abs(scheduled[i]! - scheduled[i - 1]! - 1) < 1e-6);
});

test('closedLoop stops each worker at maxOpsPerWorker', async () => {
  const counts = [0, 0, 0];
  await closedLoop({ workers: 3, durationMs: 60_000, maxOpsPerWorker: 4 }, async (worker) => {
    counts[worker]!++;
  });
  assert.deepEqual(counts, [4, 4, 4]);
});

test('forEachConcurrent visits every item once with at most the given concurrency', async () => {
  const seen: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  await forEachConcurrent([...Array(25).keys()], 4, async (item) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    seen.push(item);
    inFlight--;
  });
  assert.deepEqual([...seen].sort((a, b) => a - b), [...Array(25).keys()]);
  assert.equal(maxInFlight, 4);
});
