// OpenAPI v3 validation of a custom resource against its CRD schema, with the behaviour and the
// messages of upstream's validator (kube-openapi's validate package, driven by apiextensions-apiserver's
// pkg/apiserver/validation): every check of a schema node runs (type, allOf/anyOf/oneOf/not, string,
// format, number, array, enum, object), anyOf/oneOf report the alternative that matched best, and the
// result becomes field errors the way upstream converts it:
//
//   spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"
//   spec.size: Unsupported value: "huge": supported values: "small", "large"
//   spec.name: Required value
//
// Updates ratchet (CRDValidationRatcheting, GA since 1.33): errors inside a part of the object that did
// not change from the stored object are dropped.
//
// Not here: x-kubernetes-validations (CEL rules) are not evaluated; list-type uniqueness and embedded
// resources are checked in listtype.ts and objectmeta.ts, as upstream checks them outside this validator.
import type { FieldError } from '../api/types.ts';
import { fieldError, formatBadValue, goQuote } from '../api/validation.ts';
import { effectiveFormat, formatChecker, schemaTypes } from './formats.ts';
import { goFloat, goMarshal, goNumber, goPrint } from './gofmt.ts';
import { compileGoRegexp } from './goregexp.ts';
import { additionalPropertiesOf, deepEqual, hasOwn, isObj, itemsOf, property, type JSONSchemaProps, type Obj } from './jsonschema.ts';

type Code =
  | 'InvalidType' | 'Required' | 'TooLong' | 'TooShort' | 'Pattern' | 'Enum' | 'MultipleOf' | 'Max' | 'Min' | 'Unique'
  | 'MaxItems' | 'MinItems' | 'TooFewProperties' | 'TooManyProperties' | 'UnallowedProperty' | 'MultipleOfMustBePositive';

/** kube-openapi's errors.Validation: a coded error naming the value's path. */
interface CodedError {
  code: Code;
  name: string;
  value?: unknown;
  valid?: number;
  values?: unknown[];
  message: string;
}
/** Any other error (composite anyOf/oneOf/allOf/not messages, number range checks): no path of its own. */
interface PlainError {
  code: 'plain';
  message: string;
}
type SchemaError = CodedError | PlainError;

/** validate.Result: errors (unique by message) and a match count that picks the best anyOf/oneOf branch. */
class Result {
  errors: SchemaError[] = [];
  matchCount = 0;

  add(...errs: SchemaError[]): this {
    for (const e of errs) if (!this.errors.some((x) => x.message === e.message)) this.errors.push(e);
    return this;
  }

  merge(...others: Array<Result | undefined>): this {
    for (const o of others) {
      if (!o) continue;
      this.add(...o.errors);
      this.matchCount += o.matchCount;
    }
    return this;
  }

  inc(): void {
    this.matchCount++;
  }

  get valid(): boolean {
    return this.errors.length === 0;
  }
}

const single = (e: SchemaError): Result => new Result().add(e);
const IN = 'body';

// ---------------------------------------------------------------------------------------------
// Messages (kube-openapi's errors package).

const msg = {
  invalidType: (name: string, type: string, got: string): string => `${name} in ${IN} must be of type ${type}: ${goQuote(got)}`,
  required: (name: string): string => `${name} in ${IN} is required`,
  tooLong: (name: string, max: number): string => `${name} in ${IN} should be at most ${max} chars long`,
  tooShort: (name: string, min: number): string => `${name} in ${IN} should be at least ${min} chars long`,
  pattern: (name: string, pattern: string): string => `${name} in ${IN} should match '${pattern}'`,
  enum: (name: string, values: unknown[]): string => `${name} in ${IN} should be one of ${goPrint(values)}`,
  multipleOf: (name: string, factor: string): string => `${name} in ${IN} should be a multiple of ${factor}`,
  max: (name: string, max: string, exclusive: boolean): string => `${name} in ${IN} should be less than ${exclusive ? '' : 'or equal to '}${max}`,
  min: (name: string, min: string, exclusive: boolean): string => `${name} in ${IN} should be greater than ${exclusive ? '' : 'or equal to '}${min}`,
  unique: (name: string): string => `${name} in ${IN} shouldn't contain duplicates`,
  maxItems: (name: string, max: number): string => `${name} in ${IN} should have at most ${max} items`,
  minItems: (name: string, min: number): string => `${name} in ${IN} should have at least ${min} items`,
  tooFewProperties: (name: string, min: number): string => `${name} in ${IN} should have at least ${min} properties`,
  tooManyProperties: (name: string, max: number): string => `${name} in ${IN} should have at most ${max} properties`,
  unallowed: (name: string, key: string): string => `${name}.${key} in ${IN} is a forbidden property`,
};

function invalidType(name: string, type: string, got: string): CodedError {
  return { code: 'InvalidType', name, value: got, message: msg.invalidType(name, type, got) };
}

// ---------------------------------------------------------------------------------------------
// Values as Go sees them after JSON decoding.

type Kind = 'nil' | 'bool' | 'string' | 'int' | 'float' | 'array' | 'object';

const INT64_LIMIT = 2 ** 63;

function kindOf(v: unknown): Kind {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < INT64_LIMIT ? 'int' : 'float';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

/** The JSON type (and Go-derived format) kube-openapi infers for a value. */
function jsonTypeOf(kind: Kind): [type: string, format: string] {
  switch (kind) {
    case 'bool': return ['boolean', ''];
    case 'string': return ['string', ''];
    case 'int': return ['integer', 'int64'];
    case 'float': return ['number', 'float64'];
    case 'array': return ['array', ''];
    default: return ['object', ''];
  }
}

/** swag.IsFloat64AJSONInteger. */
function isJSONInteger(f: number): boolean {
  if (!Number.isFinite(f) || Math.abs(f) > 2 ** 53) return false;
  const g = Math.trunc(f);
  if (f === g) return true;
  const diff = Math.abs(f - g);
  return diff / Math.min(Math.abs(f) + Math.abs(g), Number.MAX_VALUE) < 1e-9;
}

/** The text Go's strconv gives a number before range-checking it (int64 or FormatFloat 'f'). */
function numberText(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return BigInt(n).toString();
  return String(n);
}

const INT32 = [-(2 ** 31), 2 ** 31 - 1] as const;
const FLOAT32_MAX = 3.4028234663852886e38;

/** IsValueValidAgainstRange: can the number be represented in the schema's type and format? */
function rangeError(n: number, typeName: string, format: string, prefix: string, path: string): PlainError | undefined {
  const text = numberText(n);
  let ok = true;
  if (typeName === 'integer') {
    if (!/^[-+]?\d+$/.test(text)) ok = false;
    else {
      const v = BigInt(text);
      ok = format === 'int32' ? v >= BigInt(INT32[0]) && v <= BigInt(INT32[1]) : v >= -(2n ** 63n) && v < 2n ** 63n;
    }
  } else if (format === 'float') {
    ok = Math.abs(n) <= FLOAT32_MAX;
  }
  if (ok) return undefined;
  const message = format
    ? `${prefix} value must be of type ${typeName} with format ${format} in ${path}`
    : `${prefix} value must be of type ${typeName} (default format) in ${path}`;
  return { code: 'plain', message };
}

// ---------------------------------------------------------------------------------------------
// Ratcheting: the stored object's value correlated with each visited part of the new object.

class Correlated {
  #children = new Map<string | number, Correlated | undefined>();
  #equal: boolean | undefined;
  #oldByKey: Map<string, unknown> | undefined;

  constructor(
    readonly value: unknown,
    readonly old: unknown,
    readonly schema: JSONSchemaProps,
  ) {}

  key(field: string): Correlated | undefined {
    if (this.#children.has(field)) return this.#children.get(field);
    let child: Correlated | undefined;
    if (isObj(this.value) && isObj(this.old) && hasOwn(this.value, field) && hasOwn(this.old, field)) {
      const s = property(this.schema, field) ?? additionalPropertiesOf(this.schema)?.schema;
      if (s) child = new Correlated(this.value[field], this.old[field], s);
    }
    this.#children.set(field, child);
    return child;
  }

  index(i: number): Correlated | undefined {
    if (this.#children.has(i)) return this.#children.get(i);
    let child: Correlated | undefined;
    const items = itemsOf(this.schema);
    if (items && Array.isArray(this.value) && Array.isArray(this.old) && i < this.value.length) {
      const old = this.#oldAt(i);
      if (old !== undefined && old !== null) child = new Correlated(this.value[i], old, items);
    }
    this.#children.set(i, child);
    return child;
  }

  get isMapList(): boolean {
    return this.schema['x-kubernetes-list-type'] === 'map';
  }

  #oldAt(i: number): unknown {
    const value = this.value as unknown[];
    const old = this.old as unknown[];
    switch (this.schema['x-kubernetes-list-type']) {
      case 'map': {
        if (!this.#oldByKey) {
          this.#oldByKey = new Map();
          for (const o of old) if (isObj(o)) this.#oldByKey.set(this.#mapKey(o), o);
        }
        const cur = value[i];
        return isObj(cur) ? this.#oldByKey.get(this.#mapKey(cur)) : undefined;
      }
      case 'set':
      case 'atomic':
        return undefined;
      default:
        return i < old.length ? old[i] : undefined;
    }
  }

  #mapKey(o: Obj): string {
    const keys = this.schema['x-kubernetes-list-map-keys'] ?? [];
    return JSON.stringify(keys.map((k) => (hasOwn(o, k) ? o[k] : null)));
  }

  /** Whether the value equals the old one (lists of type map compare by key, not position). */
  equal(): boolean {
    if (this.#equal === undefined) this.#equal = this.#computeEqual();
    return this.#equal;
  }

  #computeEqual(): boolean {
    const { value, old } = this;
    if ((value === null || value === undefined) && (old === null || old === undefined)) return true;
    if (value === null || value === undefined || old === null || old === undefined) return false;
    if (Array.isArray(value) || Array.isArray(old)) {
      if (!Array.isArray(value) || !Array.isArray(old) || value.length !== old.length) return false;
      for (let i = 0; i < value.length; i++) {
        const child = this.index(i);
        if (!child) return this.isMapList ? false : deepEqual(old, value);
        if (!child.equal()) return false;
      }
      return true;
    }
    if (isObj(value) || isObj(old)) {
      if (!isObj(value) || !isObj(old) || Object.keys(value).length !== Object.keys(old).length) return false;
      for (const k of Object.keys(value)) {
        const child = this.key(k);
        if (!child || !child.equal()) return false;
      }
      return true;
    }
    return deepEqual(old, value);
  }
}

// ---------------------------------------------------------------------------------------------
// The validator.

/** Validates `data` against one schema node, dropping errors in unchanged parts when ratcheting. */
function validateNode(s: JSONSchemaProps, data: unknown, path: string, corr: Correlated | undefined): Result {
  const res = validateSchema(s, data, path, corr);
  if (corr && !res.valid && corr.equal()) {
    const ratcheted = new Result();
    ratcheted.matchCount = res.matchCount;
    return ratcheted;
  }
  return res;
}

function childField(s: JSONSchemaProps, key: string, data: unknown, path: string, corr: Correlated | undefined): Result {
  // apiVersion and kind at the root never ratchet: both objects show the same ones.
  const child = corr && !isRootTypeMeta(path, key) ? corr.key(key) : undefined;
  return validateNode(s, data, joinPath(path, key), child);
}

function isRootTypeMeta(path: string, key: string): boolean {
  return path === '' && (key === 'kind' || key === 'apiVersion');
}

const joinPath = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

function validateSchema(s: JSONSchemaProps, data: unknown, path: string, corr: Correlated | undefined): Result {
  const result = new Result();
  const types = schemaTypes(s);
  const format = effectiveFormat(s);
  const kind = kindOf(data);
  if (kind === 'nil') {
    result.merge(validateType(s, types, format, data, kind, path));
    result.merge(validateEnum(s, data, path));
    return result;
  }
  const step = (r: Result | undefined): void => {
    result.merge(r);
    result.inc();
  };
  if (types.length > 0 || format !== '') step(validateType(s, types, format, data, kind, path));
  step(validateCombinators(s, data, path, corr));
  if (kind === 'string') {
    step(validateString(s, data as string, path));
    const check = formatChecker(format);
    if (check) step(check(data as string) ? undefined : single(invalidType(path, format, data as string)));
  }
  if (kind === 'int' || kind === 'float') step(validateNumber(s, types, format, data as number, kind, path));
  if (kind === 'array') step(validateArray(s, data as unknown[], path, corr));
  step(validateEnum(s, data, path));
  if (kind === 'object') step(validateObject(s, data as Obj, path, corr));
  result.inc();
  return result;
}

function validateType(s: JSONSchemaProps, types: string[], format: string, data: unknown, kind: Kind, path: string): Result {
  const result = new Result();
  result.inc();
  if (kind === 'nil') {
    if (types.length > 0 && !types.includes('null') && s.nullable !== true) return single(invalidType(path, types.join(','), 'null'));
    return result;
  }
  const [schType, dataFormat] = jsonTypeOf(kind);
  const isFloatInt = schType === 'number' && isJSONInteger(data as number) && types.includes('integer');
  const isIntFloat = schType === 'integer' && types.includes('number');
  const stringish = kind === 'string' || kind === 'array';
  if (!stringish && format !== '' && !(types.includes(schType) || dataFormat === format || isFloatInt || isIntFloat)) {
    return single(invalidType(path, format, dataFormat));
  }
  if (!(types.includes('number') || types.includes('integer')) && format !== '' && stringish) return result;
  if (!(types.includes(schType) || isFloatInt || isIntFloat)) return single(invalidType(path, types.join(','), schType));
  return result;
}

function validateCombinators(s: JSONSchemaProps, data: unknown, path: string, corr: Correlated | undefined): Result {
  const main = new Result();
  const quoted = goQuote(path);
  const anyOf = Array.isArray(s.anyOf) ? s.anyOf : [];
  if (anyOf.length > 0) {
    let best: Result | undefined;
    let firstSuccess: Result | undefined;
    let succeeded = false;
    for (const sub of anyOf) {
      const r = validateSchema(sub, data, path, corr);
      if (r.valid) {
        best = undefined;
        succeeded = true;
        firstSuccess ??= r;
        break;
      }
      if (!best || r.matchCount > best.matchCount) best = r;
    }
    if (!succeeded) main.add({ code: 'plain', message: `${quoted} must validate at least one schema (anyOf)` });
    if (best) main.merge(best);
    else if (firstSuccess) main.merge(firstSuccess);
  }
  const oneOf = Array.isArray(s.oneOf) ? s.oneOf : [];
  if (oneOf.length > 0) {
    let best: Result | undefined;
    let firstSuccess: Result | undefined;
    let validated = 0;
    for (const sub of oneOf) {
      const r = validateSchema(sub, data, path, corr);
      if (r.valid) {
        validated++;
        best = undefined;
        firstSuccess ??= r;
        continue;
      }
      if (validated === 0 && (!best || r.matchCount > best.matchCount)) best = r;
    }
    if (validated !== 1) {
      const extra = validated === 0 ? 'Found none valid' : `Found ${validated} valid alternatives`;
      main.add({ code: 'plain', message: `${quoted} must validate one and only one schema (oneOf). ${extra}` });
      if (best) main.merge(best);
    } else if (firstSuccess) main.merge(firstSuccess);
  }
  const allOf = Array.isArray(s.allOf) ? s.allOf : [];
  if (allOf.length > 0) {
    let validated = 0;
    for (const sub of allOf) {
      const r = validateSchema(sub, data, path, corr);
      if (r.valid) validated++;
      main.merge(r);
    }
    if (validated !== allOf.length) {
      main.add({ code: 'plain', message: `${quoted} must validate all the schemas (allOf)${validated === 0 ? '. None validated' : ''}` });
    }
  }
  if (isObj(s.not) && validateSchema(s.not, data, path, corr).valid) {
    main.add({ code: 'plain', message: `${quoted} must not validate the schema (not)` });
  }
  main.inc();
  return main;
}

function validateString(s: JSONSchemaProps, data: string, path: string): Result | undefined {
  const length = [...data].length;
  if (typeof s.maxLength === 'number' && length > s.maxLength) {
    return single({ code: 'TooLong', name: path, value: data, valid: s.maxLength, message: msg.tooLong(path, s.maxLength) });
  }
  if (typeof s.minLength === 'number' && length < s.minLength) {
    return single({ code: 'TooShort', name: path, value: data, valid: s.minLength, message: msg.tooShort(path, s.minLength) });
  }
  if (typeof s.pattern === 'string' && s.pattern !== '') {
    const re = compileGoRegexp(s.pattern);
    if (re instanceof Error) {
      return single({ code: 'Pattern', name: path, value: data, message: msg.pattern(path, `${s.pattern}, but pattern is invalid: ${re.message}`) });
    }
    if (!re.test(data)) return single({ code: 'Pattern', name: path, value: data, message: msg.pattern(path, s.pattern) });
  }
  return undefined;
}

function validateNumber(s: JSONSchemaProps, types: string[], format: string, n: number, kind: Kind, path: string): Result {
  let typeName = '';
  let numFormat = '';
  if (types.length === 1 && types[0] === 'integer') {
    typeName = 'integer';
    if (format === 'int32' || format === 'int64') numFormat = format;
  } else if (types.length === 1 && types[0] === 'number') {
    typeName = 'number';
    if (format === 'float' || format === 'double') numFormat = format;
  }
  const res = new Result();
  const checked = rangeError(n, typeName, numFormat, 'Checked', path);
  if (checked) res.add(checked);
  const isInt = kind === 'int';

  const resMultiple = new Result();
  if (typeof s.multipleOf === 'number') {
    const factor = s.multipleOf;
    const bad = rangeError(factor, typeName, numFormat, 'MultipleOf', path);
    if (bad) resMultiple.add(bad);
    const native = !bad && isInt;
    const f = native ? Math.trunc(factor) : factor;
    const factorText = native ? goNumber(f) : goFloat(f);
    if (f <= 0) {
      resMultiple.add({ code: 'MultipleOfMustBePositive', name: path, value: f, message: `factor MultipleOf declared for ${path} must be positive: ${factorText}` });
    } else if (native ? n % f !== 0 : !isJSONInteger(f < 1 ? (1 / f) * n : n / f)) {
      resMultiple.add({ code: 'MultipleOf', name: path, value: n, message: msg.multipleOf(path, factorText) });
    }
  }
  const bound = (limit: number, prefix: string, exclusive: boolean, fails: (v: number, l: number) => boolean, text: (name: string, l: string, ex: boolean) => string, code: Code): Result => {
    const r = new Result();
    const bad = rangeError(limit, typeName, numFormat, prefix, path);
    if (bad) r.add(bad);
    const native = !bad && isInt;
    const l = native ? Math.trunc(limit) : limit;
    if (fails(n, l)) r.add({ code, name: path, value: n, message: text(path, native ? goNumber(l) : goFloat(l), exclusive) });
    return r;
  };
  const resMaximum =
    typeof s.maximum === 'number'
      ? bound(s.maximum, 'Maximum boundary', s.exclusiveMaximum === true, (v, l) => (s.exclusiveMaximum === true ? v >= l : v > l), msg.max, 'Max')
      : undefined;
  const resMinimum =
    typeof s.minimum === 'number'
      ? bound(s.minimum, 'Minimum boundary', s.exclusiveMinimum === true, (v, l) => (s.exclusiveMinimum === true ? v <= l : v < l), msg.min, 'Min')
      : undefined;
  res.merge(resMultiple, resMinimum, resMaximum);
  res.inc();
  return res;
}

function validateArray(s: JSONSchemaProps, data: unknown[], path: string, corr: Correlated | undefined): Result {
  const result = new Result();
  const items = itemsOf(s);
  if (items) {
    data.forEach((v, i) => {
      result.merge(validateNode(items, v, `${path}[${i}]`, corr?.index(i)));
    });
  }
  const size = data.length;
  if (typeof s.minItems === 'number' && size < s.minItems) {
    result.add({ code: 'MinItems', name: path, value: size, valid: s.minItems, message: msg.minItems(path, s.minItems) });
  }
  if (typeof s.maxItems === 'number' && size > s.maxItems) {
    result.add({ code: 'MaxItems', name: path, value: size, valid: s.maxItems, message: msg.maxItems(path, s.maxItems) });
  }
  if (s.uniqueItems === true && data.some((v, i) => data.slice(0, i).some((u) => deepEqual(u, v)))) {
    result.add({ code: 'Unique', name: path, message: msg.unique(path) });
  }
  result.inc();
  return result;
}

function enumMatches(data: unknown, value: unknown): boolean {
  return deepEqual(data, value);
}

function validateEnum(s: JSONSchemaProps, data: unknown, path: string): Result | undefined {
  const values = Array.isArray(s.enum) ? s.enum : [];
  if (values.length === 0) return undefined;
  if (values.some((v) => enumMatches(data, v))) return undefined;
  return single({ code: 'Enum', name: path, value: data, values, message: msg.enum(path, values) });
}

function validateObject(s: JSONSchemaProps, data: Obj, path: string, corr: Correlated | undefined): Result {
  const res = new Result();
  const keys = Object.keys(data);
  const n = keys.length;
  if (typeof s.minProperties === 'number' && n < s.minProperties) {
    res.add({ code: 'TooFewProperties', name: path, value: n, valid: s.minProperties, message: msg.tooFewProperties(path, s.minProperties) });
  }
  if (typeof s.maxProperties === 'number' && n > s.maxProperties) {
    res.add({ code: 'TooManyProperties', name: path, value: n, valid: s.maxProperties, message: msg.tooManyProperties(path, s.maxProperties) });
  }
  const ap = additionalPropertiesOf(s);
  if (ap && !ap.allows) {
    for (const k of keys) {
      if (!property(s, k)) res.add({ code: 'UnallowedProperty', name: path, value: k, message: msg.unallowed(path, k) });
    }
  } else if (ap?.schema) {
    for (const k of keys) {
      if (!property(s, k)) res.merge(validateNode(ap.schema, data[k], `${path}.${k}`, corr?.key(k)));
    }
  }
  for (const [name, sub] of Object.entries(isObj(s.properties) ? s.properties : {})) {
    if (!isObj(sub) || !hasOwn(data, name)) continue;
    res.merge(childField(sub, name, data[name], path, corr));
  }
  for (const k of Array.isArray(s.required) ? s.required : []) {
    if (!hasOwn(data, k)) res.add({ code: 'Required', name: `${path}.${k}`, message: msg.required(`${path}.${k}`) });
  }
  return res;
}

// ---------------------------------------------------------------------------------------------
// Conversion to field errors (apiextensions-apiserver's kubeOpenAPIResultToFieldErrors).

function typeInvalid(field: string, value: unknown, detail: string): FieldError {
  return { reason: 'FieldValueTypeInvalid', field, message: `${field}: Invalid value: ${formatBadValue(value)}: ${detail}` };
}

function toFieldErrors(base: string | undefined, errors: SchemaError[]): FieldError[] {
  const baseField = base ?? '<nil>';
  return errors.map((err): FieldError => {
    if (err.code === 'plain') return fieldError.invalid(baseField, '', err.message);
    const name = err.name.startsWith('.') ? err.name.slice(1) : err.name;
    const field = err.name !== '' && err.name !== '.' ? (base ? `${base}.${name}` : name) : baseField;
    const value = err.value ?? '';
    switch (err.code) {
      case 'Required':
        return fieldError.required(field);
      case 'Enum':
        return fieldError.notSupported(field, err.value ?? null, (err.values ?? []).map((v) => (typeof v === 'string' ? v : goMarshal(v))));
      case 'TooLong':
        return fieldError.tooLong(field, err.valid ?? -1);
      case 'MaxItems':
      case 'TooManyProperties':
        return fieldError.tooMany(field, typeof err.value === 'number' ? err.value : -1, err.valid ?? -1);
      case 'InvalidType':
        return typeInvalid(field, value, err.message);
      default:
        return fieldError.invalid(field, value, err.message);
    }
  });
}

export interface SchemaValidateOptions {
  /** Field path the value lives at ("status" for the status subresource, "<schema path>.default" for defaults); none for a whole object. */
  path?: string;
}

/** Validates a value (usually a whole custom resource) against an OpenAPI v3 schema. */
export function validateAgainstSchema(schema: JSONSchemaProps | undefined, value: unknown, opts: SchemaValidateOptions = {}): FieldError[] {
  if (!schema) return [];
  const res = validateSchema(schema, value, '', undefined);
  return res.valid ? [] : toFieldErrors(opts.path, res.errors);
}

/** Validates an update; errors in parts equal to the old value (correlated by key, index or list-map keys) are dropped. */
export function validateAgainstSchemaUpdate(schema: JSONSchemaProps | undefined, value: unknown, old: unknown, opts: SchemaValidateOptions = {}): FieldError[] {
  if (!schema) return [];
  const res = validateNode(schema, value, '', new Correlated(value, old, schema));
  return res.valid ? [] : toFieldErrors(opts.path, res.errors);
}
