// Skiff's API schema: every struct of the built-in API groups, as data (src/api/schema/types.json).
//
// The data was extracted from the Go type declarations of k8s.io/api, k8s.io/apimachinery and
// k8s.io/apiextensions-apiserver at v0.35.7 (the release Skiff serves). It is keyed by OpenAPI-style
// fully qualified names ("io.k8s.api.apps.v1.Deployment", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"):
//
//   { "<fq type name>": {
//       "gvk"?: { "group", "version", "kind" },      // registered kinds only (list and option kinds too)
//       "structType"?: "atomic",                      // +structType marker (server-side apply)
//       "json"?: "schemaOrArray" | "schemaOrBool" | "schemaOrStringArray",  // custom JSON form (CRD schemas)
//       "fields": { "<jsonName>": FieldSchema, … } } }
//
// Fields are in Go declaration order, which is also the order Go's JSON encoder writes them. An
// embedded struct that Go's JSON inlines (TypeMeta, Volume's VolumeSource, Probe's ProbeHandler …)
// is keyed by its Go type name and carries `inline: true`; its own fields appear at the parent's level.
// See FieldSchema for what each field records. Loading is lazy: nothing is read until first use.
import { readFileSync } from 'node:fs';

/** Types with their own JSON and protobuf forms. Every other string TypeRef is a fq struct name. */
export type SpecialType =
  | 'string'
  | 'int32'
  | 'int64'
  | 'bool'
  | 'double'
  | 'bytes' // []byte: base64 string in JSON, bytes in protobuf
  | 'quantity' // resource.Quantity: "100m"; protobuf {1: string}
  | 'int-or-string' // intstr.IntOrString: 80 or "http"; protobuf {1: type, 2: intVal, 3: strVal}
  | 'time' // meta.v1.Time: RFC3339 seconds; protobuf {1: seconds, 2: nanos}
  | 'microtime' // meta.v1.MicroTime: RFC3339 with 6 fractional digits; protobuf as time
  | 'duration' // meta.v1.Duration: Go duration string "1m30s"; protobuf {1: nanoseconds}
  | 'raw' // runtime.RawExtension / apiextensions JSON: any JSON; protobuf {1: raw JSON bytes}
  | 'fieldsV1'; // meta.v1.FieldsV1: any JSON (managed fields set); protobuf {1: raw JSON bytes}

export const SPECIAL_TYPES: ReadonlySet<string> = new Set<SpecialType>([
  'string', 'int32', 'int64', 'bool', 'double', 'bytes', 'quantity', 'int-or-string', 'time', 'microtime', 'duration', 'raw', 'fieldsV1',
]);

/** A list. `wrapped`: in protobuf the list travels as a message whose field 1 repeats the items (gogo's nullable named slices, e.g. ExtraValue). */
export interface ListRef {
  list: TypeRef;
  wrapped?: true;
}
/** A map with string keys; in protobuf, repeated entry messages {1: key, 2: value}. */
export interface MapRef {
  map: TypeRef;
}
export type TypeRef = SpecialType | (string & {}) | ListRef | MapRef;

export interface FieldSchema {
  type: TypeRef;
  /** Protobuf field number; absent for fields that are not on the wire (TypeMeta inlined into kinds). */
  proto?: number;
  /** The Go field is a pointer: nil means absent, and a zero value is still written. */
  ptr?: true;
  /** The json tag has omitempty. */
  omitempty?: true;
  /** Embedded struct whose fields Go's JSON promotes into the parent. */
  inline?: true;
  patchStrategy?: 'merge' | 'retainKeys' | 'merge,retainKeys' | 'replace';
  patchMergeKey?: string;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  mapType?: 'atomic' | 'granular';
  /** Required in OpenAPI terms: +required, or neither +optional nor omitempty. */
  required?: true;
  /** The +default marker's value. */
  default?: unknown;
  /** Go's name of the field's type (pointer stripped) when it is a named type, e.g. "v1.Protocol"; used in decode error messages. */
  goType?: string;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface TypeSchema {
  gvk?: GroupVersionKind;
  structType?: 'atomic' | 'granular';
  json?: 'schemaOrArray' | 'schemaOrBool' | 'schemaOrStringArray';
  fields: Record<string, FieldSchema>;
}

export type SchemaData = Record<string, TypeSchema>;

/** A field as it appears in JSON, with inline structs flattened. */
export interface JsonField extends FieldSchema {
  name: string;
}

export const META_V1 = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** meta/v1 kinds that every group version accepts (client-go registers them in each). */
const META_KINDS_IN_EVERY_VERSION = new Set([
  'DeleteOptions', 'ListOptions', 'GetOptions', 'CreateOptions', 'UpdateOptions', 'PatchOptions', 'Status', 'WatchEvent',
]);

let data: SchemaData | undefined;
let gvkIndex: Map<string, string> | undefined;
const flatCache = new Map<string, ReadonlyMap<string, JsonField>>();

function schema(): SchemaData {
  data ??= JSON.parse(readFileSync(new URL('./schema/types.json', import.meta.url), 'utf8')) as SchemaData;
  return data;
}

/** The whole schema (read-only). */
export function allTypes(): Readonly<SchemaData> {
  return schema();
}

export function schemaType(fq: string): TypeSchema | undefined {
  return Object.hasOwn(schema(), fq) ? schema()[fq] : undefined;
}

/** The fq type name registered for a group/version/kind ("" group for core). */
export function typeForGVK(group: string, version: string, kind: string): string | undefined {
  if (!gvkIndex) {
    gvkIndex = new Map();
    for (const [fq, t] of Object.entries(schema())) {
      if (t.gvk) gvkIndex.set(`${t.gvk.group}/${t.gvk.version}/${t.gvk.kind}`, fq);
    }
  }
  const found = gvkIndex.get(`${group}/${version}/${kind}`);
  if (found) return found;
  if (META_KINDS_IN_EVERY_VERSION.has(kind)) return `${META_V1}.${kind}`;
  return undefined;
}

/** Splits "apps/v1" → ["apps", "v1"], "v1" → ["", "v1"]. */
export function parseAPIVersion(apiVersion: string): [group: string, version: string] {
  const i = apiVersion.indexOf('/');
  return i < 0 ? ['', apiVersion] : [apiVersion.slice(0, i), apiVersion.slice(i + 1)];
}

/** The fields of a struct as JSON sees them: inline structs flattened, in Go's output order. */
export function jsonFields(fq: string): ReadonlyMap<string, JsonField> {
  let out = flatCache.get(fq);
  if (out) return out;
  const t = schemaType(fq);
  if (!t) throw new Error(`unknown schema type ${fq}`);
  const fields = new Map<string, JsonField>();
  for (const [name, f] of Object.entries(t.fields)) {
    if (f.inline && typeof f.type === 'string' && schemaType(f.type)) {
      for (const [n, inner] of jsonFields(f.type)) if (!fields.has(n)) fields.set(n, inner);
    } else {
      fields.set(name, { ...f, name });
    }
  }
  out = fields;
  flatCache.set(fq, out);
  return out;
}

/** One JSON field of a struct (inline structs searched), or undefined. */
export function jsonField(fq: string, name: string): JsonField | undefined {
  return jsonFields(fq).get(name);
}

export function isListRef(ref: TypeRef): ref is ListRef {
  return typeof ref === 'object' && 'list' in ref;
}

export function isMapRef(ref: TypeRef): ref is MapRef {
  return typeof ref === 'object' && 'map' in ref;
}

/** A fq struct name (as opposed to a special type, list or map). */
export function isStructRef(ref: TypeRef): ref is string {
  return typeof ref === 'string' && !SPECIAL_TYPES.has(ref);
}

/**
 * The type at a JSON path below a struct, e.g. typeAtPath("io.k8s.api.apps.v1.Deployment",
 * ["spec", "template", "spec", "containers"]) → { list: "io.k8s.api.core.v1.Container" }.
 * Numeric segments step into lists; any other segment steps into a map's values or a struct's field.
 */
export function typeAtPath(fq: string, path: readonly (string | number)[]): TypeRef | undefined {
  let ref: TypeRef = fq;
  for (const seg of path) {
    if (isListRef(ref)) {
      if (typeof seg !== 'number') return undefined;
      ref = ref.list;
    } else if (isMapRef(ref)) {
      ref = ref.map;
    } else if (isStructRef(ref)) {
      const f = jsonField(ref, String(seg));
      if (!f) return undefined;
      ref = f.type;
    } else {
      return undefined;
    }
  }
  return ref;
}

/** The field at a JSON path (the last segment names the field), e.g. ["spec", "template", "spec", "containers"]. */
export function fieldAtPath(fq: string, path: readonly (string | number)[]): JsonField | undefined {
  if (path.length === 0) return undefined;
  const parent = typeAtPath(fq, path.slice(0, -1));
  if (parent === undefined || !isStructRef(parent)) return undefined;
  return jsonField(parent, String(path[path.length - 1]));
}
