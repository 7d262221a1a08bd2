import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import type { KObject } from '../api/types.ts';
import { jwtSigner, signJwt } from './jwt.ts';
import {
  SERVICE_ACCOUNT_ISSUER,
  ServiceAccountTokenAuthenticator,
  ServiceAccountTokenError,
  ServiceAccountTokenIssuer,
  serviceAccountClaims,
  type BoundResource,
  type TokenObjectGetter,
} from './serviceaccount-token.ts';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKeyPem = keys.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const publicKeyPem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();

const T0 = 1_800_000_000;
const obj = (kind: string, name: string, uid: string, namespace = 'ns', extra: Record<string, unknown> = {}): KObject =>
  ({ apiVersion: 'v1', kind, metadata: { name, uid, ...(namespace ? { namespace } : {}) }, ...extra }) as KObject;

class MemoryGetter implements TokenObjectGetter {
  readonly items = new Map<string, KObject>();
  put(resource: BoundResource, o: KObject): void {
    this.items.set(`${resource}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`, o);
  }
  remove(resource: BoundResource, namespace: string, name: string): void {
    this.items.delete(`${resource}/${namespace}/${name}`);
  }
  async get(resource: BoundResource, namespace: string, name: string): Promise<KObject | undefined> {
    return this.items.get(`${resource}/${namespace}/${name}`);
  }
}

function setup() {
  let now = T0;
  const clock = () => now;
  const objects = new MemoryGetter();
  const sa = obj('ServiceAccount', 'builder', 'sa-uid');
  objects.put('serviceaccounts', sa);
  const issuer = new ServiceAccountTokenIssuer({ signingKeyPem, now: clock });
  const authn = new ServiceAccountTokenAuthenticator({ publicKeyPems: [publicKeyPem], objects, now: clock });
  const tick = (seconds: number) => (now += seconds);
  return { objects, sa, issuer, authn, tick };
}

const payloadOf = (token: string): Record<string, any> => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, any>;

describe('service-account token claims', () => {
  test('an unbound token: upstream registered claims and kubernetes.io with the account', () => {
    const sa = obj('ServiceAccount', 'builder', 'sa-uid');
    const claims = serviceAccountClaims(sa, {}, { audiences: ['a', 'b'], expirationSeconds: 600, now: T0, jti: 'j-1' });
    assert.deepEqual(claims, {
      iss: SERVICE_ACCOUNT_ISSUER,
      sub: 'system:serviceaccount:ns:builder',
      aud: ['a', 'b'],
      exp: T0 + 600,
      iat: T0,
      nbf: T0,
      jti: 'j-1',
      'kubernetes.io': { namespace: 'ns', serviceaccount: { name: 'builder', uid: 'sa-uid' } },
    });
  });

  test('a pod-bound token records the pod and its node; warnafter when asked', () => {
    const claims = serviceAccountClaims(
      obj('ServiceAccount', 'builder', 'sa-uid'),
      { pod: obj('Pod', 'web', 'pod-uid'), node: { metadata: { name: 'n1' } } },
      { audiences: ['a'], expirationSeconds: 3600, warnAfterSeconds: 3607, now: T0 },
    );
    assert.deepEqual(claims['kubernetes.io'], {
      namespace: 'ns',
      serviceaccount: { name: 'builder', uid: 'sa-uid' },
      pod: { name: 'web', uid: 'pod-uid' },
      node: { name: 'n1' },
      warnafter: T0 + 3607,
    });
    assert.match(claims.jti, /^[0-9a-f-]{36}$/);
  });

  test('a secret binding excludes pods and nodes', () => {
    assert.throws(() => serviceAccountClaims(obj('ServiceAccount', 'b', 'u'), { secret: obj('Secret', 's', 'x'), pod: obj('Pod', 'p', 'y') }, { audiences: [], expirationSeconds: 600, now: T0 }), ServiceAccountTokenError);
  });

  test('the issued JWT carries exactly those claims, keys sorted', () => {
    const { sa, issuer } = setup();
    const { token, claims } = issuer.issue(sa, {}, { audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds: 3600 });
    assert.deepEqual(payloadOf(token), claims);
    assert.deepEqual(Object.keys(payloadOf(token)), ['aud', 'exp', 'iat', 'iss', 'jti', 'kubernetes.io', 'nbf', 'sub']);
  });
});

describe('ServiceAccountTokenAuthenticator', () => {
  test('a valid token is its ServiceAccount: groups, uid and the credential id', async () => {
    const { sa, issuer, authn } = setup();
    const { token, claims } = issuer.issue(sa, {}, { audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds: 3600 });
    assert.deepEqual(await authn.authenticateToken(token), {
      username: 'system:serviceaccount:ns:builder',
      uid: 'sa-uid',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${claims.jti}`] },
    });
  });

  test('reads the token from Authorization: Bearer', async () => {
    const { sa, issuer, authn } = setup();
    const { token } = issuer.issue(sa, {}, { audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds: 3600 });
    const req = (authorization?: string) => ({ socket: {} as never, headers: authorization === undefined ? {} : { authorization } });
    assert.equal((await authn.authenticate(req(`bearer ${token}`)))?.username, 'system:serviceaccount:ns:builder');
    assert.equal(await authn.authenticate(req()), undefined);
    assert.equal(await authn.authenticate(req(`Basic ${token}`)), undefined);
  });

  test('expires after exp (with a minute of leeway), not before nbf', async () => {
    const { sa, issuer, authn, tick } = setup();
    const { token } = issuer.issue(sa, {}, { audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds: 600 });
    tick(600 + 60);
    assert.ok(await authn.authenticateToken(token), 'still inside the leeway');
    tick(1);
    await assert.rejects(authn.authenticateToken(token), { name: 'ServiceAccountTokenError', message: 'service account token has expired' });

    const early = issuer.issue(sa, {}, { audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds: 600, now: T0 + 5000 });
    await assert.rejects(authn.authenticateToken(early.token), { message: /not valid yet|issued in the future/ });
  });

  test('needs one of the API server audiences', async () => {
    const { sa, issuer, authn } = setup();
    const { token } = issuer.issue(sa, {}, { audiences: ['vault'], expirationSeconds: 600 });
    await assert.rejects(authn.authenticateToken(token), { message: 'token audiences ["vault"] is invalid for the target audiences ["https://kubernetes.default.svc.cluster.local"]' });
    const both = issuer.issue(sa, {}, { audiences: ['vault', SERVICE_ACCOUNT_ISSUER], expirationSeconds: 600 });
    assert.ok(await authn.authenticateToken(both.token));
  });

  test('a bad signature is an error; a token of another issuer or no JWT at all gets no opinion', async () => {
    const { sa, authn } = setup();
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const claims = serviceAccountClaims(sa, {}, { audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds: 600, now: T0 });
    const forged = signJwt(jwtSigner(other.privateKey), claims as never);
    await assert.rejects(authn.authenticateToken(forged), ServiceAccountTokenError);
    const foreignIssuer = signJwt(jwtSigner(other.privateKey), { ...claims, iss: 'https://accounts.example.com' } as never);
    assert.equal(await authn.authenticateToken(foreignIssuer), undefined);
    assert.equal(await authn.authenticateToken('opaque-token'), undefined);
  });

  test('a deleted or recreated ServiceAccount invalidates its tokens', async () => {
    const { objects, sa, issuer, authn } = setup();
    const { token } = issuer.issue(sa, {}, { audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds: 3600 });
    objects.put('serviceaccounts', obj('ServiceAccount', 'builder', 'new-uid'));
    await assert.rejects(authn.authenticateToken(token), { message: 'service account UID (new-uid) does not match claim (sa-uid)' });
    objects.remove('serviceaccounts', 'ns', 'builder');
    await assert.rejects(authn.authenticateToken(token), { message: 'serviceaccounts "builder" not found' });
  });

  test('a pod-bound token carries the pod in extra and dies with the pod', async () => {
    const { objects, sa, issuer, authn, tick } = setup();
    const pod = obj('Pod', 'web', 'pod-uid', 'ns', { spec: { serviceAccountName: 'builder', nodeName: 'n1' } });
    objects.put('pods', pod);
    const { token } = issuer.issue(sa, { pod, node: obj('Node', 'n1', 'node-uid', '') }, { audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds: 3600 });
    const user = await authn.authenticateToken(token);
    assert.deepEqual(Object.keys(user?.extra ?? {}).sort(), [
      'authentication.kubernetes.io/credential-id',
      'authentication.kubernetes.io/node-name',
      'authentication.kubernetes.io/node-uid',
      'authentication.kubernetes.io/pod-name',
      'authentication.kubernetes.io/pod-uid',
    ]);
    assert.deepEqual(user?.extra?.['authentication.kubernetes.io/pod-uid'], ['pod-uid']);
    assert.deepEqual(user?.extra?.['authentication.kubernetes.io/node-name'], ['n1']);

    // Terminating: still good within the leeway, not after.
    objects.put('pods', { ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date(T0 * 1000).toISOString() } });
    assert.ok(await authn.authenticateToken(token));
    tick(61);
    await assert.rejects(authn.authenticateToken(token), { message: 'service account token has been invalidated' });
    objects.remove('pods', 'ns', 'web');
    await assert.rejects(authn.authenticateToken(token), { message: 'service account token has been invalidated' });
    objects.put('pods', obj('Pod', 'web', 'other-uid'));
    await assert.rejects(authn.authenticateToken(token), { message: 'pod UID (other-uid) does not match service account pod ref claim (pod-uid)' });
  });

  test('secret- and node-bound tokens need their object alive', async () => {
    const { objects, sa, issuer, authn } = setup();
    const secret = obj('Secret', 'creds', 'secret-uid');
    const node = obj('Node', 'n1', 'node-uid', '');
    objects.put('secrets', secret);
    objects.put('nodes', node);
    const bySecret = issuer.issue(sa, { secret }, { audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds: 3600 }).token;
    const byNode = issuer.issue(sa, { node }, { audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds: 3600 }).token;
    assert.equal((await authn.authenticateToken(bySecret))?.extra?.['authentication.kubernetes.io/pod-name'], undefined);
    assert.deepEqual((await authn.authenticateToken(byNode))?.extra?.['authentication.kubernetes.io/node-uid'], ['node-uid']);
    objects.remove('secrets', 'ns', 'creds');
    objects.remove('nodes', '', 'n1');
    await assert.rejects(authn.authenticateToken(bySecret), { message: 'service account token has been invalidated' });
    await assert.rejects(authn.authenticateToken(byNode), { message: 'service account token has been invalidated' });
  });
});
