// The frame every `kubectl create <generator>` shares: one NAME, required flags, the object built locally, then
// sent (or not, for --dry-run=client) and printed as kubectl's printers print it.
import { strs, type FlagSpec, type FlagValues } from '../flags.ts';
import { resourcePath } from '../discovery.ts';
import type { KubectlCommand } from '../main.ts';
import type { Session } from '../session.ts';
import { CommandError, PlainError, plainErrors, rejoinPairs, dryRunOf, DRY_RUN_FLAG, errorMessage, formatObject, outputOf, OUTPUT_FLAG, PRINT_UNSUPPORTED, writeQuery, type DryRun, type Obj, type TypeTarget } from '../mutate-output.ts';

export { CommandError, PlainError, type Obj, type TypeTarget };

export interface CreateContext {
  session: Session;
  flags: FlagValues;
  name: string;
  /** Arguments after NAME (`create job NAME -- COMMAND…`). */
  extra: string[];
  namespace: string;
  /** The namespace was given with -n: kubectl then writes it into the object. */
  enforceNamespace: boolean;
  dryRun: DryRun;
}

export interface Generated {
  obj: Obj;
  target: TypeTarget;
  /** `failed to create configmap: ` — kubectl's wrapping of a server error; absent: the error as the server gave it. */
  failure?: string;
  /** Where the object is POSTed, when not its own collection (`serviceaccounts/x/token`). */
  path?: string;
}

export interface GeneratorSpec {
  /** The command path after `kubectl`: `create configmap`, `create service clusterip`. */
  use: string;
  flags: FlagSpec[];
  required?: string[];
  build(ctx: CreateContext): Generated | Promise<Generated>;
  /** Replaces the usual printing (token prints the token alone). */
  print?(ctx: CreateContext, created: Obj, target: TypeTarget): string | Promise<string>;
}

export const CREATE_UNSUPPORTED = ['append-hash', 'save-config', 'validate', 'edit', 'windows-line-endings', 'raw', 'filename', 'f', 'selector', 'l', ...PRINT_UNSUPPORTED];

/** Flags of every generator: --dry-run, -o, --field-manager. */
export const CREATE_FLAGS: FlagSpec[] = [DRY_RUN_FLAG, OUTPUT_FLAG, { name: 'field-manager', type: 'string' }];

/** `metadata` in ObjectMeta's field order. */
export function meta(name: string, namespace?: string, labels?: Record<string, string>, annotations?: Record<string, string>): Obj {
  const m: Obj = { name };
  if (namespace) m['namespace'] = namespace;
  if (labels && Object.keys(labels).length) m['labels'] = labels;
  if (annotations && Object.keys(annotations).length) m['annotations'] = annotations;
  return m;
}

export function usageError(use: string, message: string): CommandError {
  return new CommandError(`${message}\nSee 'kubectl ${use} -h' for help and examples`);
}

export function generator(spec: GeneratorSpec): KubectlCommand {
  return {
    flags: [...CREATE_FLAGS, ...spec.flags],
    unsupported: CREATE_UNSUPPORTED,
    run: (session, args) => plainErrors(session, async () => {
      const missing = (spec.required ?? []).filter((f) => !session.flags.has(f));
      if (missing.length) throw new CommandError(`required flag(s) ${missing.map((f) => `"${f}"`).join(', ')} not set`);
      // kubectl's NameFromCommandArgs: what follows `--` is the command, not names.
      const nameCount = session.argsLenAtDash === -1 ? args.length : session.argsLenAtDash;
      if (nameCount !== 1) throw usageError(spec.use, `exactly one NAME is required, got ${nameCount}`);
      const dryRun = dryRunOf(session.flags);
      const format = outputOf(session.flags);
      const ctx: CreateContext = {
        session,
        flags: session.flags,
        name: args[0]!,
        extra: args.slice(1),
        namespace: session.namespace,
        enforceNamespace: session.flags.has('namespace'),
        dryRun,
      };
      const built = await spec.build(ctx);
      let result = built.obj;
      if (dryRun !== 'client') {
        const path = built.path ?? resourcePath(built.target, built.target.namespaced ? ctx.namespace : undefined);
        try {
          result = await session.rest().json<Obj>({ method: 'POST', path, query: writeQuery(session, 'kubectl-create', dryRun), body: built.obj });
        } catch (err) {
          if (built.failure === undefined) throw err;
          session.io.stderr(`error: ${built.failure}${errorMessage(err)}\n`);
          return 1;
        }
      }
      session.io.stdout(spec.print ? await spec.print(ctx, result, built.target) : await formatObject(result, built.target, format, 'created', dryRun));
      return 0;
    }),
  };
}

/** `--flag` values given as a comma list (StringSlice) or repeated (StringArray) — both arrive as a list. */
export const list = (flags: FlagValues, name: string): string[] => strs(flags, name);

/** A StringArray flag (values may hold commas) read back from the comma-splitting parser. */
export const keyValueArray = (flags: FlagValues, name: string): string[] => rejoinPairs(strs(flags, name));
