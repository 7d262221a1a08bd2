import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as der from './der.ts';
import {
  caCertHash,
  certificateFingerprint,
  DEFAULT_SERVING_HOSTS,
  ensurePKI,
  PKI_FILES,
  PKIError,
  signClientCertificate,
  signServingCertificate,
} from './pki.ts';
import { EXT_KEY_USAGE, inspectCertificate, X509_OID } from './x509.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-pki-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function keyUsageBits(cert: X509Certificate): number[] {
  const ext = inspectCertificate(cert).extensions.get(X509_OID.keyUsage);
  assert.ok(ext, 'keyUsage present');
  const bits = der.read(ext.value).content;
  const out: number[] = [];
  for (let i = 0; i < (bits.length - 1) * 8; i++) if (bits[1 + (i >> 3)]! & (0x80 >> (i & 7))) out.push(i);
  return out;
}

describe('ensurePKI at first start', async () => {
  const dir = await tempDir();
  const pki = await ensurePKI(dir, { hosts: ['skiff-node-1', '192.0.2.10', '2001:db8::10'] });
  const ca = new X509Certificate(pki.caCertPem);
  const server = new X509Certificate(pki.serverCertPem);
  const admin = new X509Certificate(pki.adminCertPem);

  test('writes kubeadm-named files, keys readable by the owner only', async () => {
    for (const [file, content] of [
      [PKI_FILES.caCert, pki.caCertPem],
      [PKI_FILES.caKey, pki.caKeyPem],
      [PKI_FILES.serverCert, pki.serverCertPem],
      [PKI_FILES.serverKey, pki.serverKeyPem],
      [PKI_FILES.adminCert, pki.adminCertPem],
      [PKI_FILES.adminKey, pki.adminKeyPem],
      [PKI_FILES.saKey, pki.saKeyPem],
      [PKI_FILES.saPub, pki.saPubPem],
    ] as const) {
      assert.equal(await readFile(join(dir, 'pki', file), 'utf8'), content, file);
    }
    for (const key of [PKI_FILES.caKey, PKI_FILES.serverKey, PKI_FILES.adminKey, PKI_FILES.saKey]) {
      assert.equal((await stat(join(dir, 'pki', key))).mode & 0o777, 0o600, key);
    }
  });

  test('the CA is a CA: CN kubernetes, critical basicConstraints and keyUsage with keyCertSign, ~10 years', () => {
    assert.equal(ca.subject, 'CN=kubernetes');
    assert.equal(ca.issuer, 'CN=kubernetes');
    assert.equal(ca.ca, true);
    assert.ok(ca.verify(ca.publicKey), 'self-signed');
    const { extensions, subjectKeyId } = inspectCertificate(ca);
    assert.equal(extensions.get(X509_OID.basicConstraints)?.critical, true);
    assert.equal(extensions.get(X509_OID.keyUsage)?.critical, true);
    assert.ok(keyUsageBits(ca).includes(5), 'keyCertSign');
    assert.ok(subjectKeyId && subjectKeyId.length === 20);
    const years = (Date.parse(ca.validTo) - Date.parse(ca.validFrom)) / (365.25 * 86400_000);
    assert.ok(years > 9.9 && years < 10.1, `CA lifetime ${years} years`);
  });

  test('leaf certificates chain to the CA and carry its key id', () => {
    const caKeyId = inspectCertificate(ca).subjectKeyId!;
    for (const leaf of [server, admin]) {
      assert.ok(leaf.checkIssued(ca));
      assert.ok(leaf.verify(ca.publicKey));
      assert.equal(leaf.ca, false);
      const { extensions, subjectKeyId } = inspectCertificate(leaf);
      assert.equal(extensions.get(X509_OID.basicConstraints)?.critical, true);
      assert.ok(subjectKeyId);
      const aki = extensions.get(X509_OID.authorityKeyIdentifier);
      assert.ok(aki);
      const keyId = der.children(der.read(aki.value))[0];
      assert.equal(keyId?.tag, 0x80);
      assert.deepEqual(keyId.content, caKeyId);
    }
  });

  test('serials are positive and validity starts in the past', () => {
    for (const cert of [ca, server, admin]) {
      assert.match(cert.serialNumber, /^[0-7][0-9A-F]*$/i, 'high bit clear');
      const startsAgo = Date.now() - Date.parse(cert.validFrom);
      assert.ok(startsAgo >= 30_000 && startsAgo < 10 * 60_000, `notBefore ${cert.validFrom}`);
    }
  });

  test('the serving certificate covers the built-in names and the requested hosts', () => {
    assert.equal(server.subject, 'CN=kube-apiserver');
    assert.deepEqual(server.keyUsage, [EXT_KEY_USAGE.serverAuth]);
    for (const host of [...DEFAULT_SERVING_HOSTS, 'skiff-node-1', '192.0.2.10', '2001:db8::10']) {
      const ok = isIP(host) ? server.checkIP(host) : server.checkHost(host);
      assert.ok(ok, `SAN ${host}`);
    }
    assert.equal(server.checkHost('elsewhere.example'), undefined);
    const days = (Date.parse(server.validTo) - Date.now()) / 86400_000;
    assert.ok(days > 364 && days < 366, `serving lifetime ${days} days`);
  });

  test('the admin certificate is kubernetes-admin in system:masters, for client auth', () => {
    assert.equal(admin.subject, 'O=system:masters\nCN=kubernetes-admin');
    assert.deepEqual(admin.keyUsage, [EXT_KEY_USAGE.clientAuth]);
    assert.ok(admin.checkPrivateKey(createPrivateKey(pki.adminKeyPem)));
  });

  test('the service-account key pair is RSA 2048 as kubeadm makes it: PKCS#1 sa.key, PKIX sa.pub of the same key', () => {
    const key = createPrivateKey(pki.saKeyPem);
    assert.equal(key.asymmetricKeyType, 'rsa');
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
    assert.match(pki.saKeyPem, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.match(pki.saPubPem, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.equal(createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString(), pki.saPubPem);
  });

  test('a later start loads everything unchanged', async () => {
    const again = await ensurePKI(dir, { hosts: ['skiff-node-1', '192.0.2.10'] });
    assert.deepEqual(again, pki);
  });

  test('a new host reissues only the serving certificate, keeping the CA', async () => {
    const again = await ensurePKI(dir, { hosts: ['skiff-node-1', '192.0.2.10', 'new-name.example', '198.51.100.7'] });
    assert.equal(again.caCertPem, pki.caCertPem);
    assert.equal(again.caKeyPem, pki.caKeyPem);
    assert.equal(again.adminCertPem, pki.adminCertPem);
    assert.notEqual(again.serverCertPem, pki.serverCertPem);
    const reissued = new X509Certificate(again.serverCertPem);
    assert.ok(reissued.checkHost('new-name.example'));
    assert.ok(reissued.checkIP('198.51.100.7'));
    assert.ok(reissued.verify(ca.publicKey));
    assert.equal(await readFile(join(dir, 'pki', PKI_FILES.serverCert), 'utf8'), again.serverCertPem);
  });
});

describe('ensurePKI repairs and refuses', () => {
  test('an admin certificate near expiry is renewed', async () => {
    const dir = await tempDir();
    const pki = await ensurePKI(dir, { hosts: [] });
    const shortLived = await signClientCertificate(pki, { commonName: 'kubernetes-admin', organizations: ['system:masters'], days: 5 });
    await writeFile(join(dir, 'pki', PKI_FILES.adminCert), shortLived.certPem);
    await writeFile(join(dir, 'pki', PKI_FILES.adminKey), shortLived.keyPem);
    const again = await ensurePKI(dir, { hosts: [] });
    assert.notEqual(again.adminCertPem, shortLived.certPem);
    assert.ok(Date.parse(new X509Certificate(again.adminCertPem).validTo) - Date.now() > 300 * 86400_000);
  });

  test('a leaf whose key does not match is reissued', async () => {
    const dir = await tempDir();
    const pki = await ensurePKI(dir, { hosts: [] });
    await writeFile(join(dir, 'pki', PKI_FILES.serverKey), pki.adminKeyPem);
    const again = await ensurePKI(dir, { hosts: [] });
    assert.notEqual(again.serverCertPem, pki.serverCertPem);
    assert.ok(new X509Certificate(again.serverCertPem).checkPrivateKey(createPrivateKey(again.serverKeyPem)));
  });

  test('ca.crt without ca.key is an error, and nothing is overwritten', async () => {
    const dir = await tempDir();
    const pki = await ensurePKI(dir, { hosts: [] });
    await rm(join(dir, 'pki', PKI_FILES.caKey));
    await assert.rejects(ensurePKI(dir, { hosts: [] }), PKIError);
    assert.equal(await readFile(join(dir, 'pki', PKI_FILES.caCert), 'utf8'), pki.caCertPem);
  });

  test('when only ca.key survived, the CA certificate is re-signed and old leaves stay valid', async () => {
    const dir = await tempDir();
    const pki = await ensurePKI(dir, { hosts: [] });
    await rm(join(dir, 'pki', PKI_FILES.caCert));
    const again = await ensurePKI(dir, { hosts: [] });
    assert.notEqual(again.caCertPem, pki.caCertPem);
    assert.equal(again.caKeyPem, pki.caKeyPem);
    assert.equal(again.serverCertPem, pki.serverCertPem, 'kept: same issuer name and key');
    assert.ok(new X509Certificate(pki.adminCertPem).checkIssued(new X509Certificate(again.caCertPem)));
  });

  test('sa.pub is rewritten from sa.key when missing or stale; sa.pub without sa.key is an error', async () => {
    const dir = await tempDir();
    const pki = await ensurePKI(dir, { hosts: [] });
    await rm(join(dir, 'pki', PKI_FILES.saPub));
    assert.equal((await ensurePKI(dir, { hosts: [] })).saPubPem, pki.saPubPem);
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await writeFile(join(dir, 'pki', PKI_FILES.saPub), stranger);
    const again = await ensurePKI(dir, { hosts: [] });
    assert.equal(again.saKeyPem, pki.saKeyPem);
    assert.equal(await readFile(join(dir, 'pki', PKI_FILES.saPub), 'utf8'), pki.saPubPem);
    await rm(join(dir, 'pki', PKI_FILES.saKey));
    await assert.rejects(ensurePKI(dir, { hosts: [] }), PKIError);
  });

  test('an ECDSA P-256 sa.key is used as it is; other keys are refused', async () => {
    const dir = await tempDir();
    await ensurePKI(dir, { hosts: [] });
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await writeFile(join(dir, 'pki', PKI_FILES.saKey), ec);
    const again = await ensurePKI(dir, { hosts: [] });
    assert.equal(again.saKeyPem, ec);
    assert.equal(createPublicKey(again.saKeyPem).export({ type: 'spki', format: 'pem' }).toString(), again.saPubPem);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await writeFile(join(dir, 'pki', PKI_FILES.saKey), p384);
    await assert.rejects(ensurePKI(dir, { hosts: [] }), PKIError);
  });

  test('a host that is neither a DNS name nor an IP is refused', async () => {
    await assert.rejects(ensurePKI(await tempDir(), { hosts: ['not a host'] }), PKIError);
  });
});

describe('signing more certificates', async () => {
  const pki = await ensurePKI(await tempDir(), { hosts: [] });
  const ca = new X509Certificate(pki.caCertPem);

  test('signClientCertificate: CN is the user, each O a group', async () => {
    const { certPem, keyPem } = await signClientCertificate(pki, { commonName: 'jane', organizations: ['dev', 'ops'], days: 2 });
    const cert = new X509Certificate(certPem);
    assert.equal(cert.subject, 'O=dev\nO=ops\nCN=jane');
    assert.ok(cert.verify(ca.publicKey));
    assert.ok(cert.checkPrivateKey(createPrivateKey(keyPem)));
    assert.deepEqual(cert.keyUsage, [EXT_KEY_USAGE.clientAuth]);
    const days = (Date.parse(cert.validTo) - Date.now()) / 86400_000;
    assert.ok(days > 1.9 && days < 2.1);
  });

  test('signServingCertificate covers the given hosts', async () => {
    const { certPem } = await signServingCertificate(pki, { commonName: 'system:node:n1', hosts: ['n1', '10.0.0.5'] });
    const cert = new X509Certificate(certPem);
    assert.ok(cert.checkHost('n1'));
    assert.ok(cert.checkIP('10.0.0.5'));
    assert.equal(cert.checkHost('localhost'), undefined, 'no built-in names on other servers');
    assert.deepEqual(cert.keyUsage, [EXT_KEY_USAGE.serverAuth]);
  });

  test('fingerprints: sha256 of the certificate, and kubeadm-style CA public key hash', () => {
    assert.match(certificateFingerprint(pki.caCertPem), /^sha256:[0-9a-f]{64}$/);
    assert.equal(certificateFingerprint(pki.caCertPem), `sha256:${ca.fingerprint256.replaceAll(':', '').toLowerCase()}`);
    assert.notEqual(certificateFingerprint(pki.caCertPem), certificateFingerprint(pki.serverCertPem));
    assert.match(caCertHash(pki.caCertPem), /^sha256:[0-9a-f]{64}$/);
    assert.notEqual(caCertHash(pki.caCertPem), certificateFingerprint(pki.caCertPem));
  });

  test('caCertHash matches the openssl recipe kubeadm documents', { skip: !hasOpenssl() && 'openssl not installed' }, () => {
    const spki = execFileSync('openssl', ['x509', '-pubkey', '-noout'], { input: pki.caCertPem });
    const derKey = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: spki });
    const digest = execFileSync('openssl', ['dgst', '-sha256', '-hex'], { input: derKey }).toString().trim().split(' ').at(-1);
    assert.equal(caCertHash(pki.caCertPem), `sha256:${digest}`);
  });
});
