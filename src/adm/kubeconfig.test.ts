import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { kubeconfigYaml, writeKubeconfig } from './kubeconfig.ts';

const CA = '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nY2VydA==\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\na2V5\n-----END PRIVATE KEY-----\n';
const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');

test('kubeconfigYaml writes the standard layout with base64 data', () => {
  const doc = parse(kubeconfigYaml({ server: 'https://127.0.0.1:6443', caPem: CA, clientCertPem: CERT, clientKeyPem: KEY }));
  assert.equal(doc.apiVersion, 'v1');
  assert.equal(doc.kind, 'Config');
  assert.equal(doc['current-context'], 'kubernetes-admin@skiff');
  assert.deepEqual(doc.contexts, [{ name: 'kubernetes-admin@skiff', context: { cluster: 'skiff', user: 'kubernetes-admin' } }]);
  assert.equal(doc.clusters[0].name, 'skiff');
  assert.equal(doc.clusters[0].cluster.server, 'https://127.0.0.1:6443');
  assert.equal(decode(doc.clusters[0].cluster['certificate-authority-data']), CA);
  assert.equal(doc.users[0].name, 'kubernetes-admin');
  assert.equal(decode(doc.users[0].user['client-certificate-data']), CERT);
  assert.equal(decode(doc.users[0].user['client-key-data']), KEY);
});

test('names and namespace can be chosen; a token can stand in for the certificate', () => {
  const doc = parse(
    kubeconfigYaml({ server: 'https://[::1]:1', caPem: CA, token: 'abc.def', clusterName: 'c', userName: 'u', contextName: 'ctx', namespace: 'ns' }),
  );
  assert.equal(doc['current-context'], 'ctx');
  assert.deepEqual(doc.contexts[0].context, { cluster: 'c', user: 'u', namespace: 'ns' });
  assert.deepEqual(doc.users[0], { name: 'u', user: { token: 'abc.def' } });
});

test('a long certificate stays one unbroken base64 line', () => {
  const bigPem = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(2000)}\n-----END CERTIFICATE-----\n`;
  const text = kubeconfigYaml({ server: 'https://h:1', caPem: bigPem });
  const line = text.split('\n').find((l) => l.includes('certificate-authority-data'));
  assert.ok(line && decode(line.split(': ')[1]!) === bigPem);
});

test('writeKubeconfig writes mode 0600, replacing an older file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-kubeconfig-'));
  try {
    const path = join(dir, 'nested', 'admin.conf');
    await writeKubeconfig(path, { server: 'https://127.0.0.1:6443', caPem: CA, clientCertPem: CERT, clientKeyPem: KEY });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    await writeKubeconfig(path, { server: 'https://127.0.0.1:7443', caPem: CA, clientCertPem: CERT, clientKeyPem: KEY });
    const doc = parse(await readFile(path, 'utf8'));
    assert.equal(doc.clusters[0].cluster.server, 'https://127.0.0.1:7443');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
