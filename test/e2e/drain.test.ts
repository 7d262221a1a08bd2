// `kubectl drain` (the real kubectl 1.35) against `skiff server`: the node is cordoned, evictions are refused with 429
// while a PodDisruptionBudget allows no disruption — kubectl keeps retrying — and go through once the budget is relaxed.
// No scheduler or node agent runs, so the test creates a Node and pods bound to it with status Running/Ready itself,
// and plays the kubelet's part of finishing graceful deletions.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { kubectl, kubectlOk, kubectlStream, type KubectlResult } from '../support/kubectl.ts';
import { eventually, request, startSkiffServer, type SkiffServer } from '../support/server.ts';

const NS = 'drain-test';
const NODE = 'drain-node';
const PODS = ['web-0', 'web-1'];

void describe('kubectl drain against skiff server', { timeout: 10 * 60_000 }, () => {
  const abort = new AbortController();
  let server: SkiffServer;

  const run = (args: string[], input?: string): Promise<KubectlResult> => kubectl(args, { kubeconfig: server.kubeconfig, timeoutMs: 60_000, ...(input === undefined ? {} : { input }) });
  const ok = (args: string[], input?: string): Promise<string> => kubectlOk(args, { kubeconfig: server.kubeconfig, timeoutMs: 60_000, input });
  const json = async (args: string[]): Promise<any> => JSON.parse(await ok([...args, '-o', 'json']));
  const api = async (method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<any> => {
    const res = await request(server, { method, path, ...(body === undefined ? {} : { body, headers: { 'Content-Type': contentType } }) });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.body}`);
    return res.json;
  };

  /** The kubelet's part of a graceful deletion: a pod with a deletionTimestamp is removed for good. */
  const finishGracefulDeletions = async (signal: AbortSignal): Promise<void> => {
    const deadline = Date.now() + 5 * 60_000;
    while (!signal.aborted && Date.now() < deadline) {
      const list = await api('GET', `/api/v1/namespaces/${NS}/pods`).catch(() => ({ items: [] }));
      for (const pod of list.items ?? []) {
        if (!pod.metadata?.deletionTimestamp) continue;
        await api('DELETE', `/api/v1/namespaces/${NS}/pods/${pod.metadata.name}`, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 }).catch(() => {});
      }
      await sleep(250, undefined, { signal }).catch(() => {});
    }
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

  it('is blocked by a PodDisruptionBudget until the budget allows, then cordons and drains the node', { timeout: 240_000 }, async () => {
    await ok(['create', 'namespace', NS]);
    const node = await api('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE, labels: { 'kubernetes.io/hostname': NODE } } });
    for (const [i, name] of PODS.entries()) {
      // Owned by their Node (as mirror pods are), so drain counts them as managed without --force.
      await api('POST', `/api/v1/namespaces/${NS}/pods`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: NODE, uid: node.metadata.uid, controller: true }] },
        spec: { nodeName: NODE, containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
      });
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      await ok([
        'patch', 'pod', name, '-n', NS, '--subresource=status', '--type=merge', '-p',
        JSON.stringify({ status: { phase: 'Running', podIP: `10.244.7.${i + 10}`, podIPs: [{ ip: `10.244.7.${i + 10}` }], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } }),
      ]);
    }
    await ok(['create', 'poddisruptionbudget', 'web', '-n', NS, '--selector=app=web', `--min-available=${PODS.length}`]);
    await eventually('the budget allows no disruption', async () => {
      const s = (await json(['get', 'pdb', 'web', '-n', NS])).status;
      assert.deepEqual([s?.expectedPods, s?.currentHealthy, s?.desiredHealthy, s?.disruptionsAllowed], [2, 2, 2, 0]);
      return true;
    });

    const kubelet = new AbortController();
    const finishing = finishGracefulDeletions(kubelet.signal);
    const drain = kubectlStream(['drain', NODE, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=180s'], { kubeconfig: server.kubeconfig, signal: abort.signal });
    try {
      const refused = `error when evicting pods/"web-0" -n "${NS}" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.`;
      await eventually(
        'kubectl retrying a refused eviction',
        () => {
          if (!drain.stderr().includes(refused)) throw new Error(`not yet; kubectl said:\n${drain.lines.join('\n')}\n${drain.stderr()}`);
          return true;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      assert.equal((await json(['get', 'node', NODE])).spec.unschedulable, true, 'the node is cordoned');
      for (const name of PODS) assert.equal((await json(['get', 'pod', name, '-n', NS])).metadata.deletionTimestamp, undefined, `${name} still runs`);

      await ok(['patch', 'pdb', 'web', '-n', NS, '--type=merge', '-p', '{"spec":{"minAvailable":0}}']);
      const exit = await drain.exited;
      const output = drain.lines.join('\n');
      assert.equal(exit.code, 0, `kubectl drain failed:\n${output}\n${drain.stderr()}`);
      assert.match(output, new RegExp(`^node/${NODE} cordoned$`, 'm'));
      for (const name of PODS) assert.match(output, new RegExp(`^pod/${name} evicted$`, 'm'));
      assert.match(output, new RegExp(`^node/${NODE} drained$`, 'm'));
    } finally {
      await drain.stop();
      kubelet.abort();
      await finishing;
    }
    assert.equal((await run(['get', 'pod', '-n', NS, '-o', 'name'])).stdout.trim(), '', 'no pod is left');
    assert.equal((await json(['get', 'node', NODE])).spec.unschedulable, true);
  });
});
