// `skiff agent` as its own process beside `skiff server`, as on a node of a real cluster: it joins with a
// kubeconfig, its node goes Ready, pods run on it, and logs and exec reach its own HTTPS server (self-signed, as
// upstream's kubelet serving certificate is without a CA).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CriClient } from '../../src/kubelet/cri/client.ts';
import { kubectl, kubectlOk } from '../support/kubectl.ts';
import { eventually, freePort, repoRoot, startSkiffServer, type SkiffServer } from '../support/server.ts';

const timeout = 180_000;
const BRIDGE = 'skiff-ag0';

void describe('skiff agent beside skiff server', { skip: process.getuid?.() !== 0 && 'needs root for containerd', timeout: 10 * 60_000 }, () => {
  const abort = new AbortController();
  let server: SkiffServer;
  let agent: ChildProcess;
  let agentDir: string;
  let agentOutput = '';
  let cri: CriClient;

  const run = (args: string[]) => kubectl(args, { kubeconfig: server.kubeconfig, timeoutMs: 90_000 });
  const ok = (args: string[]): Promise<string> =>
    kubectlOk(args, { kubeconfig: server.kubeconfig, timeoutMs: 90_000, detail: () => `agent:\n${agentOutput.slice(-3000)}` });

  before(async () => {
    // Its own pod range and bridge, so it never meets another test cluster's pods on this machine.
    server = await startSkiffServer({ datastore: 'sqlite', command: 'server', extraArgs: ['--cluster-cidr', '10.245.0.0/16'], signal: abort.signal });
    agentDir = await mkdtemp(join(tmpdir(), 'sk-ag-'));
    const port = await freePort();
    agent = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'agent', '--kubeconfig', server.kubeconfig, '--data-dir', agentDir, '--node-name', 'worker-1', '--node-ip', '127.0.0.1', '--kubelet-port', String(port), '--cni-bridge', BRIDGE, '--disable-kube-proxy'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    agent.stdout?.setEncoding('utf8').on('data', (c: string) => (agentOutput += c));
    agent.stderr?.setEncoding('utf8').on('data', (c: string) => (agentOutput += c));
    cri = new CriClient({ endpoint: join(agentDir, 'containerd', 'containerd.sock'), timeoutMs: 10_000 });
    await eventually('the agent joining', () => (agentOutput.includes('Node worker-1 joined') ? true : undefined), { timeoutMs: 180_000, intervalMs: 200, attempts: 1000 });
    await ok(['wait', '--for=condition=Ready', 'node/worker-1', '--timeout=120s']);
  });

  after(async () => {
    if (server && cri) {
      await run(['delete', 'pods', '--all', '--grace-period=1', '--wait=false']).catch(() => undefined);
      await eventually('no sandboxes left', async () => ((await cri.listPodSandbox()).length === 0 ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 }).catch(() => undefined);
    }
    cri?.close();
    if (agent && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await new Promise((r) => agent.once('exit', r));
    }
    try {
      await server?.stop();
    } finally {
      abort.abort();
      if (agentDir) await rm(agentDir, { recursive: true, force: true });
      spawn('ip', ['link', 'delete', BRIDGE], { stdio: 'ignore' });
    }
  });

  void it('registers a Ready node with containerd, without the control-plane role', { timeout }, async () => {
    const node = JSON.parse(await ok(['get', 'node', 'worker-1', '-o', 'json'])) as { metadata: { labels: Record<string, string> }; status: { nodeInfo: { containerRuntimeVersion: string }; addresses: Array<{ type: string; address: string }> } };
    assert.match(node.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\//);
    assert.equal(node.metadata.labels['node-role.kubernetes.io/control-plane'], undefined);
    assert.deepEqual(node.status.addresses.find((a) => a.type === 'InternalIP')?.address, '127.0.0.1');
    const lease = await ok(['get', 'lease', '-n', 'kube-node-lease', 'worker-1', '-o', 'jsonpath={.spec.holderIdentity}']);
    assert.equal(lease, 'worker-1');
  });

  void it('runs a pod whose logs and exec come through the agent, with its service-account files mounted', { timeout }, async () => {
    await ok(['run', 'hello', '--image=busybox', '--', 'sh', '-c', 'echo hello from the agent; sleep 600']);
    await ok(['wait', '--for=condition=Ready', 'pod/hello', '--timeout=120s']);
    assert.equal(await ok(['get', 'pod', 'hello', '-o', 'jsonpath={.spec.nodeName}']), 'worker-1');
    assert.match(await ok(['get', 'pod', 'hello', '-o', 'jsonpath={.status.podIP}']), /^10\.245\./);
    const logs = await eventually('the log line', async () => {
      const out = await ok(['logs', 'hello']);
      return out ? out : undefined;
    });
    assert.equal(logs, 'hello from the agent\n');
    assert.equal(await ok(['exec', 'hello', '--', 'cat', '/var/run/secrets/kubernetes.io/serviceaccount/namespace']), 'default');
    const token = await ok(['exec', 'hello', '--', 'cat', '/var/run/secrets/kubernetes.io/serviceaccount/token']);
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  });
});
