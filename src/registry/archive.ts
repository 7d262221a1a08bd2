// What an image archive file holds, read before handing it to containerd so a wrong file gets a clear error: an OCI
// image layout (oci-layout, index.json, blobs/) or a `docker save` archive (manifest.json), in a tar, maybe gzipped.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export class ImageArchiveError extends Error {
  override name = 'ImageArchiveError';
}

export interface ImageArchiveInfo {
  format: 'oci' | 'docker';
  /** The image names the archive gives (containerd's name annotation, the OCI ref name, or docker's RepoTags). */
  names: string[];
}

const BLOCK = 512;
/** index.json and manifest.json are small; anything bigger is not one. */
const MAX_METADATA = 4 * 1024 * 1024;

export function isGzip(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

function octalField(block: Buffer, offset: number, length: number): number {
  // GNU base-256 for sizes of 8 GiB and more.
  if (block[offset]! & 0x80) {
    let n = 0;
    for (let i = offset + 1; i < offset + length; i++) n = n * 256 + block[i]!;
    return n;
  }
  const text = block.toString('ascii', offset, offset + length).replace(/\0.*$/s, '').trim();
  return text ? Number.parseInt(text, 8) : 0;
}

function checksumOk(block: Buffer): boolean {
  const stored = octalField(block, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return stored === sum;
}

const cString = (block: Buffer, offset: number, length: number) => block.toString('utf8', offset, offset + length).replace(/\0.*$/s, '');

function paxPath(data: Buffer): string | undefined {
  let text = data.toString('utf8');
  while (text) {
    const space = text.indexOf(' ');
    const length = Number.parseInt(text.slice(0, space), 10);
    if (!(length > 0)) return undefined;
    const record = text.slice(space + 1, length - 1);
    if (record.startsWith('path=')) return record.slice('path='.length);
    text = text.slice(length);
  }
  return undefined;
}

/** Walks a tar file's headers (skipping file contents) and returns the small metadata files asked for. */
export function readTarMetadata(file: string, wanted: string[]): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  const fd = openSync(file, 'r');
  try {
    const size = statSync(file).size;
    const block = Buffer.alloc(BLOCK);
    let offset = 0;
    let longName: string | undefined;
    let entries = 0;
    while (offset + BLOCK <= size) {
      if (readSync(fd, block, 0, BLOCK, offset) !== BLOCK) break;
      if (block.every((b) => b === 0)) break;
      if (!checksumOk(block)) {
        throw new ImageArchiveError(entries === 0 ? `${file} is not a tar archive` : `${file} is a damaged tar archive (bad header at byte ${offset})`);
      }
      entries++;
      const type = String.fromCharCode(block[156]!);
      const length = octalField(block, 124, 12);
      const prefix = block.toString('ascii', 257, 262) === 'ustar' ? cString(block, 345, 155) : '';
      const name = longName ?? (prefix ? `${prefix}/${cString(block, 0, 100)}` : cString(block, 0, 100));
      longName = undefined;
      const readData = () => {
        const data = Buffer.alloc(length);
        if (readSync(fd, data, 0, length, offset + BLOCK) !== length) throw new ImageArchiveError(`${file} is a truncated tar archive`);
        return data;
      };
      if ((type === 'x' || type === 'L') && length <= MAX_METADATA) {
        const data = readData();
        longName = type === 'L' ? data.toString('utf8').replace(/\0.*$/s, '') : paxPath(data);
      } else if ((type === '0' || type === '\0') && length <= MAX_METADATA) {
        const clean = name.replace(/^(\.\/)+/, '');
        if (wanted.includes(clean)) found.set(clean, readData());
      }
      offset += BLOCK + Math.ceil(length / BLOCK) * BLOCK;
    }
    if (entries === 0) throw new ImageArchiveError(`${file} is not a tar archive`);
    return found;
  } finally {
    closeSync(fd);
  }
}

function parseJSON(file: string, what: string, data: Buffer): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new ImageArchiveError(`${file}: its ${what} is not JSON`, { cause: err });
  }
}

/** The archive's format and image names; throws ImageArchiveError for anything that is not an image archive. */
export function inspectImageArchive(file: string): ImageArchiveInfo {
  const meta = readTarMetadata(file, ['index.json', 'manifest.json']);
  const index = meta.get('index.json');
  if (index) {
    const parsed = parseJSON(file, 'index.json', index) as { manifests?: { annotations?: Record<string, string> }[] };
    if (!Array.isArray(parsed.manifests)) throw new ImageArchiveError(`${file}: index.json lists no manifests`);
    const names = parsed.manifests
      .map((m) => m.annotations?.['io.containerd.image.name'] ?? m.annotations?.['org.opencontainers.image.ref.name'])
      .filter((n): n is string => typeof n === 'string' && n !== '');
    return { format: 'oci', names };
  }
  const manifest = meta.get('manifest.json');
  if (manifest) {
    const parsed = parseJSON(file, 'manifest.json', manifest);
    if (!Array.isArray(parsed)) throw new ImageArchiveError(`${file}: manifest.json is not a docker save manifest`);
    return { format: 'docker', names: (parsed as { RepoTags?: unknown }[]).flatMap((m) => (Array.isArray(m.RepoTags) ? m.RepoTags.filter((t) => typeof t === 'string') : [])) };
  }
  throw new ImageArchiveError(`${file} is a tar archive but not an image: it has neither index.json (an OCI image layout) nor manifest.json (docker save)`);
}
