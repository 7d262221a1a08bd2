import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  MirrorAddressError,
  repositoryOf,
  startRegistryMirror,
  type BlobHandle,
  type Descriptor,
  type ImageRecord,
  type ImageSource,
  type RunningRegistryMirror,
} from './mirror.ts';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const digestOf = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** An in-memory image store: blobs by digest, image names to targets. */
class FakeSource implements ImageSource {
  readonly blobs = new Map<string, Buffer>();
  readonly records = new Map<string, Descriptor>();
  failing = false;

  add(data: Buffer, mediaType = 'application/octet-stream'): Descriptor {
    const digest = digestOf(data);
    this.blobs.set(digest, data);
    return { mediaType, digest, size: data.length };
  }

  async image(name: string): Promise<ImageRecord | undefined> {
    if (this.failing) throw new Error('containerd is down');
    const target = this.records.get(name);
    return target && { name, target };
  }

  async images(repository: string): Promise<ImageRecord[]> {
    if (this.failing) throw new Error('containerd is down');
    return [...this.records]
      .filter(([name]) => name.startsWith(`${repository}:`) || name.startsWith(`${repository}@`))
      .map(([name, target]) => ({ name, target }));
  }

  async blob(digest: string): Promise<BlobHandle | undefined> {
    const data = this.blobs.get(digest);
    return data && { size: data.length, read: (range) => Readable.from([range ? data.subarray(range.start, range.end + 1) : data]) };
  }
}

function manifestFor(source: FakeSource, layerText: string): { manifest: Buffer; layer: Buffer; descriptor: Descriptor } {
  const layer = Buffer.from(layerText);
  const config = source.add(Buffer.from('{"architecture":"amd64","os":"linux"}'), 'application/vnd.oci.image.config.v1+json');
  const layerDesc = source.add(layer, 'application/vnd.oci.image.layer.v1.tar');
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layerDesc] }));
  return { manifest, layer, descriptor: source.add(manifest, OCI_MANIFEST) };
}

describe('registry mirror', () => {
  const stop = new AbortController();
  const source = new FakeSource();
  let mirror: RunningRegistryMirror;
  const tiny = manifestFor(source, 'tiny layer');
  const amd64 = manifestFor(source, 'amd64 layer');
  const arm64 = manifestFor(source, 'arm64 layer');
  const index = source.add(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          { ...amd64.descriptor, platform: { architecture: 'amd64', os: 'linux' } },
          { ...arm64.descriptor, platform: { architecture: 'arm64', os: 'linux' } },
        ],
      }),
    ),
    OCI_INDEX,
  );
  // In the store, but no image of any repository leads to it.
  const stray = manifestFor(source, 'stray layer');

  const get = (path: string, init?: RequestInit) => fetch(`${mirror.url}${path}`, init);

  before(async () => {
    source.records.set('docker.io/library/tiny:latest', tiny.descriptor);
    source.records.set('registry.k8s.io/pause:3.10.1', index);
    mirror = await startRegistryMirror({ host: '127.0.0.1', port: 0, source }, stop.signal);
  });

  after(async () => {
    stop.abort();
    await mirror.closed;
  });

  it('answers the API version check', async () => {
    const res = await get('/v2/');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
    assert.deepEqual(await res.json(), {});
  });

  it('serves a tagged manifest with its media type, digest and length; HEAD without a body', async () => {
    const head = await get('/v2/library/tiny/manifests/latest?ns=docker.io', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), OCI_MANIFEST);
    assert.equal(head.headers.get('docker-content-digest'), tiny.descriptor.digest);
    assert.equal(head.headers.get('content-length'), String(tiny.manifest.length));
    assert.equal((await head.arrayBuffer()).byteLength, 0);

    const res = await get('/v2/library/tiny/manifests/latest?ns=docker.io');
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), tiny.manifest);
  });

  it('takes the registry from containerd’s ns parameter, or docker.io without one', async () => {
    assert.equal((await get('/v2/library/tiny/manifests/latest')).status, 200);
    assert.equal((await get('/v2/tiny/manifests/latest')).status, 200);
    assert.equal((await get('/v2/library/tiny/manifests/latest?ns=quay.io')).status, 404);
    const pause = await get('/v2/pause/manifests/3.10.1?ns=registry.k8s.io', { method: 'HEAD' });
    assert.equal(pause.status, 200);
    assert.equal(pause.headers.get('content-type'), OCI_INDEX);
    assert.equal(pause.headers.get('docker-content-digest'), index.digest);
    assert.equal((await get('/v2/registry.k8s.io/pause/manifests/3.10.1')).status, 200);
  });

  it('serves manifests by digest: an image’s target, or a platform manifest its index lists', async () => {
    const byDigest = await get(`/v2/library/tiny/manifests/${tiny.descriptor.digest}?ns=docker.io`);
    assert.equal(byDigest.status, 200);
    assert.deepEqual(Buffer.from(await byDigest.arrayBuffer()), tiny.manifest);
    const child = await get(`/v2/pause/manifests/${arm64.descriptor.digest}?ns=registry.k8s.io`, { method: 'HEAD' });
    assert.equal(child.status, 200);
    assert.equal(child.headers.get('content-type'), OCI_MANIFEST);
    assert.equal(child.headers.get('docker-content-digest'), arm64.descriptor.digest);
    // Content another repository holds, or none does, is not this repository's.
    assert.equal((await get(`/v2/library/tiny/manifests/${arm64.descriptor.digest}?ns=docker.io`)).status, 404);
    assert.equal((await get(`/v2/library/tiny/manifests/${stray.descriptor.digest}?ns=docker.io`)).status, 404);
  });

  it('answers 404 with the distribution spec’s error codes', async () => {
    const unknownTag = await get('/v2/library/tiny/manifests/v2?ns=docker.io');
    assert.equal(unknownTag.status, 404);
    assert.equal(unknownTag.headers.get('content-type'), 'application/json');
    assert.deepEqual(await unknownTag.json(), { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { reference: 'v2' } }] });

    const unknownName = await get('/v2/library/absent/manifests/latest?ns=docker.io');
    assert.equal(unknownName.status, 404);
    assert.deepEqual(await unknownName.json(), {
      errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry', detail: { name: 'docker.io/library/absent' } }],
    });

    const head = await get('/v2/library/absent/manifests/latest?ns=docker.io', { method: 'HEAD' });
    assert.equal(head.status, 404);
    assert.equal((await head.arrayBuffer()).byteLength, 0);

    const missingBlob = `sha256:${'0'.repeat(64)}`;
    const blob = await get(`/v2/library/tiny/blobs/${missingBlob}?ns=docker.io`);
    assert.equal(blob.status, 404);
    assert.deepEqual(await blob.json(), { errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry', detail: { digest: missingBlob } }] });
    const blobOfUnknownName = await get(`/v2/library/absent/blobs/${missingBlob}?ns=docker.io`);
    assert.equal(((await blobOfUnknownName.json()) as { errors: Array<{ code: string }> }).errors[0]?.code, 'NAME_UNKNOWN');
  });

  it('rejects malformed names and digests with 400', async () => {
    const name = await get('/v2/Library/TINY/manifests/latest?ns=docker.io');
    assert.equal(name.status, 400);
    assert.equal(((await name.json()) as { errors: Array<{ code: string }> }).errors[0]?.code, 'NAME_INVALID');
    const ns = await get('/v2/library/tiny/manifests/latest?ns=not%20a%20host');
    assert.equal(ns.status, 400);
    const digest = await get('/v2/library/tiny/blobs/latest?ns=docker.io');
    assert.equal(digest.status, 400);
    assert.equal(((await digest.json()) as { errors: Array<{ code: string }> }).errors[0]?.code, 'DIGEST_INVALID');
  });

  it('streams blobs, whole or from an offset', async () => {
    const layer = digestOf(tiny.layer);
    const res = await get(`/v2/library/tiny/blobs/${layer}?ns=docker.io`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-content-digest'), layer);
    assert.equal(res.headers.get('content-length'), String(tiny.layer.length));
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), tiny.layer);

    const head = await get(`/v2/library/tiny/blobs/${layer}?ns=docker.io`, { method: 'HEAD' });
    assert.equal(head.headers.get('content-length'), String(tiny.layer.length));

    const partial = await get(`/v2/library/tiny/blobs/${layer}?ns=docker.io`, { headers: { range: 'bytes=5-' } });
    assert.equal(partial.status, 206);
    assert.equal(partial.headers.get('content-range'), `bytes 5-${tiny.layer.length - 1}/${tiny.layer.length}`);
    assert.equal(Buffer.from(await partial.arrayBuffer()).toString(), 'layer');

    const beyond = await get(`/v2/library/tiny/blobs/${layer}?ns=docker.io`, { headers: { range: 'bytes=999-' } });
    assert.equal(beyond.status, 416);
  });

  it('refuses pushes and other methods', async () => {
    const res = await get('/v2/library/tiny/manifests/latest', { method: 'PUT', body: '{}' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
    assert.equal(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]?.code, 'UNSUPPORTED');
    assert.equal((await get('/v2/_catalog')).status, 404);
  });

  it('answers 503 while the image store does not answer', async () => {
    source.failing = true;
    try {
      const res = await get('/v2/library/tiny/manifests/latest?ns=docker.io');
      assert.equal(res.status, 503);
      assert.match(((await res.json()) as { errors: Array<{ message: string }> }).errors[0]?.message ?? '', /containerd is down/);
    } finally {
      source.failing = false;
    }
  });
});

describe('registry mirror lifecycle', () => {
  it('listens on loopback only', async () => {
    await assert.rejects(startRegistryMirror({ host: '0.0.0.0', source: new FakeSource() }, new AbortController().signal), MirrorAddressError);
  });

  it('closes when the signal aborts', async () => {
    const stop = new AbortController();
    const mirror = await startRegistryMirror({ source: new FakeSource() }, stop.signal);
    assert.match(mirror.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${mirror.url}/v2/`)).status, 200);
    stop.abort();
    await mirror.closed;
    await assert.rejects(fetch(`${mirror.url}/v2/`));
  });
});

describe('repositoryOf', () => {
  it('joins containerd’s ns, or applies Docker’s defaults without one', () => {
    assert.equal(repositoryOf('library/nginx', 'docker.io'), 'docker.io/library/nginx');
    assert.equal(repositoryOf('pause', 'registry.k8s.io'), 'registry.k8s.io/pause');
    assert.equal(repositoryOf('nginx', null), 'docker.io/library/nginx');
    assert.equal(repositoryOf('bitnami/nginx', null), 'docker.io/bitnami/nginx');
    assert.equal(repositoryOf('quay.io/coreos/flannel', null), 'quay.io/coreos/flannel');
  });
});
