import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { service, slice } from './fixtures.testutil.ts';
import type { Service } from 'kubernetes-types/core/v1.d.ts';
import { cidrContains, compareEndpoints, isIPv4, localReadyEndpointCount, serviceEndpoints, serviceHealthCheckNodePort, servicePortKey, servicePorts } from './model.ts';
import { categorizeEndpoints, topologyMode } from './topology.ts';
import { ServiceTracker } from './tracker.ts';

describe('servicePorts', () => {
  it('gives every port of a ClusterIP Service its upstream ServicePortName', () => {
    const ports = servicePorts(
      service('ns1', 'svc1', {
        clusterIP: '10.96.0.20',
        clusterIPs: ['10.96.0.20'],
        ports: [
          { name: 'p80', port: 80, protocol: 'TCP' },
          { name: 'dns', port: 53, protocol: 'UDP' },
        ],
      }),
    );
    assert.deepEqual(
      ports.map((p) => [p.name, p.protocol, p.clusterIP, p.port, p.nodePort]),
      [
        ['ns1/svc1:p80', 'TCP', '10.96.0.20', 80, 0],
        ['ns1/svc1:dns', 'UDP', '10.96.0.20', 53, 0],
      ],
    );
    const unnamed = servicePorts(service('ns1', 'web', { clusterIP: '10.96.0.21', ports: [{ port: 8080, protocol: 'SCTP' }] }));
    assert.equal(unnamed[0]!.name, 'ns1/web');
    assert.equal(unnamed[0]!.protocol, 'SCTP');
  });

  it('skips headless and ExternalName Services, and those another proxy claims', () => {
    assert.deepEqual(servicePorts(service('ns', 'headless', { clusterIP: 'None', ports: [{ port: 80 }] })), []);
    const claimed = service('ns', 'other', { clusterIP: '10.96.0.22', ports: [{ port: 80 }] });
    claimed.metadata = { ...claimed.metadata, labels: { 'service.kubernetes.io/service-proxy-name': 'cilium' } };
    assert.deepEqual(servicePorts(claimed), []);
    assert.deepEqual(servicePorts(service('ns', 'ext', { type: 'ExternalName', externalName: 'example.com', ports: [{ port: 80 }] })), []);
  });

  it('reads NodePort, external IPs, load-balancer ingress, affinity and traffic policies', () => {
    const [p] = servicePorts(
      service(
        'ns',
        'lb',
        {
          type: 'LoadBalancer',
          clusterIP: '10.96.0.30',
          externalIPs: ['192.0.2.50', 'fd00::1'],
          ports: [{ name: 'http', port: 80, nodePort: 30080, protocol: 'TCP' }],
          sessionAffinity: 'ClientIP',
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
          externalTrafficPolicy: 'Local',
          internalTrafficPolicy: 'Local',
          healthCheckNodePort: 31000,
          loadBalancerSourceRanges: [' 203.0.113.0/25 '],
        },
        { loadBalancer: { ingress: [{ ip: '192.0.2.2' }, { ip: '192.0.2.3', ipMode: 'Proxy' }, { hostname: 'lb.example.com' }] } },
      ),
    );
    assert.ok(p);
    assert.equal(p.nodePort, 30080);
    assert.deepEqual(p.externalIPs, ['192.0.2.50']);
    assert.deepEqual(p.loadBalancerVIPs, ['192.0.2.2']);
    assert.deepEqual(p.loadBalancerSourceRanges, ['203.0.113.0/25']);
    assert.equal(p.sessionAffinityClientIP, true);
    assert.equal(p.stickyMaxAgeSeconds, 60);
    assert.equal(p.externalPolicyLocal, true);
    assert.equal(p.internalPolicyLocal, true);
    assert.equal(p.healthCheckNodePort, 31000);
  });

  it('ignores externalTrafficPolicy on a Service nothing external reaches', () => {
    const [p] = servicePorts(service('ns', 's', { clusterIP: '10.96.0.31', ports: [{ port: 80 }], externalTrafficPolicy: 'Local' }));
    assert.equal(p!.externalPolicyLocal, false);
  });
});

describe('serviceEndpoints', () => {
  it('merges slices per port, sorted by address, reading unset conditions as ready and serving', () => {
    const eps = serviceEndpoints(
      'ns1/svc1',
      [
        slice('ns1', 'svc1', [{ ip: '10.244.0.9', node: 'node-a' }, { ip: '10.244.1.3', node: 'node-b', ready: false, serving: true, terminating: true }], undefined, 'a'),
        slice('ns1', 'svc1', [{ ip: '10.244.0.10', node: 'node-b' }], undefined, 'b'),
      ],
      'node-a',
    );
    const list = eps.get(servicePortKey('ns1/svc1:p80', 'TCP'))!;
    assert.deepEqual(
      list.map((e) => [e.endpoint, e.isLocal, e.ready, e.serving, e.terminating]),
      [
        ['10.244.0.10:80', false, true, true, false],
        ['10.244.0.9:80', true, true, true, false],
        ['10.244.1.3:80', false, false, true, true],
      ],
    );
  });

  it('counts an endpoint in two slices once, preferring the local copy, and skips IPv6 slices', () => {
    const v6 = { ...slice('ns', 's', [{ ip: 'fd00::5' }], undefined, 'v6'), addressType: 'IPv6' };
    const eps = serviceEndpoints(
      'ns/s',
      [slice('ns', 's', [{ ip: '10.244.0.5', node: 'other' }], undefined, 'x'), slice('ns', 's', [{ ip: '10.244.0.5', node: 'me' }], undefined, 'y'), v6],
      'me',
    );
    const list = eps.get(servicePortKey('ns/s:p80', 'TCP'))!;
    assert.equal(list.length, 1);
    assert.equal(list[0]!.isLocal, true);
  });
});

describe('health checks', () => {
  const lb = (spec: Partial<NonNullable<Service['spec']>>) =>
    service('ns', 'lb', { type: 'LoadBalancer', clusterIP: '10.96.0.50', externalTrafficPolicy: 'Local', healthCheckNodePort: 31999, ports: [{ name: 'p80', port: 80, nodePort: 30080 }], ...spec });

  it('gives a LoadBalancer Service with externalTrafficPolicy Local its health check port, and no other', () => {
    assert.equal(serviceHealthCheckNodePort(lb({})), 31999);
    assert.equal(serviceHealthCheckNodePort(lb({ externalTrafficPolicy: 'Cluster' })), 0);
    assert.equal(serviceHealthCheckNodePort(lb({ type: 'NodePort' })), 0);
    assert.equal(serviceHealthCheckNodePort(lb({ clusterIP: 'None' })), 0);
  });

  it('counts this node’s ready endpoints by address: two ports of one pod once, not-ready, terminating and other nodes not', () => {
    const ports = [{ name: 'http', port: 80 }, { name: 'https', port: 443 }];
    const slices = [
      slice('ns', 'lb', [{ ip: '10.244.0.5', node: 'me' }, { ip: '10.244.0.6', node: 'me', ready: false }, { ip: '10.244.0.7', node: 'other' }], ports, 'a'),
      slice('ns', 'lb', [{ ip: '10.244.0.5', node: 'me' }, { ip: '10.244.0.8', node: 'me', ready: true, terminating: true }, { ip: '10.244.0.9', node: 'me' }], ports, 'b'),
    ];
    assert.equal(localReadyEndpointCount(slices, 'me'), 2);
    assert.equal(localReadyEndpointCount(slices, 'other'), 1);
    assert.equal(localReadyEndpointCount(slices, ''), 0);
  });

  it('are followed by the tracker as Services change', () => {
    const tracker = new ServiceTracker();
    tracker.updateService(lb({}));
    tracker.updateEndpointSlice(slice('ns', 'lb', [{ ip: '10.244.0.5', node: 'me' }]));
    assert.deepEqual(tracker.healthChecks('me'), [{ serviceKey: 'ns/lb', port: 31999, localEndpoints: 1 }]);
    tracker.updateService({ ...lb({ externalTrafficPolicy: 'Cluster' }), metadata: { namespace: 'ns', name: 'lb', resourceVersion: '2' } });
    assert.deepEqual(tracker.healthChecks('me'), []);
    tracker.updateService({ ...lb({}), metadata: { namespace: 'ns', name: 'lb', resourceVersion: '3' } });
    tracker.deleteService(lb({}));
    assert.deepEqual(tracker.healthChecks('me'), []);
  });
});

describe('categorizeEndpoints', () => {
  const [clusterSvc] = servicePorts(service('ns', 's', { clusterIP: '10.96.0.40', ports: [{ name: 'p80', port: 80 }] }));
  const [localSvc] = servicePorts(
    service('ns', 's', { type: 'NodePort', clusterIP: '10.96.0.40', ports: [{ name: 'p80', port: 80, nodePort: 30001 }], externalTrafficPolicy: 'Local' }),
  );
  const endpoints = (specs: Parameters<typeof slice>[2]) => serviceEndpoints('ns/s', [slice('ns', 's', specs)], 'me').get('ns/s:p80|TCP') ?? [];

  it('uses ready endpoints only while there are any', () => {
    const eps = endpoints([{ ip: '10.244.0.1', node: 'me' }, { ip: '10.244.0.2', ready: false, serving: true, terminating: true }]);
    const c = categorizeEndpoints(eps, clusterSvc!);
    assert.deepEqual(c.cluster.map((e) => e.ip), ['10.244.0.1']);
    assert.equal(c.hasAny, true);
  });

  it('falls back to serving terminating endpoints when none is ready, never to non-serving ones', () => {
    const eps = endpoints([
      { ip: '10.244.0.1', ready: false, serving: false, terminating: true },
      { ip: '10.244.0.2', ready: false, serving: true, terminating: true },
    ]);
    assert.deepEqual(categorizeEndpoints(eps, clusterSvc!).cluster.map((e) => e.ip), ['10.244.0.2']);
    const none = endpoints([{ ip: '10.244.0.1', ready: false, serving: false, terminating: true }]);
    assert.equal(categorizeEndpoints(none, clusterSvc!).hasAny, false);
  });

  it('gives Local policy only this node endpoints, and still knows of remote ones', () => {
    const eps = endpoints([{ ip: '10.244.0.1', node: 'me' }, { ip: '10.244.1.1', node: 'other' }]);
    const c = categorizeEndpoints(eps, localSvc!);
    assert.deepEqual(c.local.map((e) => e.ip), ['10.244.0.1']);
    assert.deepEqual(c.cluster.map((e) => e.ip), ['10.244.0.1', '10.244.1.1']);
    assert.deepEqual(c.reachable.map((e) => e.ip), ['10.244.0.1', '10.244.1.1']);
    const remoteOnly = categorizeEndpoints(endpoints([{ ip: '10.244.1.1', node: 'other' }]), localSvc!);
    assert.deepEqual(remoteOnly.local, []);
    assert.equal(remoteOnly.hasAny, true);
  });

  it('adds a local terminating endpoint to the reachable set when Local policy falls back to it', () => {
    const eps = endpoints([{ ip: '10.244.0.1', node: 'me', ready: false, serving: true, terminating: true }, { ip: '10.244.1.1', node: 'other' }]);
    const c = categorizeEndpoints(eps, localSvc!);
    assert.deepEqual(c.local.map((e) => e.ip), ['10.244.0.1']);
    assert.deepEqual(c.cluster.map((e) => e.ip), ['10.244.1.1']);
    assert.deepEqual(c.reachable.map((e) => e.ip).sort(), ['10.244.0.1', '10.244.1.1']);
  });
});

describe('cidrContains', () => {
  it('matches addresses inside an IPv4 CIDR only', () => {
    assert.ok(cidrContains('10.244.0.0/16', '10.244.7.1'));
    assert.ok(!cidrContains('10.244.0.0/16', '10.245.0.1'));
    assert.ok(cidrContains('192.0.2.2/32', '192.0.2.2'));
    assert.ok(cidrContains('0.0.0.0/0', '8.8.8.8'));
    assert.ok(!cidrContains('203.0.113.0/25', '203.0.113.200'));
  });
});

describe('isIPv4', () => {
  it('accepts dotted quads and refuses everything else', () => {
    for (const ip of ['0.0.0.0', '10.244.0.1', '255.255.255.255', '192.0.2.10']) assert.ok(isIPv4(ip), ip);
    const bad = ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.04', '01.2.3.4', '1.2.3.4 ', ' 1.2.3.4', '1..2.3', '1.2.3.1000', 'fd00::1', '1.2.3.-4', 'a.b.c.d', '1.2.3.4/32'];
    for (const ip of bad) assert.ok(!isIPv4(ip), ip);
  });
});

describe('compareEndpoints', () => {
  it('orders endpoints exactly as their "ip:port" strings compare', () => {
    const ips = ['10.0.0.1', '10.0.0.10', '10.0.0.100', '10.0.0.2', '10.0.1.1', '10.0.10.1', '9.9.9.9', '100.0.0.1'];
    const ports = [80, 8080, 9, 443];
    const eps = ips.flatMap((ip) => ports.map((port) => ({ ip, port, endpoint: `${ip}:${port}`, nodeName: '', isLocal: false, ready: true, serving: true, terminating: false, hints: undefined })));
    for (const a of eps) {
      for (const b of eps) {
        const want = a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0;
        assert.equal(Math.sign(compareEndpoints(a, b)), want, `${a.endpoint} vs ${b.endpoint}`);
      }
    }
  });
});

describe('categorizeEndpoints with topology hints (trafficDistribution)', () => {
  const [clusterSvc] = servicePorts(service('ns', 's', { clusterIP: '10.96.0.40', ports: [{ name: 'p80', port: 80 }] }));
  const [localSvc] = servicePorts(
    service('ns', 's', { type: 'NodePort', clusterIP: '10.96.0.40', ports: [{ name: 'p80', port: 80, nodePort: 30001 }], externalTrafficPolicy: 'Local' }),
  );
  const here = { nodeName: 'me', zone: 'zone-a' };
  type Hinted = { ip: string; node?: string; ready?: boolean; zones?: string[]; nodes?: string[] };
  /** Endpoints as the EndpointSlice controller writes them for trafficDistribution. */
  const endpoints = (specs: Hinted[]) => {
    const s = slice('ns', 's', specs.map(({ ip, node, ready }) => ({ ip, ...(node ? { node } : {}), ...(ready === undefined ? {} : { ready }) })));
    s.endpoints!.forEach((ep, i) => {
      const { zones, nodes } = specs[i]!;
      if (zones || nodes) ep.hints = { ...(zones ? { forZones: zones.map((name) => ({ name })) } : {}), ...(nodes ? { forNodes: nodes.map((name) => ({ name })) } : {}) } as never;
    });
    return serviceEndpoints('ns/s', [s], 'me').get('ns/s:p80|TCP') ?? [];
  };
  const ips = (list: readonly { ip: string }[]) => list.map((e) => e.ip);

  it('keeps Cluster traffic in this zone when every ready endpoint has a zone hint and one is for this zone', () => {
    const eps = endpoints([
      { ip: '10.244.0.1', zones: ['zone-a'] },
      { ip: '10.244.0.2', zones: ['zone-b'] },
      { ip: '10.244.0.3', zones: ['zone-a'] },
      { ip: '10.244.0.4', ready: false }, // not ready: its missing hint does not count
    ]);
    assert.equal(topologyMode(eps, here), 'PreferSameZone');
    const c = categorizeEndpoints(eps, clusterSvc!, here);
    assert.deepEqual(ips(c.cluster), ['10.244.0.1', '10.244.0.3']);
    assert.deepEqual(ips(c.reachable), ['10.244.0.1', '10.244.0.3']);
    assert.deepEqual(ips(categorizeEndpoints(eps, clusterSvc!).cluster), ['10.244.0.1', '10.244.0.2', '10.244.0.3'], 'no node, no topology');
  });

  it('prefers this node’s endpoints when every ready endpoint has a node hint (PreferSameNode)', () => {
    const eps = endpoints([
      { ip: '10.244.0.1', node: 'me', nodes: ['me'], zones: ['zone-a'] },
      { ip: '10.244.0.2', node: 'other', nodes: ['other'], zones: ['zone-a'] },
    ]);
    assert.equal(topologyMode(eps, here), 'PreferSameNode');
    assert.deepEqual(ips(categorizeEndpoints(eps, clusterSvc!, here).cluster), ['10.244.0.1']);
    assert.equal(topologyMode(eps, { nodeName: 'third', zone: 'zone-a' }), 'PreferSameZone', 'no endpoint here: the zone hints decide');
  });

  it('ignores hints when a ready endpoint lacks one, or none is for here', () => {
    const partial = endpoints([{ ip: '10.244.0.1', zones: ['zone-a'] }, { ip: '10.244.0.2' }]);
    assert.equal(topologyMode(partial, here), '');
    assert.deepEqual(ips(categorizeEndpoints(partial, clusterSvc!, here).cluster), ['10.244.0.1', '10.244.0.2']);
    const elsewhere = endpoints([{ ip: '10.244.0.1', zones: ['zone-b'] }, { ip: '10.244.0.2', zones: ['zone-c'] }]);
    assert.equal(topologyMode(elsewhere, here), '');
    assert.equal(topologyMode(elsewhere, { nodeName: 'me', zone: '' }), '', 'a node without a zone label');
  });

  it('merges a Local policy’s endpoints into the reachable set when topology narrows Cluster traffic', () => {
    const eps = endpoints([
      { ip: '10.244.0.1', node: 'me', zones: ['zone-b'] },
      { ip: '10.244.1.1', node: 'other', zones: ['zone-a'] },
    ]);
    const c = categorizeEndpoints(eps, localSvc!, here);
    assert.deepEqual(ips(c.cluster), ['10.244.1.1']);
    assert.deepEqual(ips(c.local), ['10.244.0.1']);
    assert.deepEqual(new Set(ips(c.reachable)), new Set(['10.244.0.1', '10.244.1.1']));
  });
});
