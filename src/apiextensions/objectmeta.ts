// Embedded resources (x-kubernetes-embedded-resource) inside a custom resource: apiVersion and kind
// are required strings and metadata must be valid ObjectMeta (apiextensions-apiserver
// pkg/apiserver/schema/objectmeta Validate). The custom resource's own metadata is validated by the
// registry, not here.
import type { FieldError, ObjectMeta } from '../api/types.ts';
import { fieldError, isDNS1035Label, nameIsPathSegment, validateObjectMeta } from '../api/validation.ts';
import { additionalPropertiesOf, hasOwn, isEmbeddedResource, isObj, itemsOf, property, type JSONSchemaProps, type Obj } from './jsonschema.ts';

/** Skiff's shared ObjectMeta validation adds core's finalizer-name rule, which upstream applies only to built-in kinds. */
const CORE_FINALIZER_RULE = 'name is neither a standard finalizer name nor is it fully qualified';

export function withoutCoreFinalizerRule(errs: FieldError[]): FieldError[] {
  return errs.filter((e) => !e.message.endsWith(CORE_FINALIZER_RULE));
}

/** schema.ParseGroupVersion's complaint, if any. */
export function groupVersionError(apiVersion: string): string | undefined {
  return apiVersion.split('/').length > 2 ? `unexpected GroupVersion string: ${apiVersion}` : undefined;
}

export function validateEmbeddedResources(schema: JSONSchemaProps | undefined, x: unknown, path = ''): FieldError[] {
  if (!schema) return [];
  const errs: FieldError[] = [];
  if (Array.isArray(x)) {
    const items = itemsOf(schema);
    x.forEach((v, i) => errs.push(...validateEmbeddedResources(items, v, `${path}[${i}]`)));
    return errs;
  }
  if (!isObj(x)) return errs;
  if (isEmbeddedResource(schema)) errs.push(...validateEmbedded(x, path));
  const ap = additionalPropertiesOf(schema);
  for (const [k, v] of Object.entries(x)) {
    const prop = property(schema, k);
    if (prop) errs.push(...validateEmbeddedResources(prop, v, path === '' ? k : `${path}.${k}`));
    else if (ap?.schema) errs.push(...validateEmbeddedResources(ap.schema, v, `${path}[${k}]`));
  }
  return errs;
}

function validateEmbedded(x: Obj, path: string): FieldError[] {
  const at = (k: string): string => (path === '' ? k : `${path}.${k}`);
  const errs: FieldError[] = [];
  if (!hasOwn(x, 'apiVersion')) errs.push(fieldError.required(at('apiVersion')));
  if (!hasOwn(x, 'kind')) errs.push(fieldError.required(at('kind')));
  for (const [k, v] of Object.entries(x)) {
    if (k === 'apiVersion') {
      if (typeof v !== 'string') errs.push(fieldError.invalid(at(k), v, 'must be a string'));
      else if (v === '') errs.push(fieldError.invalid(at(k), v, 'must not be empty'));
      else {
        const bad = groupVersionError(v);
        if (bad) errs.push(fieldError.invalid(at(k), v, bad));
      }
    } else if (k === 'kind') {
      if (typeof v !== 'string') errs.push(fieldError.invalid(at(k), v, 'must be a string'));
      else if (v === '') errs.push(fieldError.invalid(at(k), v, 'must not be empty'));
      else {
        const problems = isDNS1035Label(v.toLowerCase());
        if (problems.length) errs.push(fieldError.invalid(at(k), v, `may have mixed case, but should otherwise match: ${problems.join(',')}`));
      }
    } else if (k === 'metadata' && isObj(v)) {
      const meta = { ...(v as ObjectMeta) };
      if (!meta.name) meta.name = 'fakename';
      const namespaced = typeof meta.namespace === 'string' && meta.namespace !== '';
      errs.push(...withoutCoreFinalizerRule(validateObjectMeta(meta, { namespaced, nameFn: nameIsPathSegment }, at('metadata'))));
    }
  }
  return errs;
}
