// bin/skiff leaves the per-file freshness check of dist/ to the bundle: a few hundred stat calls cost Node a few
// milliseconds (more on a busy machine) and a bash loop several times that. When a file the bundle was built from
// (dist/skiff.inputs, written by build.mjs) is newer than dist/skiff.mjs, bin/skiff rebuilds (under its lock, with its
// messages) and the new bundle runs in this same process, so signals and exit codes stay those of one process. A
// command with its own list (dist/skiff-kubectl.inputs) checks only the files it can load: a stale file elsewhere
// cannot change what it runs, and the next command that loads it rebuilds.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

function readInputs(root: string, command: string | undefined): string {
  if (command && /^[a-z-]+$/.test(command)) {
    try {
      return readFileSync(join(root, 'dist', `skiff-${command}.inputs`), 'utf8');
    } catch {
      // no list of its own: check them all
    }
  }
  return readFileSync(join(root, 'dist', 'skiff.inputs'), 'utf8');
}

export function bundleIsStale(root: string, command?: string): boolean {
  let builtAt: number;
  let inputs: string;
  try {
    builtAt = statSync(join(root, 'dist', 'skiff.mjs')).mtimeMs;
    inputs = readInputs(root, command);
  } catch {
    return false; // bin/skiff checked without the list
  }
  const prefix = root.endsWith('/') ? root : `${root}/`;
  for (const file of inputs.split('\n')) {
    if (!file) continue;
    const info = statSync(prefix + file, { throwIfNoEntry: false });
    if (!info || info.mtimeMs > builtAt) return true;
  }
  return false;
}

/** Rebuilds through bin/skiff (its lock and messages); exits when the build fails. */
export async function rebuild(root: string): Promise<void> {
  const { spawnSync } = await import('node:child_process');
  const build = spawnSync(join(root, 'bin', 'skiff'), [], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SKIFF_BUILD_ONLY: '1' } });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

/** Rebuilds, then runs the new bundle's entry here. */
export async function rebuildAndRun(root: string): Promise<void> {
  await rebuild(root);
  // A new URL, so the new entry module runs even if its text is unchanged.
  await import(`${pathToFileURL(join(root, 'dist', 'skiff.mjs')).href}?rebuilt=${Date.now()}`);
}
