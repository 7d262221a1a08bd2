// Skiff's kubectl beside kubectl 1.35 for workload and node commands: rollout status|history|undo|restart|pause|
// resume, wait, cordon/uncordon/drain/taint and top. Every command runs through both against one API server (with
// the Deployment, ReplicaSet, DaemonSet and StatefulSet controllers and a fake kubelet that makes pods ready), on twin
// objects `…-kreal`/`…-kskif`; outputs and exit codes must match. No kubelet runs: drain's evicted pods are removed
// for good here, as a kubelet would once their containers stop.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { controllerFactories } from '../../src/controllers/index.ts';
import { isNotFound } from '../../src/client/errors.ts';
import { gvr, startTestCluster, type TestCluster } from '../support/cluster.ts';
import { startFakeKubelet, type FakeKubelet } from '../support/fakekubelet.ts';
import { kubeCacheDir, kubectlOk } from '../support/kubectl.ts';
import { cleanEnv, same as sameIn, skiffCommand, type SameOptions } from '../support/kubectl-sidebyside.ts';
import { eventually, repoRoot } from '../support/server.ts';

type Fields = Record<string, any>;

const TWINS = ['kreal', 'kskif'] as const;
/** Generated suffixes (ReplicaSet hashes, pod names) and restart times differ between the twins. */
const hashes = (s: string) =>
  s
    .replace(/pod-template-hash=\w+/g, 'pod-template-hash=HASH')
    .replace(/restartedAt: \S+/g, 'restartedAt: TIME')
    .replace(/(KTOOL(?:-[a-z0-9]{8,10})?)-[a-z0-9]{5}\b/g, '$1-XXXXX')
    .replace(/KTOOL-[a-z0-9]{8,10}\b/g, 'KTOOL-HASH');
/** Lines in an order that may vary run to run (concurrent evictions, Go map order of warnings). */
const sortedLines = (s: string) =>
  s
    .split('\n')
    .map((l) => (l.startsWith('Warning: ') ? `Warning: ${l.slice(9).split('; ').sort().join('; ')}` : l))
    .sort()
    .join('\n');

describe('skiff kubectl workloads beside kubectl 1.35', { timeout: 15 * 60_000 }, () => {
  let cluster: TestCluster;
  let kubelet: FakeKubelet;
  const finisher = new AbortController();
  let finishing: Promise<void> | undefined;

  const same = (args: string[], options: SameOptions = {}) => sameIn(cluster.kubeconfig, args, options);
  const ok = (args: string[]) => kubectlOk(args, { kubeconfig: cluster.kubeconfig });
  const get = (resource: typeof gvr.deployments, name: string) => cluster.client.get<Fields>(resource, 'default', name);
  const getNode = (name: string) => cluster.client.get<Fields>(gvr.nodes, undefined, name);
  /** Both twins' Deployment settled: observed, all replicas updated, `available` of them available. */
  const settled = (prefix: string, available?: number) =>
    eventually(
      `${prefix} settled`,
      async () => {
        for (const t of TWINS) {
          const d = await get(gvr.deployments, `${prefix}-${t}`);
          const s = d['status'] ?? {};
          const want = d['spec'].replicas;
          if (d['metadata'].generation !== s.observedGeneration || s.updatedReplicas !== want || s.replicas !== want || (s.availableReplicas ?? 0) !== (available ?? want)) return undefined;
        }
        return true;
      },
      { timeoutMs: 60_000 },
    );

  /** The kubelet's part of graceful deletion on the test nodes: a pod being deleted is removed for good. */
  const finishDeletions = async (signal: AbortSignal) => {
    const deadline = Date.now() + 14 * 60_000;
    while (!signal.aborted && Date.now() < deadline) {
      const pods = await cluster.client.list<Fields & { metadata: Fields }>(gvr.pods, 'default').catch(() => ({ items: [] as Fields[] }));
      for (const p of pods.items) {
        if (!p['metadata'].deletionTimestamp || (p['metadata'].finalizers ?? []).length) continue;
        await cluster.client.delete(gvr.pods, 'default', p['metadata'].name, { gracePeriodSeconds: 0 }).catch(() => {});
      }
      await sleep(200, undefined, { signal }).catch(() => {});
    }
  };

  before(async () => {
    const pick = (name: string) => controllerFactories[name]!;
    cluster = await startTestCluster({ controllers: { deployment: pick('deployment'), replicaset: pick('replicaset'), daemonset: pick('daemonset'), statefulset: pick('statefulset') } });
    kubelet = startFakeKubelet(cluster.client, { ready: (pod) => !pod.metadata?.labels?.['hold'] });
    finishing = finishDeletions(finisher.signal);
    for (const t of TWINS) {
      await ok(['create', 'deployment', `web-${t}`, '--image=nginx:1.25', '--replicas=3']);
      await cluster.client.create(gvr.deployments, 'default', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: `hold-${t}` },
        spec: { replicas: 2, selector: { matchLabels: { app: `hold-${t}` } }, template: { metadata: { labels: { app: `hold-${t}`, hold: 'yes' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
      });
      await cluster.client.create(gvr.statefulsets, 'default', {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: `db-${t}` },
        spec: { replicas: 2, serviceName: 'db', selector: { matchLabels: { app: `db-${t}` } }, template: { metadata: { labels: { app: `db-${t}` } }, spec: { containers: [{ name: 'c', image: 'redis:7' }] } } },
      });
      await cluster.client.create(gvr.daemonsets, 'default', {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: `agent-${t}` },
        spec: { selector: { matchLabels: { app: `agent-${t}` } }, template: { metadata: { labels: { app: `agent-${t}` } }, spec: { nodeSelector: { agent: t }, containers: [{ name: 'c', image: 'busybox' }] } } },
      });
      const node = await cluster.client.create<Fields & { metadata: Fields }>(gvr.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: `node-${t}`, labels: { pool: t, agent: t } } });
      const pod = (name: string, extra: Fields) => cluster.client.create(gvr.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name, ...extra['metadata'] }, spec: { nodeName: `node-${t}`, containers: [{ name: 'c', image: 'busybox' }], ...extra['spec'] } });
      const ownedByNode = { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: `node-${t}`, uid: node['metadata'].uid, controller: true }] };
      await pod(`solo-${t}`, {});
      await pod(`scratch-${t}`, { metadata: ownedByNode, spec: { volumes: [{ name: 'tmp', emptyDir: {} }] } });
    }
    await settled('web');
    await settled('hold', 0);
    // No scheduler runs: bind each DaemonSet pod to its node as the scheduler would.
    for (const t of TWINS) {
      const name = await eventually(`agent-${t}'s pod`, async () => (await cluster.client.list<Fields & { metadata: Fields }>(gvr.pods, 'default', { labelSelector: `app=agent-${t}` })).items[0]?.['metadata'].name as string | undefined);
      await cluster.client.transport.request({
        method: 'POST',
        path: `/api/v1/namespaces/default/pods/${name}/binding`,
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: `node-${t}` } },
      });
    }
    await eventually('daemon set pods on the nodes', async () => {
      for (const t of TWINS) {
        const ds = await get(gvr.daemonsets, `agent-${t}`);
        if (ds['status']?.numberAvailable !== 1 || ds['status']?.updatedNumberScheduled !== 1) return undefined;
        const sts = await get(gvr.statefulsets, `db-${t}`);
        if (sts['status']?.readyReplicas !== 2 || sts['status']?.observedGeneration !== sts['metadata'].generation) return undefined;
      }
      return true;
    });
  });

  after(async () => {
    finisher.abort();
    await finishing;
    await kubelet?.stop();
    await cluster?.stop();
  });

  describe('rollout', () => {
    it('status, history and their errors', async () => {
      await same(['rollout', 'status', 'deployment/web-KTOOL']);
      await same(['rollout', 'status', 'deploy', 'web-KTOOL', '--watch=false']);
      await same(['rollout', 'status', 'deploy/hold-KTOOL', '--watch=false']);
      await same(['rollout', 'status', 'deploy/hold-KTOOL', '--timeout=1s']);
      await same(['rollout', 'status', 'statefulset/db-KTOOL']);
      await same(['rollout', 'status', 'ds/agent-KTOOL']);
      await same(['rollout', 'status']);
      await same(['rollout', 'status', 'deploy/nope-KTOOL']);
      await same(['rollout', 'status', 'svc/kubernetes']);
      await same(['rollout', 'status', 'deploy', '-l', 'app=none']);
      await same(['rollout', 'status', 'deploy/web-KTOOL', '--revision=-1']);
      await same(['rollout', 'status', 'deploy/web-KTOOL', '--timeout=soon']);
      await same(['rollout', 'history', 'deployment/web-KTOOL']);
      await same(['rollout', 'history', 'deployment/web-KTOOL', '--revision=1'], { normalise: hashes });
      await same(['rollout', 'history', 'sts/db-KTOOL']);
      await same(['rollout', 'history', 'sts/db-KTOOL', '--revision=1']);
      await same(['rollout', 'history', 'deploy/web-KTOOL', '--revision=9']);
      await same(['rollout', 'history', 'svc/kubernetes']);
      await same(['rollout', 'history', 'rs', '-l', 'app=nothing']);
    });

    it('undo to the revision before, to a revision, and skips when nothing changes', async () => {
      for (const t of TWINS) {
        await ok(['set', 'image', `deploy/web-${t}`, 'nginx=nginx:1.26']);
        await ok(['annotate', `deploy/web-${t}`, 'kubernetes.io/change-cause=nginx 1.26']);
      }
      await settled('web');
      await same(['rollout', 'history', 'deploy/web-KTOOL']);
      await same(['rollout', 'history', 'deploy/web-KTOOL', '--revision=2'], { normalise: hashes });
      await same(['rollout', 'status', 'deploy/web-KTOOL', '--revision=1']);
      await same(['rollout', 'undo', 'deploy/web-KTOOL', '--to-revision=9']);
      await same(['rollout', 'undo', 'deploy/nope-KTOOL']);
      await same(['rollout', 'undo', 'svc/kubernetes']);
      await same(['rollout', 'undo', 'deploy/web-KTOOL']);
      await settled('web');
      for (const t of TWINS) assert.equal((await get(gvr.deployments, `web-${t}`))['spec'].template.spec.containers[0].image, 'nginx:1.25');
      await same(['rollout', 'history', 'deploy/web-KTOOL']);
      await same(['rollout', 'undo', 'deploy/web-KTOOL', '--to-revision=3']);
      await same(['rollout', 'undo', 'deploy/web-KTOOL', '--to-revision=2']);
      await settled('web');
      for (const t of TWINS) assert.equal((await get(gvr.deployments, `web-${t}`))['spec'].template.spec.containers[0].image, 'nginx:1.26');
    });

    it('pause, resume and restart', async () => {
      await same(['rollout', 'pause', 'deploy/web-KTOOL']);
      await same(['rollout', 'pause', 'deploy/web-KTOOL']);
      await same(['rollout', 'undo', 'deploy/web-KTOOL']);
      await same(['rollout', 'restart', 'deploy/web-KTOOL']);
      await same(['rollout', 'resume', 'deploy/web-KTOOL']);
      await same(['rollout', 'resume', 'deploy/web-KTOOL']);
      await same(['rollout', 'pause', 'ds/agent-KTOOL']);
      await same(['rollout', 'restart', 'svc/kubernetes']);
      await same(['rollout', 'restart', 'deploy/web-KTOOL']);
      for (const t of TWINS) {
        const d = await get(gvr.deployments, `web-${t}`);
        assert.match(d['spec'].template.metadata.annotations['kubectl.kubernetes.io/restartedAt'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
      }
      await settled('web');
      await same(['rollout', 'history', 'deploy/web-KTOOL', '--revision=5'], { normalise: hashes });
      await same(['rollout', 'restart', 'sts/db-KTOOL']);
    });

    it("Skiff's rollout status follows a rollout until it is done", async () => {
      await cluster.client.create(gvr.deployments, 'default', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'follow' },
        spec: { replicas: 2, selector: { matchLabels: { app: 'follow' } }, template: { metadata: { labels: { app: 'follow', hold: 'yes' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
      });
      await eventually('follow observed', async () => ((await get(gvr.deployments, 'follow'))['status']?.updatedReplicas === 2 ? true : undefined));
      const env = cleanEnv(cluster.kubeconfig, dirname(kubeCacheDir(cluster.kubeconfig)), { KUBECONFIG: cluster.kubeconfig, SKIFF_KUBECTL: 'own' });
      const child = spawn(skiffCommand()[0], [...skiffCommand().slice(1), 'rollout', 'status', 'deploy/follow', '--timeout=60s'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      try {
        await eventually('the first progress line', () => (stdout.includes('Waiting for deployment') ? true : undefined), { timeoutMs: 60_000 });
        const pods = await cluster.client.list<Fields & { metadata: Fields }>(gvr.pods, 'default', { labelSelector: 'app=follow' });
        const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        for (const p of pods.items) {
          const status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] };
          await cluster.client.patch(gvr.pods, 'default', p['metadata'].name, 'merge', { status }, { subresource: 'status' });
        }
        assert.equal(await exited, 0, stderr);
      } finally {
        child.kill('SIGKILL');
      }
      const lines = stdout.trim().split('\n');
      assert.equal(lines[0], 'Waiting for deployment "follow" rollout to finish: 0 of 2 updated replicas are available...');
      assert.equal(lines.at(-1), 'deployment "follow" successfully rolled out');
    });
  });

  describe('wait', () => {
    it('conditions, jsonpath, create and delete', async () => {
      await same(['wait', '--for=condition=Available', 'deploy/web-KTOOL']);
      await same(['wait', '--for=condition=Available=false', 'deploy/hold-KTOOL', '--timeout=5s']);
      await same(['wait', '--for=condition=Available', 'deploy/hold-KTOOL', '--timeout=1s']);
      await same(['wait', '--for=condition=Ready', 'pod', '-l', 'app=db-KTOOL'], { normalise: hashes });
      await same(['wait', '--for=jsonpath={.spec.replicas}=3', 'deploy/web-KTOOL']);
      await same(['wait', '--for=jsonpath=.status.readyReplicas=2', 'sts/db-KTOOL']);
      await same(['wait', '--for=jsonpath={.spec.replicas}=4', 'deploy/web-KTOOL', '--timeout=1s']);
      await same(['wait', '--for=jsonpath={.spec}=x', 'deploy/web-KTOOL']);
      await same(['wait', '--for=jsonpath={.spec.replicas}=', 'deploy/web-KTOOL']);
      await same(['wait', '--for=condition=Available', 'deploy/web-KTOOL', '--timeout=0', '-o', 'name']);
      await same(['wait', '--for=condition=Available=false', 'deploy/web-KTOOL', '--timeout=0']);
      await same(['wait', '--for=create', 'deploy/web-KTOOL']);
      await same(['wait', '--for=create', 'configmap/later-KTOOL', '--timeout=1s']);
      await same(['wait', '--for=delete', 'pod/nope-KTOOL']);
      await same(['wait', '--for=delete', 'deploy/web-KTOOL', '--timeout=0']);
      await same(['wait', '--for=bogus', 'deploy/web-KTOOL']);
      await same(['wait', 'deploy/web-KTOOL']);
      await same(['wait', '--for=condition=Ready']);
      await same(['wait', '--for=condition=Ready', 'pods']);
      await same(['wait', '--for=condition=Ready', 'pod', '-l', 'app=none']);
      await same(['wait', '--for=condition=Ready', 'pod/nope-KTOOL', '--timeout=1s']);
    });
  });

  describe('nodes', () => {
    it('cordon and uncordon', async () => {
      await same(['cordon', 'node-KTOOL']);
      await same(['cordon', 'node-KTOOL']);
      await same(['uncordon', 'node-KTOOL']);
      await same(['uncordon', 'node-KTOOL']);
      await same(['cordon', '-l', 'pool=KTOOL']);
      await same(['uncordon', 'node-KTOOL', '-l', 'pool=KTOOL']);
      await same(['cordon', 'nope-KTOOL']);
      await same(['cordon']);
      for (const t of TWINS) assert.equal((await getNode(`node-${t}`))['spec'].unschedulable, true);
      await same(['uncordon', '-l', 'pool=KTOOL']);
      for (const t of TWINS) assert.equal((await getNode(`node-${t}`))['spec'].unschedulable, undefined);
    });

    it('taint', async () => {
      await same(['taint', 'nodes', 'node-KTOOL', 'dedicated=gpu:NoSchedule']);
      await same(['taint', 'nodes', 'node-KTOOL', 'dedicated=gpu:NoSchedule']);
      await same(['taint', 'nodes', 'node-KTOOL', 'dedicated=cpu:NoSchedule', '--overwrite']);
      await same(['taint', 'node', '-l', 'pool=KTOOL', 'spot=yes:PreferNoSchedule']);
      for (const t of TWINS) {
        assert.deepEqual((await getNode(`node-${t}`))['spec'].taints, [
          { key: 'spot', value: 'yes', effect: 'PreferNoSchedule' },
          { key: 'dedicated', value: 'cpu', effect: 'NoSchedule' },
        ]);
      }
      await same(['taint', 'nodes', 'node-KTOOL', 'dedicated:NoSchedule-']);
      await same(['taint', 'nodes', 'node-KTOOL', 'dedicated-']);
      await same(['taint', 'nodes', 'node-KTOOL', 'spot-']);
      for (const t of TWINS) assert.equal((await getNode(`node-${t}`))['spec'].taints, undefined);
      await same(['taint', 'nodes', 'node-KTOOL', 'a=b:Sometimes']);
      await same(['taint', 'nodes', 'node-KTOOL', 'a=b']);
      await same(['taint', 'nodes', 'node-KTOOL', 'a=b:NoSchedule', 'a:NoSchedule-']);
      await same(['taint', 'nodes', 'node-KTOOL', 'a=b:NoSchedule', 'later']);
      await same(['taint', 'pods', 'x', 'a=b:NoSchedule']);
      await same(['taint', 'nodes', 'a=b:NoSchedule']);
      await same(['taint', 'nodes', 'node-KTOOL']);
      await same(['taint', 'node-KTOOL', 'a=b:NoSchedule']);
    });

    it('drain: what blocks it, evictions, deletions and timeouts', async () => {
      await same(['drain']);
      await same(['drain', 'nope-KTOOL']);
      const blocked = [
        [['--force', '--delete-emptydir-data'], 'DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/agent-kreal-'],
        [['--ignore-daemonsets', '--delete-emptydir-data'], 'Pods that declare no controller (use --force to override): default/solo-kreal'],
        [['--ignore-daemonsets', '--force'], 'Pods with local storage (use --delete-emptydir-data to override): default/scratch-kreal'],
      ] as const;
      for (const [flags, why] of blocked) {
        const real = await same(['drain', 'node-KTOOL', ...flags], { normalise: hashes });
        assert.equal(real.code, 1);
        assert.ok(real.stderr.includes(why), real.stderr);
      }
      await same(['drain', 'node-KTOOL', '--ignore-daemonsets', '--pod-selector=app=none']);
      await same(['drain', 'node-KTOOL', '--ignore-daemonsets', '--force', '--delete-emptydir-data', '--timeout=60s'], { normalise: (s) => sortedLines(hashes(s)) });
      for (const t of TWINS) {
        for (const name of [`solo-${t}`, `scratch-${t}`]) {
          await assert.rejects(get(gvr.pods, name), (err) => isNotFound(err), `${name} is gone`);
        }
      }
      await same(['drain', 'node-KTOOL', '--ignore-daemonsets'], { normalise: hashes });
      for (const t of TWINS) {
        await cluster.client.create(gvr.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `del-${t}` }, spec: { nodeName: `node-${t}`, containers: [{ name: 'c', image: 'busybox' }] } });
        await cluster.client.create(gvr.pods, 'default', {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `stuck-${t}`, finalizers: ['skiff.test/hold'] },
          spec: { nodeName: `node-${t}`, containers: [{ name: 'c', image: 'busybox' }] },
        });
      }
      const timedOut = await same(['drain', 'node-KTOOL', '--ignore-daemonsets', '--force', '--timeout=2s'], { normalise: (s) => sortedLines(hashes(s)) });
      assert.match(timedOut.stderr, /There are pending pods in node "node-kreal" when an error occurred: error when waiting for pod "stuck-kreal" in namespace "default" to terminate: context deadline exceeded\npod\/stuck-kreal\n/);
      for (const t of TWINS) {
        await cluster.client.patch(gvr.pods, 'default', `stuck-${t}`, 'merge', { metadata: { finalizers: null } }).catch((err) => {
          if (!isNotFound(err)) throw err;
        });
        await cluster.client.create(gvr.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `del-${t}` }, spec: { nodeName: `node-${t}`, containers: [{ name: 'c', image: 'busybox' }] } }).catch(() => {});
      }
      await eventually('stuck pods gone', async () => {
        for (const t of TWINS) if (await get(gvr.pods, `stuck-${t}`).then(() => true, () => false)) return undefined;
        return true;
      });
      await same(['drain', 'node-KTOOL', '--ignore-daemonsets', '--force', '--disable-eviction', '--grace-period=0'], { normalise: (s) => sortedLines(hashes(s)) });
      await same(['uncordon', 'node-KTOOL']);
    });
  });

  describe('top', () => {
    it('says the Metrics API is not available', async () => {
      await same(['top', 'node']);
      await same(['top', 'pod', '-A']);
      await same(['top', 'pods', '-l', 'app=web-KTOOL']);
      await same(['top', 'node', 'a', 'b']);
      await same(['top', 'pod', '--sort-by=disk']);
    });
  });
});
