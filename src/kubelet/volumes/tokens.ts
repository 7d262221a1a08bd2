// Service account tokens for projected volumes, from the TokenRequest API and bound to the pod (upstream's
// pkg/kubelet/token): cached per pod, audience and lifetime, and requested again once 80% of the lifetime has
// passed or the token is a day old. A failed refresh keeps serving the old token until it expires.
import type { TokenRequest } from 'kubernetes-types/authentication/v1.d.ts';
import type { Pod, ServiceAccountTokenProjection } from 'kubernetes-types/core/v1.d.ts';
import type { Client } from '../../client/client.ts';
import { resourcePath } from '../../client/client.ts';
import { SERVICE_ACCOUNTS } from '../../client/resources.ts';

export class TokenError extends Error {
  override name = 'TokenError';
}

/** kubelet's default when the projection names no lifetime (the API server defaults it to this as well). */
export const DEFAULT_EXPIRATION_SECONDS = 3600;
const MAX_TTL_MS = 24 * 3600_000;

interface CachedToken {
  token: string;
  issuedAt: number;
  expiresAt: number;
}

export class ServiceAccountTokens {
  readonly #client: Client;
  readonly #now: () => number;
  readonly #cache = new Map<string, CachedToken>();

  constructor(client: Client, now: () => number = Date.now) {
    this.#client = client;
    this.#now = now;
  }

  /** The token for the pod's service account as the projection describes it. Rejects with TokenError. */
  async get(pod: Pod, projection: ServiceAccountTokenProjection, signal?: AbortSignal): Promise<string> {
    const namespace = pod.metadata?.namespace ?? '';
    const serviceAccount = pod.spec?.serviceAccountName || 'default';
    const expirationSeconds = projection.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
    const key = JSON.stringify([pod.metadata?.uid ?? '', namespace, serviceAccount, projection.audience ?? '', expirationSeconds]);
    const cached = this.#cache.get(key);
    const now = this.#now();
    if (cached && !this.#needsRefresh(cached, now)) return cached.token;
    try {
      const fresh = await this.#request(pod, namespace, serviceAccount, projection.audience, expirationSeconds, signal);
      this.#cache.set(key, fresh);
      return fresh.token;
    } catch (err) {
      if (cached && now < cached.expiresAt) return cached.token;
      throw new TokenError(`failed to fetch token: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  /** Forgets the pod's tokens (its volumes are gone). */
  forget(podUID: string): void {
    const prefix = JSON.stringify([podUID]).slice(0, -1) + ',';
    for (const key of this.#cache.keys()) if (key.startsWith(prefix)) this.#cache.delete(key);
  }

  #needsRefresh(t: CachedToken, now: number): boolean {
    const ttl = t.expiresAt - t.issuedAt;
    return now > t.expiresAt - ttl * 0.2 || now > t.issuedAt + MAX_TTL_MS;
  }

  async #request(pod: Pod, namespace: string, serviceAccount: string, audience: string | undefined, expirationSeconds: number, signal?: AbortSignal): Promise<CachedToken> {
    const body: TokenRequest = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        audiences: audience ? [audience] : [],
        expirationSeconds,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' },
      },
    };
    const issuedAt = this.#now();
    const response = await this.#client.transport.request({
      method: 'POST',
      path: resourcePath(SERVICE_ACCOUNTS, namespace, serviceAccount, 'token'),
      body,
      ...(signal ? { signal } : {}),
    });
    const answer = response.body as TokenRequest | undefined;
    const token = answer?.status?.token;
    if (typeof token !== 'string' || !token) throw new Error('the TokenRequest answer has no token');
    const expires = Date.parse(answer?.status?.expirationTimestamp ?? '');
    return { token, issuedAt, expiresAt: Number.isFinite(expires) ? expires : issuedAt + expirationSeconds * 1000 };
  }
}
