// TokenRequest (serviceaccounts/token) and bearer-token authentication through the real API server.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gvr, refusal, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { eventually } from '../../test/support/server.ts';
import type { KubeObject } from '../client/client.ts';

type Obj = Record<string, any>;
const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const SECRETS = { group: '', version: 'v1', resource: 'secrets' };
const tokenPath = (name: string, ns = 'default') => `/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`;
const payloadOf = (token: string): Obj => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Obj;

describe('TokenRequest and bearer tokens through the API server', () => {
  let cluster: TestCluster;
  let ca: string;
  let sa: KubeObject;

  /** An admin POST to the token subresource; the TokenRequest back, or the ApiError. */
  const requestToken = async (name: string, spec: Obj = {}, metadata: Obj = {}): Promise<Obj> => {
    const body = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata, spec };
    const res = await cluster.client.transport.request({ method: 'POST', path: tokenPath(name), body });
    assert.equal(res.status, 201);
    return res.body as Obj;
  };

  /** HTTP/1.1 without a client certificate, with the token (if any) as the only credential. */
  const withBearer = (token: string | undefined, method: string, path: string, body?: Obj): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
      const req = request(new URL(path, cluster.url), { method, ca, headers, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body ? JSON.stringify(body) : undefined);
    });
  const whoami = (token: string | undefined) =>
    withBearer(token, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });

  before(async () => {
    cluster = await startTestCluster();
    ca = await readFile(join(cluster.dataDir, 'pki', 'ca.crt'), 'utf8');
    sa = await cluster.client.create<KubeObject>(gvr.serviceaccounts, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot' } });
  });
  after(() => cluster?.stop());

  test('defaults: the API server audience, an hour, no binding; the answer is a TokenRequest with its token', async () => {
    const out = await requestToken('robot');
    assert.equal(out['apiVersion'], 'authentication.k8s.io/v1');
    assert.equal(out['kind'], 'TokenRequest');
    assert.equal(out['metadata'].name, 'robot');
    assert.equal(out['metadata'].namespace, 'default');
    assert.deepEqual(out['spec'], { audiences: [ISSUER], expirationSeconds: 3600, boundObjectRef: null });
    const claims = payloadOf(out['status'].token);
    assert.equal(Date.parse(out['status'].expirationTimestamp) / 1000, claims['exp']);
    assert.equal(Date.parse(out['metadata'].creationTimestamp) / 1000, claims['iat']);
    assert.equal(claims['sub'], 'system:serviceaccount:default:robot');
    assert.deepEqual(claims['kubernetes.io'], { namespace: 'default', serviceaccount: { name: 'robot', uid: sa.metadata?.uid } });
  });

  test("a pod-bound projected token (3607 s) lives a year, warns after 3607 s, and names the pod's node", async () => {
    const node = await cluster.client.create<KubeObject>(gvr.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    const pod = await cluster.client.create<KubeObject>(gvr.pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'app' },
      spec: { serviceAccountName: 'robot', nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] },
    });
    const out = await requestToken('robot', { expirationSeconds: 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'app', uid: pod.metadata?.uid } });
    const claims = payloadOf(out['status'].token);
    assert.equal(claims['exp'] - claims['iat'], 365 * 24 * 3600);
    assert.equal(claims['kubernetes.io'].warnafter - claims['iat'], 3607);
    assert.equal(Date.parse(out['status'].expirationTimestamp) / 1000 - claims['iat'], 3607, 'the status tells the requested lifetime');
    assert.deepEqual(claims['kubernetes.io'].pod, { name: 'app', uid: pod.metadata?.uid });
    assert.deepEqual(claims['kubernetes.io'].node, { name: 'n1', uid: node.metadata?.uid });

    // Another lifetime, or another audience, is not extended.
    const plain = payloadOf((await requestToken('robot', { expirationSeconds: 3607, audiences: ['vault'], boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'app' } }))['status'].token);
    assert.equal(plain['exp'] - plain['iat'], 3607);
    assert.equal(plain['kubernetes.io'].warnafter, undefined);
  });

  test("refuses what upstream refuses, in upstream's words", async () => {
    const missing = await refusal(() => requestToken('nobody'));
    assert.equal(missing.code, 404);
    assert.equal(missing.message, 'serviceaccounts "nobody" not found');

    const short = await refusal(() => requestToken('robot', { expirationSeconds: 599 }));
    assert.equal(short.code, 422);
    assert.equal(short.message, 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes');

    const renamed = await refusal(() => requestToken('robot', {}, { name: 'other' }));
    assert.equal(renamed.code, 422);
    assert.equal(renamed.message, 'TokenRequest.authentication.k8s.io "robot" is invalid: metadata.name: Invalid value: "other": must match the service account name if specified');

    const configMap = await refusal(() => requestToken('robot', { boundObjectRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'x' } }));
    assert.equal(configMap.code, 400);
    assert.equal(configMap.message, 'cannot bind token to object of type /v1, Kind=ConfigMap');

    await cluster.client.create<KubeObject>(gvr.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'other-sa' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const foreignPod = await refusal(() => requestToken('robot', { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'other-sa' } }));
    assert.equal(foreignPod.code, 400);
    assert.equal(foreignPod.message, 'cannot bind token for serviceaccount "robot" to pod running with different serviceaccount name.');

    const gonePod = await refusal(() => requestToken('robot', { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'never' } }));
    assert.equal(gonePod.code, 404);
    assert.equal(gonePod.message, 'pods "never" not found');

    const get = await refusal(() => cluster.client.transport.request({ method: 'GET', path: tokenPath('robot') }));
    assert.equal(get.code, 405);
  });

  test('a bearer token authenticates without a client certificate, until the secret it is bound to goes', async () => {
    const secret = await cluster.client.create<KubeObject>(SECRETS, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'anchor' } });
    const token = (await requestToken('robot', { boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name: 'anchor', uid: secret.metadata?.uid } }))['status'].token as string;

    const review = await whoami(token);
    assert.equal(review.status, 201, review.body);
    const userInfo = (JSON.parse(review.body) as Obj)['status'].userInfo;
    assert.equal(userInfo.username, 'system:serviceaccount:default:robot');
    assert.deepEqual(userInfo.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);

    assert.equal((await whoami(undefined)).status, 401, 'no credentials at all');
    assert.equal((await whoami('garbage')).status, 401);
    // A bad token is refused even where no credentials are needed, as upstream does.
    assert.equal((await withBearer(undefined, 'GET', '/version')).status, 200);
    assert.equal((await withBearer('garbage', 'GET', '/version')).status, 401);

    await cluster.client.delete(SECRETS, 'default', 'anchor');
    await eventually('the token to die with its secret', async () => ((await whoami(token)).status === 401 ? true : undefined));
  });
  test('TokenReview says whom a token names, and that a forged one names nobody', async () => {
    const { status } = await requestToken('robot');
    const review = async (token: string): Promise<Obj> => {
      const body = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } };
      const res = await cluster.client.transport.request({ method: 'POST', path: '/apis/authentication.k8s.io/v1/tokenreviews', body });
      assert.equal(res.status, 201);
      return (res.body as Obj)['status'] as Obj;
    };
    const good = await review(status.token as string);
    assert.equal(good['authenticated'], true);
    assert.equal(good['user'].username, 'system:serviceaccount:default:robot');
    assert.equal(good['user'].uid, sa.metadata?.uid);
    assert.deepEqual(good['user'].groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
    assert.deepEqual(good['audiences'], [ISSUER]);
    const [h, p] = (status.token as string).split('.');
    const forged = await review(`${h}.${p}.${Buffer.from('not the signature').toString('base64url')}`);
    assert.equal(forged['authenticated'], undefined);
    assert.match(forged['error'], /^\[invalid bearer token, /);
    assert.match((await review('garbage'))['error'], /^\[invalid bearer token, /);
  });
});
