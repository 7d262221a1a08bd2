// The control plane end to end, as a user drives it with the real kubectl 1.35 and helm 4: `skiff up` with the local
// node and two simulated nodes; the scheduler places pods, the controllers roll Deployments out and back, run
// DaemonSets, Jobs and CronJobs, collect garbage, react to a node going silent, and honour disruption budgets.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { helm, kubectl, kubectlOk, type KubectlResult } from '../support/kubectl.ts';
import { eventually, repoRoot, startSkiffServer, type SkiffServer } from '../support/server.ts';

const timeout = 180_000;
const CP = 'skiff-cp';
const SIM = ['skiff-sim-0', 'skiff-sim-1'];

interface Pod {
  metadata: { name: string; namespace: string; deletionTimestamp?: string; ownerReferences?: Array<{ kind: string; name: string }>; labels?: Record<string, string> };
  spec: { nodeName?: string };
  status: { phase?: string; podIP?: string; conditions?: Array<{ type: string; status: string }> };
}

void describe('the control plane with real kubectl on simulated nodes', { timeout: 20 * 60_000 }, () => {
  const abort = new AbortController();
  let server: SkiffServer;

  const run = (args: string[], timeoutMs = 90_000): Promise<KubectlResult> => kubectl(args, { kubeconfig: server.kubeconfig, timeoutMs });
  const ok = (args: string[], timeoutMs = 90_000): Promise<string> => kubectlOk(args, { kubeconfig: server.kubeconfig, timeoutMs });
  const json = async <T = any>(args: string[]): Promise<T> => JSON.parse(await ok([...args, '-o', 'json'])) as T;
  const pods = async (selector: string, ns = 'default'): Promise<Pod[]> => (await json<{ items: Pod[] }>(['get', 'pods', '-n', ns, '-l', selector])).items;
  const running = (p: Pod) => p.status.phase === 'Running' && !p.metadata.deletionTimestamp && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  /** Asserts how many of the pods are running and Ready; the message shows every pod's state and the nodes' health. */
  const assertRunning = async (list: Pod[], want: number, message = '') => {
    const got = list.filter(running).length;
    if (got === want) return;
    const states = list.map((p) => `${p.metadata.name} on ${p.spec.nodeName ?? '-'}: ${p.status.phase} ready=${p.status.conditions?.find((c) => c.type === 'Ready')?.status ?? '-'}${p.metadata.deletionTimestamp ? ' deleting' : ''}`);
    const health = server.output().split('\n').filter((l) => /node-lifecycle|stopped posting/.test(l)).slice(-10);
    assert.fail(`${message ? `${message}: ` : ''}${got} of ${want} pods running and Ready\n${states.join('\n')}\n${(await ok(['get', 'nodes'])).trim()}\n${health.join('\n')}`);
  };
  const rolledOut = (name: string, ns = 'default') => ok(['rollout', 'status', `deployment/${name}`, '-n', ns, '--timeout=120s'], 150_000);

  before(async () => {
    server = await startSkiffServer({
      datastore: 'sqlite',
      command: 'up',
      extraArgs: [
        '--runtime', 'simulated', '--node-name', CP, '--simulated-nodes', '2',
        '--simulated-node-capacity', 'cpu=4,memory=16Gi,pods=110',
        '--node-monitor-grace-period', '6s', '--node-monitor-period', '1s',
      ],
      signal: abort.signal,
    });
    await eventually(
      'three Ready nodes',
      async () => {
        const nodes = await json<{ items: Array<{ status: { conditions?: Array<{ type: string; status: string }> } }> }>(['get', 'nodes']);
        return nodes.items.length === 3 && nodes.items.every((n) => n.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // Started first: its first Job comes at the next minute boundary, checked near the end.
    await ok(['create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/1 * * * *', '--', 'true']);
  });
  after(async () => {
    try {
      await server?.stop();
    } finally {
      abort.abort();
    }
  });

  void it('runs a Deployment: create, scale, set image + rollout status, history, undo to the same ReplicaSet, pause/resume, restart', { timeout }, async () => {
    await ok(['create', 'deployment', 'web', '--image=nginx:1.26', '--replicas=3']);
    await rolledOut('web');
    let web = await pods('app=web');
    await assertRunning(web, 3);
    for (const p of web) {
      assert.ok(p.spec.nodeName && [CP, ...SIM].includes(p.spec.nodeName), `pod ${p.metadata.name} is bound to a node`);
      assert.match(p.status.podIP ?? '', /^10\.244\.\d+\.\d+$/);
    }

    await ok(['scale', 'deployment', 'web', '--replicas=5']);
    await rolledOut('web');
    await assertRunning(await pods('app=web'), 5);

    const firstRS = (await json<{ items: Array<{ metadata: { name: string } }> }>(['get', 'rs', '-l', 'app=web'])).items.map((r) => r.metadata.name);
    assert.equal(firstRS.length, 1);
    await ok(['set', 'image', 'deployment/web', 'nginx=nginx:1.27']);
    const status = await rolledOut('web');
    assert.match(status, /successfully rolled out/);
    web = await pods('app=web');
    await assertRunning(web, 5, 'after set image and rollout status');
    web = web.filter(running);
    const history = await ok(['rollout', 'history', 'deployment/web']);
    assert.match(history, /^1\s/m);
    assert.match(history, /^2\s/m);

    await ok(['rollout', 'undo', 'deployment/web']);
    await rolledOut('web');
    const image = await ok(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
    assert.equal(image, 'nginx:1.26');
    const rs = await json<{ items: Array<{ metadata: { name: string; annotations: Record<string, string> }; spec: { replicas: number } }> }>(['get', 'rs', '-l', 'app=web']);
    assert.equal(rs.items.length, 2, 'undo reuses the first ReplicaSet');
    const reused = rs.items.find((r) => r.metadata.name === firstRS[0]);
    assert.equal(reused?.spec.replicas, 5);
    assert.equal(reused?.metadata.annotations['deployment.kubernetes.io/revision'], '3');

    await ok(['rollout', 'pause', 'deployment/web']);
    await ok(['set', 'image', 'deployment/web', 'nginx=nginx:1.28']);
    await eventually('the paused deployment observed', async () => {
      const d = await json(['get', 'deployment', 'web']);
      return d.status.observedGeneration === d.metadata.generation ? d : undefined;
    });
    assert.equal((await json<{ items: unknown[] }>(['get', 'rs', '-l', 'app=web'])).items.length, 2, 'no rollout while paused');
    await ok(['rollout', 'resume', 'deployment/web']);
    await rolledOut('web');
    assert.equal((await json<{ items: unknown[] }>(['get', 'rs', '-l', 'app=web'])).items.length, 3);

    await ok(['rollout', 'restart', 'deployment/web']);
    await rolledOut('web');
    const restarted = await ok(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}']);
    assert.ok(restarted, 'restart stamps the template');
    await assertRunning(await pods('app=web'), 5);
  });

  void it("lands the tutorial's flannel DaemonSet exactly once on every node, the control plane included", { timeout }, async () => {
    const manifest = join(repoRoot, 'test/e2e/fixtures/kube-flannel.yml');
    const result = await run(['apply', '-f', manifest]);
    assert.match(result.stderr, /no matches for kind "PodSecurityPolicy" in version "policy\/v1beta1"/);
    const placed = await eventually(
      'flannel pods Running on all three nodes',
      async () => {
        const ds = (await pods('app=flannel', 'kube-system')).filter(running);
        return ds.length === 3 ? ds : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    assert.deepEqual(placed.map((p) => p.spec.nodeName).sort(), [CP, ...SIM].sort());
    const ds = await json(['get', 'ds', '-n', 'kube-system', 'kube-flannel-ds']);
    assert.equal(ds.status.desiredNumberScheduled, 3);
    await eventually('numberReady 3', async () => ((await json(['get', 'ds', '-n', 'kube-system', 'kube-flannel-ds'])).status.numberReady === 3 ? true : undefined));
  });

  void it('runs a Job to Complete', { timeout }, async () => {
    await ok(['create', 'job', 'once', '--image=busybox', '--', 'true']);
    await ok(['wait', '--for=condition=complete', 'job/once', '--timeout=90s'], 120_000);
    const job = await json(['get', 'job', 'once']);
    assert.equal(job.status.succeeded, 1);
    assert.match(await ok(['get', 'job', 'once']), /once\s+Complete\s+1\/1/);
  });

  void it('gives an unschedulable pod a FailedScheduling event in upstream wording', { timeout }, async () => {
    await ok(['run', 'huge', '--image=nginx', '--overrides={"spec":{"containers":[{"name":"huge","image":"nginx","resources":{"requests":{"cpu":"100"}}}]}}']);
    const message = await eventually(
      'FailedScheduling',
      async () => {
        const events = await json<{ items: Array<{ reason: string; message: string; type: string }> }>(['get', 'events', '--field-selector', 'involvedObject.name=huge,reason=FailedScheduling']);
        return events.items[0]?.message;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // More cpu than any node has at all: preemption cannot help (NodeResourcesFit answers UnschedulableAndUnresolvable).
    assert.equal(message, '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.');
    const pod = await json(['get', 'pod', 'huge']);
    const scheduled = pod.status.conditions.find((c: { type: string }) => c.type === 'PodScheduled');
    assert.equal(scheduled.status, 'False');
    assert.equal(scheduled.reason, 'Unschedulable');
    assert.match(await ok(['get', 'events']), /Warning\s+FailedScheduling\s+pod\/huge\s+0\/3 nodes are available/);
    await ok(['delete', 'pod', 'huge', '--wait=false']);
  });

  void it('preempts a lower-priority pod for a higher-priority one', { timeout }, async () => {
    await ok(['create', 'priorityclass', 'low', '--value=10']);
    await ok(['create', 'priorityclass', 'high', '--value=1000']);
    const podOn = (name: string, priority: string) =>
      JSON.stringify({
        spec: {
          priorityClassName: priority,
          nodeSelector: { 'kubernetes.io/hostname': SIM[1] },
          containers: [{ name, image: 'nginx', resources: { requests: { cpu: '3' } } }],
        },
      });
    await ok(['run', 'victim', '--image=nginx', `--overrides=${podOn('victim', 'low')}`]);
    await eventually('victim running', async () => (running(await json(['get', 'pod', 'victim'])) ? true : undefined), { timeoutMs: 60_000 });
    await ok(['run', 'preemptor', '--image=nginx', `--overrides=${podOn('preemptor', 'high')}`]);
    await eventually(
      'preemptor running on the node',
      async () => {
        const p = await json<Pod>(['get', 'pod', 'preemptor']);
        return running(p) && p.spec.nodeName === SIM[1] ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    const gone = await run(['get', 'pod', 'victim']);
    assert.notEqual(gone.code, 0, 'the victim was preempted');
    const events = await ok(['get', 'events', '--field-selector', 'reason=Preempted']);
    assert.match(events, /pod\/victim\s+Preempted by pod/);
    await ok(['delete', 'pod', 'preemptor']);
  });

  void it('deletes Deployments with Background, Foreground and Orphan cascades', { timeout }, async () => {
    for (const name of ['d-bg', 'd-fg', 'd-or']) await ok(['create', 'deployment', name, '--image=nginx', '--replicas=2']);
    for (const name of ['d-bg', 'd-fg', 'd-or']) await rolledOut(name);
    await ok(['delete', 'deployment', 'd-bg', '--cascade=background']);
    await eventually('d-bg dependents gone', async () => ((await json<{ items: unknown[] }>(['get', 'rs,pods', '-l', 'app=d-bg'])).items.length === 0 ? true : undefined), { timeoutMs: 60_000 });
    // Foreground: kubectl waits until the Deployment is gone, which happens only after its dependents are.
    await ok(['delete', 'deployment', 'd-fg', '--cascade=foreground', '--timeout=90s'], 120_000);
    const fgLeft = (await pods('app=d-fg')).filter((p) => !p.metadata.deletionTimestamp);
    assert.equal(fgLeft.length, 0);
    assert.equal((await json<{ items: unknown[] }>(['get', 'rs', '-l', 'app=d-fg'])).items.length, 0);
    await ok(['delete', 'deployment', 'd-or', '--cascade=orphan']);
    await eventually('d-or gone', async () => ((await run(['get', 'deployment', 'd-or'])).code !== 0 ? true : undefined));
    const orphans = await json<{ items: Array<{ metadata: { ownerReferences?: unknown[] } }> }>(['get', 'rs', '-l', 'app=d-or']);
    assert.equal(orphans.items.length, 1);
    assert.equal(orphans.items[0]!.metadata.ownerReferences, undefined, 'the ReplicaSet is orphaned');
    await assertRunning(await pods('app=d-or'), 2);
  });

  void it('deletes a namespace with its content', { timeout }, async () => {
    await ok(['create', 'namespace', 'doomed']);
    await ok(['create', 'deployment', 'inside', '--image=nginx', '--replicas=2', '-n', 'doomed']);
    await ok(['create', 'configmap', 'settings', '--from-literal=a=b', '-n', 'doomed']);
    await rolledOut('inside', 'doomed');
    await ok(['delete', 'namespace', 'doomed', '--timeout=90s'], 120_000);
    assert.notEqual((await run(['get', 'namespace', 'doomed'])).code, 0);
  });

  void it('marks a silent node Unknown, taints it, and recreates its pods elsewhere after their tolerationSeconds', { timeout }, async () => {
    const tolerant = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'tolerant', namespace: 'default' },
      spec: {
        replicas: 6,
        selector: { matchLabels: { app: 'tolerant' } },
        template: {
          metadata: { labels: { app: 'tolerant' } },
          spec: {
            containers: [{ name: 'c', image: 'nginx' }],
            tolerations: [
              { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 },
              { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 },
            ],
          },
        },
      },
    };
    const file = join(server.dataDir, 'tolerant.json');
    writeFileSync(file, JSON.stringify(tolerant));
    await ok(['apply', '-f', file]);
    await rolledOut('tolerant');
    const silent = SIM[0]!;
    const before = (await pods('app=tolerant')).filter((p) => p.spec.nodeName === silent).map((p) => p.metadata.name);
    assert.ok(before.length > 0, 'some pods were spread onto the node that goes silent');

    await ok(['annotate', 'node', silent, 'simulated.skiff.dev/paused=true']);
    const node = await eventually(
      'the node Unknown and tainted unreachable',
      async () => {
        const n = await json(['get', 'node', silent]);
        const ready = n.status.conditions.find((c: { type: string }) => c.type === 'Ready');
        const keys = (n.spec.taints ?? []).map((t: { key: string; effect: string }) => `${t.key}:${t.effect}`);
        return ready.status === 'Unknown' && keys.includes('node.kubernetes.io/unreachable:NoExecute') ? n : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    assert.equal(node.status.conditions.find((c: { type: string }) => c.type === 'Ready').reason, 'NodeStatusUnknown');
    assert.match(await ok(['get', 'node', silent]), new RegExp(`${silent}\\s+NotReady`));

    await eventually(
      'six tolerant pods Running elsewhere',
      async () => {
        const all = await pods('app=tolerant');
        const live = all.filter((p) => running(p) && p.spec.nodeName !== silent);
        const evicted = before.every((name) => all.find((p) => p.metadata.name === name)?.metadata.deletionTimestamp || !all.some((p) => p.metadata.name === name));
        return live.length === 6 && evicted ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );

    await ok(['annotate', 'node', silent, 'simulated.skiff.dev/paused-']);
    await eventually('the node Ready again, untainted', async () => {
      const n = await json(['get', 'node', silent]);
      const ready = n.status.conditions.find((c: { type: string }) => c.type === 'Ready');
      return ready.status === 'True' && !(n.spec.taints ?? []).some((t: { key: string }) => t.key === 'node.kubernetes.io/unreachable') ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    await ok(['delete', 'deployment', 'tolerant']);
  });

  void it('blocks kubectl drain with a PodDisruptionBudget until the budget allows', { timeout }, async () => {
    const target = SIM[1]!;
    await ok(['create', 'deployment', 'guarded', '--image=nginx', '--replicas=2']);
    await ok(['patch', 'deployment', 'guarded', '-p', JSON.stringify({ spec: { template: { spec: { nodeSelector: { 'kubernetes.io/hostname': target } } } } })]);
    await rolledOut('guarded');
    await ok(['create', 'poddisruptionbudget', 'guard', '--selector=app=guarded', '--min-available=2']);
    await eventually('budget observed', async () => ((await json(['get', 'pdb', 'guard'])).status?.observedGeneration === 1 ? true : undefined));

    const drain = run(['drain', target, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=120s'], 150_000);
    await eventually('the node cordoned', async () => ((await json(['get', 'node', target])).spec.unschedulable === true ? true : undefined));
    // Evictions are refused while the budget allows no disruption.
    await new Promise((r) => setTimeout(r, 3000));
    await assertRunning(await pods('app=guarded'), 2, 'no guarded pod evicted yet');
    await ok(['patch', 'pdb', 'guard', '--type=merge', '-p', '{"spec":{"minAvailable":0}}']);
    const result = await drain;
    assert.equal(result.code, 0, `drain failed:\n${result.stderr}\n${result.stdout}`);
    assert.match(result.stderr + result.stdout, /Cannot evict pod as it would violate the pod's disruption budget/);
    assert.match(result.stdout, new RegExp(`node/${target} drained`));
    await ok(['uncordon', target]);
    await ok(['delete', 'deployment', 'guarded']);
  });

  void it('creates Jobs from a CronJob on schedule', { timeout }, async () => {
    const job = await eventually(
      'a Job owned by the CronJob',
      async () => {
        const jobs = await json<{ items: Array<{ metadata: { name: string; ownerReferences?: Array<{ kind: string; name: string }>; annotations?: Record<string, string> } }> }>(['get', 'jobs']);
        return jobs.items.find((j) => j.metadata.ownerReferences?.some((r) => r.kind === 'CronJob' && r.name === 'tick'));
      },
      { timeoutMs: 90_000, intervalMs: 1000 },
    );
    assert.match(job.metadata.name, /^tick-\d+$/);
    assert.ok(job.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']);
    await eventually('lastScheduleTime', async () => ((await json(['get', 'cronjob', 'tick'])).status?.lastScheduleTime ? true : undefined));
  });

  void it('helm install --wait of a `helm create` chart completes', { timeout }, async () => {
    const home = join(server.dataDir, 'helm');
    mkdirSync(home, { recursive: true });
    const env = { HELM_CACHE_HOME: join(home, 'cache'), HELM_CONFIG_HOME: join(home, 'config'), HELM_DATA_HOME: join(home, 'data') };
    const h = (args: string[]) => helm(args, { kubeconfig: server.kubeconfig, env, timeoutMs: 150_000 });
    const created = await h(['create', join(home, 'demo')]);
    assert.equal(created.code, 0, created.stderr);
    const install = await h(['install', 'demo', join(home, 'demo'), '--wait', '--timeout', '120s']);
    assert.equal(install.code, 0, `helm install --wait failed:\n${install.stderr}\n${install.stdout}`);
    assert.match(install.stdout, /STATUS: deployed/);
    const deploy = await json(['get', 'deployment', 'demo']);
    if (deploy.status.availableReplicas !== 1) await assertRunning(await pods('app.kubernetes.io/name=demo'), 1, `helm reported the release deployed; the Deployment's status is ${JSON.stringify(deploy.status)}`);
    assert.equal(deploy.status.availableReplicas, 1);
    assert.ok(readFileSync(join(home, 'demo', 'Chart.yaml'), 'utf8').includes('name: demo'));
  });
});
