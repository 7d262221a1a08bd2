// JSON Web Tokens (RFC 7519) in compact JWS form, signed with RS256 or ES256: the format of service-account tokens.
// Only the signature and the header are checked here; what the claims mean is the caller's business.
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export type JwtAlgorithm = 'RS256' | 'ES256';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JwtPayload = { [key: string]: JsonValue };

export interface JwtHeader {
  alg: string;
  kid?: string;
  typ?: string;
  [key: string]: JsonValue | undefined;
}

/** A token that is not a well-formed JWT, or whose signature or header does not check out. */
export class JwtError extends Error {
  override name = 'JwtError';
}

export interface JwtSigner {
  algorithm: JwtAlgorithm;
  keyId: string;
  privateKey: KeyObject;
}

export interface JwtVerifier {
  algorithm: JwtAlgorithm;
  keyId: string;
  publicKey: KeyObject;
}

function algorithmFor(key: KeyObject): JwtAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new JwtError(`cannot sign tokens with a ${key.asymmetricKeyType ?? 'symmetric'} key: RSA or ECDSA P-256 is needed`);
}

/** upstream's key id: base64url(SHA-256(DER SubjectPublicKeyInfo)), so it never reveals the key itself. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
}

export function jwtSigner(privateKey: KeyObject | string): JwtSigner {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  return { algorithm: algorithmFor(key), keyId: keyIdOf(createPublicKey(key)), privateKey: key };
}

/** A public key (or a private key, whose public half is taken) that verifies tokens. */
export function jwtVerifier(publicKey: KeyObject | string): JwtVerifier {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  return { algorithm: algorithmFor(key), keyId: keyIdOf(key), publicKey: key };
}

/** Go marshals maps with sorted keys, and go-jose builds the payload as a map: keep the same byte layout. */
function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const b64url = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

export function signJwt(signer: JwtSigner, payload: JwtPayload): string {
  const header = b64url(JSON.stringify({ alg: signer.algorithm, kid: signer.keyId }));
  const input = `${header}.${b64url(canonicalJson(payload))}`;
  const signature =
    signer.algorithm === 'RS256' ? sign('sha256', Buffer.from(input), signer.privateKey) : sign('sha256', Buffer.from(input), { key: signer.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

export interface DecodedJwt {
  header: JwtHeader;
  payload: JwtPayload;
  signingInput: string;
  signature: Buffer;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function decodePart(part: string, what: string): Record<string, JsonValue> {
  if (!BASE64URL.test(part)) throw new JwtError(`the token's ${what} is not base64url`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new JwtError(`the token's ${what} is not JSON`, { cause });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new JwtError(`the token's ${what} is not a JSON object`);
  return parsed as Record<string, JsonValue>;
}

/** Splits a compact JWS without checking its signature: read nothing from it that matters before verifyJwt. */
export function decodeJwt(token: string): DecodedJwt {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('not a compact JWS: expected three dot-separated parts');
  const [h, p, s] = parts as [string, string, string];
  const header = decodePart(h, 'header');
  if (typeof header['alg'] !== 'string') throw new JwtError('the token header has no "alg"');
  if (!BASE64URL.test(s)) throw new JwtError("the token's signature is not base64url");
  return { header: header as JwtHeader, payload: decodePart(p, 'payload'), signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
}

function signatureMatches(v: JwtVerifier, jwt: DecodedJwt): boolean {
  const data = Buffer.from(jwt.signingInput);
  if (v.algorithm === 'RS256') return verify('sha256', data, v.publicKey, jwt.signature);
  if (jwt.signature.length !== 64) return false;
  return verify('sha256', data, { key: v.publicKey, dsaEncoding: 'ieee-p1363' }, jwt.signature);
}

/**
 * Checks the signature against the keys whose id the header names (every key when it names none), as upstream's
 * authenticator does; a token signed with an algorithm none of the keys uses is refused rather than tried.
 */
export function verifyJwt(token: string, verifiers: readonly JwtVerifier[]): DecodedJwt {
  const jwt = decodeJwt(token);
  if (jwt.header['crit'] !== undefined) throw new JwtError('the token header has critical extensions this server does not understand');
  const kid = typeof jwt.header.kid === 'string' && jwt.header.kid !== '' ? jwt.header.kid : undefined;
  const candidates = verifiers.filter((v) => kid === undefined || v.keyId === kid);
  if (candidates.length === 0) throw new JwtError('invalid signature, no keys found');
  for (const v of candidates) {
    if (v.algorithm === jwt.header.alg && signatureMatches(v, jwt)) return jwt;
  }
  throw new JwtError('invalid signature');
}
