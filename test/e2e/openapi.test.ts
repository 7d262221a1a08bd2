// OpenAPI v3 against the real kubectl 1.35: explain reads the generated schemas, and apply / create -f pass
// kubectl's fieldValidation check (they refuse to run without it) and create objects.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl, kubectlOk, type KubectlResult } from '../support/kubectl.ts';
import { request, startSkiffServer, type SkiffServer } from '../support/server.ts';

const timeout = 120_000;

const configMap = (name: string, data: Record<string, string>) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data });

void describe('OpenAPI v3 with kubectl 1.35', { timeout: 10 * 60_000 }, () => {
  const abort = new AbortController();
  let server: SkiffServer;

  const run = (args: string[], input?: string): Promise<KubectlResult> =>
    kubectl(args, { kubeconfig: server.kubeconfig, timeoutMs: 60_000, ...(input === undefined ? {} : { input }) });
  const ok = (args: string[], input?: string): Promise<string> => kubectlOk(args, { kubeconfig: server.kubeconfig, timeoutMs: 60_000, input });

  before(async () => {
    server = await startSkiffServer({ datastore: 'sqlite', signal: abort.signal });
  });
  after(async () => {
    try {
      await server?.stop();
    } finally {
      abort.abort();
    }
  });

  void it('serves the root and a hashed group-version document over HTTPS', { timeout }, async () => {
    const root = await request(server, { path: '/openapi/v3' });
    assert.equal(root.status, 200);
    const url: string = root.json.paths['apis/apps/v1'].serverRelativeURL;
    assert.match(url, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
    const doc = await request(server, { path: url });
    assert.equal(doc.status, 200);
    assert.equal(doc.headers['cache-control'], 'public, immutable');
    assert.ok(doc.json.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch);
    const v2 = await request(server, { path: '/openapi/v2', headers: { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
    assert.equal(v2.status, 200);
    assert.equal(v2.headers['content-type'], 'application/octet-stream');
  });

  void it('explain deployment.spec.template.spec.containers prints the Container fields', { timeout }, async () => {
    const out = await ok(['explain', 'deployment.spec.template.spec.containers']);
    assert.match(out, /^GROUP:\s+apps$/m);
    assert.match(out, /^KIND:\s+Deployment$/m);
    assert.match(out, /^VERSION:\s+v1$/m);
    assert.match(out, /^FIELD: containers <\[\]Container>$/m);
    assert.match(out, /^DESCRIPTION:$/m);
    assert.match(out, /List of containers belonging to the pod\./);
    assert.match(out, /^FIELDS:$/m);
    assert.match(out, /^ {2}image\t<string>$/m);
    assert.match(out, /^ {2}name\t<string> -required-$/m);
    assert.match(out, /^ {2}ports\t<\[\]ContainerPort>$/m);
  });

  void it('explain lists the values of an enum field', { timeout }, async () => {
    const out = await ok(['explain', 'deployment.spec.strategy.type']);
    assert.match(out, /^FIELD: type <string>\nENUM:\n {4}Recreate\n {4}RollingUpdate$/m);
    assert.match(out, /Possible enum values:/);
  });

  void it('explain of a core kind and a nested field with a special type', { timeout }, async () => {
    const out = await ok(['explain', 'pods.spec.containers.resources.limits']);
    assert.match(out, /^KIND:\s+Pod$/m);
    assert.match(out, /^FIELD: limits <map\[string\]Quantity>$/m);
    const meta = await ok(['explain', 'configmap.metadata.creationTimestamp']);
    assert.match(meta, /^FIELD: creationTimestamp <string>$/m);
  });

  void it('apply -f creates a ConfigMap (fieldValidation found, server-side validation)', { timeout }, async () => {
    const result = await run(['apply', '-f', '-'], configMap('applied', { key: 'value' }));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'configmap/applied created\n');
    assert.doesNotMatch(result.stderr, /openapi|validat/i);
    const got = JSON.parse(await ok(['get', 'configmap', 'applied', '-o', 'json']));
    assert.deepEqual(got.data, { key: 'value' });
    assert.ok(got.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
  });

  void it('create -f creates a ConfigMap, and a second create is AlreadyExists', { timeout }, async () => {
    assert.equal(await ok(['create', '-f', '-'], configMap('created', { a: 'b' })), 'configmap/created created\n');
    const again = await run(['create', '-f', '-'], configMap('created', { a: 'b' }));
    assert.equal(again.code, 1);
    assert.match(again.stderr, /AlreadyExists/);
  });

  void it('create -f with an unknown field is rejected by the server (fieldValidation=Strict)', { timeout }, async () => {
    const bad = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bad' }, data: {}, bogus: 1 });
    const result = await run(['create', '-f', '-'], bad);
    assert.equal(result.code, 1);
    // The server's answer, not kubectl's own schema validation (which it would use without fieldValidation).
    assert.match(result.stderr, /^Error from server \(BadRequest\): .*unknown field "bogus"/m);
  });
});
