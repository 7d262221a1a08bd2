import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CniConfigError, CONFLIST_NAME, cniConfList, gatewayOf, writeCniConfig } from './cni.ts';

describe('CNI configuration', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'skiff-cni-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('chains bridge with host-local on the node podCIDR, and portmap', () => {
    const conf = cniConfList({ podCIDRs: ['10.244.1.0/24'], ipamDataDir: '/d/ipam' }) as { plugins: Array<Record<string, unknown>> };
    assert.deepEqual(conf.plugins.map((p) => p['type']), ['bridge', 'portmap']);
    const bridge = conf.plugins[0]!;
    assert.equal(bridge['bridge'], 'cni0');
    assert.equal(bridge['isGateway'], true);
    assert.equal(bridge['ipMasq'], false);
    assert.deepEqual(bridge['ipam'], { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: '/d/ipam' });
    assert.deepEqual(conf.plugins[1]!['capabilities'], { portMappings: true });
  });

  it('gives each address family its range and default route', () => {
    const conf = cniConfList({ podCIDRs: ['10.244.0.0/24', 'fd00:10:244::/64'], ipamDataDir: '/d' }) as { plugins: Array<{ ipam?: { ranges: unknown; routes: unknown } }> };
    assert.deepEqual(conf.plugins[0]!.ipam!.ranges, [[{ subnet: '10.244.0.0/24' }], [{ subnet: 'fd00:10:244::/64' }]]);
    assert.deepEqual(conf.plugins[0]!.ipam!.routes, [{ dst: '0.0.0.0/0' }, { dst: '::/0' }]);
  });

  it('knows the gateway the bridge plugin gives the bridge', () => {
    assert.equal(gatewayOf('10.244.3.0/24'), '10.244.3.1');
    assert.equal(gatewayOf('10.244.3.77/24'), '10.244.3.1');
    assert.equal(gatewayOf('10.0.0.0/8'), '10.0.0.1');
  });

  it('refuses a node without a podCIDR or with a malformed one', () => {
    assert.throws(() => cniConfList({ podCIDRs: [], ipamDataDir: '/d' }), CniConfigError);
    assert.throws(() => cniConfList({ podCIDRs: ['10.244.0.0'], ipamDataDir: '/d' }), /is not a CIDR/);
  });

  it('writes once, replaces foreign configs, and reports whether anything changed', () => {
    const confDir = path.join(dir, 'net.d');
    const opts = { podCIDRs: ['10.244.0.0/24'], ipamDataDir: path.join(dir, 'ipam') };
    assert.equal(writeCniConfig(confDir, opts), true);
    assert.equal(writeCniConfig(confDir, opts), false);
    writeFileSync(path.join(confDir, '05-other.conf'), '{}');
    assert.equal(writeCniConfig(confDir, opts), true);
    assert.deepEqual(readdirSync(confDir), [CONFLIST_NAME]);
    assert.equal(JSON.parse(readFileSync(path.join(confDir, CONFLIST_NAME), 'utf8')).name, 'skiff');
    assert.equal(writeCniConfig(confDir, { ...opts, podCIDRs: ['10.244.3.0/24'] }), true);
    assert.match(readFileSync(path.join(confDir, CONFLIST_NAME), 'utf8'), /10\.244\.3\.0\/24/);
  });
});
