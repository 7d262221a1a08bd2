// The node agent's HTTPS server against a runtime stand-in: client certificates, containerLogs from files in the
// CRI layout, and exec/attach relayed between a v5 WebSocket client and a v4 streaming server like containerd's.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { ensurePKI, signClientCertificate, signServingCertificate, type SignedCertificate } from '../../adm/pki.ts';
import { silentLogger } from '../../log.ts';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import type { ContainerRuntime } from '../runtime.ts';
import { kubeletPaths } from '../seams.ts';
import { startKubeletServer } from './server.ts';
import { dialWebSocketBackend } from './streaming-ws.ts';
import { FAILED_3, FakeRuntime, SUCCESS, dialTls, fakeContainer, fakeSandbox, startFakeStreamingServer, type FakeStreamingServer } from './streaming.testutil.ts';

const POD = { namespace: 'default', name: 'web', uid: 'uid-1' };

interface Answer {
  status: number;
  body: string;
}

describe('node agent HTTPS server', () => {
  let dir: string;
  let logDir: string;
  let caPem: string;
  let apiserverClient: SignedCertificate;
  let nodeUser: SignedCertificate;
  let port: number;
  const runtime = new FakeRuntime();
  const stop = new AbortController();
  let closed: Promise<void>;
  let podsPort: number;
  let closedWithPods: Promise<void>;
  let webPod: Pod;
  let streaming: FakeStreamingServer;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'skiff-kls-'));
    const pki = await ensurePKI(path.join(dir, 'pki-home'), { hosts: [] });
    caPem = pki.caCertPem;
    apiserverClient = await signClientCertificate(pki, { commonName: 'kube-apiserver-kubelet-client', organizations: ['kubeadm:cluster-admins'] });
    nodeUser = await signClientCertificate(pki, { commonName: 'system:node:other', organizations: ['system:nodes'] });
    const serving = await signServingCertificate(pki, { commonName: 'node1', hosts: ['127.0.0.1'] });
    const paths = kubeletPaths(path.join(dir, 'data'));
    logDir = paths.podLogDir('default', 'web', 'uid-1');
    mkdirSync(path.join(logDir, 'app'), { recursive: true });
    writeFileSync(path.join(logDir, 'app', '0.log'), '2024-05-01T10:00:00Z stdout F old run\n');
    writeFileSync(path.join(logDir, 'app', '1.log'), '2024-05-01T10:01:00Z stdout F line 1\n2024-05-01T10:01:01.5Z stderr F line 2\n2024-05-01T10:01:02Z stdout F line 3\n');
    mkdirSync(path.join(logDir, 'sidecar'), { recursive: true });
    writeFileSync(path.join(logDir, 'sidecar', '0.log'), '2024-05-01T10:00:00Z stdout F only run\n');
    runtime.containers = [fakeContainer(POD, 'app', 0, 'CONTAINER_EXITED'), fakeContainer(POD, 'app', 1, 'CONTAINER_RUNNING'), fakeContainer(POD, 'sidecar', 0, 'CONTAINER_RUNNING')];
    runtime.sandboxes = [fakeSandbox(POD)];

    streaming = await startFakeStreamingServer(runtime);

    const server = await startKubeletServer(
      {
        host: '127.0.0.1',
        port: 0,
        tls: { certPem: serving.certPem, keyPem: serving.keyPem, clientCAPem: caPem },
        runtime: runtime as unknown as ContainerRuntime,
        paths,
        logger: silentLogger(),
      },
      stop.signal,
    );
    port = server.port;
    closed = server.closed;
    // The same node with the agent's view of its pods: logs follow the pod's status.
    const withPods = await startKubeletServer(
      {
        host: '127.0.0.1',
        port: 0,
        tls: { certPem: serving.certPem, keyPem: serving.keyPem, clientCAPem: caPem },
        runtime: runtime as unknown as ContainerRuntime,
        paths,
        logger: silentLogger(),
        pods: { get: async (namespace, name) => (namespace === 'default' && name === 'web' ? webPod : undefined) },
      },
      stop.signal,
    );
    podsPort = withPods.port;
    closedWithPods = withPods.closed;
  });

  after(async () => {
    stop.abort();
    await closed;
    await closedWithPods;
    streaming?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function get(pathAndQuery: string, cert: SignedCertificate | null = apiserverClient, toPort = port): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port: toPort, path: pathAndQuery, rejectUnauthorized: false, ...(cert && { cert: cert.certPem, key: cert.keyPem }) }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('turns away clients without a cluster certificate (401) and users without node access (403)', async () => {
    assert.deepEqual(await get('/healthz', null), { status: 401, body: 'Unauthorized' });
    const forbidden = await get('/containerLogs/default/web/app', nodeUser);
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body, 'Forbidden (user=system:node:other, verb=get, resource=nodes, subresource(s)=[proxy])');
    assert.deepEqual(await get('/healthz'), { status: 200, body: 'ok' });
    assert.equal((await get('/nope')).status, 404);
  });

  it('serves the current container log, the previous one, and the kubelet options', async () => {
    assert.deepEqual(await get('/containerLogs/default/web/app'), { status: 200, body: 'line 1\nline 2\nline 3\n' });
    assert.deepEqual(await get('/containerLogs/default/web/app?previous=true'), { status: 200, body: 'old run\n' });
    assert.deepEqual(await get('/containerLogs/default/web/app?tailLines=1&timestamps=true'), { status: 200, body: '2024-05-01T10:01:02.000000000Z line 3\n' });
    assert.deepEqual(await get('/containerLogs/default/web/app?sinceTime=2024-05-01T10:01:01Z'), { status: 200, body: 'line 2\nline 3\n' });
    assert.deepEqual(await get('/containerLogs/default/web/app?limitBytes=9'), { status: 200, body: 'line 1\nli' });
  });

  it("with the agent's pods, reads the instance the pod's status names", async () => {
    const app = (state: object, lastState: object = {}) => ({ name: 'app', image: 'busybox', imageID: '', ready: false, restartCount: 1, state, lastState });
    const withStatus = (statuses: object[]): Pod => ({ metadata: { name: 'web', namespace: 'default', uid: 'uid-1' }, spec: { containers: [{ name: 'app' }, { name: 'sidecar' }] }, status: { containerStatuses: statuses } }) as Pod;
    const fromPods = (p: string) => get(p, apiserverClient, podsPort);
    // Crash-looping: waiting to restart, its last run (attempt 1) is both the current and the previous log.
    webPod = withStatus([app({ waiting: { reason: 'CrashLoopBackOff' } }, { terminated: { exitCode: 1, containerID: 'containerd://app-1' } })]);
    assert.deepEqual(await fromPods('/containerLogs/default/web/app?previous=true'), { status: 200, body: 'line 1\nline 2\nline 3\n' });
    assert.deepEqual(await fromPods('/containerLogs/default/web/app'), { status: 200, body: 'line 1\nline 2\nline 3\n' });
    webPod = withStatus([app({ running: {} }, { terminated: { exitCode: 1, containerID: 'containerd://app-0' } })]);
    (webPod.status!.containerStatuses![0] as { containerID?: string }).containerID = 'containerd://app-1';
    assert.deepEqual(await fromPods('/containerLogs/default/web/app?previous=true'), { status: 200, body: 'old run\n' });
    webPod = withStatus([app({ waiting: { reason: 'ContainerCreating' } })]);
    assert.deepEqual(await fromPods('/containerLogs/default/web/app'), { status: 400, body: 'container "app" in pod "web" is waiting to start: ContainerCreating' });
    assert.deepEqual(await fromPods('/containerLogs/default/web/sidecar'), { status: 400, body: 'container "sidecar" in pod "web" is not available' });
    assert.deepEqual(await fromPods('/containerLogs/default/web/nope'), { status: 404, body: 'container "nope" not found in pod "web"' });
    assert.deepEqual(await fromPods('/containerLogs/default/other/app'), { status: 404, body: 'pod "other" does not exist' });
    // A container the runtime no longer has: the headers are out, the error is the body (as the kubelet's).
    webPod = withStatus([app({ running: {} })]);
    (webPod.status!.containerStatuses![0] as { containerID?: string }).containerID = 'containerd://gone';
    const gone = await fromPods('/containerLogs/default/web/app');
    assert.equal(gone.status, 200);
    assert.match(gone.body, /^failed to get container status "containerd:\/\/gone": container "gone" not found$/);
  });

  it('answers as the kubelet when there is nothing to read or the query is wrong', async () => {
    assert.deepEqual(await get('/containerLogs/default/web/sidecar?previous=true'), { status: 400, body: 'previous terminated container "sidecar" in pod "web" not found' });
    assert.deepEqual(await get('/containerLogs/default/gone/app'), { status: 404, body: 'pod "gone" does not exist' });
    assert.deepEqual(await get('/containerLogs/default/web/nope'), { status: 404, body: 'container "nope" not found in pod "web"' });
    assert.deepEqual(await get('/containerLogs/default/web/app?tailLines=-1'), { status: 422, body: '{"message": "Invalid request."}' });
    assert.deepEqual(await get('/containerLogs/default/web/app?tailLines=x'), { status: 400, body: '{"message": "Unable to decode query."}' });
  });

  it('follows a running container until it exits', async () => {
    const sidecar = runtime.containers.find((c) => c.id === 'sidecar-0')!;
    const file = path.join(logDir, 'sidecar', '0.log');
    const received: string[] = [];
    const answer = new Promise<number>((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port, path: '/containerLogs/default/web/sidecar?follow=true', rejectUnauthorized: false, cert: apiserverClient.certPem, key: apiserverClient.keyPem },
        (res) => {
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            received.push(c);
            if (c.includes('only run')) appendFileSync(file, '2024-05-01T10:00:05Z stdout F appended\n');
            if (c.includes('appended')) {
              appendFileSync(file, '2024-05-01T10:00:06Z stdout F last\n');
              sidecar.state = 'CONTAINER_EXITED';
            }
          });
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(await answer, 200);
    assert.equal(received.join(''), 'only run\nappended\nlast\n');
  });

  function dialExec(query: string, protocols = ['v5.channel.k8s.io']): WebSocket {
    return new WebSocket(`wss://127.0.0.1:${port}/exec/default/web/app?${query}`, protocols, { cert: apiserverClient.certPem, key: apiserverClient.keyPem, rejectUnauthorized: false });
  }

  function session(ws: WebSocket, onOpen: (ws: WebSocket) => void = () => {}): Promise<{ protocol: string; frames: Array<[number, string]> }> {
    return new Promise((resolve, reject) => {
      const frames: Array<[number, string]> = [];
      ws.on('open', () => onOpen(ws));
      ws.on('message', (m: Buffer) => frames.push([m[0]!, m.subarray(1).toString()]));
      ws.on('close', () => resolve({ protocol: ws.protocol, frames }));
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => reject(new Error(`${res.statusCode}: ${body}`)));
      });
      ws.on('error', reject);
    });
  }

  it('relays an exec session: output in order, then the exit status, then the close', async () => {
    const { protocol, frames } = await session(dialExec('command=fail&stdout=1&stderr=1'));
    assert.equal(protocol, 'v5.channel.k8s.io');
    assert.deepEqual(frames, [
      [1, 'out\n'],
      [2, 'err\n'],
      [3, FAILED_3],
    ]);
    const exec = runtime.execs.at(-1)!;
    assert.deepEqual({ ...exec }, { containerId: 'app-1', cmd: ['fail'], stdin: false, stdout: true, stderr: true, tty: false });
  });

  it('passes stdin, and its end under v5, to the process', async () => {
    const { frames } = await session(dialExec('command=cat&stdin=1&stdout=1&stderr=1'), (ws) => {
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('piped data\n')]));
      ws.send(Buffer.from([255, 0]));
    });
    assert.deepEqual(frames, [
      [1, 'PIPED DATA\n'],
      [3, SUCCESS],
    ]);
  });

  it('passes terminal resizes on; with a terminal there is no stderr (v4 client)', async () => {
    const { protocol, frames } = await session(dialExec('command=tty&stdin=1&stdout=1&stderr=1&tty=1', ['v4.channel.k8s.io']), (ws) => {
      ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":80,"Height":24}\n')]));
      setTimeout(() => ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('quit\n')])), 50);
    });
    assert.equal(protocol, 'v4.channel.k8s.io');
    assert.deepEqual(frames, [
      [1, 'resized {"Width":80,"Height":24}\n'],
      [1, 'QUIT\n'],
      [3, SUCCESS],
    ]);
    assert.equal(runtime.execs.at(-1)!.stderr, false);
    assert.equal(runtime.execs.at(-1)!.tty, true);
  });

  it('attaches to the running container', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/attach/default/web/app?stdin=true&stdout=true`, ['v5.channel.k8s.io'], { cert: apiserverClient.certPem, key: apiserverClient.keyPem, rejectUnauthorized: false });
    const { frames } = await session(ws, (w) => w.send(Buffer.concat([Buffer.from([0]), Buffer.from('attached\nquit\n')])));
    assert.deepEqual(frames, [
      [1, 'ATTACHED\nQUIT\n'],
      [3, SUCCESS],
    ]);
    assert.deepEqual({ ...runtime.execs.at(-1)! }, { containerId: 'app-1', cmd: [], stdin: true, stdout: true, stderr: false, tty: false });
  });

  it('routes port-forward to the pod sandbox, 404 for a pod without one', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/portForward/default/gone`, { cert: apiserverClient.certPem, key: apiserverClient.keyPem, rejectUnauthorized: false });
    await assert.rejects(session(ws), /404: pod does not exist/);
  });

  it('refuses exec into a missing container or pod, and requests without a stream', async () => {
    const dial = (p: string) => new WebSocket(`wss://127.0.0.1:${port}${p}`, ['v5.channel.k8s.io'], { cert: apiserverClient.certPem, key: apiserverClient.keyPem, rejectUnauthorized: false });
    await assert.rejects(session(dial('/exec/default/web/nope?command=x&stdout=1')), /404: container not found \("nope"\)/);
    await assert.rejects(session(dial('/exec/default/gone/app?command=x&stdout=1')), /404: pod does not exist/);
    await assert.rejects(session(dialExec('command=x')), /400: you must specify at least 1 of stdin, stdout, stderr/);
    await assert.rejects(session(dialExec('command=x&stdout=1', ['base64.channel.k8s.io'])), /403: /);
  });

  it('passes a SPDY upgrade through to the runtime untouched', async () => {
    const socket = await dialTls(port, apiserverClient);
    socket.write('POST /exec/default/web/app?command=raw&stdin=1&stdout=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n');
    let seen = '';
    await new Promise<void>((resolve) => {
      socket.on('data', (c: Buffer) => {
        seen += c.toString();
        if (seen.includes('\r\n\r\n') && !seen.includes('ping')) socket.write('ping');
        if (seen.endsWith('ping')) resolve();
      });
    });
    socket.destroy();
    assert.match(seen, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.deepEqual(streaming.spdyRequests.at(-1), { url: '/exec/raw', protocol: 'v4.channel.k8s.io' });
  });

  it('can also reach the runtime over its v4 WebSocket endpoint', async () => {
    const backend = await dialWebSocketBackend(`http://127.0.0.1:${runtime.streamingPort}/exec/fail`);
    assert.equal(backend.canCloseStdin, false);
    const frames: Array<[number, string]> = [];
    await new Promise<void>((resolve) => backend.listen((ch, data) => frames.push([ch, data.toString()]), () => resolve()));
    assert.deepEqual(frames, [
      [1, ''],
      [1, 'out\n'],
      [2, 'err\n'],
      [3, FAILED_3],
    ]);
  });
});
