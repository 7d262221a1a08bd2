// The forwarder, its cache and the choice of upstreams, against fake resolvers on 127.0.0.1.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { eventually } from '../../test/support/server.ts';
import { silentLogger } from '../log.ts';
import { cacheTtl, ResponseCache } from './cache.ts';
import { Rcode, RRType } from './constants.ts';
import { decodeMessage } from './decode.ts';
import { encodeMessage } from './encode.ts';
import { ForwardError, Forwarder } from './forward.ts';
import { emptyFlags, type DnsMessage, type ResourceRecord } from './message.ts';
import { encodeQuery, startFakeUpstream, type FakeAnswer, type FakeUpstream } from './testing.ts';
import { parseResolvConf, parseUpstream, withoutSelf } from './upstreams.ts';

/** A loopback port nobody listens on (UDP queries to it are refused at once). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Forwarder', () => {
  const started: FakeUpstream[] = [];
  const forwarders: Forwarder[] = [];
  const fake = async (answer: (q: { name: string }) => FakeAnswer) => {
    const f = await startFakeUpstream(answer);
    started.push(f);
    return f;
  };
  const forwarder = (upstreams: Array<{ address: string; port: number }>, extra: { timeoutMs?: number; probeIntervalMs?: number } = {}) => {
    const f = new Forwarder({ upstreams, logger: silentLogger(), ...extra });
    forwarders.push(f);
    return f;
  };
  after(async () => {
    for (const f of forwarders) f.close();
    await Promise.all(started.map((s) => s.close()));
  });

  it('answers with the upstream response under the query ID, retrying over TCP when truncated', async () => {
    const up = await fake((q) => ({ records: Array.from({ length: q.name === 'big.test' ? 50 : 1 }, (_, i) => ({ name: q.name, type: 'A' as const, ttl: 60, address: `192.0.2.${i}` })) }));
    const f = forwarder([up]);
    const small = decodeMessage(await f.exchange(encodeQuery('small.test', RRType.A, { id: 4242 })));
    assert.equal(small.id, 4242);
    assert.equal(small.answers.length, 1);
    const big = decodeMessage(await f.exchange(encodeQuery('big.test', RRType.A, { id: 7 })));
    assert.equal(big.flags.tc, false);
    assert.equal(big.answers.length, 50);
    assert.deepEqual(up.queries.filter((q) => q.name === 'big.test').map((q) => q.transport), ['udp', 'tcp']);
    assert.notEqual(up.queries.length, 0);
  });

  it('moves on to another upstream when one refuses, and takes the failing one out', async () => {
    const up = await fake((q) => ({ records: [{ name: q.name, type: 'A', ttl: 60, address: '192.0.2.1' }] }));
    const dead = { address: '127.0.0.1', port: await closedPort() };
    const f = forwarder([dead, up]);
    for (let i = 0; i < 10; i++) {
      const answer = decodeMessage(await f.exchange(encodeQuery(`q${i}.test`, RRType.A)));
      assert.equal(answer.answers.length, 1);
    }
    assert.equal(f.downCount, 1);
  });

  it('fails at once while every upstream is out, and takes one back when its probe is answered', async () => {
    let answering = false;
    const up = await fake((q) => (answering ? { records: [{ name: q.name || 'x', type: 'A', ttl: 60, address: '192.0.2.9' }] } : 'drop'));
    const f = forwarder([up], { timeoutMs: 150, probeIntervalMs: 30 });
    for (const name of ['a.test', 'b.test']) await assert.rejects(f.exchange(encodeQuery(name, RRType.A)), ForwardError);
    assert.equal(f.downCount, 1);
    await assert.rejects(f.exchange(encodeQuery('c.test', RRType.A)), { name: 'ForwardError', message: 'no healthy upstream' });
    assert.ok(!up.queries.some((q) => q.name === 'c.test'));
    answering = true;
    await eventually('the upstream is back', () => (f.downCount === 0 ? true : undefined));
    assert.ok(up.queries.some((q) => q.name === '' && q.type === RRType.NS), 'probed with ". NS"');
    assert.equal(decodeMessage(await f.exchange(encodeQuery('d.test', RRType.A))).answers.length, 1);
  });

  it('has nothing to ask without upstreams', async () => {
    await assert.rejects(forwarder([]).exchange(encodeQuery('a.test', RRType.A)), { message: 'no upstream resolvers configured' });
  });
});

describe('ResponseCache', () => {
  const reply = (overrides: Partial<DnsMessage>): { packet: Uint8Array; msg: DnsMessage } => {
    const packet = encodeMessage({ id: 1, flags: { ...emptyFlags(), qr: true }, rcode: 0, questions: [{ name: 'a.test', type: 1, class: 1 }], answers: [], authorities: [], additionals: [], ...overrides });
    return { packet, msg: decodeMessage(packet) };
  };
  const soa = (ttl: number, minimum: number): ResourceRecord => ({ name: 'test', type: 'SOA', ttl, mname: 'ns.test', rname: 'h.test', serial: 1, refresh: 1, retry: 1, expire: 1, minimum });

  it('caps TTLs at 30 s and ages them while cached', () => {
    let now = 1_000_000;
    const cache = new ResponseCache({ now: () => now });
    const { packet, msg } = reply({ answers: [{ name: 'a.test', type: 'A', ttl: 300, address: '192.0.2.1' }, { name: 'a.test', type: 'A', ttl: 3000, address: '192.0.2.2' }] });
    const sent = decodeMessage(cache.put('k', packet, msg));
    assert.deepEqual(sent.answers.map((a) => a.ttl), [30, 30]);
    now += 10_500;
    assert.deepEqual(decodeMessage(cache.get('k')!).answers.map((a) => a.ttl), [20, 20]);
    now += 20_000;
    assert.equal(cache.get('k'), undefined);
    const short = reply({ answers: [{ name: 'a.test', type: 'A', ttl: 300, address: '192.0.2.1' }, { name: 'a.test', type: 'A', ttl: 20, address: '192.0.2.2' }] });
    assert.equal(cacheTtl(short.msg, 30), 20, 'kept for the smallest TTL');
  });

  it('keeps negative answers for the SOA negative TTL, and never failures or truncated answers', () => {
    assert.equal(cacheTtl(reply({ rcode: Rcode.NXDOMAIN, authorities: [soa(3600, 5)] }).msg, 30), 5);
    assert.equal(cacheTtl(reply({ rcode: Rcode.NOERROR, authorities: [soa(10, 60)] }).msg, 30), 10);
    assert.equal(cacheTtl(reply({ rcode: Rcode.NXDOMAIN }).msg, 30), 5);
    assert.equal(cacheTtl(reply({ rcode: Rcode.SERVFAIL }).msg, 30), 0);
    assert.equal(cacheTtl(reply({ flags: { ...emptyFlags(), qr: true, tc: true }, answers: [{ name: 'a.test', type: 'A', ttl: 60, address: '192.0.2.1' }] }).msg, 30), 0);
  });

  it('drops the oldest entry beyond its capacity', () => {
    const cache = new ResponseCache({ capacity: 2 });
    const { packet, msg } = reply({ answers: [{ name: 'a.test', type: 'A', ttl: 60, address: '192.0.2.1' }] });
    for (const key of ['a', 'b', 'c']) cache.put(key, packet, msg);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('a'), undefined);
    assert.ok(cache.get('c'));
  });
});

describe('upstream addresses', () => {
  it('parses addresses with and without ports', () => {
    assert.deepEqual(parseUpstream('10.0.0.2'), { address: '10.0.0.2', port: 53 });
    assert.deepEqual(parseUpstream('127.0.0.1:5353'), { address: '127.0.0.1', port: 5353 });
    assert.deepEqual(parseUpstream('[FD00::1]:54'), { address: 'fd00::1', port: 54 });
    assert.deepEqual(parseUpstream('fd00::1'), { address: 'fd00::1', port: 53 });
    assert.throws(() => parseUpstream('resolver.example:53'), { name: 'UpstreamAddressError' });
  });

  it('reads nameservers from resolv.conf text', () => {
    const text = '# generated\nsearch example.com\nnameserver 10.255.255.53\nnameserver  fe80::1%eth0\noptions ndots:5\nnameserver bogus\n';
    assert.deepEqual(parseResolvConf(text), ['10.255.255.53', 'fe80::1']);
  });

  it('never forwards to itself or to the cluster DNS Service', () => {
    const ups = ['10.96.0.10', '127.0.0.1', '127.0.0.53', '192.0.2.53', '127.0.0.1:5353'].map(parseUpstream);
    const kept = (self: string, port: number) => withoutSelf(ups, { address: self, port }, ['10.96.0.10']).map((u) => `${u.address}:${u.port}`);
    assert.deepEqual(kept('127.0.0.1', 53), ['127.0.0.53:53', '192.0.2.53:53', '127.0.0.1:5353']);
    assert.deepEqual(kept('0.0.0.0', 53), ['192.0.2.53:53', '127.0.0.1:5353']);
    assert.deepEqual(kept('127.0.0.1', 1053), ['127.0.0.1:53', '127.0.0.53:53', '192.0.2.53:53', '127.0.0.1:5353']);
  });
});
