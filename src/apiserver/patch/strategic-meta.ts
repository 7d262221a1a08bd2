// Patch metadata for strategic merge patch: the patch strategy, merge key and type of each field,
// looked up the way upstream's PatchMetaFromStruct walks the Go types (the API server applies SMP
// against the Go struct, not against OpenAPI), here over Skiff's schema.
import { isListRef, isMapRef, jsonFields, schemaType } from '../../api/schema.ts';
import type { JsonField, TypeRef } from '../../api/schema.ts';
import { failure } from './strategic-errors.ts';
import { goQuote } from './strategic-gofmt.ts';

/** Where the struct fields come from; Skiff's schema by default, tests bring their own. */
export interface PatchSchema {
  /** The JSON fields of a struct type (inline structs flattened), or undefined when the type is unknown. */
  fields(fq: string): ReadonlyMap<string, JsonField> | undefined;
}

export const skiffPatchSchema: PatchSchema = {
  fields: (fq) => (schemaType(fq) ? jsonFields(fq) : undefined),
};

/** A position in the Go types: the type, and whether it was reached through a pointer field. */
export interface MetaNode {
  ref: TypeRef | 'uint8';
  goType?: string | undefined;
  ptr?: boolean | undefined;
}

export interface FieldPatchMeta {
  node: MetaNode;
  /** The patchStrategy tag split on ",": [""] when there is none, as Go's strings.Split gives. */
  strategies: string[];
  mergeKey: string;
}

const SCALAR_KINDS: Record<string, string> = {
  string: 'string',
  int32: 'int32',
  int64: 'int64',
  bool: 'bool',
  double: 'float64',
  bytes: 'slice',
  uint8: 'uint8',
};

/** Go struct names of the special types (all Go structs), used in "unable to find api field" errors. */
const SPECIAL_STRUCT_NAMES: Record<string, string> = {
  quantity: 'Quantity',
  'int-or-string': 'IntOrString',
  time: 'Time',
  microtime: 'MicroTime',
  duration: 'Duration',
  raw: 'RawExtension',
  fieldsV1: 'FieldsV1',
};

/** reflect.Kind of the type, pointers dereferenced. */
export function nodeKind(node: MetaNode): string {
  const { ref } = node;
  if (typeof ref === 'object') return isListRef(ref) ? 'slice' : isMapRef(ref) ? 'map' : 'struct';
  return SCALAR_KINDS[ref] ?? 'struct';
}

/** reflect.Type.Kind() without dereferencing: "ptr" for a node reached through a pointer field. */
export function outerKind(node: MetaNode): string {
  return node.ptr ? 'ptr' : nodeKind(node);
}

function structName(node: MetaNode): string {
  const { ref } = node;
  if (typeof ref !== 'string') return '';
  if (node.goType) return node.goType.slice(node.goType.lastIndexOf('.') + 1);
  if (Object.hasOwn(SPECIAL_STRUCT_NAMES, ref)) return SPECIAL_STRUCT_NAMES[ref] ?? ref;
  return ref.slice(ref.lastIndexOf('.') + 1);
}

function findField(fields: ReadonlyMap<string, JsonField>, key: string): JsonField | undefined {
  const exact = fields.get(key);
  if (exact) return exact;
  // Go's JSON field matching falls back to the first case-insensitive match.
  const folded = key.toLowerCase();
  for (const [name, f] of fields) if (name.toLowerCase() === folded) return f;
  return undefined;
}

/** The field `key` of the struct at `node` (LookupPatchMetadataForStruct). */
export function lookupStructField(schema: PatchSchema, node: MetaNode, key: string): FieldPatchMeta {
  const kind = nodeKind(node);
  if (kind !== 'struct') throw failure(`merging an object in json but data type is not struct, instead is: ${kind}`);
  const fields = typeof node.ref === 'string' ? schema.fields(node.ref) : undefined;
  const f = fields ? findField(fields, key) : undefined;
  if (!f) throw failure(`unable to find api field in struct ${structName(node)} for the json field ${goQuote(key)}`);
  return {
    node: { ref: f.type, goType: f.goType, ptr: f.ptr },
    strategies: (f.patchStrategy ?? '').split(','),
    mergeKey: f.patchMergeKey ?? '',
  };
}

/** The field `key` of the struct at `node`, with `node` set to the list's element type (LookupPatchMetadataForSlice). */
export function lookupSliceField(schema: PatchSchema, node: MetaNode, key: string): FieldPatchMeta {
  const meta = lookupStructField(schema, node, key);
  const { ref, ptr } = meta.node;
  if (typeof ref === 'object' && isListRef(ref)) {
    if ((typeof ref.list === 'object' && isListRef(ref.list)) || ref.list === 'bytes') throw failure('unexpected slice of slice');
    return { ...meta, node: { ref: ref.list } };
  }
  if (ref === 'bytes') return { ...meta, node: { ref: 'uint8' } };
  // A pointer field stands for its target, so a *Struct field may hold a list of that struct.
  if (ptr) return { ...meta, node: { ref, goType: meta.node.goType } };
  throw failure(`expected slice or array type, but got: ${outerKind(node)}`);
}
