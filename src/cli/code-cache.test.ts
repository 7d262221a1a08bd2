import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadWithCodeCache, seedCodeCache } from './code-cache.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-code-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A CommonJS file in a directory of its own. */
function bundle(source: string, mtime = new Date()): string {
  const home = join(dir, String(n++));
  mkdirSync(home);
  const file = join(home, 'bundle.cjs');
  writeFileSync(file, source);
  utimesSync(file, mtime, mtime);
  return file;
}

const caches = (file: string) => readdirSync(join(file, '..')).filter((f) => f.endsWith('.cache')).sort();

describe('loadWithCodeCache', () => {
  it('runs the file as a CommonJS module with require and __dirname', () => {
    const file = bundle("exports.sum = (a, b) => a + b; exports.dir = __dirname; exports.path = require('node:path').sep;");
    const loaded = loadWithCodeCache(file);
    assert.equal((loaded.exports['sum'] as (a: number, b: number) => number)(2, 3), 5);
    assert.equal(loaded.exports['dir'], join(file, '..'));
    assert.equal(loaded.exports['path'], '/');
  });

  it("gives the file the require it is handed", () => {
    const file = bundle("exports.got = require('left-out-package');");
    const loaded = loadWithCodeCache(file, ((id: string) => `stand-in for ${id}`) as unknown as NodeRequire);
    assert.equal(loaded.exports['got'], 'stand-in for left-out-package');
  });

  it('compiles from source the first time, writes the cache, and compiles from it the next time', () => {
    const file = bundle('exports.answer = function () { return 42; };');
    const first = loadWithCodeCache(file);
    assert.equal(first.cache, 'none');
    assert.deepEqual(caches(file), []);
    (first.exports['answer'] as () => number)();
    first.saveCache();
    assert.equal(caches(file).length, 1);
    assert.match(caches(file)[0]!, /^bundle\.cjs\.\d+-\d+\.cache$/);
    const second = loadWithCodeCache(file);
    assert.equal(second.cache, 'run');
    assert.equal((second.exports['answer'] as () => number)(), 42);
    second.saveCache(); // nothing new to write
    assert.equal(caches(file).length, 1);
  });

  it("starts from the build's seed, and the first run replaces it with its own", () => {
    const file = bundle('exports.twice = (x) => 2 * x;');
    seedCodeCache(file);
    assert.match(caches(file).join(), /\.seed\.cache$/);
    const first = loadWithCodeCache(file);
    assert.equal(first.cache, 'seed');
    first.saveCache();
    const next = loadWithCodeCache(file);
    assert.equal(next.cache, 'run');
    assert.equal((next.exports['twice'] as (x: number) => number)(21), 42);
  });

  it('never runs the bytecode of an earlier file of the same length', () => {
    const file = bundle('exports.version = () => 1;', new Date(Date.now() - 60_000));
    const old = loadWithCodeCache(file);
    (old.exports['version'] as () => number)();
    old.saveCache();
    // Rebuilt: same length, other text, newer mtime.
    writeFileSync(file, 'exports.version = () => 2;');
    const rebuilt = loadWithCodeCache(file);
    assert.equal(rebuilt.cache, 'none');
    assert.equal((rebuilt.exports['version'] as () => number)(), 2);
  });

  it('compiles from source when V8 refuses the cache, and writes a good one', () => {
    // A text this process has not compiled yet (V8 would answer a second compile of the same text from memory).
    const file = bundle(`exports.ok = ${Date.now()};`);
    const { size, mtimeMs } = statSync(file);
    writeFileSync(`${file}.${size}-${Math.trunc(mtimeMs)}.cache`, 'not a code cache');
    const loaded = loadWithCodeCache(file);
    assert.equal(loaded.cache, 'none');
    assert.equal(typeof loaded.exports['ok'], 'number');
    loaded.saveCache();
    assert.equal(loadWithCodeCache(file).cache, 'run');
  });

  it('leaves a cache it cannot write alone, without an error or a temporary file', () => {
    const file = bundle('exports.ok = true;');
    loadWithCodeCache(file).saveCache();
    // A directory where the cache goes: reading and renaming onto it fail, as writing does in a read-only install.
    const name = caches(file)[0]!;
    rmSync(join(file, '..', name));
    mkdirSync(join(file, '..', name, 'x'), { recursive: true });
    const loaded = loadWithCodeCache(file);
    assert.equal(loaded.cache, 'none');
    assert.doesNotThrow(() => loaded.saveCache());
    assert.deepEqual(readdirSync(join(file, '..')).sort(), ['bundle.cjs', name]);
  });
});
