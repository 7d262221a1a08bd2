// Skiff's kubectl beside the real kubectl 1.35, against one API server: every command runs through both and must
// print the same stdout and stderr (ages normalised) and exit with the same code. Commands that change state run
// on twin objects, `…-kreal` for the real kubectl and `…-kskif` for Skiff's (same length, so columns line up).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controllerFactories } from '../../src/controllers/index.ts';
import { gvr, startTestCluster, type TestCluster } from '../support/cluster.ts';
import { kubectl, kubectlOk, type KubectlResult } from '../support/kubectl.ts';
import { same as sameIn, type SameOptions } from '../support/kubectl-sidebyside.ts';
import { eventually } from '../support/server.ts';

const timeout = 120_000;

describe('skiff kubectl beside kubectl 1.35', { timeout: 15 * 60_000 }, () => {
  let cluster: TestCluster;
  let dir: string;

  before(async () => {
    const pick = (name: string) => controllerFactories[name]!;
    cluster = await startTestCluster({ controllers: { deployment: pick('deployment'), replicaset: pick('replicaset') } });
    dir = await mkdtemp(join(tmpdir(), 'skiff-kubectl-sbs-'));
    const ok = (args: string[]) => kubectlOk(args, { kubeconfig: cluster.kubeconfig });
    await ok(['create', 'namespace', 'shop']);
    await ok(['create', 'deployment', 'nginx', '--image=nginx', '--replicas=2', '--port=80']);
    await ok(['create', 'deployment', 'api', '--image=registry.example/api:1.2', '-n', 'shop']);
    await ok(['expose', 'deployment', 'nginx', '--port=80', '--type=NodePort']);
    await eventually('pods of nginx exist', async () => {
      const r = await kubectl(['get', 'pods', '-l', 'app=nginx', '-o', 'name'], { kubeconfig: cluster.kubeconfig });
      assert.equal(r.stdout.trim().split('\n').length, 2, r.stdout + r.stderr);
      return true;
    });
    // Events about one nginx pod (no scheduler or kubelet runs here), for describe's Events table.
    const pods = await cluster.client.list<{ metadata: { name: string; uid: string } }>(gvr.pods, 'default', { labelSelector: 'app=nginx' });
    const pod = pods.items.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))[0]!;
    const now = Date.now();
    for (const [i, e] of [
      { reason: 'Scheduled', message: `Successfully assigned default/${pod.metadata.name} to node-1`, component: 'default-scheduler', type: 'Normal', count: 1, ago: 90_000 },
      { reason: 'BackOff', message: 'Back-off pulling image "nginx"', component: 'kubelet', type: 'Warning', count: 4, ago: 30_000, fieldPath: 'spec.containers{nginx}' },
    ].entries()) {
      await cluster.client.create(gvr.events, 'default', {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${pod.metadata.name}.e${i}` },
        involvedObject: { kind: 'Pod', namespace: 'default', name: pod.metadata.name, uid: pod.metadata.uid, apiVersion: 'v1', ...(e.fieldPath ? { fieldPath: e.fieldPath } : {}) },
        reason: e.reason,
        message: e.message,
        source: { component: e.component },
        type: e.type,
        count: e.count,
        firstTimestamp: new Date(now - e.ago - 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
        lastTimestamp: new Date(now - e.ago).toISOString().replace(/\.\d+Z$/, 'Z'),
      });
    }
  });
  after(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const same = (args: string[], options: SameOptions = {}): Promise<KubectlResult> => sameIn(cluster.kubeconfig, args, options);

  const cases: string[][] = [
    ['get', 'pods'],
    ['get', 'po'],
    ['get', 'pod,svc'],
    ['get', 'pods,deployments'],
    ['get', 'deploy,rs', '-o', 'wide'],
    ['get', 'pods', '-A'],
    ['get', 'pods', '-A', '--show-labels'],
    ['get', 'pods', '-l', 'app=nginx', '--no-headers'],
    ['get', 'pods', '--field-selector=status.phase=Pending', '-o', 'name'],
    ['get', 'deployments.apps'],
    ['get', 'deployment.v1.apps', 'nginx'],
    ['get', 'Deployment', '-n', 'shop'],
    ['get', 'deploy/nginx', 'svc/nginx'],
    ['get', 'svc', 'nginx', 'kubernetes'],
    ['get', 'ns'],
    ['get', 'namespaces', '--sort-by=.metadata.name', '--no-headers'],
    ['get', 'svc', '--sort-by=.metadata.name', '-o', 'custom-columns=NAME:.metadata.name,TYPE:.spec.type,PORT:.spec.ports[*].port'],
    ['get', 'deploy', 'nginx', '-o', 'jsonpath={.metadata.name} {.spec.replicas}{"\\n"}'],
    ['get', 'pods', '-o', 'jsonpath={range .items[*]}{.metadata.labels.app}{"\\n"}{end}'],
    ['get', 'deploy', 'nginx', '-o', 'json'],
    ['get', 'deploy', 'nginx', '-o', 'yaml'],
    ['get', 'svc', '-o', 'yaml'],
    ['get', 'ns', 'shop', 'default', '-o', 'json'],
    ['get', 'pods', '-n', 'kube-system'],
    ['get', 'pods', '-l', 'app=none'],
    ['get', 'pods', '-l', 'app=none', '-A'],
    ['get', 'foo'],
    ['get', 'pod', 'nope'],
    ['get', 'pods', 'nope', '--ignore-not-found'],
    ['get', 'pods', '--bogus'],
    ['get', 'pods', '-o', 'bogus'],
    ['get', 'svc', 'nginx', 'nope'],
    ['version', '--client'],
    ['version'],
    ['api-versions'],
    ['cluster-info'],
    ['config', 'current-context'],
    ['config', 'get-contexts'],
    ['config', 'get-contexts', '-o', 'name'],
    ['config', 'view'],
    ['config', 'view', '--minify', '-o', 'json'],
    ['config', 'view', '--raw'],
    ['create', 'deployment', 'web-KTOOL', '--image=nginx:1.27', '--replicas=2'],
    ['create', 'deployment', 'nginx', '--image=nginx'],
    ['create', 'deployment', 'x'],
    ['create', 'namespace', 'ns-KTOOL'],
    ['create', 'namespace', 'shop'],
    ['expose', 'deployment', 'web-KTOOL', '--port=8080', '--target-port=80', '--name=svc-KTOOL'],
    ['expose', 'deployment/web-KTOOL', '--port=80', '--type=NodePort'],
    ['expose', 'deployment', 'nope', '--port=80'],
    ['scale', 'deployment', 'web-KTOOL', '--replicas=3'],
    ['scale', 'deploy/web-KTOOL', '--replicas=1'],
    ['scale', 'deployment', 'nope', '--replicas=2'],
    ['scale', 'deployment', 'nginx'],
    ['get', 'svc,deploy'],
    ['describe', 'pods'],
    ['describe', 'pod', 'nginx'],
    ['describe', 'pods', '-l', 'app=nginx', '--show-events=false'],
    ['describe', 'svc', 'nginx'],
    ['describe', 'service/kubernetes'],
    ['describe', 'svc'],
    ['describe', 'pods', '-n', 'shop'],
    ['describe', 'pod', 'nope'],
    ['describe', 'svc', 'nginx', 'nope'],
    ['describe', 'pods', '-l', 'app=none'],
    ['describe'],
    ['describe', 'deploy', 'nginx'],
    ['label', 'deploy', 'web-KTOOL', 'tier=front'],
    ['label', 'deploy', 'web-KTOOL', 'tier=back'],
    ['label', 'deploy', 'web-KTOOL', 'tier=back', '--overwrite'],
    ['label', 'deploy/web-KTOOL', 'tier=back'],
    ['label', 'deploy', 'web-KTOOL', 'tier-', 'gone-'],
    ['label', 'deploy', 'web-KTOOL', 'a=1', 'b=2'],
    ['label', 'deploy', 'web-KTOOL'],
    ['label', 'deploy', 'web-KTOOL', 'a=1', 'b'],
    ['label', 'deploy', 'web-KTOOL', 'c=1', 'c-'],
    ['label', 'deploy', 'nope', 'x=y'],
    ['annotate', 'deploy', 'web-KTOOL', 'note=hello'],
    ['annotate', 'deploy', 'web-KTOOL', 'note=bye'],
    ['annotate', 'deploy', 'web-KTOOL', 'note=bye', '--overwrite'],
    ['annotate', 'deploy', 'web-KTOOL', 'note-', 'missing-'],
    ['annotate', 'deploy', 'web-KTOOL', '=x'],
    ['annotate', 'deploy', 'nope', 'a=b'],
    ['get', 'deploy', 'web-KTOOL', '-o', 'jsonpath={.metadata.labels} {.metadata.annotations}'],
    ['delete', 'svc', 'svc-KTOOL'],
    ['delete', 'deployment', 'nope'],
    ['delete', 'deployment', 'nope', '--ignore-not-found'],
    ['delete', 'pods'],
    ['delete', 'svc', '-l', 'app=web-KTOOL'],
    ['delete', 'deployment/web-KTOOL', '--wait=false'],
    ['delete', 'namespace', 'ns-KTOOL', '--wait=false'],
    ['delete', 'pods', '-l', 'app=nobody'],
  ];

  for (const args of cases) {
    void it(args.join(' '), { timeout }, async () => {
      await same(args);
    });
  }

  void it('logs of a pod (empty here: no kubelet runs) and its errors', { timeout }, async () => {
    const pods = await cluster.client.list<{ metadata: { name: string } }>(gvr.pods, 'default', { labelSelector: 'app=nginx' });
    const pod = pods.items[0]!.metadata.name;
    for (const args of [['logs', pod], ['logs', `pod/${pod}`, '-c', 'nginx', '--tail=5', '--timestamps'], ['logs', pod, 'nginx', '-f'], ['logs', pod, '-c', 'nope'], ['logs', pod, '--previous'], ['logs', 'nope'], ['logs']]) {
      await same(args);
    }
  });

  void it('KUBECONFIG with two files: the first wins per name and for current-context; --context and -n', { timeout }, async () => {
    const extra = join(dir, 'extra.conf');
    await writeFile(
      extra,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: other',
        'clusters:',
        '- name: skiff',
        '  cluster: {server: "https://127.0.0.1:1"}',
        '- name: unused',
        '  cluster: {server: "https://127.0.0.1:2", insecure-skip-tls-verify: true}',
        'contexts:',
        '- name: other',
        '  context: {cluster: skiff, user: kubernetes-admin, namespace: shop}',
        '- name: broken',
        '  context: {cluster: unused, user: nobody}',
        'users:',
        '- name: nobody',
        '  user: {token: abc}',
        '',
      ].join('\n'),
    );
    const env = { KUBECONFIG: `${cluster.kubeconfig}:${extra}` };
    // No --kubeconfig here: the flag would name one file, and the merge of the list is what is under test.
    for (const args of [['config', 'get-contexts'], ['config', 'view'], ['get', 'deploy', '--context', 'other'], ['get', 'deploy', '--context', 'other', '-n', 'default'], ['get', 'pods', '--context', 'nope']]) {
      await same(args, { env, envOnly: true });
    }
  });
});
