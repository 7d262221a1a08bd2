// Validation of the parts of a CRD version beside its schema: subresources, printer columns,
// selectable fields, and the conversion settings.
import type { FieldError } from '../api/types.ts';
import { fieldError, isDNS1035Label, isDNS1123Subdomain, isValidPortNum } from '../api/validation.ts';
import { child, enumString, index, list, str } from './crd-common.ts';
import type { Version } from './crd-internal.ts';
import { additionalPropertiesOf, isObj, propertiesOf, property, type JSONSchemaProps, type Obj } from './jsonschema.ts';

const PRINTER_COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const PRINTER_COLUMN_FORMATS = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];
export const ACCEPTED_CONVERSION_REVIEW_VERSIONS = ['v1', 'v1beta1'];
const MAX_SELECTABLE_FIELDS = 8;

function simpleJSONPath(s: string, path: string): FieldError[] {
  if (s.length === 0) return [fieldError.invalid(path, s, 'must not be empty')];
  if (s[0] !== '.') return [fieldError.invalid(path, s, 'must be a simple json path starting with .')];
  return [];
}

export function validateSubresources(sub: Version['subresources'], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const scale = isObj(sub) && isObj(sub.scale) ? sub.scale : undefined;
  if (!scale) return errs;
  const spec = str(scale.specReplicasPath);
  const specPath = child(path, 'scale.specReplicasPath');
  if (!spec) errs.push(fieldError.required(specPath));
  else {
    const bad = simpleJSONPath(spec, specPath);
    if (bad.length) errs.push(...bad);
    else if (!spec.startsWith('.spec.')) errs.push(fieldError.invalid(specPath, spec, 'should be a json path under .spec'));
  }
  const status = str(scale.statusReplicasPath);
  const statusPath = child(path, 'scale.statusReplicasPath');
  if (!status) errs.push(fieldError.required(statusPath));
  else {
    const bad = simpleJSONPath(status, statusPath);
    if (bad.length) errs.push(...bad);
    else if (!status.startsWith('.status.')) errs.push(fieldError.invalid(statusPath, status, 'should be a json path under .status'));
  }
  const selector = str(scale.labelSelectorPath);
  if (selector) {
    const selectorPath = child(path, 'scale.labelSelectorPath');
    const bad = simpleJSONPath(selector, selectorPath);
    if (bad.length) errs.push(...bad);
    else if (!selector.startsWith('.spec.') && !selector.startsWith('.status.')) {
      errs.push(fieldError.invalid(selectorPath, selector, 'should be a json path under either .spec or .status'));
    }
  }
  return errs;
}

export function validateColumn(c: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!str(c['name'])) errs.push(fieldError.required(child(path, 'name')));
  const type = str(c['type']);
  const typeList = `must be one of ${PRINTER_COLUMN_TYPES.join(',')}`;
  if (!type) errs.push(fieldError.required(child(path, 'type'), typeList));
  else if (!PRINTER_COLUMN_TYPES.includes(type)) errs.push(fieldError.invalid(child(path, 'type'), type, typeList));
  const format = str(c['format']);
  if (format && !PRINTER_COLUMN_FORMATS.includes(format)) {
    errs.push(fieldError.invalid(child(path, 'format'), format, `must be one of ${PRINTER_COLUMN_FORMATS.join(',')}`));
  }
  const jsonPath = str(c['jsonPath']);
  if (!jsonPath) errs.push(fieldError.required(child(path, 'JSONPath')));
  else errs.push(...simpleJSONPath(jsonPath, child(path, 'JSONPath')));
  return errs;
}

/** cel.ValidFieldPath without array notation: a selectable field's path resolved in the structural schema. */
function resolveFieldPath(jsonPath: string, schema: JSONSchemaProps): { schema?: JSONSchemaProps | undefined; path: string[]; error?: string } {
  const tokens = jsonPath.match(/'(?:[^'\\]|\\.)*'|[.[\]]|[^.[\]']+/g) ?? [];
  const path: string[] = [];
  let s: JSONSchemaProps | undefined = schema;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok === '[') return { path, error: 'array notation is not allowed' };
    if (tok !== '.') return { path, error: `expected [ or . but got: ${tok}` };
    const name = tokens[++i];
    if (name === undefined) return { path, error: 'unexpected end of JSON path' };
    const props = propertiesOf(s);
    const ap = additionalPropertiesOf(s);
    if (props && Object.keys(props).length > 0) {
      const next = property(s, name);
      if (!next) return { path, error: 'does not refer to a valid field' };
      s = next;
    } else if (ap) s = ap.schema;
    else return { path, error: 'does not refer to a valid field' };
    path.push(name);
  }
  return { schema: s, path };
}

export function validateSelectableFields(fields: Obj[], schema: JSONSchemaProps, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const unique = new Set<string>();
  fields.forEach((f, i) => {
    const p = index(path, i);
    const jsonPath = str(f['jsonPath']);
    if (!jsonPath) {
      errs.push(fieldError.required(child(p, 'jsonPath')));
      return;
    }
    const found = resolveFieldPath(jsonPath, schema);
    if (found.error) {
      errs.push(fieldError.invalid(child(p, 'jsonPath'), jsonPath, `is an invalid path: ${found.error}`));
      return;
    }
    if (found.path[0] === 'metadata') errs.push(fieldError.invalid(child(p, 'jsonPath'), jsonPath, 'must not point to fields in metadata'));
    if (!['string', 'boolean', 'integer'].includes(str(found.schema?.type))) {
      errs.push(fieldError.invalid(child(p, 'jsonPath'), jsonPath, 'must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.'));
    }
    const normalized = found.path.join('.');
    if (unique.has(normalized)) errs.push(fieldError.duplicate(child(p, 'jsonPath'), jsonPath));
    unique.add(normalized);
  });
  if (unique.size > MAX_SELECTABLE_FIELDS) errs.push(fieldError.tooMany(path, unique.size, MAX_SELECTABLE_FIELDS));
  return errs;
}

export function validateConversion(conversion: Obj | undefined, requireRecognized: boolean, path: string): FieldError[] {
  if (!conversion) return [];
  const errs: FieldError[] = [];
  const strategy = str(conversion['strategy']);
  errs.push(...enumString(child(path, 'strategy'), strategy, ['None', 'Webhook']));
  const webhook = isObj(conversion['webhook']) ? conversion['webhook'] : undefined;
  const clientConfig = webhook && isObj(webhook['clientConfig']) ? webhook['clientConfig'] : undefined;
  const reviewVersions = webhook ? webhook['conversionReviewVersions'] : undefined;
  const ccPath = child(path, 'webhookClientConfig');
  if (strategy === 'Webhook') {
    if (!clientConfig) errs.push(fieldError.required(ccPath, 'required when strategy is set to Webhook'));
    else {
      const url = typeof clientConfig['url'] === 'string' ? clientConfig['url'] : undefined;
      const service = isObj(clientConfig['service']) ? clientConfig['service'] : undefined;
      if ((url === undefined) === (service === undefined)) errs.push(fieldError.required(ccPath, 'exactly one of url or service is required'));
      else if (url !== undefined) errs.push(...validateWebhookURL(child(ccPath, 'url'), url));
      else if (service) errs.push(...validateWebhookService(child(ccPath, 'service'), service));
    }
    errs.push(...validateConversionReviewVersions(list<string>(reviewVersions), requireRecognized, child(path, 'conversionReviewVersions')));
  } else {
    if (clientConfig) errs.push(fieldError.forbidden(ccPath, 'should not be set when strategy is not set to Webhook'));
    if (list(reviewVersions).length > 0) errs.push(fieldError.forbidden(child(path, 'conversionReviewVersions'), 'should not be set when strategy is not set to Webhook'));
  }
  return errs;
}

function validateConversionReviewVersions(versions: string[], requireRecognized: boolean, path: string): FieldError[] {
  if (versions.length < 1) return [fieldError.required(path)];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let accepted = false;
  versions.forEach((v, i) => {
    if (seen.has(v)) {
      errs.push(fieldError.invalid(index(path, i), v, 'duplicate version'));
      return;
    }
    seen.add(v);
    for (const problem of isDNS1035Label(v)) errs.push(fieldError.invalid(index(path, i), v, problem));
    if (ACCEPTED_CONVERSION_REVIEW_VERSIONS.includes(v)) accepted = true;
  });
  if (requireRecognized && !accepted) errs.push(fieldError.invalid(path, versions, `must include at least one of ${ACCEPTED_CONVERSION_REVIEW_VERSIONS.join(', ')}`));
  return errs;
}

const URL_FORM = '; desired format: https://host[/path]';

function validateWebhookURL(path: string, url: string): FieldError[] {
  const errs: FieldError[] = [];
  const m = /^(?:([a-zA-Z][a-zA-Z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(url);
  const scheme = m?.[1] ?? '';
  const authority = m?.[2] ?? '';
  const at = authority.lastIndexOf('@');
  const user = at >= 0 ? authority.slice(0, at) : undefined;
  const host = at >= 0 ? authority.slice(at + 1) : authority;
  if (scheme !== 'https') errs.push(fieldError.invalid(path, scheme, `'https' is the only allowed URL scheme${URL_FORM}`));
  if (host.length === 0) errs.push(fieldError.invalid(path, host, `host must be provided${URL_FORM}`));
  if (user !== undefined) errs.push(fieldError.invalid(path, user, 'user information is not permitted in the URL'));
  if (m?.[5]) errs.push(fieldError.invalid(path, m[5], 'fragments are not permitted in the URL'));
  if (m?.[4]) errs.push(fieldError.invalid(path, m[4], 'query parameters are not permitted in the URL'));
  return errs;
}

function validateWebhookService(path: string, service: Obj): FieldError[] {
  const errs: FieldError[] = [];
  if (!str(service['name'])) errs.push(fieldError.required(child(path, 'name'), 'service name is required'));
  if (!str(service['namespace'])) errs.push(fieldError.required(child(path, 'namespace'), 'service namespace is required'));
  const port = typeof service['port'] === 'number' ? service['port'] : 443;
  const portProblems = isValidPortNum(port);
  if (portProblems.length) errs.push(fieldError.invalid(child(path, 'port'), port, `port is not valid: ${portProblems.join(', ')}`));
  if (typeof service['path'] !== 'string') return errs;
  const urlPath = service['path'];
  if (urlPath === '/' || urlPath === '') return errs;
  if (urlPath === '//') return [...errs, fieldError.invalid(child(path, 'path'), urlPath, 'segment[0] may not be empty')];
  if (!urlPath.startsWith('/')) errs.push(fieldError.invalid(child(path, 'path'), urlPath, "must start with a '/'"));
  let check = urlPath.slice(1);
  if (check.endsWith('/')) check = check.slice(0, -1);
  check.split('/').forEach((step, i) => {
    if (step === '') {
      errs.push(fieldError.invalid(child(path, 'path'), urlPath, `segment[${i}] may not be empty`));
      return;
    }
    for (const problem of isDNS1123Subdomain(step)) errs.push(fieldError.invalid(child(path, 'path'), urlPath, `segment[${i}]: ${problem}`));
  });
  return errs;
}
