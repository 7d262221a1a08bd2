import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceSpec } from 'kubernetes-types/core/v1.d.ts';
import { service, slice, type EndpointSpec } from './fixtures.testutil.ts';
import { serviceEndpoints, servicePortKey, servicePorts } from './model.ts';
import { elementText, hashAndTruncate, nftBaseScript, nftServicePort, type NftContext } from './nft-rules.ts';

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

const elements = (p: ReturnType<typeof portFor>) => p.elements.map((e) => `${e.container} { ${elementText(e)} }`);

describe('nftables rules', () => {
  it('names chains as upstream: 8 base32 characters of the sha256 of "ns/svc/proto/port"', () => {
    assert.equal(hashAndTruncate('ns1/svc1/tcp/p80'), 'ULMVA6XW-ns1/svc1/tcp/p80');
    assert.equal(hashAndTruncate('ns1/svc1/tcp/p80__10.180.0.1/80'), '5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80');
    assert.equal(hashAndTruncate('x'.repeat(300)).length, 240);
  });

  it('writes a ClusterIP Service exactly as upstream: masquerade off-cluster clients, numgen spread, endpoint dnat with hairpin masquerade', () => {
    const p = portFor('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80 }] }, [{ ip: '10.180.0.1' }]);
    assert.equal(
      p.text,
      [
        'add chain ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80',
        'flush chain ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80',
        'add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 ip saddr 10.180.0.1 jump mark-for-masquerade',
        'add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 meta l4proto tcp dnat to 10.180.0.1:80',
        'add chain ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80',
        'flush chain ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80',
        'add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 ip daddr 172.30.0.41 ip saddr != 10.0.0.0/8 jump mark-for-masquerade',
        'add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 }',
      ].join('\n'),
    );
    assert.deepEqual(elements(p), ['cluster-ips { 172.30.0.41 }', 'service-ips { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }']);
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
    const ready = portFor('ns4', 'svc4', { clusterIP: '172.30.0.44', ports: [{ name: 'p80', port: 80 }] }, [{ ip: '10.180.0.4' }, { ip: '10.180.0.5' }, { ip: '10.180.0.6', ready: false }]);
    assert.match(ready.chains.get('service-LAUZTJTB-ns4/svc4/tcp/p80')!.at(-1)!, /^numgen random mod 2 vmap \{ 0 : goto endpoint-\S+__10\.180\.0\.4\/80 , 1 : goto endpoint-\S+__10\.180\.0\.5\/80 \}$/);
    const draining = portFor('ns4', 'svc4', { clusterIP: '172.30.0.44', ports: [{ name: 'p80', port: 80 }] }, [
      { ip: '10.180.0.4', ready: false, serving: true, terminating: true },
      { ip: '10.180.0.5', ready: false, serving: false, terminating: true },
    ]);
    assert.match(draining.chains.get('service-LAUZTJTB-ns4/svc4/tcp/p80')!.at(-1)!, /^numgen random mod 1 vmap \{ 0 : goto endpoint-\S+__10\.180\.0\.4\/80 \}$/);
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
