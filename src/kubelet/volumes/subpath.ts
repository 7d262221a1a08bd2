// A volumeMount's subPath inside its volume: created when missing (as a directory with the volume's mode), and
// never allowed to lead out of the volume through a symlink (upstream's SafeMakeDir and PrepareSafeSubpath;
// Skiff checks the resolved path instead of bind-mounting it).
import { chmod, lstat, mkdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

export class SubPathError extends Error {
  override name = 'SubPathError';
  constructor(
    readonly kind: 'create' | 'escape',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

function within(base: string, p: string): boolean {
  return p === base || p.startsWith(base.endsWith('/') ? base : `${base}/`);
}

const exists = async (p: string) => {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
};

/** The host path of `subPath` inside `volumePath` (resolved, inside the volume), creating missing directories. */
export async function prepareSubPath(volumePath: string, subPath: string): Promise<string> {
  const base = await realpath(volumePath);
  const parts = subPath.split('/').filter((p) => p && p !== '.');
  if (!(await exists(path.join(volumePath, ...parts)))) {
    const mode = (await stat(base)).mode & 0o777;
    let current = base;
    for (const part of parts) {
      const next = path.join(current, part);
      if (await exists(next)) {
        current = await realpath(next);
        if (!within(base, current)) throw new SubPathError('escape', `path ${next} is outside of allowed base ${base}`);
        continue;
      }
      try {
        await mkdir(next, { mode });
        // Another writer could have put a symlink there in between; only a real directory will do.
        const st = await lstat(next);
        if (!st.isDirectory()) throw new SubPathError('escape', `${next} is not a directory`);
        await chmod(next, mode);
      } catch (err) {
        if (err instanceof SubPathError) throw err;
        throw new SubPathError('create', `cannot create ${next}: ${(err as Error).message}`, { cause: err });
      }
      current = next;
    }
  }
  let resolved: string;
  try {
    resolved = await realpath(path.join(base, ...parts));
  } catch (err) {
    throw new SubPathError('escape', `cannot resolve ${subPath}: ${(err as Error).message}`, { cause: err });
  }
  if (!within(base, resolved)) throw new SubPathError('escape', `subPath ${subPath} resolves to ${resolved}, outside of ${base}`);
  return resolved;
}
