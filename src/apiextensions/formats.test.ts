import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectiveFormat, formatChecker, isDate, isDateTime, isDuration } from './formats.ts';

describe('formats', () => {
  it('keeps only the formats CRDs support for the type', () => {
    assert.equal(effectiveFormat({ type: 'string', format: 'date-time' }), 'date-time');
    assert.equal(effectiveFormat({ type: 'string', format: 'int32' }), '');
    assert.equal(effectiveFormat({ type: 'integer', format: 'int32' }), 'int32');
    assert.equal(effectiveFormat({ type: 'number', format: 'int32' }), '');
    assert.equal(effectiveFormat({ type: 'string', format: 'k8s-short-name' }), 'k8s-short-name');
  });

  it('checks dates, times and durations', () => {
    assert.ok(isDate('2024-02-29'));
    assert.ok(!isDate('2023-02-29'));
    assert.ok(isDateTime('2024-05-01T10:00:00.123+02:00'));
    assert.ok(!isDateTime('2024-05-01 10:00:00'));
    assert.ok(isDuration('1h30m'));
    assert.ok(isDuration('3 days'));
    assert.ok(!isDuration('soon'));
  });

  it('checks addresses and identifiers', () => {
    const check = (f: string, v: string): boolean => formatChecker(f)!(v);
    assert.ok(check('ipv4', '10.0.0.1'));
    assert.ok(!check('ipv4', '::1'));
    assert.ok(check('ipv6', '::1'));
    assert.ok(check('cidr', '10.0.0.0/8'));
    assert.ok(!check('cidr', '10.0.0.0/33'));
    assert.ok(check('mac', '01:23:45:67:89:ab'));
    assert.ok(check('hostname', 'example.com'));
    assert.ok(!check('hostname', '-bad-.com'));
    assert.ok(check('email', 'Jane <jane@example.com>'));
    assert.ok(check('byte', 'aGVsbG8='));
    assert.ok(!check('byte', 'hello'));
    assert.ok(check('k8s-short-name', 'my-name'));
    assert.ok(!check('k8s-short-name', 'My-Name'));
  });
});
