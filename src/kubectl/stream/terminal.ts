// The local terminal for exec and attach (kubectl's term.TTY): stdin only with -i; a TTY only with -i, -t and a
// terminal on stdin, which is then put in raw mode until the session ends; the terminal's size sent first and again
// on every SIGWINCH, when stdout is a terminal.
import type { Readable } from 'node:stream';
import type { SizeSource, TerminalSize } from './remotecommand.ts';

export interface LocalTerminal {
  stdin: Readable | undefined;
  /** A TTY session (raw local terminal, no separate stderr). */
  tty: boolean;
  sizes: SizeSource | undefined;
  /** Puts the terminal back as it was. */
  restore(): void;
}

export interface TerminalOptions {
  stdin: boolean;
  tty: boolean;
  quiet: boolean;
  warn: (text: string) => void;
  /** attach sends the size plus one first, so a re-attached program redraws. */
  nudgeSize?: boolean;
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
}

function currentSize(out: NodeJS.WriteStream): TerminalSize | undefined {
  if (!out.isTTY) return undefined;
  return { width: out.columns ?? 0, height: out.rows ?? 0 };
}

/** kubectl's StreamOptions.SetupTTY followed by TTY.Safe's raw mode. */
export function setupTerminal(o: TerminalOptions): LocalTerminal {
  const input = o.input ?? process.stdin;
  const output = o.output ?? process.stdout;
  if (!o.stdin) return { stdin: undefined, tty: false, sizes: undefined, restore: () => undefined };
  if (!o.tty) return { stdin: input, tty: false, sizes: undefined, restore: () => undefined };
  if (!input.isTTY) {
    if (!o.quiet) o.warn('Unable to use a TTY - input is not a terminal or the right kind of file\n');
    return { stdin: input, tty: false, sizes: undefined, restore: () => undefined };
  }
  input.setRawMode(true);
  const initial = currentSize(output);
  const sizes: SizeSource | undefined = initial
    ? (send) => {
        if (o.nudgeSize) send({ width: initial.width + 1, height: initial.height + 1 });
        send(initial);
        const onResize = () => {
          const size = currentSize(output);
          if (size) send(size);
        };
        output.on('resize', onResize);
        return () => output.off('resize', onResize);
      }
    : undefined;
  return {
    stdin: input,
    tty: true,
    sizes,
    restore: () => {
      if (input.isTTY) input.setRawMode(false);
    },
  };
}

