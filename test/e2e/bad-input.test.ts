// Bad input: each answered with upstream's Status (kind, code, reason, message) and stored data left unchanged.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { anonymousRequest, eventually, request, startSkiffServer, watchEvents, type Response, type SkiffServer } from '../support/server.ts';

const namespace = 'bad-input';
const configmaps = `/api/v1/namespaces/${namespace}/configmaps`;
const deployments = `/apis/apps/v1/namespaces/${namespace}/deployments`;
const protobufMagic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

function assertStatus(response: Response, code: number, reason: string): any {
  assert.equal(response.status, code, `HTTP ${response.status}: ${response.body.slice(0, 500)}`);
  const status = response.json;
  assert.ok(status, `the answer is a JSON Status: ${response.body.slice(0, 500)}`);
  assert.equal(status.kind, 'Status');
  assert.equal(status.apiVersion, 'v1');
  assert.equal(status.status, 'Failure');
  assert.equal(status.code, code);
  assert.equal(status.reason, reason);
  assert.equal(typeof status.message, 'string');
  return status;
}

async function startWithNamespace(signal: AbortSignal, extraArgs?: string[]): Promise<SkiffServer> {
  const server = await startSkiffServer({ datastore: 'sqlite', signal, ...(extraArgs ? { extraArgs } : {}) });
  const ns = await request(server, { method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
  assert.equal(ns.status, 201, ns.body);
  return server;
}

void describe('bad input', { timeout: 5 * 60_000 }, () => {
  const abort = new AbortController();
  let server: SkiffServer;

  /** What is stored: name → resourceVersion and data, for configmaps and deployments in the namespace. */
  const stored = async () => {
    const result: Record<string, unknown> = {};
    for (const path of [configmaps, deployments]) {
      const list = await request(server, { path });
      assert.equal(list.status, 200, list.body);
      for (const item of list.json.items) {
        if (item.metadata.name === 'kube-root-ca.crt') continue; // written by the root CA publisher, not by the requests under test
        result[`${path}/${item.metadata.name}`] = { rv: item.metadata.resourceVersion, data: item.data, spec: item.spec };
      }
    }
    return result;
  };
  /** Runs `attempt` and checks that nothing stored changed. */
  const unchanged = async (attempt: () => Promise<void>) => {
    const before = await stored();
    await attempt();
    assert.deepEqual(await stored(), before, 'stored data unchanged');
  };

  before(async () => {
    server = await startWithNamespace(abort.signal);
    const seed = await request(server, { method: 'POST', path: configmaps, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { v: '1' } } });
    assert.equal(seed.status, 201, seed.body);
  });
  after(async () => {
    try {
      await server?.stop();
    } finally {
      abort.abort();
    }
  });

  void it('malformed JSON: 400 BadRequest', async () => {
    await unchanged(async () => {
      const response = await request(server, {
        method: 'POST',
        path: configmaps,
        headers: { 'Content-Type': 'application/json' },
        body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"broken"',
      });
      assertStatus(response, 400, 'BadRequest');
    });
  });

  void it('malformed YAML: 400 BadRequest', async () => {
    await unchanged(async () => {
      const response = await request(server, {
        method: 'POST',
        path: configmaps,
        headers: { 'Content-Type': 'application/yaml' },
        body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [broken\n  labels: {a: b\n',
      });
      assertStatus(response, 400, 'BadRequest');
    });
  });

  void it('malformed protobuf: 400 BadRequest', async () => {
    await unchanged(async () => {
      for (const body of [
        Buffer.from('this is not protobuf'),
        // The magic, then a runtime.Unknown whose first field claims far more bytes than follow.
        Buffer.concat([protobufMagic, Buffer.from([0x0a, 0xff, 0xff, 0x03, 0x0a, 0x02])]),
      ]) {
        const response = await request(server, {
          method: 'POST',
          path: configmaps,
          headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf', Accept: 'application/json' },
          body,
        });
        assertStatus(response, 400, 'BadRequest');
      }
    });
  });

  void it('unknown field under fieldValidation=Strict: 400 naming the field', async () => {
    await unchanged(async () => {
      const response = await request(server, {
        method: 'POST',
        path: `${deployments}?fieldValidation=Strict`,
        body: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'strict' },
          spec: {
            foo: 1,
            selector: { matchLabels: { app: 'strict' } },
            template: { metadata: { labels: { app: 'strict' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
          },
        },
      });
      const status = assertStatus(response, 400, 'BadRequest');
      assert.match(status.message, /strict decoding error: unknown field "spec\.foo"/);
    });
  });

  void it('invalid name: 422 Invalid with causes', async () => {
    await unchanged(async () => {
      const response = await request(server, { method: 'POST', path: configmaps, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } } });
      const status = assertStatus(response, 422, 'Invalid');
      assert.match(status.message, /^ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/);
      assert.equal(status.details?.name, 'Bad_Name');
      assert.equal(status.details?.kind, 'ConfigMap');
      assert.equal(status.details?.causes?.[0]?.field, 'metadata.name');
      assert.equal(status.details?.causes?.[0]?.reason, 'FieldValueInvalid');
    });
  });

  void it('stale resourceVersion on PUT: 409 Conflict', async () => {
    const current = await request(server, { path: `${configmaps}/x` });
    assert.equal(current.status, 200);
    const staleVersion = current.json.metadata.resourceVersion;
    const newer = await request(server, { method: 'PUT', path: `${configmaps}/x`, body: { ...current.json, data: { v: '2' } } });
    assert.equal(newer.status, 200, newer.body);
    await unchanged(async () => {
      const response = await request(server, {
        method: 'PUT',
        path: `${configmaps}/x`,
        body: { ...current.json, metadata: { ...current.json.metadata, resourceVersion: staleVersion }, data: { v: 'stale' } },
      });
      const status = assertStatus(response, 409, 'Conflict');
      assert.equal(
        status.message,
        'Operation cannot be fulfilled on configmaps "x": the object has been modified; please apply your changes to the latest version and try again',
      );
      assert.equal(status.details?.name, 'x');
      assert.equal(status.details?.kind, 'configmaps');
    });
    const after = await request(server, { path: `${configmaps}/x` });
    assert.deepEqual(after.json.data, { v: '2' });
  });

  void it('body over 3 MiB: 413 RequestEntityTooLarge', async () => {
    await unchanged(async () => {
      const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'huge' }, data: { big: 'x'.repeat(3.5 * 1024 * 1024) } });
      const response = await request(server, { method: 'POST', path: configmaps, headers: { 'Content-Type': 'application/json' }, body });
      const status = assertStatus(response, 413, 'RequestEntityTooLarge');
      assert.equal(status.message, 'Request entity too large: limit is 3145728');
    });
  });

  void it('no credentials: 401 Unauthorized', async () => {
    await unchanged(async () => {
      assertStatus(await anonymousRequest(server, { path: configmaps }), 401, 'Unauthorized');
      const write = await anonymousRequest(server, { method: 'POST', path: configmaps, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'anonymous' } } });
      assertStatus(write, 401, 'Unauthorized');
    });
  });
});

// Upstream (k8s.io/apiserver, storage/cacher/cacher.go Watch): once the request has been authorized and its resourceVersion
// parsed, a too-old revision is not an HTTP error: the watch answers 200 and sends one ERROR event whose object is a Status
// {code 410, reason Expired, message "too old resource version: N (M)"}, then ends (newErrWatcher). The uncached etcd path
// does the same with "The resourceVersion for the provided watch is too old.". A LIST at an exact compacted revision is a 410.
void describe('watch from a compacted revision', { timeout: 5 * 60_000 }, () => {
  const abort = new AbortController();
  let server: SkiffServer;

  before(async () => {
    server = await startWithNamespace(abort.signal, ['--storage-compaction-interval', '1s', '--storage-compaction-keep', '10']);
  });
  after(async () => {
    try {
      await server?.stop();
    } finally {
      abort.abort();
    }
  });

  void it('answers with an ERROR event carrying 410 Expired, as upstream', async () => {
    const created = await request(server, { method: 'POST', path: configmaps, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w' }, data: { v: '0' } } });
    assert.equal(created.status, 201, created.body);
    const oldRevision = created.json.metadata.resourceVersion;
    let latest = created.json;
    for (let i = 1; i <= 30; i++) {
      const updated = await request(server, { method: 'PUT', path: `${configmaps}/w`, body: { ...latest, data: { v: String(i) } } });
      assert.equal(updated.status, 200, updated.body);
      latest = updated.json;
    }
    const path = `${configmaps}?watch=true&resourceVersion=${oldRevision}&timeoutSeconds=5`;
    // Compaction runs on the server's own schedule; wait (bounded) until the old revision is gone.
    const answer = await eventually(
      'compaction past the first revision',
      async () => {
        const result = await watchEvents(server, path, { until: (events) => events.some((e) => e.type === 'ERROR'), timeoutMs: 10_000 });
        return result.status === 410 || result.events.some((e) => e.type === 'ERROR') ? result : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    assert.equal(answer.status, 200, `upstream answers 200 and reports the 410 in the stream; got ${answer.status} ${answer.body.slice(0, 300)}`);
    assert.equal(answer.events.length, 1, `only the ERROR event: ${JSON.stringify(answer.events).slice(0, 500)}`);
    const event = answer.events[0];
    assert.equal(event?.type, 'ERROR');
    assert.equal(event?.object?.kind, 'Status');
    assert.equal(event?.object?.apiVersion, 'v1');
    assert.equal(event?.object?.status, 'Failure');
    assert.equal(event?.object?.code, 410);
    assert.equal(event?.object?.reason, 'Expired');
    assert.match(event?.object?.message ?? '', /too old/);
    const ended = await watchEvents(server, `${configmaps}?watch=true&resourceVersion=${oldRevision}`, { timeoutMs: 10_000 });
    assert.equal(ended.ended, true, 'the server ends the watch after the ERROR event');

    const list = await request(server, { path: `${configmaps}?resourceVersion=${oldRevision}&resourceVersionMatch=Exact` });
    assertStatus(list, 410, 'Expired');
  });
});
