import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupFile, passwdFile, Rootfs, RootfsError } from './rootfs.ts';

describe('Rootfs', () => {
  it('lists entries sorted, each parent directory before its children, whatever the order they were added in', () => {
    const fs = new Rootfs().file('/usr/bin/tool', 'x', 0o755).symlink('bin', 'usr/bin').dir('tmp', 0o1777).file('etc/passwd', 'root\n');
    assert.deepEqual(
      fs.entries().map((e) => [e.path, e.type, e.mode]),
      [
        ['bin', 'symlink', 0o777],
        ['etc', 'dir', 0o755],
        ['etc/passwd', 'file', 0o644],
        ['tmp', 'dir', 0o1777],
        ['usr', 'dir', 0o755],
        ['usr/bin', 'dir', 0o755],
        ['usr/bin/tool', 'file', 0o755],
      ],
    );
  });

  it('refuses a path added twice and a path below a symlink', () => {
    assert.throws(() => new Rootfs().file('a', 'x').symlink('a', 'b'), RootfsError);
    assert.doesNotThrow(() => new Rootfs().dir('a').dir('a', 0o700));
    assert.throws(() => new Rootfs().symlink('lib', 'usr/lib').file('lib/x.so', 'x').entries(), /below lib, which is a symlink/);
  });

  it('writes passwd and group lines', () => {
    assert.equal(passwdFile([{ name: 'nginx', uid: 101, gid: 101, gecos: 'nginx user', home: '/nonexistent', shell: '/bin/false' }]), 'nginx:x:101:101:nginx user:/nonexistent:/bin/false\n');
    assert.equal(groupFile([{ name: 'root', gid: 0 }]), 'root:x:0:\n');
  });
});
