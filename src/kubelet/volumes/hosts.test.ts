import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hostNetworkHostsFileContent, managedHostsFileContent, podHostnameAndDomain } from './hosts.ts';

describe('pod hosts file', () => {
  it("is upstream's managed file: localhost lines, then the pod's IPs with its hostname", () => {
    assert.equal(
      managedHostsFileContent(['10.244.0.5'], 'web-0', ''),
      '# Kubernetes-managed hosts file.\n' +
        '127.0.0.1\tlocalhost\n' +
        '::1\tlocalhost ip6-localhost ip6-loopback\n' +
        'fe00::0\tip6-localnet\n' +
        'fe00::0\tip6-mcastprefix\n' +
        'fe00::1\tip6-allnodes\n' +
        'fe00::2\tip6-allrouters\n' +
        '10.244.0.5\tweb-0\n',
    );
  });

  it('names the FQDN first for a pod with a subdomain, one line per IP, then the host aliases', () => {
    const content = managedHostsFileContent(['10.244.0.5', 'fd00::5'], 'web-0', 'web.shop.svc.cluster.local', [
      { ip: '1.2.3.4', hostnames: ['foo', 'foo.local'] },
      { ip: '5.6.7.8', hostnames: ['bar'] },
    ]);
    assert.ok(
      content.endsWith(
        '10.244.0.5\tweb-0.web.shop.svc.cluster.local\tweb-0\n' +
          'fd00::5\tweb-0.web.shop.svc.cluster.local\tweb-0\n' +
          '\n# Entries added by HostAliases.\n1.2.3.4\tfoo\tfoo.local\n5.6.7.8\tbar\n',
      ),
      content,
    );
  });

  it("gives hostNetwork pods the node's file under its own header", () => {
    assert.equal(
      hostNetworkHostsFileContent('127.0.0.1 localhost\n', [{ ip: '9.9.9.9', hostnames: ['x'] }]),
      '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n\n# Entries added by HostAliases.\n9.9.9.9\tx\n',
    );
  });

  it('takes the hostname from spec.hostname or the name (at most 63 characters) and the domain from the subdomain', () => {
    assert.deepEqual(podHostnameAndDomain({ metadata: { name: 'p', namespace: 'ns' } }, 'cluster.local'), { hostname: 'p', domain: '' });
    assert.deepEqual(podHostnameAndDomain({ metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [], hostname: 'h', subdomain: 'sub' } }, 'k8s.test'), {
      hostname: 'h',
      domain: 'sub.ns.svc.k8s.test',
    });
    const long = `${'a'.repeat(62)}-b`;
    assert.equal(podHostnameAndDomain({ metadata: { name: long } }, 'cluster.local').hostname, 'a'.repeat(62));
  });
});
