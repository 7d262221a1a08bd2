// Machine-readable output as kubectl writes it: JSON as Go's encoding/json (sorted keys, four-space indent, <>&
// escaped), `kind/name`, custom columns. YAML is in yaml.ts, so commands that print none never load a YAML library.
import { alignTabs } from './tabwriter.ts';
import { findValues, relaxedPath } from './jsonpath.ts';

export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** `sorted` false keeps the object's own key order (a Go struct's field order). */
export function toGoJson(v: unknown, sorted = true): string {
  return JSON.stringify(sorted ? sortKeys(v) : v, null, 4)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The `List` kubectl prints for several objects or for a collection. */
export function asList(items: unknown[]): Record<string, unknown> {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

/** `-o custom-columns=NAME:.metadata.name,…` over objects. */
export function customColumns(spec: string, objects: unknown[], noHeaders: boolean): string {
  const columns = spec.split(',').map((part) => {
    const colon = part.indexOf(':');
    if (colon === -1) throw new Error(`unexpected custom-columns spec: ${part}, expected <header>:<json-path-expr>`);
    return { header: part.slice(0, colon), template: relaxedPath(part.slice(colon + 1)) };
  });
  let out = noHeaders ? '' : columns.map((c) => c.header).join('\t') + '\n';
  for (const obj of objects) {
    const cells = columns.map((c) => {
      const values = findValues(c.template, obj);
      return values.length ? values.map(goSprint).join(',') : '<none>';
    });
    out += cells.join('\t') + '\n';
  }
  return alignTabs(out);
}

/** Go's fmt.Sprint of a decoded JSON value (maps print as map[k:v], slices as [a b]). */
export function goSprint(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goSprint).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o)
      .sort()
      .map((k) => `${k}:${goSprint(o[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}
