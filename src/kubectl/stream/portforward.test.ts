import assert from 'node:assert/strict';
import { once } from 'node:events';
import http, { type IncomingMessage } from 'node:http';
import net from 'node:net';
import { Writable, type Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { handlePortForward, RemotePortForwardError } from '../../kubelet/server/portforward.ts';
import type { ClientConfig } from '../kubeconfig.ts';
import { dialPortForward, parseAddresses, parsePorts, podPorts, PortForwarder, servicePorts } from './portforward.ts';

function lines(): Writable & { text: () => string } {
  let text = '';
  const w = new Writable({
    write(chunk: Buffer, _e, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return Object.assign(w, { text: () => text });
}

describe('port-forward arguments', () => {
  it('parses ports and addresses as client-go does', () => {
    assert.deepEqual(parsePorts(['8080:80', ':5000', '0:53', '7']), [
      { local: 8080, remote: 80 },
      { local: 0, remote: 5000 },
      { local: 0, remote: 53 },
      { local: 7, remote: 7 },
    ]);
    assert.throws(() => parsePorts(['1:2:3']), /^PortForwardError: invalid port format '1:2:3'$/);
    assert.throws(() => parsePorts(['x:80']), { message: `error parsing local port 'x': strconv.ParseUint: parsing "x": invalid syntax` });
    assert.throws(() => parsePorts(['80:70000']), { message: `error parsing remote port '70000': strconv.ParseUint: parsing "70000": value out of range` });
    assert.throws(() => parsePorts(['80:0']), { message: 'remote port must be > 0' });
    assert.deepEqual(
      parseAddresses(['localhost', '10.0.0.1']).map((a) => a.address),
      ['10.0.0.1', '127.0.0.1', '::1'],
    );
    assert.throws(() => parseAddresses(['nowhere']), { message: 'nowhere is not a valid IP' });
  });

  it('maps named pod ports and service ports to the pod port', () => {
    const pod = { metadata: { name: 'web' }, spec: { containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] }] } };
    assert.deepEqual(podPorts(['http', '9000:http', '81'], pod), ['8080', '9000:8080', '81']);
    assert.throws(() => podPorts(['nope'], pod), { message: "Pod 'web' does not have a named port 'nope'" });
    assert.throws(() => podPorts(['dns'], pod), { message: 'UDP protocol is not supported for dns' });
    const svc = { metadata: { name: 's' }, spec: { ports: [{ name: 'web', port: 80, targetPort: 'http' }, { port: 81, targetPort: 9090 }] } };
    assert.deepEqual(servicePorts(['80', 'web', '7000:81'], svc, pod), ['80:8080', '80:8080', '7000:9090']);
    assert.throws(() => servicePorts(['82'], svc, pod), { message: 'Service s does not have a service port 82' });
  });
});

describe('port-forward through a local API server', () => {
  let api: http.Server;
  let echo: net.Server;
  let config: ClientConfig;
  let echoPort = 0;
  const upgrades: string[] = [];

  before(async () => {
    echo = net.createServer({ allowHalfOpen: true }, (socket) => socket.pipe(socket));
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    echoPort = (echo.address() as net.AddressInfo).port;
    const target = {
      podName: 'p',
      podUID: 'u',
      dial: async (port: number): Promise<Duplex> => {
        if (port !== 7) throw new RemotePortForwardError(`error forwarding port ${port} to pod p, uid u: connection refused`);
        const socket = net.connect(echoPort, '127.0.0.1');
        await once(socket, 'connect');
        return socket;
      },
    };
    api = http.createServer((_req, res) => res.writeHead(404).end());
    api.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      upgrades.push(`${req.method} ${req.headers.upgrade} ${req.headers['sec-websocket-protocol'] ?? req.headers['x-stream-protocol-version']}`);
      handlePortForward(req, socket, head, target);
    });
    api.listen(0, '127.0.0.1');
    await once(api, 'listening');
    config = { server: `http://127.0.0.1:${(api.address() as net.AddressInfo).port}`, namespace: 'default', contextName: '', clusterName: '', userName: '', insecureSkipTlsVerify: false };
  });
  after(() => {
    api.closeAllConnections();
    api.close();
    echo.close();
  });

  it('tunnels SPDY in a WebSocket, prints kubectl lines, and forwards a connection both ways', async () => {
    upgrades.length = 0;
    const session = await dialPortForward({ config, path: '/api/v1/namespaces/default/pods/p/portforward', query: [], command: 'port-forward' });
    assert.deepEqual(upgrades, ['GET websocket SPDY/3.1+portforward.k8s.io']);
    const out = lines();
    const errOut = lines();
    const forwarder = new PortForwarder(session, { addresses: parseAddresses(['127.0.0.1']), ports: parsePorts([':7']), out, errOut });
    await forwarder.listen();
    const local = Number(/^Forwarding from 127\.0\.0\.1:(\d+) -> 7\n$/.exec(out.text())?.[1]);
    assert.ok(local > 0, out.text());
    const stop = new AbortController();
    const running = forwarder.run(stop.signal);
    const conn = net.connect(local, '127.0.0.1');
    let echoed = '';
    conn.on('data', (c: Buffer) => (echoed += c.toString()));
    conn.end('ping through the tunnel');
    await once(conn, 'close');
    assert.equal(echoed, 'ping through the tunnel');
    assert.equal(out.text().split('\n')[1], `Handling connection for ${local}`);
    stop.abort();
    await running;
    assert.equal(errOut.text(), '');
  });

  it('ends with "lost connection to pod" when a forward fails, after logging the error', async () => {
    const session = await dialPortForward({ config, path: '/api/v1/namespaces/default/pods/p/portforward', query: [], command: 'port-forward' });
    const out = lines();
    const errOut = lines();
    const forwarder = new PortForwarder(session, { addresses: parseAddresses(['127.0.0.1']), ports: parsePorts([':81']), out, errOut });
    await forwarder.listen();
    const local = Number(/127\.0\.0\.1:(\d+)/.exec(out.text())?.[1]);
    const running = forwarder.run(new AbortController().signal);
    const conn = net.connect(local, '127.0.0.1');
    conn.on('error', () => undefined);
    conn.end('hello');
    await assert.rejects(running, { message: 'lost connection to pod' });
    assert.equal(errOut.text().replace(/^E\d{4} [\d:.]+ +\d+ /, ''), `portforward.go:424] "Unhandled Error" err="an error occurred forwarding ${local} -> 81: error forwarding port 81 to pod p, uid u: connection refused"\n`);
  });

  it('reports a port already in use and fails when no port could be bound', async () => {
    const busy = net.createServer();
    busy.listen(0, '127.0.0.1');
    await once(busy, 'listening');
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const session = await dialPortForward({ config, path: '/api/v1/namespaces/default/pods/p/portforward', query: [], command: 'port-forward' });
      const errOut = lines();
      const forwarder = new PortForwarder(session, { addresses: parseAddresses(['127.0.0.1']), ports: parsePorts([`${port}:7`]), out: lines(), errOut });
      await assert.rejects(forwarder.listen(), { message: `unable to listen on any of the requested ports: [{${port} 7}]` });
      session.close();
      assert.equal(errOut.text(), `Unable to listen on port ${port}: Listeners failed to create with the following errors: [unable to create listener: Error listen tcp4 127.0.0.1:${port}: bind: address already in use]\n`);
    } finally {
      busy.close();
    }
  });
});
