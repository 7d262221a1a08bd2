// Pruning of custom resources (apiextensions-apiserver pkg/apiserver/schema/pruning and the decoding
// coercer): fields the structural schema does not specify are dropped, except below
// x-kubernetes-preserve-unknown-fields; apiVersion, kind and metadata of the object (and of embedded
// resources) are kept, and metadata is cut down to ObjectMeta's fields, as decoding it into the Go
// type does. The removed paths are what fieldValidation=Strict rejects and Warn warns about.
import { pruneUnknownFields } from '../api/fieldcheck.ts';
import { normalizeObject } from '../api/normalize.ts';
import { META_V1 } from '../api/schema.ts';
import { additionalPropertiesOf, isEmbeddedResource, isObj, itemsOf, preservesUnknownFields, property, type JSONSchemaProps, type Obj } from './jsonschema.ts';

const OBJECT_META = `${META_V1}.ObjectMeta`;
const META_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

const appendKey = (path: string, k: string): string => (path === '' ? k : `${path}.${k}`);

/**
 * Removes, in place, what the schema does not specify, and returns the removed paths in upstream's
 * order: unknown metadata fields first ("metadata.foo"), then the schema's ("spec.foo",
 * "spec.items[0].bar") sorted, then unknown fields in embedded resources' metadata, sorted.
 * A missing schema prunes everything but apiVersion, kind and metadata.
 */
export function pruneUnknown(schema: JSONSchemaProps | undefined, obj: Obj): string[] {
  const metaPaths = isObj(obj['metadata']) ? pruneObjectMeta(obj['metadata'], 'metadata') : [];
  const pruned = pruneValue(obj, schema, true);
  const embedded: string[] = [];
  coerceEmbedded(obj, schema, '', embedded);
  return [...metaPaths, ...pruned, ...embedded.sort()];
}

/**
 * Prunes a value against a schema (pruning.Prune): with `isResourceRoot` the value's apiVersion, kind
 * and metadata are kept as they are. Returns the removed paths.
 */
export function pruneValue(x: unknown, schema: JSONSchemaProps | undefined, isResourceRoot: boolean): string[] {
  const s = isResourceRoot ? { ...(schema ?? {}), 'x-kubernetes-embedded-resource': true } : schema;
  const removed: string[] = [];
  prune(x, s, '', removed);
  return removed.sort();
}

/** ObjectMeta as decoding into the Go type leaves it: unknown fields and empty omitempty fields dropped. */
function pruneObjectMeta(meta: Obj, prefix: string): string[] {
  const removed = pruneUnknownFields(OBJECT_META, meta).map((p) => `${prefix}.${p}`);
  normalizeObject(OBJECT_META, meta);
  return removed;
}

function prune(x: unknown, s: JSONSchemaProps | undefined, path: string, removed: string[]): void {
  if (s && preservesUnknownFields(s)) {
    skipPrune(x, s, path, removed);
    return;
  }
  if (Array.isArray(x)) {
    const items = s ? itemsOf(s) : undefined;
    x.forEach((v, i) => prune(v, items, `${path}[${i}]`, removed));
    return;
  }
  if (!isObj(x)) return;
  if (!s) {
    for (const k of Object.keys(x)) {
      removed.push(appendKey(path, k));
      delete x[k];
    }
    return;
  }
  const embedded = isEmbeddedResource(s);
  const ap = additionalPropertiesOf(s);
  for (const k of Object.keys(x)) {
    if (embedded && META_FIELDS.has(k)) continue;
    const prop = property(s, k);
    if (prop) prune(x[k], prop, appendKey(path, k), removed);
    else if (ap) prune(x[k], ap.schema, appendKey(path, k), removed);
    else {
      if (!META_FIELDS.has(k) || path !== '') removed.push(appendKey(path, k));
      delete x[k];
    }
  }
}

/** Below x-kubernetes-preserve-unknown-fields: keep unknown fields, but prune inside the specified ones. */
function skipPrune(x: unknown, s: JSONSchemaProps | undefined, path: string, removed: string[]): void {
  if (!s) return;
  if (Array.isArray(x)) {
    const items = itemsOf(s);
    x.forEach((v, i) => skipPrune(v, items, `${path}[${i}]`, removed));
    return;
  }
  if (!isObj(x)) return;
  const embedded = isEmbeddedResource(s);
  const ap = additionalPropertiesOf(s);
  for (const k of Object.keys(x)) {
    if (embedded && META_FIELDS.has(k)) continue;
    const prop = property(s, k);
    if (prop) prune(x[k], prop, appendKey(path, k), removed);
    else if (ap) prune(x[k], ap.schema, appendKey(path, k), removed);
  }
}

/** Embedded resources (x-kubernetes-embedded-resource) get their metadata decoded as ObjectMeta too. */
function coerceEmbedded(x: unknown, s: JSONSchemaProps | undefined, path: string, removed: string[]): void {
  if (!s) return;
  if (Array.isArray(x)) {
    const items = itemsOf(s);
    x.forEach((v, i) => coerceEmbedded(v, items, `${path}[${i}]`, removed));
    return;
  }
  if (!isObj(x)) return;
  if (isEmbeddedResource(s) && isObj(x['metadata'])) {
    const meta = x['metadata'];
    removed.push(...pruneObjectMeta(meta, appendKey(path, 'metadata')));
    // An embedded object without a creation time does not get a null one.
    if (!meta['creationTimestamp']) delete meta['creationTimestamp'];
  }
  const ap = additionalPropertiesOf(s);
  for (const k of Object.keys(x)) {
    const prop = property(s, k);
    if (prop) coerceEmbedded(x[k], prop, appendKey(path, k), removed);
    else if (ap?.schema) coerceEmbedded(x[k], ap.schema, `${path}[${k}]`, removed);
  }
}
