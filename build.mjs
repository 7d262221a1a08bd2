// Bundles the `skiff` command: src/cli/main.ts → dist/skiff.mjs (plus lazily loaded chunks under dist/chunks/).
// Run with `node build.mjs` (or `npm run build`); bin/skiff runs it when dist/ is older than src/.
import { build } from 'esbuild';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');

/**
 * Left to node_modules at run time: native addons, and packages that read files beside their own sources
 * (etcd3 loads its .proto files from its package directory when first imported).
 */
const EXTERNAL = ['better-sqlite3', 'etcd3', '*.node'];

// Bundled CommonJS dependencies call require(); an ES module has none, so give them one.
const BANNER = "import { createRequire as __skiffCreateRequire } from 'node:module';\nconst require = __skiffCreateRequire(import.meta.url);";

async function main() {
  // Build beside dist/ and swap it in, so a half-finished build never replaces a working one.
  const staging = join(root, `dist.tmp-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  try {
    const result = await build({
      absWorkingDir: root,
      entryPoints: { skiff: 'src/cli/main.ts' },
      outdir: staging,
      outExtension: { '.js': '.mjs' },
      chunkNames: 'chunks/[name]-[hash]',
      bundle: true,
      splitting: true, // commands load their dependencies lazily, so `skiff --help` stays fast
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: true,
      external: EXTERNAL,
      banner: { js: BANNER },
      legalComments: 'linked',
      logLevel: 'warning',
      metafile: true,
    });
    await mkdir(dist, { recursive: true });
    // Replace the entry last: until then a running bin/skiff still finds a complete old build.
    const files = await listFiles(staging);
    const entry = 'skiff.mjs';
    for (const file of files.filter((f) => f !== entry)) {
      await mkdir(dirname(join(dist, file)), { recursive: true });
      await rename(join(staging, file), join(dist, file));
    }
    await rename(join(staging, entry), join(dist, entry));
    // Chunks of earlier builds are no longer referenced.
    const current = new Set(files);
    for (const file of await listFiles(dist)) {
      if (!current.has(file)) await rm(join(dist, file), { force: true });
    }
    const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
    if (!process.env.SKIFF_BUILD_QUIET) console.error(`built dist/${entry} (${(bytes / 1024).toFixed(0)} KiB with chunks and maps)`);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function listFiles(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath ?? e.path, e.name)));
}

await main();
