// Skiff's kubectl beside kubectl 1.35 for the verbs that read -f: apply (client-side, --prune, --server-side, dry
// runs), diff, create -f, replace, delete -f and their errors. Each tool works on its own twin objects (`…-kreal`,
// `…-kskif`) from its own twin files, against one API server; outputs must match byte for byte after normalisation.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { kubectl, type KubectlResult } from '../support/kubectl.ts';
import { same as sameIn, type SameOptions } from '../support/kubectl-sidebyside.ts';
import { eventually } from '../support/server.ts';

const timeout = 120_000;

const deployment = (image: string, env: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-KTOOL
  namespace: apps
  labels: {app: web-KTOOL, tool: KTOOL}
spec:
  replicas: 2
  selector: {matchLabels: {app: web-KTOOL}}
  template:
    metadata: {labels: {app: web-KTOOL}}
    spec:
      containers:
      - name: web
        image: ${image}
        env:
${env}
      - name: sidecar
        image: busybox:1.36
`;

const rest = `---
apiVersion: v1
kind: Service
metadata:
  name: web-KTOOL
  namespace: apps
  labels: {tool: KTOOL}
spec:
  selector: {app: web-KTOOL}
  ports:
  - {name: http, port: 80, targetPort: 8080}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg-KTOOL
  namespace: cfgs
  labels: {tool: KTOOL}
data:
  greeting: hello
`;

const FILES: Record<string, string> = {
  'app.yaml': deployment('nginx:1.25', '        - {name: MODE, value: blue}\n        - {name: LEVEL, value: "1"}') + rest,
  'app-v2.yaml': deployment('nginx:1.27', '        - {name: MODE, value: green}\n        - {name: LEVEL, value: "1"}\n        - {name: EXTRA, value: "yes"}') + rest,
  'app-v3.yaml': deployment('nginx:1.27', '        - {name: EXTRA, value: "yes"}') + rest,
  'only-deploy.yaml': deployment('nginx:1.27', '        - {name: EXTRA, value: "yes"}'),
  'only-deploy-v4.yaml': deployment('nginx:1.28', '        - {name: EXTRA, value: "yes"}'),
  'ssa.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-KTOOL\ndata:\n  color: red\n',
  'ssa-other.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-KTOOL\ndata:\n  color: blue\n',
  'plain.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain-KTOOL\ndata:\n  a: "1"\n',
  'plain-v2.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain-KTOOL\ndata:\n  a: "2"\n',
  'psp.yaml': 'apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: psp-KTOOL\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: beside-psp-KTOOL\ndata: {a: b}\n',
  'invalid.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: bad-KTOOL\nspec:\n  ports:\n  - port: 0\n',
  'list.json': JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'listed-KTOOL' }, data: { k: 'v' } }] }),
  'secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: sec-KTOOL\ndata:\n  user: YWRtaW4=\n  pass: b2xk\n',
  'secret-v2.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: sec-KTOOL\ndata:\n  user: YWRtaW4=\n  pass: bmV3\n  token: dA==\n',
  'tree/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tree-a-KTOOL\n',
  'tree/notes.txt': 'not a manifest\n',
  'tree/sub/b.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tree-b-KTOOL\n',
  'widget.yaml': 'apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g-KTOOL\nspec:\n  color: red\n  size: 3\n  tags: [a, b]\n',
  'widget-v2.yaml': 'apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g-KTOOL\nspec:\n  color: blue\n  tags: [c]\n',
  'empty.yaml': '# nothing here\n',
  'nokind.yaml': 'apiVersion: v1\nmetadata:\n  name: nokind-KTOOL\n',
};

/** What legitimately differs between the two runs: temp directory names, file times, klog headers, server-made fields. */
function volatile(text: string): string {
  return text
    .replace(/\/tmp\/(LIVE|MERGED)-\d+/g, '/tmp/$1-N')
    .replace(/\t\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ [+-]\d{4}/g, '\t<time>')
    .replace(/^W\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ /gm, 'W<klog> ')
    .replace(/(creationTimestamp|resourceVersion|uid|time): .*$/gm, '$1: <v>')
    .replace(/\/tmp\/skiff-kubectl-apply-\w+/g, '<dir>');
}

describe('skiff kubectl apply/diff/create/replace/delete -f beside kubectl 1.35', { timeout: 10 * 60_000 }, () => {
  let cluster: TestCluster;
  let dir: string;

  before(async () => {
    cluster = await startTestCluster({});
    dir = await mkdtemp(join(tmpdir(), 'skiff-kubectl-apply-'));
    for (const tool of ['kreal', 'kskif']) {
      await mkdir(join(dir, tool, 'tree', 'sub'), { recursive: true });
      for (const [name, text] of Object.entries(FILES)) await writeFile(join(dir, tool, name), text.replace(/KTOOL/g, tool));
    }
    for (const ns of ['apps', 'cfgs']) {
      const r = await kubectl(['create', 'namespace', ns], { kubeconfig: cluster.kubeconfig });
      assert.equal(r.code, 0, r.stderr);
    }
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } } }],
      },
    };
    const r = await kubectl(['create', '-f', '-'], { kubeconfig: cluster.kubeconfig, input: JSON.stringify(crd) });
    assert.equal(r.code, 0, r.stderr);
    await eventually('the Gadget kind is served', async () => {
      const got = await kubectl(['get', 'gadgets'], { kubeconfig: cluster.kubeconfig });
      assert.equal(got.code, 0, got.stderr);
      return true;
    });
  });
  after(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const file = (name: string) => join(dir, 'KTOOL', name);
  const same = (args: string[], options: SameOptions = {}): Promise<KubectlResult> => sameIn(cluster.kubeconfig, args, { normalise: volatile, ...options });

  it('apply creates a multi-document file in two namespaces, then finds it unchanged', { timeout }, async () => {
    const created = await same(['apply', '-f', file('app.yaml')]);
    assert.equal(created.stdout, 'deployment.apps/web-kreal created\nservice/web-kreal created\nconfigmap/cfg-kreal created\n');
    const again = await same(['apply', '-f', file('app.yaml')]);
    assert.match(again.stdout, /deployment.apps\/web-kreal unchanged\nservice\/web-kreal unchanged\nconfigmap\/cfg-kreal unchanged/);
  });

  it('writes the same last-applied-configuration annotation', { timeout }, async () => {
    const r = await same(['get', 'deploy', 'web-KTOOL', '-n', 'apps', '-o', 'jsonpath={.metadata.annotations}']);
    assert.match(r.stdout, /last-applied-configuration/);
    await same(['get', 'cm', 'cfg-KTOOL', '-n', 'cfgs', '-o', 'jsonpath={.metadata.annotations}']);
  });

  it('apply after a change of image and env patches the containers the same way', { timeout }, async () => {
    const r = await same(['apply', '-f', file('app-v2.yaml')]);
    assert.match(r.stdout, /deployment.apps\/web-kreal configured\nservice\/web-kreal unchanged/);
    const got = await same(['get', 'deploy', 'web-KTOOL', '-n', 'apps', '-o', 'jsonpath={.spec.template.spec.containers[*].image} {.spec.template.spec.containers[0].env}']);
    assert.match(got.stdout, /nginx:1.27 busybox:1.36 .*EXTRA/);
  });

  it('apply that drops env entries removes them (three-way patch deletions)', { timeout }, async () => {
    await same(['apply', '-f', file('app-v3.yaml')]);
    const got = await same(['get', 'deploy', 'web-KTOOL', '-n', 'apps', '-o', 'jsonpath={.spec.template.spec.containers[0].env}']);
    assert.equal(got.stdout, '[{"name":"EXTRA","value":"yes"}]');
  });

  it('apply --dry-run=client and --dry-run=server change nothing', { timeout }, async () => {
    const client = await same(['apply', '-f', file('app.yaml'), '--dry-run=client']);
    assert.match(client.stdout, /deployment.apps\/web-kreal configured \(dry run\)/);
    const server = await same(['apply', '-f', file('app.yaml'), '--dry-run=server']);
    assert.match(server.stdout, /deployment.apps\/web-kreal configured \(server dry run\)/);
    const got = await same(['get', 'deploy', 'web-KTOOL', '-n', 'apps', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
    assert.equal(got.stdout, 'nginx:1.27');
  });

  it('apply -o name, and -o yaml of a dry-run create', { timeout }, async () => {
    const names = await same(['apply', '-f', file('app-v3.yaml'), '-o', 'name']);
    assert.equal(names.stdout, 'deployment.apps/web-kreal\nservice/web-kreal\nconfigmap/cfg-kreal\n');
    const yaml = await same(['apply', '-f', file('plain.yaml'), '--dry-run=client', '-o', 'yaml']);
    assert.match(yaml.stdout, /last-applied-configuration/);
    await same(['apply', '-f', file('list.json'), '--dry-run=client', '-o', 'json']);
  });

  it('apply -f DIR reads its manifests, -R those of sub-directories too', { timeout }, async () => {
    const flat = await same(['apply', '-f', file('tree'), '--dry-run=client']);
    assert.equal(flat.stdout, 'configmap/tree-a-kreal created (dry run)\n');
    const recursive = await same(['apply', '-R', '-f', file('tree'), '--dry-run=server']);
    assert.equal(recursive.stdout, 'configmap/tree-a-kreal created (server dry run)\nconfigmap/tree-b-kreal created (server dry run)\n');
  });

  it('apply -f - reads standard input', { timeout }, async () => {
    const input = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stdin-KTOOL\ndata:\n  a: b\n';
    const r = await same(['apply', '-f', '-'], { input });
    assert.equal(r.stdout, 'configmap/stdin-kreal created\n');
  });

  it('diff shows nothing for an applied file and the changes for another', { timeout }, async () => {
    const none = await same(['diff', '-f', file('app-v3.yaml')]);
    assert.equal(none.code, 0);
    const some = await same(['diff', '-f', file('app.yaml')]);
    assert.equal(some.code, 1);
    assert.match(some.stdout, /^-\s+image: nginx:1.27$/m);
    assert.match(some.stdout, /^\+\s+image: nginx:1.25$/m);
  });

  it('diff of an object that does not exist yet, and a diff error', { timeout }, async () => {
    const created = await same(['diff', '-f', file('plain.yaml')]);
    assert.equal(created.code, 1);
    const missing = await same(['diff', '-f', file('nope.yaml')]);
    assert.equal(missing.code, 2);
  });

  // The masked Secret values themselves ('*** (before)') are not compared: the shared YAML printer quotes them with
  // double quotes where Go's YAML writes single ones.
  it('diff runs KUBECTL_EXTERNAL_DIFF with its safe arguments', { timeout }, async () => {
    await same(['apply', '-f', file('secret.yaml')]);
    const external = await same(['diff', '-f', file('secret-v2.yaml')], { env: { KUBECTL_EXTERNAL_DIFF: 'diff -q --not$valid' } });
    assert.match(external.stdout, /^Files \/tmp\/LIVE-\d+\/v1.Secret.default.sec-kreal and \/tmp\/MERGED-\d+\/v1.Secret.default.sec-kreal differ$/m);
  });

  it('apply --prune -l deletes what the file no longer holds', { timeout }, async () => {
    const r = await same(['apply', '--prune', '-l', 'tool=KTOOL', '-f', file('only-deploy.yaml')]);
    assert.match(r.stdout, /deployment.apps\/web-kreal unchanged\nservice\/web-kreal pruned\n/);
    assert.match(r.stderr, /prune.go:71\] Deprecated/);
    const noSelector = await same(['apply', '--prune', '-f', file('only-deploy.yaml')]);
    assert.equal(noSelector.code, 1);
  });

  it('apply --server-side over a client-side applied object hands its fields to the kubectl manager', { timeout }, async () => {
    const r = await same(['apply', '--server-side', '-f', file('only-deploy.yaml')]);
    assert.equal(r.stdout, 'deployment.apps/web-kreal serverside-applied\n');
    const conflict = await same(['apply', '--server-side', '--field-manager=other', '-f', file('only-deploy-v4.yaml')]);
    assert.match(conflict.stderr, /^error: Apply failed with 1 conflict: conflict with "kubectl": \.spec\.template\.spec\.containers\[name="web"\]\.image\n/);
    const managers = async (tool: string) =>
      (await kubectl(['get', 'deploy', `web-${tool}`, '-n', 'apps', '-o', 'jsonpath={.metadata.managedFields[*].manager}'], { kubeconfig: cluster.kubeconfig })).stdout;
    assert.equal(await managers('kskif'), await managers('kreal'));
    assert.equal(await managers('kreal'), 'kubectl-last-applied kubectl');
  });

  it('apply --server-side, a conflict with another manager, and --force-conflicts', { timeout }, async () => {
    const first = await same(['apply', '--server-side', '-f', file('ssa.yaml')]);
    assert.equal(first.stdout, 'configmap/ssa-kreal serverside-applied\n');
    const conflict = await same(['apply', '--server-side', '--field-manager=other', '-f', file('ssa-other.yaml')]);
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /^error: Apply failed with 1 conflict: conflict with "kubectl": \.data\.color\n/);
    const forced = await same(['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', file('ssa-other.yaml')]);
    assert.equal(forced.code, 0);
    await same(['get', 'cm', 'ssa-KTOOL', '-o', 'jsonpath={.data.color}']);
  });

  it('apply of a custom resource uses a JSON merge patch', { timeout }, async () => {
    const created = await same(['apply', '-f', file('widget.yaml')]);
    assert.equal(created.stdout, 'gadget.example.com/g-kreal created\n');
    const configured = await same(['apply', '-f', file('widget-v2.yaml')]);
    assert.equal(configured.stdout, 'gadget.example.com/g-kreal configured\n');
    const got = await same(['get', 'gadget', 'g-KTOOL', '-o', 'jsonpath={.spec}']);
    assert.equal(got.stdout, '{"color":"blue","tags":["c"]}');
  });

  it('create -f, then again (AlreadyExists), then apply warns about the missing annotation', { timeout }, async () => {
    const created = await same(['create', '-f', file('plain.yaml')]);
    assert.equal(created.stdout, 'configmap/plain-kreal created\n');
    const again = await same(['create', '-f', file('plain.yaml')]);
    assert.equal(again.code, 1);
    const applied = await same(['apply', '-f', file('plain-v2.yaml')]);
    assert.match(applied.stderr, /^Warning: resource configmaps\/plain-kreal is missing the kubectl.kubernetes.io\/last-applied-configuration annotation/);
  });

  it('replace -f and replace --force', { timeout }, async () => {
    const r = await same(['replace', '-f', file('plain.yaml')]);
    assert.equal(r.stdout, 'configmap/plain-kreal replaced\n');
    const forced = await same(['replace', '--force', '-f', file('plain-v2.yaml')]);
    assert.match(forced.stdout, /replaced\n$/);
    const missing = await same(['replace', '-f', file('list.json')]);
    assert.equal(missing.code, 1);
  });

  it('delete -f, and delete -f of what is already gone', { timeout }, async () => {
    const r = await same(['delete', '-f', file('plain.yaml')]);
    assert.equal(r.code, 0);
    const gone = await same(['delete', '-f', file('plain.yaml')]);
    assert.equal(gone.code, 1);
  });

  it('errors: a missing file, an unknown kind, an invalid object, a namespace mismatch, a missing kind', { timeout }, async () => {
    const missing = await same(['apply', '-f', file('nope.yaml')]);
    assert.equal(missing.stderr, `error: the path "${join(dir, 'kreal', 'nope.yaml')}" does not exist\n`);
    const unknown = await same(['apply', '-f', file('psp.yaml')]);
    assert.match(unknown.stderr, /no matches for kind "PodSecurityPolicy" in version "policy\/v1beta1"\nensure CRDs are installed first\n$/);
    assert.equal(unknown.stdout, 'configmap/beside-psp-kreal created\n');
    const invalid = await same(['apply', '-f', file('invalid.yaml')]);
    assert.match(invalid.stderr, /^The Service "bad-kreal" is invalid/);
    await same(['create', '-f', file('invalid.yaml')]);
    const mismatch = await same(['apply', '-n', 'default', '-f', file('app-v3.yaml')]);
    assert.equal(mismatch.code, 1);
    const nokind = await same(['apply', '-f', file('nokind.yaml')]);
    assert.match(nokind.stderr, /kind not set/);
    await same(['apply']);
    const partial = await same(['delete', '-f', file('psp.yaml')]);
    assert.equal(partial.stdout, 'configmap "beside-psp-kreal" deleted from default namespace\n');
    assert.equal(partial.code, 1);
  });

  it('a file without objects: each verb answers as kubectl does', { timeout }, async () => {
    for (const verb of ['apply', 'create', 'replace', 'delete', 'diff']) await same([verb, '-f', file('empty.yaml')]);
  });
});
