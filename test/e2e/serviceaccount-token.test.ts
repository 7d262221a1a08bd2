// Service-account tokens with the real kubectl 1.35: `kubectl create token` (TokenRequest), the token authenticating
// as its ServiceAccount (`auth whoami`), bad and short-lived requests refused in upstream's words, and a pod-bound
// token dying with its pod.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeKubeconfig } from '../../src/adm/kubeconfig.ts';
import { PKI_FILES } from '../../src/adm/pki.ts';
import type { KubeObject } from '../../src/client/client.ts';
import { ServiceAccountController } from '../../src/controllers/serviceaccount.ts';
import { gvr, startTestCluster, type TestCluster } from '../support/cluster.ts';
import { kubectl, type KubectlResult } from '../support/kubectl.ts';
import { eventually } from '../support/server.ts';

const timeout = 60_000;
const ISSUER = 'https://kubernetes.default.svc.cluster.local';

function payloadOf(jwt: string): Record<string, any> {
  const [, payload] = jwt.split('.');
  return JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, any>;
}

describe('service-account tokens with kubectl 1.35', { timeout: 5 * 60_000 }, () => {
  let cluster: TestCluster;
  /** Server and CA only: whatever identity a request has comes from --token. */
  let anonymousConfig: string;

  const admin = (args: string[]): Promise<KubectlResult> => kubectl(args, { kubeconfig: cluster.kubeconfig, timeoutMs: timeout });
  const withToken = (token: string, args: string[]): Promise<KubectlResult> => kubectl([`--token=${token}`, ...args], { kubeconfig: anonymousConfig, timeoutMs: timeout });
  const ok = (r: KubectlResult, what: string): string => {
    assert.equal(r.code, 0, `${what} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
    return r.stdout;
  };

  before(async () => {
    cluster = await startTestCluster({ controllers: { serviceaccount: (ctx) => new ServiceAccountController(ctx) } });
    anonymousConfig = join(dirname(cluster.kubeconfig), 'token.conf');
    const caPem = await readFile(join(cluster.dataDir, 'pki', PKI_FILES.caCert), 'utf8');
    await writeKubeconfig(anonymousConfig, { server: cluster.url, caPem, userName: 'token-user' });
    await eventually('the default ServiceAccount', () => cluster.client.get(gvr.serviceaccounts, 'default', 'default'));
  });
  after(() => cluster?.stop());

  it('kubectl create token prints a JWT that authenticates as the ServiceAccount', { timeout }, async () => {
    const token = ok(await admin(['create', 'token', 'default']), 'create token').trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const sa = await cluster.client.get(gvr.serviceaccounts, 'default', 'default');
    const claims = payloadOf(token);
    assert.equal(claims['iss'], ISSUER);
    assert.equal(claims['sub'], 'system:serviceaccount:default:default');
    assert.deepEqual(claims['aud'], [ISSUER]);
    assert.equal(claims['exp'] - claims['iat'], 3600);
    assert.deepEqual(claims['kubernetes.io'], { namespace: 'default', serviceaccount: { name: 'default', uid: sa.metadata?.uid } });

    const whoami = ok(await withToken(token, ['auth', 'whoami']), 'auth whoami');
    assert.match(whoami, /^Username\s+system:serviceaccount:default:default$/m);
    assert.match(whoami, /^Groups\s+\[system:serviceaccounts system:serviceaccounts:default system:authenticated\]$/m);
    const review = JSON.parse(ok(await withToken(token, ['auth', 'whoami', '-o', 'json']), 'auth whoami -o json')) as Record<string, any>;
    assert.equal(review['status'].userInfo.uid, sa.metadata?.uid);
    assert.deepEqual(review['status'].userInfo.extra, { 'authentication.kubernetes.io/credential-id': [`JTI=${claims['jti']}`] });
    // The token is a full credential: it reads what the (allow-all) authorizer lets it.
    ok(await withToken(token, ['get', 'serviceaccounts', '-n', 'default']), 'get serviceaccounts with the token');
  });

  it('a token the server did not issue gets 401', { timeout }, async () => {
    const garbage = await withToken('not-a-token', ['auth', 'whoami']);
    assert.equal(garbage.code, 1);
    assert.equal(garbage.stderr.trim(), 'error: You must be logged in to the server (Unauthorized)');
    // Right shape and issuer, wrong signature.
    const real = ok(await admin(['create', 'token', 'default']), 'create token').trim();
    const [h, p] = real.split('.');
    const forged = await withToken(`${h}.${p}.${Buffer.from('x'.repeat(256)).toString('base64url')}`, ['get', 'pods']);
    assert.equal(forged.code, 1);
    assert.equal(forged.stderr.trim(), 'error: You must be logged in to the server (Unauthorized)');
  });

  it('refuses durations under ten minutes and unknown accounts, as upstream words it', { timeout }, async () => {
    const short = await admin(['create', 'token', 'default', '--duration=1m']);
    assert.equal(short.code, 1);
    assert.equal(
      short.stderr.trim(),
      'error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
    );
    const missing = await admin(['create', 'token', 'nobody']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), 'error: failed to create token: serviceaccounts "nobody" not found');
    const long = ok(await admin(['create', 'token', 'default', '--duration=2h', '--audience=vault', '--audience', ISSUER]), 'create token --duration=2h').trim();
    const claims = payloadOf(long);
    assert.equal(claims['exp'] - claims['iat'], 7200);
    assert.deepEqual(claims['aud'], ['vault', ISSUER]);
  });

  it('a pod-bound token names the pod and stops working once the pod is gone', { timeout }, async () => {
    const pod = await cluster.client.create<KubeObject>(gvr.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bound' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const token = ok(await admin(['create', 'token', 'default', '--bound-object-kind=Pod', '--bound-object-name=bound']), 'create token bound to a pod').trim();
    assert.deepEqual(payloadOf(token)['kubernetes.io'].pod, { name: 'bound', uid: pod.metadata?.uid });
    const review = JSON.parse(ok(await withToken(token, ['auth', 'whoami', '-o', 'json']), 'whoami with a bound token')) as Record<string, any>;
    assert.deepEqual(review['status'].userInfo.extra['authentication.kubernetes.io/pod-name'], ['bound']);
    assert.deepEqual(review['status'].userInfo.extra['authentication.kubernetes.io/pod-uid'], [pod.metadata?.uid]);

    const wrongUID = await admin(['create', 'token', 'default', '--bound-object-kind=Pod', '--bound-object-name=bound', '--bound-object-uid=0000']);
    assert.equal(wrongUID.code, 1);
    assert.match(wrongUID.stderr, /Operation cannot be fulfilled on Pod "bound": the UID in the bound object reference \(0000\) does not match the UID in record/);

    await cluster.client.delete(gvr.pods, 'default', 'bound', { gracePeriodSeconds: 0 });
    await eventually('the bound token to be refused', async () => {
      const r = await withToken(token, ['auth', 'whoami']);
      if (r.code === 0) throw new Error('still accepted');
      assert.equal(r.stderr.trim(), 'error: You must be logged in to the server (Unauthorized)');
      return true;
    });
  });
});
