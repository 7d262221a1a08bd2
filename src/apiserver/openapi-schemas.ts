// OpenAPI v3 component schemas generated from Skiff's schema (src/api/schema/types.json), with the field and
// type descriptions of src/api/schema/descriptions.json, in the shapes upstream's openapi-gen and kube-openapi
// builder3 produce: struct fields as `allOf: [{$ref}]` with description and default beside it, the list/map/patch
// extensions kubectl's explain and strategic-merge-patch lookups read, and the hand-written JSON types by name.
import { readFileSync } from 'node:fs';
import {
  META_V1,
  isListRef,
  isMapRef,
  schemaType,
  SPECIAL_TYPES,
  type FieldSchema,
  type GroupVersionKind,
  type TypeRef,
  type TypeSchema,
} from '../api/schema.ts';

export type OpenAPISchema = Record<string, unknown>;

export const SCHEMA_REF_PREFIX = '#/components/schemas/';

const APIEXTENSIONS_JSON = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON';
const VERSION_INFO = 'io.k8s.apimachinery.pkg.version.Info';

/** Component names of the types with hand-written JSON forms. */
const SPECIAL_NAMES: Readonly<Record<string, string>> = {
  quantity: 'io.k8s.apimachinery.pkg.api.resource.Quantity',
  'int-or-string': 'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
  time: `${META_V1}.Time`,
  microtime: `${META_V1}.MicroTime`,
  duration: `${META_V1}.Duration`,
  raw: 'io.k8s.apimachinery.pkg.runtime.RawExtension',
  fieldsV1: `${META_V1}.FieldsV1`,
};

/** The component schemas of those types (their own JSON forms), description added later. */
const SPECIAL_SCHEMAS: Readonly<Record<string, OpenAPISchema>> = {
  [SPECIAL_NAMES['quantity']!]: { oneOf: [{ type: 'string' }, { type: 'number' }] },
  [SPECIAL_NAMES['int-or-string']!]: { format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] },
  [SPECIAL_NAMES['time']!]: { type: 'string', format: 'date-time' },
  [SPECIAL_NAMES['microtime']!]: { type: 'string', format: 'date-time' },
  [SPECIAL_NAMES['duration']!]: { type: 'string' },
  [SPECIAL_NAMES['raw']!]: { type: 'object' },
  [SPECIAL_NAMES['fieldsV1']!]: { type: 'object' },
  [APIEXTENSIONS_JSON]: {},
  [`${META_V1}.Patch`]: { type: 'object' },
};

const SCALARS: Readonly<Record<string, { type: string; format?: string; zero: unknown }>> = {
  string: { type: 'string', zero: '' },
  bool: { type: 'boolean', zero: false },
  int32: { type: 'integer', format: 'int32', zero: 0 },
  int64: { type: 'integer', format: 'int64', zero: 0 },
  double: { type: 'number', format: 'double', zero: 0 },
};

const TYPE_META = `${META_V1}.TypeMeta`;
const typeMeta: FieldSchema = { type: TYPE_META, inline: true };
const str = (extra: Partial<FieldSchema> = {}): FieldSchema => ({ type: 'string', ...extra });
const gvk = (kind: string): GroupVersionKind => ({ group: '', version: 'v1', kind });

/** Types the documents name that Skiff's schema has no use for: discovery documents and /version. */
const EXTRA_TYPES: Readonly<Record<string, TypeSchema>> = {
  [`${META_V1}.APIVersions`]: {
    gvk: gvk('APIVersions'),
    fields: {
      TypeMeta: typeMeta,
      versions: { type: { list: 'string' }, required: true },
      serverAddressByClientCIDRs: { type: { list: `${META_V1}.ServerAddressByClientCIDR` }, required: true },
    },
  },
  [`${META_V1}.APIGroupList`]: {
    gvk: gvk('APIGroupList'),
    fields: { TypeMeta: typeMeta, groups: { type: { list: `${META_V1}.APIGroup` }, required: true } },
  },
  [`${META_V1}.APIGroup`]: {
    gvk: gvk('APIGroup'),
    fields: {
      TypeMeta: typeMeta,
      name: str({ required: true }),
      versions: { type: { list: `${META_V1}.GroupVersionForDiscovery` }, required: true },
      preferredVersion: { type: `${META_V1}.GroupVersionForDiscovery`, omitempty: true },
      serverAddressByClientCIDRs: { type: { list: `${META_V1}.ServerAddressByClientCIDR` }, omitempty: true },
    },
  },
  [`${META_V1}.GroupVersionForDiscovery`]: { fields: { groupVersion: str({ required: true }), version: str({ required: true }) } },
  [`${META_V1}.ServerAddressByClientCIDR`]: { fields: { clientCIDR: str({ required: true }), serverAddress: str({ required: true }) } },
  [`${META_V1}.APIResourceList`]: {
    gvk: gvk('APIResourceList'),
    fields: { TypeMeta: typeMeta, groupVersion: str({ required: true }), resources: { type: { list: `${META_V1}.APIResource` }, required: true, listType: 'atomic' } },
  },
  [`${META_V1}.APIResource`]: {
    fields: {
      name: str({ required: true }),
      singularName: str({ required: true }),
      namespaced: { type: 'bool', required: true },
      group: str({ omitempty: true }),
      version: str({ omitempty: true }),
      kind: str({ required: true }),
      verbs: { type: { list: 'string' }, required: true },
      shortNames: { type: { list: 'string' }, omitempty: true, listType: 'atomic' },
      categories: { type: { list: 'string' }, omitempty: true, listType: 'atomic' },
      storageVersionHash: str({ omitempty: true }),
    },
  },
  [VERSION_INFO]: {
    fields: Object.fromEntries(
      [
        ['major', true],
        ['minor', true],
        ['emulationMajor', false],
        ['emulationMinor', false],
        ['minCompatibilityMajor', false],
        ['minCompatibilityMinor', false],
        ['gitVersion', true],
        ['gitCommit', true],
        ['gitTreeState', true],
        ['buildDate', true],
        ['goVersion', true],
        ['compiler', true],
        ['platform', true],
      ].map(([name, required]) => [name as string, required ? str({ required: true }) : str({ omitempty: true })]),
    ),
  },
};

export const TYPE_NAMES = {
  deleteOptions: `${META_V1}.DeleteOptions`,
  status: `${META_V1}.Status`,
  watchEvent: `${META_V1}.WatchEvent`,
  patch: `${META_V1}.Patch`,
  apiResourceList: `${META_V1}.APIResourceList`,
  apiGroup: `${META_V1}.APIGroup`,
  apiGroupList: `${META_V1}.APIGroupList`,
  apiVersions: `${META_V1}.APIVersions`,
  versionInfo: VERSION_INFO,
} as const;

type Descriptions = Record<string, Record<string, string>>;
let descriptions: Descriptions | undefined;

/** The doc comments of every type and field, read on first use (only OpenAPI needs them). */
export function typeDescriptions(): Readonly<Descriptions> {
  descriptions ??= JSON.parse(readFileSync(new URL('../api/schema/descriptions.json', import.meta.url), 'utf8')) as Descriptions;
  return descriptions;
}

function describe(fq: string, field = ''): string | undefined {
  const entry = typeDescriptions()[fq];
  return entry && Object.hasOwn(entry, field) ? entry[field] : undefined;
}

/** A field's description from the type that declares it (for query parameters built from *Options fields). */
export function fieldDescription(fq: string, field: string): string | undefined {
  return describe(fq, field);
}

function lookup(fq: string): TypeSchema | undefined {
  return schemaType(fq) ?? (Object.hasOwn(EXTRA_TYPES, fq) ? EXTRA_TYPES[fq] : undefined);
}

/** The JSON fields of a struct with inline members flattened, each with the type that declares it. */
function ownFields(fq: string, out = new Map<string, { field: FieldSchema; owner: string }>()): Map<string, { field: FieldSchema; owner: string }> {
  for (const [name, field] of Object.entries(lookup(fq)?.fields ?? {})) {
    if (field.inline && typeof field.type === 'string' && lookup(field.type)) ownFields(field.type, out);
    else if (!out.has(name)) out.set(name, { field, owner: fq });
  }
  return out;
}

/** The component a field's type names, if it is a named type (struct or hand-written JSON type). */
function componentName(ref: TypeRef, goType: string | undefined): string | undefined {
  if (typeof ref !== 'string') return undefined;
  if (ref === 'raw' && goType !== undefined && /(^|\])v1\.JSON$/.test(goType)) return APIEXTENSIONS_JSON;
  if (Object.hasOwn(SPECIAL_NAMES, ref)) return SPECIAL_NAMES[ref];
  if (SPECIAL_TYPES.has(ref)) return undefined; // scalars and bytes
  return ref;
}

const refTo = (name: string): OpenAPISchema => ({ $ref: SCHEMA_REF_PREFIX + name });

/** A struct type that is not one of the hand-written JSON types (gets `default: {}` when held by value). */
function isPlainStruct(name: string): boolean {
  return !Object.hasOwn(SPECIAL_SCHEMAS, name) && lookup(name)?.json === undefined;
}

/**
 * The schema of a value of type `ref`. `description`/`defaultValue` become siblings of a `$ref`, which
 * OpenAPI 3.0 only allows through `allOf`. List items and map values go through here too, with the
 * defaults upstream gives elements (a struct's `{}`, a scalar's zero value).
 */
function valueSchema(ref: TypeRef, goType: string | undefined, siblings: OpenAPISchema, names: Set<string>): OpenAPISchema {
  const named = componentName(ref, goType);
  if (named) {
    names.add(named);
    return Object.keys(siblings).length ? { allOf: [refTo(named)], ...siblings } : refTo(named);
  }
  if (isListRef(ref)) return { ...siblings, type: 'array', items: elementSchema(ref.list, elementGoType(goType), names) };
  if (isMapRef(ref)) return { ...siblings, type: 'object', additionalProperties: elementSchema(ref.map, elementGoType(goType), names) };
  if (ref === 'bytes') return { ...siblings, type: 'string', format: 'byte' };
  const scalar = SCALARS[ref as string];
  if (!scalar) throw new OpenAPISchemaError(`no OpenAPI form for schema type ${JSON.stringify(ref)}`);
  return { ...siblings, type: scalar.type, ...(scalar.format ? { format: scalar.format } : {}) };
}

function elementGoType(goType: string | undefined): string | undefined {
  if (!goType) return undefined;
  if (goType.startsWith('[]')) return goType.slice(2);
  const m = /^map\[[^\]]*\](.*)$/.exec(goType);
  return m ? m[1] : undefined;
}

function elementSchema(ref: TypeRef, goType: string | undefined, names: Set<string>): OpenAPISchema {
  const named = componentName(ref, goType);
  let def: unknown;
  if (named) def = isPlainStruct(named) ? {} : undefined;
  else if (typeof ref === 'string') def = SCALARS[ref]?.zero;
  return valueSchema(ref, goType, def === undefined ? {} : { default: def }, names);
}

/** The default upstream writes for a field: the +default marker, else the zero value Go always encodes. */
function fieldDefault(field: FieldSchema): unknown {
  if (field.default !== undefined) return field.default;
  if (field.ptr) return undefined;
  const named = componentName(field.type, field.goType);
  if (named) return isPlainStruct(named) ? {} : undefined;
  if (typeof field.type === 'string' && !field.omitempty) return SCALARS[field.type]?.zero;
  return undefined;
}

const ENUM_HEADING = '\n\nPossible enum values:';
const ENUM_LINE = /\n - `("(?:[^"\\]|\\.)*")`/g;

/** The values of a +enum field, from the "Possible enum values:" list the extractor appends to its description. */
export function enumValues(description: string | undefined): string[] | undefined {
  const at = description?.lastIndexOf(ENUM_HEADING) ?? -1;
  if (at < 0) return undefined;
  const values = [...description!.slice(at + ENUM_HEADING.length).matchAll(ENUM_LINE)].map((m) => JSON.parse(m[1]!) as string);
  return values.length ? values : undefined;
}

function propertySchema(field: FieldSchema, description: string | undefined, names: Set<string>): OpenAPISchema {
  const siblings: OpenAPISchema = {};
  if (description) siblings['description'] = description;
  const def = fieldDefault(field);
  if (def !== undefined) siblings['default'] = def;
  const values = field.type === 'string' ? enumValues(description) : undefined;
  if (values) siblings['enum'] = values;
  const schema = valueSchema(field.type, field.goType, siblings, names);
  if (field.listType) schema['x-kubernetes-list-type'] = field.listType;
  if (field.listMapKeys) schema['x-kubernetes-list-map-keys'] = field.listMapKeys;
  if (field.mapType) schema['x-kubernetes-map-type'] = field.mapType;
  if (field.patchStrategy) schema['x-kubernetes-patch-strategy'] = field.patchStrategy;
  if (field.patchMergeKey) schema['x-kubernetes-patch-merge-key'] = field.patchMergeKey;
  return schema;
}

export class OpenAPISchemaError extends Error {
  override name = 'OpenAPISchemaError';
}

export interface SchemaOptions {
  /** GVKs for meta/v1 kinds that every group version serves (DeleteOptions, WatchEvent): upstream lists them all. */
  sharedKindGVKs: GroupVersionKind[];
  /** Schemas already built with these options (documents share most types); filled as a side effect. */
  memo?: Map<string, { schema: OpenAPISchema; refs: Set<string> }>;
}

const SHARED_META_KINDS = new Set([`${META_V1}.DeleteOptions`, `${META_V1}.WatchEvent`]);

function kindExtension(fq: string, t: TypeSchema, opts: SchemaOptions): GroupVersionKind[] | undefined {
  if (!t.gvk) return undefined;
  if (SHARED_META_KINDS.has(fq)) return opts.sharedKindGVKs.map((g) => ({ ...g, kind: t.gvk!.kind }));
  if (t.gvk.group === 'meta.k8s.io') return [{ group: '', version: 'v1', kind: t.gvk.kind }];
  return [t.gvk];
}

/** One named type's component schema; adds the names it refers to. */
function componentSchema(fq: string, opts: SchemaOptions, names: Set<string>): OpenAPISchema {
  const description = describe(fq);
  const head: OpenAPISchema = description ? { description } : {};
  if (Object.hasOwn(SPECIAL_SCHEMAS, fq)) return { ...head, ...SPECIAL_SCHEMAS[fq] };
  const t = lookup(fq);
  if (!t) throw new OpenAPISchemaError(`unknown schema type ${fq}`);
  if (t.json) return head; // JSONSchemaPropsOr*: a schema, or an array / bool / string list
  const properties: Record<string, OpenAPISchema> = {};
  const required: string[] = [];
  for (const [name, { field, owner }] of ownFields(fq)) {
    properties[name] = propertySchema(field, describe(owner, name), names);
    if (field.required) required.push(name);
  }
  const out: OpenAPISchema = { ...head, type: 'object' };
  if (Object.keys(properties).length) out['properties'] = properties;
  if (required.length) out['required'] = required;
  const kinds = kindExtension(fq, t, opts);
  if (kinds) out['x-kubernetes-group-version-kind'] = kinds;
  if (t.structType) out['x-kubernetes-map-type'] = t.structType;
  return out;
}

/** Whether Skiff's schema (or the documents' own extra types) knows this type. */
export function hasSchemaType(fq: string): boolean {
  return lookup(fq) !== undefined || Object.hasOwn(SPECIAL_SCHEMAS, fq);
}

/** The component schemas of `roots` and of every type they reach. */
export function componentSchemas(roots: Iterable<string>, opts: SchemaOptions): Record<string, OpenAPISchema> {
  const out: Record<string, OpenAPISchema> = {};
  const pending = [...roots];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (Object.hasOwn(out, name)) continue;
    let built = opts.memo?.get(name);
    if (!built) {
      const refs = new Set<string>();
      built = { schema: componentSchema(name, opts, refs), refs };
      opts.memo?.set(name, built);
    }
    out[name] = built.schema;
    for (const r of built.refs) if (!Object.hasOwn(out, r)) pending.push(r);
  }
  return out;
}
