// Projects a set of files into a volume directory so that readers see either the old set or the new one, never a
// mix (upstream's pkg/volume/util/atomic_writer.go). The files live in a hidden timestamped directory; `..data`
// is a symlink to it, and every visible top-level name is a symlink through `..data`:
//
//   <dir>/key    -> ..data/key
//   <dir>/..data -> ..2024_05_01_12_00_00.1234567890
//
// An update writes a new timestamped directory and swaps `..data` with one rename.
import { randomInt } from 'node:crypto';
import { chmod, mkdir, readFile, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface FileProjection {
  data: Buffer | string;
  /** Permission bits, e.g. 0o644. */
  mode: number;
}

export type Payload = ReadonlyMap<string, FileProjection>;

export const DATA_DIR = '..data';
const NEW_DATA_DIR = '..data_tmp';
const MAX_FILE_NAME = 255;
const MAX_PATH = 4096;

/** The payload names a path the writer cannot project. */
export class InvalidPayloadError extends Error {
  override name = 'InvalidPayloadError';
}

/** Why a payload path is invalid (upstream's wording), or undefined when it is fine. */
export function invalidPayloadPath(p: string): string | undefined {
  if (p === '') return `invalid path: must not be empty: ""`;
  if (p.startsWith('/')) return `invalid path: must be relative path: ${p}`;
  if (p.length > MAX_PATH) return `invalid path: must be less than or equal to ${MAX_PATH} characters`;
  const items = p.split('/');
  for (const item of items) {
    if (item === '..') return `invalid path: must not contain '..': ${p}`;
    if (Buffer.byteLength(item) > MAX_FILE_NAME) return `invalid path: filenames must be less than or equal to ${MAX_FILE_NAME} characters`;
  }
  if (items[0]!.startsWith('..') && items[0]!.length > 2) return `invalid path: must not start with '..': ${p}`;
  return undefined;
}

function cleanPayload(payload: Payload): Map<string, FileProjection> {
  const clean = new Map<string, FileProjection>();
  for (const [p, file] of payload) {
    const invalid = invalidPayloadPath(p);
    if (invalid) throw new InvalidPayloadError(invalid);
    clean.set(path.posix.normalize(p).replace(/\/+$/, ''), file);
  }
  return clean;
}

const code = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;

async function readlinkOrEmpty(p: string): Promise<string> {
  try {
    return await readlink(p);
  } catch (err) {
    if (code(err) === 'ENOENT') return '';
    throw err;
  }
}

/** Every file and directory under `dir`, relative to it (symlinks are not followed). */
async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    out.push(rel);
    if (entry.isDirectory()) out.push(...(await walk(dir, rel)));
  }
  return out;
}

async function pathsToRemove(payload: Map<string, FileProjection>, oldTsPath: string): Promise<Set<string>> {
  let current: string[];
  try {
    current = await walk(oldTsPath);
  } catch (err) {
    if (code(err) === 'ENOENT') return new Set();
    throw err;
  }
  const wanted = new Set<string>();
  for (const file of payload.keys()) {
    for (let p = file; p && p !== '.'; p = path.posix.dirname(p)) wanted.add(p);
  }
  return new Set(current.filter((p) => !wanted.has(p)));
}

async function payloadDiffers(payload: Map<string, FileProjection>, oldTsPath: string): Promise<boolean> {
  for (const [p, file] of payload) {
    let onDisk: Buffer;
    try {
      onDisk = await readFile(path.join(oldTsPath, p));
    } catch (err) {
      if (code(err) === 'ENOENT') return true;
      throw err;
    }
    if (!onDisk.equals(typeof file.data === 'string' ? Buffer.from(file.data) : file.data)) return true;
  }
  return false;
}

function timestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}_${p(d.getUTCMonth() + 1)}_${p(d.getUTCDate())}_${p(d.getUTCHours())}_${p(d.getUTCMinutes())}_${p(d.getUTCSeconds())}`;
}

async function newTimestampDir(targetDir: string): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const dir = path.join(targetDir, `..${timestamp(new Date())}.${randomInt(0, 2 ** 32 - 1)}`);
    try {
      await mkdir(dir, { mode: 0o755 });
    } catch (err) {
      if (code(err) === 'EEXIST') continue;
      throw err;
    }
    // 0755 whatever the umask: group and others must be able to traverse it.
    await chmod(dir, 0o755);
    return dir;
  }
  throw new Error(`could not create a timestamped directory in ${targetDir}`);
}

async function writePayload(payload: Map<string, FileProjection>, dir: string): Promise<void> {
  for (const [p, file] of payload) {
    const full = path.join(dir, p);
    await mkdir(path.dirname(full), { recursive: true, mode: 0o755 });
    await writeFile(full, file.data, { mode: file.mode });
    await chmod(full, file.mode);
  }
}

async function createUserVisibleFiles(targetDir: string, payload: Map<string, FileProjection>): Promise<void> {
  for (const p of payload.keys()) {
    const top = p.split('/')[0]!;
    const visible = path.join(targetDir, top);
    try {
      await readlink(visible);
    } catch (err) {
      if (code(err) !== 'ENOENT') continue;
      await symlink(path.posix.join(DATA_DIR, top), visible);
    }
  }
}

/**
 * Writes `payload` (relative path → contents and mode) into `targetDir`, which must exist. Returns whether
 * anything changed. `setPerms` may adjust the new timestamped directory before it is published.
 * Callers serialise writes to one directory.
 */
export async function writeAtomically(targetDir: string, payload: Payload, setPerms?: (tsDir: string) => Promise<void>): Promise<boolean> {
  const clean = cleanPayload(payload);
  const dataDirPath = path.join(targetDir, DATA_DIR);
  let oldTsDir = await readlinkOrEmpty(dataDirPath);
  const oldTsPath = path.join(targetDir, oldTsDir);

  let remove = new Set<string>();
  let shouldWrite = true;
  if (oldTsDir) {
    remove = await pathsToRemove(clean, oldTsPath);
    if (!(await payloadDiffers(clean, oldTsPath)) && remove.size === 0) {
      // Up to date; still make sure every visible symlink exists.
      shouldWrite = false;
      oldTsDir = '';
    }
  }

  if (shouldWrite) {
    const tsDir = await newTimestampDir(targetDir);
    try {
      await writePayload(clean, tsDir);
      await setPerms?.(tsDir);
      const newDataDirPath = path.join(targetDir, NEW_DATA_DIR);
      await rm(newDataDirPath, { force: true });
      await symlink(path.basename(tsDir), newDataDirPath);
      await rename(newDataDirPath, dataDirPath);
    } catch (err) {
      await rm(tsDir, { recursive: true, force: true });
      throw err;
    }
  }

  await createUserVisibleFiles(targetDir, clean);
  // Only names in the volume's root are symlinks of their own; deeper paths vanish with the old directory.
  for (const p of remove) {
    if (!p.includes('/')) await rm(path.join(targetDir, p), { force: true });
  }
  if (oldTsDir) await rm(oldTsPath, { recursive: true, force: true });
  return shouldWrite;
}
