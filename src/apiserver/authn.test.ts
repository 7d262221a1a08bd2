import assert from 'node:assert/strict';
import { createHash, createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as http2Connect, createSecureServer } from 'node:http2';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensurePKI, signClientCertificate, type PKI } from '../adm/pki.ts';
import { createCertificate, derToPem, inspectCertificate, keyIdentifier } from '../adm/x509.ts';

/** The credential id upstream's certificate authenticator reports: the SHA-256 of the certificate. */
function credentialOf(certPem: string): Record<string, string[]> {
  const der = new X509Certificate(certPem).raw;
  return { 'authentication.kubernetes.io/credential-id': [`X509SHA256=${createHash('sha256').update(der).digest('hex')}`] };
}
import { AuthenticationError, unionAuthenticator, X509Authenticator, type Authenticator, type AuthenticationRequest, type UserInfo } from './authn.ts';

interface ClientCreds {
  cert?: string;
  key?: string;
}

/** GET / over HTTPS; the server answers with the authenticated user as JSON, or 401. */
function get(url: string, ca: string, creds: ClientCreds): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, ...creds, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('X509Authenticator behind a real TLS server', () => {
  let dir: string;
  let pki: PKI;
  let foreign: PKI;
  let server: Server;
  let url: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-authn-'));
    pki = await ensurePKI(join(dir, 'cluster'), { hosts: [] });
    foreign = await ensurePKI(join(dir, 'foreign'), { hosts: [] });
    const authn = new X509Authenticator({ ca: pki.caCertPem });
    server = createServer(
      { cert: pki.serverCertPem, key: pki.serverKeyPem, ca: pki.caCertPem, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        const user = authn.authenticate(req);
        res.writeHead(user ? 200 : 401, { 'content-type': 'application/json' });
        res.end(JSON.stringify(user ?? null));
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  test('the admin certificate is kubernetes-admin in system:masters', async () => {
    const res = await get(url, pki.caCertPem, { cert: pki.adminCertPem, key: pki.adminKeyPem });
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'], extra: credentialOf(pki.adminCertPem) });
  });

  test('a certificate from another CA is not authenticated', async () => {
    const res = await get(url, pki.caCertPem, { cert: foreign.adminCertPem, key: foreign.adminKeyPem });
    assert.equal(res.status, 401);
  });

  test('no certificate is not authenticated', async () => {
    const res = await get(url, pki.caCertPem, {});
    assert.equal(res.status, 401);
  });

  test('a serving-only certificate from the right CA is not a client credential', async () => {
    const res = await get(url, pki.caCertPem, { cert: pki.serverCertPem, key: pki.serverKeyPem });
    assert.equal(res.status, 401);
  });

  test('a user without organizations gets only system:authenticated', async () => {
    const bob = await signClientCertificate(pki, { commonName: 'bob' });
    const res = await get(url, pki.caCertPem, { cert: bob.certPem, key: bob.keyPem });
    assert.deepEqual(JSON.parse(res.body).username, 'bob');
    assert.deepEqual(JSON.parse(res.body).groups, ['system:authenticated']);
  });

  test('a certificate issued through an intermediate CA the client sends along is accepted', async () => {
    const now = Date.now();
    const ca = new X509Certificate(pki.caCertPem);
    const caKey = createPrivateKey(pki.caKeyPem);
    const mid = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const midSubject = { commonName: 'intermediate' };
    const midPem = derToPem(
      createCertificate({
        subject: midSubject,
        publicKey: mid.publicKey,
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + 86400_000),
        isCA: true,
        keyUsage: ['keyCertSign'],
        signer: { key: caKey, subjectDer: inspectCertificate(ca).subjectDer, keyId: inspectCertificate(ca).subjectKeyId },
      }),
    );
    const leaf = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const leafPem = derToPem(
      createCertificate({
        subject: { commonName: 'carol', organizations: ['team'] },
        publicKey: leaf.publicKey,
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + 86400_000),
        isCA: false,
        keyUsage: ['digitalSignature'],
        extKeyUsage: ['clientAuth'],
        signer: { key: mid.privateKey, subjectDer: inspectCertificate(new X509Certificate(midPem)).subjectDer, keyId: keyIdentifier(mid.publicKey) },
      }),
    );
    const key = leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const res = await get(url, pki.caCertPem, { cert: leafPem + midPem, key });
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(JSON.parse(res.body).username, 'carol');
    assert.deepEqual(JSON.parse(res.body).groups, ['team', 'system:authenticated']);
  });

  test('a socket that says authorized but whose chain does not reach our CA is refused', () => {
    const authn = new X509Authenticator({ ca: pki.caCertPem });
    const foreignAdmin = new X509Certificate(foreign.adminCertPem);
    const lying = {
      authorized: true,
      getPeerCertificate: () => ({ raw: foreignAdmin.raw, subject: { CN: 'kubernetes-admin', O: 'system:masters' }, issuerCertificate: undefined }),
    } as unknown as Socket;
    assert.equal(authn.authenticate({ socket: lying, headers: {} }), undefined);
  });

  test('a plain (non-TLS) socket is not authenticated', () => {
    const authn = new X509Authenticator({ ca: pki.caCertPem });
    assert.equal(authn.authenticate({ socket: {} as Socket, headers: {} }), undefined);
  });
});

describe('X509Authenticator over HTTP/2', () => {
  test('the compat request socket still carries the peer certificate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-authn-h2-'));
    const pki = await ensurePKI(dir, { hosts: [] });
    const authn = new X509Authenticator({ ca: pki.caCertPem });
    const server = createSecureServer(
      { cert: pki.serverCertPem, key: pki.serverKeyPem, ca: pki.caCertPem, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        res.end(JSON.stringify(authn.authenticate(req as unknown as AuthenticationRequest) ?? null));
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const session = http2Connect(`https://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      ca: pki.caCertPem,
      cert: pki.adminCertPem,
      key: pki.adminKeyPem,
    });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const stream = session.request({ ':path': '/' });
        let text = '';
        stream.setEncoding('utf8').on('data', (c: string) => (text += c));
        stream.on('end', () => resolve(text));
        stream.on('error', reject);
        stream.end();
      });
      assert.deepEqual(JSON.parse(body), { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'], extra: credentialOf(pki.adminCertPem) });
    } finally {
      session.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('unionAuthenticator', () => {
  const req: AuthenticationRequest = { socket: {} as Socket, headers: {} };
  const fixed = (user: UserInfo | undefined): Authenticator => ({ authenticate: () => user });
  const failing = (message: string): Authenticator => ({
    authenticate: () => {
      throw new Error(message);
    },
  });
  const alice: UserInfo = { username: 'alice', groups: ['system:authenticated'] };

  test('the first authenticator to name a user wins', async () => {
    const bob: UserInfo = { username: 'bob', groups: [] };
    assert.deepEqual(await unionAuthenticator(fixed(undefined), fixed(alice), fixed(bob)).authenticate(req), alice);
  });

  test('no opinion from anyone is undefined', async () => {
    assert.equal(await unionAuthenticator(fixed(undefined), fixed(undefined)).authenticate(req), undefined);
    assert.equal(await unionAuthenticator().authenticate(req), undefined);
  });

  test('an error does not stop the others, but surfaces when no one succeeds', async () => {
    assert.deepEqual(await unionAuthenticator(failing('bad token'), fixed(alice)).authenticate(req), alice);
    await assert.rejects(Promise.resolve(unionAuthenticator(failing('bad token'), fixed(undefined)).authenticate(req)), (err: unknown) => {
      assert.ok(err instanceof AuthenticationError);
      assert.equal((err.cause as Error).message, 'bad token');
      return true;
    });
  });
});
