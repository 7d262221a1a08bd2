// POST /api/v1/namespaces/NS/serviceaccounts/NAME/token (upstream's pkg/registry/core/serviceaccount/storage/token.go):
// an authentication.k8s.io/v1 TokenRequest in, the same with status.token and status.expirationTimestamp out.
import type { Registry } from '../api/registry.ts';
import type { KObject, ResourceType } from '../api/types.ts';
import { fieldError } from '../api/validation.ts';
import { decodeObject, negotiate } from './codec.ts';
import type { Req, Res } from './http.ts';
import { readBody, sendJson } from './http.ts';
import { nowRFC3339 } from './objects.ts';
import { EXPIRATION_EXTENSION_SECONDS, WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS, type ServiceAccountTokenIssuer, type TokenBinding } from './serviceaccount-token.ts';
import { StatusError, errors } from './status.ts';
import type { ResourceStore } from './store.ts';

/** What the handler needs of the API server (a subset of the handlers' ApiContext). */
export interface TokenRequestContext {
  registry: Registry;
  stores: Map<ResourceType, ResourceStore>;
  serviceAccountTokens?: ServiceAccountTokenIssuer | undefined;
}

const API_VERSION = 'authentication.k8s.io/v1';
const KIND = 'TokenRequest';
/** v1 defaulting of spec.expirationSeconds. */
export const DEFAULT_EXPIRATION_SECONDS = 60 * 60;
export const MIN_EXPIRATION_SECONDS = 10 * 60;
const MAX_EXPIRATION_SECONDS = 2 ** 32;

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function invalid(name: string, field: string, value: unknown, detail: string): StatusError {
  return errors.invalid(KIND, 'authentication.k8s.io', name, [fieldError.invalid(field, value, detail)]);
}

function checkTypeMeta(obj: KObject): void {
  if (obj.apiVersion !== undefined && obj.apiVersion !== API_VERSION) {
    throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${API_VERSION})`);
  }
  if (obj.kind !== undefined && obj.kind !== KIND) throw errors.badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${KIND})`);
}

function storeFor(ctx: TokenRequestContext, resource: string): ResourceStore {
  const type = ctx.registry.get('', 'v1', resource);
  const store = type && ctx.stores.get(type);
  if (!store) throw errors.internal(`the ${resource} resource is not served`);
  return store;
}

/** Go's schema.GroupVersionKind.String(): `apps/v1, Kind=Deployment`, `/v1, Kind=ConfigMap`. */
function gvkString(apiVersion: string, kind: string): string {
  const i = apiVersion.indexOf('/');
  const [group, version] = i < 0 ? ['', apiVersion] : [apiVersion.slice(0, i), apiVersion.slice(i + 1)];
  return `${group}/${version}, Kind=${kind}`;
}

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** Looks up the object the token is to be bound to and checks it may be (upstream's order and messages). */
async function resolveBinding(ctx: TokenRequestContext, namespace: string, saName: string, boundRef: Obj): Promise<TokenBinding> {
  const apiVersion = typeof boundRef['apiVersion'] === 'string' ? boundRef['apiVersion'] : '';
  const kind = typeof boundRef['kind'] === 'string' ? boundRef['kind'] : '';
  const name = typeof boundRef['name'] === 'string' ? boundRef['name'] : '';
  const wantUID = typeof boundRef['uid'] === 'string' ? boundRef['uid'] : '';
  const core = groupOf(apiVersion) === '';
  let binding: TokenBinding;
  let uid: string | undefined;
  if (core && kind === 'Pod') {
    const pod = await storeFor(ctx, 'pods').get(namespace, name);
    if (pod['spec']?.serviceAccountName !== saName) {
      throw errors.badRequest(`cannot bind token for serviceaccount ${JSON.stringify(saName)} to pod running with different serviceaccount name.`);
    }
    binding = { pod };
    uid = pod.metadata?.uid;
    const nodeName = pod['spec']?.nodeName as string | undefined;
    if (nodeName) {
      // A missing node still goes into the claims by name, so a token shows where its pod was placed.
      binding.node = (await getOptional(storeFor(ctx, 'nodes'), '', nodeName)) ?? { metadata: { name: nodeName } };
    }
  } else if (core && kind === 'Node') {
    const node = await storeFor(ctx, 'nodes').get('', name);
    binding = { node };
    uid = node.metadata?.uid;
  } else if (core && kind === 'Secret') {
    const secret = await storeFor(ctx, 'secrets').get(namespace, name);
    binding = { secret };
    uid = secret.metadata?.uid;
  } else {
    throw errors.badRequest(`cannot bind token to object of type ${gvkString(apiVersion, kind)}`);
  }
  if (wantUID && uid !== wantUID) {
    throw errors.conflict(kind, groupOf(apiVersion), name, `the UID in the bound object reference (${wantUID}) does not match the UID in record. The object might have been deleted and then recreated`);
  }
  return binding;
}

async function getOptional(store: ResourceStore, namespace: string, name: string): Promise<KObject | undefined> {
  try {
    return await store.get(namespace, name);
  } catch (err) {
    if (err instanceof StatusError && err.code === 404) return undefined;
    throw err;
  }
}

export async function handleTokenRequest(ctx: TokenRequestContext, serviceAccounts: ResourceStore, namespace: string, name: string, verb: string, req: Req, res: Res): Promise<void> {
  if (verb !== 'create') throw errors.methodNotSupported('serviceaccounts/token', '', verb);
  const issuer = ctx.serviceAccountTokens;
  if (!issuer) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
  const body = decodeObject(await readBody(req), req.headers['content-type']).obj;
  checkTypeMeta(body);
  const out = await createToken(ctx, issuer, serviceAccounts, namespace, name, body);
  sendJson(res, 201, out, negotiate(req.headers.accept, false).format);
}

/** The TokenRequest answered: defaulted, validated, bound, signed. */
export async function createToken(ctx: TokenRequestContext, issuer: ServiceAccountTokenIssuer, serviceAccounts: ResourceStore, namespace: string, name: string, body: KObject): Promise<KObject> {
  const meta = { ...(body.metadata ?? {}) };
  if (meta.name && meta.name !== name) throw invalid(name, 'metadata.name', meta.name, 'must match the service account name if specified');
  if (meta.namespace && meta.namespace !== namespace) throw invalid(name, 'metadata.namespace', meta.namespace, 'must match the service account namespace if specified');
  const sa = await serviceAccounts.get(namespace, name);

  const given: Obj = isObj(body['spec']) ? body['spec'] : {};
  const audiences: string[] = Array.isArray(given['audiences']) && given['audiences'].length > 0 ? given['audiences'].map(String) : [...issuer.audiences];
  const expirationSeconds = typeof given['expirationSeconds'] === 'number' ? given['expirationSeconds'] : DEFAULT_EXPIRATION_SECONDS;
  const now = issuer.now();
  meta.name = meta.name || name;
  meta.namespace = meta.namespace || namespace;
  meta.creationTimestamp = nowRFC3339(now * 1000);

  const problems = [];
  if (expirationSeconds < MIN_EXPIRATION_SECONDS) problems.push(fieldError.invalid('spec.expirationSeconds', expirationSeconds, 'may not specify a duration less than 10 minutes'));
  if (expirationSeconds > MAX_EXPIRATION_SECONDS) problems.push(fieldError.invalid('spec.expirationSeconds', expirationSeconds, 'may not specify a duration larger than 2^32 seconds'));
  if (problems.length) throw errors.invalid(KIND, 'authentication.k8s.io', '', problems);

  const boundRef = isObj(given['boundObjectRef']) ? given['boundObjectRef'] : undefined;
  const binding = boundRef ? await resolveBinding(ctx, namespace, name, boundRef) : {};

  // Projected tokens asking for the admission plugin's odd 3607 s live a year and only warn after that (upstream's
  // --service-account-extend-token-expiration, on by default): a safe transition for clients that never reread them.
  let exp = expirationSeconds;
  let warnAfterSeconds = 0;
  if (binding.pod && expirationSeconds === WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS && issuer.isApiAudience(audiences)) {
    warnAfterSeconds = expirationSeconds;
    exp = EXPIRATION_EXTENSION_SECONDS;
  }
  const { token } = issuer.issue(sa, binding, { audiences, expirationSeconds: exp, warnAfterSeconds, now });

  const spec: Obj = { ...given, audiences, expirationSeconds, boundObjectRef: boundRef ?? null };
  return {
    ...body,
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: meta,
    spec,
    status: { token, expirationTimestamp: nowRFC3339((now + expirationSeconds) * 1000) },
  };
}
