import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { ociImageArchive, tarArchive } from '../kubelet/containerd-images.ts';
import { ImageArchiveError, inspectImageArchive, isGzip } from './archive.ts';

describe('image archive inspection', () => {
  let dir: string;
  const write = (name: string, data: Uint8Array | string) => {
    const file = path.join(dir, name);
    writeFileSync(file, data);
    return file;
  };
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'skiff-archive-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the names of an OCI archive', () => {
    const file = write('oci.tar', ociImageArchive({ name: 'docker.io/library/a:1', additionalNames: ['b:2'], layer: [] }));
    assert.deepEqual(inspectImageArchive(file), { format: 'oci', names: ['docker.io/library/a:1', 'b:2'] });
  });

  it('reads the RepoTags of a docker save archive, also when GNU tar wrote it with ./ and long names', () => {
    const src = path.join(dir, 'docker');
    const long = `${'d'.repeat(120)}`;
    mkdirSync(path.join(src, long), { recursive: true });
    writeFileSync(path.join(src, long, 'layer.tar'), tarArchive([]));
    writeFileSync(path.join(src, 'manifest.json'), JSON.stringify([{ Config: 'c.json', RepoTags: ['app:1', 'app:latest'], Layers: [`${long}/layer.tar`] }]));
    const file = path.join(dir, 'docker.tar');
    execFileSync('tar', ['-cf', file, '-C', src, '.']);
    assert.deepEqual(inspectImageArchive(file), { format: 'docker', names: ['app:1', 'app:latest'] });
  });

  it('says what is wrong with a file that is not an image archive', () => {
    assert.throws(() => inspectImageArchive(write('text.txt', 'hello\n'.repeat(200))), (err: unknown) => err instanceof ImageArchiveError && /text\.txt is not a tar archive/.test(err.message));
    assert.throws(() => inspectImageArchive(write('empty.tar', Buffer.alloc(0))), /is not a tar archive/);
    assert.throws(
      () => inspectImageArchive(write('plain.tar', tarArchive([{ path: 'readme', type: 'file', data: Buffer.from('x') }]))),
      /plain\.tar is a tar archive but not an image: it has neither index\.json .* nor manifest\.json/,
    );
    assert.throws(() => inspectImageArchive(write('badjson.tar', tarArchive([{ path: 'index.json', type: 'file', data: Buffer.from('{') }]))), /index\.json is not JSON/);
  });

  it('recognizes gzip', () => {
    assert.equal(isGzip(write('a.tar.gz', gzipSync(tarArchive([])))), true);
    assert.equal(isGzip(write('a.tar', tarArchive([]))), false);
  });
});
