import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { decodeJwt, jwtSigner, jwtVerifier, keyIdOf, signJwt, verifyJwt, JwtError } from './jwt.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

const part = (token: string, i: number): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[i]!, 'base64url').toString()) as Record<string, unknown>;

describe('JWT signing', () => {
  test('RS256 for RSA keys: header names alg and kid, payload keys sorted as Go marshals a map', () => {
    const signer = jwtSigner(rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
    const token = signJwt(signer, { sub: 's', aud: ['a'], 'kubernetes.io': { serviceaccount: { uid: 'u', name: 'n' }, namespace: 'ns' }, exp: 2, iat: 1 });
    assert.deepEqual(part(token, 0), { alg: 'RS256', kid: keyIdOf(rsa.publicKey) });
    const payloadText = Buffer.from(token.split('.')[1]!, 'base64url').toString();
    assert.equal(payloadText, '{"aud":["a"],"exp":2,"iat":1,"kubernetes.io":{"namespace":"ns","serviceaccount":{"name":"n","uid":"u"}},"sub":"s"}');
    assert.equal(Buffer.from(token.split('.')[2]!, 'base64url').length, 256);
  });

  test('the key id is base64url(SHA-256(SubjectPublicKeyInfo DER)), as upstream derives it', () => {
    const der = createPublicKey(rsa.privateKey).export({ type: 'spki', format: 'der' });
    assert.equal(keyIdOf(rsa.publicKey), createHash('sha256').update(der).digest('base64url'));
  });

  test('ES256 for P-256 keys, with a 64-byte r||s signature', () => {
    const token = signJwt(jwtSigner(ec.privateKey), { a: 1 });
    assert.equal(part(token, 0)['alg'], 'ES256');
    assert.equal(Buffer.from(token.split('.')[2]!, 'base64url').length, 64);
    assert.deepEqual(verifyJwt(token, [jwtVerifier(ec.publicKey)]).payload, { a: 1 });
  });

  test('other keys are refused', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    assert.throws(() => jwtSigner(p384.privateKey), JwtError);
  });
});

describe('JWT verification', () => {
  const signer = jwtSigner(rsa.privateKey);
  const verifier = jwtVerifier(rsa.publicKey);
  const token = signJwt(signer, { iss: 'me', n: 1 });

  test('a good signature verifies; a private key works as a verifier too', () => {
    assert.deepEqual(verifyJwt(token, [verifier]).payload, { iss: 'me', n: 1 });
    assert.deepEqual(verifyJwt(token, [jwtVerifier(rsa.privateKey)]).payload, { iss: 'me', n: 1 });
  });

  test('a changed payload fails', () => {
    const [h, , s] = token.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ iss: 'me', n: 2 })).toString('base64url')}.${s}`;
    assert.throws(() => verifyJwt(tampered, [verifier]), { name: 'JwtError', message: 'invalid signature' });
  });

  test('a token signed by another key fails, whether its kid matches none or it has no kid', () => {
    const foreign = signJwt(jwtSigner(otherRsa.privateKey), { iss: 'me' });
    assert.throws(() => verifyJwt(foreign, [verifier]), { message: 'invalid signature, no keys found' });
    const [, p, s] = foreign.split('.');
    const noKid = `${Buffer.from(JSON.stringify({ alg: 'RS256' })).toString('base64url')}.${p}.${s}`;
    assert.throws(() => verifyJwt(noKid, [verifier]), { message: 'invalid signature' });
  });

  test('the key is picked by kid among several (rotation)', () => {
    const verifiers = [jwtVerifier(otherRsa.publicKey), jwtVerifier(ec.publicKey), verifier];
    assert.equal(verifyJwt(token, verifiers).payload['n'], 1);
  });

  test('alg "none" and an algorithm the key does not use are refused', () => {
    const [, p] = token.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: verifier.keyId })).toString('base64url')}.${p}.`;
    assert.throws(() => verifyJwt(none, [verifier]), JwtError);
    const hs = `${Buffer.from(JSON.stringify({ alg: 'HS256', kid: verifier.keyId })).toString('base64url')}.${p}.${token.split('.')[2]}`;
    assert.throws(() => verifyJwt(hs, [verifier]), JwtError);
  });

  test('malformed tokens are JwtErrors', () => {
    for (const bad of ['', 'a.b', 'a.b.c.d', '!!.e30.x', `${Buffer.from('[1]').toString('base64url')}.e30.x`, 'e30.e30.x']) {
      assert.throws(() => decodeJwt(bad), JwtError, bad);
    }
  });
});
