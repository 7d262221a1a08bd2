// The content-store half of ContainerdImageSource against a directory laid out as containerd's; the images half runs
// against a real containerd in test/e2e/registry-mirror.test.ts.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { after, describe, it } from 'node:test';
import { CONTENT_STORE_DIR, ContainerdImageSource, ContainerdImagesError } from './mirror-containerd.ts';

describe('ContainerdImageSource', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'skiff-content-'));
  const data = Buffer.from('layer bytes');
  const hex = createHash('sha256').update(data).digest('hex');
  mkdirSync(path.join(root, CONTENT_STORE_DIR, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(path.join(root, CONTENT_STORE_DIR, 'blobs', 'sha256', hex), data);
  const source = new ContainerdImageSource({ endpoint: path.join(root, 'no-containerd.sock'), root, timeoutMs: 1000 });

  after(() => {
    source.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('reads blobs from the content store by digest, whole or in part', async () => {
    const blob = await source.blob(`sha256:${hex}`);
    assert.equal(blob?.size, data.length);
    assert.equal(await text(blob!.read()), 'layer bytes');
    assert.equal(await text(blob!.read({ start: 6, end: 10 })), 'bytes');
  });

  it('has no blob for a digest it does not hold or that is not one', async () => {
    assert.equal(await source.blob(`sha256:${'0'.repeat(64)}`), undefined);
    assert.equal(await source.blob('sha256:../../etc/passwd'), undefined);
    assert.equal(await source.blob(`md5:${'0'.repeat(32)}`), undefined);
  });

  it('fails with ContainerdImagesError when containerd does not answer', async () => {
    await assert.rejects(source.image('docker.io/library/nginx:latest'), (err: unknown) => err instanceof ContainerdImagesError && err.grpcCode === 14);
  });
});
