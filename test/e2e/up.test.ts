// `skiff up` as a user runs it, with the real kubectl 1.35: the control plane, this machine as a node and two
// simulated nodes, all Ready; pods bound to them run.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubectl } from '../support/kubectl.ts';
import { eventually, startSkiffServer, type SkiffServer } from '../support/server.ts';

const timeout = 120_000;

void describe('skiff up --runtime simulated', { timeout: 10 * 60_000 }, () => {
  const abort = new AbortController();
  let server: SkiffServer;

  const ok = async (args: string[], input?: string): Promise<string> => {
    const result = await kubectl(args, { kubeconfig: server.kubeconfig, timeoutMs: 60_000, ...(input === undefined ? {} : { input }) });
    assert.equal(result.code, 0, `kubectl ${args.join(' ')} failed (${result.code}):\n${result.stderr}\n${result.stdout}`);
    return result.stdout;
  };

  before(async () => {
    server = await startSkiffServer({ datastore: 'sqlite', command: 'up', extraArgs: ['--runtime', 'simulated', '--simulated-nodes', '2'], signal: abort.signal });
  });
  after(async () => {
    try {
      await server?.stop();
    } finally {
      abort.abort();
    }
  });

  void it('prints where the kubeconfig is and what to type next', { timeout }, async () => {
    const out = await eventually('the banner', () => (server.output().includes('Next:') ? server.output() : undefined), { timeoutMs: 30_000 });
    assert.ok(out.includes(`Kubeconfig: ${join(server.dataDir, 'admin.conf')}`), out);
    assert.match(out, /2 simulated nodes \(runtime simulated\)/);
    assert.match(out, /kubectl get nodes/);
  });

  void it('kubectl get nodes shows three Ready nodes: this machine as control plane, and skiff-sim-0 and -1', { timeout }, async () => {
    const localName = hostname().toLowerCase();
    const table = await eventually(
      'three Ready nodes',
      async () => {
        const out = await ok(['get', 'nodes']);
        const rows = out.trim().split('\n').slice(1);
        return rows.length === 3 && rows.every((r) => /\sReady\s/.test(r)) ? out : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    assert.match(table, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/m);
    assert.match(table, new RegExp(`^${localName}\\s+Ready\\s+control-plane\\s+\\S+\\s+v1\\.35\\.`, 'm'));
    assert.match(table, /^skiff-sim-0\s+Ready\s+<none>/m);
    assert.match(table, /^skiff-sim-1\s+Ready\s+<none>/m);
    const nodes = JSON.parse(await ok(['get', 'nodes', '-o', 'json'])) as { items: Array<{ metadata: { name: string }; spec: { podCIDR?: string; taints?: unknown[] } }> };
    assert.equal(new Set(nodes.items.map((n) => n.spec.podCIDR)).size, 3, 'each node has its own podCIDR');
    assert.ok(nodes.items.every((n) => !n.spec.taints?.length), 'Ready nodes carry no taints');
    const leases = await ok(['get', 'leases', '-n', 'kube-node-lease', '-o', 'name']);
    assert.deepEqual(leases.trim().split('\n').sort(), [`lease.coordination.k8s.io/${localName}`, 'lease.coordination.k8s.io/skiff-sim-0', 'lease.coordination.k8s.io/skiff-sim-1'].sort());
  });

  void it('runs a pod bound to a simulated node, and deletes it', { timeout }, async () => {
    await ok(['run', 'web', '--image=nginx', '--overrides', JSON.stringify({ spec: { nodeName: 'skiff-sim-1' } })]);
    await ok(['wait', '--for=condition=Ready', 'pod/web', '--timeout=60s']);
    const wide = await ok(['get', 'pod', 'web', '-o', 'wide']);
    assert.match(wide, /^web\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.\d+\.\d+\s+skiff-sim-1\s/m);
    await ok(['delete', 'pod', 'web', '--wait=true', '--timeout=60s']);
    const left = await kubectl(['get', 'pod', 'web'], { kubeconfig: server.kubeconfig, timeoutMs: 30_000 });
    assert.match(left.stderr, /pods "web" not found/);
  });
});
