// `skiff killall` after a node crashed: `skiff up --runtime cri` is killed with SIGKILL while a pod runs (its
// container survives, as under a crashed kubelet); killall leaves no process, mount, namespace or bridge behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CriClient } from '../../src/kubelet/cri/client.ts';
import { kubectl } from '../support/kubectl.ts';
import { eventually, freePort, repoRoot, startSkiffServer, type SkiffServer } from '../support/server.ts';

const BRIDGE = 'skiff-ka0';

function skiff(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Processes whose command line names `text` (the shims name containerd's socket, containerd its config). */
function processesOf(text: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('skiff killall after a crashed node', { skip: process.getuid?.() !== 0 && 'needs root', timeout: 5 * 60_000 }, () => {
  const abort = new AbortController();
  let server: SkiffServer;
  let dataDir: string;

  before(async () => {
    server = await startSkiffServer({
      datastore: 'sqlite',
      command: 'up',
      extraArgs: ['--runtime', 'cri', '--kubelet-port', String(await freePort()), '--cni-bridge', BRIDGE, '--cluster-cidr', '10.247.0.0/16', '--disable-kube-proxy'],
      signal: abort.signal,
      readyTimeoutMs: 120_000,
    });
    dataDir = server.dataDir;
    await eventually('the banner', () => (server.output().includes('Skiff is up') ? true : undefined), { timeoutMs: 180_000, intervalMs: 200, attempts: 1000 });
  });

  after(async () => {
    await server?.stop().catch(() => undefined);
    abort.abort();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('stops the containers a killed node left running and cleans up after them', async () => {
    const kc = { kubeconfig: server.kubeconfig, timeoutMs: 90_000 };
    assert.equal((await kubectl(['run', 'survivor', '--image=busybox', '--', 'sleep', '600'], kc)).code, 0);
    assert.equal((await kubectl(['wait', '--for=condition=Ready', 'pod/survivor', '--timeout=120s'], kc)).code, 0);
    const socket = join(dataDir, 'containerd', 'containerd.sock');
    const cri = new CriClient({ endpoint: socket, timeoutMs: 10_000 });
    const [sandbox] = await cri.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.name': 'survivor' } });
    const info = JSON.stringify((await cri.podSandboxStatus(sandbox!.id, true)).info);
    const netns = /(\/var\/run\/netns\/cni-[0-9a-f-]+)/.exec(info)?.[1];
    assert.ok(netns && existsSync(netns), info.slice(0, 300));
    cri.close();

    server.kill('SIGKILL');
    await eventually('skiff up gone', () => (server.process.exitCode !== null || server.process.signalCode !== null ? true : undefined));
    // The container lives on without its node agent.
    assert.ok(processesOf(socket).length > 0, 'shims still running');

    const result = await skiff(['killall', '--data-dir', dataDir, '--cni-bridge', BRIDGE]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^stopped \d+ processes \(containers, shims, containerd\), unmounted \d+ mounts under /);
    await eventually('no process left', () => (processesOf(socket).length === 0 && processesOf(join(dataDir, 'containerd', 'config.toml')).length === 0 ? true : undefined), { timeoutMs: 10_000 });
    assert.equal(readFileSync('/proc/self/mountinfo', 'utf8').includes(dataDir), false, 'mounts under the data dir');
    assert.equal(existsSync(netns), false, `${netns} still there`);
    assert.equal(existsSync(`/sys/class/net/${BRIDGE}`), false, `bridge ${BRIDGE} still there`);
  });
});
