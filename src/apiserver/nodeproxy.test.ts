// pods/log, exec and attach through the API server to a node agent: upstream's checks and messages, then real
// kubectl 1.35 against the in-process API server and a node agent server whose runtime is a stand-in (log files in
// the CRI layout, a streaming server like containerd's). test/e2e/streaming.test.ts does the same with containerd.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Node, Pod } from 'kubernetes-types/core/v1.d.ts';
import type { GroupVersionResource, KubeObject } from '../client/client.ts';
import { PKI_FILES, signServingCertificate } from '../adm/pki.ts';
import { silentLogger } from '../log.ts';
import type { ContainerRuntime } from '../kubelet/runtime.ts';
import { kubeletPaths } from '../kubelet/seams.ts';
import { startKubeletServer } from '../kubelet/server/server.ts';
import { FakeRuntime, fakeContainer, fakeSandbox, startFakeStreamingServer, type FakeStreamingServer } from '../kubelet/server/streaming.testutil.ts';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { kubectl, kubectlStream } from '../../test/support/kubectl.ts';
import { StatusError } from './status.ts';
import { agentError, checkContainerLogStatus, nodeConnection, nodeStreamPath, parsePodLogOptions, validateContainer } from './nodeproxy.ts';

function pod(name: string, containers: string[], extra: Partial<Pod['spec']> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: containers.map((c) => ({ name: c, image: 'busybox' })), ...extra } };
}

const statusMessage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof StatusError, String(err));
    return `${err.code} ${err.message}`;
  }
  return 'no error';
};

describe('node proxy checks', () => {
  it('validates PodLogOptions as upstream', () => {
    assert.equal(statusMessage(() => parsePodLogOptions(new URLSearchParams('tailLines=-1'), 'p')), '422 PodLogOptions "p" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0');
    assert.equal(statusMessage(() => parsePodLogOptions(new URLSearchParams('limitBytes=0'), 'p')), '422 PodLogOptions "p" is invalid: limitBytes: Invalid value: 0: must be greater than 0');
    assert.equal(statusMessage(() => parsePodLogOptions(new URLSearchParams('sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z'), 'p')), '422 PodLogOptions "p" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified');
    assert.equal(statusMessage(() => parsePodLogOptions(new URLSearchParams('tailLines=ten'), 'p')), '400 strconv.ParseInt: parsing "ten": invalid syntax');
    assert.deepEqual(parsePodLogOptions(new URLSearchParams('container=c&follow=true&tailLines=10&sinceTime=2024-01-01T00:00:00.5Z'), 'p'), {
      container: 'c',
      follow: true,
      previous: false,
      timestamps: false,
      insecureSkipTLSVerifyBackend: false,
      tailLines: 10,
      sinceTime: '2024-01-01T00:00:00Z',
    });
  });

  it('picks or rejects the container with upstream messages', () => {
    assert.equal(validateContainer(pod('one', ['a']), ''), 'a');
    assert.equal(statusMessage(() => validateContainer(pod('two', ['a', 'b'], { initContainers: [{ name: 'i' }] }), '')), '400 a container name must be specified for pod two, choose one of: [i a b]');
    assert.equal(statusMessage(() => validateContainer(pod('two', ['a', 'b']), 'x')), '400 container x is not valid for pod two');
  });

  it("answers from the container's status as the kubelet does", () => {
    const withState = (state: object): Pod => ({ ...pod('w', ['c']), status: { containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, state }] } });
    const creating = withState({ waiting: { reason: 'ContainerCreating' } });
    assert.equal(statusMessage(() => checkContainerLogStatus(creating, 'c', false)), '400 container "c" in pod "w" is waiting to start: ContainerCreating');
    assert.equal(statusMessage(() => checkContainerLogStatus(creating, 'c', true)), '400 previous terminated container "c" in pod "w" not found');
    assert.equal(statusMessage(() => checkContainerLogStatus(withState({ waiting: { reason: 'ImagePullBackOff' } }), 'c', false)), '400 container "c" in pod "w" is waiting to start: trying and failing to pull image');
    assert.equal(statusMessage(() => checkContainerLogStatus(withState({ running: {} }), 'c', false)), 'no error');
    assert.equal(statusMessage(() => checkContainerLogStatus(pod('n', ['c']), 'c', false)), '400 container "c" in pod "n" is not available');
  });

  it('finds the agent at the preferred address and kubelet port', () => {
    const node = (addresses: Array<{ type: string; address: string }>, port?: number): Node => ({ metadata: { name: 'n' }, status: { addresses, ...(port !== undefined && { daemonEndpoints: { kubeletEndpoint: { Port: port } } }) } });
    assert.deepEqual(nodeConnection(node([{ type: 'Hostname', address: 'h' }, { type: 'InternalIP', address: '10.0.0.5' }], 10255)), { host: '10.0.0.5', port: 10255 });
    assert.deepEqual(nodeConnection(node([{ type: 'Hostname', address: 'h' }])), { host: 'h', port: 10250 });
    assert.equal(statusMessage(() => nodeConnection(node([]))), '500 no preferred addresses found; known addresses: []');
  });

  it("builds the agent's paths as upstream's streamLocation", () => {
    const p = pod('web', ['app']);
    assert.equal(nodeStreamPath('exec', p, 'app', new URLSearchParams('command=sh&command=-c&command=echo hi&stdout=true&stderr=true&tty=false')), '/exec/default/web/app?command=sh&command=-c&command=echo+hi&stderr=1&stdout=1');
    assert.equal(nodeStreamPath('attach', p, 'app', new URLSearchParams('stdin=true&tty=true')), '/attach/default/web/app?stdin=1&tty=1');
    assert.equal(nodeStreamPath('portforward', p, '', new URLSearchParams('ports=80&ports=443')), '/portForward/default/web?port=80%2C443');
  });

  it("reports an agent's errors as the API server's response checker does", () => {
    const bad = agentError(400, 'container "c" in pod "p" is not available', 'p');
    assert.deepEqual([bad.code, bad.reason, bad.message], [400, 'BadRequest', 'container "c" in pod "p" is not available']);
    const missing = agentError(404, 'pod "p" does not exist', 'p');
    assert.deepEqual([missing.code, missing.reason, missing.message], [404, 'NotFound', 'the server could not find the requested resource ( pods/log p)']);
    assert.equal(agentError(500, 'boom', 'p').message, 'Internal error occurred: boom');
  });
});

describe('kubectl logs, exec and attach through the API server to a node agent', { timeout: 120_000 }, () => {
  let cluster: TestCluster;
  let streaming: FakeStreamingServer;
  const runtime = new FakeRuntime();
  const stopAgent = new AbortController();
  let agentClosed: Promise<void>;
  let logDir: string;
  const WEB = { namespace: 'default', name: 'web', uid: '' };

  const setStatus = async (resource: GroupVersionResource, namespace: string | undefined, name: string, status: object) => {
    const obj = await cluster.client.get(resource, namespace, name);
    await cluster.client.updateStatus(resource, namespace, { ...obj, status });
  };
  const run = (args: string[], input?: string) => kubectl(args, { kubeconfig: cluster.kubeconfig, timeoutMs: 30_000, ...(input !== undefined && { input }) });

  before(async () => {
    cluster = await startTestCluster();
    const pkiDir = path.join(cluster.dataDir, 'pki');
    const ca = { caCertPem: readFileSync(path.join(pkiDir, PKI_FILES.caCert), 'utf8'), caKeyPem: readFileSync(path.join(pkiDir, PKI_FILES.caKey), 'utf8') };
    const serving = await signServingCertificate(ca, { commonName: 'node1', hosts: ['127.0.0.1'] });
    streaming = await startFakeStreamingServer(runtime);
    const paths = kubeletPaths(path.join(cluster.dataDir, 'node'));
    const agent = await startKubeletServer(
      { host: '127.0.0.1', port: 0, tls: { certPem: serving.certPem, keyPem: serving.keyPem, clientCAPem: ca.caCertPem }, runtime: runtime as unknown as ContainerRuntime, paths, logger: silentLogger() },
      stopAgent.signal,
    );
    agentClosed = agent.closed;

    // A node whose agent listens, and one whose agent does not.
    const closedPort = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (server.address() as net.AddressInfo).port;
        server.close(() => resolve(p));
      });
    });
    for (const [name, port] of [['node1', agent.port], ['node2', closedPort]] as const) {
      await cluster.client.create(gvr.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name } });
      await setStatus(gvr.nodes, undefined, name, { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } });
    }
    const running = { running: { startedAt: '2024-05-01T10:01:00Z' } };
    const container = (name: string, state: object, more: object = {}) => ({ name, image: 'busybox', imageID: '', ready: true, restartCount: 0, state, ...more });
    const created = await cluster.client.create(gvr.pods, 'default', pod('web', ['app', 'sidecar'], { nodeName: 'node1' }) as KubeObject);
    WEB.uid = created.metadata!.uid!;
    await setStatus(gvr.pods, 'default', 'web', {
      phase: 'Running',
      containerStatuses: [container('app', running, { restartCount: 1, lastState: { terminated: { exitCode: 1, containerID: 'containerd://app-0' } } }), container('sidecar', running)],
    });
    await cluster.client.create(gvr.pods, 'default', pod('waiting', ['c'], { nodeName: 'node1' }) as KubeObject);
    await setStatus(gvr.pods, 'default', 'waiting', { phase: 'Pending', containerStatuses: [container('c', { waiting: { reason: 'ContainerCreating' } }, { ready: false })] });
    await cluster.client.create(gvr.pods, 'default', pod('unbound', ['c']) as KubeObject);
    await cluster.client.create(gvr.pods, 'default', pod('far', ['c'], { nodeName: 'node2' }) as KubeObject);
    await setStatus(gvr.pods, 'default', 'far', { phase: 'Running', containerStatuses: [container('c', running)] });

    logDir = paths.podLogDir('default', 'web', WEB.uid);
    mkdirSync(path.join(logDir, 'app'), { recursive: true });
    writeFileSync(path.join(logDir, 'app', '0.log'), '2024-05-01T10:00:00Z stdout F before the restart\n');
    writeFileSync(path.join(logDir, 'app', '1.log'), '2024-05-01T10:01:00Z stdout F one\n2024-05-01T10:01:01Z stderr F two\n2024-05-01T10:01:02.25Z stdout F three\n');
    mkdirSync(path.join(logDir, 'sidecar'), { recursive: true });
    writeFileSync(path.join(logDir, 'sidecar', '0.log'), '2024-05-01T10:00:00Z stdout F sidecar up\n');
    runtime.sandboxes = [fakeSandbox(WEB)];
    runtime.containers = [fakeContainer(WEB, 'app', 0, 'CONTAINER_EXITED'), fakeContainer(WEB, 'app', 1, 'CONTAINER_RUNNING'), fakeContainer(WEB, 'sidecar', 0, 'CONTAINER_RUNNING')];
  });

  after(async () => {
    stopAgent.abort();
    await agentClosed;
    streaming?.close();
    await cluster?.stop();
  });

  it('kubectl logs: the first container by default, -c, --tail, --timestamps, --previous, --limit-bytes', async () => {
    assert.deepEqual(await run(['logs', 'web']), { code: 0, stdout: 'one\ntwo\nthree\n', stderr: 'Defaulted container "app" out of: app, sidecar\n' });
    assert.equal((await run(['logs', 'web', '-c', 'sidecar'])).stdout, 'sidecar up\n');
    assert.equal((await run(['logs', 'web', '--tail=1', '--timestamps'])).stdout, '2024-05-01T10:01:02.250000000Z three\n');
    assert.equal((await run(['logs', 'web', '--previous'])).stdout, 'before the restart\n');
    assert.equal((await run(['logs', 'web', '--limit-bytes=5'])).stdout, 'one\nt');
  });

  it('kubectl logs -f streams new lines until the container exits', async () => {
    const stream = kubectlStream(['logs', '-f', 'web', '-c', 'sidecar'], { kubeconfig: cluster.kubeconfig });
    try {
      await stream.waitForLine((l) => l === 'sidecar up');
      appendFileSync(path.join(logDir, 'sidecar', '0.log'), '2024-05-01T10:00:05Z stdout F a new line\n');
      await stream.waitForLine((l) => l === 'a new line');
      runtime.containers.find((c) => c.id === 'sidecar-0')!.state = 'CONTAINER_EXITED';
      const exit = await stream.exited;
      assert.equal(exit.code, 0, stream.stderr());
    } finally {
      await stream.stop();
    }
  });

  it('kubectl logs fails as upstream for a bad container, a waiting one, an unreachable node', async () => {
    const bad = await run(['logs', 'web', '-c', 'nope']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /container nope is not valid for pod web/);
    const waiting = await run(['logs', 'waiting']);
    assert.match(waiting.stderr, /Error from server \(BadRequest\): container "c" in pod "waiting" is waiting to start: ContainerCreating/);
    const raw = await run(['get', '--raw', '/api/v1/namespaces/default/pods/web/log']);
    assert.match(raw.stderr, /a container name must be specified for pod web, choose one of: \[app sidecar\]/);
    const far = await run(['logs', 'far']);
    assert.equal(far.code, 1);
    assert.match(far.stderr, /Error from server: Get "https:\/\/127\.0\.0\.1:\d+\/containerLogs\/default\/far\/c": dial tcp 127\.0\.0\.1:\d+: connect: connection refused/);
    // Not on a node yet: nothing to read, as upstream.
    assert.deepEqual(await run(['logs', 'unbound']), { code: 0, stdout: '', stderr: '' });
  });

  it('kubectl exec: stdout and stderr apart, the exit code passed on', async () => {
    const result = await run(['exec', 'web', '-c', 'app', '--', 'fail']);
    assert.equal(result.code, 3);
    assert.equal(result.stdout, 'out\n');
    assert.equal(result.stderr, 'err\ncommand terminated with exit code 3\n');
  });

  it('kubectl exec -i: stdin to the process, and its end', async () => {
    const result = await run(['exec', '-i', 'web', '-c', 'app', '--', 'cat'], 'piped through\n');
    assert.deepEqual(result, { code: 0, stdout: 'PIPED THROUGH\n', stderr: '' });
    assert.deepEqual({ ...runtime.execs.at(-1)! }, { containerId: 'app-1', cmd: ['cat'], stdin: true, stdout: true, stderr: true, tty: false });
  });

  it('kubectl attach -i', async () => {
    const result = await run(['attach', '-i', 'web', '-c', 'app'], 'hello\n');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'HELLO\n');
  });

  it('kubectl exec with SPDY (WebSockets off) passes through to the runtime', async () => {
    const result = await kubectl(['exec', '-i', 'web', '-c', 'app', '--', 'cat'], { kubeconfig: cluster.kubeconfig, timeoutMs: 30_000, input: 'over spdy\n', env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' } });
    assert.deepEqual(result, { code: 0, stdout: 'OVER SPDY\n', stderr: '' });
  });

  it('kubectl exec into a pod without a node, or a container that is not running', async () => {
    const unbound = await run(['exec', 'unbound', '--', 'true']);
    assert.notEqual(unbound.code, 0);
    assert.match(unbound.stderr, /pod unbound does not have a host assigned/);
    const stopped = await run(['exec', 'far', '--', 'true']);
    assert.notEqual(stopped.code, 0);
    assert.match(stopped.stderr, /error dialing backend: dial tcp 127\.0\.0\.1:\d+: connect: connection refused/);
  });
});
