// The cluster zone's answers from a hand-filled index: the corners of CoreDNS's behaviour the API-server test does
// not reach (IPv6, dual stack, publishNotReadyAddresses, CNAME loops, NS, zone transfers, before sync).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import type { Service } from 'kubernetes-types/core/v1.d.ts';
import { ClusterIndex } from './cluster-index.ts';
import { Rcode, RRType } from './constants.ts';
import { reverseName } from './ip.ts';
import { KubernetesZone } from './kubernetes.ts';
import type { DnsMessage } from './message.ts';

function setup(options: { synced?: boolean; lookups?: string[] } = {}) {
  const index = new ClusterIndex(() => 1_700_000_000_000);
  index.setNamespace('default', true);
  index.setNamespace('kube-system', true);
  const service = (name: string, spec: NonNullable<Service['spec']>, namespace = 'default') => index.upsertService({ metadata: { name, namespace }, spec });
  const slice = (name: string, service: string, s: Partial<EndpointSlice>) =>
    index.upsertSlice(`default/${name}`, { addressType: 'IPv4', endpoints: [], ...s, metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': service } } });
  const zone = new KubernetesZone({
    domain: 'Cluster.Local.',
    ttl: 30,
    index,
    synced: () => options.synced ?? true,
    lookup: async (name, type): Promise<DnsMessage | undefined> => {
      options.lookups?.push(`${name}/${type}`);
      return undefined;
    },
    dnsService: { namespace: 'kube-system', name: 'kube-dns' },
    fallbackNameservers: () => ['127.0.0.1'],
  });
  return { index, service, slice, zone };
}

const addresses = (a: { answers: Array<{ type: string }> } | undefined) => a?.answers.map((r) => ('address' in r ? r.address : 'target' in r ? `->${r.target}` : r.type));

describe('the cluster zone', () => {
  it('answers A and AAAA of a dual-stack Service from its clusterIPs', async () => {
    const { service, zone } = setup();
    service('dual', { clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20', 'FD00:0:0:0:0:0:0:20'], ports: [{ port: 80 }] });
    assert.deepEqual(addresses(await zone.answer('dual.default.svc.cluster.local', RRType.A)), ['10.96.0.20']);
    assert.deepEqual(addresses(await zone.answer('dual.default.svc.cluster.local', RRType.AAAA)), ['fd00::20']);
    const ptr = await zone.answer(reverseName('fd00::20')!, RRType.PTR);
    assert.deepEqual(addresses(ptr), ['->dual.default.svc.cluster.local']);
  });

  it('answers IPv6 endpoints by their dashed names and IPv6 pod names', async () => {
    const { service, slice, zone } = setup();
    service('h6', { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] });
    slice('h6-a', 'h6', { addressType: 'IPv6', endpoints: [{ addresses: ['fd00::a'] }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] });
    assert.deepEqual(addresses(await zone.answer('h6.default.svc.cluster.local', RRType.AAAA)), ['fd00::a']);
    assert.deepEqual(addresses(await zone.answer('fd00--a.h6.default.svc.cluster.local', RRType.AAAA)), ['fd00::a']);
    assert.deepEqual(addresses(await zone.answer('fd00--a.default.pod.cluster.local', RRType.AAAA)), ['fd00--a'.replaceAll('-', ':')]);
    const nodata = await zone.answer('h6.default.svc.cluster.local', RRType.A);
    assert.equal(nodata?.rcode, Rcode.NOERROR);
    assert.equal(nodata?.answers.length, 0);
  });

  it('leaves unready endpoints out unless the Service publishes not-ready addresses; no ready endpoint is NXDOMAIN', async () => {
    const { service, slice, zone } = setup();
    service('h', { clusterIP: 'None', ports: [{ name: 'p', port: 1 }] });
    slice('h-1', 'h', { endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: false } }, { addresses: ['10.0.0.2'] }] });
    assert.deepEqual(addresses(await zone.answer('h.default.svc.cluster.local', RRType.A)), ['10.0.0.2'], 'ready unset counts as ready');
    slice('h-1', 'h', { endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: false } }] });
    assert.equal((await zone.answer('h.default.svc.cluster.local', RRType.A))?.rcode, Rcode.NXDOMAIN);
    service('h', { clusterIP: 'None', publishNotReadyAddresses: true, ports: [{ name: 'p', port: 1 }] });
    assert.deepEqual(addresses(await zone.answer('h.default.svc.cluster.local', RRType.A)), ['10.0.0.1']);
  });

  it('gives SRV records equal shares of weight 100 and matches port and protocol case-insensitively', async () => {
    const { service, slice, zone } = setup();
    service('s', { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] });
    slice('s-1', 's', { endpoints: ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((a) => ({ addresses: [a] })), ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] });
    const srv = await zone.answer('_HTTP._Tcp.s.default.svc.cluster.local', RRType.SRV);
    assert.deepEqual(srv?.answers.map((r) => r.type === 'SRV' && [r.weight, r.port, r.target]), [
      [33, 8080, '10-0-0-1.s.default.svc.cluster.local'],
      [33, 8080, '10-0-0-2.s.default.svc.cluster.local'],
      [33, 8080, '10-0-0-3.s.default.svc.cluster.local'],
    ]);
    assert.equal((await zone.answer('_http._udp.s.default.svc.cluster.local', RRType.SRV))?.rcode, Rcode.NXDOMAIN);
  });

  it('answers CNAME only for ExternalName, never SRV for it, and stops CNAME loops', async () => {
    const lookups: string[] = [];
    const { service, zone } = setup({ lookups });
    service('web', { clusterIP: '10.96.0.5', ports: [{ port: 80 }] });
    service('loop-a', { type: 'ExternalName', externalName: 'loop-b.default.svc.cluster.local' });
    service('loop-b', { type: 'ExternalName', externalName: 'loop-a.default.svc.cluster.local' });
    service('out', { type: 'ExternalName', externalName: 'db.example.org.' });
    const cnameOfClusterIP = await zone.answer('web.default.svc.cluster.local', RRType.CNAME);
    assert.equal(cnameOfClusterIP?.rcode, Rcode.NOERROR);
    assert.equal(cnameOfClusterIP?.answers.length, 0);
    assert.deepEqual(addresses(await zone.answer('out.default.svc.cluster.local', RRType.CNAME)), ['->db.example.org']);
    const srv = await zone.answer('out.default.svc.cluster.local', RRType.SRV);
    assert.equal(srv?.rcode, Rcode.NOERROR);
    assert.equal(srv?.answers.length, 0);
    const loop = await zone.answer('loop-a.default.svc.cluster.local', RRType.A);
    assert.equal(loop?.rcode, Rcode.NOERROR);
    assert.equal(loop?.answers.length, 0);
    // An upstream that fails leaves the CNAME out (NODATA), as CoreDNS does.
    const out = await zone.answer('out.default.svc.cluster.local', RRType.A);
    assert.equal(out?.answers.length, 0);
    assert.deepEqual(lookups, [`db.example.org/${RRType.A}`]);
  });

  it('names the DNS Service in NS answers, refuses zone transfers, and answers the SOA at the apex only', async () => {
    const { service, zone } = setup();
    const apexNs = await zone.answer('cluster.local', RRType.NS);
    assert.deepEqual(addresses(apexNs), ['->ns.dns.cluster.local']);
    assert.deepEqual(addresses({ answers: apexNs!.additionals }), ['127.0.0.1']);
    service('kube-dns', { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }, 'kube-system');
    const ns = await zone.answer('cluster.local', RRType.NS);
    assert.deepEqual(addresses(ns), ['->kube-dns.kube-system.svc.cluster.local']);
    assert.deepEqual(addresses({ answers: ns!.additionals }), ['10.96.0.10']);
    assert.deepEqual(addresses(await zone.answer('ns.dns.cluster.local', RRType.A)), ['10.96.0.10']);
    const axfr = await zone.answer('cluster.local', RRType.AXFR);
    assert.equal(axfr?.rcode, Rcode.REFUSED);
    assert.equal(axfr?.authoritative, false);
    const soa = await zone.answer('cluster.local', RRType.SOA);
    assert.equal(soa?.answers[0]?.type === 'SOA' && soa.answers[0].serial, 1_700_000_000);
    const soaBelow = await zone.answer('kube-dns.kube-system.svc.cluster.local', RRType.SOA);
    assert.equal(soaBelow?.answers.length, 0);
  });

  it('is SERVFAIL for unknown names until synced, and leaves names outside its zones to the forwarder', async () => {
    const { zone } = setup({ synced: false });
    assert.equal((await zone.answer('nope.default.svc.cluster.local', RRType.A))?.rcode, Rcode.SERVFAIL);
    assert.equal(await zone.answer('www.example.com', RRType.A), undefined);
    assert.equal(await zone.answer('1.2.3.4.in-addr.arpa', RRType.PTR), undefined);
    assert.equal(await zone.answer('1.2.3.4.in-addr.arpa', RRType.A), undefined);
  });
});
