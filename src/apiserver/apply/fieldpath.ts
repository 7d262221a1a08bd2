// Path elements: how a field set names one step into an object. A struct field or map key ("f:name"), a
// list-map item by its key fields ('k:{"name":"nginx"}'), a set item by its value ('v:"a"'), or an index
// ("i:0", never produced for Kubernetes types, only read back).
import { compareStrings, compareValues, goJSON, goJSONString, valueEquals, valueToString } from './value.ts';

export type KeyField = readonly [name: string, value: unknown];

export type PathElement =
  | { readonly field: string }
  | { readonly key: readonly KeyField[] } // sorted by name
  | { readonly value: unknown }
  | { readonly index: number };

export type Path = readonly PathElement[];

export function fieldPE(name: string): PathElement {
  return { field: name };
}

export function keyPE(fields: readonly KeyField[]): PathElement {
  return { key: [...fields].sort((a, b) => compareStrings(a[0], b[0])) };
}

export function valuePE(value: unknown): PathElement {
  return { value };
}

export function indexPE(index: number): PathElement {
  return { index };
}

/** A path from field names (the common case: ["spec", "replicas"]). */
export function fieldPath(...names: string[]): Path {
  return names.map(fieldPE);
}

function rank(pe: PathElement): number {
  if ('field' in pe) return 0;
  if ('key' in pe) return 1;
  if ('value' in pe) return 2;
  return 3;
}

function compareKeys(a: readonly KeyField[], b: readonly KeyField[]): number {
  for (let i = 0; ; i++) {
    if (i >= a.length && i >= b.length) return 0;
    if (i >= a.length) return -1;
    if (i >= b.length) return 1;
    const [an, av] = a[i] as KeyField;
    const [bn, bv] = b[i] as KeyField;
    const c = compareStrings(an, bn) || compareValues(av, bv);
    if (c !== 0) return c;
  }
}

/** Upstream's order: fields, then keys, then values, then indexes; each in its own order. */
export function comparePE(a: PathElement, b: PathElement): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if ('field' in a) return compareStrings(a.field, (b as { field: string }).field);
  if ('key' in a) return compareKeys(a.key, (b as { key: readonly KeyField[] }).key);
  if ('value' in a) return compareValues(a.value, (b as { value: unknown }).value);
  const ib = (b as { index: number }).index;
  return a.index < ib ? -1 : a.index > ib ? 1 : 0;
}

export function peEquals(a: PathElement, b: PathElement): boolean {
  if ('field' in a) return 'field' in b && a.field === b.field;
  if ('key' in a) {
    return 'key' in b && a.key.length === b.key.length && a.key.every(([n, v], i) => n === b.key[i]?.[0] && valueEquals(v, b.key[i]?.[1]));
  }
  if ('value' in a) return 'value' in b && valueEquals(a.value, b.value);
  return 'index' in b && a.index === b.index;
}

/** How upstream prints one element in messages: ".replicas", '[name="nginx"]', '[="a"]', "[0]". */
export function peToString(pe: PathElement): string {
  if ('field' in pe) return `.${pe.field}`;
  if ('key' in pe) return `[${pe.key.map(([n, v]) => `${n}=${valueToString(v)}`).join(',')}]`;
  if ('value' in pe) return `[=${valueToString(pe.value)}]`;
  return `[${pe.index}]`;
}

/** A path as upstream prints it: ".spec.template.spec.containers[name=\"nginx\"].image". */
export function pathToString(path: Path): string {
  return path.map(peToString).join('');
}

/** The key of a FieldsV1 object for this element: "f:name", 'k:{"name":"x"}', 'v:"a"', "i:0". */
export function serializePE(pe: PathElement): string {
  if ('field' in pe) return `f:${pe.field}`;
  if ('index' in pe) return `i:${pe.index}`;
  // Key and value elements are immutable; their JSON is made once (a path's prefix is serialized per member).
  let s = serialized.get(pe);
  if (s === undefined) {
    s = 'key' in pe ? `k:{${pe.key.map(([n, v]) => `${goJSONString(n)}:${goJSON(v)}`).join(',')}}` : `v:${goJSON(pe.value)}`;
    serialized.set(pe, s);
  }
  return s;
}

const serialized = new WeakMap<PathElement, string>();

export class PathElementError extends Error {
  override name = 'PathElementError';
}

/** Parses a FieldsV1 key; undefined for an unknown element type (upstream skips those). */
export function deserializePE(s: string): PathElement | undefined {
  if (s.length < 2) throw new PathElementError('key must be 2 characters long:');
  if (s[1] !== ':') throw new PathElementError(`missing colon: ${s}`);
  const body = s.slice(2);
  switch (s[0]) {
    case 'f':
      return fieldPE(body);
    case 'v':
      return valuePE(parseJSON(body));
    case 'k': {
      const obj = parseJSON(body);
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new PathElementError(`key element is not an object: ${s}`);
      return keyPE(Object.entries(obj));
    }
    case 'i': {
      if (!/^[+-]?\d+$/.test(body)) throw new PathElementError(`invalid index: ${s}`);
      return indexPE(Number(body));
    }
    default:
      return undefined;
  }
}

function parseJSON(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch (err) {
    throw new PathElementError(`invalid JSON in path element: ${s}`, { cause: err });
  }
}
