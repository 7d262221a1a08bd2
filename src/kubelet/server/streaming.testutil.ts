// Test stand-ins for the runtime side of the node agent's server: the CRI calls it makes, answered from memory, and
// a streaming server like containerd's (SPDY with v4 channel streams, and WebSocket v4) whose "processes" are:
//   fail — writes "out" and "err", exits 3;   cat (or anything else) — upper-cases stdin until "quit" or its end;
//   raw — answers the SPDY upgrade and then echoes bytes (for pass-through tests).
// With a terminal, resize messages come back on stdout as "resized <json>".
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { RuntimeError, type Container, type ContainerFilter, type ContainerState, type ContainerStatus, type ExecRequest, type PodSandbox, type PodSandboxFilter, type PodSandboxStatus } from '../runtime.ts';
import { CRI_LABELS } from '../seams.ts';
import { SpdySession, type SpdyStream } from './spdy.ts';
import type { SignedCertificate } from '../../adm/pki.ts';

export const FAILED_3 = JSON.stringify({ metadata: {}, status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
export const SUCCESS = JSON.stringify({ metadata: {}, status: 'Success' });

const matches = (labels: Record<string, string>, selector: Record<string, string> | undefined) => Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);

/** The CRI calls the node agent's server makes, from in-memory state. */
export class FakeRuntime {
  containers: Container[] = [];
  sandboxes: PodSandbox[] = [];
  execs: ExecRequest[] = [];
  streamingPort = 0;

  async listContainers(filter: ContainerFilter = {}): Promise<Container[]> {
    return this.containers.filter((c) => (!filter.state || c.state === filter.state) && matches(c.labels, filter.labelSelector));
  }
  async listPodSandbox(filter: PodSandboxFilter = {}): Promise<PodSandbox[]> {
    return this.sandboxes.filter((s) => (!filter.state || s.state === filter.state) && matches(s.labels, filter.labelSelector));
  }
  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const s = this.sandboxes.find((x) => x.id === id);
    if (!s) throw new Error(`no sandbox ${id}`);
    return { ...s, network: { ip: '127.0.0.1', additionalIps: [] } };
  }
  /** Log paths by container id (relative to the pod's log directory, as the pod workers create them). */
  async containerStatus(id: string): Promise<ContainerStatus> {
    const c = this.containers.find((x) => x.id === id);
    if (!c) throw new RuntimeError('NotFound', `container "${id}" not found`);
    const { podSandboxId: _sandbox, ...rest } = c;
    return { ...rest, startedAt: 1n, finishedAt: 0n, exitCode: 0, reason: '', message: '', logPath: `${c.metadata.name}/${c.metadata.attempt}.log` };
  }
  async exec(request: ExecRequest): Promise<string> {
    this.execs.push(request);
    return `http://127.0.0.1:${this.streamingPort}/exec/${request.cmd[0] ?? 'none'}`;
  }
  async attach(request: Omit<ExecRequest, 'cmd'>): Promise<string> {
    this.execs.push({ ...request, cmd: [] });
    return `http://127.0.0.1:${this.streamingPort}/attach/cat`;
  }
}

export interface FakePod {
  namespace: string;
  name: string;
  uid: string;
}

export function fakeSandbox(pod: FakePod, id = `sb-${pod.uid}`): PodSandbox {
  return {
    id,
    metadata: { name: pod.name, uid: pod.uid, namespace: pod.namespace, attempt: 0 },
    state: 'SANDBOX_READY',
    createdAt: 1n,
    labels: { [CRI_LABELS.podNamespace]: pod.namespace, [CRI_LABELS.podName]: pod.name, [CRI_LABELS.podUID]: pod.uid },
    annotations: {},
  };
}

export function fakeContainer(pod: FakePod, name: string, attempt: number, state: ContainerState): Container {
  return {
    id: `${name}-${attempt}`,
    podSandboxId: `sb-${pod.uid}`,
    metadata: { name, attempt },
    image: { image: 'busybox' },
    imageRef: 'sha256:1',
    state,
    createdAt: BigInt(attempt + 1),
    labels: { [CRI_LABELS.podNamespace]: pod.namespace, [CRI_LABELS.podName]: pod.name, [CRI_LABELS.podUID]: pod.uid, [CRI_LABELS.containerName]: name },
    annotations: {},
  };
}

const SWITCH_TO_SPDY = 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n';

function processOverSpdy(session: SpdySession, command: string, exec: ExecRequest): void {
  const streams = new Map<string, SpdyStream>();
  const want = 1 + Number(exec.stdin) + Number(exec.stdout) + Number(exec.stderr && !exec.tty) + Number(exec.tty);
  session.on('stream', (stream) => {
    stream.respond();
    streams.set(stream.headers.streamtype ?? '', stream);
    if (streams.size < want) return;
    const out = streams.get('stdout')!;
    let finished = false;
    const finish = (status: string) => {
      if (finished) return;
      finished = true;
      streams.get('error')!.write(status);
      // As containerd: the status first, then every stream and the connection close.
      setTimeout(() => session.close(), 20);
    };
    if (command === 'fail') {
      out.write('out\n');
      streams.get('stderr')?.write('err\n');
      return finish(FAILED_3);
    }
    streams.get('resize')?.on('data', (c: Buffer) => out.write(`resized ${c.toString()}`));
    const stdin = streams.get('stdin');
    stdin?.on('data', (c: Buffer) => {
      out.write(c.toString().toUpperCase());
      if (c.toString().includes('quit')) finish(SUCCESS);
    });
    stdin?.on('end', () => finish(SUCCESS));
  });
}

function processOverWebSocket(ws: WebSocket, command: string): void {
  const send = (channel: number, data: string) => ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(data)]));
  send(1, ''); // containerd's "connected" frame
  if (command === 'fail') {
    send(1, 'out\n');
    send(2, 'err\n');
    send(3, FAILED_3);
    ws.close();
  }
}

export interface FakeStreamingServer {
  port: number;
  /** Each SPDY upgrade: its path and offered protocol. */
  spdyRequests: Array<{ url: string | undefined; protocol: string | undefined }>;
  close(): void;
}

/** Serves the fake runtime's streaming URLs on 127.0.0.1 (and points the runtime at it). */
export async function startFakeStreamingServer(runtime: FakeRuntime): Promise<FakeStreamingServer> {
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => (p.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false) });
  const spdyRequests: FakeStreamingServer['spdyRequests'] = [];
  const sockets = new Set<Socket>();
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const command = req.url?.split('/').at(-1) ?? '';
    if (req.headers.upgrade === 'websocket') return wss.handleUpgrade(req, socket, head, (ws) => processOverWebSocket(ws, command));
    spdyRequests.push({ url: req.url, protocol: req.headers['x-stream-protocol-version'] as string | undefined });
    socket.write(SWITCH_TO_SPDY);
    if (command === 'raw') {
      socket.pipe(socket);
      return;
    }
    if (head.length) socket.unshift(head);
    processOverSpdy(new SpdySession(socket, { role: 'server' }), command, runtime.execs.at(-1)!);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  runtime.streamingPort = port;
  return {
    port,
    spdyRequests,
    close() {
      for (const s of sockets) s.destroy();
      wss.close();
      server.close();
    },
  };
}

/** A raw TLS connection with a client certificate, for speaking HTTP/1.1 by hand. */
export function dialTls(port: number, cert: SignedCertificate): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, cert: cert.certPem, key: cert.keyPem, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}
