// Image garbage collection against real containerd through CRI: Skiff's own containerd in a temporary data dir, the
// pause and busybox images. The image filesystem's usage is the one seam (a full disk is not made for the test);
// which images exist, which a container uses and the removals are containerd's own.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_SANDBOX_IMAGE } from '../../src/kubelet/containerd-config.ts';
import { fsUsageOf, ImageGarbageCollector, ImageGCError } from '../../src/kubelet/image-gc.ts';
import type { CriRuntime } from '../../src/kubelet/runtime-cri.ts';
import { silentLogger } from '../../src/log.ts';
import { startTestContainerd, type TestContainerd } from '../support/containerd.ts';

const BUSYBOX = 'docker.io/library/busybox:latest';

describe('image garbage collection on containerd', { skip: process.getuid?.() !== 0 && 'containerd needs root', timeout: 180_000 }, () => {
  let containerd: TestContainerd;
  let dataDir: string;
  let runtime: CriRuntime;

  before(async () => {
    containerd = await startTestContainerd('sk-igc-');
    ({ dataDir, runtime } = containerd);
  });

  after(() => containerd?.stop());

  const tags = async () => (await runtime.listImages()).flatMap((i) => i.repoTags).sort();

  it('reads the image filesystem containerd reports, keeps an image a container uses and the sandbox image, and removes an unused one', async () => {
    const mountpoint = await runtime.imageFilesystem();
    assert.ok(mountpoint, 'containerd names its image filesystem');
    const usage = await fsUsageOf(mountpoint);
    assert.ok(usage.capacity > 0 && usage.available <= usage.capacity, JSON.stringify(usage));

    const logDirectory = path.join(dataDir, 'logs', 'uid-gc');
    mkdirSync(logDirectory, { recursive: true });
    const sandboxConfig = { metadata: { name: 'gc', uid: 'uid-gc', namespace: 'default', attempt: 0 }, logDirectory, linux: { namespaceOptions: { network: 'NODE' as const } } };
    const sandbox = await runtime.runPodSandbox(sandboxConfig);
    const container = await runtime.createContainer(sandbox, { metadata: { name: 'sleeper', attempt: 0 }, image: { image: BUSYBOX }, command: ['sleep', '3600'], logPath: 'sleeper.log' }, sandboxConfig);
    await runtime.startContainer(container);

    // A full disk (20 bytes to free): nothing is eligible while busybox is in use, and the collector says so.
    const gc = new ImageGarbageCollector({ runtime, fsUsage: async () => ({ capacity: 100, available: 0 }), policy: { highThresholdPercent: 85, lowThresholdPercent: 80, minAgeMs: 0 }, pinned: [DEFAULT_SANDBOX_IMAGE], logger: silentLogger() });
    const before = await tags();
    assert.ok(before.includes(BUSYBOX) && before.includes(DEFAULT_SANDBOX_IMAGE), before.join(' '));
    await assert.rejects(gc.collect(), ImageGCError);
    assert.deepEqual(await tags(), before, 'busybox is in use; the sandbox image is pinned');

    await runtime.stopContainer(container, 0);
    await runtime.removeContainer(container);
    await runtime.stopPodSandbox(sandbox);
    await runtime.removePodSandbox(sandbox);
    assert.ok((await gc.collect()) > 0, 'the bytes freed are the image size containerd reports');
    assert.deepEqual(await tags(), [DEFAULT_SANDBOX_IMAGE], 'the unused busybox image is removed');
  });
});
