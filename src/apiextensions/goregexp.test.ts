import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileGoRegexp, GoRegexpError } from './goregexp.ts';

const re = (p: string): RegExp => {
  const r = compileGoRegexp(p);
  assert.ok(r instanceof RegExp, String(r));
  return r;
};

describe('compileGoRegexp', () => {
  it('translates RE2 spellings', () => {
    assert.ok(re('(?i)^abc$').test('ABC'));
    assert.ok(re('\\Afoo\\z').test('foo'));
    assert.ok(!re('\\Afoo\\z').test('foo\n'));
    assert.ok(re('^[[:alpha:]]+[[:digit:]]$').test('ab1'));
    assert.ok(re('^\\pL+$').test('äb'));
    assert.equal(re('^(?P<word>\\w+)$').exec('hi')?.groups?.['word'], 'hi');
    assert.ok(re('^[a-z0-9\\-_]+$').test('a-_b'));
  });

  it('reports what it cannot use', () => {
    assert.ok(compileGoRegexp('[a-z') instanceof GoRegexpError);
    assert.ok(compileGoRegexp('a(?i:b)') instanceof GoRegexpError);
  });
});
