// Image garbage collection, as the kubelet's image GC manager does it: every 5 minutes, when the image filesystem is
// at least --image-gc-high-threshold (85%) full, unused images are removed — least recently used first, never one a
// container (running or not) uses, the sandbox image, or one first seen less than --image-minimum-gc-age (2m) ago —
// until usage is down to --image-gc-low-threshold (80%).
import { statfs } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.ts';
import type { ContainerRuntime, Image } from './runtime.ts';

export interface ImageGCPolicy {
  highThresholdPercent: number;
  lowThresholdPercent: number;
  minAgeMs: number;
}

export const DEFAULT_IMAGE_GC: ImageGCPolicy = { highThresholdPercent: 85, lowThresholdPercent: 80, minAgeMs: 2 * 60_000 };

/** The image filesystem's size and free space, in bytes. */
export interface FsUsage {
  capacity: number;
  available: number;
}

type Runtime = Pick<ContainerRuntime, 'listImages' | 'listContainers' | 'removeImage'>;

interface ImageRecord {
  firstDetected: number;
  lastUsed: number;
}

export class ImageGCError extends Error {
  override name = 'ImageGCError';
}

export class ImageGarbageCollector {
  readonly #records = new Map<string, ImageRecord>();

  constructor(
    readonly opts: {
      runtime: Runtime;
      /** The image filesystem's usage (undefined: unknown, so nothing is collected). */
      fsUsage: () => Promise<FsUsage | undefined>;
      policy?: ImageGCPolicy;
      /** Images never removed besides those the runtime pins (the sandbox image). */
      pinned?: readonly string[];
      logger: Logger;
      now?: () => number;
    },
  ) {}

  get policy(): ImageGCPolicy {
    return this.opts.policy ?? DEFAULT_IMAGE_GC;
  }

  /** Notes the images now (their ages start at the first look), then collects every `periodMs` (5 min) until `signal` aborts. */
  async run(signal: AbortSignal, periodMs = 5 * 60_000): Promise<void> {
    await this.#detect().catch(() => undefined);
    while (!signal.aborted) {
      await sleep(periodMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      await this.collect().catch((err: unknown) => this.opts.logger.warn('image garbage collection failed', { error: err }));
    }
  }

  /** One round: removes unused images when the filesystem is past the high threshold; resolves with the bytes freed. */
  async collect(): Promise<number> {
    const usage = await this.opts.fsUsage();
    if (!usage || usage.capacity <= 0) return 0;
    const usedPercent = (100 * (usage.capacity - usage.available)) / usage.capacity;
    if (usedPercent < this.policy.highThresholdPercent) {
      await this.#detect();
      return 0;
    }
    const toFree = (usage.capacity * (100 - this.policy.lowThresholdPercent)) / 100 - usage.available;
    this.opts.logger.info('image filesystem over the high threshold: removing unused images', { usedPercent: Math.round(usedPercent), highThresholdPercent: this.policy.highThresholdPercent, bytesToFree: Math.round(toFree) });
    const freed = await this.#free(toFree);
    if (freed < toFree) {
      throw new ImageGCError(`Failed to garbage collect required amount of images. Attempted to free ${Math.round(toFree)} bytes, but only found ${freed} bytes eligible to free.`);
    }
    return freed;
  }

  /** Records every image, marks those a container uses as used now; returns the ids in use. */
  async #detect(): Promise<{ images: Image[]; inUse: Set<string> }> {
    const now = this.#now();
    const [images, containers] = await Promise.all([this.opts.runtime.listImages(), this.opts.runtime.listContainers()]);
    const inUse = new Set(containers.flatMap((c) => [c.imageRef, c.image.image]));
    const present = new Set<string>();
    for (const image of images) {
      present.add(image.id);
      let record = this.#records.get(image.id);
      if (!record) this.#records.set(image.id, (record = { firstDetected: now, lastUsed: 0 }));
      if (isUsed(image, inUse)) record.lastUsed = now;
    }
    for (const id of this.#records.keys()) if (!present.has(id)) this.#records.delete(id);
    return { images, inUse };
  }

  async #free(bytes: number): Promise<number> {
    const now = this.#now();
    const { images, inUse } = await this.#detect();
    const pinned = new Set(this.opts.pinned ?? []);
    const candidates = images
      .filter((image) => !isUsed(image, inUse) && !image.pinned && !image.repoTags.some((t) => pinned.has(t)))
      .filter((image) => now - this.#records.get(image.id)!.firstDetected >= this.policy.minAgeMs)
      .sort((a, b) => {
        const ra = this.#records.get(a.id)!;
        const rb = this.#records.get(b.id)!;
        return ra.lastUsed - rb.lastUsed || ra.firstDetected - rb.firstDetected;
      });
    let freed = 0;
    for (const image of candidates) {
      if (freed >= bytes) break;
      try {
        await this.opts.runtime.removeImage({ image: image.id });
      } catch (err) {
        this.opts.logger.warn('cannot remove an unused image', { image: image.repoTags[0] ?? image.id, error: err });
        continue;
      }
      this.#records.delete(image.id);
      freed += Number(image.size);
      this.opts.logger.info('removed an unused image', { image: image.repoTags[0] ?? image.id, bytes: Number(image.size) });
    }
    return freed;
  }

  #now(): number {
    return this.opts.now?.() ?? Date.now();
  }
}

function isUsed(image: Image, inUse: ReadonlySet<string>): boolean {
  return inUse.has(image.id) || image.repoTags.some((t) => inUse.has(t)) || image.repoDigests.some((d) => inUse.has(d));
}

/** The usage of the filesystem holding `path` (the runtime's image filesystem mount point). */
export async function fsUsageOf(path: string): Promise<FsUsage> {
  const s = await statfs(path);
  return { capacity: s.blocks * s.bsize, available: s.bavail * s.bsize };
}
