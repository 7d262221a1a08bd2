// `Authorization: Bearer <token>` (upstream's request/bearertoken): a token that no token authenticator recognises is
// an error, so the request gets a 401 instead of going on as anonymous.
import type { IncomingHttpHeaders } from 'node:http';
import type { Authenticator, UserInfo } from './authn.ts';

/** Names the user a token belongs to, or has no opinion (undefined); throws when the token is its kind but bad. */
export interface TokenAuthenticator {
  authenticateToken(token: string): UserInfo | undefined | Promise<UserInfo | undefined>;
}

export class InvalidBearerTokenError extends Error {
  override name = 'InvalidBearerTokenError';
}

/** The bearer token of a request, as upstream splits the header: `Bearer <token>` (scheme case-insensitive). */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = (headers.authorization ?? '').trim();
  if (auth === '') return undefined;
  const parts = auth.split(' ');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer') return undefined;
  // "Bearer  x" (two spaces) leaves an empty token: not a bearer token at all.
  return parts[1] || undefined;
}

/** Tries each token authenticator in turn; errors are kept and reported only if none recognises the token. */
export function bearerTokenAuthenticator(...authenticators: TokenAuthenticator[]): Authenticator {
  return {
    async authenticate(req) {
      const token = bearerToken(req.headers);
      if (token === undefined) return undefined;
      const failures: unknown[] = [];
      for (const a of authenticators) {
        try {
          const user = await a.authenticateToken(token);
          if (user) return user;
        } catch (err) {
          failures.push(err);
        }
      }
      if (failures.length === 0) throw new InvalidBearerTokenError('invalid bearer token');
      const cause = failures.length === 1 ? failures[0] : new AggregateError(failures);
      throw new InvalidBearerTokenError(failures.length === 1 && failures[0] instanceof Error ? failures[0].message : 'invalid bearer token', { cause });
    },
  };
}
