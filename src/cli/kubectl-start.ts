// The start of `skiff kubectl …` and of the link named kubectl (bin/skiff runs dist/kubectl.cjs, built from this
// file). Skiff's kubectl is one minified file, dist/kubectl-bundle.cjs, compiled from V8's code cache
// (src/cli/code-cache.ts): one file, not the twenty-odd ES modules `node dist/skiff.mjs kubectl` loads, and no
// parsing. build.mjs requires this file too, for seedCodeCache.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { restoreDeferredExtraCaCerts } from '../kubectl/extra-ca.ts';
import { bundleIsStale, rebuild } from './build-check.ts';
import { loadWithCodeCache, type CachedModule } from './code-cache.ts';

export { seedCodeCache } from './code-cache.ts';

/**
 * The packages the bundle leaves out (build.mjs: `yaml` and `ws`, a third of its size, which `get` and `version`
 * never use), each one file of its own, loaded the same way on first require().
 */
const VENDORED: Record<string, string> = { yaml: 'kubectl-yaml.cjs', ws: 'kubectl-ws.cjs' };

function vendorRequire(load: (file: string) => Record<string, unknown>): NodeRequire {
  const base = createRequire(join(__dirname, 'kubectl-bundle.cjs'));
  const vendored = new Map<string, unknown>();
  const require = (id: string): unknown => {
    const file = VENDORED[id];
    if (!file) return base(id);
    if (!vendored.has(id)) vendored.set(id, load(file));
    return vendored.get(id);
  };
  return Object.assign(require, base);
}

async function start(): Promise<void> {
  // Before anything can start a child process: bin/skiff may have held NODE_EXTRA_CA_CERTS back.
  restoreDeferredExtraCaCerts();
  // bin/skiff's name for the command (src/cli/main.ts reads it; children must not inherit it).
  delete process.env['SKIFF_INVOKED_AS'];
  const buildRoot = process.env['SKIFF_CHECK_BUILD'];
  delete process.env['SKIFF_CHECK_BUILD'];
  // The bundle is read afresh below, so after a rebuild the new one runs in this same process.
  if (buildRoot && bundleIsStale(buildRoot, 'kubectl')) await rebuild(buildRoot);
  const loaded: CachedModule[] = [];
  process.once('exit', () => loaded.forEach((m) => m.saveCache()));
  const load = (file: string, require?: NodeRequire) => {
    const m = loadWithCodeCache(join(__dirname, file), require);
    loaded.push(m);
    return m.exports;
  };
  const bundle = load('kubectl-bundle.cjs', vendorRequire(load));
  const main = bundle['main'] as (args: string[]) => Promise<never>;
  await main(process.argv.slice(2));
}

if (require.main === module) void start();
