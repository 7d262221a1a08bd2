// List helpers of strategic merge patch: Go-equality on decoded JSON, lookups by merge key, and the
// ordering of merged lists exactly as upstream's strategicpatch computes it.
import { errBadArgType, errNoMergeKey, failure, goPanic } from './strategic-errors.ts';
import { goTypeOf, isJsonMap } from './strategic-gofmt.ts';

type JsonMap = Record<string, unknown>;

const DIRECTIVE = '$patch';
const DELETE = 'delete';
const MAP_TYPE = 'map[string]interface {}';

/** Go's == on two decoded JSON values; undefined (a missing map key) reads as nil. Two maps or two slices panic. */
export function goEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'object' && a !== null && goTypeOf(a) === goTypeOf(b)) throw goPanic(`comparing uncomparable type ${goTypeOf(a)}`);
  return (a ?? null) === (b ?? null);
}

/** A Go map key for the value; maps and slices are not hashable (upstream panics). */
export function hashKey(v: unknown): unknown {
  if (typeof v === 'object' && v !== null) throw goPanic(`hash of unhashable type ${goTypeOf(v)}`);
  return v ?? null;
}

/** The first map in `list` whose `key` equals `value`; every element before it must be a map. */
export function findByKey(list: readonly unknown[], key: string, value: unknown): [JsonMap, number] | undefined {
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (!isJsonMap(v)) throw failure(`value for key ${i} is not a map`);
    if (Object.hasOwn(v, key) && goEqual(v[key], value)) return [v, i];
  }
  return undefined;
}

/**
 * A list edited as Go edits a slice: removing shifts the later elements left in the same storage, and
 * appending writes into that storage while it has room. `view` is the original list as another slice over
 * the same storage sees it afterwards. Upstream uses that view as the live order when it applies
 * $setElementOrder after a merge that both deleted and added elements, so the final order depends on it.
 */
export class SharedList {
  readonly items: unknown[];
  readonly view: unknown[];

  constructor(original: readonly unknown[]) {
    this.items = [...original];
    this.view = [...original];
  }

  removeAt(i: number): void {
    this.items.splice(i, 1);
    for (let j = i; j < this.items.length && j < this.view.length; j++) this.view[j] = this.items[j];
  }

  append(v: unknown): void {
    if (this.items.length < this.view.length) this.view[this.items.length] = v;
    this.items.push(v);
  }

  set(i: number, v: unknown): void {
    this.items[i] = v;
    if (i < this.view.length) this.view[i] = v;
  }

  /** Go's in-place deduplication, which moves the last element into each duplicate's slot. */
  dedupe(): void {
    const s = this.items;
    let last = s.length - 1;
    for (let i = 0; i < last; i++) {
      for (let j = i + 1; j <= last; j++) {
        if (goEqual(s[i], s[j])) {
          this.set(j, s[last]);
          s.length = last;
          last--;
          j--;
        }
      }
    }
  }
}

/** Index of `item` in `list`, by merge key for maps and by value otherwise; -1 when absent. */
function indexIn(list: readonly unknown[], item: unknown, mergeKey: string, kind: string): number {
  const valueOf = kind === 'map' ? (x: unknown) => (isJsonMap(x) ? x[mergeKey] : null) : (x: unknown) => x;
  const wanted = valueOf(item);
  return list.findIndex((x) => goEqual(valueOf(x), wanted));
}

/**
 * Go's sort.SliceStable for lists up to 20 elements (an insertion sort); used for every length, which gives
 * the same order whenever `less` is consistent. Upstream's comparator is not when an element is missing
 * from the order list, and then only the insertion sort reproduces its result.
 */
function stableSort(items: unknown[], less: (a: unknown, b: unknown) => boolean): void {
  for (let i = 1; i < items.length; i++) {
    for (let j = i; j > 0 && less(items[j], items[j - 1]); j--) {
      const t = items[j];
      items[j] = items[j - 1];
      items[j - 1] = t;
    }
  }
}

function validateMergeKeys(mergeKey: string, ...lists: readonly unknown[][]): void {
  for (const list of lists) {
    for (const item of list) {
      if (!isJsonMap(item)) throw errBadArgType(MAP_TYPE, item);
      if (!Object.hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    }
  }
}

/** Splits off the elements that carry "$patch": "delete" (they go last). */
export function splitDeletions(list: readonly unknown[]): [unknown[], unknown[]] {
  const keep: unknown[] = [];
  const deletions: unknown[] = [];
  for (const v of list) {
    if (!isJsonMap(v)) throw errBadArgType(MAP_TYPE, v);
    if (Object.hasOwn(v, DIRECTIVE) && v[DIRECTIVE] === DELETE) deletions.push(v);
    else keep.push(v);
  }
  return [keep, deletions];
}

/** Sorts `toSort` by the position of its elements in `order`. */
function sortByOrder(toSort: unknown[], order: readonly unknown[], mergeKey: string, kind: string): unknown[] {
  let items = toSort;
  let deletions: unknown[] = [];
  if (kind === 'map') {
    validateMergeKeys(mergeKey, items, order as unknown[]);
    [items, deletions] = splitDeletions(items);
  } else {
    items = [...items];
  }
  stableSort(items, (a, b) => {
    const ia = indexIn(order, a, mergeKey, kind);
    if (ia >= 0) {
      const ib = indexIn(order, b, mergeKey, kind);
      if (ib >= 0) return ia < ib;
    }
    return true;
  });
  return [...items, ...deletions];
}

/**
 * Interleaves the server-only elements (`left`) into the patch's elements (`right`), keeping each list's
 * own order; a server-only element goes first when the live list had it before the patch element.
 */
function interleave(left: unknown[], right: unknown[], serverOrder: readonly unknown[], mergeKey: string, kind: string): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) {
      out.push(left[i++]);
    } else if (i >= left.length) {
      out.push(right[j++]);
    } else {
      const li = indexIn(serverOrder, left[i], mergeKey, kind);
      const ri = indexIn(serverOrder, right[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** Patch elements in `patchOrder`, server-only elements in `serverOrder`, then interleaved. */
export function normalizeOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: readonly unknown[],
  serverOrder: readonly unknown[],
  mergeKey: string,
  kind: string,
): unknown[] {
  const fromPatch = sortByOrder(patchItems, patchOrder, mergeKey, kind);
  const fromServer = sortByOrder(serverOnly, serverOrder, mergeKey, kind);
  return interleave(fromServer, fromPatch, serverOrder, mergeKey, kind);
}

/** Splits `list` into the elements found in `by` and the rest. */
export function partition(list: readonly unknown[], by: readonly unknown[], mergeKey: string): [unknown[], unknown[]] {
  const inPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  if (!mergeKey) {
    const present = new Set(by.map(hashKey));
    for (const v of list) (present.has(hashKey(v)) ? inPatch : serverOnly).push(v);
    return [inPatch, serverOnly];
  }
  for (const v of list) {
    if (!isJsonMap(v)) throw errBadArgType(MAP_TYPE, v);
    if (!Object.hasOwn(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
    (findByKey(by, mergeKey, v[mergeKey]) ? inPatch : serverOnly).push(v);
  }
  return [inPatch, serverOnly];
}
