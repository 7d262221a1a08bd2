// Go's JSON round trip, applied to stored objects: what kube-apiserver writes after decoding into Go types.
// An omitempty field holding its zero value (false, 0, "", an empty list or map) is left out, and so is a
// null; pointers keep zero values; structs are never left out. Unknown fields are not touched here.
import { isListRef, isMapRef, isStructRef, jsonFields, schemaType, type TypeRef } from './schema.ts';

function isEmpty(v: unknown, ref: TypeRef): boolean {
  if (v === null || v === undefined) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isStructRef(ref)) return false; // Go never omits a struct value
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return v === false || v === 0 || v === '';
}

function normalizeValue(v: unknown, ref: TypeRef): void {
  if (v === null || typeof v !== 'object') return;
  if (isListRef(ref)) {
    if (Array.isArray(v)) for (const item of v) normalizeValue(item, ref.list);
  } else if (isMapRef(ref)) {
    if (!Array.isArray(v)) for (const item of Object.values(v)) normalizeValue(item, ref.map);
  } else if (isStructRef(ref) && !Array.isArray(v) && schemaType(ref)) {
    normalizeObject(ref, v as Record<string, unknown>);
  }
}

/** Drop what Go's encoder would not write, in place, for an object of the given schema type. */
export function normalizeObject(typeName: string, obj: Record<string, unknown>): void {
  const fields = jsonFields(typeName);
  for (const [name, value] of Object.entries(obj)) {
    const f = fields.get(name);
    if (!f) continue;
    if (value === null || (f.omitempty && !f.ptr && isEmpty(value, f.type))) {
      delete obj[name];
      continue;
    }
    normalizeValue(value, f.type);
  }
}
