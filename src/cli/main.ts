// Entry point of the `skiff` command (bundled to dist/skiff.mjs).
import { restoreDeferredExtraCaCerts } from '../kubectl/extra-ca.ts';
import { bundleIsStale, rebuildAndRun } from './build-check.ts';
import { runCli } from './cli.ts';
import { exitAfterFlush, processIO } from './command.ts';

/**
 * The command line. Invoked through a link named `kubectl`, Skiff acts as `skiff kubectl`. bin/skiff runs node on
 * the bundle, so a wrapper may pass the name it was invoked by in SKIFF_INVOKED_AS (main removes it, so that child
 * processes do not inherit it; a rebuilt bundle run in this process still reads it).
 */
function cliArgs(): string[] {
  const invokedAs = process.env['SKIFF_INVOKED_AS'] ?? process.argv[1]?.split('/').pop() ?? '';
  return invokedAs === 'kubectl' || invokedAs === 'kubectl.mjs' ? ['kubectl', ...process.argv.slice(2)] : process.argv.slice(2);
}

async function main(): Promise<never> {
  const args = cliArgs();
  delete process.env['SKIFF_INVOKED_AS'];
  return exitAfterFlush(await runCli(args, processIO()));
}

// Before anything can start a child process: bin/skiff may have held NODE_EXTRA_CA_CERTS back from a kubectl run.
restoreDeferredExtraCaCerts();
// bin/skiff sets SKIFF_CHECK_BUILD to its clone when the bundle should check its own freshness (src/cli/build-check.ts).
const buildRoot = process.env['SKIFF_CHECK_BUILD'];
delete process.env['SKIFF_CHECK_BUILD'];
if (buildRoot && bundleIsStale(buildRoot, cliArgs()[0])) await rebuildAndRun(buildRoot);
else await main();
