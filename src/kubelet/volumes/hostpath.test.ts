import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkHostPath } from './hostpath.ts';

describe('hostPath type checks', () => {
  let root: string;
  let socketServer: Server;
  let socket: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'skiff-hostpath-'));
    await mkdir(path.join(root, 'dir'));
    await writeFile(path.join(root, 'file'), 'x');
    socket = path.join(root, 'sock');
    socketServer = createServer();
    await new Promise<void>((resolve) => socketServer.listen(socket, resolve));
  });
  after(async () => {
    await new Promise<void>((resolve) => socketServer.close(() => resolve()));
    await rm(root, { recursive: true, force: true });
  });

  it('accepts what matches the type, and anything without a type', async () => {
    await checkHostPath(path.join(root, 'dir'), 'Directory');
    await checkHostPath(path.join(root, 'file'), 'File');
    await checkHostPath(socket, 'Socket');
    await checkHostPath('/dev/null', 'CharDevice');
    await checkHostPath(path.join(root, 'missing'), undefined);
    await checkHostPath(path.join(root, 'missing'), '');
  });

  it('creates a missing directory (0755) or empty file (0644) for the *OrCreate types', async () => {
    const dir = path.join(root, 'made/deep');
    await checkHostPath(dir, 'DirectoryOrCreate');
    const d = await stat(dir);
    assert.ok(d.isDirectory());
    assert.equal(d.mode & 0o777, 0o755);
    const file = path.join(root, 'made.txt');
    await checkHostPath(file, 'FileOrCreate');
    const f = await stat(file);
    assert.ok(f.isFile());
    assert.equal(f.size, 0);
    assert.equal(f.mode & 0o777, 0o644);
    await assert.rejects(checkHostPath(path.join(root, 'no/parent.txt'), 'FileOrCreate'), {
      message: `open ${path.join(root, 'no/parent.txt')}: no such file or directory`,
    });
  });

  it("says what is wrong in upstream's words", async () => {
    const file = path.join(root, 'file');
    const dir = path.join(root, 'dir');
    await assert.rejects(checkHostPath(file, 'Directory'), { name: 'HostPathError', message: `hostPath type check failed: ${file} is not a directory, it's a File` });
    await assert.rejects(checkHostPath(file, 'DirectoryOrCreate'), { message: `hostPath type check failed: ${file} is not a directory, it's a File` });
    await assert.rejects(checkHostPath(dir, 'FileOrCreate'), { message: `hostPath type check failed: ${dir} is not a file, it's a Directory` });
    await assert.rejects(checkHostPath(dir, 'Socket'), { message: `hostPath type check failed: ${dir} is not a socket file, it's a Directory` });
    await assert.rejects(checkHostPath(file, 'CharDevice'), { message: `hostPath type check failed: ${file} is not a character device, it's a File` });
    await assert.rejects(checkHostPath('/dev/null', 'BlockDevice'), { message: "hostPath type check failed: /dev/null is not a block device, it's a CharDevice" });
    await assert.rejects(checkHostPath(path.join(root, 'nope'), 'File'), { message: `hostPath ${path.join(root, 'nope')} doesn't exist` });
    await assert.rejects(checkHostPath('/a/../b', 'Directory'), { message: "invalid HostPath `/a/../b`: must not contain '..'" });
    await assert.rejects(checkHostPath(dir, 'Weird'), { message: 'Weird is an invalid volume type' });
  });
});
