import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../log.ts';
import { service, slice } from './fixtures.testutil.ts';
import type { Nftables } from './nft.ts';
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
  async listChains(): Promise<string[]> {
    return ['service-OLD00000-gone/svc/tcp/p80'];
  }
  async listSets(): Promise<string[]> {
    return [];
  }
  async chainExists(): Promise<boolean> {
    return true;
  }
}

const SVC = 'service-ULMVA6XW-ns1/svc1/tcp/p80';
const EP1 = 'endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80';
const svc1 = (rv = '1') => service('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80 }] }, undefined, rv);

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
    const r = await syncer.sync();
    assert.equal(r.full, true);
    assert.equal(nft.scripts.length, 1);
    const lines = nft.scripts[0]!.trim().split('\n');
    assert.equal(lines[0], 'add table ip kube-proxy { comment "rules for kube-proxy" ; }');
    assert.ok(lines.indexOf(`add chain ip kube-proxy ${EP1}`) < lines.indexOf(`add chain ip kube-proxy ${SVC}`), 'endpoint chain before the chain jumping to it');
    assert.ok(lines.includes('flush map ip kube-proxy service-ips'));
    assert.ok(lines.includes(`add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto ${SVC} }`));
    assert.ok(lines.indexOf(`add chain ip kube-proxy ${SVC}`) < lines.indexOf(`add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto ${SVC} }`));
    assert.equal(lines.at(-1), 'flush chain ip kube-proxy service-OLD00000-gone/svc/tcp/p80');
  });

  it('writes only the changed chains and element differences on a partial sync, deleting stale chains a sync later', async () => {
    const { nft, syncer } = setup({ staleChainDelayMs: 0 });
    syncer.updateService(svc1());
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [{ ip: '10.180.0.1' }]));
    syncer.updateService(service('ns1', 'other', { clusterIP: '172.30.0.50', ports: [{ name: 'p80', port: 80 }] }));
    await syncer.sync();
    nft.scripts.length = 0;

    syncer.updateEndpointSlice(slice('ns1', 'svc1', [{ ip: '10.180.0.2' }], undefined, undefined, '2'));
    const r = await syncer.sync();
    assert.equal(r.full, false);
    assert.equal(r.portsWritten, 1);
    const lines = nft.scripts.join('').trim().split('\n');
    assert.ok(!lines.some((l) => l.includes('other') || l.includes('add table') || l.includes('flush map')), lines.join('\n'));
    assert.ok(lines.includes(`flush chain ip kube-proxy ${SVC}`));
    assert.ok(lines.includes(`flush chain ip kube-proxy ${EP1}`), 'the old endpoint chain is flushed');
    assert.ok(!lines.some((l) => l.includes('element')), 'the service-ips element still points to the same chain');

    // Its endpoints gone: the ClusterIP now rejects, and the service chain goes stale.
    syncer.updateEndpointSlice(slice('ns1', 'svc1', [], undefined, undefined, '3'));
    nft.scripts.length = 0;
    await syncer.sync();
    const next = nft.scripts.join('').trim().split('\n');
    assert.ok(next.includes(`delete chain ip kube-proxy ${EP1}`), 'the chain flushed a sync ago is deleted');
    assert.ok(next.includes('delete element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 }'));
    assert.ok(next.includes('add element ip kube-proxy no-endpoint-services { 172.30.0.41 . tcp . 80 comment "ns1/svc1:p80" : goto reject-chain }'));
    assert.ok(next.includes(`flush chain ip kube-proxy ${SVC}`));
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
