import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../log.ts';
import { service, slice } from './fixtures.testutil.ts';
import type { Nftables } from './nft.ts';
import { batchOpsText, type NftBatchOp } from './nft-netlink.ts';
import { nftEndpointNames, nftServicePortChains } from './nft-rules.ts';
import { NftSyncer } from './nft-syncer.ts';

/** Records every script; knows no chains or sets at start. */
class RecordingNftables implements Nftables {
  readonly netns = undefined;
  readonly scripts: string[] = [];
  fail = false;
  async run(script: string): Promise<void> {
    if (this.fail) throw new Error('nft failed');
    this.scripts.push(script);
  }
  async apply(script: string, ops: readonly NftBatchOp[]): Promise<number> {
    await this.run(script + batchOpsText(ops).map((l) => `${l}\n`).join(''));
    return 1;
  }
  /** What a listing finds. */
  listed = ['service-OLD00000-gone/svc/tcp/p80'];
  async listChains(): Promise<string[]> {
    return this.listed;
  }
  async listObjects(): Promise<{ chains: string[]; sets: string[] }> {
    return { chains: await this.listChains(), sets: [] };
  }
  async chainExists(): Promise<boolean> {
    return true;
  }
}

const svc1 = (rv = '1') => service('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80 }] }, undefined, rv);
/** sessionAffinity ClientIP: upstream's per-port and per-endpoint chains. */
const sticky = () => service('ns1', 'sticky', { clusterIP: '172.30.0.42', sessionAffinity: 'ClientIP', ports: [{ name: 'p80', port: 80 }] });
const STICKY = nftServicePortChains({ serviceKey: 'ns1/sticky', portName: 'p80', protocol: 'TCP' }).cluster;
const STICKY_EP = nftEndpointNames({ serviceKey: 'ns1/sticky', portName: 'p80', protocol: 'TCP' }, { ip: '10.180.0.9', port: 80 }).chain;

function setup(opts: { staleChainDelayMs?: number } = {}) {
  const nft = new RecordingNftables();
  const syncer = new NftSyncer({ nftables: nft, nodeName: 'node-a', nodeIPs: ['192.168.0.2'], clusterCIDR: '10.0.0.0/8', logger: silentLogger(), conntrack: null, ...opts });
  return { nft, syncer };
}

describe('NftSyncer', () => {
  it('writes the table, the chains and every element in one transaction first, flushing chains left by an earlier run', async () => {
    const { nft, syncer } = setup();
    syncer.updateService(svc1());
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [{ ip: '10.180.0.1' }]));
    syncer.updateService(sticky());
    syncer.updateEndpointSlice(slice('ns1', 'sticky', [{ ip: '10.180.0.9' }]));
    const r = await syncer.sync();
    assert.equal(r.full, true);
    assert.equal(nft.scripts.length, 1);
    const lines = nft.scripts[0]!.trim().split('\n');
    assert.equal(lines[0], 'add table ip kube-proxy { comment "rules for kube-proxy" ; }');
    const at = (line: string) => {
      const i = lines.indexOf(line);
      assert.ok(i >= 0, `missing: ${line}`);
      return i;
    };
    assert.ok(at(`add chain ip kube-proxy ${STICKY_EP}`) < at(`add chain ip kube-proxy ${STICKY}`), 'endpoint chain before the chain jumping to it');
    assert.ok(at('add chain ip kube-proxy pick-cluster-tcp-1') < at('flush map ip kube-proxy service-ips'), 'the pick chain before the elements leading to it');
    at('add rule ip kube-proxy pick-cluster-tcp-1 meta l4proto tcp dnat ip to ip daddr . tcp dport . numgen random mod 1 map @tcp-service-endpoints');
    at('flush map ip kube-proxy tcp-service-endpoints');
    at('add element ip kube-proxy tcp-service-endpoints { 172.30.0.41 . 80 . 0 : 10.180.0.1 . 80 }');
    at('add element ip kube-proxy hairpin-endpoints { 10.180.0.1 . 10.180.0.1 }');
    at(`add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto pick-cluster-tcp-1, 172.30.0.42 . tcp . 80 : goto ${STICKY} }`);
    assert.equal(lines.at(-1), 'flush chain ip kube-proxy service-OLD00000-gone/svc/tcp/p80');
  });

  it('changes only the elements of a pick-layout Service on a partial sync, writing a pick chain only the first time it is needed', async () => {
    const { nft, syncer } = setup();
    syncer.updateService(svc1());
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [{ ip: '10.180.0.1' }]));
    syncer.updateService(service('ns1', 'other', { clusterIP: '172.30.0.50', ports: [{ name: 'p80', port: 80 }] }));
    syncer.updateEndpointSlice(slice('ns1', 'other', [{ ip: '10.180.0.1' }]));
    await syncer.sync();
    nft.scripts.length = 0;

    // One pod replaced: the endpoint element and the hairpin pair change; the pair of the pod `other` still uses stays.
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [{ ip: '10.180.0.2' }], undefined, undefined, '2'));
    const r = await syncer.sync();
    assert.equal(r.full, false);
    assert.deepEqual(nft.scripts.join('').trim().split('\n'), [
      'delete element ip kube-proxy tcp-service-endpoints { 172.30.0.41 . 80 . 0 }',
      'add element ip kube-proxy tcp-service-endpoints { 172.30.0.41 . 80 . 0 : 10.180.0.2 . 80 }',
      'add element ip kube-proxy hairpin-endpoints { 10.180.0.2 . 10.180.0.2 }',
    ]);

    // A second endpoint: a new pick chain, and the dispatch element switched over to it.
    nft.scripts.length = 0;
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [{ ip: '10.180.0.2' }, { ip: '10.180.0.3' }], undefined, undefined, '3'));
    await syncer.sync();
    const lines = nft.scripts.join('').trim().split('\n');
    assert.equal(lines[0], 'add chain ip kube-proxy pick-cluster-tcp-2');
    assert.ok(lines.includes('delete element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 }'));
    assert.ok(lines.includes('add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto pick-cluster-tcp-2 }'));
    assert.ok(lines.includes('add element ip kube-proxy tcp-service-endpoints { 172.30.0.41 . 80 . 1 : 10.180.0.3 . 80 }'));
    assert.ok(!lines.some((l) => l.includes('pick-cluster-tcp-1') || l.includes('172.30.0.50')), lines.join('\n'));

    // Its endpoints gone: the ClusterIP now rejects. Hairpin pairs are only added between full syncs.
    nft.scripts.length = 0;
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [], undefined, undefined, '4'));
    await syncer.sync();
    const next = nft.scripts.join('').trim().split('\n');
    assert.ok(next.includes('delete element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 }'));
    assert.ok(next.includes('add element ip kube-proxy no-endpoint-services { 172.30.0.41 . tcp . 80 comment "ns1/svc1:p80" : goto reject-chain }'));
    assert.ok(!next.some((l) => l.includes('hairpin-endpoints')), next.join('\n'));

    // A full sync refills the set: only the pair `other` still needs is left.
    nft.scripts.length = 0;
    syncer.requestFullSync();
    await syncer.sync();
    const refill = nft.scripts.join('').trim().split('\n');
    const hairpin = refill.filter((l) => /^(flush set|add element) ip kube-proxy hairpin-endpoints/.test(l));
    assert.deepEqual(hairpin, ['flush set ip kube-proxy hairpin-endpoints', 'add element ip kube-proxy hairpin-endpoints { 10.180.0.1 . 10.180.0.1 }']);
  });

  it('writes only the changed chains of a Service in upstream\'s layout, deleting stale chains a sync later', async () => {
    const { nft, syncer } = setup({ staleChainDelayMs: 0 });
    syncer.updateService(sticky());
    syncer.updateEndpointSlice(slice('ns1', 'sticky', [{ ip: '10.180.0.9' }]));
    syncer.updateService(svc1());
    await syncer.sync();
    nft.scripts.length = 0;

    syncer.updateEndpointSlice(slice('ns1', 'sticky', [{ ip: '10.180.0.8' }], undefined, undefined, '2'));
    const r = await syncer.sync();
    assert.equal(r.full, false);
    const lines = nft.scripts.join('').trim().split('\n');
    assert.ok(!lines.some((l) => l.includes('svc1') || l.includes('add table') || l.includes('flush map')), lines.join('\n'));
    assert.ok(lines.includes(`flush chain ip kube-proxy ${STICKY}`));
    assert.ok(lines.includes(`flush chain ip kube-proxy ${STICKY_EP}`), 'the old endpoint chain is flushed');

    nft.scripts.length = 0;
    syncer.updateEndpointSlice(slice('ns1', 'sticky', [], undefined, undefined, '3'));
    await syncer.sync();
    const next = nft.scripts.join('').trim().split('\n');
    assert.ok(next.includes(`delete chain ip kube-proxy ${STICKY_EP}`), 'the chain flushed a sync ago is deleted');
    assert.ok(next.includes(`flush chain ip kube-proxy ${STICKY}`));
  });

  it('lets a pick chain no port uses any more go at the next full sync, as stale chains go', async () => {
    const { nft, syncer } = setup({ staleChainDelayMs: 0 });
    syncer.updateService(svc1());
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [{ ip: '10.180.0.1' }, { ip: '10.180.0.2' }]));
    await syncer.sync();
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [{ ip: '10.180.0.1' }, { ip: '10.180.0.2' }, { ip: '10.180.0.3' }], undefined, undefined, '2'));
    await syncer.sync();
    nft.scripts.length = 0;
    nft.listed = ['pick-cluster-tcp-2', 'pick-cluster-tcp-3'];
    syncer.requestFullSync();
    await syncer.sync();
    const full = nft.scripts.join('').trim().split('\n');
    assert.ok(full.indexOf('flush chain ip kube-proxy pick-cluster-tcp-2') > full.indexOf('add rule ip kube-proxy pick-cluster-tcp-3 meta l4proto tcp dnat ip to ip daddr . tcp dport . numgen random mod 3 map @tcp-service-endpoints'), full.join('\n'));
    assert.equal(full.filter((l) => l.includes('pick-cluster-tcp-2')).length, 1, 'only flushed, not rewritten');

    // Used again before it is deleted: written again, and not deleted after all.
    nft.scripts.length = 0;
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [{ ip: '10.180.0.1' }, { ip: '10.180.0.2' }], undefined, undefined, '3'));
    await syncer.sync();
    const back = nft.scripts.join('').trim().split('\n');
    assert.ok(back.includes('delete chain ip kube-proxy pick-cluster-tcp-2') && back.indexOf('delete chain ip kube-proxy pick-cluster-tcp-2') < back.indexOf('add chain ip kube-proxy pick-cluster-tcp-2'), back.join('\n'));
    nft.scripts.length = 0;
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [{ ip: '10.180.0.4' }, { ip: '10.180.0.2' }], undefined, undefined, '4'));
    await syncer.sync();
    assert.ok(!nft.scripts.join('').includes('delete chain'), nft.scripts.join(''));
  });

  it('follows zone hints once it knows this node’s zone, rewriting every Service when the zone changes', async () => {
    const { nft, syncer } = setup();
    syncer.updateService(svc1());
    const zonal = slice('ns1', 'svc1', [{ ip: '10.180.0.1' }, { ip: '10.180.0.2' }]);
    zonal.endpoints![0]!.hints = { forZones: [{ name: 'zone-a' }] };
    zonal.endpoints![1]!.hints = { forZones: [{ name: 'zone-b' }] };
    syncer.updateEndpointSlice(zonal);
    await syncer.sync();
    /** The endpoints the last scripts wrote into the ClusterIP's endpoint map. */
    const endpointsWritten = () =>
      nft.scripts
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('add element ip kube-proxy tcp-service-endpoints'))
        .flatMap((l) => [...l.matchAll(/: (10\.180\.0\.\d+) \. 80/g)].map((m) => m[1]));
    assert.deepEqual(endpointsWritten(), ['10.180.0.1', '10.180.0.2'], 'no zone known: both endpoints');
    nft.scripts.length = 0;
    syncer.setNodeZone('zone-b');
    assert.equal(syncer.pending, true);
    const r = await syncer.sync();
    assert.equal(r.full, true);
    assert.deepEqual(endpointsWritten(), ['10.180.0.2']);
    nft.scripts.length = 0;
    syncer.setNodeZone('zone-b');
    assert.equal(syncer.pending, false, 'the same zone again changes nothing');
  });

  it('rewrites everything after a failed sync', async () => {
    const { nft, syncer } = setup();
    syncer.updateService(svc1());
    await syncer.sync();
    nft.fail = true;
    syncer.updateService(service('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p81', port: 81 }] }, undefined, '2'));
    await assert.rejects(syncer.sync());
    nft.fail = false;
    assert.equal(syncer.pending, true);
    const r = await syncer.sync();
    assert.equal(r.full, true);
    assert.ok(nft.scripts.at(-1)!.includes('flush map ip kube-proxy no-endpoint-services'));
  });
});
