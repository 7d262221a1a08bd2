import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../log.ts';
import { ImageGarbageCollector, ImageGCError } from './image-gc.ts';
import type { Container, Image } from './runtime.ts';

const MB = 1024 * 1024;
const image = (id: string, tag: string, sizeMB: number, extra: Partial<Image> = {}): Image => ({ id, repoTags: [tag], repoDigests: [], size: BigInt(sizeMB * MB), ...extra });

/** A runtime seam holding `images`, with containers using some of them; removals are recorded. */
function fakeRuntime(images: Image[], containers: Array<Pick<Container, 'imageRef' | 'image'>>) {
  const removed: string[] = [];
  return {
    removed,
    listImages: async () => images.filter((i) => !removed.includes(i.id)),
    listContainers: async () => containers as Container[],
    removeImage: async (spec: { image: string }) => void removed.push(spec.image),
  };
}

describe('ImageGarbageCollector', () => {
  const policy = { highThresholdPercent: 85, lowThresholdPercent: 80, minAgeMs: 60_000 };
  const images = [
    image('sha256:pause', 'registry.k8s.io/pause:3.9', 1),
    image('sha256:old', 'example.com/old:1', 30),
    image('sha256:older', 'example.com/older:1', 30),
    image('sha256:used-by-tag', 'example.com/web:1', 30),
    image('sha256:used-by-ref', 'example.com/db:1', 30),
    image('sha256:pinned', 'example.com/pinned:1', 30, { pinned: true }),
  ];
  const containers = [
    { imageRef: 'sha256:something-else', image: { image: 'example.com/web:1' } },
    { imageRef: 'sha256:used-by-ref', image: { image: 'sha256:used-by-ref' } },
  ];

  it('does nothing under the high threshold', async () => {
    const runtime = fakeRuntime(images, containers);
    const gc = new ImageGarbageCollector({ runtime, fsUsage: async () => ({ capacity: 1000 * MB, available: 151 * MB }), policy, logger: silentLogger() });
    assert.equal(await gc.collect(), 0);
    assert.deepEqual(runtime.removed, []);
  });

  it('over it, removes unused images least recently used first until usage is down to the low threshold', async () => {
    let now = 1000;
    let available = 500 * MB;
    const inUse = [{ imageRef: 'sha256:old', image: { image: 'example.com/old:1' } }];
    const candidates = [image('sha256:old', 'example.com/old:1', 60), image('sha256:never-used', 'example.com/never:1', 60), image('sha256:newer', 'example.com/newer:1', 60)];
    const runtime = fakeRuntime(candidates.slice(0, 2), inUse);
    const gc = new ImageGarbageCollector({ runtime, fsUsage: async () => ({ capacity: 1000 * MB, available }), policy, logger: silentLogger(), now: () => now });
    assert.equal(await gc.collect(), 0, 'under the threshold it only looks: old is in use now');
    inUse.length = 0;
    now += 60_000;
    available = 150 * MB; // 85% used: 50 MB must go to get down to 80%
    assert.equal(await gc.collect(), 60 * MB);
    assert.deepEqual(runtime.removed, ['sha256:never-used'], 'the image never used goes before the one used a minute ago');
  });

  it('leaves images first seen less than the minimum age ago, and says when it cannot free enough', async () => {
    const runtime = fakeRuntime([image('sha256:new', 'example.com/new:1', 60)], []);
    const gc = new ImageGarbageCollector({ runtime, fsUsage: async () => ({ capacity: 1000 * MB, available: 100 * MB }), policy, logger: silentLogger(), now: () => 5000 });
    await assert.rejects(gc.collect(), (err: unknown) => err instanceof ImageGCError && /Attempted to free 104857600 bytes, but only found 0 bytes eligible to free/.test(err.message));
    assert.deepEqual(runtime.removed, []);
  });

  it('never removes an image a container uses (by tag or by reference), a pinned one or the sandbox image', async () => {
    const runtime = fakeRuntime(images, containers);
    const gc = new ImageGarbageCollector({ runtime, fsUsage: async () => ({ capacity: 1000 * MB, available: 0 }), policy: { ...policy, minAgeMs: 0 }, pinned: ['registry.k8s.io/pause:3.9'], logger: silentLogger() });
    await assert.rejects(gc.collect(), ImageGCError, 'not enough could be freed');
    assert.deepEqual(runtime.removed.sort(), ['sha256:old', 'sha256:older']);
  });
});
