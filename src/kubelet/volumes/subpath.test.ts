import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { prepareSubPath } from './subpath.ts';

describe('prepareSubPath', () => {
  let root: string;
  let volume: string;
  before(async () => {
    root = await realpath(await mkdtemp(path.join(tmpdir(), 'skiff-subpath-')));
    volume = path.join(root, 'vol');
    await mkdir(volume);
    await chmod(volume, 0o777);
    await mkdir(path.join(root, 'outside'));
    await writeFile(path.join(volume, 'file.conf'), 'x');
    await symlink('file.conf', path.join(volume, 'alias.conf'));
    await symlink(path.join(root, 'outside'), path.join(volume, 'escape'));
    await symlink('../outside', path.join(volume, 'escape-rel'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it("creates missing directories with the volume's mode", async () => {
    const p = await prepareSubPath(volume, 'a/b/c');
    assert.equal(p, path.join(volume, 'a/b/c'));
    for (const d of ['a', 'a/b', 'a/b/c']) assert.equal((await stat(path.join(volume, d))).mode & 0o777, 0o777);
  });

  it('resolves an existing file, and a symlink that stays inside the volume', async () => {
    assert.equal(await prepareSubPath(volume, 'file.conf'), path.join(volume, 'file.conf'));
    assert.equal(await prepareSubPath(volume, 'alias.conf'), path.join(volume, 'file.conf'));
  });

  it('refuses symlinks that lead out of the volume, and creates nothing beyond them', async () => {
    await assert.rejects(prepareSubPath(volume, 'escape'), { name: 'SubPathError', kind: 'escape' });
    await assert.rejects(prepareSubPath(volume, 'escape-rel/new'), { name: 'SubPathError', kind: 'escape' });
    await assert.rejects(stat(path.join(root, 'outside/new')), { code: 'ENOENT' });
  });
});
