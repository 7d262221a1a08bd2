// Bundles the `skiff` command: src/cli/main.ts → dist/skiff.mjs, plus lazily loaded chunks beside it in dist/.
// Run with `node build.mjs` (or `npm run build`); bin/skiff runs it when a file the bundle was built from (listed in
// dist/skiff.inputs) is newer than dist/skiff.mjs.
import { build } from 'esbuild';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
const src = join(root, 'src');
/** Outputs of earlier builds are removed once this old (a process started just before a rebuild may still load them). */
const STALE_AFTER_MS = 60 * 60 * 1000;
/** The clone's source files the bundle was made from, one path (relative to the clone) a line, for bin/skiff. */
const INPUTS = 'skiff.inputs';

/**
 * Left to node_modules at run time: native addons, and packages that read files beside their own sources
 * (etcd3 loads its .proto files from its package directory when first imported).
 */
const EXTERNAL = ['better-sqlite3', 'etcd3', '*.node'];

// Bundled CommonJS dependencies call require(); an ES module has none, so give them one.
const BANNER = "import { createRequire as __skiffCreateRequire } from 'node:module';\nconst require = __skiffCreateRequire(import.meta.url);";

/**
 * Source files read data files beside themselves with `new URL('./x.json', import.meta.url)`. In the bundle
 * import.meta.url is the output file in dist/, so point those URLs back at the file in src/ (a clone always
 * has it). All outputs sit directly in dist/, so one relative path serves every chunk.
 */
const sourceRelativeAssets = {
  name: 'source-relative-assets',
  setup(b) {
    const pattern = /new URL\((['"])(\.{1,2}\/[^'"]+)\1,\s*import\.meta\.url\)/g;
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (!args.path.startsWith(src + sep)) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const contents = text.replace(pattern, (_m, _q, rel) => {
        const target = relative(dist, join(dirname(args.path), rel)).split('\\').join('/');
        return `new URL(${JSON.stringify(target)}, import.meta.url)`;
      });
      return { contents, loader: 'ts' };
    });
  },
};

async function main() {
  // Build beside dist/ and swap it in, so a half-finished build never replaces a working one.
  const staging = join(root, `dist.tmp-${process.pid}`);
  // The entry gets this time as its mtime, so a source edited while the build runs still counts as newer.
  const startedAt = new Date();
  await rm(staging, { recursive: true, force: true });
  try {
    const result = await build({
      absWorkingDir: root,
      entryPoints: { skiff: 'src/cli/main.ts' },
      outdir: staging,
      outExtension: { '.js': '.mjs' },
      chunkNames: '[name]-[hash]',
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
      plugins: [sourceRelativeAssets],
    });
    await mkdir(dist, { recursive: true });
    const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/') && !f.includes(':'));
    await writeFile(join(staging, INPUTS), `${inputs.sort().join('\n')}\n`);
    // Replace the entry last: until then a running bin/skiff still finds a complete old build.
    const files = await readdir(staging);
    const entry = 'skiff.mjs';
    await utimes(join(staging, entry), startedAt, startedAt);
    for (const file of files.filter((f) => f !== entry)) await rename(join(staging, file), join(dist, file));
    await rename(join(staging, entry), join(dist, entry));
    // Chunks of earlier builds are no longer referenced.
    const current = new Set(files);
    for (const file of await readdir(dist)) {
      if (current.has(file)) continue;
      const info = await stat(join(dist, file)).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > STALE_AFTER_MS) await rm(join(dist, file), { recursive: true, force: true });
    }
    const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
    if (!process.env.SKIFF_BUILD_QUIET) console.error(`built dist/${entry} (${(bytes / 1024).toFixed(0)} KiB with chunks and maps)`);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

await main();
