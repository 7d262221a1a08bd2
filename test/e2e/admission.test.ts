// Admission as real kubectl 1.35 sees it against `skiff server`: a quota made with `kubectl create quota`, described
// with `kubectl describe quota`, refusing a `kubectl run` with upstream's message; priority and default tolerations.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl, kubectlOk, type KubectlResult } from '../support/kubectl.ts';
import { eventually, startSkiffServer, type SkiffServer } from '../support/server.ts';

const timeout = 120_000;

void describe('admission with kubectl 1.35', { timeout: 10 * 60_000 }, () => {
  const abort = new AbortController();
  let server: SkiffServer;
  const run = (args: string[], input?: string): Promise<KubectlResult> =>
    kubectl(args, { kubeconfig: server.kubeconfig, timeoutMs: 60_000, ...(input === undefined ? {} : { input }) });
  const ok = (args: string[], input?: string): Promise<string> => kubectlOk(args, { kubeconfig: server.kubeconfig, timeoutMs: 60_000, input });

  before(async () => {
    server = await startSkiffServer({ datastore: 'sqlite', signal: abort.signal });
    await ok(['create', 'namespace', 'team']);
  });
  after(async () => {
    try {
      await server?.stop();
    } finally {
      abort.abort();
    }
  });

  void it('create quota, describe quota, and a kubectl run the quota refuses', { timeout }, async () => {
    assert.equal((await ok(['create', 'quota', 'q', '--hard=pods=2,count/configmaps=5', '-n', 'team'])).trim(), 'resourcequota/q created');
    await eventually('the controller to fill in the quota status', async () => {
      const used = await ok(['get', 'quota', 'q', '-n', 'team', '-o', 'jsonpath={.status.used.pods}']);
      return used === '0' ? true : undefined;
    });
    await ok(['run', 'p1', '--image=nginx', '-n', 'team']);
    await ok(['run', 'p2', '--image=nginx', '-n', 'team']);
    const refused = await run(['run', 'p3', '--image=nginx', '-n', 'team']);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.trim(), 'Error from server (Forbidden): pods "p3" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2');

    // The namespace holds one ConfigMap: kube-root-ca.crt, published by the controller manager.
    await eventually('kubectl describe quota to show the usage', async () => {
      const described = await ok(['describe', 'quota', 'q', '-n', 'team']);
      assert.match(described, /^Name:\s+q$/m);
      assert.match(described, /^Namespace:\s+team$/m);
      assert.match(described, /^Resource\s+Used\s+Hard$/m);
      assert.match(described, /^--------\s+----\s+----$/m);
      assert.match(described, /^count\/configmaps\s+1\s+5$/m);
      assert.match(described, /^pods\s+2\s+2$/m);
      return true;
    }, { timeoutMs: 20_000 });
  });

  void it('kubectl run with an unknown priority class is Forbidden; known classes and default tolerations show in the pod', { timeout }, async () => {
    const unknown = await run(['run', 'lost', '--image=nginx', '-n', 'default', '--overrides={"spec":{"priorityClassName":"platinum"}}']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr.trim(), 'Error from server (Forbidden): pods "lost" is forbidden: no PriorityClass with name platinum was found');
    await ok(['create', 'priorityclass', 'gold', '--value=1000', '--description=gold']);
    await ok(['run', 'rich', '--image=nginx', '-n', 'default', '--overrides={"spec":{"priorityClassName":"gold"}}']);
    const pod = JSON.parse(await ok(['get', 'pod', 'rich', '-n', 'default', '-o', 'json'])) as { spec: Record<string, any> };
    assert.equal(pod.spec['priority'], 1000);
    assert.equal(pod.spec['preemptionPolicy'], 'PreemptLowerPriority');
    assert.deepEqual(
      (pod.spec['tolerations'] as Array<Record<string, unknown>>).map((t) => `${t['key']}:${t['effect']}:${t['tolerationSeconds']}`),
      ['node.kubernetes.io/not-ready:NoExecute:300', 'node.kubernetes.io/unreachable:NoExecute:300'],
    );
    const classes = await ok(['get', 'priorityclasses']);
    assert.match(classes, /^system-node-critical\s+2000001000\s+false\s+/m);
    assert.match(classes, /^system-cluster-critical\s+2000000000\s+false\s+/m);
  });
});
