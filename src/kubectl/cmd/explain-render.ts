// `kubectl explain`'s plaintext rendering of an OpenAPI v3 group-version document: the same walk kubectl's
// pkg/explain/v2 plaintext template makes (GVK from the resource's paths, the schema with that GVK, the field path
// followed through $ref/allOf/items/additionalProperties, field lists sorted by name, recursive with cycle checks),
// written as plain functions. Values follow Go template truthiness: empty maps, lists and strings are false.

type Json = unknown;
type Schema = Record<string, any>;

/** An error the template raises; the text already starts with `error: `. Output written before it still shows. */
export class ExplainError extends Error {
  override name = 'ExplainError';
}

export interface Gvr {
  group: string;
  version: string;
  resource: string;
}

export interface RenderOptions {
  fieldPath: string[];
  recursive: boolean;
  maxDepth: number;
}

const truthy = (v: Json): boolean => {
  if (v === undefined || v === null || v === false || v === '' || v === 0) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
};

const isMap = (v: Json): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A non-empty, non-boolean additionalProperties schema. */
const mapValues = (s: Schema): Schema | undefined => (isMap(s['additionalProperties']) && truthy(s['additionalProperties']) ? s['additionalProperties'] : undefined);

/** mitchellh/go-wordwrap WrapString (v1.0.1), counting runes. */
export function wrap(limit: number, s: string): string {
  if (limit <= 0) return s;
  let buf = '';
  let current = 0;
  let word = '';
  let wordLen = 0;
  let space = '';
  let spaceLen = 0;
  for (const ch of s) {
    if (ch === '\n') {
      if (wordLen === 0) {
        if (current + spaceLen > limit) current = 0;
        else {
          current += spaceLen;
          buf += space;
        }
      } else {
        current += spaceLen + wordLen;
        buf += space + word;
        word = '';
        wordLen = 0;
      }
      space = '';
      spaceLen = 0;
      buf += ch;
      current = 0;
    } else if (/\s/u.test(ch) && ch !== '\u00a0') {
      if (space.length === 0 || wordLen > 0) {
        current += spaceLen + wordLen;
        buf += space + word;
        space = '';
        spaceLen = 0;
        word = '';
        wordLen = 0;
      }
      space += ch;
      spaceLen++;
    } else {
      word += ch;
      wordLen++;
      if (current + spaceLen + wordLen > limit && wordLen < limit) {
        buf += '\n';
        current = 0;
        space = '';
        spaceLen = 0;
      }
    }
  }
  if (wordLen === 0) {
    if (current + spaceLen <= limit) buf += space;
  } else buf += space + word;
  return buf;
}

export const indent = (amount: number, s: string): string => {
  const pad = ' '.repeat(amount);
  return pad + s.replaceAll('\n', `\n${pad}`);
};

/** The template's resolveRef: a `#/…` pointer into the document, or undefined. */
export function resolveRef(ref: Json, doc: Schema): Schema | undefined {
  if (typeof ref !== 'string' || !ref.startsWith('#')) return undefined;
  let cur: Json = doc;
  for (const raw of ref.slice(1).split('/')) {
    if (!raw) continue;
    const k = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (!isMap(cur)) return undefined;
    cur = cur[k];
    if (!isMap(cur)) return undefined;
  }
  return cur as Schema;
}

/** Go's fmt %v of a decoded JSON value. */
function goValue(v: Json): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (isMap(v)) {
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goValue(v[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

export function typeGuess(schema: Json, doc: Schema): string {
  if (!truthy(schema) || !isMap(schema)) throw new ExplainError('expected schema argument to subtemplate \'typeguess\'');
  if (truthy(schema['items'])) return `[]${typeGuess(schema['items'], doc)}`;
  const values = mapValues(schema);
  if (values) return `map[string]${typeGuess(values, doc)}`;
  if (truthy(schema['allOf']) && !truthy(schema['properties']) && schema['allOf'].length === 1) return typeGuess(schema['allOf'][0], doc);
  const ref = schema['$ref'];
  if (truthy(ref)) {
    const target = resolveRef(ref, doc);
    if (!target || !truthy(target['type']) || target['type'] === 'object') {
      const name = String(ref).split('/').at(-1) ?? '';
      return name.split('.').at(-1) || 'Object';
    }
    return String(target['type']);
  }
  if (schema['type'] === 'object') return 'Object';
  return truthy(schema['type']) ? String(schema['type']) : 'Object';
}

function extractEnum(schema: Json, longView: boolean, limit: number, indentAmount = 0): string {
  if (!isMap(schema) || !truthy(schema['enum'])) return '';
  const values = schema['enum'] as Json[];
  let out = longView ? 'ENUM:' : `\n${' '.repeat(indentAmount)}enum: `;
  const max = limit || -1;
  for (let i = 0; i < values.length; i++) {
    if (max > -1 && i >= max) {
      out += ', ....';
      break;
    }
    if (i > 0 && !longView) out += ', ';
    else if (longView) out += '\n    ';
    const v = values[i];
    out += v === '' ? '""' : goValue(v);
  }
  return out;
}

function description(schema: Json, doc: Schema): string {
  const s = resolveRef(isMap(schema) ? schema['$ref'] : undefined, doc) ?? schema;
  if (!truthy(s) || !isMap(s)) return '';
  let out = '';
  if (truthy(s['description'])) out += `${s['description']}\n`;
  for (const sub of Array.isArray(s['allOf']) ? s['allOf'] : []) out += description(sub, doc);
  if (truthy(s['items'])) out += description(s['items'], doc);
  const values = mapValues(s);
  if (values) out += description(values, doc);
  return out;
}

function externalDocs(schema: Schema, base: number): string {
  const ed = schema['externalDocs'];
  if (!truthy(ed) || !isMap(ed)) return '';
  let out = '';
  if (truthy(ed['description'])) out += `${indent(base + 4, wrap(76 - base, String(ed['description'])))}\n`;
  if (truthy(ed['url'])) out += `${indent(base + 4, `URL: ${ed['url']}`)}\n`;
  return out;
}

interface Walk {
  doc: Schema;
  recursive: boolean;
  maxDepth: number;
}

function fieldDetail(w: Walk, parent: Schema, name: string, level: number): string {
  const amount = level * 2;
  const field = (parent['properties'] as Schema)[name];
  let out = `${indent(amount, name)}\t<${typeGuess(field, w.doc)}>`;
  if (Array.isArray(parent['required']) && parent['required'].includes(name)) out += ' -required-';
  out += extractEnum(field, false, 4, amount);
  out += '\n';
  if (w.recursive) return out;
  const desc = isMap(field) && truthy(field['description']) ? String(field['description']) : '<no description>';
  out += `${indent(amount + 2, wrap(78 - amount, desc))}\n`;
  if (isMap(field) && truthy(field['externalDocs'])) out += `\n${indent(amount + 2, 'EXTERNAL DOCS:')}\n${externalDocs(field, amount)}`;
  return `${out}\n`;
}

function fieldList(w: Walk, schema: Json, level: number, history: ReadonlySet<string>): string {
  if (!isMap(schema)) return '';
  const ref = typeof schema['$ref'] === 'string' ? schema['$ref'] : '';
  if (ref && history.has(ref)) return '';
  const next = new Set(history).add(ref);
  const resolved = resolveRef(ref, w.doc) ?? schema;
  let out = '';
  const props = isMap(resolved['properties']) ? (resolved['properties'] as Schema) : {};
  for (const name of Object.keys(props).sort()) {
    out += fieldDetail(w, resolved, name, level);
    if (w.recursive && (w.maxDepth === 0 || level < w.maxDepth)) out += fieldList(w, props[name], level + 1, next);
  }
  for (const sub of Array.isArray(resolved['allOf']) ? resolved['allOf'] : []) out += fieldList(w, sub, level, next);
  if (truthy(resolved['items'])) out += fieldList(w, resolved['items'], level, next);
  const values = mapValues(resolved);
  if (values) out += fieldList(w, values, level, next);
  return out;
}

function output(w: Walk, schema: Json, fieldPath: string[], history: ReadonlySet<string>): string {
  if (!isMap(schema)) return '';
  const ref = typeof schema['$ref'] === 'string' ? schema['$ref'] : '';
  const next = new Set(history).add(ref);
  const resolved = resolveRef(ref, w.doc) ?? schema;
  if (fieldPath.length === 0) {
    let out = `DESCRIPTION:\n${indent(4, wrap(76, description(resolved, w.doc) || '<empty>'))}\n`;
    const ed = externalDocs(resolved, 0);
    if (ed) out += `\nEXTERNAL DOCS:\n${ed}`;
    const fields = fieldList(w, resolved, 1, new Set());
    if (fields) out += `FIELDS:\n${fields}`;
    return out;
  }
  if (ref && history.has(ref)) return '';
  const first = fieldPath[0]!;
  const props = resolved['properties'];
  if (truthy(props) && isMap(props) && truthy(props[first])) {
    const sub = props[first];
    let out = '';
    if (fieldPath.length === 1) out += `FIELD: ${first} <${typeGuess(sub, w.doc)}>\n${extractEnum(sub, true, -1)}\n\n`;
    return out + output(w, sub, fieldPath.slice(1), new Set());
  }
  if (truthy(resolved['items'])) return output(w, resolved['items'], fieldPath, next);
  const values = mapValues(resolved);
  if (values) return output(w, values, fieldPath, next);
  for (const sub of Array.isArray(resolved['allOf']) ? resolved['allOf'] : []) {
    const out = output(w, sub, fieldPath, next);
    if (out) return out;
  }
  return '';
}

const gvrString = (g: Gvr) => `${g.group}/${g.version}, Resource=${g.resource}`;

/**
 * The plaintext template over one group-version document. Returns what kubectl writes to stdout and, when the
 * template fails part way, the error it then prints (the header already written stays written).
 */
export function renderPlaintext(doc: Schema, gvr: Gvr, opts: RenderOptions): { out: string; error?: string } {
  const prefix = gvr.group ? `/apis/${gvr.group}` : '/api';
  const base = `${prefix}/${gvr.version}`;
  const searchPaths = [`${base}/${gvr.resource}`, `${base}/${gvr.resource}/{name}`, `${base}/namespaces/{namespace}/${gvr.resource}`, `${base}/namespaces/{namespace}/${gvr.resource}/{name}`];
  const paths = isMap(doc['paths']) ? (doc['paths'] as Schema) : {};
  let gvk: Json;
  for (const p of searchPaths) {
    const element = paths[p];
    if (!truthy(element)) continue;
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const op = element[method];
      if (!truthy(op)) continue;
      gvk = op['x-kubernetes-group-version-kind'];
      if (truthy(gvk)) break;
    }
  }
  if (!truthy(gvk) || !isMap(gvk)) return { out: '', error: `error: GVR (${gvrString(gvr)}) not found in OpenAPI schema` };
  let out = '';
  if (truthy(gvk['group'])) out += `GROUP:      ${gvk['group']}\n`;
  out += `KIND:       ${gvk['kind']}\nVERSION:    ${gvk['version']}\n\n`;
  const w: Walk = { doc, recursive: opts.recursive, maxDepth: opts.maxDepth };
  const schemas = isMap(doc['components']) && isMap(doc['components']['schemas']) ? (doc['components']['schemas'] as Schema) : {};
  const same = (a: Json) => isMap(a) && Object.keys(a).length === Object.keys(gvk as Schema).length && Object.keys(a).every((k) => a[k] === (gvk as Schema)[k]);
  try {
    for (const name of Object.keys(schemas).sort()) {
      const s = schemas[name];
      const gvks = isMap(s) ? s['x-kubernetes-group-version-kind'] : undefined;
      if (!Array.isArray(gvks) || !gvks.some(same)) continue;
      const body = output(w, s, opts.fieldPath, new Set());
      if (!body) return { out, error: `error: field "${opts.fieldPath.at(-1)}" does not exist` };
      return { out: `${out}${body}\n` };
    }
  } catch (err) {
    if (err instanceof ExplainError) return { out, error: err.message };
    throw err;
  }
  return { out, error: `error: GVK ${goValue(gvk)} not found in OpenAPI schema` };
}
