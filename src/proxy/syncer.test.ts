import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../log.ts';
import { endpointChain, servicePortChains } from './chains.ts';
import type { Conntrack, ConntrackEntry, ConntrackFilter } from './conntrack.ts';
import { FakeIptables } from './fake-iptables.testutil.ts';
import { service, slice } from './fixtures.testutil.ts';
import { RuleSyncer, type RuleSyncerOptions } from './syncer.ts';

const SVC1 = 'KUBE-SVC-XPGD46QRK7WJZT7O';
const SEP1 = 'KUBE-SEP-SXIVWICOYRO3J4NJ';
const SEP2 = endpointChain('ns1/svc1:p80', 'TCP', '10.180.0.2:80');

function setup(opts: Partial<RuleSyncerOptions> = {}) {
  const iptables = new FakeIptables();
  const syncer = new RuleSyncer({ iptables, nodeName: 'node-a', nodeIPs: ['192.168.0.2'], clusterCIDR: '10.0.0.0/8', logger: silentLogger(), conntrack: null, ...opts });
  return { iptables, syncer };
}

const svc1 = (rv = '1') => service('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80 }] }, undefined, rv);

describe('RuleSyncer', () => {
  it('writes everything on the first sync, exactly as upstream would, and hooks the chains into the built-in ones', async () => {
    const { iptables, syncer } = setup();
    syncer.updateService(svc1());
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [{ ip: '10.180.0.1', node: 'node-a' }]));
    const result = await syncer.sync();
    assert.equal(result.full, true);
    assert.equal(
      iptables.restores[0],
      [
        '*mangle',
        ':KUBE-PROXY-CANARY - [0:0]',
        'COMMIT',
        '*filter',
        ':KUBE-SERVICES - [0:0]',
        ':KUBE-EXTERNAL-SERVICES - [0:0]',
        ':KUBE-FORWARD - [0:0]',
        ':KUBE-NODEPORTS - [0:0]',
        ':KUBE-PROXY-FIREWALL - [0:0]',
        ':KUBE-FIREWALL - [0:0]',
        ':KUBE-PROXY-CANARY - [0:0]',
        '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
        '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
        '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
        '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        // The jumps into the new chains, at the end of each table's transaction, each built-in chain's in upstream's order.
        '-I INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
        '-I INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
        '-I INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
        '-I INPUT -j KUBE-FIREWALL',
        '-I FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
        '-I FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-I FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
        '-I FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
        '-I OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-I OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
        '-I OUTPUT -j KUBE-FIREWALL',
        'COMMIT',
        '*nat',
        ':KUBE-POSTROUTING - [0:0]',
        ':KUBE-MARK-MASQ - [0:0]',
        '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
        '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
        '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
        '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
        `:${SEP1} - [0:0]`,
        `-A ${SEP1} -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ`,
        `-A ${SEP1} -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80`,
        `:${SVC1} - [0:0]`,
        `-A ${SVC1} -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ`,
        `-A ${SVC1} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j ${SEP1}`,
        ':KUBE-SERVICES - [0:0]',
        ':KUBE-NODEPORTS - [0:0]',
        `-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j ${SVC1}`,
        '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
        ':KUBE-PROXY-CANARY - [0:0]',
        '-I OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-I PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-I POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
        'COMMIT',
        '',
      ].join('\n'),
    );
    assert.deepEqual(iptables.rules('nat', 'PREROUTING'), ['-m comment --comment "kubernetes service portals" -j KUBE-SERVICES']);
    assert.deepEqual(iptables.rules('nat', 'POSTROUTING'), ['-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING']);
    assert.deepEqual(iptables.rules('filter', 'INPUT'), [
      '-j KUBE-FIREWALL',
      '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
      '-m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
      '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    ]);
    assert.equal(result.natRules, 10);
    assert.equal(result.filterRules, 4);
  });

  it('writes only the changed Service chains on a partial sync, deleting its stale endpoint chain', async () => {
    const { iptables, syncer } = setup();
    syncer.updateService(svc1());
    syncer.updateService(service('ns2', 'svc2', { clusterIP: '172.30.0.42', ports: [{ name: 'p80', port: 80 }] }));
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [{ ip: '10.180.0.1' }]));
    syncer.updateEndpointSlice(slice('ns2', 'svc2', [{ ip: '10.180.0.20' }]));
    await syncer.sync();
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [{ ip: '10.180.0.2' }], undefined, undefined, '2'));
    const result = await syncer.sync();
    assert.equal(result.full, false);
    assert.equal(result.portsWritten, 1);
    assert.equal(
      iptables.restores.at(-1),
      [
        '*nat',
        `:${SEP2} - [0:0]`,
        `-A ${SEP2} -m comment --comment ns1/svc1:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ`,
        `-A ${SEP2} -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80`,
        `:${SVC1} - [0:0]`,
        `-A ${SVC1} -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ`,
        `-A ${SVC1} -m comment --comment "ns1/svc1:p80 -> 10.180.0.2:80" -j ${SEP2}`,
        `:${SEP1} - [0:0]`,
        `-X ${SEP1}`,
        'COMMIT',
        '',
      ].join('\n'),
    );
    assert.ok(!iptables.chains('nat').includes(SEP1));
    assert.ok(iptables.chains('nat').includes(SEP2));
  });

  it('does nothing when nothing changed, and ignores an update that repeats a resourceVersion', async () => {
    const { iptables, syncer } = setup();
    syncer.updateService(svc1());
    await syncer.sync();
    const writes = iptables.restores.length;
    assert.equal(syncer.pending, false);
    syncer.updateService(svc1());
    assert.equal(syncer.pending, false);
    syncer.updateService(svc1('2'));
    assert.equal(syncer.pending, true);
    await syncer.sync();
    assert.equal(iptables.restores.length, writes, 'an identical Service writes nothing');
  });

  it('rejects in the filter table when the last endpoint goes, and removes the nat chains after the capture rule', async () => {
    const { iptables, syncer } = setup();
    syncer.updateService(svc1());
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [{ ip: '10.180.0.1' }]));
    await syncer.sync();
    syncer.deleteEndpointSlice(slice('ns1', 'svc1', []));
    await syncer.sync();
    const input = iptables.restores.at(-1)!;
    assert.match(input, /^\*filter\n/);
    assert.ok(input.includes('-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j REJECT'));
    const nat = input.slice(input.indexOf('*nat'));
    assert.ok(nat.indexOf(':KUBE-SERVICES') < nat.indexOf(`-X ${SVC1}`), 'KUBE-SERVICES stops jumping to the chain before it goes');
    assert.deepEqual(iptables.rules('nat', 'KUBE-SERVICES')!.length, 1);
    assert.ok(!iptables.chains('nat').some((c) => c.startsWith('KUBE-SVC-') || c.startsWith('KUBE-SEP-')));
  });

  it('deletes the chains of a deleted Service', async () => {
    const { iptables, syncer } = setup();
    syncer.updateService(svc1());
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [{ ip: '10.180.0.1' }, { ip: '10.180.0.2' }]));
    await syncer.sync();
    syncer.deleteService(svc1());
    const result = await syncer.sync();
    assert.equal(result.staleChains, 3);
    assert.deepEqual(iptables.rules('nat', 'KUBE-SERVICES'), [
      '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    ]);
    assert.ok(!iptables.chains('nat').some((c) => c.startsWith('KUBE-S') && c !== 'KUBE-SERVICES'));
  });

  it('deletes chains left by an earlier run on its first sync', async () => {
    const { iptables, syncer } = setup();
    await iptables.restore('*nat\n:KUBE-SVC-OLDOLDOLDOLDOLD1 - [0:0]\n:KUBE-SEP-OLDOLDOLDOLDOLD1 - [0:0]\n-A KUBE-SVC-OLDOLDOLDOLDOLD1 -j KUBE-SEP-OLDOLDOLDOLDOLD1\n:CNI-FOREIGN - [0:0]\nCOMMIT\n');
    syncer.updateService(svc1());
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [{ ip: '10.180.0.1' }]));
    const result = await syncer.sync();
    assert.equal(result.staleChains, 2);
    const chains = iptables.chains('nat');
    assert.ok(!chains.includes('KUBE-SVC-OLDOLDOLDOLDOLD1') && !chains.includes('KUBE-SEP-OLDOLDOLDOLDOLD1'));
    assert.ok(chains.includes('CNI-FOREIGN'), 'chains of others are left alone');
  });

  it('rewrites everything after a failed restore, deleting what the failed sync may have created', async () => {
    const { iptables, syncer } = setup();
    syncer.updateService(svc1());
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [{ ip: '10.180.0.1' }]));
    await syncer.sync();
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [{ ip: '10.180.0.2' }], undefined, undefined, '2'));
    iptables.failNextRestore = 'iptables-restore: line 3 failed';
    await assert.rejects(syncer.sync(), /line 3 failed/);
    assert.equal(syncer.pending, true);
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [{ ip: '10.180.0.1' }], undefined, undefined, '3'));
    const result = await syncer.sync();
    assert.equal(result.full, true);
    assert.ok(iptables.restores.at(-1)!.includes(`:${SEP2} - [0:0]\n`) && iptables.restores.at(-1)!.includes(`-X ${SEP2}`));
    assert.deepEqual(iptables.rules('nat', SVC1)!.at(-1), `-m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j ${SEP1}`);
  });

  it('splits a large write into consistent transactions: endpoint chains first, entry points next to last', async () => {
    const big = setup({ maxChainsPerTransaction: 4 });
    const one = setup();
    for (const { syncer } of [big, one]) {
      for (let i = 0; i < 5; i++) {
        syncer.updateService(service('ns', `s${i}`, { clusterIP: `172.30.1.${i}`, ports: [{ name: 'p80', port: 80 }] }));
        syncer.updateEndpointSlice(slice('ns', `s${i}`, [{ ip: `10.180.1.${i}` }, { ip: `10.180.2.${i}` }]));
      }
    }
    const result = await big.syncer.sync();
    await one.syncer.sync();
    assert.equal(result.transactions, 2 + 5 + 1, 'mangle, filter, one per Service (3 chains each), then the top-level chains');
    for (const table of ['nat', 'filter'] as const) assert.equal(await big.iptables.save(table), await one.iptables.save(table));
    const nat = big.iptables.restores[0]!.split('*nat').slice(1);
    assert.ok(nat.at(-1)!.includes(':KUBE-SERVICES') && !nat.slice(0, -1).some((s) => s.includes(':KUBE-SERVICES')));
  });

  it('switches to large-cluster mode past 1000 endpoints with a full sync that drops per-endpoint comments', async () => {
    const { iptables, syncer } = setup();
    syncer.updateService(svc1());
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [{ ip: '10.180.0.1' }]));
    await syncer.sync();
    syncer.updateService(service('ns2', 'many', { clusterIP: '172.30.0.50', ports: [{ name: 'p80', port: 80 }] }));
    syncer.updateEndpointSlice(slice('ns2', 'many', Array.from({ length: 1000 }, (_, i) => ({ ip: `10.181.${i >> 8}.${i & 255}` }))));
    const result = await syncer.sync();
    assert.equal(result.full, true);
    assert.deepEqual(iptables.rules('nat', SEP1), ['-s 10.180.0.1 -j KUBE-MARK-MASQ', '-m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80']);
  });

  it('clears stale UDP flows after a UDP Service changes, and only then', async () => {
    const deleted: ConntrackFilter[] = [];
    const entries: ConntrackEntry[] = [
      { origDst: '172.30.0.53', origDport: 53, replySrc: '10.180.0.1' },
      { origDst: '172.30.0.53', origDport: 53, replySrc: '10.180.0.2' },
      { origDst: '172.30.0.99', origDport: 53, replySrc: '10.9.9.9' },
    ];
    const conntrack: Conntrack = { listUDP: async () => entries, deleteUDP: async (f) => (deleted.push(f), 1) };
    const { syncer } = setup({ conntrack });
    const dns = service('kube-system', 'dns', { clusterIP: '172.30.0.53', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] });
    syncer.updateService(dns);
    syncer.updateEndpointSlice(slice('kube-system', 'dns', [{ ip: '10.180.0.1' }, { ip: '10.180.0.2' }], [{ name: 'dns', port: 53, protocol: 'UDP' }]));
    await syncer.sync();
    assert.deepEqual(deleted, []);
    syncer.updateEndpointSlice(slice('kube-system', 'dns', [{ ip: '10.180.0.1' }], [{ name: 'dns', port: 53, protocol: 'UDP' }], undefined, '2'));
    await syncer.sync();
    assert.deepEqual(deleted, [{ origDst: '172.30.0.53', origDport: 53, replySrc: '10.180.0.2' }]);
    syncer.updateService(svc1());
    await syncer.sync();
    assert.equal(deleted.length, 1, 'a TCP Service change leaves conntrack alone');
  });

  it('adds no jump again on a later full sync, and puts back one that went', async () => {
    const { iptables, syncer } = setup();
    syncer.updateService(svc1());
    await syncer.sync();
    syncer.requestFullSync();
    await syncer.sync();
    assert.ok(!iptables.restores.at(-1)!.includes('-I '));
    await iptables.deleteRule('nat', 'PREROUTING', ['-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES']);
    syncer.requestFullSync();
    await syncer.sync();
    assert.deepEqual(iptables.restores.at(-1)!.split('\n').filter((l) => l.startsWith('-I ')), ['-I PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES']);
    assert.deepEqual(iptables.rules('nat', 'PREROUTING'), ['-m comment --comment "kubernetes service portals" -j KUBE-SERVICES']);
    assert.equal(servicePortChains('ns1/svc1:p80', 'TCP').cluster, SVC1);
  });
});
