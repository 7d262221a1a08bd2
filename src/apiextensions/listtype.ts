// Uniqueness in lists typed x-kubernetes-list-type set (whole items) and map (the list-map keys), as
// apiextensions-apiserver pkg/apiserver/schema/listtype reports it: one Duplicate per value, at the
// index where it first repeats.
import type { FieldError } from '../api/types.ts';
import { fieldError } from '../api/validation.ts';
import { goMarshal } from './gofmt.ts';
import { additionalPropertiesOf, hasOwn, isObj, itemsOf, property, type JSONSchemaProps, type Obj } from './jsonschema.ts';

export function validateListSetsAndMaps(schema: JSONSchemaProps | undefined, obj: Obj, path = ''): FieldError[] {
  if (!schema) return [];
  const errs: FieldError[] = [];
  const ap = additionalPropertiesOf(schema)?.schema;
  if (ap) for (const [k, v] of Object.entries(obj)) errs.push(...check(ap, v, `${path}[${k}]`));
  for (const [k, v] of Object.entries(obj)) {
    const sub = property(schema, k);
    if (sub) errs.push(...check(sub, v, path === '' ? k : `${path}.${k}`));
  }
  return errs;
}

function check(s: JSONSchemaProps, v: unknown, path: string): FieldError[] {
  if (Array.isArray(v)) return checkArray(s, v, path);
  if (isObj(v)) return validateListSetsAndMaps(s, v, path);
  return [];
}

function checkArray(s: JSONSchemaProps, list: unknown[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const listType = s['x-kubernetes-list-type'];
  if (listType === 'set') {
    for (const i of repeatedIndices(list)) errs.push(fieldError.duplicate(`${path}[${i}]`, list[i]));
  } else if (listType === 'map') {
    errs.push(...checkListMap(s, list, path));
  }
  const items = itemsOf(s);
  if (items) list.forEach((v, i) => errs.push(...check(items, v, `${path}[${i}]`)));
  return errs;
}

/** Indices where a value is seen for the second time (compound values compare as JSON with sorted keys). */
function repeatedIndices(list: unknown[]): number[] {
  const seen = new Map<string, number>();
  const out: number[] = [];
  list.forEach((x, i) => {
    const id = typeof x === 'object' && x !== null ? `c${goMarshal(x)}` : `s${typeof x}:${String(x)}`;
    const times = seen.get(id) ?? 0;
    seen.set(id, times + 1);
    if (times === 1) out.push(i);
  });
  return out;
}

const UNSPECIFIED = Symbol('unspecified');

function checkListMap(s: JSONSchemaProps, list: unknown[], path: string): FieldError[] {
  const badIndex = list.findIndex((x) => x !== null && !isObj(x));
  if (badIndex >= 0) return [fieldError.invalid(`${path}[${badIndex}]`, list[badIndex], 'must be an object for an array of list-type map')];
  if (list.length <= 1) return [];
  const keyFields = s['x-kubernetes-list-map-keys'] ?? [];
  if (keyFields.length === 1) {
    const keyField = keyFields[0]!;
    const keys = list.map((x) => (isObj(x) && hasOwn(x, keyField) ? x[keyField] : UNSPECIFIED));
    const ids = keys.map((k) => (k === UNSPECIFIED ? { u: true } : k));
    return repeatedIndices(ids).map((i) => fieldError.duplicate(`${path}[${i}]`, keys[i] === UNSPECIFIED ? {} : { [keyField]: keys[i] }));
  }
  const keys = list.map((x) => {
    const key: Obj = {};
    if (isObj(x)) for (const k of [...keyFields].sort()) if (hasOwn(x, k)) key[k] = x[k];
    return key;
  });
  return repeatedIndices(keys).map((i) => fieldError.duplicate(`${path}[${i}]`, keys[i]));
}
