// OpenAPI v3 for kubectl and helm: `/openapi/v3` lists one document per group version (plus /api, /apis, each
// group and /version), each at a URL carrying the SHA-512 of its bytes, served as upstream's kube-openapi handler3
// does: immutable caching when the hash matches, 301 to the current URL when it does not. kubectl's apply, create,
// replace, edit and diff (and helm) read it to learn that PATCH takes `fieldValidation`; explain and client-side
// apply read the schemas. /openapi/v2 is an empty document (openapi-v2.ts).
import { serveOpenAPIv2 } from './openapi-v2.ts';
import { createHash } from 'node:crypto';
import type { Registry } from '../api/registry.ts';
import { apiVersionOf } from '../api/registry.ts';
import { typeForGVK, META_V1, type GroupVersionKind } from '../api/schema.ts';
import type { ResourceType } from '../api/types.ts';
import { parseAccept } from './codec.ts';
import { customTypeName, discoveryPath, groupPart, resourcePaths, tagOf, type PathItem, type ResourceTypeNames } from './openapi-paths.ts';
import { componentSchemas, hasSchemaType, SCHEMA_REF_PREFIX, TYPE_NAMES, type OpenAPISchema, type SchemaOptions } from './openapi-schemas.ts';
import { StatusError } from './status.ts';
import { versionInfo } from './version.ts';

export interface OpenAPIDocument {
  openapi: '3.0.0';
  info: { title: string; version: string };
  paths: Record<string, PathItem>;
  components: {
    schemas: Record<string, OpenAPISchema>;
    securitySchemes: Record<string, OpenAPISchema>;
    parameters?: Record<string, OpenAPISchema>;
    responses?: Record<string, OpenAPISchema>;
    requestBodies?: Record<string, OpenAPISchema>;
  };
}

export interface OpenAPIResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const V3_PREFIX = '/openapi/v3';
const JSON_TYPE = 'application/json';
/** handler3's protobuf form; Skiff offers JSON only, so this alone is answered 406. */
export const OPENAPI_V3_PROTOBUF = 'application/com.github.proto-openapi.spec.v3@v1.0+protobuf';
const ONE_YEAR_MS = 365 * 24 * 60 * 60 * 1000;

const SECURITY_SCHEMES = { BearerToken: { type: 'apiKey', name: 'authorization', in: 'header', description: 'Bearer Token authentication' } };

// ---------------------------------------------------------------------------------------------------
// Documents

/** Every `$ref`'d component name in a value. */
function referencedNames(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) referencedNames(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(SCHEMA_REF_PREFIX)) out.add(v.slice(SCHEMA_REF_PREFIX.length));
      else referencedNames(v, out);
    }
  }
  return out;
}

function gvList(registry: Registry): GroupVersionKind[] {
  const out: GroupVersionKind[] = [{ group: '', version: 'v1', kind: '' }];
  for (const g of [...registry.groups].sort((a, b) => a.name.localeCompare(b.name))) {
    for (const v of [...g.versions].sort()) if (g.name !== '' || v !== 'v1') out.push({ group: g.name, version: v, kind: '' });
  }
  return out;
}

function document(registry: Registry, paths: Record<string, PathItem>, extra: Record<string, OpenAPISchema> = {}, opts?: SchemaOptions): OpenAPIDocument {
  const schemas = componentSchemas(
    [...referencedNames(paths), ...referencedNames(extra)].filter((n) => !Object.hasOwn(extra, n)),
    opts ?? { sharedKindGVKs: gvList(registry) },
  );
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: versionInfo().gitVersion },
    paths,
    components: { schemas: { ...schemas, ...extra }, securitySchemes: SECURITY_SCHEMES, ...shareComponents(paths) },
  };
}

type Section = 'parameters' | 'responses' | 'requestBodies';

/** The last segment of the schema a parameter, response or request body refers to first ("Deployment", "Status"), for readable component names. */
function schemaHint(value: unknown): string | undefined {
  const ref = [...referencedNames(value)][0];
  return ref?.slice(ref.lastIndexOf('.') + 1);
}

/**
 * Parameters, responses and request bodies are written once under components and referenced from each
 * operation. Upstream repeats them inline; kubectl 1.35's client-side apply parses the whole group-version
 * document twice for every object it applies, and these repeats were most of what it parsed in `paths`.
 * Left inline: each PATCH's fieldValidation parameter and its request body, which kubectl reads without
 * following references (the field-validation check and the strategic-merge-patch check), and responses
 * without content, which are cheaper to parse than a reference.
 */
function shareComponents(paths: Record<string, PathItem>): Partial<Record<Section, Record<string, OpenAPISchema>>> {
  const shared: Record<Section, Record<string, OpenAPISchema>> = { parameters: {}, responses: {}, requestBodies: {} };
  const keys = new Map<string, string>();
  const share = (section: Section, hint: string, value: OpenAPISchema): OpenAPISchema => {
    const json = JSON.stringify(value);
    let key = keys.get(`${section} ${json}`);
    if (!key) {
      key = `${hint}-${createHash('sha256').update(json).digest('hex').slice(0, 10)}`;
      keys.set(`${section} ${json}`, key);
      shared[section][key] = value;
    }
    return { $ref: `#/components/${section}/${key}` };
  };
  const shareParams = (list: unknown, keepInline: (p: OpenAPISchema) => boolean): unknown =>
    Array.isArray(list) ? list.map((p: OpenAPISchema) => (p['$ref'] || keepInline(p) ? p : share('parameters', String(p['name']), p))) : list;
  const never = () => false;
  for (const item of Object.values(paths) as Array<Record<string, any>>) {
    if (item['parameters']) item['parameters'] = shareParams(item['parameters'], never);
    for (const [method, op] of Object.entries(item)) {
      if (!op || typeof op !== 'object' || Array.isArray(op)) continue;
      const patch = method === 'patch';
      if (op.parameters) op.parameters = shareParams(op.parameters, patch ? (p) => p['name'] === 'fieldValidation' : never);
      if (op.requestBody && !patch && !op.requestBody.$ref) op.requestBody = share('requestBodies', schemaHint(op.requestBody) ?? 'body', op.requestBody);
      for (const [code, response] of Object.entries<OpenAPISchema>(op.responses ?? {})) {
        if (response['content']) op.responses[code] = share('responses', `${schemaHint(response) ?? 'body'}.${code}`, response);
      }
    }
  }
  return Object.fromEntries(Object.entries(shared).filter(([, v]) => Object.keys(v).length));
}

/** Component names for a resource; kinds Skiff's schema does not know (custom resources) get permissive schemas in `extra`. */
function typeNames(t: ResourceType, extra: Record<string, OpenAPISchema>): ResourceTypeNames {
  const gvk = (kind: string) => [{ group: t.group, version: t.version, kind }];
  let object = t.schemaType;
  const custom = !hasSchemaType(object);
  if (custom) {
    object = customTypeName(t.group, t.version, t.kind);
    extra[object] ??= { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, 'x-kubernetes-group-version-kind': gvk(t.kind) };
  }
  let list = typeForGVK(t.group, t.version, t.listKind);
  if (!list || !hasSchemaType(list)) {
    list = customTypeName(t.group, t.version, t.listKind);
    extra[list] ??= {
      type: 'object',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        items: { type: 'array', items: { $ref: SCHEMA_REF_PREFIX + object } },
        metadata: { allOf: [{ $ref: `${SCHEMA_REF_PREFIX}${META_V1}.ListMeta` }], default: {} },
      },
      required: ['items'],
      'x-kubernetes-group-version-kind': gvk(t.listKind),
    };
  }
  return custom ? { object, list, custom } : { object, list };
}

/** The document of one group version ("" for the core group): every served resource's endpoints and the types they reach. */
export function groupVersionDocument(registry: Registry, group: string, version: string, opts?: SchemaOptions): OpenAPIDocument {
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const paths: Record<string, PathItem> = {
    [`${prefix}/`]: discoveryPath(`get${groupPart(group)}${version.charAt(0).toUpperCase()}${version.slice(1)}APIResources`, 'get available resources', TYPE_NAMES.apiResourceList, tagOf(group, version)),
  };
  const extra: Record<string, OpenAPISchema> = {};
  const resources = registry.resources(group, version).sort((a, b) => a.plural.localeCompare(b.plural));
  for (const t of resources) Object.assign(paths, resourcePaths(t, typeNames(t, extra)));
  return document(registry, paths, extra, opts);
}

/** Documents by their name in the root ("api/v1", "apis/apps/v1", "apis/apps", "api", "apis", "version"). */
function allDocuments(registry: Registry): Map<string, OpenAPIDocument> {
  const docs = new Map<string, OpenAPIDocument>();
  const opts: SchemaOptions = { sharedKindGVKs: gvList(registry), memo: new Map() };
  docs.set('api', document(registry, { '/api/': discoveryPath('getCoreAPIVersions', 'get available API versions', TYPE_NAMES.apiVersions, 'core') }, {}, opts));
  docs.set('apis', document(registry, { '/apis/': discoveryPath('getAPIVersions', 'get available API versions', TYPE_NAMES.apiGroupList, 'apis') }, {}, opts));
  docs.set('version', document(registry, { '/version/': discoveryPath('getCodeVersion', 'get the version information for this server', TYPE_NAMES.versionInfo, 'version') }, {}, opts));
  for (const g of registry.groups) {
    if (g.name !== '') {
      const tag = groupPart(g.name).charAt(0).toLowerCase() + groupPart(g.name).slice(1);
      docs.set(`apis/${g.name}`, document(registry, { [`/apis/${g.name}/`]: discoveryPath(`get${groupPart(g.name)}APIGroup`, 'get information of a group', TYPE_NAMES.apiGroup, tag) }, {}, opts));
    }
    for (const v of g.versions) docs.set(g.name ? `apis/${apiVersionOf({ group: g.name, version: v })}` : `api/${v}`, groupVersionDocument(registry, g.name, v, opts));
  }
  return docs;
}

/** JSON with object keys sorted (as upstream's documents are), so equal documents hash equally. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
  });
}

/** handler3's ETag: the upper-case hex SHA-512 of the served bytes. */
export function openAPIHash(bytes: Buffer): string {
  return createHash('sha512').update(bytes).digest('hex').toUpperCase();
}

interface Served {
  bytes: Buffer;
  hash: string;
}

interface Built {
  fingerprint: string;
  root: Buffer;
  docs: Map<string, Served>;
  lastModified: string;
}

let built = new WeakMap<Registry, Built>();

/** What the registry serves, so a registry that changed (custom resources) is noticed without a call to invalidate(). */
function fingerprint(registry: Registry): string {
  return registry
    .all()
    .map((t) => `${t.group}/${t.version}/${t.plural}/${t.schemaType}/${(t.subresources ?? []).join(',')}/${t.verbs.join(',')}`)
    .join('\n');
}

function build(registry: Registry): Built {
  const fp = fingerprint(registry);
  const cached = built.get(registry);
  if (cached && cached.fingerprint === fp) return cached;
  const docs = new Map<string, Served>();
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [name, doc] of allDocuments(registry)) {
    const bytes = Buffer.from(canonicalJson(doc));
    const hash = openAPIHash(bytes);
    docs.set(name, { bytes, hash });
    paths[name] = { serverRelativeURL: hashedURL(name, hash) };
  }
  const result: Built = { fingerprint: fp, root: Buffer.from(canonicalJson({ paths })), docs, lastModified: new Date().toUTCString() };
  built.set(registry, result);
  return result;
}

function hashedURL(name: string, hash: string): string {
  return `${V3_PREFIX}/${name}?hash=${hash}`;
}

/** Drops the generated documents (of one registry, or of all): call after the registry's types change. */
export function invalidate(registry?: Registry): void {
  if (registry) built.delete(registry);
  else built = new WeakMap();
}

/** The root document: { paths: { "<name>": { serverRelativeURL } } }. */
export function openAPIRoot(registry: Registry): { paths: Record<string, { serverRelativeURL: string }> } {
  return JSON.parse(build(registry).root.toString()) as { paths: Record<string, { serverRelativeURL: string }> };
}

// ---------------------------------------------------------------------------------------------------
// HTTP

function statusResponse(status: number, reason: string, message: string): OpenAPIResponse {
  const body = Buffer.from(JSON.stringify(new StatusError(status, reason, message).toStatus()));
  return { status, headers: { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-cache, private' }, body };
}

const notFound = () => statusResponse(404, 'NotFound', 'the server could not find the requested resource');

/** Whether some clause of Accept takes JSON (only JSON is offered; the protobuf form is not). */
function acceptsJson(accept: string | undefined): boolean {
  return parseAccept(accept?.trim() ? accept : undefined).some((r) => {
    if (r.params['q'] !== undefined && Number(r.params['q']) === 0) return false;
    return r.type === JSON_TYPE || r.type === 'application/*' || r.type === '*/*' || r.type === '*';
  });
}

/**
 * Answers a GET of /openapi/v3, /openapi/v3/<name>[?hash=H] or /openapi/v2. `ifNoneMatch` is the request's
 * If-None-Match header (a matching ETag gets 304).
 */
export function serveOpenAPI(path: string, query: URLSearchParams, accept: string | undefined, registry: Registry, ifNoneMatch?: string): OpenAPIResponse {
  const clean = path.replace(/\/+$/, '');
  if (clean === V3_PREFIX) {
    return { status: 200, headers: { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-cache, private' }, body: build(registry).root };
  }
  if (clean === '/openapi/v2') return serveOpenAPIv2(accept);
  if (!clean.startsWith(`${V3_PREFIX}/`)) return notFound();
  if (!acceptsJson(accept)) {
    return statusResponse(406, 'NotAcceptable', `only the following media types are accepted: ${JSON_TYPE}`);
  }
  const state = build(registry);
  const name = clean.slice(V3_PREFIX.length + 1);
  const doc = state.docs.get(name);
  if (!doc) return notFound();
  const etag = `"${doc.hash}"`;
  const headers: Record<string, string> = { 'Content-Type': JSON_TYPE, Etag: etag, Vary: 'Accept', 'Last-Modified': state.lastModified };
  const hash = query.get('hash');
  if (hash) {
    if (hash !== doc.hash) {
      const location = hashedURL(name, doc.hash);
      return { status: 301, headers: { Location: location, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache, private' }, body: Buffer.from(`<a href="${location}">Moved Permanently</a>.\n`) };
    }
    headers['Cache-Control'] = 'public, immutable';
    headers['Expires'] = new Date(Date.now() + ONE_YEAR_MS).toUTCString();
  } else {
    headers['Cache-Control'] = 'no-cache, private';
  }
  if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
    return { status: 304, headers, body: Buffer.alloc(0) };
  }
  return { status: 200, headers, body: doc.bytes };
}
