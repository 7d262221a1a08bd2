// Running the host's network tools (iptables, conntrack, sysctl), optionally inside a named network namespace
// (`ip netns exec NS …`) so tests and benchmarks can work in a namespace of their own.
import { spawn } from 'node:child_process';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CommandNotFoundError extends Error {
  override name = 'CommandNotFoundError';
}

export interface RunOptions {
  /** Written to the command's stdin. */
  input?: string | Buffer;
  timeoutMs?: number;
}

export class HostCommands {
  constructor(readonly netns?: string | undefined) {}

  /** Runs `command args…`; resolves with its exit code and output (a non-zero exit is not an error here). */
  run(command: string, args: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
    const [file, argv] = this.netns ? ['ip', ['netns', 'exec', this.netns, command, ...args]] : [command, [...args]];
    return new Promise((resolve, reject) => {
      const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 120_000 });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e: NodeJS.ErrnoException) => {
        reject(e.code === 'ENOENT' ? new CommandNotFoundError(`${file}: command not found`, { cause: e }) : e);
      });
      child.on('close', (code, signal) => {
        const stderr = Buffer.concat(err).toString('utf8');
        // `ip netns exec` reports a missing program as exit 255 with "exec of … failed: No such file or directory".
        if (this.netns && code === 255 && /exec of .* failed: No such file/.test(stderr)) {
          reject(new CommandNotFoundError(`${command}: command not found`));
          return;
        }
        resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr });
      });
      child.stdin.on('error', () => {}); // the command may exit before reading all of its input
      child.stdin.end(opts.input ?? '');
    });
  }
}
