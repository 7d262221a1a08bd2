// Bundles the `skiff` command: src/cli/main.ts → dist/skiff.mjs, plus lazily loaded chunks beside it in dist/.
// Run with `node build.mjs` (or `npm run build`); bin/skiff runs it when a file the bundle was built from (listed in
// dist/skiff.inputs) is newer than dist/skiff.mjs.
import { build } from 'esbuild';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createRequire, isBuiltin } from 'node:module';
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
 * Commands whose runs check only the files they can load (src/cli/build-check.ts): the entry's own chunks and
 * everything the command's module imports, statically or lazily. `skiff kubectl` stats about a quarter of the list.
 */
const COMMAND_INPUTS = { kubectl: 'src/cli/kubectl.ts' };

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

// Dependencies are covered by package-lock.json (bin/skiff); a node_modules reached through a symlink shows as ../.
const isCloneSource = (f) => !f.startsWith('node_modules/') && !f.startsWith('../') && !f.includes(':');

/** The clone's source files in the chunks a command can load: the entry's static imports, then all its module reaches. */
function commandInputs(metafile, source) {
  const outputs = metafile.outputs;
  const names = Object.keys(outputs);
  const entry = names.find((o) => outputs[o].entryPoint === 'src/cli/main.ts');
  const command = names.find((o) => o.endsWith('.mjs') && source in outputs[o].inputs);
  if (!entry || !command) throw new Error(`build: no output chunk holds ${source}`);
  const chunks = new Set();
  const visit = (chunk, lazy) => {
    if (chunks.has(chunk)) return;
    chunks.add(chunk);
    for (const i of outputs[chunk].imports) if (!i.external && (lazy || i.kind === 'import-statement')) visit(i.path, lazy);
  };
  visit(entry, false);
  visit(command, true);
  const files = new Set();
  for (const chunk of chunks) for (const f of Object.keys(outputs[chunk].inputs)) if (isCloneSource(f)) files.add(f);
  return [...files].sort();
}

/**
 * With splitting, esbuild gives `await import('pkg')` of a CommonJS package only `default` (evanw/esbuild#3245),
 * where Node (and tsx) give its named exports too: `const { parseAllDocuments } = await import('yaml')` would find
 * nothing in the bundle. Such imports go through a small ES module that re-exports the package's names statically.
 * Packages left to node_modules (EXTERNAL) are imported by Node itself, which has no such gap.
 */
const dynamicPackageImports = {
  name: 'dynamic-package-imports',
  setup(b) {
    const requireHere = createRequire(import.meta.url);
    const external = (name) => EXTERNAL.some((e) => name === e || name.startsWith(`${e}/`));
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind !== 'dynamic-import' || isBuiltin(args.path) || external(args.path)) return undefined;
      return { path: args.path, namespace: 'package-exports' };
    });
    b.onLoad({ filter: /.*/, namespace: 'package-exports' }, (args) => {
      const names = Object.keys(requireHere(args.path)).filter((n) => n !== 'default' && isBindingName(n));
      const contents = `import * as m from ${JSON.stringify(args.path)};\nexport const { ${names.join(', ')} } = m;\nexport default m.default;\n`;
      return { contents, resolveDir: root, loader: 'js' };
    });
  },
};

function isBindingName(name) {
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) return false;
  try {
    new Function(`let ${name};`); // rejects reserved words
    return true;
  } catch {
    return false;
  }
}

/** Packages Skiff's kubectl bundle loads from files of their own (src/cli/kubectl-start.ts). */
const KUBECTL_VENDORED = ['yaml', 'ws'];
/** The files dist/kubectl.cjs compiles from a code cache. */
const KUBECTL_CODE_FILES = ['kubectl-bundle', ...KUBECTL_VENDORED.map((pkg) => `kubectl-${pkg}`)];

/**
 * Skiff's kubectl on its own (bin/skiff runs it for `skiff kubectl` and the kubectl link): dist/kubectl.cjs, a small
 * start-up file, and dist/kubectl-bundle.cjs, the whole command in one minified CommonJS file (less the vendored
 * packages), which the start-up file compiles with V8's code cache (src/cli/code-cache.ts; the build seeds it). One file and no parsing saves a short
 * command ~15 ms over the twenty-odd ES modules of dist/skiff.mjs, and CommonJS is what Node 20 can load from a code
 * cache. Dynamic imports become requires (lazy module initialisers within the file): a script compiled from a code
 * cache has no module loader for import(). import.meta.url is the file's own URL, as in the ES module build.
 */
async function buildKubectl(outdir) {
  const options = {
    absWorkingDir: root,
    outdir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    sourcemap: true,
    supported: { 'dynamic-import': false },
    legalComments: 'linked',
    logLevel: 'warning',
    metafile: true,
  };
  const result = await build({
    ...options,
    entryPoints: { kubectl: 'src/cli/kubectl-start.ts', 'kubectl-bundle': 'src/cli/kubectl-main.ts' },
    define: { 'import.meta.url': '__skiffModuleUrl' },
    banner: { js: "const __skiffModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
    // Every kilobyte of the bundle costs each run reading and deserialising it (~8 ms for these two), so the packages
    // only some verbs use are files of their own (src/cli/kubectl-start.ts loads them when first required).
    external: [...EXTERNAL, ...KUBECTL_VENDORED],
    plugins: [sourceRelativeAssets],
  });
  await build({
    ...options,
    entryPoints: Object.fromEntries(KUBECTL_VENDORED.map((pkg) => [`kubectl-${pkg}`, `vendor:${pkg}`])),
    // ws's optional native helpers: it runs without them.
    external: ['bufferutil', 'utf-8-validate'],
    plugins: [
      {
        name: 'vendor-entries',
        setup(b) {
          b.onResolve({ filter: /^vendor:/ }, (args) => ({ path: args.path.slice('vendor:'.length), namespace: 'vendor' }));
          b.onLoad({ filter: /.*/, namespace: 'vendor' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, resolveDir: root, loader: 'js' }));
        },
      },
    ],
  });
  // esbuild escapes non-ASCII text in strings but not in regular expression literals. One such character makes V8
  // hold the whole source as two-byte text: reading and hashing it then cost every kubectl run ~10 ms more.
  for (const file of KUBECTL_CODE_FILES) {
    const text = await readFile(join(outdir, `${file}.cjs`), 'latin1');
    const at = text.search(/[^\x00-\x7f]/);
    if (at >= 0) throw new Error(`build: non-ASCII text in dist/${file}.cjs (…${text.slice(Math.max(0, at - 60), at + 20)}…): write it as \\u escapes in the source`);
  }
  return result;
}

async function main() {
  // Build beside dist/ and swap it in, so a half-finished build never replaces a working one.
  const staging = join(root, `dist.tmp-${process.pid}`);
  // The entry gets this time as its mtime, so a source edited while the build runs still counts as newer.
  const startedAt = new Date();
  await rm(staging, { recursive: true, force: true });
  try {
    const result = await build({
      absWorkingDir: root,
      // proxy-worker: the Services proxy's worker thread loads it (src/proxy/host-proxier.ts).
      entryPoints: { skiff: 'src/cli/main.ts', 'proxy-worker': 'src/proxy/proxy-worker.ts' },
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
      plugins: [sourceRelativeAssets, dynamicPackageImports],
    });
    const kubectl = await buildKubectl(staging);
    const { seedCodeCache } = createRequire(import.meta.url)(join(staging, 'kubectl.cjs'));
    for (const file of KUBECTL_CODE_FILES) seedCodeCache(join(staging, `${file}.cjs`));
    await mkdir(dist, { recursive: true });
    const kubectlInputs = Object.keys(kubectl.metafile.inputs).filter(isCloneSource);
    const inputs = new Set([...Object.keys(result.metafile.inputs).filter(isCloneSource), ...kubectlInputs]);
    await writeFile(join(staging, INPUTS), `${[...inputs].sort().join('\n')}\n`);
    for (const [command, source] of Object.entries(COMMAND_INPUTS)) {
      const files = new Set(commandInputs(result.metafile, source));
      if (command === 'kubectl') for (const f of kubectlInputs) files.add(f);
      await writeFile(join(staging, `skiff-${command}.inputs`), `${[...files].sort().join('\n')}\n`);
    }
    // Replace the entry last: until then a running bin/skiff still finds a complete old build.
    const files = await readdir(staging);
    const entry = 'skiff.mjs';
    await utimes(join(staging, entry), startedAt, startedAt);
    for (const file of files.filter((f) => f !== entry)) await rename(join(staging, file), join(dist, file));
    await rename(join(staging, entry), join(dist, entry));
    // Chunks of earlier builds are no longer referenced. The proxy's netlink helper is compiled by the proxy itself
    // (src/proxy/nfnl-helper.ts), not by a build: it stays.
    const current = new Set([...files, 'nfnl-send']);
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
