import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../log.ts';
import { cleanupProxyRules, deleteChainsInput } from './cleanup.ts';
import { FakeIptables } from './fake-iptables.testutil.ts';
import { service, slice } from './fixtures.testutil.ts';
import { RuleSyncer } from './syncer.ts';

describe('cleanupProxyRules', () => {
  it('removes every chain and jump the proxy made, and nothing else', async () => {
    const iptables = new FakeIptables();
    await iptables.restore('*nat\n:SKIFF-POSTROUTING - [0:0]\n-A POSTROUTING -j SKIFF-POSTROUTING\nCOMMIT\n');
    const before = { nat: await iptables.save('nat'), filter: await iptables.save('filter'), mangle: await iptables.save('mangle') };
    const syncer = new RuleSyncer({ iptables, nodeName: 'n', nodeIPs: [], logger: silentLogger(), conntrack: null });
    syncer.updateService(service('ns', 'web', { type: 'NodePort', clusterIP: '10.96.0.9', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }));
    syncer.updateEndpointSlice(slice('ns', 'web', [{ ip: '10.244.0.3' }, { ip: '10.244.0.4' }], [{ name: 'http', port: 80 }]));
    await syncer.sync();
    assert.ok((await iptables.save('nat')).includes('KUBE-SVC-'));

    const deleted = await cleanupProxyRules(iptables);
    assert.equal(deleted, 4 + 5 + 7 + 1, 'nat: SVC, EXT and 2 SEP chains + 5 top-level; filter: 7; mangle: the canary');
    assert.equal(await iptables.save('nat'), before.nat);
    assert.equal(await iptables.save('filter'), before.filter);
    assert.equal(await iptables.save('mangle'), before.mangle);
    assert.equal(await cleanupProxyRules(iptables), 0, 'a second run finds nothing');
  });

  it('empties every chain before deleting any, in bounded transactions', () => {
    assert.equal(
      deleteChainsInput('nat', ['KUBE-SEP-A', 'KUBE-SVC-B', 'KUBE-SERVICES'], 2),
      ['*nat', ':KUBE-SVC-B - [0:0]', ':KUBE-SERVICES - [0:0]', 'COMMIT', '*nat', ':KUBE-SEP-A - [0:0]', 'COMMIT', '*nat', '-X KUBE-SVC-B', '-X KUBE-SERVICES', 'COMMIT', '*nat', '-X KUBE-SEP-A', 'COMMIT', ''].join('\n'),
    );
    assert.equal(deleteChainsInput('nat', []), '');
  });
});
