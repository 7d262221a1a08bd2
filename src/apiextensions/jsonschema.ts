// The OpenAPI v3 schema of a CustomResourceDefinition version (apiextensions.k8s.io/v1 JSONSchemaProps)
// as plain JSON, and the accessors the structural-schema algorithms share. Skiff works on the v1 JSON
// directly: the "structural" part of a schema is its type/properties/items/additionalProperties and
// the x-kubernetes-* extensions outside allOf/anyOf/oneOf/not, which is exactly what these read.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** JSONSchemaProps as JSON; only the members Skiff reads are typed. */
export interface JSONSchemaProps {
  id?: string;
  $schema?: string;
  $ref?: string;
  description?: string;
  type?: string;
  format?: string;
  title?: string;
  default?: unknown;
  maximum?: number;
  exclusiveMaximum?: boolean;
  minimum?: number;
  exclusiveMinimum?: boolean;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  maxItems?: number;
  minItems?: number;
  uniqueItems?: boolean;
  multipleOf?: number;
  enum?: unknown[];
  maxProperties?: number;
  minProperties?: number;
  required?: string[];
  items?: JSONSchemaProps | JSONSchemaProps[];
  allOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  patternProperties?: Record<string, JSONSchemaProps>;
  dependencies?: Record<string, JSONSchemaProps | string[]>;
  additionalItems?: JSONSchemaProps | boolean;
  definitions?: Record<string, JSONSchemaProps>;
  externalDocs?: { description?: string; url?: string };
  example?: unknown;
  nullable?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-map-type'?: string;
  'x-kubernetes-validations'?: Array<Record<string, unknown>>;
}

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** reflect.DeepEqual for JSON values (numbers compare by value). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

export function cloneJson<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

/** The schema's properties (a JSON object), or undefined. */
export function propertiesOf(s: JSONSchemaProps | undefined): Record<string, JSONSchemaProps> | undefined {
  return s && isObj(s.properties) ? s.properties : undefined;
}

export function property(s: JSONSchemaProps | undefined, k: string): JSONSchemaProps | undefined {
  const props = propertiesOf(s);
  return props && hasOwn(props, k) && isObj(props[k]) ? props[k] : undefined;
}

/** `items` when it is a single schema (CRDs forbid the array form). */
export function itemsOf(s: JSONSchemaProps | undefined): JSONSchemaProps | undefined {
  return s && isObj(s.items) ? (s.items as JSONSchemaProps) : undefined;
}

/** additionalProperties as upstream's SchemaOrBool: absent → undefined; `true`/`false`/a schema. */
export function additionalPropertiesOf(s: JSONSchemaProps | undefined): { allows: boolean; schema?: JSONSchemaProps } | undefined {
  const ap = s?.additionalProperties;
  if (ap === undefined || ap === null) return undefined;
  if (typeof ap === 'boolean') return { allows: ap };
  return isObj(ap) ? { allows: true, schema: ap } : undefined;
}

export const preservesUnknownFields = (s: JSONSchemaProps | undefined): boolean => s?.['x-kubernetes-preserve-unknown-fields'] === true;
export const isEmbeddedResource = (s: JSONSchemaProps | undefined): boolean => s?.['x-kubernetes-embedded-resource'] === true;
export const isIntOrString = (s: JSONSchemaProps | undefined): boolean => s?.['x-kubernetes-int-or-string'] === true;
export const hasDefault = (s: JSONSchemaProps | undefined): boolean => s !== undefined && s.default !== undefined && s.default !== null;

/** The schema for a child field in the structural sense: a declared property, else additionalProperties' schema. */
export function fieldSchema(s: JSONSchemaProps | undefined, k: string): JSONSchemaProps | undefined {
  const p = property(s, k);
  if (p) return p;
  return additionalPropertiesOf(s)?.schema;
}

/** A JSON value with object keys sorted, as Go's encoding/json writes maps. */
export function sortedJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedJson);
  if (isObj(v)) {
    const out: Obj = {};
    for (const k of Object.keys(v).sort()) out[k] = sortedJson(v[k]);
    return out;
  }
  return v;
}
