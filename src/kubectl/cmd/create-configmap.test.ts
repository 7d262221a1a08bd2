import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configKeyErrors, envFileSource, fileSources, parseFileSource, parseLiteralSource } from './create-configmap.ts';

describe('create configmap sources', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-cm-'));
    mkdirSync(join(dir, 'conf'));
    mkdirSync(join(dir, 'conf', 'sub'));
    writeFileSync(join(dir, 'conf', 'b.txt'), 'B');
    writeFileSync(join(dir, 'conf', 'a.txt'), 'A');
    writeFileSync(join(dir, 'app.env'), '\uFEFF# comment\n  MODE=prod\nEMPTY=\nFROM_ENV\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('parses [key=]path and key=value as kubectl does', () => {
    assert.deepEqual(parseFileSource('/x/y.txt'), { key: 'y.txt', path: '/x/y.txt' });
    assert.deepEqual(parseFileSource('k=/x/y.txt'), { key: 'k', path: '/x/y.txt' });
    assert.throws(() => parseFileSource('=/x'), { message: 'key name for file path /x missing' });
    assert.throws(() => parseFileSource('a=b=c'), { message: "key names or file paths cannot contain '='" });
    assert.deepEqual(parseLiteralSource('a=b=c'), { key: 'a', value: 'b=c' });
    assert.throws(() => parseLiteralSource('novalue'), { message: 'invalid literal source novalue, expected key=value' });
    assert.equal(configKeyErrors('ok.key-1').length, 0);
    assert.equal(configKeyErrors('bad/key').length, 1);
  });

  it('reads a directory’s regular files by name, refuses a key for a directory, reports missing files', () => {
    assert.deepEqual(
      fileSources([join(dir, 'conf')]).map((f) => [f.key, f.data.toString()]),
      [
        ['a.txt', 'A'],
        ['b.txt', 'B'],
      ],
    );
    assert.throws(() => fileSources([`k=${join(dir, 'conf')}`]), { message: 'cannot give a key name for a directory path' });
    assert.throws(() => fileSources([join(dir, 'none')]), { message: `error reading ${join(dir, 'none')}: no such file or directory` });
  });

  it('reads env files: BOM, comments and indentation dropped, a bare name takes its value from the environment', () => {
    assert.deepEqual(envFileSource(join(dir, 'app.env'), 'configmap', { FROM_ENV: 'x' }), [
      { key: 'MODE', value: 'prod' },
      { key: 'EMPTY', value: '' },
      { key: 'FROM_ENV', value: 'x' },
    ]);
    assert.throws(() => envFileSource(join(dir, 'conf'), 'secret', {}), { message: 'env secret file cannot be a directory' });
  });
});
