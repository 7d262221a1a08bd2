import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1.d.ts';
import type { LogFields, Logger } from '../log.ts';
import { httpGet } from '../../test/support/http.ts';
import { freePort } from '../../test/support/server.ts';
import { goTimeString, ProxyHealth, ServiceHealthServers, splitHostPort, TO_BE_DELETED_TAINT } from './health.ts';

function clock(start = Date.UTC(2026, 10, 27, 8, 0, 0)) {
  const c = { ms: start, now: () => c.ms };
  return c;
}

const get = (port: number, path = '/') => httpGet('127.0.0.1', port, path);

function recording(): { logger: Logger; lines: Array<{ level: string; msg: string; fields?: LogFields | undefined }> } {
  const lines: Array<{ level: string; msg: string; fields?: LogFields | undefined }> = [];
  const at = (level: string) => (msg: string, fields?: LogFields) => void lines.push({ level, msg, fields });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return { logger, lines };
}

describe('ProxyHealth', () => {
  it('is healthy while starting, and unhealthy only when a queued change waits longer than the timeout', () => {
    const c = clock();
    const health = new ProxyHealth(60_000, c.now);
    health.queuedUpdate();
    c.ms += 120_000;
    assert.equal(health.isHealthy(), true, 'before the first sync (starting up) the proxy counts as healthy');
    health.updated();
    health.queuedUpdate();
    c.ms += 59_999;
    assert.equal(health.isHealthy(), true, 'a change not yet late');
    health.queuedUpdate(); // a later change does not restart the clock
    c.ms += 1;
    assert.equal(health.isHealthy(), false);
    health.updated();
    assert.equal(health.isHealthy(), true);
  });

  it('answers /healthz and /livez as upstream, /healthz failing once the node is being deleted', () => {
    const c = clock();
    const health = new ProxyHealth(1000, c.now);
    assert.deepEqual(health.answer('/healthz'), {
      status: 200,
      body: '{"lastUpdated": "2026-11-27 08:00:00 +0000 UTC","currentTime": "2026-11-27 08:00:00 +0000 UTC", "nodeEligible": true}',
    });
    const tainted: Node = { spec: { taints: [{ key: TO_BE_DELETED_TAINT, effect: 'NoSchedule' }] } };
    health.syncNode(tainted);
    assert.equal(health.answer('/healthz').status, 503);
    assert.match(health.answer('/healthz').body, /"nodeEligible": false}$/);
    assert.equal(health.answer('/livez').status, 200, '/livez ignores the node');
    health.syncNode({ metadata: { deletionTimestamp: '2026-11-27T08:00:00Z' } });
    assert.equal(health.nodeEligible, false);
    health.syncNode({ spec: {} });
    assert.equal(health.nodeEligible, true);
    health.syncNode(undefined);
    assert.equal(health.nodeEligible, false, 'a deleted node takes no traffic');

    health.syncNode({});
    health.updated();
    c.ms += 500;
    health.queuedUpdate();
    c.ms += 1500;
    assert.deepEqual(health.answer('/livez'), {
      status: 503,
      body: '{"lastUpdated": "2026-11-27 08:00:00 +0000 UTC","currentTime": "2026-11-27 08:00:02 +0000 UTC"}',
    });
    assert.equal(health.answer('/metrics').status, 404);
  });

  it('writes times in Go’s layout and splits host:port', () => {
    assert.equal(goTimeString(Date.UTC(2026, 0, 2, 3, 4, 5, 500)), '2026-01-02 03:04:05.5 +0000 UTC');
    assert.equal(goTimeString(undefined), '0001-01-01 00:00:00 +0000 UTC');
    assert.deepEqual(splitHostPort('0.0.0.0:10256'), { host: '0.0.0.0', port: 10256 });
    assert.deepEqual(splitHostPort('[::1]:10256'), { host: '::1', port: 10256 });
    assert.throws(() => splitHostPort('10256'), /not host:port/);
  });
});

describe('ServiceHealthServers', () => {
  const { logger, lines } = recording();
  const c = clock();
  const health = new ProxyHealth(1000, c.now);
  const servers = new ServiceHealthServers({ addresses: ['127.0.0.1'], health, logger });
  after(() => servers.close());

  it('answers 200 with the local endpoint count while there is one, 503 when none, in upstream’s body', async () => {
    const port = await freePort();
    await servers.sync([{ serviceKey: 'default/web', port, localEndpoints: 2 }]);
    const ok = await get(port, '/anything');
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['content-type'], 'application/json');
    assert.equal(ok.headers['x-content-type-options'], 'nosniff');
    assert.equal(ok.body, '{\n\t"service": {\n\t\t"namespace": "default",\n\t\t"name": "web"\n\t},\n\t"localEndpoints": 2,\n\t"serviceProxyHealthy": true\n}');
    await servers.sync([{ serviceKey: 'default/web', port, localEndpoints: 0 }]);
    const none = await get(port);
    assert.equal(none.status, 503);
    assert.deepEqual(JSON.parse(none.body), { service: { namespace: 'default', name: 'web' }, localEndpoints: 0, serviceProxyHealthy: true });
    // A proxy whose rules lag behind sends load balancers elsewhere whatever its endpoints.
    await servers.sync([{ serviceKey: 'default/web', port, localEndpoints: 2 }]);
    health.updated();
    health.queuedUpdate();
    c.ms += 1000;
    const lagging = await get(port);
    assert.equal(lagging.status, 503);
    assert.equal(JSON.parse(lagging.body).serviceProxyHealthy, false);
    health.updated();
    assert.equal((await get(port)).status, 200);
  });

  it('closes a gone Service’s port and moves a changed one', async () => {
    const [a, b] = [await freePort(), await freePort()];
    await servers.sync([{ serviceKey: 'default/moving', port: a, localEndpoints: 1 }]);
    assert.equal((await get(a)).status, 200);
    await servers.sync([{ serviceKey: 'default/moving', port: b, localEndpoints: 1 }]);
    await assert.rejects(get(a), /ECONNREFUSED/);
    assert.equal((await get(b)).status, 200);
    await servers.sync([]);
    await assert.rejects(get(b), /ECONNREFUSED/);
    assert.deepEqual(servers.ports, new Map());
  });

  it('logs a taken port and opens it on a later sync', async () => {
    const port = await freePort();
    const squatter = new ServiceHealthServers({ addresses: ['127.0.0.1'], health, logger: recording().logger });
    await squatter.sync([{ serviceKey: 'other/svc', port, localEndpoints: 1 }]);
    await servers.sync([{ serviceKey: 'default/late', port, localEndpoints: 3 }]);
    assert.ok(lines.some((l) => l.level === 'error' && l.fields?.['service'] === 'default/late' && l.fields['port'] === port), JSON.stringify(lines));
    assert.equal(servers.ports.has('default/late'), false);
    await squatter.close();
    await servers.sync([{ serviceKey: 'default/late', port, localEndpoints: 3 }]);
    assert.equal(JSON.parse((await get(port)).body).localEndpoints, 3);
  });
});
