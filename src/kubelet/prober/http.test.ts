// httpGet probes against real servers on 127.0.0.1.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container } from 'kubernetes-types/core/v1.d.ts';
import type { ProbeTarget } from './common.ts';
import { buildHttpGetRequest, canonicalHeaderName } from './http.ts';
import { runProbe } from './probe.ts';

const noRuntime: ProbeTarget['runtime'] = {
  execSync: () => Promise.reject(new Error('no exec here')),
};

function target(container?: Container): ProbeTarget {
  return { podIPs: ['127.0.0.1'], containerId: 'c1', runtime: noRuntime, ...(container ? { container } : {}) };
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('httpGet probe', () => {
  const seen: http.IncomingHttpHeaders[] = [];
  let port = 0;
  let server: http.Server;
  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      const url = new URL(req.url ?? '/', 'http://x');
      switch (url.pathname) {
        case '/ok':
          res.end('all good');
          return;
        case '/fail':
          res.statusCode = 500;
          res.end('broken');
          return;
        case '/big':
          res.end('x'.repeat(50 * 1024));
          return;
        case '/hop':
          res.statusCode = 302;
          res.setHeader('location', `/ok?from=hop`);
          res.end();
          return;
        case '/elsewhere':
          res.statusCode = 301;
          res.setHeader('location', `http://localhost:${port}/ok`);
          res.end('moved away');
          return;
        case '/loop':
          res.statusCode = 302;
          res.setHeader('location', `/loop?n=${Number(url.searchParams.get('n') ?? 0) + 1}`);
          res.end();
          return;
        case '/hang':
          return; // never answers
        default:
          res.statusCode = 404;
          res.end();
      }
    });
    port = await listen(server);
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('succeeds on 2xx with the body as message, sending kube-probe/1.35, Accept */* and the spec headers', async () => {
    seen.length = 0;
    const res = await runProbe({ httpGet: { port, path: '/ok', httpHeaders: [{ name: 'x-custom', value: 'a' }, { name: 'X-Custom', value: 'b' }] } }, target());
    assert.deepEqual(res, { result: 'success', message: 'all good' });
    const h = seen[0]!;
    assert.equal(h['user-agent'], 'kube-probe/1.35');
    assert.equal(h['accept'], '*/*');
    assert.equal(h['x-custom'], 'a, b');
    assert.equal(h['connection'], 'close');
  });

  it('lets the spec override User-Agent and Host, and drop Accept with an empty value', async () => {
    seen.length = 0;
    const res = await runProbe(
      { httpGet: { port, path: '/ok', httpHeaders: [{ name: 'User-Agent', value: 'mine' }, { name: 'Host', value: 'example.test' }, { name: 'Accept', value: '' }] } },
      target(),
    );
    assert.equal(res.result, 'success');
    assert.equal(seen[0]!['user-agent'], 'mine');
    assert.equal(seen[0]!['host'], 'example.test');
    assert.equal(seen[0]!['accept'], undefined);
  });

  it('fails on 5xx with upstream message', async () => {
    const res = await runProbe({ httpGet: { port, path: '/fail' } }, target());
    assert.deepEqual(res, { result: 'failure', message: 'HTTP probe failed with statuscode: 500' });
    const missing = await runProbe({ httpGet: { port, path: '/nothing' } }, target());
    assert.equal(missing.message, 'HTTP probe failed with statuscode: 404');
  });

  it('resolves a named port from the container, a numeric string as a number, and reports unknown names as unknown', async () => {
    const container: Container = { name: 'app', ports: [{ name: 'http', containerPort: port }] };
    assert.equal((await runProbe({ httpGet: { port: 'http', path: '/ok' } }, target(container))).result, 'success');
    assert.equal((await runProbe({ httpGet: { port: String(port), path: '/ok' } }, target())).result, 'success');
    assert.deepEqual(await runProbe({ httpGet: { port: 'metrics', path: '/ok' } }, target(container)), {
      result: 'unknown',
      message: 'strconv.Atoi: parsing "metrics": invalid syntax',
    });
    assert.deepEqual(await runProbe({ httpGet: { port: 0, path: '/ok' } }, target()), { result: 'unknown', message: 'invalid port number: 0' });
  });

  it('uses the host from the spec instead of the pod IP', async () => {
    const res = await runProbe({ httpGet: { host: '127.0.0.1', port, path: '/ok' } }, { ...target(), podIPs: ['10.255.255.1'] });
    assert.equal(res.result, 'success');
  });

  it('follows a redirect on the same host', async () => {
    seen.length = 0;
    const res = await runProbe({ httpGet: { port, path: '/hop', httpHeaders: [{ name: 'X-Trace', value: 't' }] } }, target());
    assert.deepEqual(res, { result: 'success', message: 'all good' });
    assert.equal(seen.length, 2);
    assert.equal(seen[1]!['x-trace'], 't', 'headers are kept across the redirect');
  });

  it('does not follow a redirect to another host: success with a warning and the body', async () => {
    seen.length = 0;
    const res = await runProbe({ httpGet: { port, path: '/elsewhere' } }, target());
    assert.deepEqual(res, { result: 'success', message: 'Probe terminated redirects, Response body: moved away', warning: true });
    assert.equal(seen.length, 1);
  });

  it('gives up after 10 redirects', async () => {
    const res = await runProbe({ httpGet: { port, path: '/loop' } }, target());
    assert.equal(res.result, 'failure');
    assert.equal(res.message, `Get "http://127.0.0.1:${port}/loop?n=10": stopped after 10 redirects`);
  });

  it('reads at most 10 KiB of the body', async () => {
    const res = await runProbe({ httpGet: { port, path: '/big' } }, target());
    assert.equal(res.result, 'success');
    assert.equal(res.message.length, 10 * 1024);
  });

  it('fails with Go wording when the connection is refused', async () => {
    const closed = http.createServer();
    const freePort = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const res = await runProbe({ httpGet: { port: freePort, path: '/healthz' } }, target());
    assert.deepEqual(res, { result: 'failure', message: `Get "http://127.0.0.1:${freePort}/healthz": dial tcp 127.0.0.1:${freePort}: connect: connection refused` });
  });

  it('fails when the server does not answer within the timeout', async () => {
    const res = await runProbe({ httpGet: { port, path: '/hang' } }, target(), undefined, { timeoutMs: 150 });
    assert.deepEqual(res, {
      result: 'failure',
      message: `Get "http://127.0.0.1:${port}/hang": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    });
  });

  it('is unknown when the caller cancels it', async () => {
    const ac = new AbortController();
    const pending = runProbe({ httpGet: { port, path: '/hang' } }, target(), ac.signal, { timeoutMs: 10_000 });
    setTimeout(() => ac.abort(), 20);
    assert.equal((await pending).result, 'unknown');
  });
});

describe('httpGet probe over HTTPS', () => {
  let dir: string;
  let server: https.Server;
  let port = 0;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sk-probe-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=probe-test', '-days', '1'], { stdio: 'ignore' });
    server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => res.end('secure'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('does not verify the certificate', async () => {
    const res = await runProbe({ httpGet: { scheme: 'HTTPS', port, path: '/' } }, target());
    assert.deepEqual(res, { result: 'success', message: 'secure' });
  });
});

describe('buildHttpGetRequest', () => {
  it('builds the URL as upstream: lower-case scheme, host:port, a path made absolute, IPv6 in brackets', () => {
    assert.equal(buildHttpGetRequest({ port: 80, path: 'healthz' }, undefined, '10.0.0.5', 'probe').display, 'http://10.0.0.5:80/healthz');
    assert.equal(buildHttpGetRequest({ scheme: 'HTTPS', port: 8443 }, undefined, 'fd00::5', 'lifecycle').display, 'https://[fd00::5]:8443');
    assert.deepEqual(buildHttpGetRequest({ port: 80 }, undefined, '10.0.0.5', 'lifecycle').headers['User-Agent'], ['kube-lifecycle/1.35']);
  });

  it('canonicalizes header names as Go does', () => {
    assert.equal(canonicalHeaderName('x-forwarded-for'), 'X-Forwarded-For');
    assert.equal(canonicalHeaderName('USER-AGENT'), 'User-Agent');
  });
});
