import assert from 'node:assert/strict';
import { lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ociImageArchive } from '../kubelet/containerd-images.ts';
import { busyboxApplets, busyboxRecipe } from './busybox.ts';
import { openOciArchive } from './testing.ts';

describe('the busybox image', () => {
  it("is Debian's busybox-static with a symlink per applet, root and nobody, /tmp 1777, and sh as its command", async () => {
    const resolved = await busyboxRecipe.resolve({ debDir: '/nonexistent' });
    assert.match(resolved.inputs['busybox-static'] ?? '', /^\d/);
    assert.match(resolved.version, /^\d+\.\d+\.\d+$/);
    const { rootfs, ...config } = await resolved.build();
    const image = openOciArchive(ociImageArchive({ name: 'docker.io/library/busybox:latest', ...config, layer: rootfs.entries() }));
    try {
      const root = image.rootfs;
      assert.deepEqual(image.config.config.Cmd, ['sh']);
      assert.deepEqual(image.config.config.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
      assert.deepEqual(readFileSync(path.join(root, 'bin/busybox')), readFileSync('/bin/busybox'));
      const applets = await busyboxApplets();
      assert.ok(applets.length > 100 && applets.includes('sh') && applets.includes('wget'));
      for (const applet of applets) assert.equal(readlinkSync(path.join(root, 'bin', applet)), 'busybox', applet);
      assert.equal(lstatSync(path.join(root, 'bin/busybox')).isFile(), true);
      assert.equal(statSync(path.join(root, 'bin/busybox')).mode & 0o777, 0o755);
      assert.equal(statSync(path.join(root, 'tmp')).mode & 0o7777, 0o1777);
      assert.match(readFileSync(path.join(root, 'etc/passwd'), 'utf8'), /^root:x:0:0:root:\/root:\/bin\/sh$/m);
      assert.match(readFileSync(path.join(root, 'etc/passwd'), 'utf8'), /^nobody:x:65534:65534:/m);
      assert.match(readFileSync(path.join(root, 'etc/group'), 'utf8'), /^root:x:0:$/m);
      // Owned by root in the layer.
      assert.ok(image.listing.every((l) => l.split(/\s+/)[1] === '0/0'), image.listing.find((l) => !l.includes(' 0/0 ')));
    } finally {
      image.close();
    }
  });
});
