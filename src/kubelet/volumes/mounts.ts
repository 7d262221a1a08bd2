// Host mounts the volume manager makes and removes (tmpfs for memory-backed volumes), and removing a pod's
// directory without ever following a symlink or crossing into a mounted file system.
import { execFile } from 'node:child_process';
import { lstat, readFile, readdir, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const COMMAND_TIMEOUT_MS = 30_000;

export class MountError extends Error {
  override name = 'MountError';
}

export interface MountPoint {
  mountPoint: string;
  fsType: string;
  source: string;
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040 ...). */
export function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The mount points in a mountinfo text (proc(5)). */
export function parseMountInfo(text: string): MountPoint[] {
  const out: MountPoint[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [left, right] = line.split(' - ');
    const fields = left?.split(' ') ?? [];
    const tail = right?.split(' ') ?? [];
    const mountPoint = fields[4];
    if (!mountPoint) continue;
    out.push({ mountPoint: unescapeMountPath(mountPoint), fsType: tail[0] ?? '', source: unescapeMountPath(tail[1] ?? '') });
  }
  return out;
}

export async function listMountPoints(mountInfoPath = '/proc/self/mountinfo'): Promise<MountPoint[]> {
  return parseMountInfo(await readFile(mountInfoPath, 'utf8'));
}

/** Mount points at or below `dir` (a resolved path), deepest first, so they can be unmounted in order. */
export function mountPointsUnder(mounts: readonly MountPoint[], dir: string): MountPoint[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return mounts
    .filter((m) => m.mountPoint === dir || m.mountPoint.startsWith(prefix))
    .sort((a, b) => b.mountPoint.length - a.mountPoint.length);
}

function commandError(what: string, args: readonly string[], err: unknown): MountError {
  const e = err as { stderr?: string; stdout?: string; code?: unknown; message?: string };
  const output = `${e.stderr ?? ''}${e.stdout ?? ''}`.trim();
  return new MountError(
    `${what} failed: exit status ${typeof e.code === 'number' ? e.code : String(e.code ?? '?')}\nMounting command: ${what}\nMounting arguments: ${args.join(' ')}\nOutput: ${output || e.message || ''}`,
    { cause: err },
  );
}

/** Mounts a fresh tmpfs on `dir` (size in bytes, or the kernel's default of half the memory). */
export async function mountTmpfs(dir: string, sizeBytes?: bigint): Promise<void> {
  const args = ['-t', 'tmpfs', ...(sizeBytes && sizeBytes > 0n ? ['-o', `size=${sizeBytes}`] : []), 'tmpfs', dir];
  try {
    await run('mount', args, { timeout: COMMAND_TIMEOUT_MS });
  } catch (err) {
    throw commandError('mount', args, err);
  }
}

/** Unmounts `dir`; a busy mount is detached lazily rather than left behind. */
export async function unmount(dir: string): Promise<void> {
  try {
    await run('umount', [dir], { timeout: COMMAND_TIMEOUT_MS });
  } catch (err) {
    try {
      await run('umount', ['-l', dir], { timeout: COMMAND_TIMEOUT_MS });
    } catch {
      throw commandError('umount', [dir], err);
    }
  }
}

/**
 * Removes `root` and everything under it. Symlinks are removed, never followed; a directory on another file
 * system (something still mounted) is not entered, and the removal fails instead.
 */
export async function removeTree(root: string): Promise<void> {
  let st;
  try {
    st = await lstat(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!st.isDirectory()) return unlink(root);
  await removeDir(root, st.dev);
}

async function removeDir(dir: string, dev: number): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const st = await lstat(p);
      if (st.dev !== dev) throw new MountError(`${p} is on another file system (still mounted?); it was not removed`);
      await removeDir(p, dev);
    } else {
      await unlink(p);
    }
  }
  await rmdir(dir);
}
