// The real kubectl 1.35 against `skiff server`, on SQLite and on etcd: the Foundation issue's "Must show" list.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { kubectl, kubectlOk, kubectlStream, type KubectlResult } from '../support/kubectl.ts';
import { eventually, startSkiffServer, type Datastore, type SkiffServer } from '../support/server.ts';

const timeout = 120_000;

function kubectlSuite(datastore: Datastore): void {
  void describe(`kubectl 1.35 against skiff server on ${datastore}`, { timeout: 15 * 60_000 }, () => {
    const abort = new AbortController();
    let server: SkiffServer;

    const run = (args: string[], input?: string): Promise<KubectlResult> =>
      kubectl(args, { kubeconfig: server.kubeconfig, timeoutMs: 60_000, ...(input === undefined ? {} : { input }) });
    /** Runs kubectl, asserts it succeeded, returns stdout. */
    const ok = (args: string[], input?: string): Promise<string> => kubectlOk(args, { kubeconfig: server.kubeconfig, timeoutMs: 60_000, input });
    const json = async (args: string[]): Promise<any> => JSON.parse(await ok([...args, '-o', 'json']));

    before(async () => {
      server = await startSkiffServer({ datastore, signal: abort.signal });
    });
    after(async () => {
      try {
        await server?.stop();
      } finally {
        abort.abort();
      }
    });

    void it('version: client and server v1.35, no skew warning', { timeout }, async () => {
      const result = await run(['version']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^Client Version: v1\.35\.\d+$/m);
      assert.match(result.stdout, /^Server Version: v1\.35\.\d+\S*$/m);
      assert.doesNotMatch(result.stdout + result.stderr, /version difference|WARNING/i);
    });

    void it('api-resources lists built-in kinds with short names', { timeout }, async () => {
      const result = await run(['api-resources']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '', 'discovery must be complete (no partial-discovery errors)');
      const out = result.stdout;
      assert.match(out, /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/m);
      assert.match(out, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
      assert.match(out, /^pods\s+po\s+v1\s+true\s+Pod$/m);
      assert.match(out, /^services\s+svc\s+v1\s+true\s+Service$/m);
      assert.match(out, /^configmaps\s+cm\s+v1\s+true\s+ConfigMap$/m);
      assert.match(out, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
      assert.match(out, /^secrets\s+v1\s+true\s+Secret$/m);
      assert.match(out, /^jobs\s+batch\/v1\s+true\s+Job$/m);
      assert.match(out, /^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/m);
    });

    void it('create namespace', { timeout }, async () => {
      assert.equal(await ok(['create', 'namespace', 'e2e']), 'namespace/e2e created\n');
      assert.match(await ok(['get', 'namespace', 'e2e']), /^NAME\s+STATUS\s+AGE\n^e2e\s+Active\s+\S+$/m);
      const again = await run(['create', 'namespace', 'e2e']);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /^Error from server \(AlreadyExists\): namespaces "e2e" already exists$/m);
    });

    void it('create deployment nginx --image=nginx, with upstream defaults', { timeout }, async () => {
      assert.equal(await ok(['create', 'deployment', 'nginx', '--image=nginx']), 'deployment.apps/nginx created\n');
      const deploy = await json(['get', 'deployment', 'nginx']);
      assert.equal(deploy.apiVersion, 'apps/v1');
      assert.equal(deploy.kind, 'Deployment');
      assert.equal(deploy.metadata.namespace, 'default');
      assert.equal(deploy.metadata.generation, 1);
      assert.match(deploy.metadata.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.match(deploy.metadata.resourceVersion, /^\d+$/);
      assert.match(deploy.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.deepEqual(deploy.metadata.labels, { app: 'nginx' });
      assert.equal(deploy.spec.replicas, 1);
      assert.deepEqual(deploy.spec.selector, { matchLabels: { app: 'nginx' } });
      assert.deepEqual(deploy.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
      assert.equal(deploy.spec.revisionHistoryLimit, 10);
      assert.equal(deploy.spec.progressDeadlineSeconds, 600);
      const pod = deploy.spec.template.spec;
      assert.equal(pod.restartPolicy, 'Always');
      assert.equal(pod.dnsPolicy, 'ClusterFirst');
      assert.equal(pod.terminationGracePeriodSeconds, 30);
      assert.equal(pod.schedulerName, 'default-scheduler');
      assert.equal(pod.containers[0].name, 'nginx');
      assert.equal(pod.containers[0].image, 'nginx');
      assert.equal(pod.containers[0].imagePullPolicy, 'Always');
      assert.equal(pod.containers[0].terminationMessagePath, '/dev/termination-log');
      assert.equal(pod.containers[0].terminationMessagePolicy, 'File');
    });

    void it('create configmap', { timeout }, async () => {
      assert.equal(await ok(['create', 'configmap', 'app-config', '-n', 'e2e', '--from-literal=key=value', '--from-literal=other=x']), 'configmap/app-config created\n');
      assert.match(await ok(['get', 'configmap', 'app-config', '-n', 'e2e']), /^NAME\s+DATA\s+AGE\n^app-config\s+2\s+\S+$/m);
      assert.deepEqual((await json(['get', 'configmap', 'app-config', '-n', 'e2e'])).data, { key: 'value', other: 'x' });
    });

    void it('create secret generic --from-literal', { timeout }, async () => {
      assert.equal(await ok(['create', 'secret', 'generic', 'app-secret', '-n', 'e2e', '--from-literal=password=s3cret']), 'secret/app-secret created\n');
      assert.match(await ok(['get', 'secret', 'app-secret', '-n', 'e2e']), /^NAME\s+TYPE\s+DATA\s+AGE\n^app-secret\s+Opaque\s+1\s+\S+$/m);
      assert.equal(await ok(['get', 'secret', 'app-secret', '-n', 'e2e', '-o', 'jsonpath={.data.password}']), Buffer.from('s3cret').toString('base64'));
    });

    void it('get -o wide|yaml|json|name', { timeout }, async () => {
      assert.match(await ok(['get', 'deployment', 'nginx']), /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n^nginx\s+\d\/1\s+\d\s+\d\s+\S+$/m);
      assert.match(
        await ok(['get', 'deployment', 'nginx', '-o', 'wide']),
        /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\n^nginx\s+\d\/1\s+\d\s+\d\s+\S+\s+nginx\s+nginx\s+app=nginx$/m,
      );
      const fromJson = await json(['get', 'configmap', 'app-config', '-n', 'e2e']);
      const fromYaml = parseYaml(await ok(['get', 'configmap', 'app-config', '-n', 'e2e', '-o', 'yaml'])) as any;
      assert.equal(fromYaml.kind, 'ConfigMap');
      assert.equal(fromYaml.apiVersion, 'v1');
      assert.deepEqual(fromYaml.data, { key: 'value', other: 'x' });
      assert.equal(fromYaml.metadata.uid, fromJson.metadata.uid);
      assert.equal(fromYaml.metadata.resourceVersion, fromJson.metadata.resourceVersion);
      assert.equal(await ok(['get', 'deployment', 'nginx', '-o', 'name']), 'deployment.apps/nginx\n');
      assert.equal(await ok(['get', 'configmap/app-config', 'secret/app-secret', '-n', 'e2e', '-o', 'name']), 'configmap/app-config\nsecret/app-secret\n');
      const list = await json(['get', 'configmaps', '-n', 'e2e']);
      assert.equal(list.kind, 'List');
      assert.ok(list.items.some((item: any) => item.metadata.name === 'app-config'));
    });

    void it('get -l selects by label', { timeout }, async () => {
      await ok(['create', 'configmap', 'cm-a', '-n', 'e2e']);
      await ok(['create', 'configmap', 'cm-b', '-n', 'e2e']);
      assert.equal(await ok(['label', 'configmap', 'cm-a', '-n', 'e2e', 'tier=front']), 'configmap/cm-a labeled\n');
      assert.equal(await ok(['label', 'configmap', 'cm-b', '-n', 'e2e', 'tier=back']), 'configmap/cm-b labeled\n');
      assert.equal(await ok(['get', 'configmaps', '-n', 'e2e', '-l', 'tier=front', '-o', 'name']), 'configmap/cm-a\n');
      assert.equal(await ok(['get', 'configmaps', '-n', 'e2e', '-l', 'tier in (front,back)', '-o', 'name']), 'configmap/cm-a\nconfigmap/cm-b\n');
      assert.equal(await ok(['get', 'configmaps', '-n', 'e2e', '-l', 'tier,tier!=front', '-o', 'name']), 'configmap/cm-b\n');
      const none = await run(['get', 'configmaps', '-n', 'e2e', '-l', 'tier=nowhere']);
      assert.equal(none.code, 0);
      assert.equal(none.stdout, '');
      assert.match(none.stderr, /^No resources found in e2e namespace\.$/m);
    });

    void it('get -A lists across namespaces', { timeout }, async () => {
      const out = await ok(['get', 'configmaps', '-A']);
      assert.match(out, /^NAMESPACE\s+NAME\s+DATA\s+AGE$/m);
      assert.match(out, /^e2e\s+app-config\s+2\s+\S+$/m);
      assert.match(out, /^e2e\s+cm-a\s+0\s+\S+$/m);
      assert.match(await ok(['get', 'deployments', '-A']), /^default\s+nginx\s+\d\/1\s+\d\s+\d\s+\S+$/m);
      assert.match(await ok(['get', 'namespaces']), /^default\s+Active\s+\S+$/m);
    });

    void it('get pod,svc shows the kubernetes service', { timeout }, async () => {
      const out = await ok(['get', 'pod,svc']);
      assert.match(out, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/m);
      assert.match(out, /^service\/kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP\s+\S+$/m);
      for (const line of out.split('\n').filter((l) => l.startsWith('pod/'))) {
        assert.match(line, /^pod\/nginx-\S+\s+\d+\/\d+\s+\S+\s+\d+/);
      }
    });

    void it('get -w shows ADDED, MODIFIED and DELETED', { timeout }, async () => {
      const watch = kubectlStream(['get', 'configmaps', '-n', 'e2e', '--field-selector', 'metadata.name=watched', '-w', '--output-watch-events'], {
        kubeconfig: server.kubeconfig,
        signal: abort.signal,
      });
      try {
        await ok(['create', 'configmap', 'watched', '-n', 'e2e', '--from-literal=a=1']);
        await watch.waitForLine((l) => /^ADDED\s+watched\s+1\s+\S+$/.test(l));
        await ok(['label', 'configmap', 'watched', '-n', 'e2e', 'seen=yes']);
        await watch.waitForLine((l) => /^MODIFIED\s+watched\s+1\s+\S+$/.test(l));
        await ok(['delete', 'configmap', 'watched', '-n', 'e2e']);
        await watch.waitForLine((l) => /^DELETED\s+watched\s+1\s+\S+$/.test(l));
        assert.match(watch.lines[0] ?? '', /^EVENT\s+NAME\s+DATA\s+AGE$/);
        assert.equal(watch.child.exitCode, null, 'kubectl get -w keeps watching');
      } finally {
        await watch.stop();
      }
    });

    void it('label and annotate', { timeout }, async () => {
      assert.equal(await ok(['label', 'configmap', 'app-config', '-n', 'e2e', 'tier=config']), 'configmap/app-config labeled\n');
      assert.match(await ok(['get', 'configmap', 'app-config', '-n', 'e2e', '--show-labels']), /^app-config\s+2\s+\S+\s+tier=config$/m);
      assert.equal(await ok(['annotate', 'deployment', 'nginx', 'note=hello']), 'deployment.apps/nginx annotated\n');
      assert.equal(await ok(['get', 'deployment', 'nginx', '-o', 'jsonpath={.metadata.annotations.note}']), 'hello');
      assert.equal(await ok(['label', 'configmap', 'app-config', '-n', 'e2e', 'tier-']), 'configmap/app-config unlabeled\n');
      assert.equal(await ok(['get', 'configmap', 'app-config', '-n', 'e2e', '-o', 'jsonpath={.metadata.labels}']), '');
    });

    void it('scale deployment on the scale subresource', { timeout }, async () => {
      assert.equal(await ok(['scale', 'deployment', 'nginx', '--replicas=3']), 'deployment.apps/nginx scaled\n');
      assert.equal(await ok(['get', 'deploy', 'nginx', '-o', 'jsonpath={.spec.replicas}']), '3');
      assert.equal(await ok(['get', 'deploy', 'nginx', '-o', 'jsonpath={.metadata.generation}']), '2');
      const scale = JSON.parse(await ok(['get', '--raw', '/apis/apps/v1/namespaces/default/deployments/nginx/scale']));
      assert.equal(scale.kind, 'Scale');
      assert.equal(scale.apiVersion, 'autoscaling/v1');
      assert.equal(scale.metadata.name, 'nginx');
      assert.equal(scale.spec.replicas, 3);
      assert.equal(scale.status.selector, 'app=nginx');
    });

    void it('delete', { timeout }, async () => {
      assert.match(await ok(['delete', 'configmap', 'cm-b', '-n', 'e2e']), /^configmap "cm-b" deleted( from e2e namespace)?\n$/);
      const gone = await run(['get', 'configmap', 'cm-b', '-n', 'e2e']);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /^Error from server \(NotFound\): configmaps "cm-b" not found$/m);
      assert.match(await ok(['delete', 'deployment', 'nginx']), /^deployment\.apps "nginx" deleted( from default namespace)?\n$/);
      const missing = await run(['delete', 'deployment', 'nginx']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^Error from server \(NotFound\): deployments\.apps "nginx" not found$/m);
    });

    void it('every namespace gets a default ServiceAccount and the kube-root-ca.crt ConfigMap', { timeout }, async () => {
      await ok(['create', 'namespace', 'fresh']);
      const sa = await eventually('the default ServiceAccount', async () => ((await run(['get', 'serviceaccount', 'default', '-n', 'fresh'])).code === 0 ? true : undefined));
      assert.equal(sa, true);
      const ca = await eventually('kube-root-ca.crt', async () => {
        const r = await run(['get', 'configmap', 'kube-root-ca.crt', '-n', 'fresh', '-o', 'jsonpath={.data.ca\\.crt}']);
        return r.code === 0 && r.stdout ? r.stdout : undefined;
      });
      assert.match(ca, /^-----BEGIN CERTIFICATE-----/);
      // Deleted, the ServiceAccount comes back.
      await ok(['delete', 'serviceaccount', 'default', '-n', 'fresh']);
      await eventually('the default ServiceAccount again', async () => ((await run(['get', 'serviceaccount', 'default', '-n', 'fresh'])).code === 0 ? true : undefined));
    });

    void it('delete namespace empties it and finishes (namespace controller)', { timeout }, async () => {
      await ok(['create', 'namespace', 'doomed']);
      await ok(['create', 'configmap', 'inside', '-n', 'doomed', '--from-literal=a=b']);
      await ok(['create', 'deployment', 'web', '-n', 'doomed', '--image=nginx']);
      // kubectl waits until the namespace is gone.
      assert.equal(await ok(['delete', 'namespace', 'doomed', '--timeout=60s']), 'namespace "doomed" deleted\n');
      const gone = await run(['get', 'namespace', 'doomed']);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /NotFound.*namespaces "doomed" not found/);
      // Re-created, it is empty: the contents were deleted, not hidden.
      await ok(['create', 'namespace', 'doomed']);
      const left = (await json(['get', 'configmaps,deployments', '-n', 'doomed'])).items.map((o: any) => o.metadata.name);
      assert.ok(!left.includes('inside') && !left.includes('web'), `left behind: ${left.join(', ')}`);
    });

    void it('delete --wait of an object with a finalizer finishes when the finalizer is removed', { timeout }, async () => {
      await ok(['create', 'configmap', 'held', '-n', 'e2e']);
      assert.equal(
        await ok(['patch', 'configmap', 'held', '-n', 'e2e', '--type=merge', '-p', '{"metadata":{"finalizers":["e2e.skiff.dev/hold"]}}']),
        'configmap/held patched\n',
      );
      const deletion = kubectlStream(['delete', 'configmap', 'held', '-n', 'e2e', '--wait=true'], { kubeconfig: server.kubeconfig, signal: abort.signal });
      try {
        await deletion.waitForLine((l) => /^configmap "held" deleted/.test(l));
        const held = await json(['get', 'configmap', 'held', '-n', 'e2e']);
        assert.match(held.metadata.deletionTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        assert.deepEqual(held.metadata.finalizers, ['e2e.skiff.dev/hold']);
        assert.equal(deletion.child.exitCode, null, 'kubectl delete is still waiting while the finalizer is there');
        assert.equal(
          await ok(['patch', 'configmap', 'held', '-n', 'e2e', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']),
          'configmap/held patched\n',
        );
        const exit = await Promise.race([
          deletion.exited,
          new Promise<'still waiting'>((done) => setTimeout(() => done('still waiting'), 60_000).unref()),
        ]);
        assert.deepEqual(exit, { code: 0, signal: null }, `kubectl delete did not finish: ${deletion.stderr()}`);
        const gone = await run(['get', 'configmap', 'held', '-n', 'e2e']);
        assert.equal(gone.code, 1);
        assert.match(gone.stderr, /NotFound/);
      } finally {
        await deletion.stop();
      }
    });
  });
}

kubectlSuite('sqlite');
kubectlSuite('etcd');
