import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { ContainerRuntime } from '../runtime.ts';
import { criPortForwardTarget, dialStreamingPortForward, PodDialError, podIPTarget } from './portforward-cri.ts';
import { StreamingDialError } from './streaming-ws.ts';
import { handlePortForward, RemotePortForwardError } from './portforward.ts';

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

/** Writes `request`, ends the writing side, and reads to the end; rejects with what destroyed the connection. */
function exchange(conn: Duplex, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    conn.on('data', (chunk: Buffer) => (text += chunk.toString()));
    conn.on('end', () => resolve(text));
    conn.on('error', reject);
    conn.end(request);
  });
}

// A stand-in for containerd's streaming server: kubelet's portforward protocol over SPDY, the pod being loopback
// servers. Error messages name the pod as containerd does: by sandbox id, with no uid.
describe('port-forward through a CRI streaming server', { timeout: 60_000 }, () => {
  const podSockets: net.Socket[] = [];
  const servers: net.Server[] = [];
  let echoPort: number;
  let refusedPort: number;
  let streamingUrl: string;

  before(async () => {
    const echo = net.createServer({ allowHalfOpen: true }, (socket) => {
      podSockets.push(socket);
      socket.pipe(socket);
    });
    echoPort = await listen(echo);
    const closed = net.createServer();
    refusedPort = await listen(closed);
    closed.close();
    const direct = podIPTarget('127.0.0.1');
    const streaming = http.createServer((_req, res) => res.writeHead(404).end('token not found'));
    streaming.on('upgrade', (req, socket: Duplex, head: Buffer) => {
      if (req.url !== '/portforward/tok') return socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 15\r\n\r\ntoken not found');
      handlePortForward(req, socket, head, {
        podName: 'sandbox-1',
        podUID: '',
        dial: (port, signal) => direct.dial(port === 80 ? echoPort : refusedPort, signal),
      });
    });
    const port = await listen(streaming);
    streamingUrl = `http://127.0.0.1:${port}/portforward/tok`;
    servers.push(echo, streaming);
  });

  after(() => {
    for (const socket of podSockets) socket.destroy();
    for (const server of servers) server.close();
  });

  it('dials the URL the runtime hands out for the sandbox and port, and forwards with half-close', async () => {
    const calls: Array<[string, number[]]> = [];
    const runtime = {
      portForward: async (podSandboxId: string, ports: number[]) => {
        calls.push([podSandboxId, ports]);
        return streamingUrl;
      },
    } as unknown as ContainerRuntime;
    const target = criPortForwardTarget(runtime, 'sandbox-1');
    assert.equal(target.podName, 'sandbox-1');
    assert.equal(target.podUID, '');
    const conn = await target.dial(80, new AbortController().signal);
    assert.equal(await exchange(conn, 'through the streaming server'), 'through the streaming server');
    assert.deepEqual(calls, [['sandbox-1', [80]]]);
    // Both directions done: the connection (and its SPDY session) closes by itself.
    if (!conn.closed) await once(conn, 'close');
  });

  it("destroys the connection with the streaming server's error message, unchanged", async () => {
    const conn = await dialStreamingPortForward(streamingUrl, 81);
    await assert.rejects(exchange(conn, 'x'), (error: unknown) => {
      assert.ok(error instanceof RemotePortForwardError, String(error));
      assert.match(error.message, /^error forwarding port 81 to pod sandbox-1, uid : dial tcp4 127\.0\.0\.1:\d+: connect: connection refused$/);
      return true;
    });
  });

  it('rejects when the streaming server does not upgrade', async () => {
    await assert.rejects(dialStreamingPortForward(streamingUrl.replace('/tok', '/gone'), 80), (error: unknown) => {
      assert.ok(error instanceof StreamingDialError);
      assert.match(error.message, /answered the port-forward upgrade with 404: token not found/);
      return true;
    });
  });

  it("passes the runtime's refusal on", async () => {
    const runtime = {
      portForward: () => Promise.reject(new Error('rpc error: code = NotFound desc = sandbox not found')),
    } as unknown as ContainerRuntime;
    await assert.rejects(criPortForwardTarget(runtime, 'gone').dial(80, new AbortController().signal), /sandbox not found/);
  });

  it("destroying the forwarded connection ends the pod's connection", async () => {
    const conn = await dialStreamingPortForward(streamingUrl, 80);
    conn.write('x');
    await once(conn, 'data');
    const pod = podSockets.at(-1)!;
    const podClosed = once(pod, 'close');
    conn.destroy();
    await podClosed;
  });
});

describe('podIPTarget', () => {
  it("words a refused connection as Go's dialer does", async () => {
    const closed = net.createServer();
    const port = await listen(closed);
    closed.close();
    const target = podIPTarget('127.0.0.1', { name: 'web', uid: 'u1' });
    assert.equal(target.podName, 'web');
    await assert.rejects(target.dial(port, new AbortController().signal), (error: unknown) => {
      assert.ok(error instanceof PodDialError);
      assert.equal(error.message, `dial tcp4 127.0.0.1:${port}: connect: connection refused`);
      return true;
    });
  });

  it('connects, and stops when the signal aborts', async () => {
    const server = net.createServer((socket) => socket.end('hi'));
    const port = await listen(server);
    try {
      const conn = await podIPTarget('127.0.0.1').dial(port, new AbortController().signal);
      assert.equal(await exchange(conn, ''), 'hi');
      const stop = new AbortController();
      stop.abort(new Error('session over'));
      await assert.rejects(podIPTarget('127.0.0.1').dial(port, stop.signal), /session over/);
    } finally {
      server.close();
    }
  });
});
