// kubectl 1.35's rollout commands against a full `skiff server` (its Deployment and ReplicaSet controllers), with a
// fake kubelet in this process making pods ready: create, scale, set image + rollout status, history, undo (the same
// ReplicaSet reused), pause/resume and restart; and helm 4's `install --wait`, which waits on the same status.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../../src/client/client.ts';
import { httpsTransport, type Transport } from '../../src/client/transport.ts';
import { startFakeKubelet, type FakeKubelet } from '../support/fakekubelet.ts';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { helm, kubectlOk } from '../support/kubectl.ts';
import { eventually, readKubeconfig, startSkiffServer, type SkiffServer } from '../support/server.ts';

interface ReplicaSetSummary {
  name: string;
  uid: string;
  revision: string;
  image: string;
  replicas: number;
}

void describe('kubectl rollout against skiff server', { timeout: 10 * 60_000 }, () => {
  let server: SkiffServer;
  let transport: Transport;
  let kubelet: FakeKubelet;

  before(async () => {
    server = await startSkiffServer({ datastore: 'sqlite' });
    transport = httpsTransport(readKubeconfig(server.kubeconfig));
    kubelet = startFakeKubelet(new Client(transport));
  });
  after(async () => {
    await kubelet?.stop();
    await transport?.close();
    await server?.stop();
  });

  const ok = (args: string[], timeoutMs = 120_000): Promise<string> =>
    kubectlOk(args, { kubeconfig: server.kubeconfig, timeoutMs, detail: () => server.output().slice(-3000) });
  const rolloutStatus = async () => {
    const out = await ok(['rollout', 'status', 'deployment/web', '--timeout=90s'], 120_000);
    assert.match(out, /deployment "web" successfully rolled out/);
  };
  const replicaSets = async (): Promise<ReplicaSetSummary[]> => {
    const list = JSON.parse(await ok(['get', 'rs', '-l', 'app=web', '-o', 'json'])) as { items: any[] };
    return list.items
      .map((rs) => ({
        name: rs.metadata.name,
        uid: rs.metadata.uid,
        revision: rs.metadata.annotations['deployment.kubernetes.io/revision'],
        image: rs.spec.template.spec.containers[0].image,
        replicas: rs.spec.replicas,
      }))
      .sort((a, b) => Number(a.revision) - Number(b.revision));
  };
  const deployment = async (): Promise<any> => JSON.parse(await ok(['get', 'deployment', 'web', '-o', 'json']));

  it('creates a deployment with 3 replicas that rolls out', async () => {
    assert.match(await ok(['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=3']), /deployment.apps\/web created/);
    await rolloutStatus();
    const d = await deployment();
    assert.equal(d.status.availableReplicas, 3);
    assert.equal(d.metadata.annotations['deployment.kubernetes.io/revision'], '1');
    const [rs] = await replicaSets();
    assert.match(rs!.name, /^web-[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    assert.equal(rs!.replicas, 3);
    const pods = await ok(['get', 'pods', '-l', 'app=web', '--no-headers']);
    assert.equal(pods.trim().split('\n').filter((l) => /\s1\/1\s+Running\s/.test(l)).length, 3, pods);
  });

  it('scales', async () => {
    assert.match(await ok(['scale', 'deployment', 'web', '--replicas=5']), /deployment.apps\/web scaled/);
    await rolloutStatus();
    await eventually('5 available', async () => ((await deployment()).status.availableReplicas === 5 ? true : undefined));
    const describe = await ok(['describe', 'deployment', 'web']);
    assert.match(describe, /NewReplicaSet:\s+web-\w+ \(5\/5 replicas created\)/);
    assert.match(describe, /ScalingReplicaSet\s+.*Scaled up replica set web-\w+ from 3 to 5/);
  });

  it('set image rolls out a new ReplicaSet and rollout status finishes', async () => {
    await ok(['set', 'image', 'deployment/web', 'nginx=nginx:1.26']);
    await rolloutStatus();
    const sets = await replicaSets();
    assert.deepEqual(sets.map((rs) => [rs.revision, rs.image, rs.replicas]), [['1', 'nginx:1.25', 0], ['2', 'nginx:1.26', 5]]);
  });

  it('rollout history lists the revisions', async () => {
    const history = await ok(['rollout', 'history', 'deployment/web']);
    assert.match(history, /REVISION\s+CHANGE-CAUSE/);
    assert.match(history, /^1\s+<none>$/m);
    assert.match(history, /^2\s+<none>$/m);
    const detail = await ok(['rollout', 'history', 'deployment/web', '--revision=1']);
    assert.match(detail, /Image:\s+nginx:1\.25/);
  });

  it('rollout undo restores the earlier image with the same ReplicaSet', async () => {
    const before = await replicaSets();
    assert.match(await ok(['rollout', 'undo', 'deployment/web']), /deployment.apps\/web rolled back/);
    await rolloutStatus();
    const after = await eventually('revision 3', async () => {
      const sets = await replicaSets();
      return sets.some((rs) => rs.revision === '3') ? sets : undefined;
    });
    const first = before.find((rs) => rs.revision === '1')!;
    const reused = after.find((rs) => rs.revision === '3')!;
    assert.equal(reused.uid, first.uid, 'the revision-1 ReplicaSet is reused');
    assert.equal(reused.image, 'nginx:1.25');
    assert.equal(reused.replicas, 5);
    assert.equal(after.length, 2);
    assert.equal((await deployment()).spec.template.spec.containers[0].image, 'nginx:1.25');
    const history = await ok(['rollout', 'history', 'deployment/web']);
    assert.match(history, /^2\s+<none>$/m);
    assert.match(history, /^3\s+<none>$/m);
    assert.doesNotMatch(history, /^1\s/m);
  });

  it('pause holds a template change until resume', async () => {
    assert.match(await ok(['rollout', 'pause', 'deployment/web']), /deployment.apps\/web paused/);
    await ok(['set', 'image', 'deployment/web', 'nginx=nginx:1.27']);
    await eventually('paused change observed', async () => {
      const d = await deployment();
      const progressing = d.status.conditions.find((c: any) => c.type === 'Progressing');
      return d.status.observedGeneration === d.metadata.generation && progressing?.reason === 'DeploymentPaused' ? true : undefined;
    });
    assert.equal((await replicaSets()).length, 2, 'no new ReplicaSet while paused');
    assert.match(await ok(['rollout', 'resume', 'deployment/web']), /deployment.apps\/web resumed/);
    await rolloutStatus();
    const sets = await replicaSets();
    assert.deepEqual(sets.at(-1)!.image, 'nginx:1.27');
    assert.equal(sets.at(-1)!.revision, '4');
    assert.equal(sets.at(-1)!.replicas, 5);
  });

  it('rollout restart makes a new ReplicaSet and finishes', async () => {
    assert.match(await ok(['rollout', 'restart', 'deployment/web']), /deployment.apps\/web restarted/);
    await rolloutStatus();
    const d = await deployment();
    assert.ok(d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']);
    assert.equal(d.metadata.annotations['deployment.kubernetes.io/revision'], '5');
    const sets = await replicaSets();
    const latest = sets.at(-1)!;
    assert.equal(latest.revision, '5');
    assert.equal(latest.replicas, 5);
    assert.ok(sets.filter((rs) => rs.revision !== '5').every((rs) => rs.replicas === 0));
  });

  it('helm install --wait of a `helm create` chart finishes once its Deployment is available', async () => {
    const env = { HELM_CACHE_HOME: join(server.dataDir, 'helm', 'cache'), HELM_CONFIG_HOME: join(server.dataDir, 'helm', 'config'), HELM_DATA_HOME: join(server.dataDir, 'helm', 'data') };
    mkdirSync(join(server.dataDir, 'charts'), { recursive: true });
    const chart = join(server.dataDir, 'charts', 'demo');
    const runHelm = async (args: string[]) => {
      const result = await helm(args, { kubeconfig: server.kubeconfig, env, timeoutMs: 150_000 });
      assert.equal(result.code, 0, `helm ${args.join(' ')} failed (${result.code}):\n${result.stderr}\n${result.stdout}`);
      return result.stdout;
    };
    await runHelm(['create', chart]);
    const out = await runHelm(['install', 'demo', chart, '--wait', '--timeout', '120s']);
    assert.match(out, /^STATUS: deployed$/m);
    const d = JSON.parse(await ok(['get', 'deployment', 'demo', '-o', 'json']));
    assert.equal(d.status.availableReplicas, 1);
    assert.equal(d.status.conditions.find((c: any) => c.type === 'Progressing')?.reason, 'NewReplicaSetAvailable');
  });
});
