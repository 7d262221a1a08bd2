// Port-forward into a real pod sandbox: Skiff's own containerd in a temporary data dir, a sandbox with its own
// network namespace, busybox httpd listening on 127.0.0.1:80 inside it. criPortForwardTarget reaches it through
// containerd's streaming server (SPDY/3.1), and the real kubectl 1.35 reaches it through the agent's handler.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContainerdSupervisor, findContainerd } from '../../src/kubelet/containerd.ts';
import { DEFAULT_SANDBOX_IMAGE } from '../../src/kubelet/containerd-config.ts';
import { importImageArchive, pauseImageArchive } from '../../src/kubelet/containerd-images.ts';
import { CriRuntime } from '../../src/kubelet/runtime-cri.ts';
import type { PodSandboxConfig } from '../../src/kubelet/runtime.ts';
import { criPortForwardTarget, PodDialError, podIPTarget } from '../../src/kubelet/server/portforward-cri.ts';
import { handlePortForward, RemotePortForwardError } from '../../src/kubelet/server/portforward.ts';
import { startPortForwardApiServer } from '../../src/kubelet/server/portforward.testutil.ts';
import { kubectlStream } from '../support/kubectl.ts';

const PAGE = 'hello from inside the sandbox';

/** Sends a request over a forwarded connection and reads to its end; rejects with whatever destroyed it. */
function exchange(conn: Duplex, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    conn.on('data', (chunk: Buffer) => (text += chunk.toString()));
    conn.on('end', () => resolve(text));
    conn.on('error', reject);
    conn.write(request);
  });
}

const rootOnly = process.getuid?.() === 0 ? false : 'containerd needs root';

describe('port-forward into a containerd sandbox', { skip: rootOnly, timeout: 180_000 }, () => {
  let dataDir: string;
  let supervisor: ContainerdSupervisor;
  let runtime: CriRuntime;
  let sandboxId: string;
  const stop = new AbortController();
  const logs: string[] = [];

  before(async () => {
    findContainerd();
    dataDir = mkdtempSync('/tmp/sk-');
    supervisor = new ContainerdSupervisor({ dataDir, stopGraceMs: 5000, log: (m) => logs.push(m) });
    // The sandbox gets a network namespace of its own. containerd 1.6 insists on an address on eth0, so loopback
    // alone will not do: a point-to-point veth with an address from a small private range, IPAM state in the data
    // dir, no masquerading; removing the sandbox removes the veth.
    mkdirSync(supervisor.paths.cniConfDir, { recursive: true });
    writeFileSync(
      path.join(supervisor.paths.cniConfDir, '10-skiff-pf-test.conflist'),
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'skiff-pf-test',
        plugins: [
          {
            type: 'ptp',
            ipMasq: false,
            ipam: { type: 'host-local', ranges: [[{ subnet: '10.254.199.0/28' }]], dataDir: path.join(dataDir, 'cni-ipam') },
          },
        ],
      }),
    );
    await supervisor.start(stop.signal);
    await importImageArchive(supervisor.paths.socket, pauseImageArchive(DEFAULT_SANDBOX_IMAGE));
    runtime = new CriRuntime({ endpoint: supervisor.endpoint });

    const logDirectory = path.join(dataDir, 'pods', 'default_web_u1');
    mkdirSync(logDirectory, { recursive: true });
    const sandboxConfig: PodSandboxConfig = { metadata: { name: 'web', uid: 'u1', namespace: 'default', attempt: 0 }, logDirectory };
    sandboxId = await runtime.runPodSandbox(sandboxConfig);
    const script = `/bin/busybox mkdir -p /www && echo '${PAGE}' > /www/index.html && exec /bin/busybox httpd -f -p 127.0.0.1:80 -h /www`;
    const containerId = await runtime.createContainer(
      sandboxId,
      { metadata: { name: 'httpd', attempt: 0 }, image: { image: DEFAULT_SANDBOX_IMAGE }, command: ['/bin/busybox', 'sh', '-c', script], logPath: 'httpd/0.log' },
      sandboxConfig,
    );
    await runtime.startContainer(containerId);
    // Bounded wait until httpd listens (the first forwards may be refused while it starts).
    const target = criPortForwardTarget(runtime, sandboxId);
    for (let attempt = 0; ; attempt++) {
      try {
        const answer = await exchange(await target.dial(80, stop.signal), 'GET / HTTP/1.0\r\n\r\n');
        if (answer.includes(PAGE)) break;
      } catch (error) {
        if (attempt >= 50) throw new Error(`httpd never answered in the sandbox\n${logs.join('\n')}`, { cause: error });
      }
      await sleep(100);
    }
  });

  after(async () => {
    if (runtime) {
      for (const s of await runtime.listPodSandbox().catch(() => [])) {
        await runtime.stopPodSandbox(s.id).catch(() => undefined);
        await runtime.removePodSandbox(s.id).catch(() => undefined);
      }
      await runtime.close();
    }
    stop.abort();
    await supervisor?.stopped();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("reaches a port bound to 127.0.0.1 inside the sandbox's network namespace through containerd's streaming server", async () => {
    const target = criPortForwardTarget(runtime, sandboxId);
    const answers = await Promise.all(
      [1, 2, 3].map(async () => exchange(await target.dial(80, stop.signal), 'GET /index.html HTTP/1.0\r\nHost: pod\r\n\r\n')),
    );
    for (const answer of answers) {
      assert.match(answer, /^HTTP\/1\.[01] 200 OK\r\n/);
      assert.ok(answer.endsWith(`${PAGE}\n`), answer);
    }
  });

  it('is not reachable at the pod IP, where nothing listens (upstream port-forward reaches localhost in the pod)', async () => {
    const status = await runtime.podSandboxStatus(sandboxId);
    const podIP = status.network?.ip;
    assert.ok(podIP, 'the sandbox has an IP');
    await assert.rejects(podIPTarget(podIP).dial(80, stop.signal), (error: unknown) => {
      assert.ok(error instanceof PodDialError, String(error));
      assert.equal(error.message, `dial tcp4 ${podIP}:80: connect: connection refused`);
      return true;
    });
  });

  it("passes containerd's own error on when nothing listens on the port", async () => {
    const target = criPortForwardTarget(runtime, sandboxId);
    const conn = await target.dial(81, stop.signal);
    await assert.rejects(exchange(conn, 'GET / HTTP/1.0\r\n\r\n'), (error: unknown) => {
      assert.ok(error instanceof RemotePortForwardError, String(error));
      assert.ok(
        error.message.startsWith(`error forwarding port 81 to pod ${sandboxId}, uid : failed to execute portforward in network namespace "`),
        error.message,
      );
      assert.match(error.message, /connection refused/);
      return true;
    });
  });

  it('kubectl port-forward reaches the pod through the handler and containerd', async () => {
    const dir = mkdtempSync('/tmp/sk-kc-');
    const target = criPortForwardTarget(runtime, sandboxId, { name: 'web', uid: 'u1' });
    const api = await startPortForwardApiServer({
      dir,
      pod: { namespace: 'default', name: 'web', uid: 'u1' },
      onPortForward: (req, socket, head) => handlePortForward(req, socket, head, target, { signal: stop.signal }),
    });
    const pf = kubectlStream(['port-forward', '--address', '127.0.0.1', 'pod/web', ':80'], { kubeconfig: api.kubeconfig });
    try {
      const line = await pf.waitForLine((l) => l.startsWith('Forwarding from 127.0.0.1:'), 30_000);
      const localPort = Number(/127\.0\.0\.1:(\d+) -> 80/.exec(line)?.[1]);
      const body = await new Promise<string>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: localPort, path: '/', agent: false }, (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString()));
            res.on('end', () => resolve(text));
          })
          .on('error', reject);
      });
      assert.equal(body, `${PAGE}\n`);
    } finally {
      await pf.stop();
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
