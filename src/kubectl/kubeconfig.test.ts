import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeconfigFiles, KubeconfigError, loadMergedConfig, resolveClientConfig } from './kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-kubeconfig-'));
const first = join(dir, 'first.conf');
const second = join(dir, 'second.conf');
writeFileSync(join(dir, 'ca.pem'), 'CA-FROM-FILE');
writeFileSync(
  first,
  `apiVersion: v1
kind: Config
clusters:
- name: shared
  cluster: {server: "https://first:6443", certificate-authority: ca.pem}
contexts:
- name: one
  context: {cluster: shared, user: alice, namespace: team}
users:
- name: alice
  user: {token: alice-token}
`,
);
writeFileSync(
  second,
  `apiVersion: v1
kind: Config
current-context: two
clusters:
- name: shared
  cluster: {server: "https://second:6443"}
- name: other
  cluster: {server: "https://other:6443", insecure-skip-tls-verify: true}
contexts:
- name: two
  context: {cluster: other, user: bob}
users:
- name: bob
  user: {client-certificate-data: ${Buffer.from('CERT').toString('base64')}, client-key-data: ${Buffer.from('KEY').toString('base64')}}
`,
);

describe('kubeconfig merging', () => {
  it('splits KUBECONFIG, drops duplicates and empty entries', () => {
    assert.deepEqual(kubeconfigFiles(undefined, { KUBECONFIG: `${first}::${second}:${first}` }).files, [first, second]);
    assert.deepEqual(kubeconfigFiles('/x', { KUBECONFIG: first }), { files: ['/x'], explicit: true });
  });

  it('first file wins per name; current-context comes from the first file that sets it', () => {
    const merged = loadMergedConfig([first, join(dir, 'missing'), second], false);
    assert.equal(merged.currentContext, 'two');
    assert.equal(merged.clusters.get('shared')?.value['server'], 'https://first:6443');
    assert.deepEqual([...merged.contexts.keys()], ['one', 'two']);
    assert.deepEqual(merged.files, [first, second]);
  });

  it('a missing --kubeconfig file is an error', () => {
    assert.throws(() => loadMergedConfig([join(dir, 'missing')], true), KubeconfigError);
  });

  it('resolves the current context with its cluster, user, credentials and namespace', () => {
    const merged = loadMergedConfig([first, second], false);
    const c = resolveClientConfig(merged, {});
    assert.equal(c.server, 'https://other:6443');
    assert.equal(c.namespace, 'default');
    assert.equal(c.insecureSkipTlsVerify, true);
    assert.equal(c.certPem?.toString(), 'CERT');
    assert.equal(c.keyPem?.toString(), 'KEY');
  });

  it('--context, -n, --server, --token and --user override; CA files are relative to their kubeconfig', () => {
    const merged = loadMergedConfig([first, second], false);
    const c = resolveClientConfig(merged, { context: 'one' });
    assert.equal(c.server, 'https://first:6443');
    assert.equal(c.namespace, 'team');
    assert.equal(c.token, 'alice-token');
    assert.equal(c.caPem?.toString(), 'CA-FROM-FILE');
    const o = resolveClientConfig(merged, { context: 'one', namespace: 'x', server: 'https://flag:1', token: 't', user: 'bob' });
    assert.equal(o.server, 'https://flag:1');
    assert.equal(o.namespace, 'x');
    assert.equal(o.token, 't');
    assert.equal(o.certPem?.toString(), 'CERT');
    // --insecure-skip-tls-verify drops the CA.
    assert.equal(resolveClientConfig(merged, { context: 'one', insecureSkipTlsVerify: true }).caPem, undefined);
  });

  it('an unknown --context is an error; no config at all means localhost:8080', () => {
    const merged = loadMergedConfig([first, second], false);
    assert.throws(() => resolveClientConfig(merged, { context: 'nope' }), /context was not found for specified context: nope/);
    assert.equal(resolveClientConfig(loadMergedConfig([], false), {}).server, 'http://localhost:8080');
  });
});
