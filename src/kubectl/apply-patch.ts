// The patches client-side `kubectl apply` sends: a three-way strategic merge patch for built-in kinds (what changed from
// the live object to the new configuration, plus what the new configuration dropped from the last-applied one), with
// merge keys and strategies from the Go struct tags in Skiff's schema, and a three-way JSON merge patch for the rest.
import { isListRef, isMapRef, isStructRef, jsonField, schemaType, typeForGVK, type TypeRef } from '../api/schema.ts';

type Json = unknown;
type JsonMap = Record<string, Json>;

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList';

/** Patch metadata for a field: its type, patch strategies and merge key (unknown types diff as plain JSON). */
interface FieldMeta {
  ref: TypeRef | undefined;
  strategies: string[];
  mergeKey: string;
}

const UNKNOWN: FieldMeta = { ref: undefined, strategies: [], mergeKey: '' };

function fieldMeta(ref: TypeRef | undefined, key: string): FieldMeta {
  if (ref === undefined) return UNKNOWN;
  if (isMapRef(ref)) return { ref: ref.map, strategies: [], mergeKey: '' };
  if (isListRef(ref)) return UNKNOWN;
  if (!isStructRef(ref) || !schemaType(ref)) return UNKNOWN;
  const f = jsonField(ref, key);
  if (!f) return UNKNOWN;
  return { ref: f.type, strategies: (f.patchStrategy ?? '').split(',').filter((s) => s), mergeKey: f.patchMergeKey ?? '' };
}

function elementRef(ref: TypeRef | undefined): TypeRef | undefined {
  return ref !== undefined && isListRef(ref) ? ref.list : undefined;
}

/** [retainKeys, the other strategy] as extractRetainKeysPatchStrategy splits them. */
function splitStrategies(strategies: string[]): [boolean, string] {
  const retain = strategies.includes('retainKeys');
  return [retain, strategies.find((s) => s !== 'retainKeys') ?? ''];
}

export function isMap(v: Json): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: Json): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a)) {
    if (!isMap(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Go's %v of a scalar, the sort key strategic merge patch orders list items by. */
function sv(v: Json): string {
  if (v === null || v === undefined) return '<nil>';
  return String(v);
}

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface DiffOptions {
  ignoreDeletions?: boolean;
  ignoreChangesAndAdditions?: boolean;
  buildRetainKeys?: boolean;
}

function diffMaps(original: JsonMap, modified: JsonMap, ref: TypeRef | undefined, opts: DiffOptions): JsonMap {
  const patch: JsonMap = {};
  const retainKeys: string[] = [];
  for (const [key, mod] of Object.entries(modified)) {
    if (opts.buildRetainKeys && mod !== null) retainKeys.push(key);
    if (!Object.hasOwn(original, key)) {
      if (!opts.ignoreChangesAndAdditions) patch[key] = mod;
      continue;
    }
    const orig = original[key];
    if (key === DIRECTIVE) {
      if (orig !== mod) patch[key] = mod;
      continue;
    }
    if (typeName(orig) !== typeName(mod)) {
      if (!opts.ignoreChangesAndAdditions) patch[key] = mod;
      continue;
    }
    if (isMap(orig) && isMap(mod)) {
      const meta = fieldMeta(ref, key);
      const [retain, strategy] = splitStrategies(meta.strategies);
      if (strategy === 'replace') {
        if (!opts.ignoreChangesAndAdditions) patch[key] = mod;
      } else {
        const sub = diffMaps(orig, mod, meta.ref, { ...opts, buildRetainKeys: retain });
        if (Object.keys(sub).length) patch[key] = sub;
      }
    } else if (Array.isArray(orig) && Array.isArray(mod)) {
      const meta = fieldMeta(ref, key);
      const [retain, strategy] = splitStrategies(meta.strategies);
      if (strategy === 'merge') {
        const [add, del, order] = diffLists(orig, mod, elementRef(meta.ref), meta.mergeKey, { ...opts, buildRetainKeys: retain });
        if (add.length) patch[key] = add;
        if (del.length) patch[`${DELETE_PRIMITIVE}/${key}`] = del;
        if (order.length) patch[`${SET_ORDER}/${key}`] = order;
      } else if (!opts.ignoreChangesAndAdditions && !deepEqual(orig, mod)) {
        patch[key] = mod;
      }
    } else if (!opts.ignoreChangesAndAdditions && !deepEqual(orig, mod)) {
      patch[key] = mod;
    }
  }
  if (!opts.ignoreDeletions) for (const key of Object.keys(original)) if (!Object.hasOwn(modified, key)) patch[key] = null;
  const hasAdditionalNewField = Object.entries(original).some(([k, v]) => v !== null && !Object.hasOwn(modified, k));
  if (retainKeys.length && (Object.keys(patch).length || hasAdditionalNewField)) patch[RETAIN_KEYS] = retainKeys.sort(byString);
  return patch;
}

function diffLists(original: Json[], modified: Json[], elem: TypeRef | undefined, mergeKey: string, opts: DiffOptions): [Json[], Json[], Json[]] {
  if (!original.length) return [modified.length && !opts.ignoreChangesAndAdditions ? modified : [], [], []];
  const first = original[0] ?? modified[0];
  if (isMap(first)) {
    const [changes, deletions] = diffListsOfMaps(original as JsonMap[], modified as JsonMap[], elem, mergeKey, opts);
    const patchList = [...orderLike(changes, modified, mergeKey), ...deletions];
    const sameOrder = original.length === modified.length && modified.every((m, i) => (original[i] as JsonMap)[mergeKey] === (m as JsonMap)[mergeKey]);
    let order: Json[] = [];
    if ((!opts.ignoreChangesAndAdditions && (patchList.length || !sameOrder)) || (!opts.ignoreDeletions && patchList.length)) {
      order = modified.map((m) => ({ [mergeKey]: (m as JsonMap)[mergeKey] }));
    }
    return [patchList, [], order];
  }
  const [add, del] = diffListsOfScalars(original, modified, opts);
  let order: Json[] = [];
  if ((!opts.ignoreDeletions && del.length) || (!opts.ignoreChangesAndAdditions && !deepEqual(original, modified))) order = modified;
  return [orderLike(add, modified, ''), del, order];
}

/** Items in the order they have in `order` (normalizeSliceOrder); items not found there go first. */
function orderLike(items: Json[], order: Json[], mergeKey: string): Json[] {
  const key = (v: Json) => (mergeKey && isMap(v) ? v[mergeKey] : v);
  const index = (v: Json) => order.findIndex((o) => key(o) === key(v));
  return items
    .map((v, i) => ({ v, i, at: index(v) }))
    .sort((a, b) => (a.at >= 0 && b.at >= 0 ? a.at - b.at : a.i - b.i))
    .map((x) => x.v);
}

function diffListsOfMaps(original: JsonMap[], modified: JsonMap[], elem: TypeRef | undefined, mergeKey: string, opts: DiffOptions): [Json[], Json[]] {
  const sortByKey = (l: JsonMap[]) => {
    for (const m of l) if (!Object.hasOwn(m, mergeKey)) throw new Error(`map: ${JSON.stringify(m)} does not contain declared merge key: ${mergeKey}`);
    return [...l].sort((a, b) => byString(sv(a[mergeKey]), sv(b[mergeKey])));
  };
  const o = sortByKey(original);
  const m = sortByKey(modified);
  const patch: Json[] = [];
  const deletions: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < o.length || j < m.length) {
    const ok = i < o.length ? sv(o[i]![mergeKey]) : undefined;
    const mk = j < m.length ? sv(m[j]![mergeKey]) : undefined;
    if (ok !== undefined && mk !== undefined && ok === mk) {
      const sub = diffMaps(o[i]!, m[j]!, elem, opts);
      if (Object.keys(sub).length) patch.push({ ...sub, [mergeKey]: m[j]![mergeKey] });
      i++;
      j++;
    } else if (ok === undefined || (mk !== undefined && ok > mk)) {
      if (!opts.ignoreChangesAndAdditions) patch.push(m[j]!);
      j++;
    } else {
      if (!opts.ignoreDeletions) deletions.push({ [mergeKey]: o[i]![mergeKey], [DIRECTIVE]: 'delete' });
      i++;
    }
  }
  return [patch, deletions];
}

function diffListsOfScalars(original: Json[], modified: Json[], opts: DiffOptions): [Json[], Json[]] {
  const o = [...original].sort((a, b) => byString(sv(a), sv(b)));
  const m = [...modified].sort((a, b) => byString(sv(a), sv(b)));
  const add: Json[] = [];
  const del: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < o.length || j < m.length) {
    const os = i < o.length ? sv(o[i]) : undefined;
    const ms = j < m.length ? sv(m[j]) : undefined;
    if (os !== undefined && ms !== undefined && os === ms) {
      i++;
      j++;
    } else if (os === undefined || (ms !== undefined && os > ms)) {
      if (!opts.ignoreChangesAndAdditions) add.push(m[j]);
      j++;
    } else {
      if (!opts.ignoreDeletions && !del.some((d) => d === o[i])) del.push(o[i]);
      i++;
    }
  }
  return [add, del];
}

/** Merges the additions/changes patch into the deletions patch (mergeMap of two patches). */
function mergePatches(deletions: JsonMap, delta: JsonMap, ref: TypeRef | undefined): JsonMap {
  const out: JsonMap = { ...deletions };
  for (const [key, value] of Object.entries(delta)) {
    const prior = out[key];
    if (key.startsWith('$') || !Object.hasOwn(out, key) || value === null || typeName(prior) !== typeName(value)) {
      out[key] = value;
      continue;
    }
    const meta = fieldMeta(ref, key);
    const [, strategy] = splitStrategies(meta.strategies);
    if (isMap(prior) && isMap(value)) out[key] = strategy === 'replace' ? value : mergePatches(prior, value, meta.ref);
    else if (Array.isArray(prior) && Array.isArray(value) && strategy === 'merge') out[key] = mergeLists(prior, value, elementRef(meta.ref), meta.mergeKey);
    else out[key] = value;
  }
  return out;
}

function mergeLists(a: Json[], b: Json[], elem: TypeRef | undefined, mergeKey: string): Json[] {
  const out = [...a];
  for (const item of b) {
    if (mergeKey && isMap(item)) {
      const at = out.findIndex((x) => isMap(x) && x[mergeKey] === item[mergeKey] && x[DIRECTIVE] === undefined);
      if (at >= 0) out[at] = mergePatches(out[at] as JsonMap, item, elem);
      else out.push(item);
    } else if (!out.some((x) => deepEqual(x, item))) out.push(item);
  }
  return out;
}

/** The fq Go type for a kind Skiff's schema knows (then the patch is strategic), else undefined. */
export function builtinType(apiVersion: string, kind: string): string | undefined {
  const slash = apiVersion.indexOf('/');
  const fq = typeForGVK(slash === -1 ? '' : apiVersion.slice(0, slash), slash === -1 ? apiVersion : apiVersion.slice(slash + 1), kind);
  return fq && !fq.startsWith('io.k8s.apimachinery.') ? fq : undefined;
}

/** kubectl's CreateThreeWayMergePatch with overwrite: original = last applied, modified = new, current = live. */
export function threeWayStrategicPatch(original: JsonMap | undefined, modified: JsonMap, current: JsonMap, fq: string): JsonMap {
  const delta = diffMaps(current, modified, fq, { ignoreDeletions: true });
  const deletions = diffMaps(original ?? {}, modified, fq, { ignoreChangesAndAdditions: true });
  return mergePatches(deletions, delta, fq);
}

function createMergePatch(a: Json, b: Json): JsonMap {
  const patch: JsonMap = {};
  const am = isMap(a) ? a : {};
  const bm = isMap(b) ? b : {};
  for (const [k, v] of Object.entries(bm)) {
    if (!Object.hasOwn(am, k)) patch[k] = v;
    else if (isMap(am[k]) && isMap(v)) {
      const sub = createMergePatch(am[k], v);
      if (Object.keys(sub).length) patch[k] = sub;
    } else if (!deepEqual(am[k], v)) patch[k] = v;
  }
  for (const k of Object.keys(am)) if (!Object.hasOwn(bm, k)) patch[k] = null;
  return patch;
}

function keepOrDeleteNull(m: JsonMap, keepNull: boolean): JsonMap {
  const out: JsonMap = {};
  for (const [k, v] of Object.entries(m)) {
    if (v === null) {
      if (keepNull) out[k] = null;
    } else if (isMap(v)) {
      if (!Object.keys(v).length) {
        if (!keepNull) out[k] = v;
        continue;
      }
      const sub = keepOrDeleteNull(v, keepNull);
      if (Object.keys(sub).length) out[k] = sub;
    } else if (!keepNull) out[k] = v;
  }
  return out;
}

function applyMergePatchTo(doc: JsonMap, patch: JsonMap): JsonMap {
  const out: JsonMap = { ...doc };
  for (const [k, v] of Object.entries(patch)) {
    if (isMap(v) && isMap(out[k])) out[k] = applyMergePatchTo(out[k], v);
    else out[k] = v;
  }
  return out;
}

/** kubectl's CreateThreeWayJSONMergePatch, for kinds without strategic merge patch (custom resources). */
export function threeWayJsonMergePatch(original: JsonMap | undefined, modified: JsonMap, current: JsonMap): JsonMap {
  const addAndChange = keepOrDeleteNull(createMergePatch(current, modified), false);
  const deletions = keepOrDeleteNull(createMergePatch(original ?? {}, modified), true);
  return applyMergePatchTo(deletions, addAndChange);
}

/** Go's json.Marshal of decoded JSON: sorted keys, compact, <>& escaped. */
export function goJsonCompact(v: Json): string {
  return JSON.stringify(sortDeep(v))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function sortDeep(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (isMap(v)) {
    const out: JsonMap = {};
    for (const k of Object.keys(v).sort(byString)) out[k] = sortDeep(v[k]);
    return out;
  }
  return v;
}
