import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RememberingTabWriter } from './remembering-tabwriter.ts';
import { parseRequestTimeout } from './watch-stream.ts';

describe('remembering tabwriter', () => {
  it('keeps columns at least as wide as in earlier flushes', () => {
    const w = new RememberingTabWriter();
    assert.equal(w.flush('NAME\tDATA\tAGE\nkeep\t1\t5s\n'), 'NAME   DATA   AGE\nkeep   1      5s\n');
    assert.equal(w.flush('a\t2\t1s\n'), 'a      2      1s\n');
    assert.equal(w.flush('a-much-longer-name\t3\t1s\n'), 'a-much-longer-name   3      1s\n');
    assert.equal(w.flush('b\t4\t1s\n'), 'b                    4      1s\n');
  });
});

describe('--request-timeout', () => {
  it('reads seconds and Go durations', () => {
    assert.equal(parseRequestTimeout(undefined), 0);
    assert.equal(parseRequestTimeout('0'), 0);
    assert.equal(parseRequestTimeout('5'), 5000);
    assert.equal(parseRequestTimeout('1m30s'), 90_000);
    assert.equal(parseRequestTimeout('250ms'), 250);
    assert.throws(() => parseRequestTimeout('soon'), /invalid timeout value/);
  });
});
