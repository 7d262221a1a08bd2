// The token cache's refresh rules, against a stand-in for the TokenRequest API (the rules are Skiff's own logic).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { Client } from '../../client/client.ts';
import { apiErrorFrom } from '../../client/errors.ts';
import type { Transport, TransportRequest } from '../../client/transport.ts';
import { ServiceAccountTokens } from './tokens.ts';

function fakeAPI(now: () => number) {
  const requests: TransportRequest[] = [];
  let failing = false;
  const transport: Transport = {
    async request(req) {
      requests.push(req);
      if (failing) throw apiErrorFrom(503, { kind: 'Status', code: 503, message: 'unavailable' });
      const spec = (req.body as { spec: { expirationSeconds: number } }).spec;
      return { status: 201, body: { status: { token: `t${requests.length}`, expirationTimestamp: new Date(now() + spec.expirationSeconds * 1000).toISOString() } } };
    },
    watch: () => {
      throw new Error('no watches here');
    },
    close: async () => {},
  };
  return { client: new Client(transport), requests, fail: (f: boolean) => (failing = f) };
}

const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u1' }, spec: { containers: [] } };

describe('ServiceAccountTokens', () => {
  it('asks for a token bound to the pod, for its service account (default "default")', async () => {
    const api = fakeAPI(Date.now);
    const tokens = new ServiceAccountTokens(api.client);
    assert.equal(await tokens.get(pod, { path: 'token' }), 't1');
    assert.equal(api.requests[0]!.method, 'POST');
    assert.equal(api.requests[0]!.path, '/api/v1/namespaces/ns/serviceaccounts/default/token');
    assert.deepEqual((api.requests[0]!.body as { spec: unknown }).spec, {
      audiences: [],
      expirationSeconds: 3600,
      boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u1' },
    });
  });

  it('reuses a token until 80% of its lifetime has passed, then asks again', async () => {
    let now = 1_000_000;
    const api = fakeAPI(() => now);
    const tokens = new ServiceAccountTokens(api.client, () => now);
    const projection = { path: 'token', expirationSeconds: 1000, audience: 'a' };
    assert.equal(await tokens.get(pod, projection), 't1');
    now += 799_000;
    assert.equal(await tokens.get(pod, projection), 't1');
    assert.equal(await tokens.get(pod, { ...projection, audience: 'b' }), 't2', 'another audience is another token');
    now += 2_000;
    assert.equal(await tokens.get(pod, projection), 't3');
  });

  it('keeps serving the old token while a refresh fails, until it expires', async () => {
    let now = 0;
    const api = fakeAPI(() => now);
    const tokens = new ServiceAccountTokens(api.client, () => now);
    const projection = { path: 'token', expirationSeconds: 1000 };
    assert.equal(await tokens.get(pod, projection), 't1');
    api.fail(true);
    now = 900_000;
    assert.equal(await tokens.get(pod, projection), 't1');
    now = 1_000_001;
    await assert.rejects(tokens.get(pod, projection), { name: 'TokenError', message: 'failed to fetch token: unavailable' });
  });

  it("forgets a pod's tokens", async () => {
    const api = fakeAPI(Date.now);
    const tokens = new ServiceAccountTokens(api.client);
    await tokens.get(pod, { path: 'token' });
    tokens.forget('u1');
    await tokens.get(pod, { path: 'token' });
    assert.equal(api.requests.length, 2);
  });
});
