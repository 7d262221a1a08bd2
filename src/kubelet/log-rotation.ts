// Container log rotation, as the kubelet's container log manager does it (kubelet's --container-log-max-size 10Mi and
// --container-log-max-files 5): every 10 s each running container's log file is checked, and one grown past the size
// is renamed to "<log>.<YYYYMMDD-hhmmss>" and the runtime told to reopen it (CRI ReopenContainerLog), so containerd
// writes a new file. Rotated files beyond the newest are gzipped, and the oldest removed so that a container keeps at
// most max-files files, the one being written included.
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGzip } from 'node:zlib';
import type { Logger } from '../log.ts';
import type { ContainerRuntime } from './runtime.ts';

export interface LogRotationPolicy {
  /** Rotate a log file once it is larger than this. Default 10 MiB. */
  maxSizeBytes: number;
  /** Files a container keeps, the live one included. Default 5 (at least 2). */
  maxFiles: number;
}

export const DEFAULT_LOG_ROTATION: LogRotationPolicy = { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 5 };

const COMPRESSED = '.gz';
const TEMPORARY = '.tmp';

/** kubelet's timestamp layout for rotated files ("20060102-150405"), in UTC. */
export function rotationSuffix(at: Date): string {
  const iso = at.toISOString(); // 2026-11-27T08:01:02.345Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

type Runtime = Pick<ContainerRuntime, 'listContainers' | 'containerStatus' | 'reopenContainerLog'>;

export class ContainerLogRotator {
  constructor(
    readonly opts: {
      runtime: Runtime;
      policy?: LogRotationPolicy;
      logger: Logger;
      now?: () => Date;
    },
  ) {}

  get policy(): LogRotationPolicy {
    return this.opts.policy ?? DEFAULT_LOG_ROTATION;
  }

  /** Checks every running container every `periodMs` (the kubelet's 10 s) until `signal` aborts. */
  async run(signal: AbortSignal, periodMs = 10_000): Promise<void> {
    while (!signal.aborted) {
      await this.rotateAll(signal).catch((err: unknown) => signal.aborted || this.opts.logger.warn('container log rotation failed', { error: err }));
      await sleep(periodMs, undefined, { signal }).catch(() => undefined);
    }
  }

  /** One round: rotates the log of each running container that has grown past the size. One container's failure does not stop the others. */
  async rotateAll(signal?: AbortSignal): Promise<void> {
    const { runtime } = this.opts;
    for (const container of await runtime.listContainers({}, signal)) {
      if (container.state !== 'CONTAINER_RUNNING') continue;
      try {
        const path = (await runtime.containerStatus(container.id, signal)).logPath;
        if (!path) continue;
        const size = await this.#sizeOf(container.id, path, signal);
        if (size !== undefined && size > this.policy.maxSizeBytes) await this.rotate(container.id, path, signal);
      } catch (err) {
        if (signal?.aborted) throw err;
        this.opts.logger.warn('cannot rotate a container log', { containerID: container.id, error: err });
      }
    }
  }

  /** The log's size; a log that is missing (lost by an interrupted rotation) is reopened first, as the kubelet does. */
  async #sizeOf(id: string, path: string, signal?: AbortSignal): Promise<number | undefined> {
    try {
      return (await stat(path)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await this.opts.runtime.reopenContainerLog(id, signal);
      return (await stat(path).catch(() => undefined))?.size;
    }
  }

  /** Rotates one container's log now: old files pruned and compressed, then the live one renamed and reopened. */
  async rotate(id: string, path: string, signal?: AbortSignal): Promise<void> {
    let rotated = await this.#cleanup(path);
    rotated = await this.#removeExcess(rotated);
    for (const file of rotated) if (!file.endsWith(COMPRESSED)) await compress(file);
    const target = `${path}.${rotationSuffix(this.opts.now?.() ?? new Date())}`;
    await rename(path, target);
    try {
      await this.opts.runtime.reopenContainerLog(id, signal);
    } catch (err) {
      // Put it back so the next round tries again (the container keeps writing to the renamed file meanwhile).
      await rename(target, path).catch(() => undefined);
      throw err;
    }
  }

  /** The rotated files of `path`, after removing leftovers: temporary files, and plain files whose .gz exists. */
  async #cleanup(path: string): Promise<string[]> {
    const prefix = `${basename(path)}.`;
    const names = (await readdir(dirname(path))).filter((n) => n.startsWith(prefix));
    const kept: string[] = [];
    for (const name of names) {
      const file = join(dirname(path), name);
      if (name.endsWith(TEMPORARY) || (!name.endsWith(COMPRESSED) && names.includes(`${name}${COMPRESSED}`))) await rm(file, { force: true });
      else kept.push(file);
    }
    return kept.sort();
  }

  /** Removes the oldest rotated files so that, with the live file and the one about to be rotated, at most maxFiles remain. */
  async #removeExcess(rotated: string[]): Promise<string[]> {
    const keep = Math.max(this.policy.maxFiles - 2, 0);
    const excess = rotated.length - keep;
    for (let i = 0; i < excess; i++) await rm(rotated[i]!, { force: true });
    return rotated.slice(Math.max(excess, 0));
  }
}

/** gzips `file` to `file.gz` (through a temporary file, so a half-written one is never taken for done) and removes it. */
async function compress(file: string): Promise<void> {
  const temporary = `${file}${COMPRESSED}${TEMPORARY}`;
  await pipeline(createReadStream(file), createGzip(), createWriteStream(temporary));
  await rename(temporary, `${file}${COMPRESSED}`);
  await rm(file, { force: true });
}
