import assert from 'node:assert/strict';
import { once } from 'node:events';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError } from '../../client/errors.ts';
import type { ClientConfig } from '../kubeconfig.ts';
import { execute } from './executor.ts';
import { closeErrorText, decodeErrorChannel, ExitCodeError, RemoteCommandError, resizeMessage } from './remotecommand.ts';

function sink(): Writable & { text: () => string } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    write(chunk: Buffer, _e, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  return Object.assign(w, { text: () => Buffer.concat(chunks).toString('utf8') });
}

const exitStatus = (code: number) => JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NonZeroExitCode', message: `command terminated with non-zero exit code: ${code}`, details: { causes: [{ reason: 'ExitCode', message: String(code) }] } });

describe('the exec channel protocol', () => {
  it('decodes the error channel as client-go does', () => {
    assert.equal(decodeErrorChannel(Buffer.alloc(0)), undefined);
    assert.equal(decodeErrorChannel(Buffer.from('{"status":"Success"}')), undefined);
    const exit = decodeErrorChannel(Buffer.from(exitStatus(3)));
    assert.ok(exit instanceof ExitCodeError);
    assert.equal(exit.code, 3);
    assert.equal(exit.message, 'command terminated with exit code 3');
    assert.equal(decodeErrorChannel(Buffer.from('{"status":"Failure","message":"container not running"}'))?.message, 'container not running');
    assert.equal(decodeErrorChannel(Buffer.from('{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"x"}]}}'))?.message, 'error stream protocol error: invalid exit code value "x"');
    assert.equal(decodeErrorChannel(Buffer.from('{"status":"Odd"}'))?.message, 'error stream protocol error: unknown error');
    assert.equal(resizeMessage({ width: 80, height: 24 }), '{"Width":80,"Height":24}\n');
    assert.equal(closeErrorText(1006, ''), 'websocket: close 1006 (abnormal closure): unexpected EOF');
  });

});

describe('exec against a local WebSocket server', () => {
  let server: http.Server;
  let wss: WebSocketServer;
  let config: ClientConfig;
  const seen: Array<{ method: string; url: string; protocol: string; frames: Buffer[] }> = [];
  let behaviour: (ws: WebSocket, req: IncomingMessage, frames: Buffer[]) => void = () => undefined;
  let refuse = false;

  before(async () => {
    server = http.createServer((_req, res) => res.writeHead(404).end());
    wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : false) });
    server.on('upgrade', (req: IncomingMessage, socket, head) => {
      if (req.headers.upgrade?.toLowerCase() !== 'websocket') {
        // The SPDY fallback: refused with a Status, as the API server refuses an upgrade.
        seen.push({ method: req.method ?? '', url: req.url ?? '', protocol: String(req.headers['x-stream-protocol-version'] ?? ''), frames: [] });
        const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'container nope is not valid for pod p', reason: 'BadRequest', code: 400 });
        socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
        return;
      }
      if (refuse) {
        seen.push({ method: req.method ?? '', url: req.url ?? '', protocol: String(req.headers['sec-websocket-protocol']), frames: [] });
        const body = JSON.stringify({ kind: 'Status', status: 'Failure', code: 400, reason: 'BadRequest', message: 'no' });
        socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const entry = { method: req.method ?? '', url: req.url ?? '', protocol: ws.protocol, frames: [] as Buffer[] };
        seen.push(entry);
        ws.on('message', (data: Buffer) => entry.frames.push(data));
        behaviour(ws, req, entry.frames);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    config = { server: `http://127.0.0.1:${port}`, namespace: 'default', contextName: '', clusterName: '', userName: '', insecureSkipTlsVerify: false };
  });
  after(() => {
    wss.close();
    server.closeAllConnections();
    server.close();
  });

  const target = () => ({ config, path: '/api/v1/namespaces/default/pods/p/exec', query: [['command', 'cat'], ['container', 'main'], ['stderr', 'true'], ['stdin', 'true'], ['stdout', 'true']] as Array<[string, string]>, command: 'exec' });

  it('sends stdin then closes it (channel 255), routes stdout and stderr, and reports the exit code', async () => {
    seen.length = 0;
    refuse = false;
    behaviour = (ws, _req, frames) => {
      const check = setInterval(() => {
        // Once stdin is closed, answer and end the session.
        if (frames.some((f) => f[0] === 255)) {
          clearInterval(check);
          const input = Buffer.concat(frames.filter((f) => f[0] === 0).map((f) => f.subarray(1)));
          ws.send(Buffer.concat([Buffer.from([1]), input]));
          ws.send(Buffer.concat([Buffer.from([2]), Buffer.from('to stderr\n')]));
          ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(exitStatus(3))]));
          ws.close(1000);
        }
      }, 10);
    };
    const stdin = new PassThrough();
    stdin.end('piped input\n');
    const stdout = sink();
    const stderr = sink();
    await assert.rejects(execute(target(), { stdin, stdout, stderr, tty: false }), (err: unknown) => err instanceof ExitCodeError && err.code === 3);
    assert.equal(stdout.text(), 'piped input\n');
    assert.equal(stderr.text(), 'to stderr\n');
    const session = seen[0]!;
    assert.equal(session.method, 'GET');
    assert.equal(session.protocol, 'v5.channel.k8s.io');
    assert.equal(session.url, '/api/v1/namespaces/default/pods/p/exec?command=cat&container=main&stderr=true&stdin=true&stdout=true');
    assert.deepEqual(session.frames.at(-1), Buffer.from([255, 0]));
  });

  it('sends the terminal size first on a TTY and ends quietly on success', async () => {
    seen.length = 0;
    refuse = false;
    behaviour = (ws) => {
      ws.once('message', () => {
        ws.send(Buffer.concat([Buffer.from([3]), Buffer.from('{"status":"Success"}')]));
        ws.close(1000);
      });
    };
    const stdout = sink();
    await execute(target(), { stdout, tty: true, sizes: (send) => (send({ width: 100, height: 30 }), () => undefined) });
    assert.deepEqual(seen[0]!.frames[0], Buffer.from('\x04{"Width":100,"Height":30}\n'));
  });

  it('reports an abnormal end of the connection', async () => {
    refuse = false;
    behaviour = (ws) => ws.terminate();
    await assert.rejects(execute(target(), { stdout: sink(), tty: false }), (err: unknown) => err instanceof RemoteCommandError && /^error reading from error stream: next reader: websocket: close 1006/.test(err.message));
  });

  it('falls back to a SPDY upgrade when the WebSocket is refused, and reports its refusal', async () => {
    seen.length = 0;
    refuse = true;
    await assert.rejects(execute(target(), { stdout: sink(), tty: false }), (err: unknown) => err instanceof ApiError && err.reason === 'BadRequest' && err.message === 'container nope is not valid for pod p');
    assert.deepEqual(
      seen.map((s) => s.method),
      ['GET', 'POST'],
    );
    assert.equal(seen[1]!.protocol, 'v5.channel.k8s.io, v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io, channel.k8s.io');
  });
});
