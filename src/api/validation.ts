// Shared validation: field errors printed as upstream's field.Error prints them, name formats, object
// metadata, labels, annotations and label selectors. Pod spec validation lives in validation-pod.ts.
import { goQuote } from './goformat.ts';
import type { FieldError, KObject, ObjectMeta } from './types.ts';

// ---------------------------------------------------------------------------------------------
// Printing values and errors the way upstream's field.Error does.

export { goQuote };

/** Go's encoding/json output for a JSON-shaped value (HTML-safe escapes included, as Go does). */
export function goJSON(v: unknown): string {
  const s = JSON.stringify(v === undefined ? null : v);
  return (s ?? 'null').replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** How field.Error renders a bad value: %v for numbers and booleans, %q for strings, JSON for the rest. */
export function formatBadValue(v: unknown): string {
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return goJSON(v);
}

export const ErrorReason = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  NotSupported: 'FieldValueNotSupported',
  Duplicate: 'FieldValueDuplicate',
  Forbidden: 'FieldValueForbidden',
  TooLong: 'FieldValueTooLong',
  TooMany: 'FieldValueTooMany',
  NotFound: 'FieldValueNotFound',
  Internal: 'InternalError',
} as const;

function make(reason: string, field: string, body: string, detail: string): FieldError {
  const text = detail ? `${body}: ${detail}` : body;
  return { reason, field, message: `${field}: ${text}` };
}

/** Constructors matching upstream's field.Required, field.Invalid, … (same reasons, same messages). */
export const fieldError = {
  required: (field: string, detail = ''): FieldError => make(ErrorReason.Required, field, 'Required value', detail),
  invalid: (field: string, value: unknown, detail: string): FieldError =>
    make(ErrorReason.Invalid, field, `Invalid value: ${formatBadValue(value)}`, detail),
  notSupported: (field: string, value: unknown, valid: readonly string[]): FieldError =>
    make(ErrorReason.NotSupported, field, `Unsupported value: ${formatBadValue(value)}`, valid.length ? `supported values: ${valid.map(goQuote).join(', ')}` : ''),
  duplicate: (field: string, value: unknown, detail = ''): FieldError => make(ErrorReason.Duplicate, field, `Duplicate value: ${formatBadValue(value)}`, detail),
  notFound: (field: string, value: unknown, detail = ''): FieldError => make(ErrorReason.NotFound, field, `Not found: ${formatBadValue(value)}`, detail),
  forbidden: (field: string, detail: string): FieldError => make(ErrorReason.Forbidden, field, 'Forbidden', detail),
  tooLong: (field: string, maxBytes: number): FieldError =>
    make(ErrorReason.TooLong, field, 'Too long', maxBytes >= 0 ? `may not be more than ${maxBytes} ${maxBytes === 1 ? 'byte' : 'bytes'}` : 'value is too long'),
  tooMany: (field: string, actual: number, max: number): FieldError =>
    make(ErrorReason.TooMany, field, actual >= 0 ? `Too many: ${actual}` : 'Too many', max >= 0 ? `must have at most ${max} ${max === 1 ? 'item' : 'items'}` : 'has too many items'),
};

/** Field paths as upstream's field.Path prints them. */
export const path = {
  child: (p: string, ...names: string[]): string => [p, ...names].filter(Boolean).join('.'),
  index: (p: string, i: number): string => `${p}[${i}]`,
  key: (p: string, k: string): string => `${p}[${k}]`,
};

export const FIELD_IMMUTABLE = 'field is immutable';
export const IS_NEGATIVE = 'must be greater than or equal to 0';

// ---------------------------------------------------------------------------------------------
// Format checks (k8s.io/apimachinery/pkg/util/validation and api/validate/content). Each returns the
// list of reasons a value fails, like upstream's Is* functions.

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');
/** util/validation says "characters"; the newer content package (label keys and values) says "bytes". */
const maxLenChars = (n: number): string => `must be no more than ${n} characters`;
const maxLenBytes = (n: number): string => `must be no more than ${n} bytes`;

export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (!examples.length) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

export const inclusiveRangeError = (lo: number, hi: number): string => `must be between ${lo} and ${hi}, inclusive`;

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1035_LABEL_MSG = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const dns1123LabelRe = new RegExp(`^${DNS1123_LABEL_FMT}$`);
const dns1123SubdomainRe = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const dns1035LabelRe = new RegExp(`^${DNS1035_LABEL_FMT}$`);

function dns1123Label(value: string, maxLen: (n: number) => string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxLen(63));
  if (!dns1123LabelRe.test(value)) {
    if (dns1123SubdomainRe.test(value)) errs.push('must not contain dots');
    else errs.push(regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, 'my-name', '123-abc'));
  }
  return errs;
}

function dns1123Subdomain(value: string, maxLen: (n: number) => string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 253) errs.push(maxLen(253));
  if (!dns1123SubdomainRe.test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  return errs;
}

export const isDNS1123Label = (value: string): string[] => dns1123Label(value, maxLenChars);
export const isDNS1123Subdomain = (value: string): string[] => dns1123Subdomain(value, maxLenChars);

export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxLenChars(63));
  if (!dns1035LabelRe.test(value)) errs.push(regexError(DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, 'my-name', 'abc-123'));
  return errs;
}

const LABEL_KEY_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_KEY_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const labelKeyRe = new RegExp(`^${LABEL_KEY_FMT}$`);
const LABEL_VALUE_FMT = `(${LABEL_KEY_FMT})?`;
const LABEL_VALUE_MSG = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const labelValueRe = new RegExp(`^${LABEL_VALUE_FMT}$`);

/** A label key / "qualified name": an optional DNS subdomain prefix and '/', then a name of at most 63 bytes. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (!prefix.length) errs.push('prefix part must be non-empty');
    else for (const m of dns1123Subdomain(prefix, maxLenBytes)) errs.push(`prefix part ${m}`);
  } else {
    return [
      `a valid label key ${regexError(LABEL_KEY_MSG, LABEL_KEY_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (!name.length) errs.push('name part must be non-empty');
  else if (byteLength(name) > 63) errs.push(`name part ${maxLenBytes(63)}`);
  if (!labelKeyRe.test(name)) errs.push(`name part ${regexError(LABEL_KEY_MSG, LABEL_KEY_FMT, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxLenBytes(63));
  if (!labelValueRe.test(value)) errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  return errs;
}

export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

export function isInRange(value: number, lo: number, hi: number): string[] {
  return value >= lo && value <= hi ? [] : [inclusiveRangeError(lo, hi)];
}

export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (byteLength(port) > 15) errs.push(maxLenChars(15));
  if (!/^[-a-z0-9]+$/.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}

function chdirPrefix(value: string): string[] {
  if (value === '.') return ["must not be '.'"];
  if (value === '..') return ["must not be '..'"];
  if (value.startsWith('..')) return ["must not start with '..'"];
  return [];
}

const CONFIGMAP_KEY_FMT = '[-._a-zA-Z0-9]+';
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 253) errs.push(maxLenChars(253));
  if (!new RegExp(`^${CONFIGMAP_KEY_FMT}$`).test(value)) {
    errs.push(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", CONFIGMAP_KEY_FMT, 'key.name', 'KEY_NAME', 'key-name'));
  }
  return [...errs, ...chdirPrefix(value)];
}

const ENV_VAR_FMT = '[-._a-zA-Z][-._a-zA-Z0-9]*';
export function isEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (!new RegExp(`^${ENV_VAR_FMT}$`).test(value)) {
    errs.push(regexError('a valid environment variable name must consist of alphabetic characters, digits, \'_\', \'-\', or \'.\', and must not start with a digit', ENV_VAR_FMT, 'my.env-name', 'MY_ENV.NAME', 'MyEnvName1'));
  }
  return [...errs, ...chdirPrefix(value)];
}

/** Relaxed env var names (RelaxedEnvironmentVariableValidation, on by default in 1.35). */
export function isRelaxedEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (!value.length) errs.push('environment variable name must be non-empty');
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (cp > 0x7e || cp < 0x20 || ch === '=') {
      errs.push("a valid environment variable name must consist only of printable ASCII characters other than '='");
      break;
    }
  }
  return errs;
}

export function isValidPercent(value: string): string[] {
  return /^[0-9]+%$/.test(value) ? [] : [regexError("a valid percent string must be a numeric string followed by an ending '%'", '[0-9]+%', '1%', '93%')];
}

export function isHTTPHeaderName(value: string): string[] {
  return /^[-A-Za-z0-9]+$/.test(value) ? [] : [regexError("a valid HTTP header must consist of alphanumeric characters or '-'", '[-A-Za-z0-9]+', 'X-Header-Name')];
}

export function isValidPathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  return isValidPathSegmentPrefix(name);
}

export function isValidPathSegmentPrefix(name: string): string[] {
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}

/** Strict IP check (validation.IsValidIP): parses, no leading zeros, canonical form. IPv4 and IPv6. */
export function validateIP(field: string, value: string): FieldError[] {
  const canonical = canonicalIP(value);
  if (canonical === undefined) return [fieldError.invalid(field, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
  if (canonical === 'leading-zero') return [fieldError.invalid(field, value, 'must not have leading 0s')];
  if (canonical !== value) return [fieldError.invalid(field, value, `must be in canonical form (${goQuote(canonical)})`)];
  return [];
}

function canonicalIP(value: string): string | undefined | 'leading-zero' {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    if (parts.some((n) => n > 255)) return undefined;
    if (v4.slice(1).some((p) => p.length > 1 && p.startsWith('0'))) return 'leading-zero';
    return parts.join('.');
  }
  if (!value.includes(':')) return undefined;
  try {
    const host = new URL(`http://[${value}]/`).hostname;
    return host.slice(1, -1);
  } catch {
    return undefined;
  }
}

export function isIPv6(value: string): boolean {
  return value.includes(':');
}

// ---------------------------------------------------------------------------------------------
// Name functions (upstream's ValidateNameFunc): `prefix` is true for generateName.

export type NameFn = (name: string, prefix: boolean) => string[];

function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

export const nameIsDNSSubdomain: NameFn = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameFn = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
export const nameIsDNS1035Label: NameFn = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);
export const nameIsPathSegment: NameFn = (name, prefix) => (prefix ? isValidPathSegmentPrefix(name) : isValidPathSegmentName(name));
/** Names that anything goes for (still required). */
export const nameAnything: NameFn = () => [];

// ---------------------------------------------------------------------------------------------
// Object metadata.

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

const sortedEntries = <T>(m: Record<string, T> | undefined | null): Array<[string, T]> =>
  Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export function validateLabelName(name: string, field: string): FieldError[] {
  return isQualifiedName(name).map((m) => fieldError.invalid(field, name, m));
}

export function validateLabels(labels: Record<string, string> | undefined | null, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of sortedEntries(labels)) {
    errs.push(...validateLabelName(k, field));
    for (const m of isValidLabelValue(String(v))) errs.push(fieldError.invalid(field, v, m));
  }
  return errs;
}

export function validateAnnotations(annotations: Record<string, string> | undefined | null, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of sortedEntries(annotations)) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(fieldError.invalid(field, k, m));
    total += byteLength(k) + byteLength(String(v));
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(fieldError.tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

export function validateNonnegative(value: number | undefined | null, field: string): FieldError[] {
  return typeof value === 'number' && value < 0 ? [fieldError.invalid(field, value, IS_NEGATIVE)] : [];
}

/** Upstream's apiequality.Semantic.DeepEqual, close enough for JSON values (absent == null). */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || a === null) return b === undefined || b === null;
  if (b === undefined || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  if (typeof a === 'object' && typeof b === 'object' && !Array.isArray(b)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
    for (const k of keys) if (!semanticEqual(ao[k], bo[k])) return false;
    return true;
  }
  return false;
}

export function validateImmutable(newVal: unknown, oldVal: unknown, field: string): FieldError[] {
  return semanticEqual(newVal, oldVal) ? [] : [fieldError.invalid(field, newVal ?? null, FIELD_IMMUTABLE)];
}

function validateOwnerReferences(refs: Array<Record<string, any>> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const ref of refs ?? []) {
    const apiVersion = String(ref['apiVersion'] ?? '');
    const version = apiVersion.includes('/') ? apiVersion.split('/')[1] : apiVersion;
    if (!version) errs.push(fieldError.invalid(`${field}.apiVersion`, apiVersion, 'version must not be empty'));
    if (!ref['kind']) errs.push(fieldError.invalid(`${field}.kind`, ref['kind'] ?? '', 'must not be empty'));
    if (!ref['name']) errs.push(fieldError.invalid(`${field}.name`, ref['name'] ?? '', 'must not be empty'));
    if (!ref['uid']) errs.push(fieldError.invalid(`${field}.uid`, ref['uid'] ?? '', 'must not be empty'));
    if (apiVersion === 'v1' && ref['kind'] === 'Event') errs.push(fieldError.invalid(field, ref, '/v1, Kind=Event is disallowed from being an owner'));
    if (ref['controller'] === true) {
      const name = `${ref['kind']}/${ref['name']}`;
      if (firstController) {
        errs.push(fieldError.invalid(field, refs, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${name}`));
      } else firstController = name;
    }
  }
  return errs;
}

function validateFinalizers(finalizers: string[] | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of finalizers ?? []) for (const m of isQualifiedName(f)) errs.push(fieldError.invalid(field, f, m));
  const list = finalizers ?? [];
  if (list.includes('orphan') && list.includes('foregroundDeletion')) {
    errs.push(fieldError.invalid(field, list, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  // pkg/apis/core's extra rule: unqualified names must be one of the standard ones.
  list.forEach((f, i) => {
    if (!f.includes('/') && !STANDARD_FINALIZERS.has(f)) {
      errs.push(fieldError.invalid(path.index(field, i), f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
  return errs;
}

export interface MetaOptions {
  namespaced: boolean;
  nameFn: NameFn;
}

/** ValidateObjectMeta on create (metadata of a top-level object). */
export function validateObjectMeta(meta: ObjectMeta | undefined, opts: MetaOptions, field = 'metadata'): FieldError[] {
  const m = meta ?? {};
  const errs: FieldError[] = [];
  if (m.generateName) for (const msg of opts.nameFn(m.generateName, true)) errs.push(fieldError.invalid(`${field}.generateName`, m.generateName, msg));
  if (!m.name) errs.push(fieldError.required(`${field}.name`, 'name or generateName is required'));
  else for (const msg of opts.nameFn(m.name, false)) errs.push(fieldError.invalid(`${field}.name`, m.name, msg));
  errs.push(...validateMetaCommon(m, opts.namespaced, field));
  return errs;
}

function validateMetaCommon(m: ObjectMeta, namespaced: boolean, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (namespaced) {
    if (!m.namespace) errs.push(fieldError.required(`${field}.namespace`));
    else for (const msg of nameIsDNSLabel(m.namespace, false)) errs.push(fieldError.invalid(`${field}.namespace`, m.namespace, msg));
  } else if (m.namespace) {
    errs.push(fieldError.forbidden(`${field}.namespace`, 'not allowed on this type'));
  }
  errs.push(...validateNonnegative(m.generation, `${field}.generation`));
  errs.push(...validateLabels(m.labels, `${field}.labels`));
  errs.push(...validateAnnotations(m.annotations, `${field}.annotations`));
  errs.push(...validateOwnerReferences(m.ownerReferences, `${field}.ownerReferences`));
  errs.push(...validateFinalizers(m.finalizers, `${field}.finalizers`));
  return errs;
}

/** ValidateObjectMetaUpdate: identity fields are immutable, generation never goes down. */
export function validateObjectMetaUpdate(meta: ObjectMeta | undefined, old: ObjectMeta | undefined, field = 'metadata'): FieldError[] {
  const n = meta ?? {};
  const o = old ?? {};
  const errs: FieldError[] = [];
  if (o.deletionTimestamp) {
    const added = (n.finalizers ?? []).filter((f) => !(o.finalizers ?? []).includes(f)).sort();
    if (added.length) {
      errs.push(fieldError.forbidden(`${field}.finalizers`, `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map(goQuote).join(', ')}}`));
    }
  }
  // Upstream also rejects an empty resourceVersion here, but its store fills in the stored one for
  // unconditional updates first; Skiff's store does the equivalent, so the check is left to it.
  if ((n.generation ?? 0) < (o.generation ?? 0)) errs.push(fieldError.invalid(`${field}.generation`, n.generation ?? 0, 'must not be decremented'));
  errs.push(...validateImmutable(n.name ?? '', o.name ?? '', `${field}.name`));
  errs.push(...validateImmutable(n.namespace ?? '', o.namespace ?? '', `${field}.namespace`));
  errs.push(...validateImmutable(n.uid ?? '', o.uid ?? '', `${field}.uid`));
  errs.push(...validateImmutable(n.creationTimestamp ?? null, o.creationTimestamp ?? null, `${field}.creationTimestamp`));
  errs.push(...validateImmutable(n.deletionTimestamp ?? null, o.deletionTimestamp ?? null, `${field}.deletionTimestamp`));
  errs.push(...validateImmutable(n.deletionGracePeriodSeconds ?? null, o.deletionGracePeriodSeconds ?? null, `${field}.deletionGracePeriodSeconds`));
  errs.push(...validateLabels(n.labels, `${field}.labels`));
  errs.push(...validateAnnotations(n.annotations, `${field}.annotations`));
  errs.push(...validateOwnerReferences(n.ownerReferences, `${field}.ownerReferences`));
  (n.finalizers ?? []).forEach((f, i) => {
    if (!f.includes('/') && !STANDARD_FINALIZERS.has(f)) {
      errs.push(fieldError.invalid(path.index(`${field}.finalizers`, i), f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Label selectors.

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

export function validateLabelSelector(sel: LabelSelector | undefined | null, field: string): FieldError[] {
  if (!sel) return [];
  const errs = validateLabels(sel.matchLabels, `${field}.matchLabels`);
  (sel.matchExpressions ?? []).forEach((expr, i) => {
    const p = path.index(`${field}.matchExpressions`, i);
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (!values.length) errs.push(fieldError.required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length) errs.push(fieldError.forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errs.push(fieldError.invalid(`${p}.operator`, expr.operator ?? '', 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(expr.key ?? '', `${p}.key`));
    values.forEach((v, j) => {
      for (const m of isValidLabelValue(v)) errs.push(fieldError.invalid(path.index(`${p}.values`, j), v, m));
    });
  });
  return errs;
}

/** Whether a label selector matches a label set (empty selector matches everything). */
export function selectorMatches(sel: LabelSelector | undefined | null, labels: Record<string, string> | undefined): boolean {
  if (!sel) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const vals = e.values ?? [];
    if (e.operator === 'In' && !(has && vals.includes(l[e.key]!))) return false;
    if (e.operator === 'NotIn' && has && vals.includes(l[e.key]!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

export function selectorIsEmpty(sel: LabelSelector | undefined | null): boolean {
  return !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
}

// ---------------------------------------------------------------------------------------------
// Small helpers used by the group files.

export const specOf = (obj: KObject): Record<string, any> => (obj['spec'] ?? {}) as Record<string, any>;

/** Required string field helper: Required when empty, else the name function's complaints. */
export function validateRequiredName(value: string | undefined, field: string, fn: NameFn = nameIsDNSSubdomain): FieldError[] {
  if (!value) return [fieldError.required(field)];
  return fn(value, false).map((m) => fieldError.invalid(field, value, m));
}

/** An enum check in upstream's shape: Required when empty, NotSupported when unknown. */
export function validateEnum(value: string | undefined | null, field: string, valid: readonly string[], required = true): FieldError[] {
  if (value === undefined || value === null || value === '') return required ? [fieldError.required(field)] : [];
  return valid.includes(value) ? [] : [fieldError.notSupported(field, value, valid)];
}
