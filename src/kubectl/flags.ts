// Command-line flags parsed the way kubectl's cobra/pflag does: `--name=value`, `--name value`, `-n value`, `-nvalue`,
// booleans without a value, `--` ends flags, and the same error texts for unknown flags.
import { parseGoDuration } from './goduration.ts';

/**
 * `strings` is pflag's StringSlice (commas split values), `array` its StringArray (each use one value, commas kept),
 * `duration` a Go duration (`30s`, `1m30s`), checked while parsing as pflag does and read with `duration()`.
 */
export type FlagType = 'bool' | 'string' | 'int' | 'strings' | 'array' | 'duration';

export interface FlagSpec {
  name: string;
  short?: string;
  type: FlagType;
}

export type FlagValues = Map<string, string | boolean | string[]>;

export interface Parsed {
  flags: FlagValues;
  args: string[];
  /** cobra's ArgsLenAtDash: how many of `args` came before `--`, or -1 when there was none. */
  argsLenAtDash: number;
}

/** Bad command-line input: kubectl prints `error: <message>` and `See 'kubectl <cmd> --help' for usage.` */
export class FlagError extends Error {
  override name = 'FlagError';
}

/** A flag real kubectl has and Skiff's kubectl does not implement yet: the caller runs the real binary instead. */
export class UnsupportedFlagError extends Error {
  override name = 'UnsupportedFlagError';
}

/** Thrown by a command that finds, after parsing, that it was asked for something it leaves to the real kubectl. */
export class FallbackSignal extends Error {
  override name = 'FallbackSignal';
}

/** Flags every kubectl command takes (kubectl's persistent flags). */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: 'kubeconfig', type: 'string' },
  { name: 'context', type: 'string' },
  { name: 'cluster', type: 'string' },
  { name: 'user', type: 'string' },
  { name: 'namespace', short: 'n', type: 'string' },
  { name: 'server', short: 's', type: 'string' },
  { name: 'token', type: 'string' },
  { name: 'insecure-skip-tls-verify', type: 'bool' },
  { name: 'certificate-authority', type: 'string' },
  { name: 'client-certificate', type: 'string' },
  { name: 'client-key', type: 'string' },
  { name: 'tls-server-name', type: 'string' },
  { name: 'request-timeout', type: 'string' },
  { name: 'cache-dir', type: 'string' },
  { name: 'v', short: 'v', type: 'string' },
  { name: 'help', short: 'h', type: 'bool' },
];

/** Persistent flags real kubectl has that change behaviour Skiff's kubectl does not model. */
export const UNSUPPORTED_GLOBAL_FLAGS: readonly string[] = ['as', 'as-group', 'as-uid', 'username', 'password', 'disable-compression', 'match-server-version', 'profile', 'kuberc', 'warnings-as-errors', 'log-flush-frequency', 'vmodule'];

function takesValue(spec: FlagSpec): boolean {
  return spec.type !== 'bool';
}

function store(values: FlagValues, spec: FlagSpec, raw: string | boolean): void {
  if (spec.type === 'bool') {
    if (typeof raw === 'boolean') return void values.set(spec.name, raw);
    if (raw === 'true' || raw === '1' || raw === 't' || raw === 'T' || raw === 'TRUE' || raw === 'True') return void values.set(spec.name, true);
    if (raw === 'false' || raw === '0' || raw === 'f' || raw === 'F' || raw === 'FALSE' || raw === 'False') return void values.set(spec.name, false);
    throw new FlagError(`invalid argument "${raw}" for "--${spec.name}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`);
  }
  const text = String(raw);
  if (spec.type === 'int' && !/^[+-]?\d+$/.test(text)) {
    throw new FlagError(`invalid argument "${text}" for "${spec.short ? `-${spec.short}, ` : ''}--${spec.name}" flag: strconv.ParseInt: parsing "${text}": invalid syntax`);
  }
  if (spec.type === 'duration') {
    try {
      parseGoDuration(text);
    } catch (err) {
      throw new FlagError(`invalid argument ${JSON.stringify(text)} for "--${spec.name}" flag: ${(err as Error).message}`, { cause: err });
    }
  }
  if (spec.type === 'strings' || spec.type === 'array') {
    const prior = values.get(spec.name);
    values.set(spec.name, [...(Array.isArray(prior) ? prior : []), ...(spec.type === 'strings' ? text.split(',') : [text])]);
    return;
  }
  values.set(spec.name, text);
}

/** Parses `argv` against `specs`; flags may come anywhere (cobra interspersed mode). */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[], unsupported: readonly string[] = []): Parsed {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const flags: FlagValues = new Map();
  const args: string[] = [];
  let argsLenAtDash = -1;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      argsLenAtDash = args.length;
      args.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const spec = byName.get(name);
      if (!spec) {
        if (unsupported.includes(name)) throw new UnsupportedFlagError(`--${name}`);
        throw new FlagError(`unknown flag: --${name}`);
      }
      if (eq !== -1) store(flags, spec, arg.slice(eq + 1));
      else if (!takesValue(spec)) store(flags, spec, true);
      else {
        if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: --${name}`);
        store(flags, spec, argv[++i]!);
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // A cluster of short flags: -it, -nfoo, -n=foo.
      for (let j = 1; j < arg.length; j++) {
        const c = arg[j]!;
        const spec = byShort.get(c);
        if (!spec) {
          if (unsupported.includes(c)) throw new UnsupportedFlagError(`-${c}`);
          throw new FlagError(`unknown shorthand flag: '${c}' in ${arg}`);
        }
        if (!takesValue(spec)) {
          if (arg[j + 1] === '=') {
            store(flags, spec, arg.slice(j + 2));
            break;
          }
          store(flags, spec, true);
          continue;
        }
        let rest = arg.slice(j + 1);
        if (rest.startsWith('=')) rest = rest.slice(1);
        if (rest) store(flags, spec, rest);
        else {
          if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: '${c}' in -${c}`);
          store(flags, spec, argv[++i]!);
        }
        break;
      }
      continue;
    }
    args.push(arg);
  }
  return { flags, args, argsLenAtDash };
}

export const str = (f: FlagValues, name: string): string | undefined => {
  const v = f.get(name);
  return typeof v === 'string' ? v : undefined;
};
export const bool = (f: FlagValues, name: string, fallback = false): boolean => {
  const v = f.get(name);
  return typeof v === 'boolean' ? v : fallback;
};
export const strs = (f: FlagValues, name: string): string[] => {
  const v = f.get(name);
  return Array.isArray(v) ? v : [];
};
/** A duration flag's value in milliseconds (already checked by parseFlags), or `fallback` when not given. */
export const duration = (f: FlagValues, name: string, fallback: number): number => {
  const v = f.get(name);
  return typeof v === 'string' ? parseGoDuration(v) : fallback;
};
