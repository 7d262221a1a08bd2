// Strategic merge patch (application/strategic-merge-patch+json), applied the way kube-apiserver applies it
// (k8s.io/apimachinery/pkg/util/strategicpatch, server side: parallel lists merged, unmatched nulls dropped).
//
// Like JSON merge patch, but each field's patchStrategy / patchMergeKey from the schema decides how lists
// merge: lists with the "merge" strategy merge their elements by merge key (lists of scalars: union), all
// other lists are replaced. Directives:
//   "$patch": "replace" | "delete"      in a map: take the map as given / remove it
//   {"$patch": "delete", <key>: v}      in a merging list: remove the element with that merge key
//   {"$patch": "replace"}               in a merging list: the list becomes the patch's other elements
//   "$setElementOrder/<list>": [...]    the order of the merged list (elements as merge keys or scalars)
//   "$retainKeys": [...]                clear every other field of the map (retainKeys strategy)
//   "$deleteFromPrimitiveList/<list>"   scalars to remove from a list
// Upstream's quirks are kept on purpose (a kubectl diff against Skiff should match one against Kubernetes):
// values taken whole keep their nested directives and nulls in some paths, and element order follows
// upstream's sort, including its reuse of the original list's storage (SharedList in strategic-lists.ts).
import type { KObject } from '../../api/types.ts';
import {
  SMP_MESSAGES,
  badRequest,
  errBadArgType,
  errBadPatchType,
  errNoMergeKey,
  failure,
  goPanic,
  unprocessable,
} from './strategic-errors.ts';
import { goTypeOf, isJsonMap, sprintV } from './strategic-gofmt.ts';
import { SharedList, findByKey, goEqual, hashKey, normalizeOrder, partition, splitDeletions } from './strategic-lists.ts';
import { lookupSliceField, lookupStructField, outerKind, skiffPatchSchema } from './strategic-meta.ts';
import type { MetaNode, PatchSchema } from './strategic-meta.ts';

export { PANIC_MESSAGE, SMP_MESSAGES, StrategicMergePatchError } from './strategic-errors.ts';
export type { SmpStatusCode } from './strategic-errors.ts';
export { skiffPatchSchema } from './strategic-meta.ts';
export type { PatchSchema } from './strategic-meta.ts';

type JsonMap = Record<string, unknown>;

const DIRECTIVE = '$patch';
const DELETE = 'delete';
const REPLACE = 'replace';
const MERGE = 'merge';
const RETAIN_KEYS_STRATEGY = 'retainKeys';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER = '$setElementOrder';
const MAP_TYPE = 'map[string]interface {}';
const SLICE_TYPE = '[]interface {}';

export interface StrategicMergePatchOptions {
  /** Where struct fields and their patch metadata come from (default: Skiff's API schema). */
  schema?: PatchSchema;
}

/**
 * Applies a strategic merge patch to `original`, an object of the schema type `typeName`
 * (e.g. "io.k8s.api.apps.v1.Deployment"). Neither input is modified; the result shares nothing with them.
 * Throws StrategicMergePatchError (with the HTTP code upstream answers) when the patch cannot be applied,
 * including for types the schema does not know (upstream refuses SMP for custom resources).
 */
export function applyStrategicMergePatch(
  original: KObject,
  patch: unknown,
  typeName: string,
  options: StrategicMergePatchOptions = {},
): KObject {
  const schema = options.schema ?? skiffPatchSchema;
  if (!schema.fields(typeName)) throw badRequest(SMP_MESSAGES.unsupported);
  if (patch === null || patch === undefined) return cloneJson(original);
  if (!isJsonMap(patch)) {
    const what = Array.isArray(patch) ? 'array' : typeof patch === 'boolean' ? 'bool' : typeof patch;
    throw badRequest(`json: cannot unmarshal ${what} into Go value of type map[string]interface {}`);
  }
  const merger = new Merger(schema);
  return merger.mergeMap(cloneJson(original) as JsonMap, cloneJson(patch), { ref: typeName }) as KObject;
}

// ---- JSON helpers ----

// defineProperty keeps a "__proto__" key an ordinary property, as JSON.parse makes it.
function setOwn(obj: JsonMap, k: string, value: unknown): void {
  Object.defineProperty(obj, k, { value, enumerable: true, writable: true, configurable: true });
}

/** A deep copy of a JSON value; undefined members are dropped, as JSON would drop them. */
function cloneJson<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : cloneJson(x))) as T;
  const out: JsonMap = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) setOwn(out, k, cloneJson(x));
  return out as T;
}

/** Removes, recursively, the members of maps (arrays included) whose value is null. */
function discardNullValues(v: unknown): void {
  if (Array.isArray(v)) {
    for (const x of v) discardNullValues(x);
  } else if (isJsonMap(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null) delete v[k];
      else discardNullValues(v[k]);
    }
  }
}

/** Drops maps that carry "$patch" (anywhere inside). Returns the value to use and whether to keep it at all. */
function removeDirectives(v: unknown): [unknown, boolean] {
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) {
      const [nx, keep] = removeDirectives(x);
      if (keep) out.push(nx);
    }
    return [out, true];
  }
  if (isJsonMap(v)) {
    if (Object.hasOwn(v, DIRECTIVE)) return [null, false];
    for (const k of Object.keys(v)) {
      const [nx, keep] = removeDirectives(v[k]);
      if (keep) setOwn(v, k, nx);
      else delete v[k];
    }
  }
  return [v, true];
}

/** "$setElementOrder/containers" → "containers". */
function extractKey(key: string, prefix: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    throw badRequest(prefix === DELETE_FROM_PRIMITIVE_LIST ? SMP_MESSAGES.badPrimitiveList : SMP_MESSAGES.badSetElementOrder);
  }
  return key.slice(slash + 1);
}

/** The non-retainKeys strategy of a field ("merge", "replace" or ""). */
function listOrMapStrategy(strategies: string[]): string {
  if (strategies.length === 1) return strategies[0] === RETAIN_KEYS_STRATEGY ? '' : (strategies[0] ?? '');
  if (strategies.length === 2) {
    if (strategies[0] === RETAIN_KEYS_STRATEGY) return strategies[1] ?? '';
    if (strategies[1] === RETAIN_KEYS_STRATEGY) return strategies[0] ?? '';
  }
  if (strategies.length === 0) return '';
  throw failure(`unexpected patch strategy: [${strategies.join(' ')}]`);
}

/** The element kind shared by every element of the lists ("map", "string", …); lists of lists are refused. */
function sliceElementKind(...lists: unknown[][]): string {
  let prev: string | undefined;
  for (const list of lists) {
    for (const v of list) {
      const t = goTypeOf(v);
      if (prev === undefined) {
        if (t === null) throw goPanic('invalid memory address or nil pointer dereference');
        if (t === SLICE_TYPE) throw unprocessable(SMP_MESSAGES.noListOfLists);
        prev = t;
      } else if (t !== prev) {
        throw failure(`list element types are not identical: ${sprintV(lists)}`);
      }
    }
  }
  if (prev === undefined) throw failure('no elements in any of the given slices');
  return prev === MAP_TYPE ? 'map' : prev;
}

class Merger {
  readonly #schema: PatchSchema;

  constructor(schema: PatchSchema) {
    this.#schema = schema;
  }

  /** Merges `patch` into `original` (both are modified; the result may be either). */
  mergeMap(original: JsonMap, patch: JsonMap, node: MetaNode): JsonMap {
    if (Object.hasOwn(patch, DIRECTIVE)) return this.#mapDirective(patch[DIRECTIVE], patch);

    this.#applyRetainKeys(original, patch);
    this.#applyElementOrders(original, patch, node);

    for (const patchKey of Object.keys(patch)) {
      const patchV = patch[patchKey];
      let key = patchKey;
      let isDeleteList = false;
      if (patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
        key = extractKey(patchKey, DELETE_FROM_PRIMITIVE_LIST);
        isDeleteList = true;
      }

      if (patchV === null) {
        delete original[key];
        continue;
      }
      if (!Object.hasOwn(original, key) || goTypeOf(original[key]) !== goTypeOf(patchV)) {
        if (!isDeleteList) this.#takePatchValue(original, key, patchV);
        continue;
      }

      const originalV = original[key];
      if (isJsonMap(originalV) && isJsonMap(patchV)) {
        const meta = lookupStructField(this.#schema, node, key);
        const strategy = listOrMapStrategy(meta.strategies);
        setOwn(original, key, strategy === REPLACE ? patchV : this.mergeMap(originalV, patchV, meta.node));
      } else if (Array.isArray(originalV) && Array.isArray(patchV)) {
        const meta = lookupSliceField(this.#schema, node, key);
        const strategy = listOrMapStrategy(meta.strategies);
        setOwn(original, key, this.#mergeListField(new SharedList(originalV), patchV, meta.node, strategy, meta.mergeKey, isDeleteList));
      } else {
        this.#takePatchValue(original, key, patchV);
      }
    }
    return original;
  }

  /** A patch value that is not merged: its nulls and "$patch" maps are dropped first. */
  #takePatchValue(original: JsonMap, key: string, patchV: unknown): void {
    discardNullValues(patchV);
    const [v, keep] = removeDirectives(patchV);
    if (keep) setOwn(original, key, v);
    else delete original[key];
  }

  #mapDirective(directive: unknown, patch: JsonMap): JsonMap {
    if (directive === REPLACE) {
      delete patch[DIRECTIVE];
      return patch;
    }
    if (directive === DELETE) return {};
    throw errBadPatchType(directive, patch);
  }

  /** "$retainKeys": every patch field must be listed, and the original keeps only the listed fields. */
  #applyRetainKeys(original: JsonMap, patch: JsonMap): void {
    if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
    const retain = patch[RETAIN_KEYS];
    delete patch[RETAIN_KEYS];
    if (!Array.isArray(retain)) throw badRequest(SMP_MESSAGES.badRetainKeys);
    const kept = new Set(retain.map(hashKey));
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
      if (!kept.has(k)) throw badRequest(SMP_MESSAGES.badRetainKeys);
    }
    for (const k of Object.keys(original)) if (!kept.has(k)) delete original[k];
  }

  /** Each "$setElementOrder/<list>": merges that list now and orders it (the list is then done). */
  #applyElementOrders(original: JsonMap, patch: JsonMap, node: MetaNode): void {
    for (const directiveKey of Object.keys(patch)) {
      if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) continue;
      const order = patch[directiveKey];
      delete patch[directiveKey];
      if (!Array.isArray(order)) throw errBadArgType(SLICE_TYPE, order);
      const key = extractKey(directiveKey, SET_ELEMENT_ORDER);

      const hasOriginal = Object.hasOwn(original, key);
      const hasPatch = Object.hasOwn(patch, key);
      const originalList = original[key];
      const patchList = patch[key];
      if (hasOriginal && !Array.isArray(originalList)) throw errBadArgType(SLICE_TYPE, originalList);
      if (hasPatch && !Array.isArray(patchList)) throw errBadArgType(SLICE_TYPE, patchList);
      const originalItems = hasOriginal ? (originalList as unknown[]) : [];
      const patchItems = hasPatch ? (patchList as unknown[]) : [];

      const meta = lookupSliceField(this.#schema, node, key);
      const strategy = listOrMapStrategy(meta.strategies);
      const { mergeKey } = meta;
      this.#validateOrder(patchItems, order, mergeKey);

      let merged: unknown[];
      let liveOrder: unknown[] = [];
      if (hasOriginal && !hasPatch) {
        merged = originalItems;
        liveOrder = originalItems;
      } else if (!hasOriginal && hasPatch) {
        merged = removeDirectives(patchItems)[0] as unknown[];
      } else if (hasOriginal && hasPatch) {
        const shared = new SharedList(originalItems);
        merged = this.#mergeListField(shared, patchItems, meta.node, strategy, mergeKey, false);
        liveOrder = shared.view;
      } else {
        continue;
      }

      const [inOrder, serverOnly] = partition(merged, order, mergeKey);
      const kind = sliceElementKind(originalItems, patchItems);
      setOwn(original, key, normalizeOrder(inOrder, serverOnly, order, liveOrder, mergeKey, kind));
      delete patch[key];
    }
  }

  /** The patch list's elements (deletions and directives aside) must appear in the order list, in its order. */
  #validateOrder(patchList: readonly unknown[], order: readonly unknown[], mergeKey: string): void {
    if (order.length === 0 || patchList.length === 0) return;
    const items = mergeKey ? splitDeletions(patchList)[0] : patchList;
    let p = 0;
    let o = 0;
    while (p < items.length && o < order.length) {
      const item = items[p];
      if (isJsonMap(item) && Object.hasOwn(item, DIRECTIVE)) {
        p++;
        continue;
      }
      if (mergeKeyEqual(item, order[o], mergeKey)) p++;
      o++;
    }
    if (p < items.length && o >= order.length) {
      throw failure(`The order in patch list:\n${sprintV(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${sprintV(order)}\n`);
    }
  }

  #mergeListField(
    original: SharedList,
    patch: unknown[],
    elem: MetaNode,
    strategy: string,
    mergeKey: string,
    isDeleteList: boolean,
  ): unknown[] {
    // Deletion lists apply whatever the field's strategy; other non-merging lists are replaced.
    if (strategy === MERGE || isDeleteList) return this.#mergeList(original, patch, elem, mergeKey, isDeleteList);
    return patch;
  }

  #mergeList(original: SharedList, patch: unknown[], elem: MetaNode, mergeKey: string, isDeleteList: boolean): unknown[] {
    if (original.items.length === 0 && patch.length === 0) return original.items;
    const kind = sliceElementKind(original.items, patch);

    let merged: unknown[];
    let serverOrder: unknown[];
    let patchOrder = patch;
    if (kind !== 'map') {
      if (isDeleteList) {
        const doomed = new Set(patch.map(hashKey));
        return original.items.filter((v) => !doomed.has(hashKey(v)));
      }
      if (patch.length === 0) {
        // Go appends nothing, so it deduplicates the original list in its own storage.
        original.dedupe();
        merged = original.items;
        serverOrder = original.view;
      } else {
        const both = new SharedList([...original.items, ...patch]);
        both.dedupe();
        merged = both.items;
        serverOrder = original.items;
      }
    } else {
      if (!mergeKey) throw failure(`cannot merge lists without merge key for ${outerKind(elem)}`);
      let target = original;
      const plain: unknown[] = [];
      let replace = false;
      for (const v of patch) {
        const item = v as JsonMap;
        if (!Object.hasOwn(item, DIRECTIVE)) {
          plain.push(v);
          continue;
        }
        const directive = item[DIRECTIVE];
        if (directive === DELETE) {
          if (!Object.hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
          for (let found = findByKey(target.items, mergeKey, item[mergeKey]); found; found = findByKey(target.items, mergeKey, item[mergeKey])) {
            target.removeAt(found[1]);
          }
        } else if (directive === REPLACE) {
          replace = true; // the other directives in the list are still checked
        } else if (directive === MERGE) {
          throw failure('merging lists cannot yet be specified in the patch');
        } else {
          throw errBadPatchType(directive, item);
        }
      }
      if (replace) {
        target = new SharedList(plain);
        patchOrder = [];
      } else {
        patchOrder = plain;
      }
      serverOrder = [...target.items];

      for (const v of patchOrder) {
        const item = v as JsonMap;
        if (!Object.hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
        const found = findByKey(target.items, mergeKey, item[mergeKey]);
        if (found) target.set(found[1], this.mergeMap(found[0], item, elem));
        else target.append(v);
      }
      merged = target.items;
    }

    const [inPatch, serverOnly] = partition(merged, patchOrder, mergeKey);
    return normalizeOrder(inPatch, serverOnly, patchOrder, serverOrder, mergeKey, kind);
  }
}

function mergeKeyEqual(left: unknown, right: unknown, mergeKey: string): boolean {
  if (!mergeKey) return goEqual(left, right);
  if (!isJsonMap(left)) throw errBadArgType(MAP_TYPE, left);
  if (!isJsonMap(right)) throw errBadArgType(MAP_TYPE, right);
  if (!Object.hasOwn(left, mergeKey)) throw errNoMergeKey(left, mergeKey);
  if (!Object.hasOwn(right, mergeKey)) throw errNoMergeKey(right, mergeKey);
  return goEqual(left[mergeKey], right[mergeKey]);
}
