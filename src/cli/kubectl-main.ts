// Skiff's kubectl as a program of its own: the entry of dist/kubectl-bundle.cjs, which dist/kubectl.cjs (built from
// kubectl-start.ts) loads for `skiff kubectl …` and for the link named kubectl. The same command as `skiff kubectl`
// in src/cli/cli.ts, without the rest of Skiff: one file, so a short command loads one module, not twenty.
import { exitAfterFlush, processIO, runCommand } from './command.ts';
import { kubectlCommand } from './kubectl.ts';

export async function main(args: string[]): Promise<never> {
  return exitAfterFlush(await runCommand(kubectlCommand, args, processIO()));
}
