// `skiff up` as a user runs it, with the real kubectl 1.35: the control plane, this machine as a node and two
// simulated nodes, all Ready; pods bound to them run. As root, also with real containers: its steps as it starts,
// and a second start on the same data dir that finds its images instead of building them again.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubectl, kubectlOk } from '../support/kubectl.ts';
import { eventually, freePort, startSkiffServer, type SkiffServer } from '../support/server.ts';

const timeout = 120_000;

void describe('skiff up --runtime simulated', { timeout: 10 * 60_000 }, () => {
  const abort = new AbortController();
  let server: SkiffServer;

  const ok = (args: string[], input?: string): Promise<string> => kubectlOk(args, { kubeconfig: server.kubeconfig, timeoutMs: 60_000, input });

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

  void it('prints its steps while it works, then where the kubeconfig is and what to type next', { timeout }, async () => {
    const out = await eventually('the banner', () => (server.output().includes('Next:') ? server.output() : undefined), { timeoutMs: 30_000 });
    // Progress on stderr, plain lines when not a terminal: each step once it is done, with its duration.
    assert.match(out, /^starting the control plane \.\.\. done \(\d+\.\d+ s\): https:\/\/127\.0\.0\.1:\d+$/m);
    assert.match(out, /^registering node \S+ and 2 simulated nodes \(pods simulated\) \.\.\. done \(\d+\.\d+ s\)$/m);
    assert.ok(!out.includes('\x1b['), 'no ANSI escapes when stderr is not a terminal');
    assert.ok(out.includes(`Kubeconfig: ${join(server.dataDir, 'admin.conf')}`), out);
    assert.match(out, /2 simulated nodes \(runtime simulated\)/);
    // The tutorial's commands, through skiff kubectl with this cluster's kubeconfig (not the default data dir's).
    const next = out.slice(out.indexOf('Next:'));
    assert.match(next, new RegExp(`^  export KUBECONFIG=${join(server.dataDir, 'admin.conf')}\n  skiff kubectl create deployment nginx --image=nginx\n  skiff kubectl expose deployment nginx --port=80 --type=NodePort\n  skiff kubectl get pod,svc\n`, 'm'));
    assert.match(next, /pods are simulated: they run no containers, so nothing answers on the NodePort/);
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

void describe('skiff up --runtime cri: progress, and a second start', { skip: process.getuid?.() !== 0 && 'needs root for containerd', timeout: 10 * 60_000 }, () => {
  const abort = new AbortController();
  let server: SkiffServer;
  /** The output of the latest start only (the harness logs each start as a `$ skiff …` line). */
  const latest = () => {
    const out = server.output();
    return out.slice(out.lastIndexOf('$ skiff '));
  };
  const banner = () => eventually('the banner', () => (latest().includes('Next:') ? latest() : undefined), { timeoutMs: 120_000 });

  before(async () => {
    // Its own bridge and ranges, so it cannot disturb another cluster on this machine.
    const args = ['--runtime', 'cri', '--kubelet-port', String(await freePort()), '--cni-bridge', 'skt-up0', '--cluster-cidr', '10.251.0.0/16', '--service-cluster-ip-range', '10.115.0.0/16', '--disable-kube-proxy'];
    server = await startSkiffServer({ datastore: 'sqlite', command: 'up', extraArgs: args, signal: abort.signal, readyTimeoutMs: 180_000 });
  });
  after(async () => {
    try {
      await server?.stop();
    } finally {
      abort.abort();
    }
  });

  void it('shows each step, then the tutorial with the node address to curl', { timeout: 180_000 }, async () => {
    const out = await banner();
    assert.match(out, /^starting containerd \.\.\. done \(\d+\.\d+ s\)$/m);
    assert.match(out, /^preparing images \.\.\. done \(\d+\.\d+ s\): built pause\b/m);
    assert.match(out, /^starting the control plane \.\.\. done/m);
    assert.match(out, /^registering node \S+ \.\.\. done/m);
    assert.match(out, /^waiting for node \S+ to be Ready \.\.\. done/m);
    assert.match(out, /\(runtime cri\)\.$/m);
    assert.match(out, /^ {2}curl http:\/\/\d+\.\d+\.\d+\.\d+:<nodePort>\/ /m);
  });

  void it('a second start finds the images it prepared, and its node is Ready again', { timeout: 180_000 }, async () => {
    await server.restart();
    const out = await banner();
    assert.match(out, /^preparing images \.\.\. done \(\d+\.\d+ s\): found pause, busybox, nginx$/m);
    assert.match(out, /^waiting for node \S+ to be Ready \.\.\. done/m);
    const nodes = await kubectl(['get', 'nodes', '--no-headers'], { kubeconfig: server.kubeconfig, timeoutMs: 30_000 });
    assert.match(nodes.stdout, /^\S+\s+Ready\s+control-plane\s/m);
  });
});
