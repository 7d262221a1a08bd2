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
  /** With `sub`: whether the verb itself runs when no sub-verb is named (`create -f x.yaml`). */
  runsWithoutSub?: (args: readonly string[]) => boolean;
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
  exec: async () => (await import('./cmd/exec.ts')).execCommand,
  attach: async () => (await import('./cmd/attach.ts')).attachCommand,
  'port-forward': async () => (await import('./cmd/portforward.ts')).portForwardCommand,
  cp: async () => (await import('./cmd/cp.ts')).cpCommand,
  annotate: async () => (await import('./cmd/label.ts')).annotateCommand,
  run: async () => (await import('./cmd/run.ts')).runCommand,
  set: async () => (await import('./cmd/set.ts')).setCommand,
  patch: async () => (await import('./cmd/patch.ts')).patchCommand,
  edit: async () => (await import('./cmd/edit.ts')).editCommand,
  autoscale: async () => (await import('./cmd/autoscale.ts')).autoscaleCommand,
  rollout: async () => (await import('./cmd/rollout.ts')).rolloutCommand,
  wait: async () => (await import('./cmd/wait.ts')).waitCommand,
  cordon: async () => (await import('./cmd/node.ts')).cordonCommand,
  uncordon: async () => (await import('./cmd/node.ts')).uncordonCommand,
  drain: async () => (await import('./cmd/node.ts')).drainCommand,
  taint: async () => (await import('./cmd/node.ts')).taintCommand,
  top: async () => (await import('./cmd/top.ts')).topCommand,
  apply: async () => (await import('./cmd/apply.ts')).applyCommand,
  diff: async () => (await import('./cmd/diff.ts')).diffCommand,
  replace: async () => (await import('./cmd/replace.ts')).replaceCommand,
  'api-resources': async () => (await import('./cmd/api-resources.ts')).apiResourcesCommand,
  auth: async () => (await import('./cmd/auth.ts')).authCommand,
  events: async () => (await import('./cmd/events.ts')).eventsCommand,
  explain: async () => (await import('./cmd/explain.ts')).explainCommand,
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
  // cobra's command path: `create configmap`, for usage hints and the Kubectl-Command header.
  let path = found.verb;
  if (command.sub) {
    const sub = findVerb(rest);
    const chosen = sub && command.sub[sub.verb];
    if (chosen) {
      command = chosen;
      path = `${found.verb} ${sub.verb}`;
      rest = [...rest.slice(0, sub.index), ...rest.slice(sub.index + 1)];
    } else if (!command.runsWithoutSub?.(rest)) return 'fallback';
  }
  let parsed;
  try {
    parsed = parseFlags(rest, [...GLOBAL_FLAGS, ...command.flags], command.unsupported);
  } catch (err) {
    if (err instanceof UnsupportedFlagError) return 'fallback';
    if (err instanceof FlagError) {
      io.stderr(`error: ${err.message}\nSee 'kubectl ${path} --help' for usage.\n`);
      return 1;
    }
    throw err;
  }
  const { Session } = await import('./session.ts');
  const session = new Session(io, env, parsed.flags, path, parsed.argsLenAtDash);
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
