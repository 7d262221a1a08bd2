import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { humanDuration, translateTimestampSince } from './duration.ts';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;
const y = 365 * d;

describe('humanDuration', () => {
  const cases: Array<[number, string]> = [
    [-2 * s, '<invalid>'],
    [-1999, '0s'], // truncates to -1: tolerated clock skew
    [-1 * s, '0s'],
    [0, '0s'],
    [999, '0s'],
    [5 * s, '5s'],
    [119 * s + 999, '119s'],
    [2 * m, '2m'],
    [3 * m + 2 * s, '3m2s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m, '10m'],
    [10 * m + 30 * s, '10m'],
    [179 * m + 59 * s, '179m'],
    [3 * h, '3h'],
    [3 * h + 5 * m, '3h5m'],
    [7 * h + 59 * m, '7h59m'],
    [8 * h, '8h'],
    [45 * h, '45h'],
    [47 * h + 59 * m, '47h'],
    [48 * h, '2d'],
    [2 * d + 3 * h, '2d3h'],
    [7 * d + 23 * h, '7d23h'],
    [8 * d, '8d'],
    [2 * y - 1, '729d'],
    [2 * y, '2y'],
    [2 * y + 30 * d, '2y30d'],
    [3 * y, '3y'],
    [8 * y - 1, '7y364d'],
    [8 * y, '8y'],
    [20 * y + 100 * d, '20y'],
  ];
  for (const [ms, text] of cases) {
    it(`${ms}ms -> ${text}`, () => assert.equal(humanDuration(ms), text));
  }
});

describe('translateTimestampSince', () => {
  const now = Date.parse('2026-11-26T10:21:05Z');
  it('gives the age of an RFC 3339 timestamp', () => {
    assert.equal(translateTimestampSince('2026-11-26T10:21:00Z', now), '5s');
    assert.equal(translateTimestampSince('2026-11-26T10:21:00.123456Z', now), '4s');
    assert.equal(translateTimestampSince('2026-11-23T07:21:05Z', now), '3d3h');
  });
  it('is "<unknown>" for a missing or unparsable timestamp', () => {
    assert.equal(translateTimestampSince(undefined, now), '<unknown>');
    assert.equal(translateTimestampSince(null, now), '<unknown>');
    assert.equal(translateTimestampSince('', now), '<unknown>');
    assert.equal(translateTimestampSince('yesterday-ish', now), '<unknown>');
  });
  it('is "<invalid>" well in the future', () => {
    assert.equal(translateTimestampSince('2026-11-26T10:22:00Z', now), '<invalid>');
  });
});
