// A pod's resolv.conf by dnsPolicy, as kubelet builds it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { parseResolvConf, podDNSConfig, podHostnameAndDomain, type PodDNSOptions } from './dns.ts';

const host = parseResolvConf(['# resolver', 'nameserver 192.168.1.1', 'nameserver 192.168.1.2 ; second', 'search corp.example lab.example.', 'options edns0 timeout:2', ''].join('\n'));
const options: PodDNSOptions = { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', host };
const pod = (spec: Partial<NonNullable<Pod['spec']>> = {}): Pod => ({ metadata: { name: 'p', namespace: 'shop', uid: 'u' }, spec: { containers: [], ...spec } });

describe('pod DNS', () => {
  it('parses a resolv.conf', () => {
    assert.deepEqual(host, { servers: ['192.168.1.1', '192.168.1.2'], searches: ['corp.example', 'lab.example'], options: ['edns0', 'timeout:2'] });
  });

  it('ClusterFirst: the cluster DNS, the namespace and service domains before the host search, ndots:5', () => {
    assert.deepEqual(podDNSConfig(pod(), options).config, {
      servers: ['10.96.0.10'],
      searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example'],
      options: ['ndots:5'],
    });
  });

  it('Default, and ClusterFirst on the host network: the host resolv.conf', () => {
    assert.deepEqual(podDNSConfig(pod({ dnsPolicy: 'Default' }), options).config, host);
    assert.deepEqual(podDNSConfig(pod({ hostNetwork: true }), options).config, host);
    assert.equal(podDNSConfig(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), options).config.servers[0], '10.96.0.10');
  });

  it('None: dnsConfig only; dnsConfig is appended to any policy, options merged by name', () => {
    const dnsConfig = { nameservers: ['1.1.1.1'], searches: ['extra.example'], options: [{ name: 'ndots', value: '2' }, { name: 'rotate' }] };
    assert.deepEqual(podDNSConfig(pod({ dnsPolicy: 'None', dnsConfig }), options).config, { servers: ['1.1.1.1'], searches: ['extra.example'], options: ['ndots:2', 'rotate'] });
    const cluster = podDNSConfig(pod({ dnsConfig }), options).config;
    assert.deepEqual(cluster.servers, ['10.96.0.10', '1.1.1.1']);
    assert.equal(cluster.searches.at(-1), 'extra.example');
    assert.deepEqual(cluster.options, ['ndots:2', 'rotate']);
  });

  it('falls back to Default without a cluster DNS, and says so', () => {
    const result = podDNSConfig(pod(), { ...options, clusterDNS: [] });
    assert.deepEqual(result.config, host);
    assert.equal(result.warnings[0]?.reason, 'MissingClusterDNS');
  });

  it('cuts nameservers to three and search paths to 32, with a DNSConfigForming warning', () => {
    const many = { nameservers: ['1.1.1.1', '8.8.8.8', '9.9.9.9'], searches: Array.from({ length: 40 }, (_, i) => `d${i}.example`) };
    const result = podDNSConfig(pod({ dnsConfig: many }), options);
    assert.equal(result.config.servers.length, 3);
    assert.equal(result.config.searches.length, 32);
    assert.deepEqual(result.warnings.map((w) => w.reason), ['DNSConfigForming', 'DNSConfigForming']);
    assert.match(result.warnings[0]!.message, /^Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10\.96\.0\.10 1\.1\.1\.1 8\.8\.8\.8$/);
  });

  it('names the pod by hostname and subdomain', () => {
    assert.deepEqual(podHostnameAndDomain(pod({ hostname: 'web-0', subdomain: 'web' }), 'cluster.local'), { hostname: 'web-0', domain: 'web.shop.svc.cluster.local' });
    assert.deepEqual(podHostnameAndDomain(pod(), 'cluster.local'), { hostname: 'p', domain: '' });
  });
});
