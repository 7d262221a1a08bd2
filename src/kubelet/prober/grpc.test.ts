// grpc probes against a real grpc.health.v1 server on 127.0.0.1.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { ProbeTarget } from './common.ts';
import { decodeHealthCheckRequest, decodeHealthCheckResponse, encodeHealthCheckRequest, encodeHealthCheckResponse, goDuration, HEALTH_CHECK_PATH } from './grpc.ts';
import { runProbe } from './probe.ts';

const target = (): ProbeTarget => ({ podIPs: ['127.0.0.1'], containerId: 'c1', runtime: { execSync: () => Promise.reject(new Error('no exec here')) } });

const healthService: grpc.ServiceDefinition = {
  Check: {
    path: HEALTH_CHECK_PATH,
    requestStream: false,
    responseStream: false,
    // Objects, not bare values: grpc-js takes a falsy message ('' or 0) for a missing one.
    requestSerialize: (req: { service: string }) => encodeHealthCheckRequest(req.service),
    requestDeserialize: (buf: Buffer) => ({ service: decodeHealthCheckRequest(buf) }),
    responseSerialize: (status: number) => encodeHealthCheckResponse(status),
    responseDeserialize: decodeHealthCheckResponse,
  },
};

async function serve(server: grpc.Server): Promise<number> {
  return new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
}

describe('grpc probe', () => {
  const statuses: Record<string, number> = { '': 1, ready: 1, draining: 2, odd: 3, zero: 0 };
  const seen: { service: string; userAgent: string }[] = [];
  let server: grpc.Server;
  let bare: grpc.Server;
  let port = 0;
  let barePort = 0;
  before(async () => {
    server = new grpc.Server();
    server.addService(healthService, {
      Check: (call: grpc.ServerUnaryCall<{ service: string }, number>, callback: grpc.sendUnaryData<number>) => {
        const service = call.request.service;
        seen.push({ service, userAgent: String(call.metadata.get('user-agent')[0] ?? '') });
        if (service === 'slow') return; // never answers
        const status = statuses[service];
        if (status === undefined) return callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
        callback(null, status);
      },
    });
    port = await serve(server);
    bare = new grpc.Server();
    barePort = await serve(bare);
  });
  after(() => {
    server.forceShutdown();
    bare.forceShutdown();
  });

  it('succeeds when the server answers SERVING, sending kube-probe/1.35', async () => {
    seen.length = 0;
    assert.deepEqual(await runProbe({ grpc: { port } }, target()), { result: 'success', message: 'service is serving' });
    assert.equal(seen[0]!.service, '');
    assert.match(seen[0]!.userAgent, /^kube-probe\/1\.35/);
  });

  it('asks for the service the spec names', async () => {
    seen.length = 0;
    assert.equal((await runProbe({ grpc: { port, service: 'ready' } }, target())).result, 'success');
    assert.equal(seen[0]!.service, 'ready');
  });

  it('fails on any other serving status, naming it', async () => {
    assert.deepEqual(await runProbe({ grpc: { port, service: 'draining' } }, target()), { result: 'failure', message: 'service unhealthy (responded with "NOT_SERVING")' });
    assert.equal((await runProbe({ grpc: { port, service: 'odd' } }, target())).message, 'service unhealthy (responded with "SERVICE_UNKNOWN")');
    assert.equal((await runProbe({ grpc: { port, service: 'zero' } }, target())).message, 'service unhealthy (responded with "UNKNOWN")');
  });

  it('fails with the rpc error when the check itself fails', async () => {
    assert.deepEqual(await runProbe({ grpc: { port, service: 'gone' } }, target()), {
      result: 'failure',
      message: 'error: health rpc probe failed: rpc error: code = NotFound desc = unknown service',
    });
  });

  it('fails when the server does not implement the health protocol', async () => {
    const res = await runProbe({ grpc: { port: barePort } }, target());
    assert.equal(res.result, 'failure');
    assert.match(res.message, /^error: this server does not implement the grpc health protocol \(grpc\.health\.v1\.Health\): /);
  });

  it('fails with a timeout when the server does not answer in time', async () => {
    assert.deepEqual(await runProbe({ grpc: { port, service: 'slow' } }, target(), undefined, { timeoutMs: 200 }), {
      result: 'failure',
      message: 'timeout: health rpc did not complete within 200ms',
    });
  });

  it('fails when nothing listens', async () => {
    const other = new grpc.Server();
    const closedPort = await serve(other);
    other.forceShutdown();
    const res = await runProbe({ grpc: { port: closedPort } }, target());
    assert.equal(res.result, 'failure');
    assert.equal(
      res.message,
      `error: health rpc probe failed: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:${closedPort}: connect: connection refused"`,
    );
  });
});

describe('grpc wire helpers', () => {
  it('round-trips the health messages', () => {
    assert.equal(decodeHealthCheckRequest(encodeHealthCheckRequest('svc')), 'svc');
    assert.equal(decodeHealthCheckRequest(encodeHealthCheckRequest('')), '');
    assert.equal(decodeHealthCheckResponse(encodeHealthCheckResponse(2)), 2);
    assert.equal(decodeHealthCheckResponse(Buffer.alloc(0)), 0);
  });

  it('prints durations as Go does', () => {
    assert.equal(goDuration(1000), '1s');
    assert.equal(goDuration(1500), '1.5s');
    assert.equal(goDuration(250), '250ms');
  });
});
