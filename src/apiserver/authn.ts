// Authentication: who is making this request. Each Authenticator either names a user or has no opinion (undefined).
import { createHash, X509Certificate } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';

export interface UserInfo {
  username: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

export interface AuthenticationRequest {
  /** The request's socket; for TLS (HTTP/1.1 or the HTTP/2 compat proxy) it answers like a TLSSocket. */
  socket: Socket;
  headers: IncomingHttpHeaders;
}

export interface Authenticator {
  authenticate(req: AuthenticationRequest): UserInfo | undefined | Promise<UserInfo | undefined>;
}

export const GROUPS = {
  authenticated: 'system:authenticated',
  unauthenticated: 'system:unauthenticated',
  masters: 'system:masters',
} as const;

export const ANONYMOUS_USERNAME = 'system:anonymous';

/** The user of a request no authenticator recognised. */
export function anonymousUser(): UserInfo {
  return { username: ANONYMOUS_USERNAME, groups: [GROUPS.unauthenticated] };
}

export function isAuthenticated(user: UserInfo): boolean {
  return user.groups.includes(GROUPS.authenticated);
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';
/** Deepest chain of intermediates followed from a client certificate to a trusted CA. */
const MAX_CHAIN = 5;

/** Multi-valued subject attributes come back from Node as arrays. */
function values(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function withinValidity(cert: X509Certificate, now: number): boolean {
  return Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
}

/**
 * Client certificates: the TLS server requests one and checks it against its `ca` (rejectUnauthorized stays
 * false so requests without one still arrive). This authenticator trusts only certificates that Node verified
 * (`socket.authorized`) and that chain to one of its own CAs; CN is the user name, each O a group.
 */
export class X509Authenticator implements Authenticator {
  readonly #roots: X509Certificate[];

  constructor(opts: { ca: string | readonly string[] }) {
    const pems = typeof opts.ca === 'string' ? [opts.ca] : opts.ca;
    this.#roots = pems.flatMap((bundle) => bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));
    if (this.#roots.length === 0) throw new TypeError('X509Authenticator needs at least one CA certificate');
  }

  authenticate(req: AuthenticationRequest): UserInfo | undefined {
    const socket = req.socket as Partial<TLSSocket>;
    if (typeof socket.getPeerCertificate !== 'function' || socket.authorized !== true) return undefined;
    const peer = socket.getPeerCertificate(true);
    if (!peer || !('raw' in peer) || !peer.raw) return undefined;
    if (!this.#chainsToRoot(peer)) return undefined;
    const leaf = new X509Certificate(peer.raw);
    const usages = leaf.keyUsage; // extended key usage OIDs; undefined when the extension is absent
    if (usages && !usages.includes(CLIENT_AUTH) && !usages.includes(ANY_EXTENDED_KEY_USAGE)) return undefined;
    // Go keeps the last CN when there are several; do the same.
    const username = values(peer.subject.CN).at(-1);
    if (!username) return undefined;
    const groups = [...new Set([...values(peer.subject.O), GROUPS.authenticated])];
    // Upstream's certificate authenticator names the credential by the certificate's SHA-256.
    const credential = `X509SHA256=${createHash('sha256').update(peer.raw).digest('hex')}`;
    return { username, groups, extra: { 'authentication.kubernetes.io/credential-id': [credential] } };
  }

  #chainsToRoot(peer: DetailedPeerCertificate): boolean {
    const now = Date.now();
    let current = new X509Certificate(peer.raw);
    let next: DetailedPeerCertificate | undefined = peer.issuerCertificate;
    for (let depth = 0; depth <= MAX_CHAIN; depth++) {
      if (!withinValidity(current, now)) return false;
      const cert = current;
      if (this.#roots.some((root) => cert.checkIssued(root) && cert.verify(root.publicKey) && withinValidity(root, now))) return true;
      // Otherwise step to an intermediate the client sent, which must itself be a CA that signed `current`.
      if (!next?.raw || next.raw.equals(cert.raw)) return false;
      const intermediate = new X509Certificate(next.raw);
      if (!intermediate.ca || !cert.checkIssued(intermediate) || !cert.verify(intermediate.publicKey)) return false;
      current = intermediate;
      next = next.issuerCertificate === next ? undefined : next.issuerCertificate;
    }
    return false;
  }
}

/** Every authenticator failed and at least one of them with an error (the request is still unauthenticated). */
export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
}

/**
 * Asks each authenticator in turn; the first that names a user wins. An authenticator that throws does not stop
 * the others; if none names a user, its error is rethrown wrapped in an AuthenticationError.
 */
export function unionAuthenticator(...authenticators: Authenticator[]): Authenticator {
  return {
    async authenticate(req) {
      const failures: unknown[] = [];
      for (const authenticator of authenticators) {
        try {
          const user = await authenticator.authenticate(req);
          if (user) return user;
        } catch (err) {
          failures.push(err);
        }
      }
      if (failures.length === 1) throw new AuthenticationError('authentication failed', { cause: failures[0] });
      if (failures.length > 1) throw new AuthenticationError('authentication failed', { cause: new AggregateError(failures) });
      return undefined;
    },
  };
}
