import assert from 'node:assert/strict';
import { test } from 'node:test';
import { percentile, Recorder } from './stats.ts';

test('percentile is nearest-rank on a sorted array', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(values, 0.5), 50);
  assert.equal(percentile(values, 0.99), 99);
  assert.equal(percentile(values, 1), 100);
  assert.equal(percentile([7], 0.99), 7);
  assert.ok(Number.isNaN(percentile([], 0.5)));
});

test('Recorder summarizes latencies, throughput over the window, and failures', () => {
  const recorder = new Recorder();
  for (const ms of [5, 1, 3, 2, 4]) recorder.ok(ms);
  recorder.fail(new TypeError('boom'));
  recorder.fail(new Error('second'), 3);
  const summary = recorder.summarize(500);
  assert.equal(summary.count, 5);
  assert.equal(summary.errors, 4);
  assert.equal(summary.opsPerSec, 10);
  assert.equal(summary.p50Ms, 3);
  assert.equal(summary.maxMs, 5);
  assert.equal(summary.meanMs, 3);
  assert.equal(summary.firstError, 'TypeError: boom');
});
