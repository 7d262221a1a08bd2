import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ociImageArchive, parseImportedNames, tarArchive } from './containerd-images.ts';

function extract(archive: Buffer): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'skiff-tar-'));
  writeFileSync(path.join(dir, 'a.tar'), archive);
  execFileSync('tar', ['-xf', 'a.tar', '-C', dir, '--no-same-owner'], { cwd: dir });
  return dir;
}

describe('tarArchive', () => {
  it('writes a ustar archive GNU tar reads back: files with modes, directories, symlinks', () => {
    const data = Buffer.alloc(1000, 7);
    const dir = extract(
      tarArchive([
        { path: 'bin', type: 'dir' },
        { path: 'bin/tool', type: 'file', mode: 0o755, data },
        { path: 'bin/alias', type: 'symlink', target: 'tool' },
      ]),
    );
    try {
      assert.deepEqual(readFileSync(path.join(dir, 'bin/tool')), data);
      assert.equal(statSync(path.join(dir, 'bin/tool')).mode & 0o777, 0o755);
      assert.equal(readlinkSync(path.join(dir, 'bin/alias')), 'tool');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is deterministic', () => {
    const entries = [{ path: 'x', type: 'file' as const, data: Buffer.from('x') }];
    assert.deepEqual(tarArchive(entries), tarArchive(entries));
  });
});

describe('ociImageArchive', () => {
  it('lays out an OCI image whose index, manifest, config and layer digests agree', () => {
    const dir = extract(
      ociImageArchive({
        name: 'registry.k8s.io/pause:3.10.1',
        entrypoint: ['/pause'],
        architecture: 'amd64',
        layer: [{ path: 'pause', type: 'file', mode: 0o755, data: Buffer.from('#!/bin/sh\n') }],
      }),
    );
    try {
      const blob = (digest: string) => readFileSync(path.join(dir, 'blobs/sha256', digest.replace('sha256:', '')));
      const check = (digest: string) => assert.equal(`sha256:${createHash('sha256').update(blob(digest)).digest('hex')}`, digest);
      assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
      const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8'));
      const [desc] = index.manifests;
      assert.equal(desc.annotations['io.containerd.image.name'], 'registry.k8s.io/pause:3.10.1');
      assert.equal(desc.annotations['org.opencontainers.image.ref.name'], '3.10.1');
      check(desc.digest);
      const manifest = JSON.parse(blob(desc.digest).toString());
      check(manifest.config.digest);
      check(manifest.layers[0].digest);
      const config = JSON.parse(blob(manifest.config.digest).toString());
      assert.deepEqual(config.rootfs.diff_ids, [manifest.layers[0].digest]);
      assert.deepEqual(config.config.Entrypoint, ['/pause']);
      assert.equal(config.architecture, 'amd64');
      assert.equal(config.os, 'linux');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseImportedNames', () => {
  it("reads the names ctr images import created from its output", () => {
    const out = `unpacking docker.io/library/t:latest (sha256:${'9'.repeat(64)})...done\nunpacking myapp:2 (sha256:${'9'.repeat(64)})...done\n`;
    assert.deepEqual(parseImportedNames(out), ['docker.io/library/t:latest', 'myapp:2']);
  });
});
