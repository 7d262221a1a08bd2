// Skiff's kubectl beside kubectl 1.35 for the commands that inspect a cluster: events, api-resources, explain,
// auth can-i/whoami, and get --watch. Each command runs through both against one API server; stdout, stderr and exit
// code must match (ages normalised). The watch test runs both kubectls as child processes while objects change.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gvr, startTestCluster, type TestCluster } from '../support/cluster.ts';
import { kubeCacheDir, kubectlOk, kubectlPath, type KubectlResult } from '../support/kubectl.ts';
import { cleanEnv, normalise, same as sameIn, skiffCommand, type SameOptions } from '../support/kubectl-sidebyside.ts';
import { eventually, repoRoot } from '../support/server.ts';

const timeout = 120_000;

/** RFC 3339 to the second, `ago` ms before now. */
const at = (ago: number) => new Date(Date.now() - ago).toISOString().replace(/\.\d+Z$/, 'Z');
/** MicroTime, `ago` ms before now. */
const atMicro = (ago: number, micros: string) => new Date(Date.now() - ago).toISOString().replace(/\.\d+Z$/, `.${micros}Z`);

describe('skiff kubectl inspects a cluster as kubectl 1.35 does', { timeout: 15 * 60_000 }, () => {
  let cluster: TestCluster;
  let dir: string;
  let saConfig: string;

  before(async () => {
    cluster = await startTestCluster({});
    dir = await mkdtemp(join(tmpdir(), 'skiff-kubectl-inspect-'));
    const ok = (args: string[]) => kubectlOk(args, { kubeconfig: cluster.kubeconfig });
    await ok(['create', 'namespace', 'shop']);
    await ok(['create', 'deployment', 'web', '--image=nginx']);
    await ok(['create', 'configmap', 'keep', '--from-literal=a=b']);
    const events: Array<Record<string, unknown>> = [
      {
        metadata: { name: 'web.e1', namespace: 'default' },
        involvedObject: { kind: 'Deployment', namespace: 'default', name: 'web', apiVersion: 'apps/v1' },
        reason: 'ScalingReplicaSet',
        message: 'Scaled up replica set web-abc to 1',
        source: { component: 'deployment-controller' },
        type: 'Normal',
        count: 1,
        firstTimestamp: at(300_000),
        lastTimestamp: at(300_000),
      },
      {
        metadata: { name: 'web.e2', namespace: 'default' },
        involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-abc-xyz', apiVersion: 'v1', fieldPath: 'spec.containers{nginx}' },
        reason: 'BackOff',
        message: 'Back-off pulling image "nginx"',
        source: { component: 'kubelet', host: 'node-1' },
        type: 'Warning',
        count: 5,
        firstTimestamp: at(600_000),
        lastTimestamp: at(30_000),
      },
      {
        metadata: { name: 'api.e3', namespace: 'shop' },
        involvedObject: { kind: 'Pod', namespace: 'shop', name: 'api-1', apiVersion: 'v1' },
        reason: 'Scheduled',
        message: 'Successfully assigned shop/api-1 to node-1',
        type: 'Normal',
        eventTime: atMicro(120_000, '123456'),
        reportingComponent: 'default-scheduler',
        reportingInstance: 'default-scheduler-node-1',
        action: 'Binding',
      },
      {
        metadata: { name: 'api.e4', namespace: 'shop' },
        involvedObject: { kind: 'Pod', namespace: 'shop', name: 'api-1', apiVersion: 'v1' },
        reason: 'Unhealthy',
        message: 'Readiness probe failed',
        type: 'Warning',
        eventTime: atMicro(3_000_000, '000001'),
        series: { count: 3, lastObservedTime: atMicro(60_000, '500000') },
        reportingComponent: 'kubelet',
        reportingInstance: 'node-1',
        action: 'Probe',
      },
    ];
    for (const e of events) {
      const meta = e['metadata'] as { namespace: string };
      await cluster.client.create(gvr.events, meta.namespace, { apiVersion: 'v1', kind: 'Event', ...e });
    }
    // A service account's own kubeconfig: whoami shows its UID and token ID.
    await ok(['create', 'serviceaccount', 'bob']);
    const token = (await ok(['create', 'token', 'bob'])).trim();
    const server = (await ok(['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}'])).trim();
    const ca = (await ok(['config', 'view', '--raw', '--minify', '-o', 'jsonpath={.clusters[0].cluster.certificate-authority-data}'])).trim();
    saConfig = join(dirname(cluster.kubeconfig), 'bob.conf');
    await writeFile(
      saConfig,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "${server}", certificate-authority-data: ${ca}}\nusers:\n- name: bob\n  user: {token: ${token}}\ncontexts:\n- name: bob\n  context: {cluster: c, user: bob, namespace: shop}\ncurrent-context: bob\n`,
    );
  });
  after(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const same = (args: string[], options: SameOptions = {}): Promise<KubectlResult> => sameIn(cluster.kubeconfig, args, options);

  const cases: string[][] = [
    ['api-resources'],
    ['api-resources', '-o', 'wide'],
    ['api-resources', '-o', 'name'],
    ['api-resources', '--namespaced=false'],
    ['api-resources', '--api-group=apps', '-o', 'json'],
    ['api-resources', '--api-group=apps', '-o', 'yaml'],
    ['api-resources', '--verbs=list,watch', '--sort-by=kind'],
    ['api-resources', '--sort-by=name', '--no-headers'],
    ['api-resources', '--cached', '--categories=all'],
    ['api-resources', '--api-group=nope'],
    ['api-resources', '--sort-by=foo'],
    ['api-resources', 'x', 'y'],
    ['api-resources', '-o', 'foo'],
    ['events'],
    ['events', '-A'],
    ['events', '-n', 'shop'],
    ['events', '-n', 'shop', '-o', 'json'],
    ['events', '-A', '-o', 'yaml'],
    ['events', '-o', 'name'],
    ['events', '-A', '-o', 'jsonpath={.items[*].reason}'],
    ['events', '--for', 'pod/api-1', '-n', 'shop', '--types=warning,Normal'],
    ['events', '--for', 'deployments.apps/web', '-o', 'json'],
    ['events', '-A', '--types=Warning', '--no-headers'],
    ['events', '-n', 'nope'],
    ['events', '--for', 'foo/x'],
    ['events', '--for', 'x'],
    ['events', '--for', 'a/b/c'],
    ['events', '--types=foo'],
    ['events', '-o', 'wide'],
    ['explain', 'pods'],
    ['explain', 'deployment'],
    ['explain', 'deployment.spec.template.spec.containers'],
    ['explain', 'deployments.apps.spec'],
    ['explain', 'deploy.spec.replicas'],
    ['explain', 'pods.spec.restartPolicy'],
    ['explain', 'svc.spec.type'],
    ['explain', 'po.metadata.labels'],
    ['explain', 'crd.spec', '--recursive'],
    ['explain', 'ev.series'],
    ['explain', 'pods.spec.foo'],
    ['explain', 'pods.spec.containers.name.foo'],
    ['explain', 'foo'],
    ['explain'],
    ['explain', 'a', 'b'],
    ['explain', 'pods', '--api-version=v2'],
    ['explain', 'pods', '--api-version=apps/v1'],
    ['explain', 'pods', '-o', 'xx'],
    ['explain', 'pods', '--output=plaintext-openapiv2'],
    ['auth', 'can-i', 'get', 'pods'],
    ['auth', 'can-i', 'list', 'deployments.apps', '-A'],
    ['auth', 'can-i', 'get', 'nodes'],
    ['auth', 'can-i', 'frob', 'pods'],
    ['auth', 'can-i', 'get', 'foo'],
    ['auth', 'can-i', 'get', 'users'],
    ['auth', 'can-i', 'get', '/logs'],
    ['auth', 'can-i', 'get', 'pods/mypod'],
    ['auth', 'can-i', 'get', 'pods', '--subresource=log'],
    ['auth', 'can-i', 'get', 'pods', '-q'],
    ['auth', 'can-i', '--list'],
    ['auth', 'can-i', '--list', '--no-headers'],
    ['auth', 'can-i', '--list', '-A'],
    ['auth', 'can-i', '--list', 'x'],
    ['auth', 'can-i', 'get'],
    ['auth', 'can-i', 'get', 'pods', '--no-headers'],
    ['auth', 'can-i', 'post', '/healthz', '--subresource=x'],
    ['auth', 'whoami'],
    ['auth', 'whoami', '-o', 'yaml'],
    ['auth', 'whoami', '-o', 'json'],
    ['get', 'cm', '-w', '--request-timeout=1s'],
    ['get', 'cm', '-w', '--request-timeout=1s', '--watch-only'],
    ['get', 'cm', '-w', '--request-timeout=1s', '-o', 'name'],
    ['get', 'cm', 'keep', '-w', '--request-timeout=1s', '-o', 'name'],
    ['get', 'cm', '-w', '--request-timeout=1s', '-o', 'json'],
    ['get', 'cm', '-w', '--request-timeout=1s', '-o', 'yaml'],
    ['get', 'cm', '-A', '-w', '--request-timeout=1s', '--output-watch-events'],
    ['get', 'cm', '-w', '--request-timeout=1s', '--output-watch-events', '-o', 'json'],
    ['get', 'secrets', '-w', '--request-timeout=1s'],
    ['get', 'cm', 'nope', '-w', '--request-timeout=1s'],
    ['get', 'cm,pods', '-w', '--request-timeout=1s'],
    ['get', 'deploy', '-w', '--request-timeout=1s', '-o', 'wide', '--show-labels'],
  ];

  for (const args of cases) {
    void it(args.join(' '), { timeout }, async () => {
      await same(args);
    });
  }

  void it('pods --recursive: every nested field, in kubectl order', { timeout }, async () => {
    const real = await same(['explain', 'pods', '--recursive']);
    assert.match(real.stdout, /\n {2}spec\t<PodSpec>\n(?: {4}.*\n)* {4}containers\t<\[\]Container> -required-\n {6}args\t<\[\]string>\n/);
  });

  void it('can-i and whoami as a service account', { timeout }, async () => {
    for (const args of [['auth', 'whoami'], ['auth', 'whoami', '-o', 'json'], ['auth', 'can-i', 'create', 'pods'], ['auth', 'can-i', '--list']]) {
      await same(args, { kubeconfig: saConfig });
    }
  });

  /** A kubectl left running; its output so far. */
  interface Running {
    child: ChildProcess;
    stdout: string;
    stderr: string;
    exited: Promise<number | null>;
  }

  const start = (cmd: string, argv: string[], env: NodeJS.ProcessEnv): Running => {
    const child = spawn(cmd, argv, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const running: Running = { child, stdout: '', stderr: '', exited: new Promise((resolve) => child.on('close', (code) => resolve(code))) };
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (running.stdout += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (running.stderr += c));
    return running;
  };

  const startBoth = (args: string[]): { real: Running; ours: Running } => {
    const home = dirname(kubeCacheDir(cluster.kubeconfig));
    const env = cleanEnv(cluster.kubeconfig, home, { KUBECONFIG: cluster.kubeconfig });
    return {
      real: start(kubectlPath(), ['--kubeconfig', cluster.kubeconfig, ...args], env),
      ours: start(skiffCommand()[0], [...skiffCommand().slice(1), '--kubeconfig', cluster.kubeconfig, ...args], { ...env, SKIFF_KUBECTL: 'own' }),
    };
  };

  const stopBoth = async (both: { real: Running; ours: Running }) => {
    both.real.child.kill('SIGINT');
    both.ours.child.kill('SIGINT');
    const timer = setTimeout(() => {
      both.real.child.kill('SIGKILL');
      both.ours.child.kill('SIGKILL');
    }, 10_000);
    const codes = await Promise.all([both.real.exited, both.ours.exited]);
    clearTimeout(timer);
    return codes;
  };

  void it('get -w: the list, then a row per change, until interrupted', { timeout }, async () => {
    await cluster.client.create(gvr.configmaps, 'shop', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'first', labels: { watch: 'me' } }, data: { a: '1' } });
    const both = startBoth(['get', 'configmaps', '-n', 'shop', '-l', 'watch=me', '-w']);
    try {
      // Both have listed (and so watch from that list) once the first row is out.
      await eventually('both kubectls printed the list', () => {
        assert.match(both.real.stdout, /first/);
        assert.match(both.ours.stdout, /first/, both.ours.stderr);
        return true;
      });
      await cluster.client.create(gvr.configmaps, 'shop', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'second-with-a-long-name', labels: { watch: 'me' } }, data: { a: '1', b: '2' } });
      await cluster.client.patch(gvr.configmaps, 'shop', 'first', 'merge', { data: { c: '3' } });
      await cluster.client.delete(gvr.configmaps, 'shop', 'second-with-a-long-name');
      await eventually('both saw the three changes', () => {
        for (const r of [both.real, both.ours]) assert.equal(r.stdout.split('\n').length - 1, 5, r.stdout + r.stderr);
        return true;
      });
    } finally {
      const [realCode, ourCode] = await stopBoth(both);
      assert.equal(ourCode, realCode, 'exit codes differ');
    }
    assert.equal(normalise(both.ours.stdout), normalise(both.real.stdout));
    assert.equal(both.ours.stderr, both.real.stderr);
    // Rows printed one by one keep the widest column seen so far.
    assert.match(both.real.stdout, /^NAME {4}DATA {3}AGE\nfirst {3}1 {6}\S+\nsecond-with-a-long-name {3}2 {6}\S+\nfirst {21}2 /);
  });

  void it('get -w --output-watch-events and events -w follow the same changes', { timeout }, async () => {
    const both = startBoth(['get', 'configmaps', '-n', 'shop', '-w', '--output-watch-events', '-l', 'watch=me']);
    const events = startBoth(['events', '-n', 'shop', '-w']);
    try {
      await eventually('both kubectls printed the list', () => {
        for (const r of [both.real, both.ours, events.real, events.ours]) assert.match(r.stdout, /first|Readiness/, r.stderr);
        return true;
      });
      await cluster.client.create(gvr.configmaps, 'shop', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'third', labels: { watch: 'me' } }, data: {} });
      await cluster.client.create(gvr.events, 'shop', {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'third.e5' },
        involvedObject: { kind: 'ConfigMap', namespace: 'shop', name: 'third', apiVersion: 'v1' },
        reason: 'Created',
        message: 'made for the watch',
        type: 'Normal',
        count: 1,
        firstTimestamp: at(0),
        lastTimestamp: at(0),
      });
      await eventually('the change reached all four', () => {
        for (const r of [both.real, both.ours]) assert.match(r.stdout, /ADDED {6}third/, r.stdout + r.stderr);
        for (const r of [events.real, events.ours]) assert.match(r.stdout, /made for the watch/, r.stdout + r.stderr);
        return true;
      });
    } finally {
      const codes = [...(await stopBoth(both)), ...(await stopBoth(events))];
      assert.equal(codes[1], codes[0]);
      assert.equal(codes[3], codes[2]);
    }
    assert.equal(normalise(both.ours.stdout), normalise(both.real.stdout));
    assert.equal(normalise(events.ours.stdout), normalise(events.real.stdout));
  });
});
