// Durability: SIGKILL `skiff server` (SQLite) under write load; after a restart every acknowledged write is there.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request, startSkiffServer, type SkiffServer } from '../support/server.ts';

const namespace = 'durability';
const workers = 4;
const maxWrites = 2000;
const maxLoadMs = 20_000;
/** Kill once this many creates were acknowledged, while the workers are still writing. */
const killAfterAcks = 300;

interface Ack {
  name: string;
  resourceVersion: string;
  uid: string;
  payload: string;
}

void describe('durability under SIGKILL (sqlite)', { timeout: 5 * 60_000 }, () => {
  const abort = new AbortController();
  let server: SkiffServer;

  before(async () => {
    server = await startSkiffServer({ datastore: 'sqlite', signal: abort.signal });
    const ns = await request(server, { method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
    assert.equal(ns.status, 201, ns.body);
  });
  after(async () => {
    try {
      await server?.stop();
    } finally {
      abort.abort();
    }
  });

  void it('keeps every acknowledged create across a SIGKILL', async () => {
    const acks: Ack[] = [];
    const failures: string[] = [];
    let attempted = 0;
    let killed = false;
    const deadline = Date.now() + maxLoadMs;

    const worker = async (id: number) => {
      for (let i = 0; attempted < maxWrites && Date.now() < deadline; i++) {
        attempted++;
        const name = `load-${id}-${i}`;
        const payload = `${name}:${'x'.repeat(i % 64)}`;
        let response;
        try {
          response = await request(server, {
            method: 'POST',
            path: `/api/v1/namespaces/${namespace}/configmaps`,
            body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { payload } },
            timeoutMs: 10_000,
          });
        } catch (error) {
          if (killed) return; // the server is gone; this write was never acknowledged
          failures.push(`${name}: ${String(error)}`);
          return;
        }
        if (response.status !== 201) {
          if (!killed) failures.push(`${name}: ${response.status} ${response.body.slice(0, 300)}`);
          return;
        }
        acks.push({ name, resourceVersion: response.json.metadata.resourceVersion, uid: response.json.metadata.uid, payload });
        if (!killed && acks.length >= killAfterAcks) {
          killed = true;
          server.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, (_, id) => worker(id)));
    assert.deepEqual(failures, [], 'no write failed before the kill');
    assert.ok(killed, `the load reached ${killAfterAcks} acknowledged writes before its bound (got ${acks.length} of ${attempted} attempts)`);
    const child = server.process;
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    assert.equal(child.signalCode, 'SIGKILL', 'the server died by SIGKILL');

    await server.restart();

    // Everything acknowledged is there, unchanged, and the list revision covers it.
    const listed = new Map<string, any>();
    let listRevision = '';
    let continueToken = '';
    for (let page = 0; page < 100; page++) {
      const query = `limit=500${continueToken ? `&continue=${encodeURIComponent(continueToken)}` : ''}`;
      const list = await request(server, { path: `/api/v1/namespaces/${namespace}/configmaps?${query}` });
      assert.equal(list.status, 200, list.body.slice(0, 500));
      if (!listRevision) listRevision = list.json.metadata.resourceVersion;
      for (const item of list.json.items) listed.set(item.metadata.name, item);
      continueToken = list.json.metadata.continue ?? '';
      if (!continueToken) break;
    }
    assert.equal(continueToken, '', 'the paged LIST finished');
    const missing = acks.filter((ack) => !listed.has(ack.name)).map((ack) => ack.name);
    assert.deepEqual(missing, [], `${missing.length} of ${acks.length} acknowledged writes were lost`);
    for (const ack of acks) {
      const item = listed.get(ack.name);
      assert.equal(item.metadata.uid, ack.uid, `${ack.name} uid`);
      assert.equal(item.metadata.resourceVersion, ack.resourceVersion, `${ack.name} resourceVersion`);
      assert.deepEqual(item.data, { payload: ack.payload }, `${ack.name} data`);
    }
    // Objects whose answer was lost in the kill may or may not exist, but never half-written.
    for (const [name, item] of listed) {
      if (name === 'kube-root-ca.crt') continue; // every namespace has it (root CA publisher)
      assert.match(name, /^load-\d+-\d+$/);
      assert.ok(typeof item.data?.payload === 'string' && item.data.payload.startsWith(`${name}:`), `${name} is intact`);
    }
    const highest = acks.reduce((max, ack) => (BigInt(ack.resourceVersion) > max ? BigInt(ack.resourceVersion) : max), 0n);
    assert.ok(BigInt(listRevision) >= highest, `LIST resourceVersion ${listRevision} >= highest acknowledged ${highest}`);

    // Single GETs agree with the LIST (first, last and a sample in between).
    const sample = acks.filter((_, i) => i === 0 || i === acks.length - 1 || i % 50 === 0);
    for (const ack of sample) {
      const got = await request(server, { path: `/api/v1/namespaces/${namespace}/configmaps/${ack.name}` });
      assert.equal(got.status, 200, got.body);
      assert.equal(got.json.metadata.resourceVersion, ack.resourceVersion);
    }

    // The store still takes writes, at a revision above everything before.
    const fresh = await request(server, {
      method: 'POST',
      path: `/api/v1/namespaces/${namespace}/configmaps`,
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-restart' }, data: { ok: 'yes' } },
    });
    assert.equal(fresh.status, 201, fresh.body);
    assert.ok(BigInt(fresh.json.metadata.resourceVersion) > BigInt(listRevision), 'new writes get a higher resourceVersion');
    const update = await request(server, {
      method: 'PUT',
      path: `/api/v1/namespaces/${namespace}/configmaps/${acks[0]?.name}`,
      body: { ...listed.get(acks[0]?.name ?? ''), apiVersion: 'v1', kind: 'ConfigMap', data: { payload: 'updated' } },
    });
    assert.equal(update.status, 200, update.body);
  });
});
