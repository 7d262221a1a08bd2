// Lifecycle handlers: exec through the runtime, httpGet against a loopback server (named ports, status codes), sleep.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.d.ts';
import type { ExecSyncResult } from '../runtime.ts';
import { SimulatedRuntime } from '../runtime-simulated.ts';
import { HookError, resolvePort, runHandler, type HookContext } from './hooks.ts';

const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { containers: [] } };

class ExecRuntime extends SimulatedRuntime {
  readonly commands: string[][] = [];
  exitCode = 0;
  override async execSync(_id: string, cmd: string[]): Promise<ExecSyncResult> {
    this.commands.push(cmd);
    return { stdout: new TextEncoder().encode('out'), stderr: new Uint8Array(), exitCode: this.exitCode };
  }
}

describe('lifecycle handlers', () => {
  let server: Server;
  let port = 0;
  const seen: { url: string; header: string | undefined }[] = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', header: req.headers['x-hook'] as string | undefined });
      res.writeHead(req.url === '/bad' ? 503 : 200).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  const container = (): Container => ({ name: 'c', image: 'x', ports: [{ name: 'http', containerPort: port }] });
  const ctx = (runtime = new ExecRuntime()): HookContext => ({ runtime, pod, container: container(), containerId: 'id', podIP: '127.0.0.1', timeoutSeconds: 5 });

  it('runs an exec handler in the container and fails on a non-zero exit', async () => {
    const runtime = new ExecRuntime();
    await runHandler({ exec: { command: ['sh', '-c', 'echo hi'] } }, ctx(runtime));
    assert.deepEqual(runtime.commands, [['sh', '-c', 'echo hi']]);
    runtime.exitCode = 2;
    await assert.rejects(runHandler({ exec: { command: ['false'] } }, ctx(runtime)), (err: unknown) => err instanceof HookError && /^Exec lifecycle hook \(\["false"\]\) for Container "c" in Pod "p_ns\(u\)" failed - error: command 'false' exited with 2/.test(err.message));
  });

  it('GETs the pod address on a named port with headers, and fails on an error status', async () => {
    await runHandler({ httpGet: { path: '/ok', port: 'http', httpHeaders: [{ name: 'X-Hook', value: 'yes' }] } }, ctx());
    assert.deepEqual(seen.at(-1), { url: '/ok', header: 'yes' });
    await assert.rejects(runHandler({ httpGet: { path: '/bad', port } }, ctx()), /HTTP lifecycle hook \(\/bad\) for Container "c" in Pod "p_ns\(u\)" failed - error: HTTP status code 503/);
  });

  it('resolves named and numeric ports', () => {
    assert.equal(resolvePort('http', container()), port);
    assert.equal(resolvePort(8080, container()), 8080);
    assert.equal(resolvePort('9090', container()), 9090);
    assert.throws(() => resolvePort('nope', container()), HookError);
  });

  it('sleeps, and refuses tcpSocket handlers', async () => {
    const started = Date.now();
    await runHandler({ sleep: { seconds: 0 } }, ctx());
    assert.ok(Date.now() - started < 1000);
    await assert.rejects(runHandler({ tcpSocket: { port: 80 } }, ctx()), /invalid handler/);
  });
});
