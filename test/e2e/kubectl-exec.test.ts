// Skiff's kubectl exec, attach, cp and port-forward beside the real kubectl 1.35, against real containers: the API
// server (in-process) → the node agent's HTTPS server → Skiff's containerd in a temporary data dir. The pod's sandbox
// and containers are run here through CRI with the labels the pod workers use (its own network namespace on a small
// point-to-point network), and its status is written by hand. Needs root (containerd).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { PKI_FILES, signServingCertificate } from '../../src/adm/pki.ts';
import type { GroupVersionResource, KubeObject } from '../../src/client/client.ts';
import { ContainerdSupervisor, findContainerd } from '../../src/kubelet/containerd.ts';
import { DEFAULT_SANDBOX_IMAGE } from '../../src/kubelet/containerd-config.ts';
import { BUSYBOX_STATIC, importImageArchive, ociImageArchive, pauseImageArchive, type ArchiveEntry } from '../../src/kubelet/containerd-images.ts';
import type { ContainerConfig, PodSandboxConfig } from '../../src/kubelet/runtime.ts';
import { CriRuntime } from '../../src/kubelet/runtime-cri.ts';
import { CRI_LABELS, containerLogPath, kubeletPaths } from '../../src/kubelet/seams.ts';
import { startKubeletServer } from '../../src/kubelet/server/server.ts';
import { silentLogger } from '../../src/log.ts';
import { gvr, startTestCluster, type TestCluster } from '../support/cluster.ts';
import { httpGet } from '../support/http.ts';
import { kubeCacheDir, kubectlPath } from '../support/kubectl.ts';
import { cleanEnv, same as sameIn, skiffCommand, skiffKubectl, type SameOptions } from '../support/kubectl-sidebyside.ts';
import { repoRoot } from '../support/server.ts';

const IMAGE = 'docker.io/library/skiff-kubectl-exec-test:1';
const APPLETS = ['sh', 'cat', 'echo', 'sleep', 'test', 'tar', 'mkdir', 'httpd', 'tail', 'stty'];
const PAGE = 'hello through port-forward';

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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const root = process.getuid?.() === 0;

describe('skiff kubectl exec, attach, cp and port-forward beside kubectl 1.35', { skip: root ? false : 'containerd needs root', timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let dataDir: string;
  let supervisor: ContainerdSupervisor;
  let runtime: CriRuntime;
  const stop = new AbortController();
  let agentClosed: Promise<void> | undefined;
  const pod = { namespace: 'default', name: 'shell', uid: '' };

  const same = (args: string[], options: SameOptions = {}) => sameIn(cluster.kubeconfig, args, options);
  const setStatus = async (resource: GroupVersionResource, namespace: string | undefined, name: string, status: object) => {
    const obj = await cluster.client.get(resource, namespace, name);
    await cluster.client.updateStatus(resource, namespace, { ...obj, status });
  };

  before(async () => {
    findContainerd();
    cluster = await startTestCluster();
    dataDir = mkdtempSync('/tmp/skx-');
    supervisor = new ContainerdSupervisor({ dataDir, stopGraceMs: 5000 });
    // The sandbox's own network namespace on a point-to-point veth (containerd 1.6 wants an address on eth0).
    mkdirSync(supervisor.paths.cniConfDir, { recursive: true });
    writeFileSync(
      path.join(supervisor.paths.cniConfDir, '10-skiff-kx-test.conflist'),
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'skiff-kx-test',
        plugins: [{ type: 'ptp', ipMasq: false, ipam: { type: 'host-local', ranges: [[{ subnet: '10.254.197.0/28' }]], dataDir: path.join(dataDir, 'cni-ipam') } }],
      }),
    );
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
        pods: { get: (namespace, name) => cluster.client.get(gvr.pods, namespace, name).then((p) => p as Pod, () => undefined) },
      },
      stop.signal,
    );
    agentClosed = agent.closed;
    await cluster.client.create(gvr.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node1' } });
    await setStatus(gvr.nodes, undefined, 'node1', { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: agent.port } } });

    // Containers: main (a shell's home), web (httpd on the pod's 127.0.0.1:80), one `cat` per kubectl for attach.
    const containers = [
      { name: 'main', command: ['sh', '-c', 'exec sleep 100000'] },
      { name: 'web', command: ['sh', '-c', `mkdir -p /www && echo '${PAGE}' > /www/index.html && exec httpd -f -p 127.0.0.1:80 -h /www`] },
      { name: 'cat-kreal', command: ['cat'], stdin: true, stdinOnce: true },
      { name: 'cat-kskif', command: ['cat'], stdin: true, stdinOnce: true },
    ];
    const created = await cluster.client.create<KubeObject>(gvr.pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: pod.name, namespace: pod.namespace, labels: { app: 'shell' } },
      spec: {
        nodeName: 'node1',
        containers: containers.map((c) => ({ name: c.name, image: IMAGE, ...(c.stdin && { stdin: true, stdinOnce: true }), ...(c.name === 'web' && { ports: [{ name: 'http', containerPort: 80 }] }) })),
      },
    });
    pod.uid = created.metadata!.uid!;
    await cluster.client.create(gvr.deployments, 'default', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'shell' },
      spec: { selector: { matchLabels: { app: 'shell' } }, template: { metadata: { labels: { app: 'shell' } }, spec: { containers: [{ name: 'main', image: IMAGE }] } } },
    });

    const logDirectory = paths.podLogDir(pod.namespace, pod.name, pod.uid);
    mkdirSync(logDirectory, { recursive: true });
    const labels = { [CRI_LABELS.podName]: pod.name, [CRI_LABELS.podNamespace]: pod.namespace, [CRI_LABELS.podUID]: pod.uid };
    const sandboxConfig: PodSandboxConfig = { metadata: { ...pod, attempt: 0 }, logDirectory, labels };
    const sandboxId = await runtime.runPodSandbox(sandboxConfig);
    const statuses = [];
    for (const c of containers) {
      const config: Partial<ContainerConfig> = { command: c.command, ...(c.stdin && { stdin: true, stdinOnce: true }) };
      const id = await runtime.createContainer(
        sandboxId,
        { metadata: { name: c.name, attempt: 0 }, image: { image: IMAGE }, labels: { ...labels, [CRI_LABELS.containerName]: c.name }, logPath: containerLogPath(c.name, 0), ...config },
        sandboxConfig,
      );
      await runtime.startContainer(id);
      statuses.push({ name: c.name, image: IMAGE, imageID: '', ready: true, started: true, restartCount: 0, containerID: `containerd://${id}`, state: { running: { startedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } } });
    }
    await setStatus(gvr.pods, 'default', pod.name, { phase: 'Running', hostIP: '127.0.0.1', containerStatuses: statuses });
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

  it('exec: output, exit codes, -c and the default container, stdin, deploy/x, errors', async () => {
    const echo = await same(['exec', 'shell', '-c', 'main', '--', 'echo', 'hello', 'world']);
    assert.equal(echo.stdout, 'hello world\n');
    const three = await same(['exec', 'shell', '-c', 'main', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.deepEqual(three, { code: 3, stdout: 'out\n', stderr: 'err\ncommand terminated with exit code 3\n' });
    // Two megabytes of binary, through the flow control of both ends.
    assert.ok((await same(['exec', 'shell', '-c', 'main', '--', 'cat', '/bin/busybox'])).stdout.length > 1_000_000);
    const web = await same(['exec', 'shell', '-c', 'web', '--', 'cat', '/www/index.html']);
    assert.equal(web.stdout, `${PAGE}\n`);
    const defaulted = await same(['exec', 'shell', '--', 'echo', 'hi']);
    assert.match(defaulted.stderr, /^Defaulted container "main" out of: main, web, cat-kreal, cat-kskif\n$/);
    const input = 'piped-stdin-data\nsecond line\n';
    assert.equal((await same(['exec', '-i', 'shell', '-c', 'main', '--', 'cat'], { input })).stdout, input);
    // -t without a terminal: kubectl says so and goes on without one.
    const noTty = await same(['exec', '-it', 'shell', '-c', 'main', '--', 'cat'], { input });
    assert.equal(noTty.stderr, 'Unable to use a TTY - input is not a terminal or the right kind of file\n');
    assert.equal((await same(['exec', 'deploy/shell', '-c', 'main', '--', 'echo', 'via', 'the', 'deployment'])).stdout, 'via the deployment\n');
    const missing = await same(['exec', 'nosuchpod', '--', 'echo']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /pods "nosuchpod" not found/);
    const badContainer = await same(['exec', 'shell', '-c', 'nope', '--', 'echo']);
    // kubectl 1.35 leaves an unknown -c to the server; its refusal of the WebSocket and then SPDY upgrade is reported.
    assert.equal(badContainer.stderr, 'Error from server (BadRequest): container nope is not valid for pod shell\n');
    await same(['exec', 'shell']);
    await same(['exec', 'shell', 'echo']);
  });

  it('attach -i: stdin to the running process and its output back', async () => {
    const attached = await same(['attach', '-i', 'shell', '-c', 'cat-KTOOL'], { input: 'hello through attach\n' });
    assert.equal(attached.code, 0, attached.stderr);
    assert.equal(attached.stdout, 'hello through attach\n');
    const bad = await same(['attach', 'shell', '-c', 'nope']);
    assert.equal(bad.stderr, 'error: cannot attach to the container: container nope not found in pod shell\n');
  });

  it('cp: a file into the pod and back out, through tar in the container', async () => {
    const dir = mkdtempSync('/tmp/skx-cp-');
    try {
      for (const tool of ['kreal', 'kskif']) writeFileSync(path.join(dir, `${tool}.txt`), `copied by ${tool}\nline two\n`);
      const up = await same(['cp', path.join(dir, 'KTOOL.txt'), 'shell:/tmp/up-KTOOL.txt', '-c', 'main']);
      assert.equal(up.code, 0, up.stderr);
      const cat = await same(['exec', 'shell', '-c', 'main', '--', 'cat', '/tmp/up-KTOOL.txt']);
      assert.equal(cat.stdout, 'copied by kreal\nline two\n');
      // Into a directory: the file keeps its name.
      await same(['cp', path.join(dir, 'KTOOL.txt'), 'shell:/tmp', '-c', 'main']);
      assert.equal((await same(['exec', 'shell', '-c', 'main', '--', 'cat', '/tmp/KTOOL.txt'])).stdout, 'copied by kreal\nline two\n');
      // What the container's tar says on stderr reaches stdout; the real kubectl may exit before it arrives (it
      // returns once the archive is read), so it is compared apart.
      const tarNote = "tar: removing leading '/' from member names\n";
      const withoutNote = { normalise: (t: string) => t.replace(tarNote, '') };
      await same(['cp', 'shell:/tmp/up-KTOOL.txt', path.join(dir, 'down-KTOOL.txt'), '-c', 'main'], withoutNote);
      const again = await skiffKubectl(['cp', 'shell:/tmp/up-kskif.txt', path.join(dir, 'again.txt'), '-c', 'main'], cluster.kubeconfig);
      assert.deepEqual(again, { code: 0, stdout: tarNote, stderr: '' });
      for (const tool of ['kreal', 'kskif']) assert.equal(readFileSync(path.join(dir, `down-${tool}.txt`), 'utf8'), `copied by ${tool}\nline two\n`);
      // A directory tree, there and back.
      for (const tool of ['kreal', 'kskif']) {
        mkdirSync(path.join(dir, `tree-${tool}`, 'sub'), { recursive: true });
        writeFileSync(path.join(dir, `tree-${tool}`, 'top.txt'), `top of ${tool}\n`);
        writeFileSync(path.join(dir, `tree-${tool}`, 'sub', 'deep.txt'), `deep in ${tool}\n`);
      }
      await same(['cp', path.join(dir, 'tree-KTOOL'), 'shell:/tmp/tree-KTOOL', '-c', 'main']);
      assert.equal((await same(['exec', 'shell', '-c', 'main', '--', 'cat', '/tmp/tree-KTOOL/sub/deep.txt'])).stdout, 'deep in kreal\n');
      await same(['cp', 'shell:/tmp/tree-KTOOL', path.join(dir, 'back-KTOOL'), '-c', 'main'], withoutNote);
      for (const tool of ['kreal', 'kskif']) {
        assert.equal(readFileSync(path.join(dir, `back-${tool}`, 'sub', 'deep.txt'), 'utf8'), `deep in ${tool}\n`);
        assert.equal(readFileSync(path.join(dir, `back-${tool}`, 'top.txt'), 'utf8'), `top of ${tool}\n`);
      }
      await same(['cp', 'shell:/tmp/x', 'other:/tmp/y']);
      await same(['cp', path.join(dir, 'absent'), 'shell:/tmp/y']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('port-forward: the same lines, HTTP through each, and the end when a forward fails', async () => {
    const env = cleanEnv(cluster.kubeconfig, path.dirname(kubeCacheDir(cluster.kubeconfig)), { KUBECONFIG: cluster.kubeconfig });
    const start = (tool: 'real' | 'skiff', args: string[]) => {
      const argv = ['--kubeconfig', cluster.kubeconfig, 'port-forward', ...args];
      const child =
        tool === 'real'
          ? spawn(kubectlPath(), argv, { env, stdio: ['ignore', 'pipe', 'pipe'] })
          : spawn(skiffCommand()[0], [...skiffCommand().slice(1), ...argv], { cwd: repoRoot, env: { ...env, SKIFF_KUBECTL: 'own' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      return { child, exited, out: () => stdout, err: () => stderr };
    };
    /** Both kubectls with `args` (PORT: a free local port each), once each has printed `lines` lines. */
    const pair = async (args: string[], lines: number) => {
      const ports = [await freePort(), await freePort()] as const;
      const real = start('real', args.map((a) => a.replace('PORT', String(ports[0]))));
      const ours = start('skiff', args.map((a) => a.replace('PORT', String(ports[1]))));
      const ready = (p: typeof real) => p.out().split('\n').length > lines || p.child.exitCode !== null;
      for (let i = 0; i < 300 && !(ready(real) && ready(ours)); i++) await sleep(100);
      const norm = (text: string, port: number) => text.replaceAll(String(port), 'PORT').replace(/^E\d{4} [\d:.]+ +\d+ portforward\.go:\d+\] /gm, 'E… ');
      return { real, ours, ports, realOut: () => norm(real.out(), ports[0]), oursOut: () => norm(ours.out(), ports[1]), realErr: () => norm(real.err(), ports[0]), oursErr: () => norm(ours.err(), ports[1]) };
    };

    // localhost: 127.0.0.1 and ::1; a named container port.
    const web = await pair(['pod/shell', 'PORT:http'], 2);
    try {
      assert.equal(web.oursOut(), web.realOut(), `stderr: ${web.ours.err()}`);
      assert.equal(web.realOut(), 'Forwarding from 127.0.0.1:PORT -> 80\nForwarding from [::1]:PORT -> 80\n');
      for (const port of web.ports) {
        const { status, body } = await httpGet('127.0.0.1', port, '/', 10_000);
        assert.deepEqual({ status, body }, { status: 200, body: `${PAGE}\n` });
      }
      for (let i = 0; i < 50 && !web.ours.out().includes('Handling'); i++) await sleep(100);
      assert.equal(web.oursOut(), web.realOut());
      assert.equal(web.oursErr(), web.realErr());
    } finally {
      web.real.child.kill('SIGINT');
      web.ours.child.kill('SIGINT');
    }
    assert.equal(await web.ours.exited, await web.real.exited);

    // Nothing listens on 81 in the pod: the error is logged and the session ends.
    const dead = await pair(['pod/shell', 'PORT:81', '--address', '127.0.0.1'], 1);
    try {
      for (const port of dead.ports) await httpGet('127.0.0.1', port, '/', 10_000).catch(() => undefined);
      const [realCode, oursCode] = await Promise.all([dead.real.exited, dead.ours.exited]);
      assert.equal(oursCode, realCode);
      assert.equal(dead.oursOut(), dead.realOut());
      assert.equal(dead.oursErr(), dead.realErr());
      assert.match(dead.realErr(), /^E… "Unhandled Error" err="an error occurred forwarding PORT -> 81: error forwarding port 81 to pod .*"\nerror: lost connection to pod\n$/);
    } finally {
      dead.real.child.kill('SIGKILL');
      dead.ours.child.kill('SIGKILL');
    }
  });

  it("exec -it: Skiff's kubectl runs a shell on a terminal (raw mode, terminal size)", async () => {
    // python3's pty module gives kubectl a terminal of 33 rows and 101 columns; the shell reports what it sees.
    const script = [
      'import fcntl, os, pty, select, struct, sys, termios, time',
      'pid, fd = pty.fork()',
      'if pid == 0:',
      '    os.execv(sys.argv[1], sys.argv[1:])',
      'fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))',
      'out, sent, start = b"", False, time.time()',
      'while time.time() - start < 60:',
      '    if not sent and (b"#" in out or time.time() - start > 8):',
      '        os.write(fd, b"stty size; echo $((6*7))\\n"); time.sleep(0.5); os.write(fd, b"exit 5\\n"); sent = True',
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
    const env = { ...cleanEnv(cluster.kubeconfig, path.dirname(kubeCacheDir(cluster.kubeconfig)), { KUBECONFIG: cluster.kubeconfig }), SKIFF_KUBECTL: 'own', TERM: 'xterm' };
    const args = [...skiffCommand(), 'exec', '-it', 'shell', '-c', 'main', '--', 'sh'];
    const child = spawn('python3', ['-c', script, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 5, stdout);
    assert.match(stdout, /^33 101\r?$/m, stdout);
    assert.match(stdout, /^42\r?$/m, stdout);
    assert.match(stdout, /command terminated with exit code 5/);
  });
});
