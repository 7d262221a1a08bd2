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

export function processIO(): CliIO {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
  };
}
