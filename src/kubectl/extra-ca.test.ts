import assert from 'node:assert/strict';
import { once } from 'node:events';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ensurePKI, type PKI } from '../adm/pki.ts';
import { clearDeferredExtraCaCerts, DEFERRED_EXTRA_CA_ENV, deferredExtraCaFile, restoreDeferredExtraCaCerts, withDeferredExtraCa } from './extra-ca.ts';
import type { ClientConfig } from './kubeconfig.ts';
import { Session } from './session.ts';

const base: ClientConfig = { server: 'https://example.test:6443', namespace: 'default', contextName: 'c', clusterName: 'c', userName: 'u', insecureSkipTlsVerify: false };

describe('deferred NODE_EXTRA_CA_CERTS', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-extra-ca-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => clearDeferredExtraCaCerts());

  it('puts the variable back for child processes and remembers that it was not loaded', () => {
    const env: NodeJS.ProcessEnv = { [DEFERRED_EXTRA_CA_ENV]: '/etc/extra.pem', PATH: '/bin' };
    restoreDeferredExtraCaCerts(env);
    assert.deepEqual(env, { NODE_EXTRA_CA_CERTS: '/etc/extra.pem', PATH: '/bin' });
    assert.equal(deferredExtraCaFile(), '/etc/extra.pem');
  });

  it('changes nothing when bin/skiff deferred nothing', () => {
    const env: NodeJS.ProcessEnv = { NODE_EXTRA_CA_CERTS: '/etc/loaded.pem' };
    restoreDeferredExtraCaCerts(env);
    assert.deepEqual(env, { NODE_EXTRA_CA_CERTS: '/etc/loaded.pem' });
    assert.equal(deferredExtraCaFile(), undefined);
    assert.equal(withDeferredExtraCa(base), base, 'Node loaded the file itself: its default trust applies');
  });

  it("gives a kubeconfig without a CA Node's bundled roots plus the file's certificates", () => {
    const file = join(dir, 'extra.pem');
    writeFileSync(file, '-----BEGIN CERTIFICATE-----\nEXTRA\n-----END CERTIFICATE-----\n');
    restoreDeferredExtraCaCerts({ [DEFERRED_EXTRA_CA_ENV]: file });
    const pem = withDeferredExtraCa(base).caPem?.toString('utf8') ?? '';
    assert.ok(pem.includes(rootCertificates[0]!), 'the bundled roots stay trusted');
    assert.ok(pem.endsWith('EXTRA\n-----END CERTIFICATE-----\n'));
  });

  it('leaves a kubeconfig CA, --insecure-skip-tls-verify and plain HTTP alone', () => {
    const file = join(dir, 'extra.pem');
    writeFileSync(file, 'x');
    restoreDeferredExtraCaCerts({ [DEFERRED_EXTRA_CA_ENV]: file });
    const withCa = { ...base, caPem: Buffer.from('CLUSTER-CA') };
    assert.equal(withDeferredExtraCa(withCa), withCa);
    const insecure = { ...base, insecureSkipTlsVerify: true };
    assert.equal(withDeferredExtraCa(insecure), insecure);
    const http = { ...base, server: 'http://127.0.0.1:8080' };
    assert.equal(withDeferredExtraCa(http), http);
  });

  it('warns as Node does when the file is gone, once, and keeps the bundled roots', async () => {
    const file = join(dir, 'gone.pem');
    restoreDeferredExtraCaCerts({ [DEFERRED_EXTRA_CA_ENV]: file });
    const warned = once(process, 'warning');
    assert.equal(withDeferredExtraCa(base), base);
    const [warning] = (await warned) as [Error];
    assert.ok(warning.message.startsWith(`Ignoring extra certs from \`${file}\`, load failed: ENOENT`), warning.message);
    assert.equal(deferredExtraCaFile(), undefined);
  });
});

describe("Skiff's kubectl with a deferred NODE_EXTRA_CA_CERTS", () => {
  let dir: string;
  let pki: PKI;
  let server: Server;
  let kubeconfig: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-extra-ca-'));
    pki = await ensurePKI(dir, { hosts: [] });
    server = createServer({ cert: pki.serverCertPem, key: pki.serverKeyPem }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"gitVersion":"v1.35.0"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    kubeconfig = join(dir, 'no-ca.conf');
    // The cluster names no CA: its server is trusted only through the extra roots.
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:${port}"}
contexts:
- name: c
  context: {cluster: c, user: u}
current-context: c
users:
- name: u
  user: {token: t}
`,
    );
    writeFileSync(join(dir, 'extra.pem'), pki.caCertPem);
  });
  after(async () => {
    clearDeferredExtraCaCerts();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const version = async () => {
    const session = new Session({ stdout: () => {}, stderr: () => {} }, { KUBECONFIG: kubeconfig }, new Map(), 'version');
    try {
      return await session.rest().json<{ gitVersion: string }>({ path: '/version' });
    } finally {
      session.close();
    }
  };

  it('trusts a server signed by a CA from the deferred file, as Node would have', async () => {
    restoreDeferredExtraCaCerts({ [DEFERRED_EXTRA_CA_ENV]: join(dir, 'extra.pem') });
    assert.deepEqual(await version(), { gitVersion: 'v1.35.0' });
  });

  it('rejects that server when no extra roots were given', async () => {
    clearDeferredExtraCaCerts();
    await assert.rejects(version(), /certificate/i);
  });

  it('under --use-openssl-ca trusts the system store without a kubeconfig CA, and only the kubeconfig CA with one', async () => {
    // A child started as bin/skiff starts kubectl; SSL_CERT_FILE (the system store) holds the cluster's CA.
    const withCa = join(dir, 'with-ca.conf');
    const otherCa = join(dir, 'other-ca.conf');
    const base = (ca: string) => `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "${server.address() && `https://127.0.0.1:${(server.address() as AddressInfo).port}`}", certificate-authority-data: ${Buffer.from(ca).toString('base64')}}
contexts:
- name: c
  context: {cluster: c, user: u}
current-context: c
users:
- name: u
  user: {token: t}
`;
    writeFileSync(withCa, base(pki.caCertPem));
    writeFileSync(otherCa, base(rootCertificates[0]!));
    const script = join(dir, 'probe.mts');
    writeFileSync(
      script,
      `import { Session } from ${JSON.stringify(new URL('./session.ts', import.meta.url).pathname)};
const session = new Session({ stdout() {}, stderr() {} }, { KUBECONFIG: process.argv[2] }, new Map(), 'version');
const outcome = await session.rest().json({ path: '/version' }).then(() => 'ok', (e) => 'refused: ' + e.message);
session.close();
console.log(JSON.stringify({ outcome, sslCertFile: process.env.SSL_CERT_FILE ?? null }));
`,
    );
    // Asynchronous: the server answering the child runs in this process.
    const probe = async (config: string) => {
      const env: NodeJS.ProcessEnv = { ...process.env, SSL_CERT_FILE: join(dir, 'extra.pem') };
      delete env['NODE_EXTRA_CA_CERTS'];
      delete env['SSL_CERT_DIR'];
      const { stdout } = await promisify(execFile)(process.execPath, ['--use-openssl-ca', '--import', 'tsx', script, config], { env, encoding: 'utf8', timeout: 30_000 });
      return JSON.parse(stdout) as { outcome: string; sslCertFile: string | null };
    };
    assert.deepEqual(await probe(kubeconfig), { outcome: 'ok', sslCertFile: join(dir, 'extra.pem') });
    assert.deepEqual(await probe(withCa), { outcome: 'ok', sslCertFile: join(dir, 'extra.pem') });
    assert.match((await probe(otherCa)).outcome, /^refused: .*certificate/i);
  });
});
