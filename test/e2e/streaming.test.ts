// kubectl logs, exec and attach against real containers: real kubectl 1.35 → the API server (in-process) → the node
// agent's HTTPS server → Skiff's containerd. The pod's sandbox and containers are run here through CRI with the
// labels and log layout the pod workers use, and the pod's status is written by hand, so this tests the streaming
// path alone. Needs root (containerd).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PKI_FILES, signServingCertificate } from '../../src/adm/pki.ts';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import type { GroupVersionResource, KubeObject } from '../../src/client/client.ts';
import { silentLogger } from '../../src/log.ts';
import { ContainerdSupervisor, findContainerd } from '../../src/kubelet/containerd.ts';
import { DEFAULT_SANDBOX_IMAGE } from '../../src/kubelet/containerd-config.ts';
import { BUSYBOX_STATIC, importImageArchive, ociImageArchive, pauseImageArchive, type ArchiveEntry } from '../../src/kubelet/containerd-images.ts';
import type { ContainerConfig, PodSandboxConfig } from '../../src/kubelet/runtime.ts';
import { CriRuntime } from '../../src/kubelet/runtime-cri.ts';
import { CRI_LABELS, containerLogPath, kubeletPaths } from '../../src/kubelet/seams.ts';
import { startKubeletServer } from '../../src/kubelet/server/server.ts';
import { gvr, startTestCluster, type TestCluster } from '../support/cluster.ts';
import { kubeCacheDir, kubectl, kubectlPath, kubectlStream } from '../support/kubectl.ts';

const IMAGE = 'docker.io/library/skiff-streaming-test:1';
const APPLETS = ['sh', 'cat', 'echo', 'sleep', 'touch', 'test', 'ls', 'stty'];

/** busybox-static with the applets these tests call. */
function testImage(): Buffer {
  const layer: ArchiveEntry[] = [
    { path: 'bin', type: 'dir' },
    { path: 'bin/busybox', type: 'file', mode: 0o755, data: readFileSync(BUSYBOX_STATIC) },
    ...APPLETS.map((a): ArchiveEntry => ({ path: `bin/${a}`, type: 'symlink', target: 'busybox' })),
    { path: 'etc', type: 'dir' },
    { path: 'proc', type: 'dir' },
    { path: 'sys', type: 'dir' },
    { path: 'dev', type: 'dir' },
    { path: 'tmp', type: 'dir', mode: 0o1777 },
  ];
  return ociImageArchive({ name: IMAGE, layer, env: ['PATH=/bin'] });
}

const root = process.getuid?.() === 0;

describe('kubectl logs, exec and attach against containerd', { skip: root ? false : 'containerd needs root', timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let dataDir: string;
  let supervisor: ContainerdSupervisor;
  let runtime: CriRuntime;
  const stop = new AbortController();
  let agentClosed: Promise<void> | undefined;
  const pod = { namespace: 'default', name: 'shell', uid: '' };
  const containerIds: Record<string, string> = {};

  const run = (args: string[], input?: string) => kubectl(args, { kubeconfig: cluster.kubeconfig, timeoutMs: 60_000, ...(input !== undefined && { input }) });
  const setStatus = async (resource: GroupVersionResource, namespace: string | undefined, name: string, status: object) => {
    const obj = await cluster.client.get(resource, namespace, name);
    await cluster.client.updateStatus(resource, namespace, { ...obj, status });
  };

  async function waitExited(id: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if ((await runtime.containerStatus(id)).state === 'CONTAINER_EXITED') return;
      await sleep(50);
    }
    assert.fail(`container ${id} did not exit`);
  }

  before(async () => {
    findContainerd();
    cluster = await startTestCluster();
    // Short: containerd's socket path must fit a unix socket address.
    dataDir = mkdtempSync('/tmp/stm-');
    supervisor = new ContainerdSupervisor({ dataDir, stopGraceMs: 5000 });
    await supervisor.start(stop.signal);
    await importImageArchive(supervisor.paths.socket, pauseImageArchive(DEFAULT_SANDBOX_IMAGE));
    await importImageArchive(supervisor.paths.socket, testImage());
    runtime = new CriRuntime({ endpoint: supervisor.endpoint });
    const paths = kubeletPaths(dataDir);

    const pkiDir = path.join(cluster.dataDir, 'pki');
    const ca = { caCertPem: readFileSync(path.join(pkiDir, PKI_FILES.caCert), 'utf8'), caKeyPem: readFileSync(path.join(pkiDir, PKI_FILES.caKey), 'utf8') };
    const serving = await signServingCertificate(ca, { commonName: 'node1', hosts: ['127.0.0.1'] });
    const agent = await startKubeletServer(
      {
        host: '127.0.0.1',
        port: 0,
        tls: { certPem: serving.certPem, keyPem: serving.keyPem, clientCAPem: ca.caCertPem },
        runtime,
        paths,
        logger: silentLogger(),
        // The agent's view of its pods; here the API's, whose status this test writes.
        pods: { get: (namespace, name) => cluster.client.get(gvr.pods, namespace, name).then((p) => p as Pod, () => undefined) },
      },
      stop.signal,
    );
    agentClosed = agent.closed;
    await cluster.client.create(gvr.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node1' } });
    await setStatus(gvr.nodes, undefined, 'node1', { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: agent.port } } });

    const created = await cluster.client.create<KubeObject>(gvr.pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: pod.name, namespace: pod.namespace },
      spec: {
        nodeName: 'node1',
        containers: [
          { name: 'main', image: IMAGE },
          { name: 'echoer', image: IMAGE, stdin: true, stdinOnce: true },
        ],
      },
    });
    pod.uid = created.metadata!.uid!;

    // What the pod workers do: a sandbox (host network: no CNI needed here), containers with the CRI labels and
    // <podLogDir>/<container>/<restartCount>.log.
    const logDirectory = paths.podLogDir(pod.namespace, pod.name, pod.uid);
    mkdirSync(logDirectory, { recursive: true });
    const labels = { [CRI_LABELS.podName]: pod.name, [CRI_LABELS.podNamespace]: pod.namespace, [CRI_LABELS.podUID]: pod.uid };
    const sandboxConfig: PodSandboxConfig = { metadata: { ...pod, attempt: 0 }, logDirectory, labels, linux: { namespaceOptions: { network: 'NODE' } } };
    const sandboxId = await runtime.runPodSandbox(sandboxConfig);
    const start = async (name: string, attempt: number, config: Partial<ContainerConfig>) => {
      const id = await runtime.createContainer(
        sandboxId,
        { metadata: { name, attempt }, image: { image: IMAGE }, labels: { ...labels, [CRI_LABELS.containerName]: name }, logPath: containerLogPath(name, attempt), ...config },
        sandboxConfig,
      );
      await runtime.startContainer(id);
      containerIds[`${name}/${attempt}`] = id;
      return id;
    };
    // main's first run ends; the restart keeps running until /tmp/go appears, then says so.
    await waitExited(await start('main', 0, { command: ['sh', '-c', 'echo from the first run; exit 1'] }));
    await start('main', 1, { command: ['sh', '-c', 'echo line one; echo line two >&2; echo waiting for go; while ! test -e /tmp/go; do sleep 1; done; echo after go; exec sleep 100000'] });
    await start('echoer', 0, { command: ['cat'], stdin: true, stdinOnce: true });

    const running = { running: { startedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } };
    const status = (name: string, attempt: number, more: object = {}) => ({ name, image: IMAGE, imageID: '', ready: true, started: true, restartCount: attempt, containerID: `containerd://${containerIds[`${name}/${attempt}`]}`, state: running, ...more });
    await setStatus(gvr.pods, 'default', pod.name, {
      phase: 'Running',
      hostIP: '127.0.0.1',
      containerStatuses: [
        status('main', 1, { lastState: { terminated: { exitCode: 1, reason: 'Error', containerID: `containerd://${containerIds['main/0']}` } } }),
        status('echoer', 0),
      ],
    });
    // The restarted container has written its first lines.
    for (let i = 0; i < 100 && !(await run(['logs', pod.name, '-c', 'main'])).stdout.includes('waiting for go'); i++) await sleep(100);
  });

  after(async () => {
    if (runtime) {
      for (const s of await runtime.listPodSandbox().catch(() => [])) {
        await runtime.stopPodSandbox(s.id).catch(() => {});
        await runtime.removePodSandbox(s.id).catch(() => {});
      }
      await runtime.close();
    }
    stop.abort();
    await agentClosed;
    await supervisor?.stopped();
    await cluster?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('kubectl logs: both streams, --tail with --timestamps, --previous', async () => {
    const all = await run(['logs', pod.name, '-c', 'main']);
    assert.equal(all.code, 0, all.stderr);
    // stdout and stderr reach the log through separate pipes: their relative order is the runtime's.
    assert.deepEqual(all.stdout.split('\n').sort(), ['', 'line one', 'line two', 'waiting for go']);
    assert.ok(all.stdout.indexOf('line one') < all.stdout.indexOf('waiting for go'), all.stdout);
    const last = await run(['logs', pod.name, '-c', 'main', '--tail=1', '--timestamps']);
    const lastLine = all.stdout.trimEnd().split('\n').at(-1)!;
    assert.match(last.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) /);
    assert.equal(last.stdout.slice(last.stdout.indexOf(' ') + 1), `${lastLine}\n`);
    assert.deepEqual(await run(['logs', pod.name, '-c', 'main', '--previous']), { code: 0, stdout: 'from the first run\n', stderr: '' });
    const none = await run(['logs', pod.name, '-c', 'echoer', '--previous']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /previous terminated container "echoer" in pod "shell" not found/);
  });

  it('kubectl logs -f sees a new line as the container writes it', async () => {
    const follow = kubectlStream(['logs', '-f', pod.name, '-c', 'main'], { kubeconfig: cluster.kubeconfig });
    try {
      await follow.waitForLine((l) => l === 'waiting for go', 30_000);
      const touched = await run(['exec', pod.name, '-c', 'main', '--', 'touch', '/tmp/go']);
      assert.equal(touched.code, 0, touched.stderr);
      await follow.waitForLine((l) => l === 'after go', 30_000);
    } finally {
      await follow.stop();
    }
  });

  it('kubectl exec: stdout and stderr apart, exit code 3', async () => {
    const result = await run(['exec', pod.name, '-c', 'main', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(result.stdout, 'out\n');
    assert.equal(result.stderr, 'err\ncommand terminated with exit code 3\n');
    assert.equal(result.code, 3);
  });

  it('kubectl exec -i: piped stdin reaches the process, and its end ends it', async () => {
    const input = 'piped-stdin-data\nsecond line\n';
    assert.deepEqual(await run(['exec', '-i', pod.name, '-c', 'main', '--', 'cat'], input), { code: 0, stdout: input, stderr: '' });
  });

  it('kubectl exec -it runs a shell on a terminal', async () => {
    // python3's pty module gives kubectl a terminal; the shell's answer comes back through it.
    const script = [
      'import os, pty, select, sys, time',
      'pid, fd = pty.fork()',
      'if pid == 0:',
      '    os.execv(sys.argv[1], sys.argv[1:])',
      'out, sent, start = b"", False, time.time()',
      'while time.time() - start < 60:',
      '    if not sent and (b"#" in out or time.time() - start > 5):',
      '        os.write(fd, b"echo $((6*7))\\n"); time.sleep(0.3); os.write(fd, b"exit\\n"); sent = True',
      '    r, _, _ = select.select([fd], [], [], 0.2)',
      '    if fd in r:',
      '        try:',
      '            data = os.read(fd, 4096)',
      '        except OSError:',
      '            break',
      '        if not data:',
      '            break',
      '        out += data',
      '_, status = os.waitpid(pid, 0)',
      'sys.stdout.write(out.decode("utf-8", "replace"))',
      'sys.exit(os.WEXITSTATUS(status))',
    ].join('\n');
    const args = [kubectlPath(), '--kubeconfig', cluster.kubeconfig, 'exec', '-it', pod.name, '-c', 'main', '--', 'sh'];
    const child = spawn('python3', ['-c', script, ...args], {
      env: { ...process.env, KUBECACHEDIR: kubeCacheDir(cluster.kubeconfig), KUBERC: 'off', HOME: path.dirname(kubeCacheDir(cluster.kubeconfig)), TERM: 'xterm' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    // The terminal echoes the command; the answer is on a line of its own.
    assert.match(stdout, /^42\r?$/m, stdout);
  });

  it('kubectl attach -i: stdin to the running process, output back, the end of stdin ends it', async () => {
    const result = await run(['attach', '-i', pod.name, '-c', 'echoer'], 'hello through attach\n');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'hello through attach\n');
  });
});
