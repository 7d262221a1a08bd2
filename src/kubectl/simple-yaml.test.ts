import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { parseSimpleYaml } from './simple-yaml.ts';

const accepted = [
  `apiVersion: v1
kind: Config
clusters:
  - name: skiff
    cluster:
      server: https://127.0.0.1:36619
      certificate-authority-data: LS0tLS1CRUdJTiBDRVJU==
contexts:
  - name: kubernetes-admin@skiff
    context:
      cluster: skiff
      user: kubernetes-admin
current-context: kubernetes-admin@skiff
preferences: {}
users:
  - name: kubernetes-admin
    user:
      client-certificate-data: LS0tLS1CRUdJTiBDRVJU
`,
  `---
# written by hand
apiVersion: v1
clusters:
- cluster:
    insecure-skip-tls-verify: true
    server: "https://10.0.0.1:6443"   # the lab
  name: lab
- name: 'o''brien'
  cluster: {}
contexts: []
current-context: ""
users:
- name: a
  user:
    token: abc#def
    tokenFile: ~
    exec:
      args:
      - get-token
      -
      - --x
      env: null
`,
  'a:\n  b:\n    c: d\n  e: f\ng: h\n',
];

const rejected = [
  'a: 1\n', // numbers are left to the yaml package
  'a: &x b\nc: *x\n',
  'a: |\n  text\n',
  'a: "esc\\n"\n',
  'a: [x]\n',
  'a: b\n  c\n', // a multi-line plain scalar
  'a: b\na: c\n', // duplicate keys: the yaml package reports them
  'a:\tb\n',
  'a: b\r\n',
  '- a\n- - b\n',
  'plain\n',
  'a: b\n- c\n',
  'a: "x" y\n',
  '',
];

test('the subset parses as the yaml package does', () => {
  for (const text of accepted) assert.deepEqual(parseSimpleYaml(text), parse(text), text);
});

test('anything beyond the subset is left to the yaml package', () => {
  for (const text of rejected) assert.equal(parseSimpleYaml(text), undefined, JSON.stringify(text));
});
