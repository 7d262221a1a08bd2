// Entry point of the `skiff` command (bundled to dist/skiff.mjs).
import { runCli } from './cli.ts';
import { processIO } from './command.ts';

// Invoked through a link named `kubectl`, Skiff acts as `skiff kubectl`. bin/skiff runs node on the bundle, so a
// wrapper may pass the name it was invoked by in SKIFF_INVOKED_AS (removed here so child processes do not inherit it).
const invokedAs = process.env['SKIFF_INVOKED_AS'] ?? process.argv[1]?.split('/').pop() ?? '';
delete process.env['SKIFF_INVOKED_AS'];
const args = invokedAs === 'kubectl' || invokedAs === 'kubectl.mjs' ? ['kubectl', ...process.argv.slice(2)] : process.argv.slice(2);
const code = await runCli(args, processIO());
// Writes to pipes, files and terminals are synchronous on Linux, so nothing is lost by exiting here; exiting
// also stops a finished command from lingering on a forgotten timer or socket.
process.exit(code);
