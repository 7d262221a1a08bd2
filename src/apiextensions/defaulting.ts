// Structural defaulting of custom resources (apiextensions-apiserver pkg/apiserver/schema/defaulting):
// a property's `default` is filled in when the property is missing, or null without `nullable`, and
// only where its parent object exists; defaults apply inside default values too, inside every object
// of an array, and under additionalProperties. Nulls that are neither nullable nor defaulted are
// dropped first, as upstream's decoder does.
import { additionalPropertiesOf, cloneJson, fieldSchema, hasDefault, hasOwn, isObj, itemsOf, propertiesOf, type JSONSchemaProps, type Obj } from './jsonschema.ts';

const nonNullableNull = (x: unknown, s: JSONSchemaProps | undefined): boolean => x === null && s !== undefined && s.nullable !== true;

/** Applies the schema's defaults to `x` in place (default values are deep-copied). */
export function applyDefaults(schema: JSONSchemaProps | undefined, x: unknown): void {
  if (!schema) return;
  if (Array.isArray(x)) {
    const items = itemsOf(schema);
    for (let i = 0; i < x.length; i++) {
      if (nonNullableNull(x[i], items)) x[i] = cloneJson(items?.default ?? null);
      applyDefaults(items, x[i]);
    }
    return;
  }
  if (!isObj(x)) return;
  for (const [k, prop] of Object.entries(propertiesOf(schema) ?? {})) {
    if (!isObj(prop) || !hasDefault(prop)) continue;
    if (!hasOwn(x, k) || nonNullableNull(x[k], prop)) x[k] = cloneJson(prop.default);
  }
  const props = propertiesOf(schema) ?? {};
  const ap = additionalPropertiesOf(schema);
  for (const k of Object.keys(x)) {
    if (hasOwn(props, k) && isObj(props[k])) applyDefaults(props[k], x[k]);
    else if (ap) {
      if (nonNullableNull(x[k], ap.schema)) x[k] = cloneJson(ap.schema?.default ?? null);
      applyDefaults(ap.schema, x[k]);
    }
  }
}

/** Removes map entries that are null although their schema is neither nullable nor defaulted. */
export function pruneNonNullableNulls(schema: JSONSchemaProps | undefined, x: unknown): void {
  if (Array.isArray(x)) {
    const items = schema ? itemsOf(schema) : undefined;
    for (const v of x) pruneNonNullableNulls(items, v);
    return;
  }
  if (!isObj(x)) return;
  for (const k of Object.keys(x)) {
    const s = fieldSchema(schema, k);
    if (nonNullableNull(x[k], s) && !hasDefault(s)) delete x[k];
    else pruneNonNullableNulls(s, x[k]);
  }
}

/** What upstream does to a decoded custom resource before validation: drop stray nulls, then default. */
export function defaultCustomResource(schema: JSONSchemaProps | undefined, obj: Obj): void {
  pruneNonNullableNulls(schema, obj);
  applyDefaults(schema, obj);
}
