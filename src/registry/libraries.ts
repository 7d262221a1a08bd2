// The shared libraries a dynamically linked program needs, found with ldd, and where they go in an image laid out
// like Debian 12's (merged /usr: /lib is a symlink to usr/lib, /lib64 to usr/lib64).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MissingImageInputError } from './debian.ts';

const run = promisify(execFile);

export interface SharedLibrary {
  /** Where the loader looks for it, e.g. /lib/x86_64-linux-gnu/libc.so.6. */
  path: string;
  /** The file to copy (may be under a directory a downloaded package was unpacked into). */
  source: string;
}

/** ldd's output: one library per line; the vdso has no file, "not found" lines are returned apart. */
export function parseLdd(text: string): { found: string[]; missing: string[] } {
  const found: string[] = [];
  const missing: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const arrow = /^(\S+)\s+=>\s+(.*)$/.exec(line);
    if (arrow) {
      const target = arrow[2]!.replace(/\s*\(0x[0-9a-f]+\)$/, '').trim();
      if (target === 'not found') missing.push(arrow[1]!);
      else if (target.startsWith('/')) found.push(target);
      continue;
    }
    // The program interpreter: "/lib64/ld-linux-x86-64.so.2 (0x...)".
    const bare = /^(\/\S+)\s+\(0x[0-9a-f]+\)$/.exec(line);
    if (bare) found.push(bare[1]!);
  }
  return { found, missing };
}

const MERGED_USR = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

/** A path inside the image, without the leading slash, with /lib, /bin … moved under usr/ (merged /usr). */
export function mergedUsrPath(absolute: string): string {
  const rel = absolute.replace(/^\/+/, '');
  const first = rel.split('/')[0]!;
  return MERGED_USR.includes(first) ? `usr/${rel}` : rel;
}

/**
 * The libraries `program` loads, resolved by the host's loader; `extraRoots` are directories Debian packages not
 * installed here were unpacked into (their libraries are found through LD_LIBRARY_PATH and placed in the image
 * at the path they have inside the package).
 */
export async function sharedLibraries(program: string, extraRoots: string[] = [], signal?: AbortSignal): Promise<SharedLibrary[]> {
  const libDirs = extraRoots.flatMap((root) => ['lib', 'usr/lib'].flatMap((d) => [`${root}/${d}`, `${root}/${d}/${multiarchDir()}`]));
  let stdout: string;
  try {
    ({ stdout } = await run('ldd', [program], {
      env: { ...process.env, LD_LIBRARY_PATH: libDirs.join(':'), LC_ALL: 'C' },
      ...(signal && { signal }),
    }));
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new MissingImageInputError('ldd is not installed: apt-get install libc-bin', { cause: err });
    if (e.name === 'AbortError') throw err;
    throw new Error(`ldd ${program}: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
  const { found, missing } = parseLdd(stdout);
  if (missing.length) {
    throw new MissingImageInputError(`${program} needs ${missing.join(', ')}, which neither this host nor the downloaded packages provide`);
  }
  return found.map((source) => {
    const root = extraRoots.find((r) => source.startsWith(`${r}/`));
    return { path: root ? source.slice(root.length) : source, source };
  });
}

const MULTIARCH: Record<string, string> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu', arm: 'arm-linux-gnueabihf', ppc64: 'powerpc64le-linux-gnu', s390x: 's390x-linux-gnu' };

function multiarchDir(): string {
  return MULTIARCH[process.arch] ?? `${process.arch}-linux-gnu`;
}
