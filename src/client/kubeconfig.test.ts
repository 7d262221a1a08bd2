import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { kubeconfigYaml } from '../adm/kubeconfig.ts';
import { KubeconfigError, loadKubeconfig } from './kubeconfig.ts';

describe('loadKubeconfig', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'skiff-kc-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads what Skiff writes: server, CA and client certificate of the current context', () => {
    const file = path.join(dir, 'admin.conf');
    writeFileSync(file, kubeconfigYaml({ server: 'https://10.0.0.1:6443', caPem: 'CA', clientCertPem: 'CERT', clientKeyPem: 'KEY', namespace: 'apps' }));
    const creds = loadKubeconfig(file);
    assert.deepEqual(creds, { server: 'https://10.0.0.1:6443', caPem: 'CA', certPem: 'CERT', keyPem: 'KEY', namespace: 'apps', context: 'kubernetes-admin@skiff' });
  });

  it('reads files relative to the kubeconfig and tokens', () => {
    writeFileSync(path.join(dir, 'ca.crt'), 'FILE-CA');
    const file = path.join(dir, 'token.conf');
    writeFileSync(file, [
      'apiVersion: v1', 'kind: Config', 'current-context: c',
      'clusters: [{name: k, cluster: {server: "https://h:1", certificate-authority: ca.crt}}]',
      'contexts: [{name: c, context: {cluster: k, user: u}}]',
      'users: [{name: u, user: {token: abc}}]',
    ].join('\n'));
    assert.deepEqual(loadKubeconfig(file), { server: 'https://h:1', caPem: 'FILE-CA', token: 'abc', context: 'c' });
  });

  it('says what is missing', () => {
    const file = path.join(dir, 'bad.conf');
    writeFileSync(file, 'apiVersion: v1\nkind: Config\ncurrent-context: nope\ncontexts: []\n');
    assert.throws(() => loadKubeconfig(file), (err: unknown) => err instanceof KubeconfigError && /context "nope" not found/.test(err.message));
    assert.throws(() => loadKubeconfig(path.join(dir, 'absent.conf')), /cannot read kubeconfig/);
  });
});
