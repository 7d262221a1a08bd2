// An object as kube-apiserver's field manager sees a decoded Go object: every field Go would write is
// there, including zero values (`resources: {}`, `selector: null`, `containers: null` in an empty
// Deployment), and the omitempty fields holding their zero value are gone. Ownership depends on this: a
// field that is null before a write is "modified" by it, one that is absent is "added" (and its parent
// with it, which FieldsV1 shows as "."). Fields the type does not declare are dropped, as decoding does.
import { isListRef, isMapRef, isStructRef, jsonFields, META_V1, schemaType, type JsonField, type TypeRef } from '../../api/schema.ts';
import { cloneValue, isMap, setOwn } from './value.ts';

const OMIT = Symbol('omit');

// Go structs among the special types; they are never left out by omitempty.
const STRUCT_SPECIALS = new Set(['quantity', 'int-or-string', 'time', 'microtime', 'duration', 'raw', 'fieldsV1']);

function zeroOfSpecial(ref: string): unknown {
  switch (ref) {
    case 'quantity':
      return '0';
    case 'int-or-string':
      return 0;
    case 'duration':
      return '0s';
    case 'string':
      return '';
    case 'int32':
    case 'int64':
    case 'double':
      return 0;
    case 'bool':
      return false;
    default:
      return null; // time, microtime, raw, fieldsV1, bytes
  }
}

function zeroFor(owner: string, f: JsonField): unknown {
  // metadata.creationTimestamp is omitzero (k8s 1.34+): a zero time is left out.
  if (owner === `${META_V1}.ObjectMeta` && f.name === 'creationTimestamp') return OMIT;
  if (f.ptr || isListRef(f.type) || isMapRef(f.type)) return f.omitempty ? OMIT : null;
  if (typeof f.type === 'string' && isStructRef(f.type)) return zeroStruct(f.type);
  if (typeof f.type === 'string' && STRUCT_SPECIALS.has(f.type)) return zeroOfSpecial(f.type);
  if (f.omitempty) return OMIT;
  return zeroOfSpecial(f.type as string);
}

// The Go view of an absent struct depends on its type only: made once per type, handed out as a copy.
const zeroStructs = new Map<string, Record<string, unknown>>();

function zeroStruct(fq: string): Record<string, unknown> {
  let z = zeroStructs.get(fq);
  if (!z) {
    z = goViewStruct(fq, {});
    zeroStructs.set(fq, z);
  }
  return cloneValue(z);
}

function isEmptyForOmit(v: unknown, f: JsonField): boolean {
  if (v === null) return true;
  if (f.ptr) return false;
  if (typeof f.type === 'string' && (isStructRef(f.type) || STRUCT_SPECIALS.has(f.type))) return false;
  if (Array.isArray(v)) return v.length === 0;
  if (isMap(v)) return Object.keys(v).length === 0;
  return v === '' || v === 0 || v === false;
}

function goViewValue(ref: TypeRef, v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (isListRef(ref)) return Array.isArray(v) ? v.map((x) => goViewValue(ref.list, x)) : v;
  if (isMapRef(ref)) {
    if (!isMap(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) setOwn(out, k, goViewValue(ref.map, x));
    return out;
  }
  if (typeof ref === 'string' && isStructRef(ref) && isMap(v) && schemaType(ref) && !schemaType(ref)?.json) return goViewStruct(ref, v);
  return v;
}

function goViewStruct(fq: string, v: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = jsonFields(fq);
  for (const [name, f] of fields) {
    if (Object.hasOwn(v, name) && v[name] !== undefined) {
      const x = v[name];
      if (f.omitempty && isEmptyForOmit(x, f)) continue;
      if (x === null) {
        // Go decodes null as the field's zero value.
        const z = zeroFor(fq, f);
        if (z !== OMIT) setOwn(out, name, z);
        continue;
      }
      setOwn(out, name, goViewValue(f.type, x));
    } else {
      const z = zeroFor(fq, f);
      if (z !== OMIT) setOwn(out, name, z);
    }
  }
  // Fields the Go type does not declare do not survive decoding.
  return out;
}

/** A copy of `obj` (of Skiff schema type `fq`) as the Go object it decodes to would be written. */
export function goView(fq: string, obj: unknown): Record<string, unknown> {
  return goViewStruct(fq, isMap(obj) ? obj : {});
}
