// The API server: HTTPS (HTTP/2 and HTTP/1.1) in front of the watch cache and storage.
import http2 from 'node:http2';
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Backend } from '../storage/backend.ts';
import { openBackend } from '../storage/index.ts';
import type { Registry } from '../api/registry.ts';
import { newRegistry, storagePrefix } from '../api/registry.ts';
import type { KObject, ResourceType } from '../api/types.ts';
import { bootstrapObjects } from '../api/groups/index.ts';
import type { Logger } from '../log.ts';
import { X509Authenticator, type Authenticator, type UserInfo } from './authn.ts';
import { bearerTokenAuthenticator } from './bearertoken.ts';
import { ServiceAccountTokenAuthenticator, ServiceAccountTokenIssuer, type TokenObjectGetter } from './serviceaccount-token.ts';
import { AllowAuthenticated, type Authorizer } from './authz.ts';
import { WatchCache } from './watchcache.ts';
import { CustomResourceManager } from './crds.ts';
import { ResourceStore, type StoreContext } from './store.ts';
import { ServiceAllocator } from './allocators.ts';
import { parseRequestInfo, type RequestInfo } from './requestinfo.ts';
import { handleResourceRequest, type ApiContext } from './handlers.ts';
import { sendError, sendJson, sendRaw, type Req, type Res } from './http.ts';
import { StatusError, errors } from './status.ts';
import { AGGREGATED_V2, AGGREGATED_V2BETA1, aggregatedDiscovery, legacyAPIGroup, legacyAPIGroupList, legacyAPIResourceList, legacyAPIVersions } from './discovery.ts';
import { parseAccept } from './codec.ts';
import { versionInfo } from './version.ts';
import { serveOpenAPI } from './openapi.ts';
import { defaultAdmission, runAsUser, StoreObjects, type AdmissionObjects } from './admission/index.ts';
import { isNodeSubresource, nodeProxyContext, proxyPodUpgrade, writeUpgradeError, type KubeletClientConfig } from './nodeproxy.ts';

export interface ApiServerOptions {
  dataDir: string;
  securePort: number;
  bindAddress: string;
  advertiseAddress?: string;
  datastoreEndpoint: string;
  serviceCIDR: string;
  nodePortRange: [number, number];
  tls: { caPem: string; certPem: string; keyPem: string };
  /** sa.key signs TokenRequests; tokens signed by any of the public keys authenticate. Absent: no service-account tokens. */
  serviceAccountKeys?: { signingKeyPem: string; publicKeyPems: readonly string[] };
  /** Client certificate toward node agents (kubeadm's apiserver-kubelet-client); without it pods/log, exec … fail. */
  kubeletClient?: KubeletClientConfig;
  logger: Logger;
  /** Storage compaction: how often, and how many revisions of history to keep. */
  compaction?: { intervalMs: number; keepRevisions: number };
}

export interface RunningApiServer {
  url: string;
  port: number;
  /** The in-process view, for components that share the process. */
  api: ApiContext;
  closed: Promise<void>;
}

const DEFAULT_COMPACTION = { intervalMs: 5 * 60_000, keepRevisions: 1000 };
const BOOKMARK_INTERVAL_MS = 60_000;
const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version']);

export async function startApiServer(opts: ApiServerOptions, signal: AbortSignal): Promise<RunningApiServer> {
  const logger = opts.logger;
  const backend = openBackend(opts.datastoreEndpoint, opts.dataDir);
  await backend.start(signal);
  const registry = newRegistry();
  const watchCache = new WatchCache(backend);
  const storeCtx: StoreContext = { backend, strategy: {}, namespaces: () => undefined };
  const stores = new Map<ResourceType, ResourceStore>();
  for (const t of registry.all()) {
    if (!t.verbs.includes('get') && !t.verbs.includes('list')) continue; // create-only reviews have no storage
    stores.set(t, new ResourceStore(t, watchCache.register(storagePrefix(t)), storeCtx));
  }
  const nsType = registry.get('', 'v1', 'namespaces')!;
  const svcType = registry.get('', 'v1', 'services')!;
  storeCtx.namespaces = () => stores.get(nsType)?.cache;
  const allocator = new ServiceAllocator(opts.serviceCIDR, opts.nodePortRange, stores.get(svcType)!.cache);
  storeCtx.strategy.allocators = allocator;
  storeCtx.afterServiceWrite = (obj) => allocator.settle(obj);
  const objects = new StoreObjects(stores, backend);
  storeCtx.admission = defaultAdmission(objects);

  await watchCache.start(signal);
  const authorizer: Authorizer = new AllowAuthenticated();
  const api: ApiContext = { registry, stores, watchCache, backend, logger, authorizer };
  if (opts.kubeletClient) api.kubelet = opts.kubeletClient;
  const saKeys = opts.serviceAccountKeys;
  if (saKeys) {
    api.serviceAccountTokens = new ServiceAccountTokenIssuer({ signingKeyPem: saKeys.signingKeyPem });
    api.tokenAuthenticator = new ServiceAccountTokenAuthenticator({ publicKeyPems: saKeys.publicKeyPems, objects: tokenObjects(objects) });
  }
  await new CustomResourceManager(api, storeCtx, logger).start(signal);

  const compaction = opts.compaction ?? DEFAULT_COMPACTION;
  const compactTimer = setInterval(() => void compactOnce(backend, watchCache, compaction.keepRevisions, logger), compaction.intervalMs);
  const bookmarkTimer = setInterval(() => watchCache.bookmark(), BOOKMARK_INTERVAL_MS);

  const authenticator: RequestAuthenticators = {
    x509: new X509Authenticator({ ca: opts.tls.caPem }),
    ...(api.tokenAuthenticator ? { token: bearerTokenAuthenticator(api.tokenAuthenticator) } : {}),
  };
  const server = http2.createSecureServer({
    allowHTTP1: true,
    cert: opts.tls.certPem,
    key: opts.tls.keyPem,
    ca: opts.tls.caPem,
    requestCert: true,
    rejectUnauthorized: false,
    settings: { maxConcurrentStreams: 1000 },
  });
  const serverAddress = `${opts.advertiseAddress ?? opts.bindAddress}:${opts.securePort}`;
  server.on('request', (req: Req, res: Res) => {
    void handle(api, authenticator, serverAddress, req, res);
  });
  server.on('sessionError', (err) => logger.debug('http2 session error', { error: err }));
  // HTTP/1.1 upgrades (WebSocket, SPDY): exec, attach and portforward of pods.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void handleUpgrade(api, authenticator, req, socket, head));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.securePort, opts.bindAddress, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  await bootstrap(api, { ...opts, securePort: port });
  const host = opts.bindAddress === '0.0.0.0' || opts.bindAddress === '::' ? '127.0.0.1' : opts.bindAddress;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info('API server listening', { url, datastore: backend.name });

  const closed = new Promise<void>((resolve) => {
    const stop = () => {
      clearInterval(compactTimer);
      clearInterval(bookmarkTimer);
      server.close(() => void backend.close().then(resolve, resolve));
      // Open watches and idle HTTP/2 sessions would hold close() forever.
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      for (const s of sessions) s.destroy();
    };
    const sessions = new Set<http2.ServerHttp2Session>();
    server.on('session', (s) => {
      sessions.add(s);
      s.on('close', () => sessions.delete(s));
    });
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
  return { url, port, api, closed };
}

async function compactOnce(backend: Backend, cache: WatchCache, keep: number, logger: Logger): Promise<void> {
  try {
    const target = (await backend.currentRevision()) - keep;
    if (target <= (await backend.compactedRevision())) return;
    await backend.compact(target);
    cache.truncate(target);
    logger.debug('storage compacted', { revision: target });
  } catch (err) {
    logger.warn('storage compaction failed', { error: err });
  }
}

/** The objects every cluster starts with: system namespaces, priority classes, the kubernetes Service … */
async function bootstrap(api: ApiContext, opts: ApiServerOptions): Promise<void> {
  const objects = bootstrapObjects({ serviceCIDR: opts.serviceCIDR, apiserverPort: opts.securePort, advertiseAddress: opts.advertiseAddress ?? hostAddress() });
  for (const obj of objects) {
    const [group, version] = splitApiVersion(obj.apiVersion ?? 'v1');
    const type = api.registry.byKind(group, version, obj.kind ?? '');
    const store = type && api.stores.get(type);
    if (!store) continue;
    const ns = type.namespaced ? obj.metadata?.namespace ?? 'default' : '';
    if (store.cache.items.has(store.key(ns, obj.metadata!.name!))) continue;
    try {
      await store.create(ns, obj as KObject);
    } catch (err) {
      if (err instanceof StatusError && err.code === 409) continue;
      if (err instanceof StatusError && err.code === 422) {
        api.logger.warn('bootstrap object not created', { kind: obj.kind, name: obj.metadata?.name, reason: err.message });
        continue;
      }
      throw err;
    }
  }
}

/** The address other hosts reach this one at: the first non-loopback IPv4 address (upstream's default advertise address). */
export function hostAddress(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function splitApiVersion(apiVersion: string): [string, string] {
  const i = apiVersion.indexOf('/');
  return i < 0 ? ['', apiVersion] : [apiVersion.slice(0, i), apiVersion.slice(i + 1)];
}

async function handle(api: ApiContext, authenticator: RequestAuthenticators, serverAddress: string, req: Req, res: Res): Promise<void> {
  const started = performance.now();
  const url = new URL(req.url ?? '/', 'https://skiff.invalid');
  const path = url.pathname;
  let info: RequestInfo | undefined;
  try {
    const user = await authenticateRequest(api, authenticator, req);
    const base = '/' + (path.split('/')[1] ?? '');
    if (PUBLIC_PATHS.has(base)) return servePublic(api, base, path, url.searchParams, res);
    if (!user) throw errors.unauthorized();
    info = parseRequestInfo(req.method ?? 'GET', path, url.searchParams);
    const decision = await api.authorizer.authorize({
      user,
      verb: info.verb,
      apiGroup: info.group,
      resource: info.resource,
      subresource: info.subresource,
      namespace: info.namespace,
      name: info.name,
      path,
      resourceRequest: info.isResourceRequest,
    });
    if (!decision.allowed) throw forbidden(user, info);
    if (info.isResourceRequest) await runAsUser(user, () => handleResourceRequest(api, info!, url.searchParams, req, res, user));
    else serveDiscovery(api, serverAddress, info, path, req, res);
  } catch (err) {
    if (!(err instanceof StatusError)) api.logger.error('request failed', { method: req.method, path, error: err });
    sendError(res, err);
  } finally {
    api.logger.debug('request', { method: req.method, path, verb: info?.verb, code: res.statusCode, ms: Math.round(performance.now() - started) });
  }
}

/** An upgrade request: authenticated and authorized as any other, then passed through to the pod's node agent. */
async function handleUpgrade(api: ApiContext, authenticator: RequestAuthenticators, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  socket.on('error', (err) => api.logger.debug('upgraded connection failed', { error: err }));
  const url = new URL(req.url ?? '/', 'https://skiff.invalid');
  try {
    const user = await authenticateRequest(api, authenticator, req as Req);
    if (!user) throw errors.unauthorized();
    const info = parseRequestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
    // A WebSocket upgrade is a GET; upstream (AuthorizePodWebsocketUpgradeCreatePermission) also asks for create.
    for (const verb of info.verb === 'get' ? ['get', 'create'] : [info.verb]) {
      const attrs = { user, verb, apiGroup: info.group, resource: info.resource, subresource: info.subresource, namespace: info.namespace, name: info.name, path: url.pathname, resourceRequest: info.isResourceRequest };
      if (!(await api.authorizer.authorize(attrs)).allowed) throw forbidden(user, { ...info, verb });
    }
    const sub = info.subresource;
    if (!info.isResourceRequest || info.group !== '' || info.resource !== 'pods' || !info.namespace || !isNodeSubresource(sub) || sub === 'log') {
      throw errors.badRequest(`${url.pathname} cannot be upgraded: only pods' exec, attach and portforward can`);
    }
    await proxyPodUpgrade(nodeProxyContext(api), sub, info.namespace, info.name, url.searchParams, req, socket, head);
  } catch (err) {
    if (!(err instanceof StatusError)) api.logger.error('upgrade request failed', { method: req.method, path: url.pathname, error: err });
    writeUpgradeError(socket, err);
  }
}

/** Client certificates first, then bearer tokens, as upstream orders them. */
interface RequestAuthenticators {
  x509: Authenticator;
  token?: Authenticator;
}

/** A bearer token nobody accepts is a 401 even where anonymous requests are fine (upstream fails on such errors). */
async function authenticateRequest(api: ApiContext, authenticators: RequestAuthenticators, req: Req): Promise<UserInfo | undefined> {
  const user = await authenticateOnce(authenticators.x509, req);
  if (user || !authenticators.token) return user;
  try {
    return await authenticators.token.authenticate(req as never);
  } catch (err) {
    api.logger.debug('unable to authenticate the request', { path: req.url, error: err });
    throw new StatusError(401, 'Unauthorized', 'Unauthorized', undefined, { cause: err });
  }
}

/** Service-account token checks read the watch cache, then storage for what the cache has not seen yet. */
function tokenObjects(objects: AdmissionObjects): TokenObjectGetter {
  return {
    async get(resource, namespace, name) {
      const gr = { group: '', resource };
      return objects.get(gr, namespace, name) ?? (await objects.getLive(gr, namespace, name));
    },
  };
}

// A client certificate is fixed for a connection: verify it once per HTTP/2 session or HTTP/1.1 socket.
const connectionUsers = new WeakMap<object, UserInfo | null>();

async function authenticateOnce(authenticator: Authenticator, req: Req): Promise<UserInfo | undefined> {
  const conn = ((req as { stream?: { session?: object } }).stream?.session ?? req.socket) as object;
  const known = connectionUsers.get(conn);
  if (known !== undefined) return known ?? undefined;
  const user = await authenticator.authenticate(req as never);
  connectionUsers.set(conn, user ?? null);
  return user;
}

function forbidden(user: UserInfo, info: RequestInfo): StatusError {
  const what = info.isResourceRequest
    ? `cannot ${info.verb} resource "${info.resource}" in API group "${info.group}"${info.namespace ? ` in the namespace "${info.namespace}"` : ' at the cluster scope'}`
    : `cannot ${info.verb} path "${info.path}"`;
  return errors.forbidden(`${info.resource || 'path'}${info.name ? ` "${info.name}"` : ''} is forbidden: User "${user.username}" ${what}`, { name: info.name, group: info.group, kind: info.resource });
}

function servePublic(api: ApiContext, base: string, path: string, query: URLSearchParams, res: Res): void {
  if (base === '/version') return sendJson(res, 200, versionInfo());
  const ready = api.watchCache.ready;
  const ok = base === '/readyz' ? ready : true;
  if (query.has('verbose')) {
    const checks = ['ping', 'log', 'etcd', 'informer-sync'];
    const text = checks.map((c) => `[+]${c} ok`).join('\n') + `\n${base.slice(1)} check ${ok ? 'passed' : 'failed'}\n`;
    return sendRaw(res, ok ? 200 : 500, text, 'text/plain; charset=utf-8');
  }
  if (path !== base && !path.startsWith(base + '/')) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
  sendRaw(res, ok ? 200 : 500, ok ? 'ok' : `${base.slice(1)} check failed`, 'text/plain; charset=utf-8');
}

function wantsAggregated(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const r of parseAccept(accept)) {
    if (r.params['as'] === 'APIGroupDiscoveryList' && r.params['g'] === 'apidiscovery.k8s.io') {
      if (r.params['v'] === 'v2') return 'v2';
      if (r.params['v'] === 'v2beta1') return 'v2beta1';
    }
    if (r.type === 'application/json' && !r.params['as']) return undefined;
  }
  return undefined;
}

function serveDiscovery(api: ApiContext, serverAddress: string, info: RequestInfo, path: string, req: Req, res: Res): void {
  const registry: Registry = api.registry;
  const notFound = () => new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
  if (info.verb !== 'get') throw errors.methodNotSupported('', '', info.verb);
  const clean = path.replace(/\/+$/, '');
  if (clean === '/openapi' || clean.startsWith('/openapi/')) {
    const query = new URL(req.url ?? '/', 'https://skiff.invalid').searchParams;
    const answer = serveOpenAPI(clean, query, req.headers.accept, registry, req.headers['if-none-match']);
    res.writeHead(answer.status, { ...answer.headers, 'Content-Length': answer.body.length });
    res.end(answer.body);
    return;
  }
  if (clean === '/api' || clean === '/apis') {
    const core = clean === '/api';
    const agg = wantsAggregated(req.headers.accept);
    if (agg) {
      const body = aggregatedDiscovery(registry, core, `apidiscovery.k8s.io/${agg}`);
      return sendRaw(res, 200, JSON.stringify(body), agg === 'v2' ? AGGREGATED_V2 : AGGREGATED_V2BETA1, { Vary: 'Accept' });
    }
    return sendJson(res, 200, core ? legacyAPIVersions(serverAddress) : legacyAPIGroupList(registry), 'json', { Vary: 'Accept' });
  }
  if (info.version && (info.apiPrefix === 'api' || info.group)) {
    const list = legacyAPIResourceList(registry, info.group, info.version);
    if (!list) throw notFound();
    return sendJson(res, 200, list);
  }
  if (info.apiPrefix === 'apis' && info.group) {
    const g = legacyAPIGroup(registry, info.group);
    if (!g) throw notFound();
    return sendJson(res, 200, g);
  }
  throw notFound();
}
