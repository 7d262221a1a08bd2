// `skiff image import`: an image archive file into containerd's k8s.io namespace, under the names the CRI plugin
// looks up (docker.io/library/app:1 for an OCI archive that says app:1).
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import { importImageArchive } from '../kubelet/containerd-images.ts';
import { ImageArchiveError, inspectImageArchive, isGzip, type ImageArchiveInfo } from './archive.ts';
import { normalizeReference } from './reference.ts';

const run = promisify(execFile);

export interface ImportedArchive extends ImageArchiveInfo {
  file: string;
  /** The references containerd now has from this file, normalized. */
  references: string[];
}

/** The name the CRI plugin would look the image up by, or undefined when the name is already that (or no reference). */
function normalizedName(name: string): string | undefined {
  try {
    const normal = normalizeReference(name);
    return normal === name ? undefined : normal;
  } catch {
    return undefined;
  }
}

async function ctr(socket: string, args: string[], signal?: AbortSignal): Promise<void> {
  await run('ctr', ['--address', socket, '--namespace', 'k8s.io', ...args], signal ? { signal } : {});
}

export async function importImageFile(socket: string, file: string, signal?: AbortSignal): Promise<ImportedArchive> {
  if (!existsSync(file)) throw new ImageArchiveError(`${file}: no such file`);
  if (!statSync(file).isFile()) throw new ImageArchiveError(`${file} is not a file`);
  let tar = file;
  let work: string | undefined;
  try {
    if (isGzip(file)) {
      work = mkdtempSync(path.join(tmpdir(), 'skiff-import-'));
      tar = path.join(work, 'image.tar');
      try {
        await pipeline(createReadStream(file), createGunzip(), createWriteStream(tar), signal ? { signal } : {});
      } catch (err) {
        if ((err as Error).name === 'AbortError') throw err;
        throw new ImageArchiveError(`${file} is gzip-compressed but does not decompress: ${(err as Error).message}`, { cause: err });
      }
    }
    const info = inspectImageArchive(tar);
    const created = await importImageArchive(socket, tar, signal);
    const references: string[] = [];
    for (const name of created) {
      const normal = normalizedName(name);
      if (normal) {
        await ctr(socket, ['images', 'tag', '--force', name, normal], signal);
        await ctr(socket, ['images', 'rm', name], signal);
      }
      references.push(normal ?? name);
    }
    return { ...info, file, references: [...new Set(references)] };
  } finally {
    if (work) rmSync(work, { recursive: true, force: true });
  }
}
