// Resource requests: get, list, watch, create, update, patch, delete, deletecollection, and the status
// and scale subresources, for every registered type.
import type { Backend } from '../storage/backend.ts';
import { CompactedError, FutureRevisionError } from '../storage/backend.ts';
import type { KObject, ResourceType } from '../api/types.ts';
import type { Registry } from '../api/registry.ts';
import { apiVersionOf } from '../api/registry.ts';
import { findUnknownFields, pruneUnknownFields } from '../api/fieldcheck.ts';
import { decodeProtobufAs, ProtobufDecodeError } from './protobuf.ts';
import type { Logger } from '../log.ts';
import type { Authorizer } from './authz.ts';
import type { UserInfo } from './authn.ts';
import { answerReview } from './reviews.ts';
import { createBinding, isLegacyBindings } from './binding.ts';
import { handleEviction } from './eviction.ts';
import { nodeProxyContext, servePodNodeSubresource, isNodeSubresource, type KubeletClientConfig } from './nodeproxy.ts';
import { handleTokenRequest } from './tokenrequest.ts';
import type { TokenAuthenticator } from './bearertoken.ts';
import type { ServiceAccountTokenIssuer } from './serviceaccount-token.ts';
import { queryBool, type RequestInfo } from './requestinfo.ts';
import { applyStrategicMergePatch, StrategicMergePatchError } from './patch/strategic.ts';
import { schemaType } from '../api/schema.ts';
import type { Req, Res } from './http.ts';
import { drained, readBody, sendBuffer, sendJson, sendRaw } from './http.ts';
import { decodeObject, mediaTypeOf, negotiate, parseJsonObject, parseYamlObject, parseYamlOrJson } from './codec.ts';
import { applyObject, conflictStatus, managerOrUserAgent, type ApplySchema } from './apply/index.ts';
import { StatusError, errors } from './status.ts';
import type { DeleteOptions, ResourceStore } from './store.ts';
import { deletionWarnings, validatePropagation } from './propagation.ts';
import type { CachedObject, WatchCache, WatchOutEvent } from './watchcache.ts';
import { decodeStored, TooOldResourceVersionError, CacheNotReadyError, WatcherTooSlowError } from './watchcache.ts';
import { applyMergePatch, mergePatchBodyError } from './patch/mergepatch.ts';
import { applyJsonPatch, decodeJsonPatch, JsonPatchError, type JsonPatchOperation } from './patch/jsonpatch.ts';
import { buildTable, partialMetadata } from './table.ts';
import { compilePredicate } from './predicate.ts';
import { labelSelectorToString, labelSelectorFromObject } from './selectors.ts';

export interface ApiContext {
  authorizer: Authorizer;
  registry: Registry;
  stores: Map<ResourceType, ResourceStore>;
  watchCache: WatchCache;
  backend: Backend;
  logger: Logger;
  /** Signs TokenRequests (serviceaccounts/token); without it the subresource is not served. */
  serviceAccountTokens?: ServiceAccountTokenIssuer;
  /** Checks bearer tokens (for TokenReview); the same one authenticates requests. */
  tokenAuthenticator?: TokenAuthenticator;
  /** Client credentials toward node agents (pods/log, exec, attach, portforward). */
  kubelet?: KubeletClientConfig;
}

const notFoundResource = () => new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});

export async function handleResourceRequest(ctx: ApiContext, info: RequestInfo, query: URLSearchParams, req: Req, res: Res, user: UserInfo): Promise<void> {
  const type = ctx.registry.get(info.group, info.version, info.resource);
  if (!type) throw notFoundResource();
  const store = ctx.stores.get(type);
  if (isLegacyBindings(type)) return legacyBinding(ctx, info, query, req, res);
  if (!store) return review(ctx, type, info, query, req, res, user);
  const namespace = type.namespaced ? info.namespace : '';
  if (type.namespaced && !namespace && !['list', 'watch'].includes(info.verb)) throw notFoundResource();
  if (!type.namespaced && info.namespace && info.resource !== 'namespaces') throw notFoundResource();

  if (info.subresource) return handleSubresource(ctx, type, store, info, namespace, query, req, res);
  if (!type.verbs.includes(info.verb)) throw errors.methodNotSupported(type.plural, type.group, info.verb);

  switch (info.verb) {
    case 'get':
      return sendObject(ctx, type, res, req, query, await store.get(namespace, info.name));
    case 'list':
      return list(ctx, type, store, namespace, query, req, res);
    case 'watch':
      return watch(ctx, type, store, namespace, query, req, res, info.name);
    case 'create':
      return create(ctx, type, store, namespace, query, req, res);
    case 'update':
      return update(ctx, type, store, namespace, info.name, '', query, req, res);
    case 'patch':
      return patch(ctx, type, store, namespace, info.name, '', query, req, res);
    case 'delete':
      return remove(ctx, type, store, namespace, info.name, query, req, res);
    case 'deletecollection':
      return deleteCollection(ctx, type, store, namespace, query, req, res);
    default:
      throw errors.methodNotSupported(type.plural, type.group, info.verb);
  }
}

/** POST /api/v1/namespaces/NS/bindings: the pods/binding of the pod the body names. */
async function legacyBinding(ctx: ApiContext, info: RequestInfo, query: URLSearchParams, req: Req, res: Res): Promise<void> {
  if (info.verb !== 'create' || info.name) throw errors.methodNotSupported('bindings', '', info.verb);
  const podType = ctx.registry.get('', 'v1', 'pods');
  const pods = podType && ctx.stores.get(podType);
  if (!pods || !info.namespace) throw notFoundResource();
  return createBinding(pods, info.namespace, undefined, query, req, res);
}

/** Create-only review resources (access reviews, whoami): answered, never stored. */
async function review(ctx: ApiContext, type: ResourceType, info: RequestInfo, query: URLSearchParams, req: Req, res: Res, user: UserInfo): Promise<void> {
  if (info.verb !== 'create' || info.name) throw errors.methodNotSupported(type.plural, type.group, info.verb);
  const body = decodeBody(type, req, await readBody(req), query, res);
  const answer = await answerReview(type, body, { user, authorizer: ctx.authorizer, namespace: info.namespace, ...(ctx.tokenAuthenticator ? { tokens: ctx.tokenAuthenticator } : {}) });
  if (!answer) throw notFoundResource();
  sendJson(res, 201, answer, negotiate(req.headers.accept, false).format);
}

async function handleSubresource(ctx: ApiContext, type: ResourceType, store: ResourceStore, info: RequestInfo, namespace: string, query: URLSearchParams, req: Req, res: Res): Promise<void> {
  if (!type.subresources?.includes(info.subresource)) throw notFoundResource();
  if (info.subresource === 'status') {
    if (info.verb === 'get') return sendObject(ctx, type, res, req, query, await store.get(namespace, info.name));
    if (info.verb === 'update') return update(ctx, type, store, namespace, info.name, 'status', query, req, res);
    if (info.verb === 'patch') return patch(ctx, type, store, namespace, info.name, 'status', query, req, res);
    throw errors.methodNotSupported(`${type.plural}/status`, type.group, info.verb);
  }
  if (info.subresource === 'scale' && type.scale) return scale(ctx, type, store, namespace, info, query, req, res);
  if (info.subresource === 'binding' && type.plural === 'pods' && type.group === '') {
    if (info.verb !== 'create') throw errors.methodNotSupported('pods/binding', '', info.verb);
    return createBinding(store, namespace, info.name, query, req, res);
  }
  if (info.subresource === 'eviction' && type.plural === 'pods' && type.group === '') return handleEviction(ctx, store, namespace, info.name, info.verb, query, req, res);
  if (isNodeSubresource(info.subresource) && type.plural === 'pods' && type.group === '') return servePodNodeSubresource(nodeProxyContext(ctx), info.subresource, info.verb, namespace, info.name, query, res);
  if (info.subresource === 'token' && type.plural === 'serviceaccounts' && type.group === '') return handleTokenRequest(ctx, store, namespace, info.name, info.verb, req, res);
  if (info.subresource === 'finalize' && type.plural === 'namespaces' && info.verb === 'update') {
    // Only spec.finalizers changes through /finalize.
    const body = decodeBody(type, req, await readBody(req), query, res);
    const obj = await store.guaranteedUpdate(namespace, info.name, () => body, { dryRun: isDryRun(query), subresource: 'finalize', ...fieldManagerOf(query, req) });
    return sendObject(ctx, type, res, req, query, obj);
  }
  throw new StatusError(404, 'NotFound', `the server could not find the requested resource (${info.verb} ${type.plural} ${info.name}/${info.subresource}) — not served by this server yet`, {});
}

function isDryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const v of values) if (v !== 'All') throw errors.badRequest(`Invalid dryRun value: ${JSON.stringify(v)}; the only supported value is "All"`);
  return values.includes('All');
}

type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

function fieldValidation(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation') ?? 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw errors.badRequest(`fieldValidation parameter unsupported: ${v}`);
}

/** Decode a body for this type and apply fieldValidation (unknown fields: 400, warning, or dropped). */
function decodeBody(type: ResourceType, req: Req, body: Buffer, query: URLSearchParams, res: Res): KObject {
  const { obj } = decodeObject(body, req.headers['content-type']);
  checkTypeMeta(type, obj);
  checkFields(type, obj, query, res);
  return obj;
}

function checkTypeMeta(type: ResourceType, obj: KObject): void {
  const want = apiVersionOf(type);
  if (obj.apiVersion !== undefined && obj.apiVersion !== want) {
    throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${want})`);
  }
  if (obj.kind !== undefined && obj.kind !== type.kind) {
    throw errors.badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${type.kind})`);
  }
}

function checkFields(type: ResourceType, obj: KObject, query: URLSearchParams, res: Res): void {
  const mode = fieldValidation(query);
  // Custom resources prune by their own schema; built-ins by the Go-derived one.
  const unknown = type.pruneUnknownFields ? type.pruneUnknownFields(obj) : findUnknownFields(type.schemaType, obj);
  if (unknown.length) {
    const problems = unknown.map((p) => `unknown field "${p}"`);
    if (mode === 'Strict') throw errors.badRequest(`strict decoding error: ${problems.join(', ')}`);
    if (mode === 'Warn') res.setHeader('Warning', problems.map((p) => `299 - ${JSON.stringify(p)}`));
  }
  if (!type.pruneUnknownFields) pruneUnknownFields(type.schemaType, obj);
}

// ---- reads -------------------------------------------------------------------------------------------

function sendObject(ctx: ApiContext, type: ResourceType, res: Res, req: Req, query: URLSearchParams, obj: KObject, code = 200): void {
  const neg = negotiate(req.headers.accept, true);
  if (neg.as === 'Table') {
    const cached: CachedObject = { key: '', rv: Number(obj.metadata?.resourceVersion ?? 0), obj };
    return sendJson(res, code, buildTable(ctx.registry.table(type), [cached], { includeObject: includeObjectOf(query), metaVersion: neg.metaVersion, resourceVersion: obj.metadata?.resourceVersion ?? '' }), neg.format);
  }
  if (neg.as === 'PartialObjectMetadata') return sendJson(res, code, partialMetadata(obj, neg.metaVersion), neg.format);
  if (neg.as === 'PartialObjectMetadataList') throw errors.notAcceptable('only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf');
  sendJson(res, code, obj, neg.format);
}

function includeObjectOf(query: URLSearchParams): 'None' | 'Metadata' | 'Object' {
  const v = query.get('includeObject') ?? 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw errors.badRequest(`includeObject: Unsupported value: "${v}": supported values: "Metadata", "None", "Object"`);
}

function parseRV(value: string | null, what = 'resourceVersion'): number | undefined {
  if (value === null || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw new StatusError(400, 'BadRequest', `${what}: Invalid value: "${value}": must be a non-negative integer`);
  return Number(value);
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

function encodeContinue(rv: number, key: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: key } satisfies ContinueToken)).toString('base64url');
}

function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString()) as ContinueToken;
    if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('bad token');
    return t;
  } catch {
    throw new StatusError(400, 'BadRequest', 'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

const CONTINUE_EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

async function list(ctx: ApiContext, type: ResourceType, store: ResourceStore, namespace: string, query: URLSearchParams, req: Req, res: Res): Promise<void> {
  const neg = negotiate(req.headers.accept, true);
  const predicate = compilePredicate(type, query.get('labelSelector') ?? '', query.get('fieldSelector') ?? '');
  const keyPrefix = namespace ? `${store.prefix}${namespace}/` : store.prefix;
  const limit = parseRV(query.get('limit'), 'limit') ?? 0;
  const cont = query.get('continue') ?? '';
  const rvParam = query.get('resourceVersion') ?? '';
  const rv = parseRV(rvParam);
  const match = query.get('resourceVersionMatch') ?? '';
  if (match && match !== 'Exact' && match !== 'NotOlderThan') {
    throw invalidListOptions('resourceVersionMatch', match, `supported values: "Exact", "NotOlderThan"`, 'FieldValueNotSupported', 'Unsupported value');
  }
  if (match && rv === undefined) {
    throw invalidListOptions('resourceVersionMatch', match, 'resourceVersionMatch is forbidden unless resourceVersion is provided', 'FieldValueForbidden', 'Forbidden');
  }
  if (cont && rvParam !== '') throw invalidListOptions('resourceVersion', rvParam, 'specifying resource version is not allowed when using continue', 'FieldValueForbidden', 'Forbidden');

  let items: CachedObject[];
  let listRV: number;
  let nextKey: string | undefined;
  if (cont || match === 'Exact') {
    const token = cont ? decodeContinue(cont) : undefined;
    listRV = token ? token.rv : rv!;
    const start = token ? store.prefix + token.start : undefined;
    try {
      ({ items, nextKey } = await listFromStorage(ctx.backend, keyPrefix, listRV, limit, predicate, start));
    } catch (err) {
      if (err instanceof CompactedError) throw new StatusError(410, 'Expired', token ? CONTINUE_EXPIRED : `The resourceVersion for the provided list is too old.`);
      if (err instanceof FutureRevisionError) throw tooLargeRV(listRV, err.current);
      throw err;
    }
  } else {
    if (rv === undefined) await consistentRead(ctx.watchCache);
    else if (rv > 0) await waitFor(ctx.watchCache, rv);
    listRV = ctx.watchCache.revision;
    const page = store.cache.list(keyPrefix, predicate, limit ? { limit } : {});
    items = page.items;
    nextKey = page.nextKey;
  }
  const meta: Record<string, unknown> = { resourceVersion: String(listRV) };
  if (nextKey) meta['continue'] = encodeContinue(listRV, nextKey.slice(store.prefix.length));

  if (type.convertFromStorage) items = items.map((c) => ({ ...c, obj: store.present(c) }));
  if (neg.as === 'Table') {
    return sendJson(res, 200, buildTable(ctx.registry.table(type), items, { includeObject: includeObjectOf(query), metaVersion: neg.metaVersion, resourceVersion: String(listRV), ...(meta['continue'] ? { continue: meta['continue'] as string } : {}) }), neg.format);
  }
  if (neg.as === 'PartialObjectMetadataList' || neg.as === 'PartialObjectMetadata') {
    return sendJson(res, 200, { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${neg.metaVersion}`, metadata: meta, items: items.map((c) => partialMetadata(c.obj, neg.metaVersion)) }, neg.format);
  }
  const apiVersion = apiVersionOf(type);
  if (neg.format === 'yaml') {
    return sendJson(res, 200, { apiVersion, kind: type.listKind, metadata: meta, items: items.map((c) => c.obj) }, 'yaml');
  }
  // Lists are built from each object's cached JSON bytes: no re-serialization of unchanged objects.
  const head = Buffer.from(`{"kind":${JSON.stringify(type.listKind)},"apiVersion":${JSON.stringify(apiVersion)},"metadata":${JSON.stringify(meta)},"items":[`);
  sendBuffer(res, 200, joinJson(head, items.map((c) => store.presentJson(c)), LIST_END), 'application/json');
}

const LIST_END = Buffer.from(']}');

/** head + items separated by commas + tail, copied once into one buffer. */
function joinJson(head: Buffer, items: Buffer[], tail: Buffer): Buffer {
  let total = head.length + tail.length + Math.max(0, items.length - 1);
  for (const b of items) total += b.length;
  const out = Buffer.allocUnsafe(total);
  let off = head.copy(out, 0);
  for (let i = 0; i < items.length; i++) {
    if (i) out[off++] = 0x2c;
    off += items[i]!.copy(out, off);
  }
  tail.copy(out, off);
  return out;
}

async function listFromStorage(backend: Backend, keyPrefix: string, rv: number, limit: number, predicate: (o: KObject) => boolean, startKey?: string) {
  const items: CachedObject[] = [];
  let start = startKey;
  const pageSize = limit > 0 ? Math.max(limit, 100) : 1000;
  for (;;) {
    const page = await backend.list(keyPrefix, { revision: rv, limit: pageSize, ...(start ? { startKey: start } : {}) });
    for (const kv of page.items) {
      const obj = decodeStored(kv);
      if (!predicate(obj)) continue;
      if (limit > 0 && items.length >= limit) return { items, nextKey: kv.key };
      items.push({ key: kv.key, rv: kv.modRevision, obj });
    }
    if (!page.more || page.items.length === 0) return { items, nextKey: undefined };
    start = page.items[page.items.length - 1]!.key + '\0';
  }
}

function invalidListOptions(field: string, value: string, detail: string, reason: string, label: string): StatusError {
  const message = label === 'Forbidden' ? `${field}: Forbidden: ${detail}` : `${field}: ${label}: ${JSON.stringify(value)}: ${detail}`;
  return errors.invalid('ListOptions', 'meta.k8s.io', '', [{ reason, message, field }]);
}

function tooLargeRV(wanted: number, have: number): StatusError {
  return new StatusError(504, 'Timeout', `Timeout: Too large resource version: ${wanted}, current: ${have}`, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
}

async function consistentRead(cache: WatchCache): Promise<void> {
  try {
    await cache.sync();
  } catch (err) {
    if (err instanceof CacheNotReadyError) throw tooLargeRV(err.wanted, err.have);
    throw err;
  }
}

async function waitFor(cache: WatchCache, rv: number): Promise<void> {
  try {
    await cache.waitForRevision(rv);
  } catch (err) {
    if (err instanceof CacheNotReadyError) throw tooLargeRV(err.wanted, err.have);
    throw err;
  }
}

// ---- watch -------------------------------------------------------------------------------------------

const DEFAULT_MIN_WATCH_SECONDS = 1800;
const EVENT_HEAD = {
  ADDED: Buffer.from('{"type":"ADDED","object":'),
  MODIFIED: Buffer.from('{"type":"MODIFIED","object":'),
  DELETED: Buffer.from('{"type":"DELETED","object":'),
};
const EVENT_END = Buffer.from('}\n');

async function watch(ctx: ApiContext, type: ResourceType, store: ResourceStore, namespace: string, query: URLSearchParams, req: Req, res: Res, name: string): Promise<void> {
  const neg = negotiate(req.headers.accept, true);
  let predicate = compilePredicate(type, query.get('labelSelector') ?? '', query.get('fieldSelector') ?? '');
  if (name) {
    const byName = predicate;
    predicate = (o) => o.metadata?.name === name && byName(o);
  }
  const keyPrefix = namespace ? `${store.prefix}${namespace}/` : store.prefix;
  const rvParam = query.get('resourceVersion') ?? '';
  const rv = parseRV(rvParam);
  const match = query.get('resourceVersionMatch') ?? '';
  const bookmarks = queryBool(query.get('allowWatchBookmarks')) === true;
  const sie = query.get('sendInitialEvents');
  const sendInitial = queryBool(sie);
  if (sendInitial !== undefined) {
    if (match !== 'NotOlderThan') {
      throw invalidListOptions('resourceVersionMatch', match, "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan", 'FieldValueForbidden', 'Forbidden');
    }
    if (sendInitial && !bookmarks) throw invalidListOptions('sendInitialEvents', sie!, 'sendInitialEvents requires setting allowWatchBookmarks to true', 'FieldValueForbidden', 'Forbidden');
  } else if (match) {
    throw invalidListOptions('resourceVersionMatch', match, 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided', 'FieldValueForbidden', 'Forbidden');
  }
  const timeoutParam = parseRV(query.get('timeoutSeconds'), 'timeoutSeconds');
  const timeoutSeconds = timeoutParam ?? Math.floor(DEFAULT_MIN_WATCH_SECONDS * (1 + Math.random()));

  const initial = sendInitial ?? (rv === undefined || rv === 0);
  if (initial && rv === undefined && sendInitial) await consistentRead(ctx.watchCache);
  else if (rv !== undefined && rv > 0) await waitFor(ctx.watchCache, rv);

  const ac = new AbortController();
  res.on('close', () => ac.abort());
  const timer = setTimeout(() => ac.abort(), timeoutSeconds * 1000);
  let events: AsyncIterable<WatchOutEvent>;
  try {
    events = store.cache.watch({
      keyPrefix,
      predicate,
      afterRV: initial ? 0 : rv ?? ctx.watchCache.revision,
      initial,
      bookmarkAfterInitial: sendInitial === true,
      signal: ac.signal,
    });
  } catch (err) {
    if (err instanceof TooOldResourceVersionError) {
      // Upstream answers 200 and sends the 410 as the stream's only event.
      clearTimeout(timer);
      const status = new StatusError(410, 'Expired', err.message).toStatus();
      sendRaw(res, 200, JSON.stringify({ type: 'ERROR', object: status }) + '\n', 'application/json');
      return;
    }
    clearTimeout(timer);
    throw err;
  }
  res.writeHead(200, { 'Content-Type': neg.format === 'yaml' ? 'application/yaml' : 'application/json', 'Cache-Control': 'no-cache, private' });
  // Clients (client-go, client-node) wait for the headers before they count a watch as started.
  res.flushHeaders?.();
  const table = neg.as === 'Table' ? ctx.registry.table(type) : undefined;
  const includeObject = includeObjectOf(query);
  let headersSent = false;
  const apiVersion = apiVersionOf(type);
  // One listener for the whole watch: a slow client makes many writes wait, and each wait races this.
  const aborted = new Promise<void>((resolve) => ac.signal.addEventListener('abort', () => resolve(), { once: true }));
  try {
    for await (const ev of events) {
      let line: string | Buffer;
      if (ev.type === 'BOOKMARK') {
        if (!bookmarks) continue;
        const metadata: Record<string, unknown> = { resourceVersion: String(ev.rv) };
        if (ev.initialEventsEnd) metadata['annotations'] = { 'k8s.io/initial-events-end': 'true' };
        line = JSON.stringify({ type: 'BOOKMARK', object: { kind: type.kind, apiVersion, metadata } });
      } else if (table) {
        const t = buildTable(table, [type.convertFromStorage ? { ...ev.object!, obj: store.present(ev.object!) } : ev.object!], { includeObject, metaVersion: neg.metaVersion, resourceVersion: String(ev.rv), noHeaders: headersSent });
        headersSent = true;
        line = JSON.stringify({ type: ev.type, object: t });
      } else if (neg.as === 'PartialObjectMetadata' || neg.as === 'PartialObjectMetadataList') {
        line = JSON.stringify({ type: ev.type, object: partialMetadata(ev.object!.obj, neg.metaVersion) });
      } else {
        line = Buffer.concat([EVENT_HEAD[ev.type], store.presentJson(ev.object!), EVENT_END]);
      }
      if (!res.write(typeof line === 'string' ? line + '\n' : line)) await Promise.race([drained(res), aborted]);
      if (ac.signal.aborted) break;
    }
  } catch (err) {
    if (!(err instanceof WatcherTooSlowError)) ctx.logger.warn('watch ended with an error', { resource: type.plural, error: String(err) });
    if (!res.writableEnded) {
      const status = new StatusError(500, 'InternalError', `Internal error occurred: ${(err as Error).message}`).toStatus();
      res.write(JSON.stringify({ type: 'ERROR', object: status }) + '\n');
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
    if (!res.writableEnded) res.end();
  }
}

// ---- writes ------------------------------------------------------------------------------------------

async function create(ctx: ApiContext, type: ResourceType, store: ResourceStore, namespace: string, query: URLSearchParams, req: Req, res: Res): Promise<void> {
  const obj = decodeBody(type, req, await readBody(req), query, res);
  const created = await store.create(namespace, obj, { dryRun: isDryRun(query), ...fieldManagerOf(query, req) });
  sendObject(ctx, type, res, req, query, created, 201);
}

/** The manager this write's fields are recorded under: ?fieldManager=, else the user agent's program name. */
function fieldManagerOf(query: URLSearchParams, req: Req): { manager: string } {
  const m = query.get('fieldManager');
  if (m !== null && m.length > 128) {
    throw new StatusError(422, 'Invalid', `fieldManager: Invalid value: ${JSON.stringify(m)}: must be no more than 128 characters`, { causes: [{ reason: 'FieldValueInvalid', field: 'fieldManager', message: 'must be no more than 128 characters' }] });
  }
  return { manager: managerOrUserAgent(m ?? undefined, req.headers['user-agent']) };
}

async function update(ctx: ApiContext, type: ResourceType, store: ResourceStore, namespace: string, name: string, subresource: '' | 'status', query: URLSearchParams, req: Req, res: Res): Promise<void> {
  const obj = decodeBody(type, req, await readBody(req), query, res);
  const updated = await store.update(namespace, name, obj, subresource, { dryRun: isDryRun(query), ...fieldManagerOf(query, req) });
  sendObject(ctx, type, res, req, query, updated);
}

const SMP = 'application/strategic-merge-patch+json';
const APPLY = 'application/apply-patch+yaml';
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', SMP, APPLY];

/** The patch types a resource accepts: strategic merge patch needs a built-in schema (not for custom resources). */
function patchTypesFor(type: ResourceType): string[] {
  return schemaType(type.schemaType) ? PATCH_TYPES : PATCH_TYPES.filter((t) => t !== SMP);
}

function unsupportedPatch(type: ResourceType, mt: string): StatusError {
  return new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${patchTypesFor(type).join(', ')}`, {}, { cause: mt });
}

async function patch(ctx: ApiContext, type: ResourceType, store: ResourceStore, namespace: string, name: string, subresource: '' | 'status', query: URLSearchParams, req: Req, res: Res): Promise<void> {
  const mt = mediaTypeOf(req.headers['content-type']);
  if (mt === APPLY) return apply(ctx, type, store, namespace, name, subresource, query, req, res);
  if (!patchTypesFor(type).includes(mt)) throw unsupportedPatch(type, mt);
  const body = await readBody(req);
  const patchDoc = decodePatch(mt, parsePatchBody(body), fieldValidation(query), res);
  const updated = await store.guaranteedUpdate(
    namespace,
    name,
    (current) => {
      const patched = applyPatch(mt, current, patchDoc, type.schemaType);
      checkTypeMeta(type, patched);
      checkFields(type, patched, query, res);
      const wantRV = patched.metadata?.resourceVersion;
      if (wantRV && wantRV !== current.metadata?.resourceVersion) {
        throw errors.conflict(type.plural, type.group, name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      return patched;
    },
    { dryRun: isDryRun(query), subresource, ...fieldManagerOf(query, req) },
  );
  sendObject(ctx, type, res, req, query, updated);
}

/**
 * Server-side apply: the configuration merged onto the live object by field ownership; creates the
 * object when it is absent (201).
 */
async function apply(ctx: ApiContext, type: ResourceType, store: ResourceStore, namespace: string, name: string, subresource: '' | 'status', query: URLSearchParams, req: Req, res: Res): Promise<void> {
  const manager = query.get('fieldManager');
  if (!manager) {
    throw errors.invalid('PatchOptions', 'meta.k8s.io', '', [{ reason: 'FieldValueRequired', field: 'fieldManager', message: 'fieldManager: Required value: is required for apply patch' }]);
  }
  fieldManagerOf(query, req);
  const force = queryBool(query.get('force')) === true;
  const body = await readBody(req);
  if (!body.length) throw errors.badRequest('the body of the request was empty');
  const config = parseYamlOrJson(body);
  checkFields(type, config, query, res);
  if (config.metadata?.name !== undefined && config.metadata.name !== name) {
    throw errors.badRequest(`the name of the object (${config.metadata.name}) does not match the name on the URL (${name})`);
  }
  const options = { manager, apiVersion: apiVersionOf(type), kind: type.kind, force, resetFields: store.resetFields(subresource), ...(subresource ? { subresource } : {}) };
  const merge = (live: KObject | undefined): KObject => {
    const r = applyObject((type.applySchema as ApplySchema | undefined) ?? type.schemaType, live, config, options);
    if (r.conflicts) throw conflictStatus(r.conflicts);
    return r.object;
  };
  const dryRun = isDryRun(query);
  for (let attempt = 0; attempt < 3; attempt++) {
    const exists = store.cache.items.has(store.key(namespace, name)) || (await ctx.backend.get(store.key(namespace, name))) !== undefined;
    try {
      if (!exists) {
        if (subresource) throw errors.notFound(type.plural, type.group, name);
        const created = await store.create(namespace, merge(undefined), { dryRun, manager, managedFieldsDone: true });
        return sendObject(ctx, type, res, req, query, created, 201);
      }
      const updated = await store.guaranteedUpdate(namespace, name, (cur) => merge(cur), { dryRun, subresource, manager, managedFieldsDone: true });
      return sendObject(ctx, type, res, req, query, updated);
    } catch (err) {
      // Created or deleted by someone else meanwhile: try again the other way.
      if (err instanceof StatusError && ((err.code === 409 && err.reason === 'AlreadyExists') || (err.code === 404 && exists))) continue;
      throw err;
    }
  }
  throw errors.conflict(type.plural, type.group, name, 'the object was created or deleted concurrently; please retry');
}

function parsePatchBody(body: Buffer): unknown {
  if (!body.length) throw errors.badRequest('the body of the request was empty');
  try {
    return JSON.parse(body.toString());
  } catch (err) {
    throw errors.badRequest(`error decoding patch: ${(err as Error).message}`);
  }
}

/** Checks a patch body's shape as kube-apiserver does before applying it (400s, 413, Strict warnings). */
function decodePatch(mt: string, patchDoc: unknown, mode: FieldValidation, res: Res): unknown {
  if (mt === SMP) return patchDoc; // shape errors come from applying it, as upstream reports them
  if (mt === 'application/merge-patch+json') {
    const problem = mergePatchBodyError(patchDoc, mode);
    if (problem) throw errors.badRequest(problem);
    return patchDoc;
  }
  try {
    const { operations, strictErrors } = decodeJsonPatch(patchDoc, mode);
    if (strictErrors.length) {
      if (mode === 'Strict') throw errors.badRequest(`strict decoding error: ${strictErrors.join(', ')}`);
      res.setHeader('Warning', strictErrors.map((p) => `299 - ${JSON.stringify(p)}`));
    }
    return operations;
  } catch (err) {
    if (err instanceof JsonPatchError) throw err.toStatusError();
    throw err;
  }
}

function applyPatch(mt: string, current: KObject, patchDoc: unknown, typeName: string): KObject {
  if (mt === SMP) {
    try {
      return applyStrategicMergePatch(current, patchDoc, typeName);
    } catch (err) {
      if (err instanceof StrategicMergePatchError) throw err.toStatusError();
      throw err;
    }
  }
  if (mt === 'application/merge-patch+json') {
    const out = applyMergePatch(current, patchDoc, { kubernetes: true });
    if (out === null || typeof out !== 'object' || Array.isArray(out)) throw errors.badRequest('the patch must produce an object');
    return out as KObject;
  }
  try {
    return applyJsonPatch(current, patchDoc as JsonPatchOperation[]) as KObject;
  } catch (err) {
    if (err instanceof JsonPatchError) throw err.toStatusError();
    throw err;
  }
}

function decodeDeleteOptions(req: Req, body: Buffer, query: URLSearchParams): DeleteOptions {
  let opts: Record<string, any> = {};
  if (body.length) {
    const mt = mediaTypeOf(req.headers['content-type']);
    if (mt === 'application/vnd.kubernetes.protobuf') {
      try {
        opts = decodeProtobufAs('io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions', new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
      } catch (err) {
        if (err instanceof ProtobufDecodeError) throw new StatusError(400, 'BadRequest', `DeleteOptions could not be decoded: ${err.message}`, undefined, { cause: err });
        throw err;
      }
    }
    else if (mt === 'application/yaml') opts = parseYamlObject(body);
    else opts = parseJsonObject(body);
  }
  const grace = query.get('gracePeriodSeconds');
  if (grace !== null) opts['gracePeriodSeconds'] = Number(grace);
  const policy = query.get('propagationPolicy');
  if (policy) opts['propagationPolicy'] = policy;
  if (query.getAll('dryRun').length) opts['dryRun'] = query.getAll('dryRun');
  const orphan = query.get('orphanDependents');
  if (orphan !== null) opts['orphanDependents'] = queryBool(orphan) === true;
  const propagationProblems = validatePropagation(opts);
  if (propagationProblems.length) throw errors.invalid('DeleteOptions', 'meta.k8s.io', '', propagationProblems);
  // Upstream treats a negative grace period as one second.
  if (typeof opts['gracePeriodSeconds'] === 'number' && opts['gracePeriodSeconds'] < 0) opts['gracePeriodSeconds'] = 1;
  for (const v of (opts['dryRun'] as string[] | undefined) ?? []) if (v !== 'All') throw errors.badRequest(`Invalid dryRun value: ${JSON.stringify(v)}; the only supported value is "All"`);
  return opts as DeleteOptions;
}

function warnOnDelete(type: ResourceType, options: DeleteOptions, res: Res): void {
  const warnings = deletionWarnings(type, options);
  if (warnings.length) res.setHeader('Warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`));
}

async function remove(ctx: ApiContext, type: ResourceType, store: ResourceStore, namespace: string, name: string, query: URLSearchParams, req: Req, res: Res): Promise<void> {
  const options = decodeDeleteOptions(req, await readBody(req), query);
  warnOnDelete(type, options, res);
  await store.admitDelete(namespace, name, options);
  const { obj, deleted } = await store.delete(namespace, name, options);
  if (!deleted || type.plural === 'pods') return sendObject(ctx, type, res, req, query, obj);
  sendJson(res, 200, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name, group: type.group, kind: type.plural, uid: obj.metadata?.uid },
  });
}

async function deleteCollection(ctx: ApiContext, type: ResourceType, store: ResourceStore, namespace: string, query: URLSearchParams, req: Req, res: Res): Promise<void> {
  const options = decodeDeleteOptions(req, await readBody(req), query);
  warnOnDelete(type, options, res);
  const predicate = compilePredicate(type, query.get('labelSelector') ?? '', query.get('fieldSelector') ?? '');
  await consistentRead(ctx.watchCache);
  const keyPrefix = namespace ? `${store.prefix}${namespace}/` : store.prefix;
  const targets = store.cache.list(keyPrefix, predicate).items;
  const removed: KObject[] = [];
  for (const t of targets) {
    try {
      await store.admitDelete(t.obj.metadata?.namespace ?? '', t.obj.metadata!.name!, options);
      removed.push((await store.delete(t.obj.metadata?.namespace ?? '', t.obj.metadata!.name!, options)).obj);
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) continue;
      throw err;
    }
  }
  sendJson(res, 200, { kind: type.listKind, apiVersion: apiVersionOf(type), metadata: { resourceVersion: String(ctx.watchCache.revision) }, items: removed });
}

// ---- scale -------------------------------------------------------------------------------------------

function getPath(obj: KObject, path: string): unknown {
  let cur: any = obj;
  for (const p of path.split('.')) cur = cur?.[p];
  return cur;
}

function setPath(obj: KObject, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur: any = obj;
  for (const p of parts.slice(0, -1)) cur = cur[p] ??= {};
  cur[parts[parts.length - 1]!] = value;
}

function toScale(type: ResourceType, obj: KObject): KObject {
  const s = type.scale!;
  const selectorObj = s.labelSelectorPath ? getPath(obj, s.labelSelectorPath) : undefined;
  const selector = typeof selectorObj === 'string' ? selectorObj : selectorObj ? labelSelectorToString(labelSelectorFromObject(selectorObj as Record<string, any>)) : '';
  const m = obj.metadata ?? {};
  const metadata: Record<string, unknown> = { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp };
  const status: Record<string, unknown> = { replicas: (getPath(obj, s.statusReplicasPath) as number | undefined) ?? 0 };
  if (selector) status['selector'] = selector;
  return { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata, spec: { replicas: (getPath(obj, s.specReplicasPath) as number | undefined) ?? 0 }, status };
}

async function scale(ctx: ApiContext, type: ResourceType, store: ResourceStore, namespace: string, info: RequestInfo, query: URLSearchParams, req: Req, res: Res): Promise<void> {
  const name = info.name;
  if (info.verb === 'get') return sendJson(res, 200, toScale(type, await store.get(namespace, name)), negotiate(req.headers.accept, false).format);
  if (info.verb !== 'update' && info.verb !== 'patch') throw errors.methodNotSupported(`${type.plural}/scale`, type.group, info.verb);
  const mt = mediaTypeOf(req.headers['content-type']);
  if (info.verb === 'patch' && (mt === APPLY || !PATCH_TYPES.includes(mt))) throw unsupportedPatch(type, mt);
  const body = await readBody(req);
  const patchDoc = info.verb === 'patch' ? decodePatch(mt, parsePatchBody(body), fieldValidation(query), res) : undefined;
  const putScale = info.verb === 'update' ? decodeObject(body, req.headers['content-type']).obj : undefined;
  const updated = await store.guaranteedUpdate(
    namespace,
    name,
    (current) => {
      const currentScale = toScale(type, current);
      const wanted = putScale ?? applyPatch(mt, currentScale, patchDoc, 'io.k8s.api.autoscaling.v1.Scale');
      const wantRV = wanted.metadata?.resourceVersion;
      if (wantRV && wantRV !== current.metadata?.resourceVersion) {
        throw errors.conflict(type.plural, type.group, name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      const replicas = wanted['spec']?.replicas;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
        const message = `spec.replicas: Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`;
        throw errors.invalid('Scale', 'autoscaling', name, [{ reason: 'FieldValueInvalid', message, field: 'spec.replicas' }]);
      }
      setPath(current, type.scale!.specReplicasPath, replicas);
      return current;
    },
    { dryRun: isDryRun(query), subresource: 'scale', ...fieldManagerOf(query, req) },
  );
  sendJson(res, 200, toScale(type, updated));
}
