// Go's crypto/tls is stricter than OpenSSL in places: this checks, with the real kubectl 1.35, that it trusts
// Skiff's serving certificate and presents the admin certificate from admin.conf.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { kubectl } from '../../test/support/kubectl.ts';
import { X509Authenticator, type UserInfo } from '../apiserver/authn.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { ensurePKI, signClientCertificate, type PKI } from './pki.ts';

describe('real kubectl against a server using Skiff certificates', () => {
  let dir: string;
  let pki: PKI;
  let url: string;
  let server: ReturnType<typeof createSecureServer>;
  const seen: Array<{ user: UserInfo | undefined; protocol: string }> = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-kubectl-trust-'));
    pki = await ensurePKI(dir, { hosts: [] });
    const authn = new X509Authenticator({ ca: pki.caCertPem });
    server = createSecureServer({
      allowHTTP1: true,
      cert: pki.serverCertPem,
      key: pki.serverKeyPem,
      ca: pki.caCertPem,
      requestCert: true,
      rejectUnauthorized: false,
    });
    server.on('request', (req: Http2ServerRequest, res: Http2ServerResponse) => {
      const user = authn.authenticate(req as never);
      seen.push({ user, protocol: req.httpVersion });
      res.setHeader('content-type', 'application/json');
      if (!user) {
        res.writeHead(401);
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 }));
        return;
      }
      if (req.url === '/version') {
        res.end(JSON.stringify({ major: '1', minor: '35', gitVersion: 'v1.35.0-trust-test' }));
        return;
      }
      res.end(JSON.stringify(user));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  const config = async (name: string, opts: { caPem?: string; certPem?: string; keyPem?: string } = {}) => {
    const path = join(dir, name, 'config');
    await writeKubeconfig(path, {
      server: url,
      caPem: opts.caPem ?? pki.caCertPem,
      clientCertPem: opts.certPem ?? pki.adminCertPem,
      clientKeyPem: opts.keyPem ?? pki.adminKeyPem,
    });
    return path;
  };

  test('kubectl verifies the serving certificate and authenticates as kubernetes-admin over HTTP/2', async () => {
    const kubeconfig = await config('admin');
    const version = await kubectl(['get', '--raw', '/version'], { kubeconfig, timeoutMs: 30_000 });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(JSON.parse(version.stdout).gitVersion, 'v1.35.0-trust-test');
    const whoami = await kubectl(['get', '--raw', '/whoami'], { kubeconfig, timeoutMs: 30_000 });
    assert.equal(whoami.code, 0, whoami.stderr);
    const admin = JSON.parse(whoami.stdout);
    assert.deepEqual([admin.username, admin.groups], ['kubernetes-admin', ['system:masters', 'system:authenticated']]);
    assert.match(admin.extra['authentication.kubernetes.io/credential-id'][0], /^X509SHA256=[0-9a-f]{64}$/);
    assert.ok(seen.some((s) => s.protocol === '2.0' && s.user?.username === 'kubernetes-admin'), 'kubectl negotiated HTTP/2');
  });

  test('the in-cluster DNS name verifies too', async () => {
    const kubeconfig = await config('dns');
    const result = await kubectl(['get', '--raw', '/whoami', '--tls-server-name', 'kubernetes.default.svc.cluster.local'], { kubeconfig, timeoutMs: 30_000 });
    assert.equal(result.code, 0, result.stderr);
  });

  test('a user certificate from signClientCertificate maps to its name and groups', async () => {
    const jane = await signClientCertificate(pki, { commonName: 'jane', organizations: ['developers'] });
    const kubeconfig = await config('jane', { certPem: jane.certPem, keyPem: jane.keyPem });
    const result = await kubectl(['get', '--raw', '/whoami'], { kubeconfig, timeoutMs: 30_000 });
    assert.equal(result.code, 0, result.stderr);
    const user = JSON.parse(result.stdout);
    assert.deepEqual([user.username, user.groups], ['jane', ['developers', 'system:authenticated']]);
  });

  test('kubectl refuses the server when it trusts a different CA', async () => {
    const other = await ensurePKI(join(dir, 'other'), { hosts: [] });
    const kubeconfig = await config('wrong-ca', { caPem: other.caCertPem });
    const result = await kubectl(['get', '--raw', '/whoami'], { kubeconfig, timeoutMs: 30_000 });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /certificate signed by unknown authority/);
  });
});
