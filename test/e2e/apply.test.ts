// The real kubectl 1.35 against `skiff server`: apply (client- and server-side), prune, diff, edit, replace, patch,
// set image, explain, auth, the tutorial's flannel manifest, CustomResourceDefinitions, and bad patches sent raw.
// The API-compatibility issue's "Must show" list; every expected text is what upstream Kubernetes prints.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubectl, kubectlOk, type KubectlResult } from '../support/kubectl.ts';
import { eventually, readKubeconfig, request, startSkiffServer, type Response, type SkiffServer } from '../support/server.ts';

const timeout = 120_000;
const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const flannelManifest = resolve(fixtures, 'kube-flannel.yml');
const crontabFixtures = join(fixtures, 'crontab');

interface WebManifest {
  image: string;
  configData?: string;
  withConfigMap?: boolean;
}

/** A Deployment, a Service and (optionally) a ConfigMap, all labelled app=web, as one multi-document YAML. */
function webManifest({ image, configData = 'value1', withConfigMap = true }: WebManifest): string {
  const docs = [
    `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: ${image}
        ports:
        - containerPort: 80
`,
    `apiVersion: v1
kind: Service
metadata:
  name: web
  labels:
    app: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 80
`,
  ];
  if (withConfigMap) {
    docs.push(`apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  labels:
    app: web
data:
  key: ${configData}
`);
  }
  return docs.join('---\n');
}

function ssaManifest(name: string, replicas: number): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: 'ssa' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'ssa' } },
      template: { metadata: { labels: { app: 'ssa' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
    },
  });
}

function assertStatus(response: Response, code: number, reason: string | undefined): any {
  assert.equal(response.status, code, `HTTP ${response.status}: ${response.body.slice(0, 800)}`);
  const status = response.json;
  assert.ok(status, `the answer is a JSON Status: ${response.body.slice(0, 800)}`);
  assert.equal(status.kind, 'Status');
  assert.equal(status.apiVersion, 'v1');
  assert.equal(status.status, 'Failure');
  assert.equal(status.code, code);
  assert.equal(status.reason, reason);
  return status;
}

void describe('kubectl 1.35 apply, patch, edit, explain and CRDs against skiff server', { timeout: 20 * 60_000 }, () => {
  const abort = new AbortController();
  let server: SkiffServer;

  const run = (args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<KubectlResult> =>
    kubectl(args, { kubeconfig: server.kubeconfig, timeoutMs: 90_000, ...options });
  /** Runs kubectl, asserts it succeeded, returns stdout. */
  const ok = (args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<string> =>
    kubectlOk(args, { kubeconfig: server.kubeconfig, timeoutMs: 90_000, ...options });
  const json = async (args: string[]): Promise<any> => JSON.parse(await ok([...args, '-o', 'json']));
  /** Writes `content` into the server's data dir and returns the path. */
  const file = (name: string, content: string): string => {
    const path = join(server.dataDir, name);
    writeFileSync(path, content);
    return path;
  };

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

  void describe('client-side apply', () => {
    void it('apply -f of a multi-document manifest creates every object', { timeout }, async () => {
      const out = await ok(['apply', '-f', file('web-v1.yaml', webManifest({ image: 'nginx:1.27' }))]);
      assert.equal(out, 'deployment.apps/web created\nservice/web created\nconfigmap/web-config created\n');
      const deploy = await json(['get', 'deployment', 'web']);
      assert.equal(deploy.spec.template.spec.containers[0].image, 'nginx:1.27');
      const lastApplied = JSON.parse(deploy.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
      assert.equal(lastApplied.spec.template.spec.containers[0].image, 'nginx:1.27');
      assert.deepEqual((await json(['get', 'configmap', 'web-config'])).data, { key: 'value1' });
      assert.equal((await json(['get', 'service', 'web'])).spec.ports[0].port, 80);
    });

    void it('re-apply patches only the changed objects and prints unchanged for the rest', { timeout }, async () => {
      const serviceBefore = await json(['get', 'service', 'web']);
      const deployBefore = await json(['get', 'deployment', 'web']);
      const out = await ok(['apply', '-f', file('web-v2.yaml', webManifest({ image: 'nginx:1.28', configData: 'value2' }))]);
      assert.equal(out, 'deployment.apps/web configured\nservice/web unchanged\nconfigmap/web-config configured\n');
      const deploy = await json(['get', 'deployment', 'web']);
      assert.equal(deploy.spec.template.spec.containers[0].image, 'nginx:1.28');
      assert.equal(deploy.metadata.generation, deployBefore.metadata.generation + 1);
      assert.equal(deploy.metadata.uid, deployBefore.metadata.uid);
      assert.deepEqual((await json(['get', 'configmap', 'web-config'])).data, { key: 'value2' });
      const service = await json(['get', 'service', 'web']);
      assert.equal(service.metadata.resourceVersion, serviceBefore.metadata.resourceVersion, 'the unchanged Service was not written');
    });

    void it('apply --prune -l app=web deletes the labelled object no longer in the manifest', { timeout }, async () => {
      const manifest = file('web-v3.yaml', webManifest({ image: 'nginx:1.28', withConfigMap: false }));
      const out = await ok(['apply', '--prune', '-l', 'app=web', '-f', manifest]);
      assert.equal(out, 'deployment.apps/web unchanged\nservice/web unchanged\nconfigmap/web-config pruned\n');
      const gone = await run(['get', 'configmap', 'web-config']);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /^Error from server \(NotFound\): configmaps "web-config" not found$/m);
      assert.equal(await ok(['get', 'deployment,service', '-l', 'app=web', '-o', 'name']), 'deployment.apps/web\nservice/web\n');
    });

    void it('diff exits 0 with no output when the manifest matches, 1 with a unified diff when it differs', { timeout }, async () => {
      const same = await run(['diff', '-f', join(server.dataDir, 'web-v3.yaml')]);
      assert.equal(same.code, 0, `diff of the applied manifest: ${same.stderr}\n${same.stdout}`);
      assert.equal(same.stdout, '');

      const changed = await run(['diff', '-f', file('web-v4.yaml', webManifest({ image: 'nginx:1.29', withConfigMap: false }))]);
      assert.equal(changed.code, 1, `diff of a changed manifest: ${changed.stderr}`);
      assert.match(changed.stdout, /^diff -u -N \S+\/LIVE-\d+\/apps\.v1\.Deployment\.default\.web \S+\/MERGED-\d+\/apps\.v1\.Deployment\.default\.web$/m);
      assert.match(changed.stdout, /^--- \S+\/LIVE-\d+\/apps\.v1\.Deployment\.default\.web\t/m);
      assert.match(changed.stdout, /^\+\+\+ \S+\/MERGED-\d+\/apps\.v1\.Deployment\.default\.web\t/m);
      assert.match(changed.stdout, /^@@ -\d+,\d+ \+\d+,\d+ @@/m);
      assert.match(changed.stdout, /^- {6}- image: nginx:1\.28$/m);
      assert.match(changed.stdout, /^\+ {6}- image: nginx:1\.29$/m);
      assert.doesNotMatch(changed.stdout, /v1\.Service\.default\.web/, 'the unchanged Service is not in the diff');
      // diff is a dry run: nothing changed.
      assert.equal(await ok(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'nginx:1.28');
    });
  });

  void describe('server-side apply', () => {
    void it('apply --server-side creates, a second manager takes replicas, and a later apply conflicts until --force-conflicts', { timeout }, async () => {
      assert.equal(await ok(['apply', '--server-side', '-f', '-'], { input: ssaManifest('ssa', 2) }), 'deployment.apps/ssa serverside-applied\n');
      const created = await json(['get', 'deployment', 'ssa', '--show-managed-fields']);
      assert.equal(created.spec.replicas, 2);
      const applier = created.metadata.managedFields.find((m: any) => m.manager === 'kubectl' && m.operation === 'Apply');
      assert.ok(applier, `a managedFields entry for kubectl/Apply: ${JSON.stringify(created.metadata.managedFields)}`);
      assert.deepEqual(applier.fieldsV1['f:spec']['f:replicas'], {});

      assert.equal(await ok(['scale', 'deployment', 'ssa', '--replicas=5']), 'deployment.apps/ssa scaled\n');
      assert.equal(await ok(['get', 'deployment', 'ssa', '-o', 'jsonpath={.spec.replicas}']), '5');

      const conflict = await run(['apply', '--server-side', '-f', '-'], { input: ssaManifest('ssa', 3) });
      assert.equal(conflict.code, 1, `apply against another manager's replicas: ${conflict.stdout}`);
      assert.match(conflict.stderr, /^error: Apply failed with 1 conflict: conflict with "kubectl" .*: \.spec\.replicas$/m);
      assert.match(conflict.stderr, /re-run the apply\s+command with the `--force-conflicts` flag/);
      assert.equal(await ok(['get', 'deployment', 'ssa', '-o', 'jsonpath={.spec.replicas}']), '5', 'the conflicting apply changed nothing');

      assert.equal(await ok(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: ssaManifest('ssa', 3) }), 'deployment.apps/ssa serverside-applied\n');
      const forced = await json(['get', 'deployment', 'ssa', '--show-managed-fields']);
      assert.equal(forced.spec.replicas, 3);
      const owners = forced.metadata.managedFields.filter((m: any) => m.fieldsV1?.['f:spec']?.['f:replicas']);
      assert.deepEqual(
        owners.map((m: any) => `${m.manager}/${m.operation}`),
        ['kubectl/Apply'],
        'after --force-conflicts the applier alone owns spec.replicas',
      );
    });

    void it('kubectl scale is recorded as a scale-subresource manager, and the conflict names it as upstream does', { timeout }, async () => {
      assert.equal(await ok(['apply', '--server-side', '-f', '-'], { input: ssaManifest('ssa-scale', 2) }), 'deployment.apps/ssa-scale serverside-applied\n');
      assert.equal(await ok(['scale', 'deployment', 'ssa-scale', '--replicas=4']), 'deployment.apps/ssa-scale scaled\n');
      const conflict = await run(['apply', '--server-side', '-f', '-'], { input: ssaManifest('ssa-scale', 3) });
      assert.equal(conflict.code, 1);
      // kubectl scale sends no fieldManager: upstream names the manager after the user agent ("kubectl"),
      // records the subresource, and prints both in the conflict.
      assert.match(conflict.stderr, /^error: Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps\/v1: \.spec\.replicas$/m);
      const scaled = await json(['get', 'deployment', 'ssa-scale', '--show-managed-fields']);
      const scaler = scaled.metadata.managedFields.find((m: any) => m.operation === 'Update' && m.subresource === 'scale');
      assert.ok(scaler, `a managedFields entry for the scale: ${JSON.stringify(scaled.metadata.managedFields)}`);
      assert.equal(scaler.manager, 'kubectl');
      assert.equal(scaler.apiVersion, 'apps/v1');
      assert.deepEqual(scaler.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
      assert.equal(scaler.subresource, 'scale');
    });
  });

  void describe('edit, replace, patch and set image', () => {
    void it('edit with a non-interactive EDITOR', { timeout }, async () => {
      assert.equal(await ok(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}']), '1');
      const out = await ok(['edit', 'deployment/web'], { env: { EDITOR: 'sed -i s/replicas:\\ 1/replicas:\\ 2/' } });
      assert.equal(out, 'deployment.apps/web edited\n');
      const deploy = await json(['get', 'deployment', 'web', '--show-managed-fields']);
      assert.equal(deploy.spec.replicas, 2);
      assert.ok(deploy.metadata.managedFields.some((m: any) => m.manager === 'kubectl-edit' && m.operation === 'Update'));
    });

    void it('replace -f with a changed object', { timeout }, async () => {
      const live = await json(['get', 'deployment', 'web']);
      live.spec.replicas = 4;
      live.spec.template.spec.containers[0].image = 'nginx:1.26';
      live.metadata.labels.replaced = 'yes';
      assert.equal(await ok(['replace', '-f', file('web-replace.json', JSON.stringify(live))]), 'deployment.apps/web replaced\n');
      const replaced = await json(['get', 'deployment', 'web']);
      assert.equal(replaced.metadata.uid, live.metadata.uid);
      assert.equal(replaced.spec.replicas, 4);
      assert.equal(replaced.spec.template.spec.containers[0].image, 'nginx:1.26');
      assert.equal(replaced.metadata.labels.replaced, 'yes');
      assert.equal(replaced.metadata.generation, live.metadata.generation + 1);

      // A stale resourceVersion is refused (replace sends the one in the file).
      const stale = await run(['replace', '-f', join(server.dataDir, 'web-replace.json')]);
      assert.equal(stale.code, 1);
      assert.match(
        stale.stderr,
        /Operation cannot be fulfilled on deployments\.apps "web": the object has been modified; please apply your changes to the latest version and try again/,
      );
    });

    void it('patch --type=json replaces an image', { timeout }, async () => {
      const out = await ok(['patch', 'deployment', 'web', '--type=json', '-p', '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.25"}]']);
      assert.equal(out, 'deployment.apps/web patched\n');
      assert.equal(await ok(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'nginx:1.25');
    });

    void it('patch --type=merge adds a label', { timeout }, async () => {
      const out = await ok(['patch', 'deployment', 'web', '--type=merge', '-p', '{"metadata":{"labels":{"tier":"frontend"}}}']);
      assert.equal(out, 'deployment.apps/web patched\n');
      assert.deepEqual((await json(['get', 'deployment', 'web'])).metadata.labels, { app: 'web', replaced: 'yes', tier: 'frontend' });
    });

    void it('patch --type=strategic adds a container by name and keeps the other', { timeout }, async () => {
      const patch = '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.36"}]}}}}';
      assert.equal(await ok(['patch', 'deployment', 'web', '--type=strategic', '-p', patch]), 'deployment.apps/web patched\n');
      const containers = (await json(['get', 'deployment', 'web'])).spec.template.spec.containers;
      // Upstream's SMP puts patch items not in the live list before the live-only ones.
      assert.deepEqual(
        containers.map((c: any) => [c.name, c.image]),
        [
          ['sidecar', 'busybox:1.36'],
          ['web', 'nginx:1.25'],
        ],
      );
      assert.equal(containers[0].imagePullPolicy, 'IfNotPresent', 'the new container is defaulted');
      assert.equal(await ok(['patch', 'deployment', 'web', '--type=strategic', '-p', patch]), 'deployment.apps/web patched (no change)\n');
    });

    void it('set image changes one container', { timeout }, async () => {
      assert.equal(await ok(['set', 'image', 'deployment/web', 'web=nginx:1.29']), 'deployment.apps/web image updated\n');
      const containers = (await json(['get', 'deployment', 'web'])).spec.template.spec.containers;
      assert.deepEqual(
        containers.map((c: any) => [c.name, c.image]),
        [
          ['sidecar', 'busybox:1.36'],
          ['web', 'nginx:1.29'],
        ],
      );
    });

    void it('an invalid object is rejected with the field and message upstream prints', { timeout }, async () => {
      const result = await run(['apply', '-f', '-'], { input: ssaManifest('negative', -1) });
      assert.equal(result.code, 1);
      assert.equal(result.stderr, 'The Deployment "negative" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0\n');
      const absent = await run(['get', 'deployment', 'negative']);
      assert.equal(absent.code, 1);
    });
  });

  void describe('explain', () => {
    void it('explain deployment.spec.template.spec.containers lists the Container fields', { timeout }, async () => {
      const out = await ok(['explain', 'deployment.spec.template.spec.containers']);
      assert.match(out, /^GROUP:\s+apps$/m);
      assert.match(out, /^KIND:\s+Deployment$/m);
      assert.match(out, /^VERSION:\s+v1$/m);
      assert.match(out, /^FIELD: containers <\[\]Container>$/m);
      assert.match(out, /^DESCRIPTION:\n\s+List of containers belonging to the pod\./m);
      assert.match(out, /^FIELDS:$/m);
      assert.match(out, /^ {2}image\t<string>$/m);
      assert.match(out, /^ {2}name\t<string> -required-$/m);
      assert.match(out, /^ {2}ports\t<\[\]ContainerPort>$/m);
      assert.match(out, /^ {2}env\t<\[\]EnvVar>$/m);
      assert.match(out, /^ {2}volumeMounts\t<\[\]VolumeMount>$/m);
      assert.match(out, /^ {2}resources\t<ResourceRequirements>$/m);
      assert.match(out, /^ {2}livenessProbe\t<Probe>$/m);
    });

    void it('explain pod.spec.containers.ports.protocol shows the enum', { timeout }, async () => {
      const out = await ok(['explain', 'pod.spec.containers.ports.protocol']);
      assert.match(out, /^KIND:\s+Pod\nVERSION:\s+v1\n\nFIELD: protocol <string>\n/m);
      assert.match(out, /^ENUM:\n\s+SCTP\n\s+TCP\n\s+UDP\n/m);
      assert.match(out, /Protocol for port\. Must be UDP, TCP, or SCTP\. Defaults to "TCP"\./);
    });
  });

  void describe('the flannel manifest', () => {
    void it('creates everything but the PodSecurityPolicy, which fails as on current Kubernetes', { timeout }, async () => {
      const result = await run(['apply', '-f', flannelManifest]);
      assert.equal(result.code, 1, `kubectl apply of kube-flannel.yml:\n${result.stdout}\n${result.stderr}`);
      assert.equal(
        result.stdout,
        [
          'clusterrole.rbac.authorization.k8s.io/flannel created',
          'clusterrolebinding.rbac.authorization.k8s.io/flannel created',
          'serviceaccount/flannel created',
          'configmap/kube-flannel-cfg created',
          'daemonset.apps/kube-flannel-ds created',
          '',
        ].join('\n'),
        `stderr:\n${result.stderr}`,
      );
      assert.match(result.stderr, /no matches for kind "PodSecurityPolicy" in version "policy\/v1beta1"/);
      assert.ok(
        result.stderr.endsWith(
          `error: resource mapping not found for name: "psp.flannel.unprivileged" namespace: "" from "${flannelManifest}": ` +
            'no matches for kind "PodSecurityPolicy" in version "policy/v1beta1"\nensure CRDs are installed first\n',
        ),
        result.stderr,
      );

      assert.equal(await ok(['get', 'clusterrole', 'flannel', '-o', 'name']), 'clusterrole.rbac.authorization.k8s.io/flannel\n');
      const binding = await json(['get', 'clusterrolebinding', 'flannel']);
      assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'flannel' });
      assert.equal(await ok(['get', 'serviceaccount', 'flannel', '-n', 'kube-system', '-o', 'name']), 'serviceaccount/flannel\n');
      const config = await json(['get', 'configmap', 'kube-flannel-cfg', '-n', 'kube-system']);
      assert.equal(JSON.parse(config.data['net-conf.json']).Network, '10.244.0.0/16');
      const daemonSet = await json(['get', 'daemonset', 'kube-flannel-ds', '-n', 'kube-system']);
      assert.equal(daemonSet.spec.template.spec.containers[0].image, 'quay.io/coreos/flannel:v0.14.0');
      assert.equal(daemonSet.spec.template.spec.initContainers[0].name, 'install-cni');
      assert.equal(daemonSet.spec.template.spec.serviceAccountName, 'flannel');
      const psp = await run(['get', 'podsecuritypolicies']);
      assert.equal(psp.code, 1);
      assert.match(psp.stderr, /the server doesn't have a resource type "podsecuritypolicies"/);
    });
  });

  void describe('auth', () => {
    void it('auth can-i create deployments answers yes', { timeout }, async () => {
      assert.equal(await ok(['auth', 'can-i', 'create', 'deployments']), 'yes\n');
      assert.equal(await ok(['auth', 'can-i', 'delete', 'nodes']), 'yes\n');
    });

    void it('auth whoami shows the admin user, its groups and its certificate credential id', { timeout }, async () => {
      const fingerprint = new X509Certificate(readKubeconfig(server.kubeconfig).cert).fingerprint256.replaceAll(':', '').toLowerCase();
      const out = await ok(['auth', 'whoami']);
      const rows = out.split('\n').map((line) => line.split(/ {2,}/));
      assert.deepEqual(rows, [
        ['ATTRIBUTE', 'VALUE'],
        ['Username', 'kubernetes-admin'],
        ['Groups', '[system:masters system:authenticated]'],
        ['Extra: authentication.kubernetes.io/credential-id', `[X509SHA256=${fingerprint}]`],
        [''],
      ]);
    });
  });

  void describe('bad patches sent raw: the right Status and nothing stored', () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/guarded';
    // The deployment controller writes status meanwhile, so the resourceVersion may move; generation may not.
    const stored = async (): Promise<{ generation: number; spec: unknown; labels: unknown }> => {
      const response = await request(server, { path });
      assert.equal(response.status, 200, response.body);
      return { generation: response.json.metadata.generation, spec: response.json.spec, labels: response.json.metadata.labels };
    };
    const unchanged = async (attempt: () => Promise<void>): Promise<void> => {
      const beforeAttempt = await stored();
      await attempt();
      assert.deepEqual(await stored(), beforeAttempt, 'stored object unchanged');
    };
    const patch = (contentType: string, body: unknown, query = ''): Promise<Response> =>
      request(server, { method: 'PATCH', path: path + query, headers: { 'Content-Type': contentType }, body: JSON.stringify(body) });

    before(async () => {
      const created = await request(server, {
        method: 'POST',
        path: '/apis/apps/v1/namespaces/default/deployments',
        body: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'guarded', labels: { app: 'guarded' } },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'guarded' } },
            template: { metadata: { labels: { app: 'guarded' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
          },
        },
      });
      assert.equal(created.status, 201, created.body);
    });

    void it('an unknown strategic merge patch directive: 500 with the merge error, as upstream', { timeout }, async () => {
      await unchanged(async () => {
        const response = await patch('application/strategic-merge-patch+json', { metadata: { labels: { $patch: 'foo' } }, spec: { replicas: 9 } });
        // Upstream passes this mergepatch error through unconverted: 500, no reason.
        const status = assertStatus(response, 500, undefined);
        assert.equal(status.message, 'unknown patch type: foo in map: map[$patch:foo]');
      });
    });

    void it('an apply patch without fieldManager: 422 on PatchOptions', { timeout }, async () => {
      await unchanged(async () => {
        const response = await patch('application/apply-patch+yaml', {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'guarded' },
          spec: { replicas: 3 },
        });
        const status = assertStatus(response, 422, 'Invalid');
        assert.equal(status.message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
        assert.deepEqual(status.details, {
          group: 'meta.k8s.io',
          kind: 'PatchOptions',
          causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }],
        });
      });
      const absent = '/apis/apps/v1/namespaces/default/deployments/never-applied';
      const create = await request(server, {
        method: 'PATCH',
        path: absent,
        headers: { 'Content-Type': 'application/apply-patch+yaml' },
        body: JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'never-applied' } }),
      });
      assertStatus(create, 422, 'Invalid');
      assert.equal((await request(server, { path: absent })).status, 404, 'an apply without fieldManager creates nothing');
    });

    void it('a JSON Patch whose test op fails: 422 with upstream generic message', { timeout }, async () => {
      await unchanged(async () => {
        const response = await patch('application/json-patch+json', [
          { op: 'test', path: '/spec/replicas', value: 99 },
          { op: 'replace', path: '/spec/replicas', value: 7 },
        ]);
        const status = assertStatus(response, 422, 'Invalid');
        assert.equal(status.message, 'the server rejected our request due to an error in our request');
        assert.deepEqual(status.details, {});
      });
    });

    void it('a patch changing an immutable field (spec.selector): 422 field is immutable', { timeout }, async () => {
      await unchanged(async () => {
        // Selector and template labels change together, so the only error is immutability.
        const response = await patch('application/merge-patch+json', {
          spec: { selector: { matchLabels: { extra: 'x' } }, template: { metadata: { labels: { extra: 'x' } } } },
        });
        const status = assertStatus(response, 422, 'Invalid');
        const body = 'Invalid value: {"matchLabels":{"app":"guarded","extra":"x"}}: field is immutable';
        assert.equal(status.message, `Deployment.apps "guarded" is invalid: spec.selector: ${body}`);
        assert.deepEqual(status.details, {
          name: 'guarded',
          group: 'apps',
          kind: 'Deployment',
          causes: [{ reason: 'FieldValueInvalid', message: body, field: 'spec.selector' }],
        });
      });
    });
  });

  void describe('events', () => {
    void it('one event seen through core/v1 and events.k8s.io/v1, selected by involvedObject fields', { timeout }, async () => {
      await ok(['create', 'configmap', 'evented']);
      const uid = (await json(['get', 'configmap', 'evented'])).metadata.uid;
      const event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'evented.1', namespace: 'default' },
        involvedObject: { apiVersion: 'v1', kind: 'ConfigMap', name: 'evented', namespace: 'default', uid },
        reason: 'Checked',
        message: 'looked at it',
        type: 'Normal',
        source: { component: 'e2e' },
        count: 2,
        firstTimestamp: '2026-01-01T00:00:00Z',
        lastTimestamp: '2026-01-01T00:00:10Z',
      };
      assert.equal(await ok(['create', '-f', '-'], { input: JSON.stringify(event) }), 'event/evented.1 created\n');
      // The same object in the events.k8s.io/v1 shape.
      const v1 = await json(['get', 'events.v1.events.k8s.io', 'evented.1']);
      assert.equal(v1.apiVersion, 'events.k8s.io/v1');
      assert.deepEqual(v1.regarding, event.involvedObject);
      assert.equal(v1.note, 'looked at it');
      assert.equal(v1.reason, 'Checked');
      assert.equal(v1.deprecatedCount, 2);
      // The field selectors kubectl describe sends.
      const selected = await json(['get', 'events', '--field-selector', `involvedObject.name=evented,involvedObject.namespace=default,involvedObject.uid=${uid}`]);
      assert.deepEqual(selected.items.map((e: any) => e.metadata.name), ['evented.1']);
      const none = await json(['get', 'events', '--field-selector', 'involvedObject.kind=Secret']);
      assert.deepEqual(none.items, []);
    });
  });

  void describe('a CustomResourceDefinition with a structural schema', () => {
    const crdName = 'crontabs.stable.example.com';
    const crdFile = join(crontabFixtures, 'crd.yaml');
    const established = () =>
      eventually(
        `${crdName} Established`,
        async () => {
          const result = await run(['get', 'crd', crdName, '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}']);
          return result.code === 0 && result.stdout === 'True' ? true : undefined;
        },
        { attempts: 60, intervalMs: 250, timeoutMs: 30_000 },
      );

    void it('apply of the CRD; it becomes Established', { timeout }, async () => {
      assert.equal(await ok(['apply', '-f', crdFile]), `customresourcedefinition.apiextensions.k8s.io/${crdName} created\n`);
      await established();
      const crd = await json(['get', 'crd', crdName]);
      assert.ok(
        crd.status.conditions.some((c: any) => c.type === 'NamesAccepted' && c.status === 'True'),
        JSON.stringify(crd.status.conditions),
      );
      assert.deepEqual(crd.status.acceptedNames.shortNames, ['ct']);
      assert.deepEqual(crd.status.storedVersions, ['v1']);
      assert.match(await ok(['api-resources', '--api-group=stable.example.com']), /^crontabs\s+ct\s+stable\.example\.com\/v1\s+true\s+CronTab$/m);
    });

    void it('apply of two CronTabs; get shows the printer columns; get ct works', { timeout }, async () => {
      assert.equal(
        await ok(['apply', '-f', join(crontabFixtures, 'crontabs.yaml')]),
        'crontab.stable.example.com/every-five created\ncrontab.stable.example.com/hourly created\n',
      );
      const table = await ok(['get', 'crontabs']);
      assert.match(table, /^NAME\s+SPEC\s+REPLICAS\s+AGE\n/);
      assert.match(table, /^every-five\s+\*\/5 \* \* \* \*\s+2\s+\d+[smhd]\S*$/m);
      assert.match(table, /^hourly\s+0 \* \* \* \*\s+1\s+\d+[smhd]\S*$/m);
      assert.equal(await ok(['get', 'ct', '-o', 'name']), 'crontab.stable.example.com/every-five\ncrontab.stable.example.com/hourly\n');
      const hourly = await json(['get', 'ct', 'hourly']);
      assert.equal(hourly.apiVersion, 'stable.example.com/v1');
      assert.equal(hourly.kind, 'CronTab');
      assert.deepEqual(hourly.spec, { cronSpec: '0 * * * *', image: 'my-cron-image:2', replicas: 1 });
      // Re-apply is a no-op.
      assert.equal(
        await ok(['apply', '-f', join(crontabFixtures, 'crontabs.yaml')]),
        'crontab.stable.example.com/every-five unchanged\ncrontab.stable.example.com/hourly unchanged\n',
      );
    });

    void it('an invalid CronTab is rejected with 422 and causes', { timeout }, async () => {
      const result = await run(['apply', '-f', join(crontabFixtures, 'invalid.yaml')]);
      assert.equal(result.code, 1);
      assert.equal(result.stderr, 'The CronTab "bad" is invalid: spec.replicas: Invalid value: 50: spec.replicas in body should be less than or equal to 10\n');
      assert.equal((await run(['get', 'crontab', 'bad'])).code, 1, 'nothing stored');

      const raw = await request(server, {
        method: 'POST',
        path: '/apis/stable.example.com/v1/namespaces/default/crontabs',
        body: { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'bad' }, spec: { cronSpec: '* * * * *', replicas: 50 } },
      });
      const status = assertStatus(raw, 422, 'Invalid');
      assert.equal(status.message, 'CronTab.stable.example.com "bad" is invalid: spec.replicas: Invalid value: 50: spec.replicas in body should be less than or equal to 10');
      assert.deepEqual(status.details, {
        name: 'bad',
        group: 'stable.example.com',
        kind: 'CronTab',
        causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 50: spec.replicas in body should be less than or equal to 10', field: 'spec.replicas' }],
      });
    });

    void it('deleting the CRD deletes its objects and the resource type', { timeout }, async () => {
      assert.equal(await ok(['delete', 'crd', crdName]), `customresourcedefinition.apiextensions.k8s.io "${crdName}" deleted\n`);
      assert.equal((await run(['get', 'crd', crdName])).code, 1);
      // Refresh kubectl's discovery cache, as any later invocation would once it expires.
      assert.doesNotMatch(await ok(['api-resources']), /crontabs/);
      const gone = await run(['get', 'crontabs']);
      assert.equal(gone.code, 1);
      assert.equal(gone.stderr, 'error: the server doesn\'t have a resource type "crontabs"\n');

      // Defining the type again shows that the objects were deleted, not only hidden.
      assert.equal(await ok(['apply', '-f', crdFile]), `customresourcedefinition.apiextensions.k8s.io/${crdName} created\n`);
      await established();
      const list = await request(server, { path: '/apis/stable.example.com/v1/namespaces/default/crontabs' });
      assert.equal(list.status, 200, list.body);
      assert.deepEqual(list.json.items, []);
    });
  });
});
