// Walks over a value with its atom, as upstream's typed package does: validation, the field set of a
// value, the comparison of two values, the merge of an applied configuration onto a live object, and the
// removal of a set of fields. Absent (undefined) and null are different things throughout, as in upstream.
import { fieldPE, keyPE, pathToString, peToString, serializePE, valuePE, type KeyField, type PathElement } from './fieldpath.ts';
import { FieldSet } from './fieldset.ts';
import { untypedAtomic, type Atom, type ListAtom, type MapAtom, type ScalarType } from './schema.ts';
import { isMap, kindOf, setOwn, valueEquals } from './value.ts';

/** Upstream's deduceAtom: of an atom that allows several kinds, the one matching the value. */
function deduce(atom: Atom, v: unknown): Atom {
  if (v === undefined) return atom;
  const k = kindOf(v);
  if ((k === 'number' || k === 'string' || k === 'bool') && atom.scalar) return { scalar: atom.scalar };
  if (k === 'list' && atom.list) return { list: atom.list };
  if (k === 'map' && atom.map) return { map: atom.map };
  return atom;
}

function atomEquals(a: Atom, b: Atom): boolean {
  return a.scalar === b.scalar && a.list === b.list && a.map === b.map;
}

function fieldType(m: MapAtom, name: string): Atom {
  // Upstream fails on an undeclared field without an element type; validation reports it first.
  return m.fields.get(name)?.type ?? m.elem ?? untypedAtomic;
}

// ---- list items ----

export class ListItemError extends Error {
  override name = 'ListItemError';
}

/** The element naming a list item: its key fields for a list-map, its value for a set. */
export function listItemPE(list: ListAtom, item: unknown): PathElement {
  if (!list.associative) throw new ListItemError('invalid indexing of non-associative list');
  if (list.keys.length > 0) {
    if (item === null || item === undefined) throw new ListItemError('associative list with keys may not have a null element');
    if (!isMap(item)) throw new ListItemError('associative list with keys may not have non-map elements');
    const fields: KeyField[] = [];
    for (const name of list.keys) {
      if (Object.hasOwn(item, name)) {
        fields.push([name, item[name]]);
        continue;
      }
      const elem = list.elem.map;
      if (!elem) throw new ListItemError(`couldn't find default value for ${name}: associative list may not have non-map types`);
      const def = elem.fields.get(name)?.default;
      if (def !== undefined && def !== null) fields.push([name, def]);
    }
    if (fields.length === 0) {
      throw new ListItemError(
        `associative list with keys has an element that omits all key fields [${list.keys.map((k) => JSON.stringify(k)).join(' ')}] (and doesn't have default values for any key fields)`,
      );
    }
    return keyPE(fields);
  }
  if (isMap(item)) throw new ListItemError("associative list without keys has an element that's a map type");
  if (Array.isArray(item)) throw new ListItemError('not supported: associative list with lists as elements');
  if (item === null || item === undefined) throw new ListItemError("associative list without keys has an element that's an explicit null");
  return valuePE(item);
}

function tryListItemPE(list: ListAtom, item: unknown): PathElement | undefined {
  try {
    return listItemPE(list, item);
  } catch {
    return undefined;
  }
}

// ---- validation ----

function goType(v: unknown): string {
  switch (kindOf(v)) {
    case 'string':
      return 'string';
    case 'number':
      return Number.isInteger(v) ? 'int64' : 'float64';
    case 'bool':
      return 'bool';
    case 'list':
      return '[]interface {}';
    case 'map':
      return 'map[string]interface {}';
    default:
      return '<nil>';
  }
}

// fmt's %v and %#v of a value.Value holding v, as upstream's messages print it.
function goV(v: unknown): string {
  switch (kindOf(v)) {
    case 'null':
      return '<nil>';
    case 'list':
      return `[${(v as unknown[]).map(goV).join(' ')}]`;
    case 'map':
      return `map[${Object.keys(v as object).sort().map((k) => `${k}:${goV((v as Record<string, unknown>)[k])}`).join(' ')}]`;
    default:
      return String(v);
  }
}

function goSharpV(v: unknown): string {
  switch (kindOf(v)) {
    case 'null':
      return 'interface {}(nil)';
    case 'string':
      return JSON.stringify(v);
    case 'list':
      return `[]interface {}{${(v as unknown[]).map(goSharpV).join(', ')}}`;
    case 'map':
      return `map[string]interface {}{${Object.keys(v as object).sort().map((k) => `${JSON.stringify(k)}:${goSharpV((v as Record<string, unknown>)[k])}`).join(', ')}}`;
    default:
      return String(v);
  }
}

function goValue(v: unknown): string {
  return `&{${goV(v)}}`;
}

function scalarError(t: ScalarType, v: unknown, prefix = ''): string | undefined {
  if (v === undefined || v === null) return undefined;
  const k = kindOf(v);
  switch (t) {
    case 'numeric':
      return k === 'number' ? undefined : `${prefix}expected numeric (int or float), got ${goType(v)}`;
    case 'string':
      return k === 'string' ? undefined : `${prefix}expected string, got &value.valueUnstructured{Value:${goSharpV(v)}}`;
    case 'boolean':
      return k === 'bool' ? undefined : `${prefix}expected boolean, got ${goValue(v)}`;
    case 'untyped':
      return k === 'number' || k === 'string' || k === 'bool' ? undefined : `${prefix}expected any scalar, got ${goValue(v)}`;
  }
}

export interface ValidationError {
  path: string;
  message: string;
}

/** upstream's ValidationErrors.Error(). */
export function formatValidationErrors(errs: readonly ValidationError[]): string {
  const one = (e: ValidationError) => (e.path ? `${e.path}: ${e.message}` : e.message);
  if (errs.length === 1) return one(errs[0] as ValidationError);
  return ['errors:', ...errs.map((e) => `  ${one(e)}`)].join('\n');
}

/** Checks a value against its atom: kinds, declared fields, list-map keys and (unless allowed) duplicates. */
export function validate(atom: Atom, v: unknown, allowDuplicates = false): ValidationError[] {
  const errs: ValidationError[] = [];
  validateAt(atom, v, '', allowDuplicates, errs);
  return errs;
}

function validateAt(atom: Atom, v: unknown, path: string, allowDup: boolean, errs: ValidationError[]): void {
  const a = deduce(atom, v);
  if (a.map) {
    if (v === null || v === undefined) return;
    if (!isMap(v)) {
      errs.push({ path, message: `expected map, got ${goValue(v)}` });
      return;
    }
    for (const [k, x] of Object.entries(v)) {
      const sub = `${path}.${k}`;
      const declared = a.map.fields.get(k);
      if (!declared && !a.map.elem) {
        errs.push({ path: sub, message: 'field not declared in schema' });
        return;
      }
      validateAt(declared?.type ?? (a.map.elem as Atom), x, sub, allowDup, errs);
    }
  } else if (a.scalar) {
    const e = scalarError(a.scalar, v);
    if (e) errs.push({ path, message: e });
  } else if (a.list) {
    if (v === null || v === undefined) return;
    if (!Array.isArray(v)) {
      errs.push({ path, message: `expected list, got ${goValue(v)}` });
      return;
    }
    const seen = new FieldSet();
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      let pe: PathElement;
      if (!a.list.associative) pe = { index: i };
      else {
        try {
          pe = listItemPE(a.list, item);
        } catch (err) {
          errs.push({ path, message: `element ${i}: ${(err as Error).message}` });
          return;
        }
        if (seen.hasMember(pe) && !allowDup) errs.push({ path, message: `duplicate entries for key ${peToString(pe)}` });
        seen.insert([pe]);
      }
      validateAt(a.list.elem, item, path + peToString(pe), allowDup, errs);
    }
  } else {
    errs.push({ path, message: 'schema error: invalid atom' });
  }
}

// ---- field sets ----

/** The set of fields a value sets (upstream's ToFieldSet). */
export function toFieldSet(atom: Atom, v: unknown): FieldSet {
  const set = new FieldSet();
  fieldSetAt(atom, v, [], set);
  return set;
}

function fieldSetAt(atom: Atom, v: unknown, path: PathElement[], set: FieldSet): void {
  const a = deduce(atom, v);
  if (a.map) {
    if (a.map.atomic) {
      set.insert(path);
      return;
    }
    if (!isMap(v)) return;
    for (const [k, x] of Object.entries(v)) {
      const p = [...path, fieldPE(k)];
      fieldSetAt(fieldType(a.map, k), x, p, set);
      if (x === null || (isMap(x) && Object.keys(x).length === 0) || !a.map.fields.has(k)) set.insert(p);
    }
  } else if (a.scalar) {
    set.insert(path);
  } else if (a.list) {
    if (!a.list.associative) {
      set.insert(path);
      return;
    }
    if (!Array.isArray(v)) return;
    const list = a.list;
    const pes = v.map((item) => tryListItemPE(list, item));
    const seen = new FieldSet();
    const duplicates = new FieldSet();
    for (const pe of pes) {
      if (!pe) continue;
      if (seen.hasMember(pe)) {
        if (!duplicates.hasMember(pe)) {
          set.insert([...path, pe]);
          duplicates.insert([pe]);
        }
      } else seen.insert([pe]);
    }
    v.forEach((item, i) => {
      const pe = pes[i];
      if (!pe || duplicates.hasMember(pe)) return;
      const p = [...path, pe];
      fieldSetAt(list.elem, item, p, set);
      set.insert(p);
    });
  }
}

/** Adds, as members, the struct fields that only appear as parents in the set (upstream's EnsureNamedFieldsAreMembers). */
export function ensureNamedFieldsAreMembers(set: FieldSet, atom: Atom | undefined): FieldSet {
  const members = set.members();
  const children: Array<{ pe: PathElement; set: FieldSet }> = [];
  const m = atom?.map;
  for (const { pe, set: child } of set.children()) {
    if ('field' in pe && m?.fields.has(pe.field)) members.push(pe);
    let childAtom: Atom | undefined;
    if ('field' in pe && m) childAtom = m.fields.get(pe.field)?.type ?? m.elem;
    else if ('key' in pe && atom?.list) childAtom = atom.list.elem;
    children.push({ pe, set: ensureNamedFieldsAreMembers(child, childAtom) });
  }
  return FieldSet.fromParts(members, children);
}

// ---- comparison ----

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** What changed from `lhs` to `rhs`, by field (upstream's Compare). */
export function compare(atom: Atom, lhs: unknown, rhs: unknown): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  compareAt(atom, lhs, rhs, [], c);
  return c;
}

function compareAt(atom: Atom, lhs: unknown, rhs: unknown, path: PathElement[], c: Comparison): void {
  const state = { inLeaf: false };
  const alhs = deduce(atom, lhs);
  const arhs = deduce(atom, rhs);
  if (rhs === undefined) compareAtom(alhs, lhs, rhs, path, c, state);
  else if (lhs === undefined || atomEquals(alhs, arhs)) compareAtom(arhs, lhs, rhs, path, c, state);
  else {
    compareAtom(alhs, lhs, rhs, path, c, { inLeaf: false });
    compareAtom(arhs, lhs, rhs, path, c, state);
  }
  if (!state.inLeaf) {
    if (lhs === undefined) c.added.insert(path);
    else if (rhs === undefined) c.removed.insert(path);
  }
}

function compareLeaf(lhs: unknown, rhs: unknown, path: PathElement[], c: Comparison, state: { inLeaf: boolean }): void {
  if (state.inLeaf) return;
  state.inLeaf = true;
  if (lhs === undefined) c.added.insert(path);
  else if (rhs === undefined) c.removed.insert(path);
  else if (!valueEquals(rhs, lhs)) c.modified.insert(path);
}

function asList(v: unknown): unknown[] | undefined {
  return Array.isArray(v) ? v : undefined;
}

function asMap(v: unknown): Record<string, unknown> | undefined {
  return isMap(v) ? v : undefined;
}

function compareAtom(a: Atom, lhs: unknown, rhs: unknown, path: PathElement[], c: Comparison, state: { inLeaf: boolean }): void {
  if (a.map) {
    const l = asMap(lhs);
    const r = asMap(rhs);
    const emptyLeaf = (!l || Object.keys(l).length === 0) && (!r || Object.keys(r).length === 0);
    if (a.map.atomic || emptyLeaf) {
      compareLeaf(lhs, rhs, path, c, state);
      return;
    }
    const keys = new Set([...Object.keys(l ?? {}), ...Object.keys(r ?? {})]);
    for (const k of keys) compareAt(fieldType(a.map, k), l?.[k], r?.[k], [...path, fieldPE(k)], c);
  } else if (a.scalar) {
    if (scalarError(a.scalar, lhs) && scalarError(a.scalar, rhs)) return;
    compareLeaf(lhs, rhs, path, c, state);
  } else if (a.list) {
    const l = asList(lhs);
    const r = asList(rhs);
    const emptyLeaf = (!l || l.length === 0) && (!r || r.length === 0);
    if (!a.list.associative || emptyLeaf) {
      compareLeaf(lhs, rhs, path, c, state);
      return;
    }
    compareListItems(a.list, l ?? [], r ?? [], path, c);
  }
}

function compareListItems(list: ListAtom, lhs: unknown[], rhs: unknown[], path: PathElement[], c: Comparison): void {
  const order: PathElement[] = [];
  const lValues = new Map<string, unknown[]>();
  const rValues = new Map<string, unknown[]>();
  const keyOf = serializePE;
  for (const item of lhs) {
    const pe = tryListItemPE(list, item);
    if (!pe) continue;
    const k = keyOf(pe);
    const seen = lValues.get(k);
    if (seen) seen.push(item);
    else {
      lValues.set(k, [item]);
      order.push(pe);
    }
  }
  for (const item of rhs) {
    const pe = tryListItemPE(list, item);
    if (!pe) continue;
    const k = keyOf(pe);
    const seen = rValues.get(k);
    if (seen) seen.push(item);
    else {
      rValues.set(k, [item]);
      if (!lValues.has(k)) order.push(pe);
    }
  }
  for (const pe of order) {
    const l = lValues.get(keyOf(pe)) ?? [];
    const r = rValues.get(keyOf(pe)) ?? [];
    const p = [...path, pe];
    if (l.length <= 1 && r.length <= 1) compareAt(list.elem, l[0], r[0], p, c);
    else if (l.length >= 2 && r.length >= 2) {
      if (l.length !== r.length || !l.every((x, i) => valueEquals(x, r[i]))) c.modified.insert(p);
    } else if (l.length >= 2) {
      if (r.length > 0) compareAt(list.elem, undefined, r[0], p, c);
      c.removed.insert(p);
    } else {
      if (l.length > 0) compareAt(list.elem, l[0], undefined, p, c);
      c.added.insert(p);
    }
  }
}

// ---- merge ----

export class MergeError extends Error {
  override name = 'MergeError';
}

/** `rhs` merged onto `lhs` (upstream's Merge with "keep the right-hand side"); undefined when neither has a value. */
export function merge(atom: Atom, lhs: unknown, rhs: unknown): unknown {
  return mergeAt(atom, lhs, rhs, []);
}

function mergeAt(atom: Atom, lhs: unknown, rhs: unknown, path: PathElement[]): unknown {
  if (lhs === undefined && rhs === undefined) return undefined;
  const a = rhs === undefined ? deduce(atom, lhs) : deduce(atom, rhs);
  const keepRHS = () => (rhs !== undefined ? rhs : lhs);
  if (a.map) {
    const l = asMap(lhs);
    const r = asMap(rhs);
    const emptyLeaf = (!l || Object.keys(l).length === 0) && (!r || Object.keys(r).length === 0);
    if (a.map.atomic || emptyLeaf) return keepRHS();
    const out: Record<string, unknown> = {};
    const keys = new Set([...Object.keys(l ?? {}), ...Object.keys(r ?? {})]);
    for (const k of keys) {
      const v = mergeAt(fieldType(a.map, k), l?.[k], r?.[k], [...path, fieldPE(k)]);
      if (v !== undefined) setOwn(out, k, v);
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (a.scalar) return keepRHS();
  if (a.list) {
    const l = asList(lhs);
    const r = asList(rhs);
    const emptyLeaf = (!l || l.length === 0) && (!r || r.length === 0);
    if (!a.list.associative || emptyLeaf) return keepRHS();
    const out = mergeListItems(a.list, l ?? [], r ?? [], path);
    return out.length > 0 ? out : undefined;
  }
  return keepRHS();
}

interface Indexed {
  pes: PathElement[];
  observed: Map<string, unknown>;
}

function indexItems(list: ListAtom, items: unknown[], allowDuplicates: boolean, path: PathElement[]): Indexed {
  const pes: PathElement[] = [];
  const observed = new Map<string, unknown>();
  items.forEach((item, i) => {
    let pe: PathElement;
    try {
      pe = listItemPE(list, item);
    } catch (err) {
      throw new MergeError(`${pathToString(path)}: element ${i}: ${(err as Error).message}`);
    }
    const k = serializePE(pe);
    if (observed.has(k)) {
      if (!allowDuplicates) throw new MergeError(`${pathToString(path)}: duplicate entries for key ${peToString(pe)}`);
      observed.set(k, null);
    } else observed.set(k, item);
    pes.push(pe);
  });
  return { pes, observed };
}

// The order of the result: the live order, with the applied items placed where the configuration puts
// them relative to the items both have (upstream's visitListItems).
function mergeListItems(list: ListAtom, lhs: unknown[], rhs: unknown[], path: PathElement[]): unknown[] {
  const out: unknown[] = [];
  const R = indexItems(list, rhs, false, path);
  const L = indexItems(list, lhs, true, path);
  const k = serializePE;
  const shared = R.pes.filter((pe) => L.observed.has(k(pe)));
  let next: PathElement | undefined = shared.shift();
  const mergedRHS = new Set<string>();
  const push = (pe: PathElement, l: unknown, r: unknown) => {
    const v = mergeAt(list.elem, l, r, [...path, pe]);
    if (v !== undefined) out.push(v);
  };
  let lI = 0;
  let rI = 0;
  while (lI < L.pes.length || rI < R.pes.length) {
    if (lI < L.pes.length && rI < R.pes.length) {
      const pe = L.pes[lI] as PathElement;
      if (k(pe) === k(R.pes[rI] as PathElement)) {
        mergedRHS.add(k(pe));
        push(pe, L.observed.get(k(pe)), R.observed.get(k(pe)));
        lI++;
        rI++;
        next = shared.shift();
        continue;
      }
      if (R.observed.has(k(pe)) && next !== undefined && k(next) !== k(pe)) {
        lI++;
        continue;
      }
    }
    if (lI < L.pes.length) {
      const pe = L.pes[lI] as PathElement;
      if (!R.observed.has(k(pe))) {
        push(pe, lhs[lI], undefined);
        lI++;
        continue;
      } else if (mergedRHS.has(k(pe))) lI++;
    }
    if (rI < R.pes.length) {
      const pe = R.pes[rI] as PathElement;
      mergedRHS.add(k(pe));
      push(pe, L.observed.has(k(pe)) ? L.observed.get(k(pe)) : undefined, R.observed.get(k(pe)));
      rI++;
      if (next !== undefined && k(next) === k(pe)) next = shared.shift();
    }
  }
  return out;
}

// ---- removal ----

/** A copy of `v` without the fields in `set` (upstream's RemoveItems); a map or list left empty becomes null. */
export function removeItems(atom: Atom, v: unknown, set: FieldSet): unknown {
  const a = deduce(atom, v);
  if (a.map) {
    if (!isMap(v) || Object.keys(v).length === 0 || a.map.atomic) return null;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const pe = fieldPE(k);
      if (set.hasMember(pe)) continue;
      const sub = set.withPrefix(pe);
      setOwn(out, k, sub.empty ? x : removeItems(fieldType(a.map, k), x, sub));
    }
    return Object.keys(out).length > 0 ? out : null;
  }
  if (a.scalar) return v === undefined ? null : v;
  if (a.list) {
    if (!Array.isArray(v) || v.length === 0 || !a.list.associative) return null;
    const out: unknown[] = [];
    for (const item of v) {
      const pe = tryListItemPE(a.list, item);
      if (pe && set.hasMember(pe)) continue;
      const sub = pe ? set.withPrefix(pe) : new FieldSet();
      out.push(sub.empty ? item : removeItems(a.list.elem, item, sub));
    }
    return out.length > 0 ? out : null;
  }
  return null;
}

