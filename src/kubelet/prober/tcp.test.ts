// tcpSocket probes against a real listener on 127.0.0.1.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { ProbeTarget } from './common.ts';
import { runProbe } from './probe.ts';

const target = (extra: Partial<ProbeTarget> = {}): ProbeTarget => ({
  podIPs: ['127.0.0.1'],
  containerId: 'c1',
  runtime: { execSync: () => Promise.reject(new Error('no exec here')) },
  ...extra,
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

describe('tcpSocket probe', () => {
  let server: net.Server;
  let port = 0;
  let accepted = 0;
  before(async () => {
    server = net.createServer((socket) => {
      accepted++;
      socket.on('error', () => {});
      socket.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => server.close());

  it('succeeds when the port accepts a connection', async () => {
    const before = accepted;
    assert.deepEqual(await runProbe({ tcpSocket: { port } }, target()), { result: 'success', message: '' });
    // The server saw the connection (it is closed again right away).
    for (let i = 0; i < 50 && accepted === before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(accepted, before + 1);
  });

  it('resolves a named port and uses the spec host', async () => {
    const res = await runProbe({ tcpSocket: { port: 'svc', host: '127.0.0.1' } }, target({ podIPs: [], container: { name: 'app', ports: [{ name: 'svc', containerPort: port }] } }));
    assert.equal(res.result, 'success');
  });

  it('fails with Go wording when the connection is refused', async () => {
    const closed = await freePort();
    assert.deepEqual(await runProbe({ tcpSocket: { port: closed } }, target()), {
      result: 'failure',
      message: `dial tcp 127.0.0.1:${closed}: connect: connection refused`,
    });
  });

  it('is unknown without a pod IP or with a port name the container does not have', async () => {
    assert.equal((await runProbe({ tcpSocket: { port } }, target({ podIPs: [] }))).result, 'unknown');
    assert.equal((await runProbe({ tcpSocket: { port: 'nope' } }, target())).result, 'unknown');
  });

  it('falls back to the host IP when the pod has none', async () => {
    assert.equal((await runProbe({ tcpSocket: { port } }, target({ podIPs: [], hostIP: '127.0.0.1' }))).result, 'success');
  });
});
