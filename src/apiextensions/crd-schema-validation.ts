// Validation of a CRD version's OpenAPI v3 schema (apiextensions-apiserver
// ValidateCustomResourceDefinitionOpenAPISchema and friends): the supported OpenAPI subset, the
// structural rules, defaults that validate and are pruned, list and map type extensions, the root of
// schemas whose status is a subresource, and the shape of x-kubernetes-validations rules (the CEL is
// not compiled).
import type { FieldError } from '../api/types.ts';
import { fieldError } from '../api/validation.ts';
import { child, index, invalidJSON, key, list, obj, schemaHas, str, type Options } from './crd-common.ts';
import { internalSchemaJSON, type Version } from './crd-internal.ts';
import { additionalPropertiesOf, cloneJson, deepEqual, isObj, itemsOf, propertiesOf, property, type JSONSchemaProps, type Obj } from './jsonschema.ts';
import { pruneValue } from './pruning.ts';
import { validateAgainstSchema } from './schema-validate.ts';
import { isZero, validateStructural } from './structural.ts';

export const OPENAPI_V3_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const ALLOWED_AT_ROOT_WITH_STATUS = [
  'Description', 'Type', 'Format', 'Title', 'Maximum', 'ExclusiveMaximum', 'Minimum', 'ExclusiveMinimum', 'MaxLength', 'MinLength', 'Pattern',
  'MaxItems', 'MinItems', 'UniqueItems', 'MultipleOf', 'Required', 'Items', 'Properties', 'ExternalDocs', 'Example', 'XPreserveUnknownFields', 'XValidations',
];
const META_FIELDS = ['metadata', 'kind', 'apiVersion'];

/** The internal JSONSchemaProps fields in Go order, with the JSON member each comes from and whether Go holds it by pointer/slice/map. */
const INTERNAL_FIELDS: Array<[goName: string, json: keyof JSONSchemaProps, ref: boolean]> = [
  ['ID', 'id', false], ['Schema', '$schema', false], ['Ref', '$ref', true], ['Description', 'description', false], ['Type', 'type', false],
  ['Nullable', 'nullable', false], ['Format', 'format', false], ['Title', 'title', false], ['Default', 'default', true],
  ['Maximum', 'maximum', true], ['ExclusiveMaximum', 'exclusiveMaximum', false], ['Minimum', 'minimum', true], ['ExclusiveMinimum', 'exclusiveMinimum', false],
  ['MaxLength', 'maxLength', true], ['MinLength', 'minLength', true], ['Pattern', 'pattern', false], ['MaxItems', 'maxItems', true],
  ['MinItems', 'minItems', true], ['UniqueItems', 'uniqueItems', false], ['MultipleOf', 'multipleOf', true], ['Enum', 'enum', true],
  ['MaxProperties', 'maxProperties', true], ['MinProperties', 'minProperties', true], ['Required', 'required', true], ['Items', 'items', true],
  ['AllOf', 'allOf', true], ['OneOf', 'oneOf', true], ['AnyOf', 'anyOf', true], ['Not', 'not', true], ['Properties', 'properties', true],
  ['AdditionalProperties', 'additionalProperties', true], ['PatternProperties', 'patternProperties', true], ['Dependencies', 'dependencies', true],
  ['AdditionalItems', 'additionalItems', true], ['Definitions', 'definitions', true], ['ExternalDocs', 'externalDocs', true], ['Example', 'example', true],
  ['XPreserveUnknownFields', 'x-kubernetes-preserve-unknown-fields', true], ['XEmbeddedResource', 'x-kubernetes-embedded-resource', false],
  ['XIntOrString', 'x-kubernetes-int-or-string', false], ['XListMapKeys', 'x-kubernetes-list-map-keys', true], ['XListType', 'x-kubernetes-list-type', true],
  ['XMapType', 'x-kubernetes-map-type', true], ['XValidations', 'x-kubernetes-validations', true],
];

interface SpecValidator {
  allowDefaults: boolean;
  disallowDefaultsReason: string;
  insideResourceMeta: boolean;
  requireValidPropertyType: boolean;
}

/** A CustomResourceValidation (`{openAPIV3Schema}`) at `path`. */
export function validateSchemaContainer(container: Version['schema'], statusEnabled: boolean, opts: Options, path: string): FieldError[] {
  if (!isObj(container)) return [];
  const schema = container.openAPIV3Schema;
  if (!isObj(schema)) return [];
  const errs: FieldError[] = [];
  const schemaPath = child(path, 'openAPIV3Schema');
  if (statusEnabled) {
    for (const [goName, json, ref] of INTERNAL_FIELDS) {
      const v = schema[json];
      if (ref ? v === undefined || v === null : isZero(v)) continue;
      if (goName === 'Type') {
        if (schema.type !== 'object') {
          errs.push(fieldError.invalid(child(path, 'openAPIV3Schema.type'), str(schema.type), 'only "object" is allowed as the type at the root of the schema if the status subresource is enabled'));
          break;
        }
        continue;
      }
      if (!ALLOWED_AT_ROOT_WITH_STATUS.includes(goName)) {
        errs.push(invalidJSON(schemaPath, internalSchemaJSON(schema), `only [${ALLOWED_AT_ROOT_WITH_STATUS.join(' ')}] fields are allowed at the root of the schema if the status subresource is enabled`));
        break;
      }
    }
  }
  if (schema.nullable === true) errs.push(fieldError.forbidden(child(path, 'openAPIV3Schema.nullable'), 'nullable cannot be true at the root'));

  const initErrs: FieldError[] = [];
  if (opts.requireStructuralSchema) {
    const initError = structuralInitError(schema);
    if (initError) initErrs.push(fieldError.invalid(schemaPath, '', initError));
    else {
      const structural = validateStructural(schema, schemaPath);
      if (structural.length) errs.push(...structural);
      else errs.push(...validateDefaults(schema, schemaPath, opts.requirePrunedDefaults));
    }
  }
  const ssv: SpecValidator = { allowDefaults: opts.allowDefaults, disallowDefaultsReason: '', insideResourceMeta: false, requireValidPropertyType: opts.requireValidPropertyType };
  errs.push(...openAPISchema(schema, schemaPath, ssv, true, opts));
  if (errs.length === 0) errs.push(...initErrs);
  return errs;
}

/** What makes upstream's NewStructural fail (reported only when nothing else is wrong). */
function structuralInitError(schema: JSONSchemaProps): string | undefined {
  let error: string | undefined;
  schemaHas(schema, (s) => {
    if (Array.isArray(s.items)) error = "OpenAPIV3Schema 'items' must be a schema, but is an array";
    else if (s['x-kubernetes-preserve-unknown-fields'] === false) error = "internal error: 'x-kubernetes-preserve-unknown-fields' must be true or undefined";
    else if (str(s.id)) error = "OpenAPIV3Schema 'id' is not supported";
    else if (str(s.$schema)) error = "OpenAPIV3Schema 'schema' is not supported";
    else if (str(s.$ref)) error = "OpenAPIV3Schema '$ref' is not supported";
    else if (Object.keys(obj(s.patternProperties)).length) error = "OpenAPIV3Schema 'patternProperties' is not supported";
    else if (Object.keys(obj(s.dependencies)).length) error = "OpenAPIV3Schema 'dependencies' is not supported";
    else if (s.additionalItems !== undefined && s.additionalItems !== null) error = "OpenAPIV3Schema 'additionalItems' is not supported";
    else if (Object.keys(obj(s.definitions)).length) error = "OpenAPIV3Schema 'definitions' is not supported";
    return error !== undefined;
  });
  return error;
}

/** ValidateDefaults: each default validates against its schema and is already pruned. */
function validateDefaults(schema: JSONSchemaProps, path: string, requirePruned: boolean): FieldError[] {
  const root: JSONSchemaProps = { ...schema, 'x-kubernetes-embedded-resource': true };
  return defaultsAt(root, path, false, requirePruned);
}

function defaultsAt(s: JSONSchemaProps, path: string, insideMeta: boolean, requirePruned: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  if (embedded) insideMeta = false;
  if (s.default !== undefined && s.default !== null && !insideMeta) {
    const defaultPath = child(path, 'default');
    if (requirePruned) {
      const pruned = cloneJson(s.default);
      pruneValue(pruned, s, embedded);
      if (!deepEqual(pruned, s.default)) errs.push(fieldError.invalid(defaultPath, s.default, 'must not have unknown fields'));
    }
    errs.push(...validateAgainstSchema(s, s.default, { path: defaultPath }));
  }
  const items = itemsOf(s);
  if (items) errs.push(...defaultsAt(items, child(path, 'items'), insideMeta, requirePruned));
  for (const [k, sub] of Object.entries(propertiesOf(s) ?? {})) {
    if (!isObj(sub)) continue;
    const subInside = insideMeta || (embedded && META_FIELDS.includes(k));
    errs.push(...defaultsAt(sub, key(child(path, 'properties'), k), subInside, requirePruned));
  }
  return errs;
}

function openAPISchema(schema: JSONSchemaProps, path: string, ssv: SpecValidator, isRoot: boolean, opts: Options): FieldError[] {
  const errs = specValidate(schema, path, ssv);
  if (schema.uniqueItems === true) errs.push(fieldError.forbidden(child(path, 'uniqueItems'), 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
  const ap = additionalPropertiesOf(schema);
  const props = propertiesOf(schema) ?? {};
  if (ap) {
    if (Object.keys(props).length > 0 && (!ap.allows || ap.schema)) {
      errs.push(fieldError.forbidden(child(path, 'additionalProperties'), 'additionalProperties and properties are mutual exclusive'));
    }
    const sub = ssv.insideResourceMeta ? { ...ssv, allowDefaults: false, disallowDefaultsReason: 'inside additionalProperties applying to object metadata' } : ssv;
    if (ap.schema) errs.push(...openAPISchema(ap.schema, child(path, 'additionalProperties'), sub, false, opts));
  }
  for (const [name, sub] of Object.entries(props)) {
    if (!isObj(sub)) continue;
    let subSsv = ssv;
    if ((isRoot || schema['x-kubernetes-embedded-resource'] === true) && META_FIELDS.includes(name)) {
      subSsv = { ...subSsv, insideResourceMeta: true };
      if (isRoot) subSsv = { ...subSsv, allowDefaults: false, disallowDefaultsReason: `in top-level ${name}` };
    }
    errs.push(...openAPISchema(sub, key(child(path, 'properties'), name), subSsv, false, opts));
  }
  if (isObj(schema.not)) errs.push(...openAPISchema(schema.not, child(path, 'not'), ssv, false, opts));
  for (const junctor of ['allOf', 'oneOf', 'anyOf'] as const) {
    list<JSONSchemaProps>(schema[junctor]).forEach((sub, i) => {
      if (isObj(sub)) errs.push(...openAPISchema(sub, index(child(path, junctor), i), ssv, false, opts));
    });
  }
  for (const [name, sub] of Object.entries(obj(schema.definitions))) {
    if (isObj(sub)) errs.push(...openAPISchema(sub, key(child(path, 'definitions'), name), ssv, false, opts));
  }
  if (isObj(schema.items)) errs.push(...openAPISchema(schema.items, child(path, 'items'), ssv, false, opts));
  else if (Array.isArray(schema.items)) {
    schema.items.forEach((sub, i) => {
      if (isObj(sub)) errs.push(...openAPISchema(sub, index(child(path, 'items'), i), ssv, false, opts));
    });
  }
  for (const [name, dep] of Object.entries(obj(schema.dependencies))) {
    if (isObj(dep)) errs.push(...openAPISchema(dep, key(child(path, 'dependencies'), name), ssv, false, opts));
  }
  if (schema['x-kubernetes-preserve-unknown-fields'] === false) {
    errs.push(fieldError.invalid(child(path, 'x-kubernetes-preserve-unknown-fields'), false, 'must be true or undefined'));
  }
  const type = str(schema.type);
  const mapType = schema['x-kubernetes-map-type'];
  if (mapType !== undefined && mapType !== null && type !== 'object') {
    const m = 'must be object if x-kubernetes-map-type is specified';
    errs.push(type === '' ? fieldError.required(child(path, 'type'), m) : fieldError.invalid(child(path, 'type'), type, m));
  }
  if (typeof mapType === 'string' && mapType !== 'atomic' && mapType !== 'granular') {
    errs.push(fieldError.notSupported(child(path, 'x-kubernetes-map-type'), mapType, ['atomic', 'granular']));
  }
  const listType = schema['x-kubernetes-list-type'];
  const items = itemsOf(schema);
  if (typeof listType === 'string' && type !== 'array') {
    const m = 'must be array if x-kubernetes-list-type is specified';
    errs.push(type === '' ? fieldError.required(child(path, 'type'), m) : fieldError.invalid(child(path, 'type'), type, m));
  } else if (opts.requireAtomicSetType && listType === 'set' && items) {
    if (items.type === 'array' && typeof items['x-kubernetes-list-type'] === 'string' && items['x-kubernetes-list-type'] !== 'atomic') {
      errs.push(fieldError.invalid(child(child(path, 'items'), 'x-kubernetes-list-type'), items['x-kubernetes-list-type'], 'must be atomic as item of a list with x-kubernetes-list-type=set'));
    } else if (items.type === 'object' && items['x-kubernetes-map-type'] !== 'atomic') {
      // Upstream reports the items' list type here (usually unset).
      errs.push(fieldError.invalid(child(child(path, 'items'), 'x-kubernetes-map-type'), items['x-kubernetes-list-type'] ?? null, 'must be atomic as item of a list with x-kubernetes-list-type=set'));
    }
  }
  if (typeof listType === 'string' && !['atomic', 'set', 'map'].includes(listType)) {
    errs.push(fieldError.notSupported(child(path, 'x-kubernetes-list-type'), listType, ['atomic', 'set', 'map']));
  }
  const mapKeys = list<string>(schema['x-kubernetes-list-map-keys']);
  if (mapKeys.length > 0) {
    const m = 'must be map if x-kubernetes-list-map-keys is non-empty';
    if (typeof listType !== 'string') errs.push(fieldError.required(child(path, 'x-kubernetes-list-type'), m));
    else if (listType !== 'map') errs.push(fieldError.invalid(child(path, 'x-kubernetes-list-type'), listType, m));
  }
  if (listType === 'map') {
    if (mapKeys.length === 0) errs.push(fieldError.required(child(path, 'x-kubernetes-list-map-keys'), 'must not be empty if x-kubernetes-list-type is map'));
    if (schema.items === undefined || schema.items === null) errs.push(fieldError.required(child(path, 'items'), 'must have a schema if x-kubernetes-list-type is map'));
    else if (!items) errs.push(fieldError.invalid(child(path, 'items'), schema.items, 'must only have a single schema if x-kubernetes-list-type is map'));
    if (items && items.type !== 'object') {
      errs.push(fieldError.invalid(child(child(path, 'items'), 'type'), str(items.type), "must be object if parent array's x-kubernetes-list-type is map"));
    }
    if (items && items.type === 'object') {
      const seenKeys = new Set<string>();
      for (const k of mapKeys) {
        const p = property(items, k);
        if (p) {
          if (p.type === 'array' || p.type === 'object') {
            errs.push(fieldError.invalid(child(key(child(child(path, 'items'), 'properties'), k), 'type'), str(items.type), "must be a scalar type if parent array's x-kubernetes-list-type is map"));
          }
        } else errs.push(fieldError.invalid(child(path, 'x-kubernetes-list-map-keys'), mapKeys, 'entries must all be names of item properties'));
        if (seenKeys.has(k)) errs.push(fieldError.invalid(child(path, 'x-kubernetes-list-map-keys'), mapKeys, 'must not contain duplicate entries'));
        seenKeys.add(k);
      }
    }
  }
  if (opts.requireMapListKeysMapSetValidation) errs.push(...mapListKeysMapSet(schema, path));
  errs.push(...validationRules(schema, path));
  return errs;
}

function specValidate(schema: JSONSchemaProps, path: string, ssv: SpecValidator): FieldError[] {
  const errs: FieldError[] = [];
  const type = str(schema.type);
  if (ssv.requireValidPropertyType && type && !OPENAPI_V3_TYPES.includes(type)) errs.push(fieldError.notSupported(child(path, 'type'), type, OPENAPI_V3_TYPES));
  if (schema.default !== undefined && schema.default !== null && !ssv.allowDefaults) {
    errs.push(fieldError.forbidden(child(path, 'default'), ssv.disallowDefaultsReason ? `must not be set ${ssv.disallowDefaultsReason}` : 'must not be set'));
  }
  if (str(schema.id)) errs.push(fieldError.forbidden(child(path, 'id'), 'id is not supported'));
  if (schema.additionalItems !== undefined && schema.additionalItems !== null) errs.push(fieldError.forbidden(child(path, 'additionalItems'), 'additionalItems is not supported'));
  if (Object.keys(obj(schema.patternProperties)).length) errs.push(fieldError.forbidden(child(path, 'patternProperties'), 'patternProperties is not supported'));
  if (Object.keys(obj(schema.definitions)).length) errs.push(fieldError.forbidden(child(path, 'definitions'), 'definitions is not supported'));
  if (schema.dependencies !== undefined && schema.dependencies !== null) errs.push(fieldError.forbidden(child(path, 'dependencies'), 'dependencies is not supported'));
  if (schema.$ref !== undefined && schema.$ref !== null) errs.push(fieldError.forbidden(child(path, '$ref'), '$ref is not supported'));
  if (type === 'null') errs.push(fieldError.forbidden(child(path, 'type'), 'type cannot be set to null, use nullable as an alternative'));
  if (Array.isArray(schema.items) && schema.items.length > 0) errs.push(fieldError.forbidden(child(path, 'items'), 'items must be a schema object and not an array'));
  if (ssv.insideResourceMeta && schema['x-kubernetes-embedded-resource'] === true) {
    errs.push(fieldError.forbidden(child(path, 'x-kubernetes-embedded-resource'), 'must not be used inside of resource meta'));
  }
  return errs;
}

export function mapListKeysMapSet(schema: JSONSchemaProps, path: string): FieldError[] {
  const items = itemsOf(schema);
  const listType = schema['x-kubernetes-list-type'];
  if (!items || (listType !== 'set' && listType !== 'map')) return [];
  const errs: FieldError[] = [];
  if (items.nullable === true) errs.push(fieldError.forbidden(child(child(path, 'items'), 'nullable'), `cannot be nullable when x-kubernetes-list-type is ${listType}`));
  if (listType === 'map') {
    const required = new Set(list<string>(items.required));
    for (const k of list<string>(schema['x-kubernetes-list-map-keys'])) {
      const p = property(items, k);
      if (!p) continue;
      const propPath = key(child(child(path, 'items'), 'properties'), k);
      if (!required.has(k) && (p.default === undefined || p.default === null)) {
        errs.push(fieldError.required(child(propPath, 'default'), 'this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property'));
      }
      if (p.nullable === true) errs.push(fieldError.forbidden(child(propPath, 'nullable'), 'this property is in x-kubernetes-list-map-keys, so it cannot be nullable'));
    }
  }
  return errs;
}

const VALIDATION_REASONS = ['FieldValueDuplicate', 'FieldValueForbidden', 'FieldValueInvalid', 'FieldValueRequired'];

/** x-kubernetes-validations: the shape of each rule (the CEL itself is not compiled). */
function validationRules(schema: JSONSchemaProps, path: string): FieldError[] {
  const errs: FieldError[] = [];
  list(schema['x-kubernetes-validations']).forEach((rule, i) => {
    const p = index(child(path, 'x-kubernetes-validations'), i);
    const ruleText = str(rule['rule']);
    const message = str(rule['message']);
    const trimmedRule = ruleText.trim();
    const trimmedMsg = message.trim();
    if (trimmedRule.length === 0) errs.push(fieldError.required(child(p, 'rule'), 'rule is not specified'));
    else if (message.length > 0 && trimmedMsg.length === 0) errs.push(fieldError.invalid(child(p, 'message'), message, 'must be non-empty if specified'));
    else if (/[\n\r]/.test(trimmedMsg)) errs.push(fieldError.invalid(child(p, 'message'), message, 'must not contain line breaks'));
    else if (/[\n\r]/.test(trimmedRule) && trimmedMsg.length === 0) {
      errs.push(fieldError.required(child(p, 'message'), 'message must be specified if rule contains line breaks'));
    }
    const messageExpression = str(rule['messageExpression']);
    if (messageExpression.length > 0 && messageExpression.trim().length === 0) {
      errs.push(fieldError.required(child(p, 'messageExpression'), 'messageExpression must be non-empty if specified'));
    }
    if (typeof rule['reason'] === 'string' && !VALIDATION_REASONS.includes(rule['reason'])) {
      errs.push(fieldError.notSupported(child(p, 'reason'), rule['reason'], VALIDATION_REASONS));
    }
    const fieldPath = str(rule['fieldPath']);
    if (fieldPath.length > 0 && fieldPath.trim().length === 0) errs.push(fieldError.invalid(child(p, 'fieldPath'), fieldPath, 'must be non-empty if specified'));
    if (/[\n\r]/.test(fieldPath)) errs.push(fieldError.invalid(child(p, 'fieldPath'), fieldPath, 'must not contain line breaks'));
  });
  return errs;
}

// Predicates over every schema of a spec.

export function specHas(spec: Obj, pred: (s: JSONSchemaProps) => boolean): boolean {
  return list<Version>(spec['versions']).some((v) => schemaHas(v.schema?.openAPIV3Schema, pred));
}

export function hasKubernetesExtensions(s: JSONSchemaProps): boolean {
  return (
    s['x-kubernetes-embedded-resource'] === true ||
    (s['x-kubernetes-preserve-unknown-fields'] !== undefined && s['x-kubernetes-preserve-unknown-fields'] !== null) ||
    s['x-kubernetes-int-or-string'] === true ||
    list(s['x-kubernetes-list-map-keys']).length > 0 ||
    typeof s['x-kubernetes-list-type'] === 'string' ||
    list(s['x-kubernetes-validations']).length > 0
  );
}

export function hasNonAtomicSetType(s: JSONSchemaProps): boolean {
  const items = itemsOf(s);
  if (s['x-kubernetes-list-type'] !== 'set' || !items) return false;
  if (items.type === 'array') return typeof items['x-kubernetes-list-type'] === 'string' && items['x-kubernetes-list-type'] !== 'atomic';
  if (items.type === 'object') return items['x-kubernetes-map-type'] !== 'atomic';
  return false;
}

export function specHasNonStructuralSchema(spec: Obj): boolean {
  return list<Version>(spec['versions']).some((v) => {
    const s = v.schema?.openAPIV3Schema;
    return isObj(s) && (structuralInitError(s) !== undefined || validateStructural(s, '').length > 0);
  });
}

