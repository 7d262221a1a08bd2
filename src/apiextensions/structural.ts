// Structural schema rules (apiextensions-apiserver pkg/apiserver/schema ValidateStructural): every
// level says its type (except where int-or-string or preserve-unknown-fields allow none), the
// logic junctors (allOf, anyOf, oneOf, not) only restrict values and never introduce fields or types,
// and metadata at the root may only constrain name and generateName. Errors come back sorted by
// message, as upstream sorts them.
import type { FieldError } from '../api/types.ts';
import { fieldError } from '../api/validation.ts';
import { compileGoRegexp } from './goregexp.ts';
import { additionalPropertiesOf, isObj, itemsOf, propertiesOf, property, type JSONSchemaProps } from './jsonschema.ts';

type Level = 'root' | 'item' | 'field';

const key = (path: string, k: string): string => `${path}[${k}]`;
const child = (path: string, name: string): string => `${path}.${name}`;

/** A JSON member that Go would decode to its zero value (so upstream treats it as unset). */
export function isZero(v: unknown): boolean {
  return v === undefined || v === null || v === false || v === '' || (Array.isArray(v) && v.length === 0);
}

const setMember = (s: JSONSchemaProps, k: keyof JSONSchemaProps): boolean => !isZero(s[k]);

const onlyType = (s: unknown, type: string): boolean =>
  isObj(s) && s['type'] === type && Object.entries(s).every(([k, v]) => k === 'type' || isZero(v));

function isIntOrStringAnyOf(anyOf: unknown): boolean {
  return Array.isArray(anyOf) && anyOf.length === 2 && onlyType(anyOf[0], 'integer') && onlyType(anyOf[1], 'string');
}

function schemas(v: unknown): JSONSchemaProps[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

/** ValidateStructural: the structural invariants and the completeness of value validations. */
export function validateStructural(schema: JSONSchemaProps, path: string): FieldError[] {
  const errs = [...invariants(schema, 'root', path), ...valueValidationCompleteness(schema, schema, path, path)];
  return errs.sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
}

export function isStructural(schema: JSONSchemaProps): boolean {
  return validateStructural(schema, '').length === 0;
}

function invariants(s: JSONSchemaProps, level: Level, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const items = itemsOf(s);
  if (s.type === 'array' && !items) errs.push(fieldError.required(child(path, 'items'), 'must be specified'));
  if (items) errs.push(...invariants(items, 'item', child(path, 'items')));
  for (const [k, v] of Object.entries(propertiesOf(s) ?? {})) {
    if (isObj(v)) errs.push(...invariants(v, 'field', key(child(path, 'properties'), k)));
  }
  const ap = additionalPropertiesOf(s);
  if (ap) {
    if (level === 'root') errs.push(fieldError.forbidden(child(path, 'additionalProperties'), 'must not be used at the root'));
    if (ap.schema) errs.push(...invariants(ap.schema, 'field', child(path, 'additionalProperties')));
  }

  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  if (intOrString && preserve) {
    errs.push(fieldError.invalid(child(path, 'x-kubernetes-preserve-unknown-fields'), true, 'must be false if x-kubernetes-int-or-string is true'));
  }
  if (intOrString && embedded) {
    errs.push(fieldError.invalid(child(path, 'x-kubernetes-embedded-resource'), true, 'must be false if x-kubernetes-int-or-string is true'));
  }

  const skipAnyOf = isIntOrStringAnyOf(s.anyOf);
  const firstAllOf = schemas(s.allOf)[0];
  const skipFirstAllOfAnyOf = firstAllOf !== undefined && isIntOrStringAnyOf(firstAllOf.anyOf);
  errs.push(...valueValidation(s, skipAnyOf, skipFirstAllOfAnyOf, level, path));

  const type = typeof s.type === 'string' ? s.type : '';
  const checkMetadata = level === 'root' || embedded;
  if (embedded && type !== 'object') {
    const msg = 'must be object if x-kubernetes-embedded-resource is true';
    errs.push(type === '' ? fieldError.required(child(path, 'type'), msg) : fieldError.invalid(child(path, 'type'), type, msg));
  } else if (type === '' && !intOrString && !preserve) {
    const where = { root: 'at the root', item: 'for specified array items', field: 'for specified object fields' }[level];
    errs.push(fieldError.required(child(path, 'type'), `must not be empty ${where}`));
  }
  if (embedded && ap) errs.push(fieldError.forbidden(child(path, 'additionalProperties'), 'must not be used if x-kubernetes-embedded-resource is set'));
  if (level === 'root' && type !== '' && type !== 'object') errs.push(fieldError.invalid(child(path, 'type'), type, 'must be object at the root'));

  for (const typeMeta of ['kind', 'apiVersion']) {
    const p = property(s, typeMeta);
    if (p && checkMetadata && p.type !== 'string') {
      errs.push(fieldError.invalid(child(key(child(path, 'properties'), typeMeta), 'type'), p.type ?? '', 'must be string'));
    }
  }
  const metadata = property(s, 'metadata');
  if (metadata) errs.push(...metadataInvariants(metadata, checkMetadata, level, key(child(path, 'properties'), 'metadata')));

  if (embedded && !preserve && Object.keys(propertiesOf(s) ?? {}).length === 0) {
    errs.push(fieldError.required(child(path, 'properties'), 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'));
  }
  return errs;
}

function metadataInvariants(s: JSONSchemaProps, checkMetadata: boolean, level: Level, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (checkMetadata && s.type !== 'object') errs.push(fieldError.invalid(child(path, 'type'), s.type ?? '', 'must be object'));
  if (level === 'root') {
    // Only name and generateName may be constrained; type and default are checked elsewhere.
    const props = Object.keys(propertiesOf(s) ?? {});
    const onlyNames = props.length > 0 && props.length <= 2 && props.every((p) => p === 'name' || p === 'generateName') && new Set(props).size === props.length;
    const extra = Object.entries(s).some(([k, v]) => {
      if (k === 'type' || k === 'default') return false;
      if (k === 'properties') return !onlyNames && props.length > 0;
      return !isZero(v);
    });
    if (extra) errs.push(fieldError.forbidden(path, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
  }
  return errs;
}

function valueValidation(s: JSONSchemaProps, skipAnyOf: boolean, skipFirstAllOfAnyOf: boolean, level: Level, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!skipAnyOf) schemas(s.anyOf).forEach((v, i) => errs.push(...nested(v, false, false, level, `${child(path, 'anyOf')}[${i}]`)));
  schemas(s.allOf).forEach((v, i) => errs.push(...nested(v, skipFirstAllOfAnyOf && i === 0, false, level, `${child(path, 'allOf')}[${i}]`)));
  schemas(s.oneOf).forEach((v, i) => errs.push(...nested(v, false, false, level, `${child(path, 'oneOf')}[${i}]`)));
  if (isObj(s.not)) errs.push(...nested(s.not, false, false, level, child(path, 'not')));
  if (typeof s.pattern === 'string' && s.pattern !== '') {
    const re = compileGoRegexp(s.pattern);
    if (re instanceof Error) {
      errs.push(fieldError.invalid(child(path, 'pattern'), s.pattern, `must be a valid regular expression, but isn't: error parsing regexp: ${re.message}`));
    }
  }
  return errs;
}

function nested(v: JSONSchemaProps, skipAnyOf: boolean, skipAllOfAnyOf: boolean, level: Level, path: string): FieldError[] {
  const errs = valueValidation(v, skipAnyOf, skipAllOfAnyOf, level, path);
  const items = itemsOf(v);
  if (items) errs.push(...nested(items, false, false, level, child(path, 'items')));
  for (const [k, p] of Object.entries(propertiesOf(v) ?? {})) {
    if (isObj(p)) errs.push(...nested(p, false, false, 'field', key(child(path, 'properties'), k)));
  }
  if (setMember(v, 'type')) errs.push(fieldError.forbidden(child(path, 'type'), 'must be empty to be structural'));
  const ap = v.additionalProperties;
  if (isObj(ap) || ap === true) errs.push(fieldError.forbidden(child(path, 'additionalProperties'), 'must be undefined to be structural'));
  if (v.default !== undefined && v.default !== null) errs.push(fieldError.forbidden(child(path, 'default'), 'must be undefined to be structural'));
  if (setMember(v, 'title')) errs.push(fieldError.forbidden(child(path, 'title'), 'must be empty to be structural'));
  if (setMember(v, 'description')) errs.push(fieldError.forbidden(child(path, 'description'), 'must be empty to be structural'));
  if (v.nullable === true) errs.push(fieldError.forbidden(child(path, 'nullable'), 'must be false to be structural'));
  for (const ext of ['x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string'] as const) {
    if (v[ext] === true) errs.push(fieldError.forbidden(child(path, ext), 'must be false to be structural'));
  }
  if (setMember(v, 'x-kubernetes-list-map-keys')) errs.push(fieldError.forbidden(child(path, 'x-kubernetes-list-map-keys'), 'must be empty to be structural'));
  if (typeof v['x-kubernetes-list-type'] === 'string') errs.push(fieldError.forbidden(child(path, 'x-kubernetes-list-type'), 'must be undefined to be structural'));
  if (typeof v['x-kubernetes-map-type'] === 'string') errs.push(fieldError.forbidden(child(path, 'x-kubernetes-map-type'), 'must be undefined to be structural'));
  if (setMember(v, 'x-kubernetes-validations')) errs.push(fieldError.forbidden(child(path, 'x-kubernetes-validations'), 'must be empty to be structural'));
  if (property(v, 'metadata')) errs.push(fieldError.forbidden(key(child(path, 'properties'), 'metadata'), 'must not be specified in a nested context'));
  return errs;
}

// Completeness: every property or items a junctor mentions also exists in the structural part.

function valueValidationCompleteness(v: JSONSchemaProps, s: JSONSchemaProps | undefined, sPath: string, vPath: string): FieldError[] {
  const errs: FieldError[] = [];
  if (isObj(v.not)) errs.push(...nestedCompleteness(v.not, s, sPath, child(vPath, 'not')));
  for (const junctor of ['allOf', 'anyOf', 'oneOf'] as const) {
    schemas(v[junctor]).forEach((sub, i) => errs.push(...nestedCompleteness(sub, s, sPath, `${child(vPath, junctor)}[${i}]`)));
  }
  return errs;
}

function nestedCompleteness(v: JSONSchemaProps | undefined, s: JSONSchemaProps | undefined, sPath: string, vPath: string): FieldError[] {
  if (!v) return [];
  if (!s) return [fieldError.required(sPath, `because it is defined in ${vPath}`)];
  const errs = valueValidationCompleteness(v, s, sPath, vPath);
  const vItems = itemsOf(v);
  if (vItems) errs.push(...nestedCompleteness(vItems, itemsOf(s), child(sPath, 'items'), child(vPath, 'items')));
  for (const [k, vField] of Object.entries(propertiesOf(v) ?? {})) {
    if (!isObj(vField)) continue;
    const sField = property(s, k);
    const sp = key(child(sPath, 'properties'), k);
    const vp = key(child(vPath, 'properties'), k);
    if (!sField) errs.push(fieldError.required(sp, `because it is defined in ${vp}`));
    else errs.push(...nestedCompleteness(vField, sField, sp, vp));
  }
  return errs;
}
