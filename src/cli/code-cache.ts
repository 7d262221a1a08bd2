// Loads a bundled CommonJS file with V8's code cache beside it, as Node 22's module.enableCompileCache does for every
// module and Node 20 cannot: compiling Skiff's kubectl from source costs a short command more than running it.
// The build seeds a cache by compiling the file's top level (seedCodeCache); the first run that may write replaces it
// with one holding every function that run compiled, which later runs of the same commands then skip compiling.
// V8 checks a cache against the source's length only, so a cache's name carries its file's size and mtime: a rebuilt
// file never meets the bytecode of the one before.
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

export interface CachedModule {
  exports: Record<string, unknown>;
  /** Which cache V8 compiled the file from: one a run wrote, the build's seed, or none (absent or refused). */
  cache: 'run' | 'seed' | 'none';
  /** Writes this run's cache unless it ran from one; a directory that cannot be written is left alone. */
  saveCache(): void;
}

function cachePaths(file: string): { run: string; seed: string } {
  const { size, mtimeMs } = statSync(file);
  const base = `${file}.${size}-${Math.trunc(mtimeMs)}`;
  return { run: `${base}.cache`, seed: `${base}.seed.cache` };
}

function read(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

function compile(file: string, source: string, cachedData?: Buffer): Script {
  return new Script(source, { filename: file, cachedData });
}

const wrapped = (file: string) => Module.wrap(readFileSync(file, 'utf8'));

/** Writes atomically (a concurrent run never reads half a cache); false when the directory cannot be written. */
function writeCache(path: string, data: Buffer): boolean {
  const temp = `${path}.${process.pid}`;
  try {
    writeFileSync(temp, data);
    renameSync(temp, path);
    return true;
  } catch {
    rmSync(temp, { force: true });
    return false;
  }
}

/** The build's cache for `file`: its top level compiled, nothing run. */
export function seedCodeCache(file: string): void {
  if (!writeCache(cachePaths(file).seed, compile(file, wrapped(file)).createCachedData())) throw new Error(`cannot write the code cache of ${file}`);
}

/** Compiles and runs `file`; `require` is what the file's own require() calls reach (by default, Node's, from its directory). */
export function loadWithCodeCache(file: string, require: NodeRequire = createRequire(file)): CachedModule {
  const paths = cachePaths(file);
  const source = wrapped(file);
  let cache: CachedModule['cache'] = 'none';
  let script: Script | undefined;
  for (const kind of ['run', 'seed'] as const) {
    const data = read(paths[kind]);
    if (!data) continue;
    script = compile(file, source, data);
    if (!script.cachedDataRejected) {
      cache = kind;
      break;
    }
  }
  if (cache === 'none') script = compile(file, source);
  const module = { exports: {} as Record<string, unknown> };
  const wrapper = script!.runInThisContext() as (exports: unknown, require: NodeRequire, module: unknown, filename: string, dirname: string) => void;
  wrapper.call(module.exports, module.exports, require, module, file, dirname(file));
  return {
    exports: module.exports,
    cache,
    saveCache() {
      if (cache !== 'run') writeCache(paths.run, script!.createCachedData());
    },
  };
}
