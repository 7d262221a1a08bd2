// Upstream validates a CRD in its internal (hub) form, and that shows in the errors: a schema,
// subresources or printer columns that every version shares move to spec.validation,
// spec.subresources and spec.additionalPrinterColumns (so errors name those paths), and a few errors
// print internal structs, whose JSON has Go field names ({"Name":"v1","Served":true,…}).
import { goJSON } from '../api/validation.ts';
import { isObj, sortedJson, type JSONSchemaProps, type Obj } from './jsonschema.ts';

export type Version = Obj & {
  name?: string;
  served?: boolean;
  storage?: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  schema?: Obj & { openAPIV3Schema?: JSONSchemaProps };
  subresources?: Obj & { status?: Obj; scale?: Obj & { specReplicasPath?: string; statusReplicasPath?: string; labelSelectorPath?: string } };
  additionalPrinterColumns?: Array<Obj & { name?: string; type?: string; format?: string; description?: string; priority?: number; jsonPath?: string }>;
  selectableFields?: Array<Obj & { jsonPath?: string }>;
};

/** apiequality.Semantic.DeepEqual for these JSON values: an absent list equals an empty one. */
export function semanticEqual(a: unknown, b: unknown): boolean {
  const absent = (v: unknown): boolean => v === undefined || v === null || (Array.isArray(v) && v.length === 0);
  if (absent(a) && absent(b)) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

export interface InternalLayout {
  versions: Version[];
  /** Set when every version has the same schema (possibly none): it is then spec.validation. */
  sharedSchema: boolean;
  sharedSubresources: boolean;
  sharedColumns: boolean;
  sharedSelectableFields: boolean;
}

export function internalLayout(versions: Version[]): InternalLayout {
  const first = versions[0];
  const same = (pick: (v: Version) => unknown): boolean => versions.length > 0 && versions.every((v) => semanticEqual(pick(v), pick(first!)));
  return {
    versions,
    sharedSchema: same((v) => v.schema),
    sharedSubresources: same((v) => v.subresources),
    sharedColumns: same((v) => v.additionalPrinterColumns),
    sharedSelectableFields: same((v) => v.selectableFields),
  };
}

// ---------------------------------------------------------------------------------------------
// Internal structs as Go's JSON encoder writes them.

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const bool = (v: unknown): boolean => v === true;
const orNull = (v: unknown): unknown => (v === undefined ? null : v);
const mapOf = (v: unknown, f: (x: unknown) => unknown): unknown => {
  if (!isObj(v)) return null;
  const out: Obj = {};
  for (const k of Object.keys(v).sort()) out[k] = f(v[k]);
  return out;
};
const listOf = (v: unknown, f: (x: unknown) => unknown): unknown => (Array.isArray(v) ? v.map(f) : null);

/** internal JSONSchemaProps. */
export function internalSchema(v: unknown): unknown {
  if (!isObj(v)) return null;
  const s = v as JSONSchemaProps & Obj;
  const schemaOrBool = (x: unknown): unknown =>
    x === undefined || x === null ? null : typeof x === 'boolean' ? { Allows: x, Schema: null } : { Allows: true, Schema: internalSchema(x) };
  const items = s.items;
  return {
    ID: str(s.id),
    Schema: str(s.$schema),
    Ref: orNull(s.$ref),
    Description: str(s.description),
    Type: str(s.type),
    Nullable: bool(s.nullable),
    Format: str(s.format),
    Title: str(s.title),
    Default: s.default === undefined ? null : sortedJson(s.default),
    Maximum: num(s.maximum),
    ExclusiveMaximum: bool(s.exclusiveMaximum),
    Minimum: num(s.minimum),
    ExclusiveMinimum: bool(s.exclusiveMinimum),
    MaxLength: num(s.maxLength),
    MinLength: num(s.minLength),
    Pattern: str(s.pattern),
    MaxItems: num(s.maxItems),
    MinItems: num(s.minItems),
    UniqueItems: bool(s.uniqueItems),
    MultipleOf: num(s.multipleOf),
    Enum: listOf(s.enum, sortedJson),
    MaxProperties: num(s.maxProperties),
    MinProperties: num(s.minProperties),
    Required: orNull(s.required),
    Items:
      items === undefined || items === null
        ? null
        : Array.isArray(items)
          ? { Schema: null, JSONSchemas: items.map(internalSchema) }
          : { Schema: internalSchema(items), JSONSchemas: null },
    AllOf: listOf(s.allOf, internalSchema),
    OneOf: listOf(s.oneOf, internalSchema),
    AnyOf: listOf(s.anyOf, internalSchema),
    Not: internalSchema(s.not),
    Properties: mapOf(s.properties, internalSchema),
    AdditionalProperties: schemaOrBool(s.additionalProperties),
    PatternProperties: mapOf(s.patternProperties, internalSchema),
    Dependencies: mapOf(s.dependencies, (d) => (Array.isArray(d) ? { Schema: null, Property: d } : { Schema: internalSchema(d), Property: null })),
    AdditionalItems: schemaOrBool(s.additionalItems),
    Definitions: mapOf(s.definitions, internalSchema),
    ExternalDocs: isObj(s.externalDocs) ? { Description: str(s.externalDocs['description']), URL: str(s.externalDocs['url']) } : null,
    Example: s.example === undefined ? null : sortedJson(s.example),
    XPreserveUnknownFields: typeof s['x-kubernetes-preserve-unknown-fields'] === 'boolean' ? s['x-kubernetes-preserve-unknown-fields'] : null,
    XEmbeddedResource: bool(s['x-kubernetes-embedded-resource']),
    XIntOrString: bool(s['x-kubernetes-int-or-string']),
    XListMapKeys: orNull(s['x-kubernetes-list-map-keys']),
    XListType: orNull(s['x-kubernetes-list-type']),
    XMapType: orNull(s['x-kubernetes-map-type']),
    XValidations: listOf(s['x-kubernetes-validations'], (r) => {
      const rule = isObj(r) ? r : {};
      return {
        Rule: str(rule['rule']),
        Message: str(rule['message']),
        MessageExpression: str(rule['messageExpression']),
        Reason: orNull(rule['reason']),
        FieldPath: str(rule['fieldPath']),
        OptionalOldSelf: orNull(rule['optionalOldSelf']),
      };
    }),
  };
}

function internalVersion(v: Version, layout: InternalLayout): unknown {
  const sub = v.subresources;
  const scale = isObj(sub) ? sub.scale : undefined;
  return {
    Name: str(v.name),
    Served: bool(v.served),
    Storage: bool(v.storage),
    Deprecated: bool(v.deprecated),
    DeprecationWarning: orNull(v.deprecationWarning),
    Schema: layout.sharedSchema || !isObj(v.schema) ? null : { OpenAPIV3Schema: internalSchema(v.schema.openAPIV3Schema) },
    Subresources:
      layout.sharedSubresources || !isObj(sub)
        ? null
        : {
            Status: isObj(sub.status) ? {} : null,
            Scale: isObj(scale)
              ? { SpecReplicasPath: str(scale.specReplicasPath), StatusReplicasPath: str(scale.statusReplicasPath), LabelSelectorPath: orNull(scale.labelSelectorPath) }
              : null,
          },
    AdditionalPrinterColumns:
      layout.sharedColumns || !Array.isArray(v.additionalPrinterColumns)
        ? null
        : v.additionalPrinterColumns.map((c) => ({
            Name: str(c.name),
            Type: str(c.type),
            Format: str(c.format),
            Description: str(c.description),
            Priority: num(c.priority) ?? 0,
            JSONPath: str(c.jsonPath),
          })),
    SelectableFields:
      layout.sharedSelectableFields || !Array.isArray(v.selectableFields) ? null : v.selectableFields.map((f) => ({ JSONPath: str(f.jsonPath) })),
  };
}

/** The spec.versions bad value upstream prints: internal versions as JSON. */
export function internalVersionsJSON(layout: InternalLayout): string {
  return goJSON(layout.versions.map((v) => internalVersion(v, layout)));
}

/** The schema bad value upstream prints for root-schema errors. */
export function internalSchemaJSON(schema: JSONSchemaProps): string {
  return goJSON(internalSchema(schema));
}
