// Skiff's kubectl: `skiff kubectl …` and the `kubectl` link. Verbs it implements run here; for anything else it
// answers 'fallback' and the caller runs the real kubectl, so nothing a user relies on goes missing.
import { FallbackSignal, FlagError, GLOBAL_FLAGS, parseFlags, UnsupportedFlagError, type FlagSpec } from './flags.ts';
import type { KubectlIO, Session } from './session.ts';

export type { KubectlIO };

/** A verb's implementation: its own flags, and how it runs once flags are parsed. */
export interface KubectlCommand {
  /** Flags beyond the global ones. */
  flags: readonly FlagSpec[];
  /** Flags real kubectl accepts here that this implementation leaves to the real binary. */
  unsupported?: readonly string[];
  run(session: Session, args: string[]): Promise<number>;
  /** Sub-verbs (`create deployment`, `config view`); one not listed here is left to the real kubectl. */
  sub?: Record<string, KubectlCommand>;
}

type Loader = () => Promise<KubectlCommand>;

/** Implemented verbs (and `config` sub-verbs), each loaded only when used. */
const VERBS: Record<string, Loader> = {
  get: async () => (await import('./cmd/get.ts')).getCommand,
  create: async () => (await import('./cmd/create.ts')).createCommand,
  expose: async () => (await import('./cmd/expose.ts')).exposeCommand,
  scale: async () => (await import('./cmd/scale.ts')).scaleCommand,
  delete: async () => (await import('./cmd/delete.ts')).deleteCommand,
  version: async () => (await import('./cmd/info.ts')).versionCommand,
  'api-versions': async () => (await import('./cmd/info.ts')).apiVersionsCommand,
  'cluster-info': async () => (await import('./cmd/info.ts')).clusterInfoCommand,
  config: async () => (await import('./cmd/config.ts')).configCommand,
  describe: async () => (await import('./cmd/describe.ts')).describeCommand,
  label: async () => (await import('./cmd/label.ts')).labelCommand,
  logs: async () => (await import('./cmd/logs.ts')).logsCommand,
  annotate: async () => (await import('./cmd/label.ts')).annotateCommand,
};

/** The verb: the first argument that is neither a global flag nor a global flag's value. */
export function findVerb(argv: readonly string[]): { verb: string; index: number } | undefined {
  const withValue = new Set<string>();
  for (const f of GLOBAL_FLAGS) {
    if (f.type === 'bool') continue;
    withValue.add(`--${f.name}`);
    if (f.short) withValue.add(`-${f.short}`);
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return undefined;
    if (a.startsWith('-')) {
      if (withValue.has(a)) i++;
      continue;
    }
    return { verb: a, index: i };
  }
  return undefined;
}

export function isImplemented(argv: readonly string[]): boolean {
  const found = findVerb(argv);
  if (!found || !(found.verb in VERBS)) return false;
  return !argv.some((a) => a === '-h' || a === '--help');
}

/** Runs kubectl `argv`; 'fallback' means "not implemented here, run the real kubectl". */
export async function runKubectl(argv: readonly string[], io: KubectlIO, env: NodeJS.ProcessEnv): Promise<number | 'fallback'> {
  const found = findVerb(argv);
  if (!found || !isImplemented(argv)) return 'fallback';
  let command = await VERBS[found.verb]!();
  let rest = [...argv.slice(0, found.index), ...argv.slice(found.index + 1)];
  if (command.sub) {
    const sub = findVerb(rest);
    const chosen = sub && command.sub[sub.verb];
    if (!sub || !chosen) return 'fallback';
    command = chosen;
    rest = [...rest.slice(0, sub.index), ...rest.slice(sub.index + 1)];
  }
  let parsed;
  try {
    parsed = parseFlags(rest, [...GLOBAL_FLAGS, ...command.flags], command.unsupported);
  } catch (err) {
    if (err instanceof UnsupportedFlagError) return 'fallback';
    if (err instanceof FlagError) {
      io.stderr(`error: ${err.message}\nSee 'kubectl ${found.verb} --help' for usage.\n`);
      return 1;
    }
    throw err;
  }
  const { Session } = await import('./session.ts');
  const session = new Session(io, env, parsed.flags, found.verb);
  try {
    return await command.run(session, parsed.args);
  } catch (err) {
    if (err instanceof FallbackSignal) return 'fallback';
    const { describeError } = await import('./rest.ts');
    io.stderr(`${describeError(err)}\n`);
    return 1;
  } finally {
    session.close();
  }
}
