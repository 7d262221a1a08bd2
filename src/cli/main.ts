// Entry point of the `skiff` command (bundled to dist/skiff.mjs).
import { bundleIsStale, rebuildAndRun } from './build-check.ts';
import { runCli } from './cli.ts';
import { processIO } from './command.ts';

async function main(): Promise<never> {
  // Invoked through a link named `kubectl`, Skiff acts as `skiff kubectl`. bin/skiff runs node on the bundle, so a
  // wrapper may pass the name it was invoked by in SKIFF_INVOKED_AS (removed here so child processes do not inherit it).
  const invokedAs = process.env['SKIFF_INVOKED_AS'] ?? process.argv[1]?.split('/').pop() ?? '';
  delete process.env['SKIFF_INVOKED_AS'];
  const args = invokedAs === 'kubectl' || invokedAs === 'kubectl.mjs' ? ['kubectl', ...process.argv.slice(2)] : process.argv.slice(2);
  const code = await runCli(args, processIO());
  // A write larger than a pipe's buffer finishes asynchronously: wait for both streams to flush, then exit, so a
  // finished command does not linger on a forgotten timer or socket.
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise((resolve) => s.write('', resolve))));
  process.exit(code);
}

// bin/skiff sets SKIFF_CHECK_BUILD to its clone when the bundle should check its own freshness (src/cli/build-check.ts).
const buildRoot = process.env['SKIFF_CHECK_BUILD'];
delete process.env['SKIFF_CHECK_BUILD'];
if (buildRoot && bundleIsStale(buildRoot)) await rebuildAndRun(buildRoot);
else await main();
