// The `skiff` command line: one table of subcommands, help, version, and errors as cobra-based tools print them.
// Subcommands are listed by name and summary only and loaded when run, so `skiff kubectl …` never pays for `up`.
import { runCommand, UsageError, type CliIO, type Command } from './command.ts';
import { SKIFF_VERSION } from './version.ts';

const versionCommand: Command = {
  name: 'version',
  summary: "Print Skiff's version",
  usage: 'Print the version of Skiff and of the Node.js running it.\n\nUsage:\n  skiff version\n',
  async run(args, io) {
    if (args.length > 0) throw new UsageError(`unexpected argument ${args[0]}`);
    io.stdout(`skiff version v${SKIFF_VERSION}\nnode version ${process.version}\n`);
    return 0;
  },
};

/** A command known by name and summary; its module (usage text, flags, run) is imported only when needed. */
export interface LazyCommand {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export type CommandEntry = Command | LazyCommand;

/** Only commands that exist are listed; later ones (init, join, token) join this table when built. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'up', summary: 'Run a whole cluster: control plane, this node and simulated nodes', load: async () => (await import('./up-flags.ts')).upCommand },
  { name: 'server', summary: 'Run the Kubernetes API server in the foreground', load: async () => (await import('./server-flags.ts')).serverCommand },
  { name: 'agent', summary: 'Run this machine as a node of a Skiff cluster (containerd and the node agent)', load: async () => (await import('./agent-flags.ts')).agentCommand },
  { name: 'image', summary: "Import, list and build the node's container images", load: async () => (await import('./image.ts')).imageCommand },
  { name: 'killall', summary: 'Stop all containers of a Skiff node on this machine and clean up after them', load: async () => (await import('./killall-flags.ts')).killallCommand },
  { name: 'kubectl', summary: "Run kubectl against this machine's cluster", load: async () => (await import('./kubectl.ts')).kubectlCommand },
  versionCommand,
];

const loadCommand = async (entry: CommandEntry): Promise<Command> => ('load' in entry ? entry.load() : entry);

function rootUsage(commands: readonly CommandEntry[]): string {
  const width = Math.max(...commands.map((c) => c.name.length), 'help'.length) + 3;
  const lines = [...commands, { name: 'help', summary: 'Help about any command' }].map((c) => `  ${c.name.padEnd(width)}${c.summary}`);
  return `Skiff is Kubernetes, written in TypeScript.

Usage:
  skiff <command> [flags]

Commands:
${lines.join('\n')}

Flags:
  -h, --help      help for skiff
      --version   print the version

Run 'skiff <command> --help' for more about a command.
`;
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function unknownCommand(name: string, commands: readonly CommandEntry[], io: CliIO): number {
  const close = commands.map((c) => c.name).filter((n) => levenshtein(n, name) <= 2 || n.startsWith(name));
  const hint = close.length ? `\nDid you mean this?\n${close.map((n) => `\t${n}`).join('\n')}\n` : '';
  io.stderr(`skiff: unknown command "${name}" for "skiff"\n${hint}Run 'skiff --help' for usage.\n`);
  return 1;
}

const wantsHelp = (args: string[]) => {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '-h' || a === '--help');
};

/** Runs `skiff <argv>` and resolves to the exit code. Never throws. */
export async function runCli(argv: string[], io: CliIO, commands: readonly CommandEntry[] = COMMANDS): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help') {
    io.stdout(rootUsage(commands));
    return 0;
  }
  if (first === '--version') return runCli(['version'], io, commands);
  if (first === 'help') {
    if (rest[0] === undefined) {
      io.stdout(rootUsage(commands));
      return 0;
    }
    const target = commands.find((c) => c.name === rest[0]);
    if (!target) return unknownCommand(rest[0], commands, io);
    io.stdout((await loadCommand(target)).usage);
    return 0;
  }
  if (first.startsWith('-')) {
    io.stderr(`skiff: unknown flag: ${first}\nRun 'skiff --help' for usage.\n`);
    return 1;
  }
  const entry = commands.find((c) => c.name === first);
  if (!entry) return unknownCommand(first, commands, io);
  const command = await loadCommand(entry);
  if (!command.passThroughHelp && wantsHelp(rest)) {
    io.stdout(command.usage);
    return 0;
  }
  return runCommand(command, rest, io);
}
