// ClusterDNS against a real API server (with the EndpointSlice controller), asked by an independent client
// (Node's c-ares Resolver) and by raw packets. Upstreams are fakes on 127.0.0.1: nothing leaves the machine.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { Resolver } from 'node:dns/promises';
import type { Service } from 'kubernetes-types/core/v1.d.ts';
import { gvr, startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { eventually } from '../../test/support/server.ts';
import type { KubeObject } from '../client/client.ts';
import { createNamespace, createNode, createPod } from '../controllers/endpoints-testpods.ts';
import { EndpointSliceController } from '../controllers/endpointslice.ts';
import { Rcode, RRType } from './constants.ts';
import { decodeMessage } from './decode.ts';
import { FrameReader, frame } from './framing.ts';
import { ClusterDNS, DnsListenError } from './server.ts';
import { encodeQuery, rawQuery, startFakeUpstream, type FakeUpstream } from './testing.ts';

const NS = 'dns-test';
const zone = (name: string) => `${name}.${NS}.svc.cluster.local`;

describe('ClusterDNS', () => {
  let cluster: TestCluster;
  let upstream: FakeUpstream;
  let dns: { address: string; port: number };
  let resolver: Resolver;
  const stop = new AbortController();
  const clusterIPs: Record<string, string> = {};

  const createService = async (name: string, spec: Service['spec']) => {
    const svc = await cluster.client.create<Service & KubeObject>(gvr.services, NS, { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec } as Service & KubeObject);
    if (svc.spec?.clusterIP) clusterIPs[name] = svc.spec.clusterIP;
    return svc;
  };

  before(async () => {
    cluster = await startTestCluster({ controllers: { endpointslice: (ctx) => new EndpointSliceController(ctx) } });
    await createNode(cluster.client, 'node-1');
    await createNamespace(cluster.client, NS);
    upstream = await startFakeUpstream((q) => {
      const name = q.name.toLowerCase();
      if (name === 'www.example.com' && q.type === RRType.A) return { records: [{ name: q.name, type: 'A', ttl: 300, address: '192.0.2.80' }] };
      if (name === 'big.example.com' && q.type === RRType.A) {
        return { records: Array.from({ length: 60 }, (_, i) => ({ name: q.name, type: 'A' as const, ttl: 300, address: `198.51.100.${i}` })) };
      }
      if (name === '9.9.9.10.in-addr.arpa') return { records: [{ name: q.name, type: 'PTR', ttl: 300, target: 'outside.example.com' }] };
      return { rcode: Rcode.NXDOMAIN };
    });
    const server = new ClusterDNS({ client: cluster.client, clusterDomain: 'cluster.local', upstreams: [`127.0.0.1:${upstream.port}`], listen: { address: '127.0.0.1', port: 0 } });
    dns = await server.start(stop.signal);
    await server.waitForSync(stop.signal);
    resolver = new Resolver({ timeout: 3000, tries: 1 });
    resolver.setServers([`127.0.0.1:${dns.port}`]);

    await createService('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'metrics', port: 9090, protocol: 'UDP' }] });
    await createService('db', { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432 }] });
    await createService('ext', { type: 'ExternalName', externalName: 'www.example.com' });
    await createService('alias', { type: 'ExternalName', externalName: 'web.dns-test.svc.cluster.local' });
    await createPod(cluster.client, NS, 'db-0', { labels: { app: 'db' }, hostname: 'db-0', subdomain: 'db' }, { ip: '10.244.3.1' });
    await createPod(cluster.client, NS, 'db-1', { labels: { app: 'db' } }, { ip: '10.244.3.2' });
    await createPod(cluster.client, NS, 'db-2', { labels: { app: 'db' } }, { ip: '10.244.3.3', ready: false });
    await createPod(cluster.client, NS, 'web-1', { labels: { app: 'web' } }, { ip: '10.244.3.10' });
  });

  after(async () => {
    stop.abort();
    await upstream?.close();
    await cluster?.stop();
  });

  it('answers A for a ClusterIP Service with its cluster IP, authoritatively, TTL 30', async () => {
    const addresses = await eventually('web resolves', () => resolver.resolve4(zone('web'), { ttl: true }));
    assert.deepEqual(addresses, [{ address: clusterIPs['web'], ttl: 30 }]);
    const raw = await rawQuery(dns, zone('WEB'), RRType.A);
    assert.equal(raw.flags.aa, true);
    assert.equal(raw.answers[0]?.name, `WEB.${NS}.svc.cluster.local`, 'the owner name keeps the case asked');
  });

  it('answers A for a headless Service with its ready endpoints, and per-endpoint names', async () => {
    const all = await eventually('db has two ready endpoints', async () => {
      const ips = (await resolver.resolve4(zone('db'))).sort();
      assert.deepEqual(ips, ['10.244.3.1', '10.244.3.2']);
      return ips;
    });
    assert.ok(!all.includes('10.244.3.3'), 'the unready pod is left out');
    assert.deepEqual(await resolver.resolve4(`db-0.${zone('db')}`), ['10.244.3.1']);
    assert.deepEqual(await resolver.resolve4(`10-244-3-2.${zone('db')}`), ['10.244.3.2'], 'an endpoint without hostname answers by its dashed IP');
    await assert.rejects(resolver.resolve4(`10-244-3-3.${zone('db')}`), { code: 'ENOTFOUND' });
    assert.deepEqual(await resolver.resolve4(`10-244-3-10.${zone('web')}`), ['10.244.3.10'], 'CoreDNS answers endpoint names of ClusterIP Services too');
  });

  it('answers SRV for named ports: the Service name, or each endpoint with its A record in the additional section', async () => {
    assert.deepEqual(await resolver.resolveSrv(`_http._tcp.${zone('web')}`), [{ name: zone('web'), port: 80, priority: 0, weight: 100 }]);
    // `<svc>.<ns>.svc` SRV lists every port, as CoreDNS does.
    const ports = (await resolver.resolveSrv(zone('web'))).map((r) => [r.port, r.weight]).sort();
    assert.deepEqual(ports, [[80, 50], [9090, 50]]);
    const srv = await eventually('db SRV', async () => {
      const records = (await resolver.resolveSrv(`_pg._tcp.${zone('db')}`)).sort((a, b) => a.name.localeCompare(b.name));
      assert.equal(records.length, 2);
      return records;
    });
    assert.deepEqual(srv, [
      { name: `10-244-3-2.${zone('db')}`, port: 5432, priority: 0, weight: 50 },
      { name: `db-0.${zone('db')}`, port: 5432, priority: 0, weight: 50 },
    ]);
    const raw = await rawQuery(dns, `_pg._tcp.${zone('db')}`, RRType.SRV);
    assert.deepEqual(raw.additionals.map((r) => [r.name, r.type === 'A' && r.address]).sort(), [[`10-244-3-2.${zone('db')}`, '10.244.3.2'], [`db-0.${zone('db')}`, '10.244.3.1']]);
    await assert.rejects(resolver.resolveSrv(`_nope._tcp.${zone('web')}`), { code: 'ENOTFOUND' });
  });

  it('answers an ExternalName Service with a CNAME, resolving the target upstream or in the cluster', async () => {
    assert.deepEqual(await eventually('ext CNAME', () => resolver.resolveCname(zone('ext'))), ['www.example.com']);
    const raw = await rawQuery(dns, zone('ext'), RRType.A);
    assert.deepEqual(
      raw.answers.map((r) => [r.type, r.type === 'CNAME' ? r.target : r.type === 'A' ? r.address : '']),
      [['CNAME', 'www.example.com'], ['A', '192.0.2.80']],
    );
    assert.deepEqual(await resolver.resolve4(zone('ext')), ['192.0.2.80']);
    const before = upstream.queries.length;
    const alias = await rawQuery(dns, zone('alias'), RRType.A);
    assert.deepEqual(alias.answers.map((r) => r.type), ['CNAME', 'A']);
    assert.equal(alias.answers[1]?.type === 'A' && alias.answers[1].address, clusterIPs['web']);
    assert.equal(upstream.queries.length, before, 'an in-cluster target is chased without asking upstream');
  });

  it('answers pod A records for dashed addresses in an existing namespace (pods insecure)', async () => {
    assert.deepEqual(await resolver.resolve4(`10-244-3-1.${NS}.pod.cluster.local`), ['10.244.3.1']);
    assert.deepEqual(await resolver.resolve4(`10-9-9-9.${NS}.pod.cluster.local`), ['10.9.9.9']);
    await assert.rejects(resolver.resolve4(`10-244-3-1.no-such-namespace.pod.cluster.local`), { code: 'ENOTFOUND' });
    await assert.rejects(resolver.resolve4(`not-an-ip.${NS}.pod.cluster.local`), { code: 'ENOTFOUND' });
  });

  it('answers PTR for cluster IPs and endpoint IPs, and forwards other reverse names', async () => {
    assert.deepEqual(await resolver.reverse(clusterIPs['web']!), [zone('web')]);
    assert.deepEqual(await resolver.reverse('10.244.3.1'), [`db-0.${zone('db')}`]);
    assert.deepEqual(await resolver.reverse('10.244.3.2'), [`10-244-3-2.${zone('db')}`]);
    assert.deepEqual(await resolver.reverse('10.9.9.9'), ['outside.example.com'], 'unknown addresses fall through upstream');
  });

  it('tells NXDOMAIN from NODATA as CoreDNS does, with the zone SOA in the authority section', async () => {
    const nx = await rawQuery(dns, zone('nope'), RRType.A);
    assert.equal(nx.rcode, Rcode.NXDOMAIN);
    assert.equal(nx.flags.aa, true);
    assert.equal(nx.answers.length, 0);
    const soa = nx.authorities[0];
    assert.ok(soa?.type === 'SOA');
    assert.deepEqual({ ...soa, serial: 0, ttlOffset: 0 }, {
      name: 'cluster.local', class: 1, type: 'SOA', ttl: 30, ttlOffset: 0,
      mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 0, refresh: 7200, retry: 1800, expire: 86400, minimum: 30,
    });
    for (const [name, type, rcode] of [
      [zone('web'), RRType.AAAA, Rcode.NOERROR], // the name exists with other types
      [zone('web'), RRType.MX, Rcode.NOERROR],
      [`${NS}.svc.cluster.local`, RRType.A, Rcode.NOERROR], // a namespace
      ['svc.cluster.local', RRType.A, Rcode.NOERROR],
      ['cluster.local', RRType.A, Rcode.NOERROR],
      ['no-such-namespace.svc.cluster.local', RRType.A, Rcode.NXDOMAIN],
      ['something.cluster.local', RRType.A, Rcode.NXDOMAIN],
      [zone('nope'), RRType.AAAA, Rcode.NXDOMAIN],
      [`a.b.c.${zone('web')}`, RRType.A, Rcode.NXDOMAIN],
    ] as const) {
      const answer = await rawQuery(dns, name, type);
      assert.equal(answer.rcode, rcode, `${name} type ${type}`);
      assert.equal(answer.answers.length, 0, `${name} type ${type}`);
      assert.equal(answer.authorities[0]?.type, 'SOA', `${name} type ${type}`);
    }
    assert.deepEqual(await resolver.resolveTxt('dns-version.cluster.local'), [['1.1.0']]);
    const apexSoa = await rawQuery(dns, 'cluster.local', RRType.SOA);
    assert.equal(apexSoa.answers[0]?.type, 'SOA');
  });

  it('stops answering for a Service once it is deleted', async () => {
    await createService('short-lived', { selector: { app: 'x' }, ports: [{ port: 80 }] });
    await eventually('short-lived resolves', () => resolver.resolve4(zone('short-lived')));
    await cluster.client.delete(gvr.services, NS, 'short-lived');
    await eventually('short-lived is gone', async () => {
      const answer = await rawQuery(dns, zone('short-lived'), RRType.A);
      assert.equal(answer.rcode, Rcode.NXDOMAIN);
      return true;
    });
    await assert.rejects(resolver.reverse(clusterIPs['short-lived']!), (err: NodeJS.ErrnoException) => err.code === 'ENOTFOUND' || err.code === 'ENODATA');
  });

  it('forwards other names upstream and caches the answer', async () => {
    assert.deepEqual(await resolver.resolve4('www.example.com'), ['192.0.2.80']);
    const asked = () => upstream.queries.filter((q) => q.name.toLowerCase() === 'www.example.com' && q.type === RRType.A).length;
    const count = asked();
    const again = await rawQuery(dns, 'WWW.example.com', RRType.A);
    assert.equal(again.questions[0]?.name, 'WWW.example.com', 'a cached answer carries the question as asked');
    assert.equal(again.answers[0]?.type === 'A' && again.answers[0].address, '192.0.2.80');
    assert.ok(again.answers[0]!.ttl <= 30, 'cached for at most 30 s');
    assert.equal(asked(), count, 'served from the cache');
    await assert.rejects(resolver.resolve4('missing.example.com'), { code: 'ENOTFOUND' });
  });

  it('truncates large UDP answers (TC) and gives the whole answer over TCP', async () => {
    const udp = await rawQuery(dns, 'big.example.com', RRType.A);
    assert.equal(udp.flags.tc, true);
    const tcp = await rawQuery(dns, 'big.example.com', RRType.A, { tcp: true });
    assert.equal(tcp.flags.tc, false);
    assert.equal(tcp.answers.length, 60);
    assert.ok(upstream.queries.some((q) => q.name === 'big.example.com' && q.transport === 'tcp'), 'the truncated upstream answer was retried over TCP');
    // A cluster answer too big for 512 bytes, with and without EDNS.
    await cluster.client.create(gvr.services, NS, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'many', namespace: NS }, spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] } } as KubeObject);
    await cluster.client.create(gvr.endpointslices, NS, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'many-1', namespace: NS, labels: { 'kubernetes.io/service-name': 'many' } },
      addressType: 'IPv4',
      endpoints: Array.from({ length: 100 }, (_, i) => ({ addresses: [`10.244.7.${i + 1}`], conditions: { ready: true } })),
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    } as KubeObject);
    const small = await eventually('many resolves', async () => {
      const answer = await rawQuery(dns, zone('many'), RRType.A);
      assert.equal(answer.rcode, Rcode.NOERROR);
      return answer;
    });
    assert.equal(small.flags.tc, true);
    assert.ok(small.answers.length < 100);
    const edns = await rawQuery(dns, zone('many'), RRType.A, { edns: 4096 });
    assert.equal(edns.flags.tc, false);
    assert.equal(edns.answers.length, 100);
    assert.equal(edns.edns?.udpPayloadSize, 4096);
    assert.equal((await resolver.resolve4(zone('many'))).length, 100, 'a stub resolver retries over TCP and gets everything');
  });

  it('answers several queries on one TCP connection', async () => {
    const socket = connect({ host: dns.address, port: dns.port });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const reader = new FrameReader();
    const got = new Promise<Buffer[]>((resolve) => {
      const all: Buffer[] = [];
      socket.on('data', (chunk) => {
        all.push(...reader.push(chunk));
        if (all.length === 3) resolve(all);
      });
    });
    // Three queries in one write, the last split in two writes.
    const q3 = frame(encodeQuery(`db-0.${zone('db')}`, RRType.A, { id: 3 }));
    socket.write(Buffer.concat([frame(encodeQuery(zone('web'), RRType.A, { id: 1 })), frame(encodeQuery(zone('nope'), RRType.A, { id: 2 })), q3.subarray(0, 5)]));
    socket.write(q3.subarray(5));
    const answers = (await got).map((b) => decodeMessage(b)).sort((a, b) => a.id - b.id);
    socket.destroy();
    assert.deepEqual(answers.map((a) => [a.id, a.rcode, a.answers.length]), [[1, 0, 1], [2, 3, 0], [3, 0, 1]]);
  });

  it('answers malformed packets with FORMERR and keeps serving', async () => {
    const socket = createSocket('udp4');
    const reply = new Promise<Buffer>((resolve) => socket.once('message', resolve));
    // ID 0xbeef, one question whose label runs past the end.
    socket.send(Buffer.from([0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 40, 97, 98]), dns.port, dns.address);
    const packet = await reply;
    socket.close();
    assert.equal(packet.readUInt16BE(0), 0xbeef);
    assert.equal(packet[3]! & 0xf, Rcode.FORMERR);
    assert.equal(packet[2]! & 0x80, 0x80);
    assert.deepEqual(await resolver.resolve4(zone('web')), [clusterIPs['web']]);
    const badVersion = Buffer.from(encodeQuery(zone('web'), RRType.A, { edns: 1232 }));
    badVersion[badVersion.length - 5] = 1; // EDNS version 1
    const socket2 = createSocket('udp4');
    const reply2 = new Promise<Buffer>((resolve) => socket2.once('message', resolve));
    socket2.send(badVersion, dns.port, dns.address);
    const bad = decodeMessage(await reply2);
    socket2.close();
    assert.equal(bad.rcode, Rcode.BADVERS);
  });

  it('surfaces a taken port as DnsListenError with code EADDRINUSE', async () => {
    const second = new ClusterDNS({ client: cluster.client, upstreams: [], listen: { address: '127.0.0.1', port: dns.port } });
    const abort = new AbortController();
    await assert.rejects(second.start(abort.signal), (err: unknown) => err instanceof DnsListenError && err.code === 'EADDRINUSE' && err.port === dns.port);
    abort.abort();
  });
});

describe('ClusterDNS with an upstream that does not answer', () => {
  let cluster: TestCluster;
  let silent: FakeUpstream;
  let dns: { address: string; port: number };
  const stop = new AbortController();

  before(async () => {
    cluster = await startTestCluster();
    silent = await startFakeUpstream(() => 'drop');
    const server = new ClusterDNS({ client: cluster.client, upstreams: [`127.0.0.1:${silent.port}`], listen: { address: '127.0.0.1', port: 0 }, forwardTimeoutMs: 300 });
    dns = await server.start(stop.signal);
    await server.waitForSync(stop.signal);
  });

  after(async () => {
    stop.abort();
    await silent?.close();
    await cluster?.stop();
  });

  it('answers SERVFAIL, then stops asking the dead upstream and fails at once, still answering the cluster zone', async () => {
    const askedFor = (name: string) => silent.queries.filter((q) => q.name === name).length;
    for (const name of ['one.example', 'two.example']) {
      const answer = await rawQuery(dns, name, RRType.A);
      assert.equal(answer.rcode, Rcode.SERVFAIL, name);
      assert.equal(askedFor(name), 1, `${name} was sent upstream`);
    }
    const third = await rawQuery(dns, 'three.example', RRType.A);
    assert.equal(third.rcode, Rcode.SERVFAIL);
    assert.equal(askedFor('three.example'), 0, 'with the upstream taken out, the query is not sent at all');
    const inZone = await rawQuery(dns, 'kubernetes.default.svc.cluster.local', RRType.A);
    assert.equal(inZone.flags.aa, true);
    assert.notEqual(inZone.rcode, Rcode.SERVFAIL);
  });

  it('stops when its signal aborts, freeing the port', async () => {
    const first = new ClusterDNS({ client: cluster.client, upstreams: [], listen: { address: '127.0.0.1', port: 0 } });
    const abort = new AbortController();
    const { port } = await first.start(abort.signal);
    abort.abort();
    await first.stopped();
    await assert.rejects(rawQuery({ address: '127.0.0.1', port }, 'a.example', RRType.A, { tcp: true, timeoutMs: 1000 }), { name: 'ExchangeError' });
    const again = new ClusterDNS({ client: cluster.client, upstreams: [], listen: { address: '127.0.0.1', port } });
    const abortAgain = new AbortController();
    assert.equal((await again.start(abortAgain.signal)).port, port);
    abortAgain.abort();
    await again.stopped();
  });
});
