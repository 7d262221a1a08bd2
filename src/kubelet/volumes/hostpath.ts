// hostPath volumes: the path on the node is used as it is, after the type check the volume asks for
// (upstream's pkg/volume/hostpath checkType, with its messages).
import { mkdir, open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';

export class HostPathError extends Error {
  override name = 'HostPathError';
}

const STRERROR: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  ENOTDIR: 'not a directory',
  EEXIST: 'file exists',
  EROFS: 'read-only file system',
  EISDIR: 'is a directory',
  ENOSPC: 'no space left on device',
};

/** A Node.js fs error in Go's *PathError wording: "open /x: no such file or directory". */
export function goPathError(op: string, p: string, err: unknown): string {
  const c = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  return `${op} ${p}: ${STRERROR[c] ?? (err instanceof Error ? err.message : String(err))}`;
}

/** upstream's ValidatePathNoBacksteps. */
export function hasBacksteps(p: string): boolean {
  return p.split('/').includes('..');
}

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await stat(p);
  } catch {
    return undefined;
  }
}

/** The HostPathType a path is, or undefined for fifos and the like. */
function typeOf(st: Stats): string | undefined {
  if (st.isDirectory()) return 'Directory';
  if (st.isFile()) return 'File';
  if (st.isSocket()) return 'Socket';
  if (st.isCharacterDevice()) return 'CharDevice';
  if (st.isBlockDevice()) return 'BlockDevice';
  return undefined;
}

async function expectType(p: string, expected: string, description: string): Promise<void> {
  const st = await statOrUndefined(p);
  if (!st) throw new HostPathError(`hostPath ${p} doesn't exist`);
  const actual = typeOf(st);
  if (!actual) {
    throw new HostPathError(`hostPath type check failed, ${p} is not a ${description}, unable to determine its type: only recognise file, directory, socket, block device and character device`);
  }
  if (actual !== expected) throw new HostPathError(`hostPath type check failed: ${p} is not a ${description}, it's a ${actual}`);
}

/** Checks (and for the *OrCreate types, creates) `p` as hostPath `type` asks; throws HostPathError with upstream's message. */
export async function checkHostPath(p: string, type: string | undefined): Promise<void> {
  if (hasBacksteps(p)) throw new HostPathError(`invalid HostPath \`${p}\`: must not contain '..'`);
  switch (type ?? '') {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (!(await statOrUndefined(p))) {
        try {
          await mkdir(p, { recursive: true, mode: 0o755 });
        } catch (err) {
          throw new HostPathError(goPathError('mkdir', p, err), { cause: err });
        }
        return;
      }
      return expectType(p, 'Directory', 'directory');
    case 'Directory':
      return expectType(p, 'Directory', 'directory');
    case 'FileOrCreate':
      if (!(await statOrUndefined(p))) {
        try {
          await (await open(p, 'a', 0o644)).close();
        } catch (err) {
          throw new HostPathError(goPathError('open', p, err), { cause: err });
        }
        return;
      }
      return expectType(p, 'File', 'file');
    case 'File':
      return expectType(p, 'File', 'file');
    case 'Socket':
      return expectType(p, 'Socket', 'socket file');
    case 'CharDevice':
      return expectType(p, 'CharDevice', 'character device');
    case 'BlockDevice':
      return expectType(p, 'BlockDevice', 'block device');
    default:
      throw new HostPathError(`${type} is an invalid volume type`);
  }
}
