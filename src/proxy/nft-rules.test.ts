import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceSpec } from 'kubernetes-types/core/v1.d.ts';
import { service, slice, type EndpointSpec } from './fixtures.testutil.ts';
import { serviceEndpoints, servicePortKey, servicePorts } from './model.ts';
import { elementText, groupElements, hairpinKey, hashAndTruncate, nftBaseScript, nftServicePort, type NftContext, type NftElement } from './nft-rules.ts';

const ctx: NftContext = {
  clusterCIDR: '10.0.0.0/8',
  serviceCIDRs: ['172.30.0.0/16'],
  nodeIPs: ['192.168.0.2'],
  masqueradeMark: '0x4000',
  masqueradeAll: false,
  localhostNodePorts: false,
};

function portFor(ns: string, name: string, spec: ServiceSpec, eps: readonly EndpointSpec[], opts: { status?: Parameters<typeof service>[3]; ctx?: NftContext } = {}) {
  const [svc] = servicePorts(service(ns, name, spec, opts.status));
  assert.ok(svc);
  const endpoints = serviceEndpoints(`${ns}/${name}`, [slice(ns, name, eps)], 'node-a').get(servicePortKey(svc.name, svc.protocol)) ?? [];
  return nftServicePort(svc, endpoints, opts.ctx ?? ctx);
}

const elements = (p: ReturnType<typeof portFor>) =>
  [...p.elements, ...p.hairpin.map((ip) => ({ container: 'hairpin-endpoints', key: hairpinKey(ip), value: '' })), ...p.endpointGroups.flatMap(groupElements)].map((e) => `${e.container} { ${elementText(e as NftElement)} }`);

describe('nftables rules', () => {
  it('names chains as upstream: 8 base32 characters of the sha256 of "ns/svc/proto/port"', () => {
    assert.equal(hashAndTruncate('ns1/svc1/tcp/p80'), 'ULMVA6XW-ns1/svc1/tcp/p80');
    assert.equal(hashAndTruncate('ns1/svc1/tcp/p80__10.180.0.1/80'), '5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80');
    assert.equal(hashAndTruncate('x'.repeat(300)).length, 240);
  });

  it('writes a ClusterIP Service as elements only: dispatch to the shared pick chain, endpoints by index, hairpin pairs', () => {
    const p = portFor('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80 }] }, [{ ip: '10.180.0.1' }, { ip: '10.180.0.2' }]);
    assert.equal(p.text, '');
    assert.equal(p.chains.size, 0);
    assert.deepEqual(elements(p), [
      'cluster-ips { 172.30.0.41 }',
      'service-ips { 172.30.0.41 . tcp . 80 : goto pick-cluster-tcp-2 }',
      'hairpin-endpoints { 10.180.0.1 . 10.180.0.1 }',
      'hairpin-endpoints { 10.180.0.2 . 10.180.0.2 }',
      'tcp-service-endpoints { 172.30.0.41 . 80 . 0 : 10.180.0.1 . 80 }',
      'tcp-service-endpoints { 172.30.0.41 . 80 . 1 : 10.180.0.2 . 80 }',
    ]);
    // Upstream's service chain masquerade (off-cluster clients) and spread, shared by every port with two endpoints.
    assert.deepEqual(Object.fromEntries(p.picks), {
      'pick-cluster-tcp-2': ['ip saddr != 10.0.0.0/8 jump mark-for-masquerade', 'meta l4proto tcp dnat ip to ip daddr . tcp dport . numgen random mod 2 map @tcp-service-endpoints'],
    });
  });

  it('sends NodePort and external IP traffic (Cluster policy) through masquerading pick chains, ClusterIP traffic with internalTrafficPolicy Local only to local endpoints, and lists only local endpoints for hairpin', () => {
    // pod .7 runs on this node (node-a), .8 elsewhere.
    const eps = slice('ns3', 'svc3', [{ ip: '10.180.0.7', node: 'node-a' }, { ip: '10.180.0.8', node: 'node-b' }], [{ name: 'dns', port: 5353, protocol: 'UDP' }]);
    const spec = { type: 'NodePort', internalTrafficPolicy: 'Local', clusterIP: '172.30.0.43', externalIPs: ['192.168.99.33'], ports: [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 }] };
    const [svc] = servicePorts(service('ns3', 'svc3', spec));
    assert.ok(svc);
    const q = nftServicePort(svc, serviceEndpoints('ns3/svc3', [eps], 'node-a').get(servicePortKey(svc.name, svc.protocol)) ?? [], ctx);
    assert.deepEqual(elements(q), [
      'cluster-ips { 172.30.0.43 }',
      'service-ips { 172.30.0.43 . udp . 53 : goto pick-cluster-udp-1 }',
      'service-ips { 192.168.99.33 . udp . 53 : goto pick-external-udp-2 }',
      'service-nodeports { udp . 30053 : goto pick-nodeport-udp-2 }',
      'hairpin-endpoints { 10.180.0.7 . 10.180.0.7 }',
      'udp-service-endpoints { 172.30.0.43 . 53 . 0 : 10.180.0.7 . 5353 }',
      'udp-service-endpoints { 192.168.99.33 . 53 . 0 : 10.180.0.7 . 5353 }',
      'udp-service-endpoints { 192.168.99.33 . 53 . 1 : 10.180.0.8 . 5353 }',
      'udp-nodeport-endpoints { 30053 . 0 : 10.180.0.7 . 5353 }',
      'udp-nodeport-endpoints { 30053 . 1 : 10.180.0.8 . 5353 }',
    ]);
    assert.deepEqual(q.picks.get('pick-nodeport-udp-2'), ['jump mark-for-masquerade', 'meta l4proto udp dnat ip to udp dport . numgen random mod 2 map @udp-nodeport-endpoints']);
    assert.deepEqual(q.picks.get('pick-external-udp-2'), ['jump mark-for-masquerade', 'meta l4proto udp dnat ip to ip daddr . udp dport . numgen random mod 2 map @udp-service-endpoints']);
  });

  it('keeps the client address for a Local LoadBalancer: short-circuits pods and the node, drops external traffic with no local endpoint', () => {
    const p = portFor(
      'ns2',
      'svc2',
      { type: 'LoadBalancer', externalTrafficPolicy: 'Local', clusterIP: '172.30.0.42', externalIPs: ['192.168.99.22'], healthCheckNodePort: 30000, ports: [{ name: 'p80', port: 80, nodePort: 3001 }] },
      [{ ip: '10.180.0.2' }],
      { status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } },
    );
    assert.deepEqual(Object.fromEntries(p.chains), {
      'endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80': ['ip saddr 10.180.0.2 jump mark-for-masquerade', 'meta l4proto tcp dnat to 10.180.0.2:80'],
      'service-42NFTM6N-ns2/svc2/tcp/p80': [
        'ip daddr 172.30.0.42 ip saddr != 10.0.0.0/8 jump mark-for-masquerade',
        'numgen random mod 1 vmap { 0 : goto endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 }',
      ],
      'external-42NFTM6N-ns2/svc2/tcp/p80': [
        'ip saddr 10.0.0.0/8 goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit pod traffic"',
        'fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"',
        'fib saddr type local goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit local traffic"',
      ],
    });
    assert.deepEqual(elements(p), [
      'cluster-ips { 172.30.0.42 }',
      'service-ips { 172.30.0.42 . tcp . 80 : goto service-42NFTM6N-ns2/svc2/tcp/p80 }',
      'service-ips { 192.168.99.22 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }',
      'no-endpoint-services { 192.168.99.22 . tcp . 80 comment "ns2/svc2:p80" : drop }',
      'service-ips { 1.2.3.4 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }',
      'no-endpoint-services { 1.2.3.4 . tcp . 80 comment "ns2/svc2:p80" : drop }',
      'service-nodeports { tcp . 3001 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }',
      'no-endpoint-nodeports { tcp . 3001 comment "ns2/svc2:p80" : drop }',
    ]);
  });

  it('pins clients with per-endpoint affinity sets with a timeout, and filters loadBalancerSourceRanges in a firewall chain', () => {
    const p = portFor(
      'ns5',
      'svc5',
      {
        type: 'LoadBalancer',
        clusterIP: '172.30.0.45',
        loadBalancerSourceRanges: [' 203.0.113.0/25'],
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
        ports: [{ name: 'p80', port: 80, nodePort: 3002 }],
      },
      [{ ip: '10.180.0.3' }],
      { status: { loadBalancer: { ingress: [{ ip: '5.6.7.8' }] } } },
    );
    const ep = 'endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80';
    const set = 'affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80';
    assert.deepEqual([...p.affinitySets], [[set, 10800]]);
    assert.deepEqual(Object.fromEntries(p.chains), {
      [ep]: ['ip saddr 10.180.0.3 jump mark-for-masquerade', `update @${set} { ip saddr }`, 'meta l4proto tcp dnat to 10.180.0.3:80'],
      'service-HVFWP5L3-ns5/svc5/tcp/p80': [
        'ip daddr 172.30.0.45 ip saddr != 10.0.0.0/8 jump mark-for-masquerade',
        `ip saddr @${set} goto ${ep}`,
        `numgen random mod 1 vmap { 0 : goto ${ep} }`,
      ],
      'external-HVFWP5L3-ns5/svc5/tcp/p80': ['jump mark-for-masquerade', 'goto service-HVFWP5L3-ns5/svc5/tcp/p80'],
      'firewall-HVFWP5L3-ns5/svc5/tcp/p80': ['ip saddr != { 203.0.113.0/25 } drop'],
    });
    assert.ok(elements(p).includes('firewall-ips { 5.6.7.8 . tcp . 80 comment "ns5/svc5:p80" : goto firewall-HVFWP5L3-ns5/svc5/tcp/p80 }'));
  });

  it('rejects traffic to a Service with no endpoints through the no-endpoint maps, writing no chain', () => {
    const p = portFor('ns6', 'svc6', { type: 'NodePort', clusterIP: '172.30.0.46', ports: [{ name: 'p80', port: 80, nodePort: 3006 }] }, []);
    assert.equal(p.text, '');
    assert.deepEqual(elements(p), [
      'cluster-ips { 172.30.0.46 }',
      'no-endpoint-services { 172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain }',
      'no-endpoint-nodeports { tcp . 3006 comment "ns6/svc6:p80" : goto reject-chain }',
    ]);
  });

  it('spreads over every ready endpoint, or the serving terminating ones when none is ready', () => {
    const endpointsOf = (p: ReturnType<typeof portFor>) => elements(p).filter((e) => e.startsWith('tcp-service-endpoints') || e.startsWith('service-ips'));
    const ready = portFor('ns4', 'svc4', { clusterIP: '172.30.0.44', ports: [{ name: 'p80', port: 80 }] }, [{ ip: '10.180.0.4' }, { ip: '10.180.0.5' }, { ip: '10.180.0.6', ready: false }]);
    assert.deepEqual(endpointsOf(ready), [
      'service-ips { 172.30.0.44 . tcp . 80 : goto pick-cluster-tcp-2 }',
      'tcp-service-endpoints { 172.30.0.44 . 80 . 0 : 10.180.0.4 . 80 }',
      'tcp-service-endpoints { 172.30.0.44 . 80 . 1 : 10.180.0.5 . 80 }',
    ]);
    const draining = portFor('ns4', 'svc4', { clusterIP: '172.30.0.44', ports: [{ name: 'p80', port: 80 }] }, [
      { ip: '10.180.0.4', ready: false, serving: true, terminating: true },
      { ip: '10.180.0.5', ready: false, serving: false, terminating: true },
    ]);
    assert.deepEqual(endpointsOf(draining), ['service-ips { 172.30.0.44 . tcp . 80 : goto pick-cluster-tcp-1 }', 'tcp-service-endpoints { 172.30.0.44 . 80 . 0 : 10.180.0.4 . 80 }']);
  });

  it('keeps upstream\'s per-endpoint chains for sessionAffinity ClientIP', () => {
    const p = portFor('ns1', 'svc1', { clusterIP: '172.30.0.41', sessionAffinity: 'ClientIP', ports: [{ name: 'p80', port: 80 }] }, [{ ip: '10.180.0.1' }]);
    assert.equal(p.picks.size, 0);
    assert.ok(p.text.includes('add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 ip saddr 10.180.0.1 jump mark-for-masquerade'), p.text);
    assert.ok(p.text.includes('add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 meta l4proto tcp dnat to 10.180.0.1:80'), p.text);
    assert.ok(elements(p).includes('service-ips { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }'));
  });

  it('writes the table as upstream, with NodePorts on 127.0.0.1 (and the localnet guard) only when asked', () => {
    const base = nftBaseScript(ctx);
    for (const line of [
      'add table ip kube-proxy { comment "rules for kube-proxy" ; }',
      'add chain ip kube-proxy filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }',
      'add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }',
      'add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }',
      'add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"',
      'add rule ip kube-proxy cluster-ips-check ip daddr { 172.30.0.0/16 } drop comment "Drop traffic to unallocated ClusterIPs"',
      'add rule ip kube-proxy masquerading mark and 0x4000 == 0 return',
      'add rule ip kube-proxy masquerading masquerade fully-random',
      'add rule ip kube-proxy nat-postrouting ct status dnat ip saddr . ip daddr @hairpin-endpoints jump mark-for-masquerade comment "hairpin"',
      'add map ip kube-proxy tcp-service-endpoints { typeof ip daddr . tcp dport . numgen random mod 1 : ip daddr . tcp dport ; comment "tcp endpoints by service address, port and index" ; }',
      'add map ip kube-proxy udp-nodeport-endpoints { typeof udp dport . numgen random mod 1 : ip daddr . udp dport ; comment "udp endpoints by NodePort and index" ; }',
      'add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips',
      'add rule ip kube-proxy services fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports',
    ]) {
      assert.ok(base.includes(line), line);
    }
    assert.ok(!base.some((l) => l.includes('localnet')));
    const localhost = nftBaseScript({ ...ctx, localhostNodePorts: true });
    assert.ok(localhost.includes('add rule ip kube-proxy services fib daddr type local meta l4proto . th dport vmap @service-nodeports'));
    assert.ok(localhost.includes('add rule ip kube-proxy filter-input jump localnet-check'));
  });
});
