// Service-account tokens as upstream issues and checks them (pkg/serviceaccount: claims.go, jwt.go): signed JWTs
// naming a ServiceAccount and, for bound tokens, the Pod, Secret or Node whose lifetime they share.
import { randomUUID } from 'node:crypto';
import type { KObject } from '../api/types.ts';
import { GROUPS, type Authenticator, type AuthenticationRequest, type UserInfo } from './authn.ts';
import { bearerToken, type TokenAuthenticator } from './bearertoken.ts';
import { decodeJwt, jwtSigner, jwtVerifier, signJwt, verifyJwt, JwtError, type JsonValue, type JwtPayload, type JwtSigner, type JwtVerifier } from './jwt.ts';

/** kubeadm's --service-account-issuer; the API server's own audience (--api-audiences) defaults to it. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const API_AUDIENCES: readonly string[] = [SERVICE_ACCOUNT_ISSUER];

/** What the admission plugin asks projected tokens to live; such pod-bound tokens are quietly extended. */
export const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 60 * 60 + 7;
/** How long those extended tokens really live (upstream's ExpirationExtensionSeconds: one year). */
export const EXPIRATION_EXTENSION_SECONDS = 24 * 365 * 60 * 60;
/** Clock skew tolerated on exp, nbf and iat, and on deletions (go-jose's DefaultLeeway). */
export const LEEWAY_SECONDS = 60;

export const SERVICE_ACCOUNT_USERNAME_PREFIX = 'system:serviceaccount:';
export const ALL_SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';

/** Keys of UserInfo.extra a service-account token fills in. */
export const EXTRA_KEYS = {
  credentialId: 'authentication.kubernetes.io/credential-id',
  nodeName: 'authentication.kubernetes.io/node-name',
  nodeUID: 'authentication.kubernetes.io/node-uid',
  podName: 'authentication.kubernetes.io/pod-name',
  podUID: 'authentication.kubernetes.io/pod-uid',
} as const;

export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_USERNAME_PREFIX}${namespace}:${name}`;
}

export function serviceAccountGroups(namespace: string): string[] {
  return [ALL_SERVICE_ACCOUNTS_GROUP, `system:serviceaccounts:${namespace}`];
}

/** `{name, uid}` with Go's omitempty on both. */
export interface ObjectRef {
  name?: string;
  uid?: string;
}

/** The private claim under "kubernetes.io". */
export interface KubernetesClaims {
  namespace?: string;
  serviceaccount?: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
  /** Seconds since the epoch after which an extended token counts as stale. */
  warnafter?: number;
}

export interface ServiceAccountClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': KubernetesClaims;
}

/** The objects a token may be bound to. A pod-bound token also records the pod's node (a name-only ref when absent). */
export interface TokenBinding {
  pod?: KObject;
  secret?: KObject;
  node?: KObject;
}

export interface ClaimsOptions {
  audiences: readonly string[];
  expirationSeconds: number;
  /** Non-zero: seconds after issue when the token counts as stale (extended projected tokens). */
  warnAfterSeconds?: number;
  /** Seconds since the epoch. */
  now: number;
  issuer?: string;
  jti?: string;
}

export class ServiceAccountTokenError extends Error {
  override name = 'ServiceAccountTokenError';
}

function ref(obj: KObject | undefined): ObjectRef | undefined {
  if (!obj) return undefined;
  const out: ObjectRef = {};
  if (obj.metadata?.name) out.name = obj.metadata.name;
  if (obj.metadata?.uid) out.uid = obj.metadata.uid;
  return out;
}

/** upstream's serviceaccount.Claims: the registered claims plus "kubernetes.io", bound to at most one object kind. */
export function serviceAccountClaims(sa: KObject, binding: TokenBinding, opts: ClaimsOptions): ServiceAccountClaims {
  if (binding.secret && (binding.pod || binding.node)) throw new ServiceAccountTokenError('internal error, token can only be bound to one object type');
  const namespace = sa.metadata?.namespace ?? '';
  const k8s: KubernetesClaims = { namespace, serviceaccount: ref(sa)! };
  if (binding.pod) {
    k8s.pod = ref(binding.pod)!;
    if (binding.node) k8s.node = ref(binding.node)!;
  } else if (binding.secret) k8s.secret = ref(binding.secret)!;
  else if (binding.node) k8s.node = ref(binding.node)!;
  if (opts.warnAfterSeconds) k8s.warnafter = opts.now + opts.warnAfterSeconds;
  return {
    iss: opts.issuer ?? SERVICE_ACCOUNT_ISSUER,
    sub: serviceAccountUsername(namespace, sa.metadata?.name ?? ''),
    aud: [...opts.audiences],
    exp: opts.now + opts.expirationSeconds,
    iat: opts.now,
    nbf: opts.now,
    jti: opts.jti ?? randomUUID(),
    'kubernetes.io': k8s,
  };
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Signs service-account tokens with the cluster's sa.key. */
export class ServiceAccountTokenIssuer {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly #signer: JwtSigner;
  readonly #now: () => number;

  constructor(opts: { signingKeyPem: string; issuer?: string; audiences?: readonly string[]; now?: () => number }) {
    this.#signer = jwtSigner(opts.signingKeyPem);
    this.issuer = opts.issuer ?? SERVICE_ACCOUNT_ISSUER;
    this.audiences = opts.audiences ?? API_AUDIENCES;
    this.#now = opts.now ?? nowSeconds;
  }

  /** Seconds since the epoch, by this issuer's clock. */
  now(): number {
    return this.#now();
  }

  /** Are these audiences all the API server's own? */
  isApiAudience(audiences: readonly string[]): boolean {
    return audiences.every((a) => this.audiences.includes(a));
  }

  issue(sa: KObject, binding: TokenBinding, opts: Omit<ClaimsOptions, 'now' | 'issuer'> & { now?: number }): { token: string; claims: ServiceAccountClaims } {
    const claims = serviceAccountClaims(sa, binding, { ...opts, now: opts.now ?? this.#now(), issuer: this.issuer });
    return { token: signJwt(this.#signer, claims as unknown as JwtPayload), claims };
  }
}

export type BoundResource = 'serviceaccounts' | 'pods' | 'secrets' | 'nodes';

/** Reads the objects a token names (undefined when absent); nodes are cluster-scoped (namespace ''). */
export interface TokenObjectGetter {
  get(resource: BoundResource, namespace: string, name: string): Promise<KObject | undefined>;
}

/** Go's %q of a []string: `["a" "b"]`. */
const quoteList = (list: readonly string[]): string => `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;

const str = (v: JsonValue | undefined): string => (typeof v === 'string' ? v : '');
const num = (v: JsonValue | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function refOf(v: JsonValue | undefined): { name: string; uid: string } | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  return { name: str(v['name']), uid: str(v['uid']) };
}

function audiencesOf(v: JsonValue | undefined): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((a): a is string => typeof a === 'string') : [];
}

export interface ServiceAccountTokenAuthenticatorOptions {
  /** PEM public keys (sa.pub, or more during a rotation) that tokens may be signed with. */
  publicKeyPems: readonly string[];
  objects: TokenObjectGetter;
  issuers?: readonly string[];
  /** The audiences this server answers to; a token must carry at least one. */
  audiences?: readonly string[];
  now?: () => number;
}

/**
 * `Authorization: Bearer <jwt>` for tokens this cluster issued: signature, issuer, audience, exp/nbf/iat, and that the
 * ServiceAccount and any bound Pod, Secret or Node still exist with the uid the token names. A token of another issuer
 * gets no opinion; a token of ours that fails any check is an error (so a 401, never anonymous).
 */
export class ServiceAccountTokenAuthenticator implements Authenticator, TokenAuthenticator {
  readonly #verifiers: JwtVerifier[];
  readonly #issuers: readonly string[];
  readonly #audiences: readonly string[];
  readonly #objects: TokenObjectGetter;
  readonly #now: () => number;

  constructor(opts: ServiceAccountTokenAuthenticatorOptions) {
    this.#verifiers = opts.publicKeyPems.map((pem) => jwtVerifier(pem));
    if (this.#verifiers.length === 0) throw new TypeError('ServiceAccountTokenAuthenticator needs at least one public key');
    this.#issuers = opts.issuers ?? [SERVICE_ACCOUNT_ISSUER];
    this.#audiences = opts.audiences ?? API_AUDIENCES;
    this.#objects = opts.objects;
    this.#now = opts.now ?? nowSeconds;
  }

  authenticate(req: AuthenticationRequest): Promise<UserInfo | undefined> | undefined {
    const token = bearerToken(req.headers);
    return token === undefined ? undefined : this.authenticateToken(token);
  }

  async authenticateToken(token: string): Promise<UserInfo | undefined> {
    if (!this.#hasOurIssuer(token)) return undefined;
    let payload: JwtPayload;
    try {
      payload = verifyJwt(token, this.#verifiers).payload;
    } catch (err) {
      if (err instanceof JwtError) throw new ServiceAccountTokenError(err.message, { cause: err });
      throw err;
    }
    // Checked again: the early look was at an unverified payload.
    const issuer = str(payload['iss']);
    if (!this.#issuers.includes(issuer)) throw new ServiceAccountTokenError(`token issuer ${JSON.stringify(issuer)} is invalid`);
    // Tokens without an audience (legacy ones) count as meant for this server.
    const tokenAudiences = payload['aud'] === undefined ? [...this.#audiences] : audiencesOf(payload['aud']);
    if (!tokenAudiences.some((a) => this.#audiences.includes(a))) {
      throw new ServiceAccountTokenError(`token audiences ${quoteList(tokenAudiences)} is invalid for the target audiences ${quoteList(this.#audiences)}`);
    }
    this.#checkTimes(payload);
    return this.#validateBinding(payload);
  }

  #hasOurIssuer(token: string): boolean {
    if (token.trimStart().startsWith('{')) return false;
    try {
      return this.#issuers.includes(str(decodeJwt(token).payload['iss']));
    } catch {
      return false;
    }
  }

  #checkTimes(payload: JwtPayload): void {
    const now = this.#now();
    const exp = num(payload['exp']);
    const nbf = num(payload['nbf']);
    const iat = num(payload['iat']);
    if (exp !== undefined && now - LEEWAY_SECONDS > exp) throw new ServiceAccountTokenError('service account token has expired');
    if (nbf !== undefined && now + LEEWAY_SECONDS < nbf) throw new ServiceAccountTokenError('service account token is not valid yet');
    if (iat !== undefined && now + LEEWAY_SECONDS < iat) throw new ServiceAccountTokenError('service account token is issued in the future');
  }

  /** A deletion older than the leeway counts: the object is on its way out. */
  #deletedLongAgo(obj: KObject): boolean {
    const ts = obj.metadata?.deletionTimestamp;
    return !!ts && Date.parse(ts) / 1000 < this.#now() - LEEWAY_SECONDS;
  }

  async #bound(resource: BoundResource, namespace: string, claim: { name: string; uid: string }, kind: string): Promise<KObject> {
    const obj = await this.#objects.get(resource, namespace, claim.name);
    if (!obj) throw new ServiceAccountTokenError('service account token has been invalidated');
    if (obj.metadata?.uid !== claim.uid) {
      throw new ServiceAccountTokenError(`${kind} UID (${obj.metadata?.uid ?? ''}) does not match service account ${kind} ref claim (${claim.uid})`);
    }
    if (this.#deletedLongAgo(obj)) throw new ServiceAccountTokenError('service account token has been invalidated');
    return obj;
  }

  async #validateBinding(payload: JwtPayload): Promise<UserInfo> {
    const k8s = payload['kubernetes.io'];
    const claims = k8s !== null && typeof k8s === 'object' && !Array.isArray(k8s) ? k8s : {};
    const namespace = str(claims['namespace']);
    const saRef = refOf(claims['serviceaccount']) ?? { name: '', uid: '' };
    const podRef = refOf(claims['pod']);
    const secretRef = refOf(claims['secret']);
    const nodeRef = refOf(claims['node']);

    const sa = namespace && saRef.name ? await this.#objects.get('serviceaccounts', namespace, saRef.name) : undefined;
    if (!sa) throw new ServiceAccountTokenError(`serviceaccounts ${JSON.stringify(saRef.name)} not found`);
    if (sa.metadata?.uid !== saRef.uid) throw new ServiceAccountTokenError(`service account UID (${sa.metadata?.uid ?? ''}) does not match claim (${saRef.uid})`);
    if (this.#deletedLongAgo(sa)) throw new ServiceAccountTokenError(`service account ${namespace}/${saRef.name} has been deleted`);
    if (secretRef) await this.#bound('secrets', namespace, secretRef, 'secret');
    if (podRef) await this.#bound('pods', namespace, podRef, 'pod');
    // A pod-bound token just reports the node it names; a node-bound one needs the node to live on.
    if (nodeRef && !podRef) await this.#bound('nodes', '', nodeRef, 'node');

    const extra: Record<string, string[]> = {};
    const jti = str(payload['jti']);
    if (jti) extra[EXTRA_KEYS.credentialId] = [`JTI=${jti}`];
    if (nodeRef?.name) {
      extra[EXTRA_KEYS.nodeName] = [nodeRef.name];
      if (nodeRef.uid) extra[EXTRA_KEYS.nodeUID] = [nodeRef.uid];
    }
    if (podRef?.name && podRef.uid) {
      extra[EXTRA_KEYS.podName] = [podRef.name];
      extra[EXTRA_KEYS.podUID] = [podRef.uid];
    }
    const user: UserInfo = {
      username: serviceAccountUsername(namespace, saRef.name),
      groups: [...serviceAccountGroups(namespace), GROUPS.authenticated],
    };
    if (saRef.uid) user.uid = saRef.uid;
    if (Object.keys(extra).length) user.extra = extra;
    return user;
  }
}
