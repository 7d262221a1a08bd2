// What the changing verbs (create, run, set, patch, autoscale) share: --dry-run, -o yaml|json|name, and kubectl's
// one-line results (`deployment.apps/x created (dry run)`).
import { FallbackSignal, str, type FlagSpec, type FlagValues } from './flags.ts';
import { kindString } from './discovery.ts';
import { ApiError } from './rest.ts';
import type { Session } from './session.ts';

export type Obj = Record<string, any>;
export type DryRun = 'none' | 'client' | 'server';
export type OutputFormat = '' | 'yaml' | 'json' | 'name';

/** Where an object lives: enough of a discovery entry to build its path and its `kind.group` spelling. */
export interface TypeTarget {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
}

export const DRY_RUN_FLAG: FlagSpec = { name: 'dry-run', type: 'string' };
export const OUTPUT_FLAG: FlagSpec = { name: 'output', short: 'o', type: 'string' };
/** Printer flags of kubectl's PrintFlags that Skiff's kubectl leaves to the real binary. */
export const PRINT_UNSUPPORTED = ['template', 'show-managed-fields', 'allow-missing-template-keys'];

/** A command-line mistake found after flag parsing: kubectl prints `error: <message>` and exits 1. */
export class CommandError extends Error {
  override name = 'CommandError';
}

/** An error kubectl prints as it is, without `error: ` (a RESTMapper miss in `create role`). */
export class PlainError extends Error {
  override name = 'PlainError';
}

/** kubectl's checkErr text for an Invalid status: `The Deployment "x" is invalid: <cause>` or one cause a line. */
export function invalidErrorText(err: ApiError): string | undefined {
  if (err.reason !== 'Invalid') return undefined;
  const { message, details } = err.status;
  let text = 'The request is invalid';
  if (!details) return message ? `${text}: ${message}` : text;
  const causes = details.causes ?? [];
  if (details.kind || details.name) text = `The ${details.kind ?? ''} ${JSON.stringify(details.name ?? '')} is invalid`;
  else if (message && causes.length === 0) text += `: ${message}`;
  const cause = (c: { field?: string; message?: string }) => `${c.field ?? ''}: ${c.message ?? ''}`;
  if (causes.length === 0) return text;
  if (causes.length === 1) return `${text}: ${cause(causes[0]!)}`;
  return `${text}: \n${causes.map((c) => `* ${cause(c)}`).join('\n')}`;
}

/** Runs a command body, printing a PlainError and an Invalid server error kubectl's way; other errors go to main.ts's handler. */
export async function plainErrors(session: Session, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    const text = err instanceof PlainError ? err.message : err instanceof ApiError ? invalidErrorText(err) : undefined;
    if (text === undefined) throw err;
    session.io.stderr(`${text}\n`);
    return 1;
  }
}

/** The command with plainErrors around its run. */
export function guarded<T extends { run(session: Session, args: string[]): Promise<number> }>(command: T): T {
  return { ...command, run: (session: Session, args: string[]) => plainErrors(session, () => command.run(session, args)) };
}

const PRINT_FORMATS = ['go-template', 'go-template-file', 'json', 'jsonpath', 'jsonpath-as-json', 'jsonpath-file', 'kyaml', 'name', 'template', 'templatefile', 'yaml'];

/** kubectl's GetDryRunStrategy. */
export function dryRunOf(flags: FlagValues): DryRun {
  const v = str(flags, 'dry-run');
  if (v === undefined || v === 'none') return 'none';
  if (v === 'client' || v === 'server') return v;
  throw new CommandError(`Invalid dry-run value (${v}). Must be "none", "server", or "client".`);
}

/** -o: the formats modelled here; any other is left to the real kubectl. */
export function outputOf(flags: FlagValues): OutputFormat {
  const v = str(flags, 'output') ?? '';
  if (v === '' || v === 'yaml' || v === 'json' || v === 'name') return v;
  const format = v.split('=')[0]!;
  if (!PRINT_FORMATS.includes(format)) throw new CommandError(`unable to match a printer suitable for the output format "${v}", allowed formats are: ${PRINT_FORMATS.join(',')}`);
  throw new FallbackSignal(`-o ${v}`);
}

const META_ORDER = ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields'];

/** Go's struct order for the parts every object has (TypeMeta then ObjectMeta); the rest keeps its own order. */
export function goOrder(obj: Obj): Obj {
  const out: Obj = {};
  if ('kind' in obj) out['kind'] = obj['kind'];
  if ('apiVersion' in obj) out['apiVersion'] = obj['apiVersion'];
  const meta = obj['metadata'] as Obj | undefined;
  if (meta) {
    const m: Obj = {};
    for (const k of META_ORDER) if (k in meta) m[k] = meta[k];
    for (const k of Object.keys(meta)) if (!(k in m)) m[k] = meta[k];
    out['metadata'] = m;
  }
  for (const k of Object.keys(obj)) if (!(k in out)) out[k] = obj[k];
  return out;
}

/**
 * YAML as sigs.k8s.io/yaml writes it, with go-yaml's quoting: a string that would read back as another type is
 * double-quoted ("1", "true", ""), one that merely cannot be plain is single-quoted (a cron schedule).
 */
export async function toKubectlYaml(v: unknown): Promise<string> {
  const { Document, parse, visit } = await import('yaml');
  const { sortKeys } = await import('./printers/output.ts');
  const doc = new Document(sortKeys(v), { version: '1.1', aliasDuplicateObjects: false });
  const ambiguous = (s: string): boolean => {
    if (s === '' || /^[-+]?0o[0-7]+$/.test(s)) return true;
    try {
      const read: unknown = parse(s, { version: '1.1' });
      return read === null || read instanceof Date || ['number', 'boolean', 'bigint'].includes(typeof read);
    } catch {
      return false;
    }
  };
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value === 'string' && !node.value.includes('\n') && ambiguous(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ indentSeq: false, lineWidth: 0, singleQuote: true });
}

/** The object as -o yaml|json prints it, or `kind.group/name` with the operation. */
export async function formatObject(obj: Obj, target: Pick<TypeTarget, 'kind' | 'group'>, format: OutputFormat, operation: string, dryRun: DryRun, jsonOrder: 'go' | 'sorted' = 'go'): Promise<string> {
  const name = `${kindString(target)}/${String(obj['metadata']?.name ?? '')}`;
  if (format === 'name') return `${name}\n`;
  if (obj['metadata']?.managedFields) obj = { ...obj, metadata: Object.fromEntries(Object.entries(obj['metadata'] as Obj).filter(([k]) => k !== 'managedFields')) };
  if (format === 'json') {
    const { toGoJson } = await import('./printers/output.ts');
    return `${jsonOrder === 'go' ? toGoJson(goOrder(obj), false) : toGoJson(obj)}\n`;
  }
  if (format === 'yaml') return toKubectlYaml(obj);
  const suffix = dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
  return `${name} ${operation}${suffix}\n`;
}

/** Query parameters of a write: field manager, validation, server dry run. */
export function writeQuery(session: Session, defaultManager: string, dryRun: DryRun, validate = true): Record<string, string | undefined> {
  return {
    dryRun: dryRun === 'server' ? 'All' : undefined,
    fieldManager: str(session.flags, 'field-manager') ?? defaultManager,
    fieldValidation: validate ? 'Strict' : undefined,
  };
}

/** An API error's own message (a Go error's Error()), as kubectl embeds it in `failed to create …: <message>`. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.status.message ?? err.message;
  return (err as Error)?.message ?? String(err);
}

/** StringArray flag values (which may hold commas) back from the comma-splitting parser: a piece without `=` belongs to the one before. */
export function rejoinPairs(pieces: string[]): string[] {
  const out: string[] = [];
  for (const piece of pieces) {
    if (!piece.includes('=') && out.length) out[out.length - 1] += `,${piece}`;
    else out.push(piece);
  }
  return out;
}

/** A Go map as encoding/json writes it: keys sorted. */
export function sortedMap<T>(m: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]!]));
}
