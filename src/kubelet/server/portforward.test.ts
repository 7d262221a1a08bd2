import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { kubectlStream } from '../../../test/support/kubectl.ts';
import { podIPTarget } from './portforward-cri.ts';
import { dialPortForwardTunnel, handlePortForward, type PortForwardOptions, type PortForwardTarget } from './portforward.ts';
import { startPortForwardApiServer } from './portforward.testutil.ts';
import { RstStatus, SpdySession, SpdyStreamResetError, type SpdyStream } from './spdy.ts';

async function listen(server: net.Server | http.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}

/** Test backends on loopback, reached through a target that maps the pod's ports to them. */
class Backends {
  readonly connections = new Set<net.Socket>();
  last: net.Socket | undefined;
  readonly dials: number[] = [];
  readonly #servers: net.Server[] = [];
  ports = new Map<number, number>();

  async start(): Promise<void> {
    // 7: echo, half-close aware (FIN in, FIN out once everything is echoed).
    const echo = net.createServer({ allowHalfOpen: true }, (socket) => {
      this.#track(socket);
      socket.pipe(socket);
    });
    // 13: greets, then closes without waiting for the client.
    const greet = net.createServer((socket) => {
      this.#track(socket);
      socket.end('hello from the pod\n');
    });
    const web = http.createServer((_req, res) => res.end('welcome to the pod'));
    web.on('connection', (socket: net.Socket) => this.#track(socket));
    // 81: nothing listens there.
    const closed = net.createServer();
    this.ports.set(7, await listen(echo));
    this.ports.set(13, await listen(greet));
    this.ports.set(80, await listen(web));
    this.ports.set(81, await listen(closed));
    await new Promise((resolve) => closed.close(resolve));
    this.#servers.push(echo, greet, web);
  }

  target(): PortForwardTarget {
    const direct = podIPTarget('127.0.0.1');
    return {
      podName: 'web',
      podUID: 'uid-1',
      dial: (port, signal) => {
        this.dials.push(port);
        return direct.dial(this.ports.get(port) ?? port, signal);
      },
    };
  }

  #track(socket: net.Socket): void {
    this.last = socket;
    this.connections.add(socket);
    socket.on('close', () => this.connections.delete(socket));
  }

  async stop(): Promise<void> {
    for (const socket of this.connections) socket.destroy();
    await Promise.all(this.#servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** An HTTP server whose upgrades all go to handlePortForward. */
async function startFront(target: PortForwardTarget, options: PortForwardOptions = {}): Promise<{ port: number; close(): void }> {
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => handlePortForward(req, socket, head, target, options));
  const port = await listen(server);
  return { port, close: () => server.close() };
}

/** kubectl's SPDY fallback: POST with Upgrade: SPDY/3.1. */
function upgradeSpdy(port: number, headers: Record<string, string> = { 'X-Stream-Protocol-Version': 'portforward.k8s.io' }): Promise<net.Socket | http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/portforward', agent: false, headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', ...headers } });
    req.on('upgrade', (res, socket, head) => {
      assert.equal(res.headers['x-stream-protocol-version'], 'portforward.k8s.io');
      if (head.length) socket.unshift(head);
      resolve(socket);
    });
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
}

async function spdyClient(port: number): Promise<SpdySession> {
  const socket = await upgradeSpdy(port);
  assert.ok(socket instanceof net.Socket);
  return new SpdySession(socket, { role: 'client' });
}

/** kubectl's default: SPDY tunnelled in binary WebSocket messages. */
async function tunnelClient(port: number): Promise<SpdySession> {
  return new SpdySession(await dialPortForwardTunnel(`ws://127.0.0.1:${port}/portforward`), { role: 'client' });
}

interface Forwarded {
  data: SpdyStream;
  /** Everything on the error stream, once it ends. */
  error: Promise<string>;
}

/** What kubectl does per local connection: an error stream (closed at once), then a data stream, one requestID. */
function forward(session: SpdySession, port: number, requestId: string, order: 'error-first' | 'data-first' = 'error-first'): Forwarded {
  const headers = { port: String(port), requestid: requestId };
  const open = (streamtype: string) => session.openStream({ ...headers, streamtype });
  let error: SpdyStream;
  let data: SpdyStream;
  if (order === 'error-first') {
    error = open('error');
    data = open('data');
  } else {
    data = open('data');
    error = open('error');
  }
  error.end();
  return { data, error: readAll(error) };
}

describe('port-forward handler', { timeout: 60_000 }, () => {
  const backends = new Backends();
  let front: { port: number; close(): void };

  before(async () => {
    await backends.start();
    front = await startFront(backends.target(), { streamCreationTimeoutMs: 300 });
  });

  after(async () => {
    front?.close();
    await backends.stop();
  });

  for (const [transport, connect] of [
    ['plain SPDY/3.1 upgrade', spdyClient],
    ['SPDY tunnelled in a WebSocket', tunnelClient],
  ] as const) {
    it(`${transport}: forwards bytes both ways and passes half-close through`, async () => {
      const session = await connect(front.port);
      try {
        const { data, error } = forward(session, 7, '0');
        data.write('ping ');
        data.end('pong');
        // The echo server answers our FIN with its own once it has echoed everything.
        assert.equal(await readAll(data), 'ping pong');
        assert.equal(await error, '');
        assert.equal(backends.dials.at(-1), 7);
      } finally {
        session.destroy();
      }
    });
  }

  it("ends kubectl's side when the pod closes first, without waiting for the client", async () => {
    const session = await tunnelClient(front.port);
    try {
      const { data, error } = forward(session, 13, '0');
      assert.equal(await readAll(data), 'hello from the pod\n');
      // As kubectl does once the pod's side has ended: reset the data stream, then wait for the error stream's end.
      const podClosed = once(backends.last!, 'close');
      data.reset();
      assert.equal(await error, '');
      await podClosed;
    } finally {
      session.destroy();
    }
  });

  it('carries many connections at once over one session, paired by requestID in either order', async () => {
    const session = await spdyClient(front.port);
    try {
      const results = await Promise.all(
        Array.from({ length: 24 }, async (_, i) => {
          const { data, error } = forward(session, 7, String(i), i % 2 ? 'data-first' : 'error-first');
          const body = `connection ${i} `.repeat(2000 + i * 50);
          data.end(body);
          return (await readAll(data)) === body && (await error) === '';
        }),
      );
      assert.deepEqual(results, results.map(() => true));
    } finally {
      session.destroy();
    }
  });

  it("writes upstream's error to the error stream when the pod's port refuses", async () => {
    const session = await spdyClient(front.port);
    try {
      const { data, error } = forward(session, 81, '0');
      const message = await error;
      assert.match(message, /^error forwarding port 81 to pod web, uid uid-1: dial tcp4 127\.0\.0\.1:\d+: connect: connection refused$/);
      assert.equal(await readAll(data), '');
    } finally {
      session.destroy();
    }
  });

  it('refuses streams without a valid port or stream type', async () => {
    const session = await spdyClient(front.port);
    try {
      for (const headers of [{ streamtype: 'data', requestid: '1' }, { port: '0', streamtype: 'data' }, { port: '80', streamtype: 'stdin' }]) {
        const stream = session.openStream(headers);
        stream.on('error', () => undefined);
        await assert.rejects(stream.replied, (e: unknown) => e instanceof SpdyStreamResetError && e.status === RstStatus.REFUSED_STREAM);
      }
    } finally {
      session.destroy();
    }
  });

  it('reports a request whose data stream never comes', async () => {
    const session = await spdyClient(front.port);
    try {
      const error = session.openStream({ port: '7', streamtype: 'error', requestid: '5' });
      error.end();
      assert.equal(await readAll(error), '(request=5) timed out waiting for streams');
    } finally {
      session.destroy();
    }
  });

  it('closes the pod connection when kubectl goes away', async () => {
    const session = await tunnelClient(front.port);
    const { data } = forward(session, 7, '0');
    data.write('x');
    await once(data, 'data');
    const podClosed = once(backends.last!, 'close');
    session.destroy();
    await podClosed;
  });

  it('closes the session (GOAWAY) and its connections when the signal aborts', async () => {
    const stop = new AbortController();
    const own = await startFront(backends.target(), { signal: stop.signal });
    try {
      const session = await spdyClient(own.port);
      const { data } = forward(session, 7, '0');
      data.write('x');
      await once(data, 'data');
      const podClosed = once(backends.last!, 'close');
      const goaway = once(session, 'goaway');
      stop.abort();
      await goaway;
      await podClosed;
      assert.equal(await session.closed, undefined);
    } finally {
      own.close();
    }
  });

  it('answers bad upgrades with the HTTP errors upstream gives', async () => {
    const missing = await upgradeSpdy(front.port, {});
    assert.ok(missing instanceof http.IncomingMessage);
    assert.equal(missing.statusCode, 400);
    assert.match(await readAll(missing), /X-Stream-Protocol-Version/);

    const wrong = await upgradeSpdy(front.port, { 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' });
    assert.ok(wrong instanceof http.IncomingMessage);
    assert.equal(wrong.statusCode, 403);
    assert.equal(wrong.headers['x-accepted-stream-protocol-versions'], 'portforward.k8s.io');
    assert.match(await readAll(wrong), /unable to negotiate protocol: client supports \[v4\.channel\.k8s\.io\]/);

    const ws = new WebSocket(`ws://127.0.0.1:${front.port}/portforward`, ['v4.channel.k8s.io']);
    const [, response] = (await once(ws, 'unexpected-response')) as [unknown, http.IncomingMessage];
    assert.equal(response.statusCode, 400);
    assert.match(await readAll(response), /no tunneling spdy protocols provided/);
    ws.on('error', () => undefined);
    ws.terminate();
  });
});

describe('port-forward handler driven by the real kubectl 1.35', { timeout: 120_000 }, () => {
  const backends = new Backends();
  let dir: string;
  let api: Awaited<ReturnType<typeof startPortForwardApiServer>>;
  const upgrades: string[] = [];

  before(async () => {
    await backends.start();
    dir = mkdtempSync(path.join(tmpdir(), 'skiff-pf-'));
    const target = backends.target();
    api = await startPortForwardApiServer({
      dir,
      pod: { namespace: 'default', name: 'web', uid: 'uid-1' },
      onPortForward: (req, socket, head) => {
        upgrades.push(`${req.method} ${req.headers.upgrade}`);
        handlePortForward(req, socket, head, target);
      },
    });
  });

  after(async () => {
    await api?.close();
    await backends.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function getThrough(localPort: number): Promise<string> {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: localPort, path: '/', agent: false }, resolve).on('error', reject);
    });
    return readAll(res);
  }

  for (const [name, env] of [
    ['WebSocket tunnel (the default)', {}],
    ['SPDY fallback (KUBECTL_PORT_FORWARD_WEBSOCKETS=false)', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }],
  ] as const) {
    it(`kubectl port-forward pod/web :80 reaches the pod's port 80 over the ${name}`, { timeout: 60_000 }, async () => {
      upgrades.length = 0;
      const pf = kubectlStream(['port-forward', '--address', '127.0.0.1', 'pod/web', ':80'], { kubeconfig: api.kubeconfig, env });
      try {
        const line = await pf.waitForLine((l) => l.startsWith('Forwarding from 127.0.0.1:'), 30_000);
        const localPort = Number(/127\.0\.0\.1:(\d+) -> 80/.exec(line)?.[1]);
        // Several connections in a row and at once, each its own pair of streams on the same session.
        assert.equal(await getThrough(localPort), 'welcome to the pod');
        const bodies = await Promise.all([1, 2, 3, 4].map(() => getThrough(localPort)));
        assert.deepEqual(bodies, bodies.map(() => 'welcome to the pod'));
        assert.deepEqual(upgrades, name.startsWith('SPDY') ? ['POST SPDY/3.1'] : ['GET websocket']);
      } finally {
        await pf.stop();
      }
    });
  }

  it('kubectl reports the error stream and gives up when the port refuses', { timeout: 60_000 }, async () => {
    const pf = kubectlStream(['port-forward', '--address', '127.0.0.1', 'pod/web', ':81'], { kubeconfig: api.kubeconfig });
    try {
      const line = await pf.waitForLine((l) => l.startsWith('Forwarding from 127.0.0.1:'), 30_000);
      const localPort = Number(/127\.0\.0\.1:(\d+) -> 81/.exec(line)?.[1]);
      const socket = net.connect({ host: '127.0.0.1', port: localPort });
      socket.on('error', () => undefined);
      const { code } = await pf.exited;
      socket.destroy();
      assert.notEqual(code, 0);
      assert.match(pf.stderr(), /error forwarding port 81 to pod web, uid uid-1: dial tcp4 127\.0\.0\.1:\d+: connect: connection refused/);
      assert.match(pf.stderr(), /lost connection to pod/);
    } finally {
      await pf.stop();
    }
  });
});
