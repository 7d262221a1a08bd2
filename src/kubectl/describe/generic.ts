// kubectl's generic describer, for every kind without a describer of its own (custom resources, leases, events…):
// name, namespace, labels, annotations, then the object's fields sorted, nested by indentation, with labels made
// from the field names ("apiVersion" → "API Version"), and its events.
import { type Describer, type Fields, tabbed } from './context.ts';
import { type DescribeWriter, printAnnotations, printEvents, printLabels, unsupported } from './writer.ts';

const ACRONYMS = new Set(['API', 'URL', 'UID', 'OSB', 'GUID']);

/** fatih/camelcase's Split: runs of lower, upper, digit and other characters, an upper run's last letter moved to a following lower run. */
export function camelSplit(s: string): string[] {
  const cls = (c: string) => (/\p{Ll}/u.test(c) ? 1 : /\p{Lu}/u.test(c) ? 2 : /\p{Nd}/u.test(c) ? 3 : 4);
  const runs: string[][] = [];
  let last = 0;
  for (const c of s) {
    const k = cls(c);
    if (k === last) runs[runs.length - 1]!.push(c);
    else runs.push([c]);
    last = k;
  }
  for (let i = 0; i < runs.length - 1; i++) {
    const a = runs[i]!;
    const b = runs[i + 1]!;
    if (a.length && b.length && /\p{Lu}/u.test(a[0]!) && /\p{Ll}/u.test(b[0]!)) b.unshift(a.pop()!);
  }
  return runs.filter((r) => r.length).map((r) => r.join(''));
}

/** kubectl's smartLabelFor: `apiVersion` → `API Version`, `podCIDR` → `Pod Cidr`; names with other characters as they are. */
export function smartLabel(field: string): string {
  if (/[^\p{L}-]/u.test(field)) return field;
  return camelSplit(field)
    .filter((p) => p !== '_')
    .map((p) => (ACRONYMS.has(p.toUpperCase()) ? p.toUpperCase() : p.charAt(0).toUpperCase() + p.slice(1).toLowerCase()))
    .join(' ');
}

/** A scalar as Go's `%v` prints what encoding/json decoded. */
function scalar(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'number' && !Number.isInteger(v)) {
    const s = String(v);
    if (/e/.test(s)) unsupported('a float in exponent form');
    return s;
  }
  return String(v);
}

const SKIP = new Set(['.metadata.managedFields', '.metadata.name', '.metadata.namespace', '.metadata.labels', '.metadata.annotations']);

function content(w: DescribeWriter, level: number, obj: Fields, prefix: string): void {
  for (const field of Object.keys(obj).sort()) {
    const value = obj[field];
    const path = `${prefix}.${field}`;
    if (SKIP.has(path)) continue;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      w.write(level, `${smartLabel(field)}:\n`);
      content(w, level + 1, value as Fields, path);
    } else if (Array.isArray(value)) {
      w.write(level, `${smartLabel(field)}:\n`);
      for (const child of value) {
        if (child !== null && typeof child === 'object' && !Array.isArray(child)) content(w, level + 1, child as Fields, path);
        else if (Array.isArray(child)) unsupported('a list inside a list');
        else w.write(level + 1, `${scalar(child)}\n`);
      }
    } else w.write(level, `${smartLabel(field)}:\t${scalar(value)}\n`);
  }
}

export const describeGeneric: Describer = async (ctx, target) => {
  const { resource } = target;
  // A list's items carry no kind or apiVersion; kubectl's own GET of the object has them.
  const obj: Fields = { apiVersion: resource.group ? `${resource.group}/${resource.version}` : resource.version, kind: resource.kind, ...target.obj };
  const events = await ctx.eventsFor(obj, obj['kind'] ?? resource.kind);
  return tabbed((w) => {
    const meta = obj['metadata'] ?? {};
    w.write(0, `Name:\t${meta.name ?? ''}\n`);
    w.write(0, `Namespace:\t${meta.namespace ?? ''}\n`);
    printLabels(w, 'Labels', meta.labels);
    printAnnotations(w, 'Annotations', meta.annotations);
    content(w, 0, obj, '');
    printEvents(w, events);
  });
};
