// Schema-driven checks on a JSON object of a built-in type, matching what upstream's JSON decoding
// (sigs.k8s.io/json into the Go types) reports:
// - findUnknownFields / pruneUnknownFields: fields the Go type does not have (fieldValidation
//   Strict → 400, Warn → warnings, Ignore → dropped). Paths are written as upstream's strict decoder
//   writes them: "spec.foo", "spec.template.spec.containers[0].foo", "metadata.labels" never (maps are maps).
// - typeCheck: values of the wrong JSON type, with upstream's "json: cannot unmarshal …" messages.
//
// Upstream's messages built from these (for the apiserver):
//   strict decoding error: unknown field "spec.foo", unknown field "spec.bar"     (strictDecodingMessage)
//   <Kind> in version "<v>" cannot be handled as a <Kind>: <one of the above or a typeCheck message>
import { isListRef, isMapRef, isStructRef, jsonFields, schemaType } from './schema.ts';
import type { TypeRef } from './schema.ts';

/** Upstream stops collecting strict errors at 100. */
const MAX_STRICT_ERRORS = 100;

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function childPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

// ---------------------------------------------------------------- unknown fields

/** Paths of fields the type does not know, in document order, at most 100, deduplicated. */
export function findUnknownFields(typeName: string, obj: unknown): string[] {
  const found: string[] = [];
  walkUnknown(typeName, obj, '', (path) => {
    if (found.length < MAX_STRICT_ERRORS && !found.includes(path)) found.push(path);
  }, false);
  return found;
}

/**
 * Removes unknown fields in place (what decoding into the Go type does under fieldValidation
 * Ignore or Warn) and returns their paths. Unlike findUnknownFields it also cleans inside CRD
 * schema values that upstream decodes leniently.
 */
export function pruneUnknownFields(typeName: string, obj: unknown): string[] {
  const removed: string[] = [];
  walkUnknown(typeName, obj, '', (path, parent, key) => {
    removed.push(path);
    delete parent[key];
  }, true);
  return removed;
}

/** The message upstream's strict decoding gives for unknown field paths. */
export function strictDecodingMessage(paths: readonly string[]): string {
  return 'strict decoding error: ' + paths.map(unknownFieldMessage).join(', ');
}

/** One unknown field, as upstream words it (also the fieldValidation=Warn warning text). */
export function unknownFieldMessage(path: string): string {
  return `unknown field ${JSON.stringify(path)}`;
}

type OnUnknown = (path: string, parent: JsonObject, key: string) => void;

function walkUnknown(typeName: string, value: unknown, path: string, onUnknown: OnUnknown, lenientToo: boolean): void {
  if (!isObject(value)) return;
  const t = schemaType(typeName);
  if (!t) return;
  if (t.json) {
    // JSONSchemaPropsOr*: upstream unmarshals these with a non-strict decoder, so unknown
    // fields inside are dropped silently, never reported.
    if (lenientToo) walkCustom(t.json, value, path, onUnknown);
    return;
  }
  const fields = jsonFields(typeName);
  for (const key of Object.keys(value)) {
    const f = fields.get(key);
    const p = childPath(path, key);
    if (!f) onUnknown(p, value, key);
    else walkRef(f.type, value[key], p, onUnknown, lenientToo);
  }
}

function walkRef(ref: TypeRef, value: unknown, path: string, onUnknown: OnUnknown, lenientToo: boolean): void {
  if (value === null || value === undefined) return;
  if (isListRef(ref)) {
    if (Array.isArray(value)) value.forEach((v, i) => walkRef(ref.list, v, `${path}[${i}]`, onUnknown, lenientToo));
  } else if (isMapRef(ref)) {
    if (isObject(value)) for (const [k, v] of Object.entries(value)) walkRef(ref.map, v, childPath(path, k), onUnknown, lenientToo);
  } else if (isStructRef(ref)) {
    walkUnknown(ref, value, path, onUnknown, lenientToo);
  }
}

const JSON_SCHEMA_PROPS = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps';

function walkCustom(form: string, value: unknown, path: string, onUnknown: OnUnknown): void {
  if (isObject(value)) walkUnknown(JSON_SCHEMA_PROPS, value, path, onUnknown, true);
  else if (Array.isArray(value) && form === 'schemaOrArray') {
    value.forEach((v, i) => walkUnknown(JSON_SCHEMA_PROPS, v, `${path}[${i}]`, onUnknown, true));
  }
}

// ---------------------------------------------------------------- type errors

export interface FieldTypeError {
  /** Where the bad value is, written like the unknown-field paths ("spec.replicas", "spec.ports[0].port"). */
  path: string;
  /** Upstream's message, e.g. `json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`. */
  message: string;
  /** Upstream's decoder stops at this error (it came from a type's own UnmarshalJSON). */
  fatal?: true;
}

/**
 * Values upstream's decoder rejects, in the order it meets them. It stops at a fatal error; if
 * there is none it reports the first one. reportedTypeError picks the one upstream reports.
 */
export function typeCheck(typeName: string, obj: unknown): FieldTypeError[] {
  const errors: FieldTypeError[] = [];
  try {
    checkValue(typeName, undefined, obj, '', { struct: '', stack: [] }, errors);
  } catch (err) {
    if (!(err instanceof StopDecoding)) throw err;
  }
  return errors;
}

/** The error upstream returns for a typeCheck result (undefined when there is none). */
export function reportedTypeError(errors: readonly FieldTypeError[]): FieldTypeError | undefined {
  return errors.find((e) => e.fatal) ?? errors[0];
}

/** Go's errorContext: the innermost struct and the JSON field names leading to the value (no indices or map keys). */
interface Ctx {
  struct: string;
  stack: string[];
}

class StopDecoding extends Error {}

function jsonKind(v: unknown): string {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

function unmarshalTypeMessage(value: string, goType: string, ctx: Ctx): string {
  if (ctx.stack.length === 0 && ctx.struct === '') return `json: cannot unmarshal ${value} into Go value of type ${goType}`;
  return `json: cannot unmarshal ${value} into Go struct field ${ctx.struct}.${ctx.stack.join('.')} of type ${goType}`;
}

/** Go's reflect name of a schema type: "v1.DeploymentSpec", "[]v1.Container", "map[string]string". */
export function goTypeName(ref: TypeRef): string {
  if (isListRef(ref)) return '[]' + goTypeName(ref.list);
  if (isMapRef(ref)) return 'map[string]' + goTypeName(ref.map);
  const simple: Record<string, string> = {
    string: 'string', int32: 'int32', int64: 'int64', bool: 'bool', double: 'float64', bytes: '[]uint8',
    quantity: 'resource.Quantity', 'int-or-string': 'intstr.IntOrString', time: 'v1.Time', microtime: 'v1.MicroTime',
    duration: 'v1.Duration', raw: 'runtime.RawExtension', fieldsV1: 'v1.FieldsV1',
  };
  if (Object.hasOwn(simple, ref)) return simple[ref]!;
  const parts = ref.split('.');
  return `${parts[parts.length - 2]}.${parts[parts.length - 1]}`;
}

function elementGoType(ref: TypeRef, goType: string | undefined, prefix: '[]' | 'map[string]'): string | undefined {
  if (goType?.startsWith(prefix)) return goType.slice(prefix.length);
  return isListRef(ref) ? goTypeName(ref.list) : isMapRef(ref) ? goTypeName(ref.map) : undefined;
}

const INT_RANGE: Record<string, [number, number]> = { int32: [-(2 ** 31), 2 ** 31 - 1], int64: [-(2 ** 63), 2 ** 63] };

function checkValue(ref: TypeRef, goType: string | undefined, v: unknown, path: string, ctx: Ctx, out: FieldTypeError[]): void {
  if (v === null || v === undefined) {
    if (ref === 'duration') fatal(out, path, 'time: invalid duration ""');
    return; // null leaves Go values alone
  }
  const type = goType ?? goTypeName(ref);
  const saved = (value: string): void => {
    out.push({ path, message: unmarshalTypeMessage(value, type, ctx) });
  };
  if (isListRef(ref)) {
    if (!Array.isArray(v)) return saved(jsonKind(v));
    const elemType = elementGoType(ref, goType, '[]');
    v.forEach((item, i) => checkValue(ref.list, elemType, item, `${path}[${i}]`, ctx, out));
    return;
  }
  if (isMapRef(ref)) {
    if (!isObject(v)) return saved(jsonKind(v));
    const elemType = elementGoType(ref, goType, 'map[string]');
    for (const [k, item] of Object.entries(v)) checkValue(ref.map, elemType, item, childPath(path, k), ctx, out);
    return;
  }
  switch (ref) {
    case 'string':
      if (typeof v !== 'string') saved(jsonKind(v));
      return;
    case 'bool':
      if (typeof v !== 'boolean') saved(jsonKind(v));
      return;
    case 'double':
      if (typeof v !== 'number') saved(jsonKind(v));
      return;
    case 'int32':
    case 'int64': {
      if (typeof v !== 'number') return saved(jsonKind(v));
      const [min, max] = INT_RANGE[ref]!;
      if (!Number.isInteger(v) || v < min || v > max) saved(`number ${JSON.stringify(v)}`);
      return;
    }
    case 'bytes':
      if (typeof v === 'string') {
        const bad = base64ErrorOffset(v);
        if (bad !== undefined) out.push({ path, message: `illegal base64 data at input byte ${bad}` });
      } else if (!Array.isArray(v)) saved(jsonKind(v));
      return;
    case 'quantity': {
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      const err = quantityError(text.trim());
      if (err) fatal(out, path, err);
      return;
    }
    case 'int-or-string':
      if (typeof v === 'string') return;
      if (typeof v !== 'number') return fatal(out, path, unmarshalTypeMessage(jsonKind(v), 'int32', ctx));
      if (!Number.isInteger(v) || v < INT_RANGE.int32![0] || v > INT_RANGE.int32![1]) {
        fatal(out, path, unmarshalTypeMessage(`number ${JSON.stringify(v)}`, 'int32', ctx));
      }
      return;
    case 'time':
    case 'microtime': {
      if (typeof v !== 'string') return fatal(out, path, unmarshalTypeMessage(jsonKind(v), 'string', ctx));
      const err = timeParseError(v, ref === 'microtime');
      if (err) fatal(out, path, err);
      return;
    }
    case 'duration': {
      if (typeof v !== 'string') return fatal(out, path, unmarshalTypeMessage(jsonKind(v), 'string', ctx));
      const err = durationError(v);
      if (err) fatal(out, path, err);
      return;
    }
    case 'raw':
    case 'fieldsV1':
      return;
    default:
      return checkStruct(ref, type, v, path, ctx, out);
  }
}

function checkStruct(fq: string, goType: string, v: unknown, path: string, ctx: Ctx, out: FieldTypeError[]): void {
  const t = schemaType(fq);
  if (!t) return;
  if (t.json) return checkCustom(t.json, v, path, ctx, out);
  if (!isObject(v)) {
    out.push({ path, message: unmarshalTypeMessage(jsonKind(v), goType, ctx) });
    return;
  }
  const struct = fq.slice(fq.lastIndexOf('.') + 1);
  const fields = jsonFields(fq);
  for (const [key, item] of Object.entries(v)) {
    const f = fields.get(key);
    if (!f) continue;
    checkValue(f.type, f.goType, item, childPath(path, key), { struct, stack: [...ctx.stack, key] }, out);
  }
}

/**
 * JSONSchemaPropsOr*: their UnmarshalJSON runs a nested decoder, so an error inside stops the
 * outer decoding and is reported with the outer field's context.
 */
function checkCustom(form: string, v: unknown, path: string, ctx: Ctx, out: FieldTypeError[]): void {
  const inner: FieldTypeError[] = [];
  const check = (ref: TypeRef, value: unknown, p: string) => {
    try {
      checkValue(ref, undefined, value, p, { struct: '', stack: [] }, inner);
    } catch (err) {
      if (!(err instanceof StopDecoding)) throw err;
    }
  };
  if (form === 'schemaOrBool' && typeof v !== 'boolean' && !isObject(v)) return fatal(out, path, 'boolean or JSON schema expected');
  if (isObject(v)) check(JSON_SCHEMA_PROPS, v, path);
  else if (Array.isArray(v)) {
    if (form === 'schemaOrArray') check({ list: JSON_SCHEMA_PROPS }, v, path);
    else if (form === 'schemaOrStringArray') check({ list: 'string' }, v, path);
  }
  const first = reportedTypeError(inner);
  if (!first) return;
  // The nested decoder's type errors get the outer struct and field stack.
  const m = first.message.match(/^json: cannot unmarshal (.+) into Go (?:struct field \S+|value) of type (\S+)$/);
  fatal(out, first.path, m ? unmarshalTypeMessage(m[1]!, m[2]!, ctx) : first.message);
}

function fatal(out: FieldTypeError[], path: string, message: string): never {
  out.push({ path, message, fatal: true });
  throw new StopDecoding();
}

// ---------------------------------------------------------------- special value parsers

/** Offset Go's base64.StdEncoding reports for a bad string, or undefined when it decodes. */
function base64ErrorOffset(s: string): number | undefined {
  const clean = s.replace(/[\r\n]/g, '');
  const m = clean.match(/[^A-Za-z0-9+/=]/);
  if (m) return m.index;
  const pad = clean.indexOf('=');
  if (pad >= 0) {
    const tail = clean.slice(pad);
    if (!/^={1,2}$/.test(tail) || clean.length % 4 !== 0 || pad % 4 < 2) return pad;
    return undefined;
  }
  if (clean.length % 4 !== 0) return clean.length - (clean.length % 4 === 1 ? 1 : 0);
  return undefined;
}

const QUANTITY_FORMAT = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const QUANTITY_SUFFIXES = new Set(['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'n', 'u', 'm', 'k', 'M', 'G', 'T', 'P', 'E']);

/** Upstream's resource.ParseQuantity errors (format and suffix). */
export function quantityError(s: string): string | undefined {
  if (s.length === 0) return QUANTITY_FORMAT;
  const m = s.match(/^[+-]?([0-9]*)(?:\.([0-9]*))?(.*)$/);
  if (!m) return QUANTITY_FORMAT;
  const suffix = m[3]!;
  const sm = suffix.match(/^[eEinumkKMGTP]*([-+]?[0-9]*)$/);
  if (!sm) return QUANTITY_FORMAT;
  if (QUANTITY_SUFFIXES.has(suffix)) return undefined;
  if (/^[eE][-+]?[0-9]+$/.test(suffix)) return undefined;
  return "unable to parse quantity's suffix";
}

/** Go's time.ParseDuration errors. */
export function durationError(s: string): string | undefined {
  const q = JSON.stringify(s);
  if (s === '0' || s === '+0' || s === '-0') return undefined;
  let rest = s.replace(/^[-+]/, '');
  if (rest === '') return `time: invalid duration ${q}`;
  while (rest !== '') {
    const num = rest.match(/^([0-9]*)(\.[0-9]*)?/)!;
    if (num[0] === '' || num[0] === '.') return `time: invalid duration ${q}`;
    rest = rest.slice(num[0].length);
    const unit = rest.match(/^[^0-9.]*/)![0];
    if (unit === '') return `time: missing unit in duration ${q}`;
    if (!['ns', 'us', 'µs', 'μs', 'ms', 's', 'm', 'h'].includes(unit)) return `time: unknown unit ${JSON.stringify(unit)} in duration ${q}`;
    rest = rest.slice(unit.length);
  }
  return undefined;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const RFC3339 = '2006-01-02T15:04:05Z07:00';
const RFC3339_MICRO = '2006-01-02T15:04:05.000000Z07:00';

/** Go's time.Parse(RFC3339 or RFC3339Micro) errors, element by element like Go's parser. */
export function timeParseError(value: string, micro: boolean): string | undefined {
  const layout = micro ? RFC3339_MICRO : RFC3339;
  const q = JSON.stringify;
  const bad = (rest: string, elem: string) => `parsing time ${q(value)} as ${q(layout)}: cannot parse ${q(rest)} as ${q(elem)}`;
  const range = (what: string) => `parsing time ${q(value)}: ${what} out of range`;
  let rest = value;
  const num = (elem: string, fixed = true): number | string => {
    const m = rest.match(fixed ? /^[0-9]{2}/ : /^[0-9]{1,2}/);
    if (!m) return bad(rest, elem);
    rest = rest.slice(m[0].length);
    return Number(m[0]);
  };
  const lit = (s: string): string | undefined => {
    if (!rest.startsWith(s)) return bad(rest, s);
    rest = rest.slice(s.length);
    return undefined;
  };
  const ym = rest.match(/^[0-9]{4}/);
  if (!ym) return bad(rest, '2006');
  const year = Number(ym[0]);
  rest = rest.slice(4);
  let e = lit('-');
  if (e) return e;
  const month = num('01');
  if (typeof month === 'string') return month;
  if (month < 1 || month > 12) return range('month');
  if ((e = lit('-'))) return e;
  const day = num('02');
  if (typeof day === 'string') return day;
  if ((e = lit('T'))) return e;
  const hour = num('15', false);
  if (typeof hour === 'string') return hour;
  if (hour > 23) return range('hour');
  if ((e = lit(':'))) return e;
  const minute = num('04');
  if (typeof minute === 'string') return minute;
  if (minute > 59) return range('minute');
  if ((e = lit(':'))) return e;
  const second = num('05');
  if (typeof second === 'string') return second;
  if (second > 59) return range('second');
  if (micro) {
    if (!/^\.[0-9]{6}/.test(rest)) return bad(rest, '.000000');
    rest = rest.slice(7);
  } else {
    const frac = rest.match(/^[.,][0-9]+/);
    if (frac) rest = rest.slice(frac[0].length);
  }
  if (rest.startsWith('Z')) rest = rest.slice(1);
  else {
    const z = rest.match(/^[+-]([0-9]{2}):([0-9]{2})/);
    if (!z) return bad(rest, 'Z07:00');
    if (Number(z[1]) > 24) return range('time zone offset hour');
    if (Number(z[2]) > 60) return range('time zone offset minute');
    rest = rest.slice(6);
  }
  if (rest !== '') return `parsing time ${q(value)}: extra text: ${q(rest)}`;
  if (day < 1 || day > daysIn(year, month)) return range('day');
  return undefined;
}
