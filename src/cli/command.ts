// What every `skiff` subcommand looks like, and how it talks to the terminal.

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface Command {
  name: string;
  /** One line for `skiff --help`. */
  summary: string;
  /** The full text for `skiff <name> --help`. */
  usage: string;
  /** Hand -h/--help to the command itself (it wraps another program). */
  passThroughHelp?: boolean;
  /** Returns the process exit code. Throws UsageError for bad arguments. */
  run(args: string[], io: CliIO): Promise<number>;
}

/** Bad command-line input: printed with a hint to --help, exit code 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Runs a command with the arguments after its name: a UsageError adds the hint to --help; any error is one line, exit 1. */
export async function runCommand(command: Command, args: string[], io: CliIO): Promise<number> {
  try {
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`skiff ${command.name}: ${err.message}\nRun 'skiff ${command.name} --help' for usage.\n`);
      return 1;
    }
    const e = err as Error;
    io.stderr(`skiff ${command.name}: ${e?.message ?? String(err)}\n`);
    return 1;
  }
}

/** Exits with `code` once everything written to stdout and stderr is flushed. */
export async function exitAfterFlush(code: number): Promise<never> {
  // A write larger than a pipe's buffer finishes asynchronously: wait for both streams to flush, then exit, so a
  // finished command does not linger on a forgotten timer or socket.
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise((resolve) => s.write('', resolve))));
  process.exit(code);
}

export function processIO(): CliIO {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
  };
}
