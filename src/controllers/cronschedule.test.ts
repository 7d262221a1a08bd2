// robfig/cron v3's ParseStandard and Next: fields, names, steps, descriptors, day-of-month/day-of-week semantics,
// leap days and daylight-saving changes in a time zone (cases from robfig's own DST tests, in five fields).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isValidTimeZone, parseGoDuration, parseStandard, Zone } from './cronschedule.ts';
import { rfc3339In } from './cronjobtimes.ts';

/** The next activation after `from` (an RFC 3339 time), written in `zone`. */
function next(spec: string, from: string, zone = 'UTC'): string | undefined {
  const at = parseStandard(spec, zone).next(Date.parse(from));
  return at === undefined ? undefined : rfc3339In(at, Zone.of(zone));
}

describe('parseStandard', () => {
  it('steps, ranges and lists', () => {
    assert.equal(next('*/15 * * * *', '2024-01-01T00:07:30Z'), '2024-01-01T00:15:00Z');
    assert.equal(next('5,35 */6 * * *', '2024-01-01T06:06:00Z'), '2024-01-01T06:35:00Z');
    assert.equal(next('0 9-17/4 * * *', '2024-01-01T09:00:00Z'), '2024-01-01T13:00:00Z');
    assert.equal(next('10/20 * * * *', '2024-01-01T00:31:00Z'), '2024-01-01T00:50:00Z');
    assert.equal(next('? * * * ?', '2024-01-01T00:00:59Z'), '2024-01-01T00:01:00Z');
  });

  it('is strictly after the given time, at whole minutes', () => {
    assert.equal(next('* * * * *', '2024-01-01T00:00:00Z'), '2024-01-01T00:01:00Z');
    assert.equal(next('* * * * *', '2024-01-01T00:00:00.500Z'), '2024-01-01T00:01:00Z');
  });

  it('month and day names, in any case', () => {
    assert.equal(next('0 9 * jan-mar mon-fri', '2024-03-29T10:00:00Z'), '2025-01-01T09:00:00Z');
    assert.equal(next('0 0 * * SAT', '2024-01-01T00:00:00Z'), '2024-01-06T00:00:00Z');
    assert.equal(next('0 0 1 Jun *', '2024-01-01T00:00:00Z'), '2024-06-01T00:00:00Z');
  });

  it('day of month and day of week: either matches, unless one of them is *', () => {
    // The 1st or a Monday.
    assert.equal(next('0 0 1 * 1', '2024-01-02T00:00:00Z'), '2024-01-08T00:00:00Z');
    assert.equal(next('0 0 1 * 1', '2024-01-29T00:00:00Z'), '2024-02-01T00:00:00Z');
    // * on one side: both must match (every Monday; every day).
    assert.equal(next('0 0 * * 1', '2024-01-01T00:00:00Z'), '2024-01-08T00:00:00Z');
    assert.equal(next('0 0 1 * *', '2024-01-01T00:00:00Z'), '2024-02-01T00:00:00Z');
    // */2 is no longer a star (odd days or Mondays); */1 still is (Mondays only).
    assert.equal(next('0 0 */2 * 1', '2024-01-01T00:00:00Z'), '2024-01-03T00:00:00Z');
    assert.equal(next('0 0 */1 * 1', '2024-01-01T00:00:00Z'), '2024-01-08T00:00:00Z');
  });

  it('February 29th comes in leap years only', () => {
    assert.equal(next('0 0 29 2 *', '2023-03-01T00:00:00Z'), '2024-02-29T00:00:00Z');
    assert.equal(next('0 0 29 2 *', '2024-02-29T00:00:00Z'), '2028-02-29T00:00:00Z');
    // The 31st of February never comes: nothing within five years.
    assert.equal(next('0 0 31 2 *', '2024-01-01T00:00:00Z'), undefined);
  });

  it('descriptors', () => {
    assert.equal(next('@hourly', '2024-01-01T10:30:00Z'), '2024-01-01T11:00:00Z');
    assert.equal(next('@daily', '2024-01-01T10:30:00Z'), '2024-01-02T00:00:00Z');
    assert.equal(next('@midnight', '2024-01-01T10:30:00Z'), '2024-01-02T00:00:00Z');
    assert.equal(next('@weekly', '2024-01-03T10:30:00Z'), '2024-01-07T00:00:00Z');
    assert.equal(next('@monthly', '2024-01-03T10:30:00Z'), '2024-02-01T00:00:00Z');
    assert.equal(next('@yearly', '2024-01-03T10:30:00Z'), '2025-01-01T00:00:00Z');
    assert.equal(next('@annually', '2024-01-03T10:30:00Z'), '2025-01-01T00:00:00Z');
    assert.equal(next('@every 1h30m', '2024-01-01T10:00:00.700Z'), '2024-01-01T11:30:00Z');
    assert.equal(next('@every 10ms', '2024-01-01T10:00:00Z'), '2024-01-01T10:00:01Z');
  });

  it('rejects what robfig rejects, with its words', () => {
    assert.throws(() => parseStandard('', 'UTC'), { name: 'CronParseError', message: 'empty spec string' });
    assert.throws(() => parseStandard('* * * *', 'UTC'), { message: 'expected exactly 5 fields, found 4: [* * * *]' });
    assert.throws(() => parseStandard('0 0 * * * *', 'UTC'), { message: 'expected exactly 5 fields, found 6: [0 0 * * * *]' });
    assert.throws(() => parseStandard('60 * * * *', 'UTC'), { message: 'end of range (60) above maximum (59): 60' });
    assert.throws(() => parseStandard('0 0 * * 7', 'UTC'), { message: 'end of range (7) above maximum (6): 7' });
    assert.throws(() => parseStandard('0 0 0 * *', 'UTC'), { message: 'beginning of range (0) below minimum (1): 0' });
    assert.throws(() => parseStandard('5-2 * * * *', 'UTC'), { message: 'beginning of range (5) beyond end of range (2): 5-2' });
    assert.throws(() => parseStandard('*/0 * * * *', 'UTC'), { message: 'step of range should be a positive number: */0' });
    assert.throws(() => parseStandard('1-2-3 * * * *', 'UTC'), { message: 'too many hyphens: 1-2-3' });
    assert.throws(() => parseStandard('mon * * * *', 'UTC'), /^CronParseError: failed to parse int from mon/);
    assert.throws(() => parseStandard('@fortnightly', 'UTC'), { message: 'unrecognized descriptor: @fortnightly' });
    assert.throws(() => parseStandard('@every fast', 'UTC'), { message: 'failed to parse duration @every fast: time: invalid duration "fast"' });
    assert.throws(() => parseStandard('TZ=Nowhere/Land * * * * *', 'UTC'), { message: 'provided bad location Nowhere/Land: unknown time zone Nowhere/Land' });
  });

  it('Go durations', () => {
    assert.equal(parseGoDuration('1h30m'), 5_400_000);
    assert.equal(parseGoDuration('1.5h'), 5_400_000);
    assert.equal(parseGoDuration('90s'), 90_000);
    assert.equal(parseGoDuration('0'), 0);
    assert.throws(() => parseGoDuration('5'), /invalid duration/);
  });
});

describe('daylight saving time in America/New_York', () => {
  const ny = 'America/New_York';
  it('spring forward: 02:00–03:00 does not exist, so a 02:30 job skips that day', () => {
    assert.equal(next('TZ=America/New_York 30 2 11 Mar *', '2012-03-11T00:00:00-05:00', ny), '2013-03-11T02:30:00-04:00');
    assert.equal(next('0 2 * * *', '2012-03-11T00:00:00-05:00', ny), '2012-03-12T02:00:00-04:00');
    assert.equal(next('0 * * * *', '2012-03-11T00:00:00-05:00', ny), '2012-03-11T01:00:00-05:00');
    assert.equal(next('0 * * * *', '2012-03-11T01:00:00-05:00', ny), '2012-03-11T03:00:00-04:00');
    assert.equal(next('0 1 * * *', '2012-03-11T01:00:00-05:00', ny), '2012-03-12T01:00:00-04:00');
  });

  it('fall back: 01:00–02:00 happens twice, and a 01:00 job runs in both', () => {
    assert.equal(next('0 1 * * *', '2012-11-04T00:00:00-04:00', ny), '2012-11-04T01:00:00-04:00');
    assert.equal(next('0 1 * * *', '2012-11-04T01:00:00-04:00', ny), '2012-11-04T01:00:00-05:00');
    assert.equal(next('0 1 * * *', '2012-11-04T01:00:00-05:00', ny), '2012-11-05T01:00:00-05:00');
    assert.equal(next('0 * * * *', '2012-11-04T01:00:00-04:00', ny), '2012-11-04T01:00:00-05:00');
    assert.equal(next('0 * * * *', '2012-11-04T01:00:00-05:00', ny), '2012-11-04T02:00:00-05:00');
    assert.equal(next('30 1 04 Nov *', '2012-11-04T01:45:00-04:00', ny), '2012-11-04T01:30:00-05:00');
    assert.equal(next('30 2 04 Nov *', '2012-11-04T00:00:00-04:00', ny), '2012-11-04T02:30:00-05:00');
  });

  it('a zone given in the schedule wins over the default zone', () => {
    assert.equal(next('CRON_TZ=Asia/Tokyo 0 9 * * *', '2024-01-01T00:00:00Z'), '2024-01-02T00:00:00Z');
    assert.equal(next('0 9 * * *', '2024-01-01T00:00:00Z', 'Asia/Tokyo'), '2024-01-02T09:00:00+09:00');
  });

  it('knows IANA names only', () => {
    assert.equal(isValidTimeZone('Europe/Berlin'), true);
    assert.equal(isValidTimeZone('Mars/Olympus_Mons'), false);
  });
});
