import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DATA_DIR, invalidPayloadPath, InvalidPayloadError, writeAtomically, type FileProjection } from './atomic-writer.ts';

const payload = (entries: Record<string, string | [string, number]>) =>
  new Map<string, FileProjection>(Object.entries(entries).map(([k, v]) => [k, typeof v === 'string' ? { data: v, mode: 0o644 } : { data: v[0], mode: v[1] }]));

describe('writeAtomically', () => {
  let root: string;
  let n = 0;
  const freshDir = async () => {
    const dir = path.join(root, `vol${n++}`);
    await mkdir(dir);
    return dir;
  };
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'skiff-atomic-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('puts the files in a timestamped directory behind ..data, each visible name a symlink through it', async () => {
    const dir = await freshDir();
    assert.equal(await writeAtomically(dir, payload({ 'a.conf': 'alpha', 'nested/deep/b': ['beta', 0o600] })), true);
    const ts = await readlink(path.join(dir, DATA_DIR));
    assert.match(ts, /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d+$/);
    assert.equal((await stat(path.join(dir, ts))).mode & 0o7777, 0o755);
    assert.equal(await readlink(path.join(dir, 'a.conf')), '..data/a.conf');
    assert.equal(await readlink(path.join(dir, 'nested')), '..data/nested');
    assert.equal(await readFile(path.join(dir, 'a.conf'), 'utf8'), 'alpha');
    assert.equal(await readFile(path.join(dir, 'nested/deep/b'), 'utf8'), 'beta');
    assert.equal((await stat(path.join(dir, 'a.conf'))).mode & 0o7777, 0o644);
    assert.equal((await stat(path.join(dir, 'nested/deep/b'))).mode & 0o7777, 0o600);
    assert.deepEqual((await readdir(dir)).sort(), [DATA_DIR, ts, 'a.conf', 'nested'].sort());
  });

  it('swaps in new contents through the same paths, drops removed names and the old directory', async () => {
    const dir = await freshDir();
    await writeAtomically(dir, payload({ keep: 'one', gone: 'x' }));
    const before = await readlink(path.join(dir, DATA_DIR));
    assert.equal(await writeAtomically(dir, payload({ keep: 'two', added: 'new' })), true);
    const now = await readlink(path.join(dir, DATA_DIR));
    assert.notEqual(now, before);
    assert.equal(await readFile(path.join(dir, 'keep'), 'utf8'), 'two');
    assert.equal(await readFile(path.join(dir, 'added'), 'utf8'), 'new');
    assert.deepEqual((await readdir(dir)).sort(), [DATA_DIR, now, 'added', 'keep'].sort());
  });

  it('leaves an unchanged payload alone but puts back a missing visible symlink', async () => {
    const dir = await freshDir();
    await writeAtomically(dir, payload({ a: '1', b: '2' }));
    const ts = await readlink(path.join(dir, DATA_DIR));
    await unlink(path.join(dir, 'b'));
    assert.equal(await writeAtomically(dir, payload({ a: '1', b: '2' })), false);
    assert.equal(await readlink(path.join(dir, DATA_DIR)), ts);
    assert.equal(await readFile(path.join(dir, 'b'), 'utf8'), '2');
  });

  it('rewrites when only a nested file disappears', async () => {
    const dir = await freshDir();
    await writeAtomically(dir, payload({ 'd/x': '1', 'd/y': '2' }));
    assert.equal(await writeAtomically(dir, payload({ 'd/x': '1' })), true);
    await assert.rejects(lstat(path.join(dir, 'd/y')), { code: 'ENOENT' });
    assert.equal(await readFile(path.join(dir, 'd/x'), 'utf8'), '1');
  });

  it('writes binary data as it is', async () => {
    const dir = await freshDir();
    const bytes = Buffer.from([0, 255, 10, 13]);
    await writeAtomically(dir, new Map([['bin', { data: bytes, mode: 0o400 }]]));
    assert.deepEqual(await readFile(path.join(dir, 'bin')), bytes);
    assert.equal((await stat(path.join(dir, 'bin'))).mode & 0o7777, 0o400);
  });

  it("refuses paths upstream refuses, with upstream's messages", async () => {
    assert.equal(invalidPayloadPath('/abs'), 'invalid path: must be relative path: /abs');
    assert.equal(invalidPayloadPath('a/../b'), "invalid path: must not contain '..': a/../b");
    assert.equal(invalidPayloadPath('..data'), "invalid path: must not start with '..': ..data");
    assert.equal(invalidPayloadPath(''), 'invalid path: must not be empty: ""');
    assert.equal(invalidPayloadPath('x'.repeat(256)), 'invalid path: filenames must be less than or equal to 255 characters');
    assert.equal(invalidPayloadPath('ok/..fine'), undefined);
    const dir = await freshDir();
    await assert.rejects(writeAtomically(dir, payload({ '../escape': 'x' })), InvalidPayloadError);
    assert.deepEqual(await readdir(dir), []);
  });
});
