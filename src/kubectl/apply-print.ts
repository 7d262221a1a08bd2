// Output of the -f verbs: `kind.group/name <operation>` lines (with kubectl's dry-run suffixes), `-o name`, and the
// objects as YAML or JSON (one object, or a List of several), managedFields left out as kubectl does by default.
import { FallbackSignal, FlagError, str, type FlagValues } from './flags.ts';
import { kindString, type ResourceInfo } from './discovery.ts';
import type { KubeObject } from './manifest.ts';

export type OutputFormat = '' | 'name' | 'yaml' | 'json';
export type DryRun = 'none' | 'client' | 'server';

export function outputFormat(flags: FlagValues): OutputFormat {
  const o = str(flags, 'output') ?? '';
  if (o === '' || o === 'name' || o === 'yaml' || o === 'json') return o;
  throw new FallbackSignal(`-o ${o}`);
}

export function dryRunStrategy(flags: FlagValues): DryRun {
  const v = str(flags, 'dry-run');
  if (v === undefined || v === 'none') return 'none';
  if (v === 'client' || v === 'server') return v;
  throw new FlagError(`Invalid dry-run value (${v}). Must be "none", "server", or "client".`);
}

/** The line printed for one object: `deployment.apps/web created (dry run)`, or `deployment.apps/web` for -o name. */
export function operationLine(resource: ResourceInfo, name: string, operation: string, dryRun: DryRun, output: OutputFormat): string {
  const id = `${kindString(resource)}/${name || '<unknown>'}`;
  if (output === 'name') return `${id}\n`;
  const suffix = dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
  return `${id} ${operation}${suffix}\n`;
}

function withoutManagedFields(obj: KubeObject): KubeObject {
  const metadata = obj.metadata;
  if (!metadata || !('managedFields' in metadata)) return obj;
  const { managedFields: _omitted, ...rest } = metadata;
  return { ...obj, metadata: rest };
}

/** The name the printers show: the object's own (a generated one after a create), or `<unknown>`. */
export function objectName(obj: KubeObject): string {
  const name = obj.metadata?.['name'];
  return typeof name === 'string' ? name : '';
}

/** The objects as -o yaml|json prints them: one alone, several as a v1 List. */
export async function formatObjects(objects: KubeObject[], format: 'yaml' | 'json'): Promise<string> {
  const items = objects.map(withoutManagedFields);
  const { sortKeys, toGoJson } = await import('./printers/output.ts');
  if (format === 'json') {
    if (items.length === 1) return `${toGoJson(items[0])}\n`;
    return `${toGoJson({ kind: 'List', apiVersion: 'v1', metadata: {}, items: items.map(sortKeys) }, false)}\n`;
  }
  const { toGoYaml } = await import('./printers/yaml.ts');
  if (items.length === 1) return toGoYaml(items[0]);
  return toGoYaml({ apiVersion: 'v1', items, kind: 'List', metadata: {} });
}

/** --validate as the fieldValidation the server is asked for (kubectl's GetValidationDirective). */
export function fieldValidation(flags: FlagValues): 'Strict' | 'Warn' | 'Ignore' {
  const v = (str(flags, 'validate') ?? 'strict').toLowerCase();
  if (v === 'strict' || v === 'true') return 'Strict';
  if (v === 'warn') return 'Warn';
  if (v === 'ignore' || v === 'false') return 'Ignore';
  throw new FlagError(`invalid - validate option "${str(flags, 'validate')}"; must be one of: strict (or true), warn, ignore (or false)`);
}
