import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FallbackSignal } from '../flags.ts';
import { equalitySelector, parseHard } from './create-policy.ts';
import { tryParseGoDuration } from '../goduration.ts';

describe('create quota, pdb and token helpers', () => {
  it('reads --hard into a sorted resource list and rejects malformed statements', () => {
    assert.deepEqual(Object.entries(parseHard('pods=2,cpu=1')!), [
      ['cpu', '1'],
      ['pods', '2'],
    ]);
    assert.equal(parseHard(''), undefined);
    assert.throws(() => parseHard('pods'), { message: 'Invalid argument syntax pods, expected <resource>=<value>' });
  });

  it('turns equality selectors into matchLabels and leaves set-based ones to the real kubectl', () => {
    assert.deepEqual(equalitySelector('b=2,a==1'), { matchLabels: { a: '1', b: '2' } });
    assert.throws(() => equalitySelector('a in (x)'), FallbackSignal);
  });

  it("parses Go durations in milliseconds", () => {
    assert.equal(tryParseGoDuration('1h30m'), 5_400_000);
    assert.equal(tryParseGoDuration('1.5s'), 1500);
    assert.equal(tryParseGoDuration('2\u00b5s'), 0.002);
    assert.equal(tryParseGoDuration('0'), 0);
    assert.equal(tryParseGoDuration('abc'), undefined);
  });
});
