// JSON values as structured-merge-diff sees them: equality, a total order, and Go's spellings of them
// (encoding/json for keys in field sets, fmt's %q and %v for paths printed in conflicts).
import { goQuote } from '../../api/goformat.ts';

export type ValueKind = 'number' | 'string' | 'bool' | 'list' | 'map' | 'null';

export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function kindOf(v: unknown): ValueKind {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'list';
  switch (typeof v) {
    case 'number':
    case 'bigint':
      return 'number';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    default:
      return 'map';
  }
}

/** An own, enumerable property even for a key such as "__proto__" (as JSON.parse makes it). */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

export function valueEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ka = kindOf(a);
  if (ka !== kindOf(b)) return false;
  if (ka === 'number') return Number(a) === Number(b);
  if (ka === 'list') {
    const la = a as unknown[];
    const lb = b as unknown[];
    return la.length === lb.length && la.every((x, i) => valueEquals(x, lb[i]));
  }
  if (ka === 'map') {
    const ma = a as Record<string, unknown>;
    const mb = b as Record<string, unknown>;
    const keys = Object.keys(ma);
    if (keys.length !== Object.keys(mb).length) return false;
    return keys.every((k) => Object.hasOwn(mb, k) && valueEquals(ma[k], mb[k]));
  }
  return false;
}

const KIND_ORDER: Record<ValueKind, number> = { number: 0, string: 1, bool: 2, list: 3, map: 4, null: 5 };

/** Byte-wise string order (Go's strings.Compare on UTF-8). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.codePointAt(i) ?? 0;
    const cb = b.codePointAt(i) ?? 0;
    if (ca !== cb) return ca < cb ? -1 : 1;
    if (ca > 0xffff) i++;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** The total order structured-merge-diff puts on values: numbers, strings, bools, lists, maps, null. */
export function compareValues(a: unknown, b: unknown): number {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka !== kb) return KIND_ORDER[ka] < KIND_ORDER[kb] ? -1 : 1;
  switch (ka) {
    case 'number': {
      const x = Number(a);
      const y = Number(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'string':
      return compareStrings(a as string, b as string);
    case 'bool':
      return a === b ? 0 : a ? 1 : -1;
    case 'list': {
      const la = a as unknown[];
      const lb = b as unknown[];
      for (let i = 0; ; i++) {
        if (i >= la.length && i >= lb.length) return 0;
        if (i >= la.length) return -1;
        if (i >= lb.length) return 1;
        const c = compareValues(la[i], lb[i]);
        if (c !== 0) return c;
      }
    }
    case 'map':
      return compareMaps(a as Record<string, unknown>, b as Record<string, unknown>);
    default:
      return 0;
  }
}

// Upstream walks the sorted union of keys and stops at the first difference.
function compareMaps(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const la = Object.keys(a).length;
  const lb = Object.keys(b).length;
  if (la === 0 && lb === 0) return 0;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(compareStrings);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    let c: number;
    if (i === la) c = -1;
    else if (i === lb) c = 1;
    else if (!Object.hasOwn(a, k)) c = 1;
    else if (!Object.hasOwn(b, k)) c = -1;
    else c = compareValues(a[k], b[k]);
    if (c !== 0) return c;
  }
  return 0;
}

/** A JSON string as Go's encoding/json writes it (HTML characters escaped). */
export function goJSONString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** JSON as Go's encoding/json writes it: map keys sorted, HTML characters escaped. */
export function goJSON(v: unknown): string {
  switch (kindOf(v)) {
    case 'null':
      return 'null';
    case 'number':
      return JSON.stringify(Number(v));
    case 'bool':
      return v ? 'true' : 'false';
    case 'string':
      return goJSONString(v as string);
    case 'list':
      return `[${(v as unknown[]).map(goJSON).join(',')}]`;
    case 'map': {
      const m = v as Record<string, unknown>;
      const keys = Object.keys(m).sort(compareStrings);
      return `{${keys.map((k) => `${goJSONString(k)}:${goJSON(m[k])}`).join(',')}}`;
    }
  }
}

export { goQuote };

/** A value as upstream's value.ToString prints it inside a path: strings quoted, lists in brackets. */
export function valueToString(v: unknown): string {
  switch (kindOf(v)) {
    case 'null':
      return 'null';
    case 'number':
      return String(Number(v));
    case 'bool':
      return v ? 'true' : 'false';
    case 'string':
      return goQuote(v as string);
    case 'list':
      return `[${(v as unknown[]).map(valueToString).join(',')}]`;
    case 'map':
      return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}=${valueToString(x)}`).join('');
  }
}

/** A deep copy of a JSON value. */
export function cloneValue<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(cloneValue) as T;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) setOwn(out, k, cloneValue((v as Record<string, unknown>)[k]));
  return out as T;
}
