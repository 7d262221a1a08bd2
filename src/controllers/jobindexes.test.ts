// Completion index intervals as status.completedIndexes writes them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { firstPendingIndexes, formatIntervals, generateNameWithIndex, hasIndex, parseIntervals, totalOf, withIndexes } from './jobindexes.ts';

describe('completion index intervals', () => {
  it('read, merge and write as upstream: adjacent pairs with a comma, runs with a dash', () => {
    const iv = parseIntervals('0,2-4,7', 10);
    assert.deepEqual(iv, [{ first: 0, last: 0 }, { first: 2, last: 4 }, { first: 7, last: 7 }]);
    assert.equal(formatIntervals(withIndexes(iv, [1, 8])), '0-4,7,8');
    assert.equal(formatIntervals(withIndexes([], [3, 4])), '3,4');
    assert.equal(totalOf(iv), 5);
    assert.equal(hasIndex(iv, 3), true);
    assert.equal(hasIndex(iv, 5), false);
  });

  it('drops indexes at or above completions and skips unreadable parts', () => {
    assert.equal(formatIntervals(parseIntervals('1,x,3-9', 5)), '1,3,4');
    assert.equal(formatIntervals(parseIntervals('6', 5)), '');
  });

  it('the first pending indexes skip those taken', () => {
    assert.deepEqual(firstPendingIndexes(parseIntervals('0,2-3', 10), 3, 10), [1, 4, 5]);
    assert.deepEqual(firstPendingIndexes(parseIntervals('0-1', 3), 5, 3), [2]);
  });

  it('pod names keep the index when the Job name is long', () => {
    assert.equal(generateNameWithIndex('job', 3), 'job-3-');
    const long = generateNameWithIndex('j'.repeat(70), 12);
    assert.equal(long.length, 58);
    assert.ok(long.endsWith('-12-'));
  });
});
