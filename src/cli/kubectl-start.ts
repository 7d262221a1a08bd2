// The start of `skiff kubectl …` and of the link named kubectl (bin/skiff runs dist/kubectl.cjs, built from this
// file). Skiff's kubectl is one minified file, dist/kubectl-bundle.cjs, compiled from V8's code cache
// (src/cli/code-cache.ts): one file, not the twenty-odd ES modules `node dist/skiff.mjs kubectl` loads, and no
// parsing. build.mjs requires this file too, for seedCodeCache.
import { join } from 'node:path';
import { restoreDeferredExtraCaCerts } from '../kubectl/extra-ca.ts';
import { bundleIsStale, rebuild } from './build-check.ts';
import { loadWithCodeCache } from './code-cache.ts';

export { seedCodeCache } from './code-cache.ts';

async function start(): Promise<void> {
  // Before anything can start a child process: bin/skiff may have held NODE_EXTRA_CA_CERTS back.
  restoreDeferredExtraCaCerts();
  // bin/skiff's name for the command (src/cli/main.ts reads it; children must not inherit it).
  delete process.env['SKIFF_INVOKED_AS'];
  const buildRoot = process.env['SKIFF_CHECK_BUILD'];
  delete process.env['SKIFF_CHECK_BUILD'];
  // The bundle is read afresh below, so after a rebuild the new one runs in this same process.
  if (buildRoot && bundleIsStale(buildRoot, 'kubectl')) await rebuild(buildRoot);
  const bundle = loadWithCodeCache(join(__dirname, 'kubectl-bundle.cjs'));
  process.once('exit', () => bundle.saveCache());
  const main = bundle.exports['main'] as (args: string[]) => Promise<never>;
  await main(process.argv.slice(2));
}

if (require.main === module) void start();
