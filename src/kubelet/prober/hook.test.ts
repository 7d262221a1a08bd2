// Lifecycle hooks: exec through a fake runtime, httpGet against real servers on 127.0.0.1, sleep.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import type { ExecSyncResult } from '../runtime.ts';
import { type HookTarget, runHandler } from './hook.ts';

const pod: Pod = { metadata: { name: 'web', namespace: 'default', uid: 'uid-1' }, spec: { containers: [{ name: 'app' }] } };

function hookTarget(execSync: HookTarget['runtime']['execSync'] = () => Promise.reject(new Error('no exec'))): HookTarget {
  return { podIPs: ['127.0.0.1'], containerId: 'ctr-1', runtime: { execSync }, pod, container: { name: 'app', ports: [] } };
}

const result = (stdout: string, stderr: string, exitCode: number): ExecSyncResult => ({ stdout: Buffer.from(stdout), stderr: Buffer.from(stderr), exitCode });

describe('runHandler: exec', () => {
  it('runs the command without a timeout of its own and is ok on exit 0', async () => {
    const calls: [string, string[], number][] = [];
    const res = await runHandler({ exec: { command: ['sh', '-c', 'echo hi'] } }, hookTarget(async (id, cmd, timeout) => {
      calls.push([id, cmd, timeout]);
      return result('hi\n', '', 0);
    }));
    assert.deepEqual(res, { ok: true, message: '' });
    assert.deepEqual(calls, [['ctr-1', ['sh', '-c', 'echo hi'], 0]]);
  });

  it('reports a non-zero exit in upstream words', async () => {
    const res = await runHandler({ exec: { command: ['sh', '-c', 'exit 3'] } }, hookTarget(async () => result('out\n', 'err\n', 3)));
    assert.deepEqual(res, {
      ok: false,
      message: `Exec lifecycle hook ([sh -c exit 3]) for Container "app" in Pod "web_default(uid-1)" failed - error: command 'sh -c exit 3' exited with 3: err\n, message: "out\\nerr\\n"`,
    });
  });

  it('reports a runtime error', async () => {
    const res = await runHandler({ exec: { command: ['true'] } }, hookTarget(async () => {
      throw new Error('container not running');
    }));
    assert.equal(res.ok, false);
    assert.match(res.message, /failed - error: container not running, message: ""$/);
  });

  it('gives up when its signal aborts even if the runtime does not answer', async () => {
    const ac = new AbortController();
    const pending = runHandler({ exec: { command: ['sleep', '100'] } }, hookTarget(() => new Promise<ExecSyncResult>(() => {})), ac.signal);
    setTimeout(() => ac.abort(), 20);
    const res = await pending;
    assert.equal(res.ok, false);
    assert.match(res.message, /error: context canceled/);
  });
});

describe('runHandler: httpGet', () => {
  const seen: { url: string; ua: string }[] = [];
  let server: http.Server;
  let port = 0;
  before(async () => {
    server = http.createServer((req, res) => {
      seen.push({ url: req.url ?? '', ua: req.headers['user-agent'] ?? '' });
      res.statusCode = req.url === '/broken' ? 500 : 200;
      res.end('x');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  it('GETs the pod IP with kube-lifecycle/1.35; any answer is ok, as upstream', async () => {
    seen.length = 0;
    assert.deepEqual(await runHandler({ httpGet: { port, path: '/start' } }, hookTarget()), { ok: true, message: '' });
    assert.deepEqual(await runHandler({ httpGet: { port, path: '/broken' } }, hookTarget()), { ok: true, message: '' });
    assert.deepEqual(seen, [
      { url: '/start', ua: 'kube-lifecycle/1.35' },
      { url: '/broken', ua: 'kube-lifecycle/1.35' },
    ]);
  });

  it('reports a request that fails', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const res = await runHandler({ httpGet: { port: closedPort, path: '/stop' } }, hookTarget());
    assert.deepEqual(res, {
      ok: false,
      message: `HTTP lifecycle hook (/stop) for Container "app" in Pod "web_default(uid-1)" failed - error: Get "http://127.0.0.1:${closedPort}/stop": dial tcp 127.0.0.1:${closedPort}: connect: connection refused`,
    });
  });

  it('retries an HTTPS hook that answers plain HTTP over HTTP, with an event', async () => {
    seen.length = 0;
    const res = await runHandler({ httpGet: { scheme: 'HTTPS', port, path: '/tls' } }, hookTarget());
    assert.deepEqual(res, {
      ok: true,
      message: '',
      event: { type: 'Warning', reason: 'LifecycleHTTPFallback', message: `request to HTTPS lifecycle hook 127.0.0.1:${port} got HTTP response, retry with HTTP succeeded` },
    });
    assert.deepEqual(seen.map((s) => s.url), ['/tls']);
  });

  it('fails when the pod has no IP and the hook names no host', async () => {
    const res = await runHandler({ httpGet: { port, path: '/x' } }, { ...hookTarget(), podIPs: [] });
    assert.equal(res.ok, false);
  });
});

describe('runHandler: sleep and others', () => {
  it('sleeps', async () => {
    assert.deepEqual(await runHandler({ sleep: { seconds: 2 } }, hookTarget(), undefined, { secondMs: 5 }), { ok: true, message: '' });
  });

  it('reports a sleep cut short', async () => {
    const ac = new AbortController();
    const pending = runHandler({ sleep: { seconds: 100 } }, hookTarget(), ac.signal);
    setTimeout(() => ac.abort(), 10);
    assert.deepEqual(await pending, {
      ok: false,
      message: 'Sleep lifecycle hook (100) for Container "app" in Pod "web_default(uid-1)" failed - error: container terminated before sleep hook finished',
    });
  });

  it('refuses a handler it cannot run (tcpSocket)', async () => {
    const res = await runHandler({ tcpSocket: { port: 80 } }, hookTarget());
    assert.equal(res.ok, false);
    assert.match(res.message, /^Cannot run handler: invalid handler: /);
  });
});
