import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceSpec } from 'kubernetes-types/core/v1.d.ts';
import { service, slice, type EndpointSpec } from './fixtures.testutil.ts';
import { serviceEndpoints, servicePortKey, servicePorts } from './model.ts';
import { fixedRules, parseNatChains, servicePortRules, type RuleContext } from './rules.ts';

const ctx: RuleContext = {
  clusterCIDR: '10.0.0.0/8',
  nodeIPs: ['192.168.0.2'],
  masqueradeMark: '0x4000',
  masqueradeAll: false,
  localhostNodePorts: true,
  largeClusterMode: false,
  conntrackTCPLiberal: false,
  randomFully: true,
};

function rulesFor(ns: string, name: string, spec: ServiceSpec, eps: readonly EndpointSpec[], opts: { status?: Parameters<typeof service>[3]; ctx?: RuleContext } = {}) {
  const [svc] = servicePorts(service(ns, name, spec, opts.status));
  assert.ok(svc);
  const endpoints = serviceEndpoints(`${ns}/${name}`, [slice(ns, name, eps)], 'node-a').get(servicePortKey(svc.name, svc.protocol)) ?? [];
  const r = servicePortRules(svc, endpoints, opts.ctx ?? ctx);
  return { ...r, natChains: parseNatChains(r.natText) };
}

const chains = (r: ReturnType<typeof rulesFor>) => Object.fromEntries([...r.natChains].map(([k, v]) => [k, v]));

describe('servicePortRules', () => {
  it('writes a ClusterIP Service as upstream: capture, masquerade off-cluster clients, spread, DNAT with hairpin masquerade', () => {
    const r = rulesFor('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80 }] }, [{ ip: '10.180.0.1', node: 'node-a' }]);
    assert.deepEqual(r.natServices, [
      '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
    ]);
    assert.deepEqual(chains(r), {
      'KUBE-SEP-SXIVWICOYRO3J4NJ': [
        '-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ',
        '-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80',
      ],
      'KUBE-SVC-XPGD46QRK7WJZT7O': [
        '-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
        '-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ',
      ],
    });
    assert.deepEqual([...r.natChains.keys()], ['KUBE-SEP-SXIVWICOYRO3J4NJ', 'KUBE-SVC-XPGD46QRK7WJZT7O'], 'endpoint chains are written before the chain jumping to them');
    assert.deepEqual([r.filterServices, r.filterExternal, r.natNodePorts], [[], [], []]);
  });

  it('spreads load with the probabilities upstream writes: 1/n, 1/(n-1), …, then an unconditional jump', () => {
    const r = rulesFor('ns4', 'svc4', { clusterIP: '172.30.0.44', ports: [{ name: 'p80', port: 80 }] }, [
      { ip: '10.180.0.4' },
      { ip: '10.180.0.5' },
      { ip: '10.180.0.6' },
    ]);
    const svc = r.natChains.get('KUBE-SVC-4SW47YFZTEDKD3PK')!;
    assert.deepEqual(svc.slice(1), [
      '-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.3333333333 -j KUBE-SEP-UKSFD7AGPMPPLUHC',
      '-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.5:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-C6EBXVWJJZMIWKLZ',
      `-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.6:80" -j ${[...r.natChains.keys()][2]}`,
    ]);
  });

  it('pins clients with -m recent for sessionAffinity ClientIP', () => {
    const r = rulesFor(
      'ns1',
      'svc1',
      { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80 }], sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } } },
      [{ ip: '10.180.0.1' }],
    );
    assert.deepEqual(chains(r), {
      'KUBE-SEP-SXIVWICOYRO3J4NJ': [
        '-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ',
        '-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m recent --name KUBE-SEP-SXIVWICOYRO3J4NJ --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80',
      ],
      'KUBE-SVC-XPGD46QRK7WJZT7O': [
        '-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
        '-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m recent --name KUBE-SEP-SXIVWICOYRO3J4NJ --rcheck --seconds 10800 --reap -j KUBE-SEP-SXIVWICOYRO3J4NJ',
        '-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ',
      ],
    });
  });

  it('sends NodePort traffic through KUBE-EXT, masquerading it for Cluster policy', () => {
    const r = rulesFor('ns3', 'svc3', { type: 'NodePort', clusterIP: '172.30.0.43', ports: [{ name: 'p80', port: 80, nodePort: 3002 }], externalTrafficPolicy: 'Cluster' }, [
      { ip: '10.180.0.3' },
    ]);
    assert.deepEqual(r.natNodePorts, ['-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp --dport 3002 -j KUBE-EXT-X27LE4BHSL4DOUIK']);
    assert.deepEqual(r.natChains.get('KUBE-EXT-X27LE4BHSL4DOUIK'), [
      '-A KUBE-EXT-X27LE4BHSL4DOUIK -m comment --comment "masquerade traffic for ns3/svc3:p80 external destinations" -j KUBE-MARK-MASQ',
      '-A KUBE-EXT-X27LE4BHSL4DOUIK -j KUBE-SVC-X27LE4BHSL4DOUIK',
    ]);
    assert.deepEqual([...r.natChains.keys()], ['KUBE-SEP-OYPFS5VJICHGATKP', 'KUBE-SVC-X27LE4BHSL4DOUIK', 'KUBE-EXT-X27LE4BHSL4DOUIK']);
  });

  it('keeps the client address for externalTrafficPolicy Local: pods and the node itself short-circuit to the cluster chain', () => {
    const r = rulesFor(
      'ns2',
      'svc2',
      { type: 'NodePort', clusterIP: '172.30.0.42', ports: [{ name: 'p80', port: 80, nodePort: 3001 }], externalTrafficPolicy: 'Local' },
      [{ ip: '10.180.0.2', node: 'node-a' }, { ip: '10.180.1.2', node: 'node-b' }],
    );
    assert.deepEqual(r.natChains.get('KUBE-EXT-GNZBNJ2PO5MGZ6GT'), [
      '-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "pod traffic for ns2/svc2:p80 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT',
      '-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "masquerade LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ',
      '-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "route LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-GNZBNJ2PO5MGZ6GT',
      '-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -j KUBE-SVL-GNZBNJ2PO5MGZ6GT',
    ]);
    assert.deepEqual(r.natChains.get('KUBE-SVL-GNZBNJ2PO5MGZ6GT'), [
      '-A KUBE-SVL-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 -> 10.180.0.2:80" -j KUBE-SEP-RS4RBKLTHTF2IUXJ',
    ]);
    // The cluster chain still reaches both endpoints (for ClusterIP traffic).
    assert.equal(r.natChains.get('KUBE-SVC-GNZBNJ2PO5MGZ6GT')!.length, 3);
  });

  it('drops external traffic for Local policy when this node has no endpoint, but keeps the ClusterIP working', () => {
    const r = rulesFor(
      'ns2',
      'svc2',
      { type: 'NodePort', clusterIP: '172.30.0.42', ports: [{ name: 'p80', port: 80, nodePort: 3001 }], externalTrafficPolicy: 'Local' },
      [{ ip: '10.180.1.2', node: 'node-b' }],
    );
    assert.deepEqual(r.filterExternal, [
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j DROP',
    ]);
    assert.equal(r.natServices.length, 1);
    assert.equal(r.natChains.has('KUBE-SVL-GNZBNJ2PO5MGZ6GT'), false);
    assert.deepEqual(r.natChains.get('KUBE-EXT-GNZBNJ2PO5MGZ6GT')?.at(-1), '-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "route LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-GNZBNJ2PO5MGZ6GT');
    assert.equal(r.noLocalEndpointsExternal, true);
  });

  it('sends ClusterIP traffic to this node only for internalTrafficPolicy Local, dropping it when there is none', () => {
    const spec: ServiceSpec = { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80 }], internalTrafficPolicy: 'Local' };
    const local = rulesFor('ns1', 'svc1', spec, [{ ip: '10.180.0.1', node: 'node-a' }, { ip: '10.180.1.1', node: 'node-b' }]);
    assert.deepEqual(local.natServices, [
      '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVL-XPGD46QRK7WJZT7O',
    ]);
    assert.deepEqual(local.natChains.get('KUBE-SVL-XPGD46QRK7WJZT7O'), [
      '-A KUBE-SVL-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
      '-A KUBE-SVL-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ',
    ]);
    assert.equal(local.natChains.has('KUBE-SVC-XPGD46QRK7WJZT7O'), false);
    const remote = rulesFor('ns1', 'svc1', spec, [{ ip: '10.180.1.1', node: 'node-b' }]);
    assert.deepEqual(remote.filterServices, [
      '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 has no local endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j DROP',
    ]);
    assert.equal(remote.natChains.size, 0);
  });

  it('rejects traffic to a Service with no endpoints, in the filter table only', () => {
    const r = rulesFor('ns3', 'svc3', { type: 'NodePort', clusterIP: '172.30.0.43', externalIPs: ['192.168.99.33'], ports: [{ name: 'p80', port: 80, nodePort: 3003, protocol: 'UDP' }] }, []);
    assert.deepEqual(r.filterServices, [
      '-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 has no endpoints" -m udp -p udp -d 172.30.0.43 --dport 80 -j REJECT',
    ]);
    assert.deepEqual(r.filterExternal, [
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns3/svc3:p80 has no endpoints" -m udp -p udp -d 192.168.99.33 --dport 80 -j REJECT',
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns3/svc3:p80 has no endpoints" -m addrtype --dst-type LOCAL -m udp -p udp --dport 3003 -j REJECT',
    ]);
    assert.deepEqual([r.natServices, r.natNodePorts, r.natChains.size], [[], [], 0]);
  });

  it('routes only to serving terminating endpoints when none is ready', () => {
    const r = rulesFor('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80 }] }, [
      { ip: '10.180.0.1', ready: false, serving: true, terminating: true },
      { ip: '10.180.0.9', ready: false, serving: false, terminating: true },
    ]);
    assert.deepEqual([...r.natChains.keys()], ['KUBE-SEP-SXIVWICOYRO3J4NJ', 'KUBE-SVC-XPGD46QRK7WJZT7O']);
    assert.deepEqual(r.filterServices, []);
  });

  it('routes load-balancer and external IPs like upstream, with a KUBE-FW chain for loadBalancerSourceRanges', () => {
    const r = rulesFor(
      'ns5',
      'svc5',
      { type: 'LoadBalancer', clusterIP: '172.30.0.45', externalIPs: ['192.168.99.55'], ports: [{ name: 'p80', port: 80, nodePort: 3005 }], loadBalancerSourceRanges: ['203.0.113.0/25', '192.168.0.0/24'] },
      [{ ip: '10.180.0.5' }],
      { status: { loadBalancer: { ingress: [{ ip: '5.6.7.8' }] } } },
    );
    assert.deepEqual(r.natServices, [
      '-A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 -j KUBE-SVC-NUKIZ6OKUXPJNT4C',
      '-A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 external IP" -m tcp -p tcp -d 192.168.99.55 --dport 80 -j KUBE-EXT-NUKIZ6OKUXPJNT4C',
      '-A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 loadbalancer IP" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j KUBE-FW-NUKIZ6OKUXPJNT4C',
    ]);
    assert.deepEqual(r.natChains.get('KUBE-FW-NUKIZ6OKUXPJNT4C'), [
      '-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-NUKIZ6OKUXPJNT4C',
      '-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 192.168.0.0/24 -j KUBE-EXT-NUKIZ6OKUXPJNT4C',
      // The node (192.168.0.2) is inside an allowed range, so traffic looping back from the VIP is allowed too.
      '-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 5.6.7.8 -j KUBE-EXT-NUKIZ6OKUXPJNT4C',
      '-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL"',
    ]);
    assert.deepEqual(r.filterFirewall, [
      '-A KUBE-PROXY-FIREWALL -m comment --comment "ns5/svc5:p80 traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j DROP',
    ]);
    assert.deepEqual([...r.natChains.keys()].slice(-3), ['KUBE-SVC-NUKIZ6OKUXPJNT4C', 'KUBE-EXT-NUKIZ6OKUXPJNT4C', 'KUBE-FW-NUKIZ6OKUXPJNT4C']);
  });

  it('accepts the health check node port of a Local LoadBalancer Service', () => {
    const r = rulesFor(
      'ns2',
      'svc2',
      { type: 'LoadBalancer', clusterIP: '172.30.0.42', ports: [{ name: 'p80', port: 80, nodePort: 3001 }], externalTrafficPolicy: 'Local', healthCheckNodePort: 30000 },
      [{ ip: '10.180.0.2', node: 'node-a' }],
    );
    assert.deepEqual(r.filterNodePorts, ['-A KUBE-NODEPORTS -m comment --comment "ns2/svc2:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT']);
  });

  it('drops per-endpoint comments in large-cluster mode, and the masquerade rule without a cluster CIDR', () => {
    const r = rulesFor('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80 }] }, [{ ip: '10.180.0.1' }], {
      ctx: { ...ctx, largeClusterMode: true, clusterCIDR: undefined },
    });
    assert.deepEqual(chains(r), {
      'KUBE-SEP-SXIVWICOYRO3J4NJ': [
        '-A KUBE-SEP-SXIVWICOYRO3J4NJ -s 10.180.0.1 -j KUBE-MARK-MASQ',
        '-A KUBE-SEP-SXIVWICOYRO3J4NJ -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80',
      ],
      'KUBE-SVC-XPGD46QRK7WJZT7O': ['-A KUBE-SVC-XPGD46QRK7WJZT7O -j KUBE-SEP-SXIVWICOYRO3J4NJ'],
    });
  });
});

describe('fixedRules', () => {
  it('writes the masquerade chains, forwarding rules, localnet guard and the NodePort catch-all as upstream', () => {
    const f = fixedRules(ctx);
    assert.deepEqual(f.nat, [
      '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
      '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
      '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
      '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
    ]);
    assert.deepEqual(f.filter, [
      '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
      '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ]);
    assert.equal(
      f.natServicesLast,
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    );
    const noLocalhost = fixedRules({ ...ctx, localhostNodePorts: false, conntrackTCPLiberal: true });
    assert.match(noLocalhost.natServicesLast, / -m addrtype --dst-type LOCAL ! -d 127\.0\.0\.0\/8 -j KUBE-NODEPORTS$/);
    assert.ok(!noLocalhost.filterChains.includes('KUBE-FIREWALL'));
    assert.ok(!noLocalhost.filter.some((l) => l.includes('INVALID')));
  });
});
