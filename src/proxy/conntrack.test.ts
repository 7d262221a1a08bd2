import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConntrackList, staleUDPFilters } from './conntrack.ts';
import { service, slice } from './fixtures.testutil.ts';
import { serviceEndpoints, servicePorts } from './model.ts';

const LIST = [
  'udp      17 29 src=10.244.0.7 dst=10.96.0.10 sport=40000 dport=53 [UNREPLIED] src=10.244.0.5 dst=10.244.0.7 sport=53 dport=40000 mark=0 use=1',
  'udp      17 118 src=192.0.2.9 dst=192.0.2.2 sport=5000 dport=30053 src=10.244.0.6 dst=192.0.2.9 sport=53 dport=5000 [ASSURED] mark=0 use=1',
  'tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] mark=0 use=1',
  '',
].join('\n');

describe('conntrack', () => {
  it('reads the original destination and the reply source of UDP entries', () => {
    assert.deepEqual(parseConntrackList(LIST), [
      { origDst: '10.96.0.10', origDport: 53, replySrc: '10.244.0.5' },
      { origDst: '192.0.2.2', origDport: 30053, replySrc: '10.244.0.6' },
    ]);
  });

  it('deletes flows to a service IP or NodePort whose reply does not come from a serving endpoint', () => {
    const svc = service('kube-system', 'dns', { type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, nodePort: 30053, protocol: 'UDP' }] });
    const [port] = servicePorts(svc);
    const eps = serviceEndpoints('kube-system/dns', [slice('kube-system', 'dns', [{ ip: '10.244.0.5' }], [{ name: 'dns', port: 53, protocol: 'UDP' }])], 'n');
    const filters = staleUDPFilters(parseConntrackList(LIST), [{ svc: port!, endpoints: eps.get('kube-system/dns:dns|UDP')! }]);
    assert.deepEqual(filters, [{ origDport: 30053, replySrc: '10.244.0.6' }]);
    // A Service without endpoints keeps its flows (nothing to point them at).
    assert.deepEqual(staleUDPFilters(parseConntrackList(LIST), [{ svc: port!, endpoints: [] }]), []);
  });

  it('clears the flows made while a Service had no endpoints, which reply from the service IP itself', () => {
    const [port] = servicePorts(service('ns', 'u', { clusterIP: '10.96.0.77', ports: [{ port: 9000, protocol: 'UDP' }] }));
    const entries = [{ origDst: '10.96.0.77', origDport: 9000, replySrc: '10.96.0.77' }];
    const eps = serviceEndpoints('ns/u', [slice('ns', 'u', [{ ip: '10.244.0.8' }], [{ port: 9000, protocol: 'UDP' }])], 'n');
    assert.deepEqual(staleUDPFilters(entries, [{ svc: port!, endpoints: eps.get('ns/u|UDP')! }]), [{ origDst: '10.96.0.77', origDport: 9000, replySrc: '10.96.0.77' }]);
  });
});
