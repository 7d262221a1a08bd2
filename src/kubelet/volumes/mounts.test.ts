import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { listMountPoints, mountPointsUnder, mountTmpfs, parseMountInfo, removeTree, unmount } from './mounts.ts';

const isRoot = process.getuid?.() === 0;

describe('mountinfo', () => {
  it('reads mount points, file system types and sources, unescaping octal escapes', () => {
    const text =
      '21 26 0:20 / /proc rw,relatime - proc proc rw\n' +
      '90 26 0:55 / /var/lib/kubelet/pods/u/volumes/kubernetes.io~secret/my\\040vol rw,relatime shared:1 - tmpfs tmpfs rw,size=1024k\n';
    assert.deepEqual(parseMountInfo(text), [
      { mountPoint: '/proc', fsType: 'proc', source: 'proc' },
      { mountPoint: '/var/lib/kubelet/pods/u/volumes/kubernetes.io~secret/my vol', fsType: 'tmpfs', source: 'tmpfs' },
    ]);
  });

  it('lists the mounts at or under a directory, deepest first', () => {
    const mounts = ['/a', '/a/b', '/a/b/c', '/ab', '/x'].map((mountPoint) => ({ mountPoint, fsType: 'tmpfs', source: 'tmpfs' }));
    assert.deepEqual(mountPointsUnder(mounts, '/a').map((m) => m.mountPoint), ['/a/b/c', '/a/b', '/a']);
  });
});

describe('removeTree', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'skiff-rmtree-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('removes symlinks without following them out of the tree', async () => {
    const outside = path.join(root, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'precious'), 'keep me');
    const tree = path.join(root, 'pod');
    await mkdir(path.join(tree, 'volumes/x'), { recursive: true });
    await writeFile(path.join(tree, 'volumes/x/file'), 'gone');
    await symlink(outside, path.join(tree, 'volumes/x/link-to-dir'));
    await symlink(path.join(outside, 'precious'), path.join(tree, 'link-to-file'));
    await removeTree(tree);
    await assert.rejects(lstat(tree), { code: 'ENOENT' });
    assert.equal(await readFile(path.join(outside, 'precious'), 'utf8'), 'keep me');
  });

  it('does nothing for a missing path', async () => {
    await removeTree(path.join(root, 'never-there'));
  });

  it('will not descend into a file system mounted inside the tree', { skip: !isRoot && 'mounting needs root' }, async () => {
    const tree = path.join(root, 'mounted');
    const mnt = path.join(tree, 'inner');
    await mkdir(mnt, { recursive: true });
    await mountTmpfs(mnt, 1024n * 1024n);
    try {
      await writeFile(path.join(mnt, 'data'), 'on tmpfs');
      assert.ok((await listMountPoints()).some((m) => m.mountPoint === mnt && m.fsType === 'tmpfs'));
      await assert.rejects(removeTree(tree), { name: 'MountError' });
      assert.equal(await readFile(path.join(mnt, 'data'), 'utf8'), 'on tmpfs');
    } finally {
      await unmount(mnt);
    }
    assert.ok(!(await listMountPoints()).some((m) => m.mountPoint === mnt));
    await removeTree(tree);
    await assert.rejects(lstat(tree), { code: 'ENOENT' });
  });
});
