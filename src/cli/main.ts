// Entry point of the `skiff` command (bundled to dist/skiff.mjs).
import { runCli } from './cli.ts';
import { processIO } from './command.ts';

const code = await runCli(process.argv.slice(2), processIO());
// Writes to pipes, files and terminals are synchronous on Linux, so nothing is lost by exiting here; exiting
// also stops a finished command from lingering on a forgotten timer or socket.
process.exit(code);
