// The nftables mode writes map elements as nf_tables netlink messages (src/proxy/nft-netlink.ts, sent by the
// nfnl-send helper) instead of `nft` text. Two proxies, one each way, each in a network namespace of its own, go
// through the same full, partial and repeated full syncs; after each, what the real kernel holds — read back with
// `nft -j` — must be the same, element for element (comments included). Needs root and a C compiler.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { silentLogger } from '../../src/log.ts';
import { service, slice } from '../../src/proxy/fixtures.testutil.ts';
import { netlinkSender } from '../../src/proxy/nfnl-helper.ts';
import { ExecNftables } from '../../src/proxy/nft.ts';
import { NftSyncer } from '../../src/proxy/nft-syncer.ts';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

/** The table as nft reads it back, with every set's elements sorted and rule handles dropped. */
async function tableOf(ns: string): Promise<unknown[]> {
  const { stdout } = await run('ip', ['netns', 'exec', ns, 'nft', '-j', 'list', 'table', 'ip', 'kube-proxy'], { maxBuffer: 64 << 20 });
  const items = (JSON.parse(stdout) as { nftables: Record<string, Record<string, unknown>>[] }).nftables.filter((i) => !('metainfo' in i));
  for (const item of items) {
    for (const body of Object.values(item)) {
      delete body['handle'];
      if (Array.isArray(body['elem'])) body['elem'] = body['elem'].map((e) => JSON.stringify(e)).sort();
    }
  }
  return items.map((i) => JSON.stringify(i)).sort();
}

function newSyncer(ns: string, netlink: boolean): NftSyncer {
  return new NftSyncer({
    nftables: new ExecNftables({ netns: ns, netlink }),
    nodeName: 'node-a',
    nodeIPs: ['192.168.77.1'],
    clusterCIDR: '10.244.0.0/16',
    serviceCIDRs: ['10.96.0.0/12'],
    logger: silentLogger(),
    conntrack: null,
    staleChainDelayMs: 0,
  });
}

describe('nftables elements written as netlink messages', { skip: !isRoot && 'needs root' }, () => {
  const namespaces = [`skt-nl-${randomBytes(3).toString('hex')}`, `skt-tx-${randomBytes(3).toString('hex')}`] as const;
  let netlink: NftSyncer;
  let text: NftSyncer;

  before(async () => {
    assert.ok(await netlinkSender(), 'the nfnl-send helper builds (a C compiler is needed)');
    for (const ns of namespaces) execFileSync('ip', ['netns', 'add', ns]);
    netlink = newSyncer(namespaces[0], true);
    text = newSyncer(namespaces[1], false);
  });
  after(() => {
    for (const ns of namespaces) execFileSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' });
  });

  const both = (f: (s: NftSyncer) => void) => [netlink, text].forEach(f);
  async function syncAndCompare(what: string): Promise<unknown[]> {
    const [a, b] = await Promise.all([netlink.sync(), text.sync()]);
    assert.equal(a.full, b.full);
    const [viaNetlink, viaText] = await Promise.all(namespaces.map(tableOf));
    assert.deepEqual(viaNetlink, viaText, `${what}: the kernel holds the same table both ways`);
    return viaNetlink!;
  }

  it('a full sync of every kind of Service port leaves the same table as nft text', async () => {
    both((s) => {
      s.updateService(service('ns', 'web', { clusterIP: '10.96.0.20', ports: [{ name: 'p80', port: 80 }] }));
      s.updateEndpointSlice(slice('ns', 'web', [{ ip: '10.244.0.11', node: 'node-a' }, { ip: '10.244.1.12', node: 'node-b' }]));
      s.updateService(service('ns', 'dns', { type: 'NodePort', clusterIP: '10.96.0.10', externalIPs: ['192.168.99.5'], ports: [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 }] }));
      s.updateEndpointSlice(slice('ns', 'dns', [{ ip: '10.244.0.21', node: 'node-a' }, { ip: '10.244.1.22', node: 'node-b' }, { ip: '10.244.1.23', node: 'node-b' }], [{ name: 'dns', port: 5353, protocol: 'UDP' }]));
      // No endpoints: reject entries carrying a comment.
      s.updateService(service('ns', 'empty', { type: 'NodePort', clusterIP: '10.96.0.30', ports: [{ name: 'p80', port: 80, nodePort: 30080 }] }));
      // internalTrafficPolicy Local with no local endpoint: a drop entry.
      s.updateService(service('ns', 'local', { clusterIP: '10.96.0.40', internalTrafficPolicy: 'Local', ports: [{ name: 'p80', port: 80 }] }));
      s.updateEndpointSlice(slice('ns', 'local', [{ ip: '10.244.1.41', node: 'node-b' }]));
      // Upstream's per-port chains and affinity sets.
      s.updateService(service('ns', 'sticky', { clusterIP: '10.96.0.50', sessionAffinity: 'ClientIP', ports: [{ name: 'p80', port: 80 }] }));
      s.updateEndpointSlice(slice('ns', 'sticky', [{ ip: '10.244.0.51', node: 'node-a' }]));
      s.updateService(service('ns', 'lb', { type: 'LoadBalancer', clusterIP: '10.96.0.60', loadBalancerSourceRanges: ['203.0.113.0/24'], ports: [{ name: 'p443', port: 443, nodePort: 30443 }] }, { loadBalancer: { ingress: [{ ip: '192.168.99.60' }] } }));
      s.updateEndpointSlice(slice('ns', 'lb', [{ ip: '10.244.0.61', node: 'node-a' }], [{ name: 'p443', port: 8443 }]));
      s.updateService(service('ns', 'sctp', { clusterIP: '10.96.0.70', ports: [{ name: 's', port: 9999, protocol: 'SCTP' }] }));
      s.updateEndpointSlice(slice('ns', 'sctp', [{ ip: '10.244.1.71', node: 'node-b' }], [{ name: 's', port: 9999, protocol: 'SCTP' }]));
    });
    const table = (await syncAndCompare('full sync')) as string[];
    assert.ok(table.some((i) => i.includes('"name":"hairpin-endpoints"') && i.includes('"elem"')), 'the hairpin set holds the local endpoints');
    // What a restarted proxy reads back to find stale chains and sets: the sticky Service's chain and affinity set.
    const objects = await new ExecNftables({ netns: namespaces[0] }).listObjects();
    assert.ok(objects.chains.includes('services') && objects.chains.some((c) => c.includes('ns/sticky/tcp/p80')), `chains: ${objects.chains.join(' ')}`);
    assert.ok(objects.sets.includes('cluster-ips') && objects.sets.some((x) => x.startsWith('affinity-')), `sets: ${objects.sets.join(' ')}`);
    const elements = table.join('\n');
    // The comparison means something only if the kinds of element are there.
    for (const want of ['10.96.0.20', '192.168.99.5', 'pick-nodeport-udp-3', 'goto', 'reject-chain', 'comment', 'drop', '10.244.1.71', 'ns/empty:p80']) {
      assert.ok(elements.includes(want), `the table holds ${want}`);
    }
  });

  it('partial syncs (endpoints replaced, scaled down, a Service added, one removed) stay the same both ways', async () => {
    both((s) => {
      s.updateEndpointSlice(slice('ns', 'web', [{ ip: '10.244.0.13', node: 'node-a' }, { ip: '10.244.1.12', node: 'node-b' }], undefined, 'web-abcde', '2'));
      s.updateEndpointSlice(slice('ns', 'dns', [{ ip: '10.244.1.22', node: 'node-b' }], [{ name: 'dns', port: 5353, protocol: 'UDP' }], 'dns-abcde', '2'));
      s.updateEndpointSlice(slice('ns', 'empty', [{ ip: '10.244.0.31', node: 'node-a' }], undefined, 'empty-abcde', '2'));
      s.deleteService(service('ns', 'sticky', { clusterIP: '10.96.0.50' }));
      s.updateService(service('ns', 'new', { clusterIP: '10.96.0.80', ports: [{ name: 'p80', port: 80 }] }));
      s.updateEndpointSlice(slice('ns', 'new', [{ ip: '10.244.0.81', node: 'node-a' }]));
    });
    // (The hairpin set keeps the replaced pod's pair until the next full sync: nft-syncer.ts, #elementDiffOps.)
    const table = (await syncAndCompare('partial sync')).filter((i) => !String(i).includes('"hairpin-endpoints"')).join('\n');
    assert.ok(table.includes('10.244.0.13') && !table.includes('10.244.0.11'), 'the replaced endpoint is gone');
    // The sticky Service's chains were flushed in the element batch and are deleted by the next sync.
    await syncAndCompare('stale chains deleted');
  });

  it('a full resync over existing rules (flush and refill) stays the same both ways', async () => {
    both((s) => s.requestFullSync());
    await syncAndCompare('full resync');
  });

  it('nft scripts the helper runs report nft\'s errors and output as nft run directly does', async () => {
    const viaHelper = new ExecNftables({ netns: namespaces[0] });
    const direct = new ExecNftables({ netns: namespaces[1], netlink: false });
    const bad = 'add chain ip kube-proxy fine-chain\nadd rule ip kube-proxy no-such-chain counter\n';
    const errors = await Promise.all([viaHelper, direct].map((n) => n.run(bad).then(() => 'no error', (e: Error) => e.message)));
    assert.match(errors[0]!, /^nft -f failed \(exit 1\): .*No such file or directory[^]*\n2: add rule ip kube-proxy no-such-chain counter/);
    assert.equal(errors[0], errors[1]);
    // Nothing of a failed script is applied; listings come back through the helper.
    assert.ok(!(await viaHelper.listChains()).includes('fine-chain'));
    assert.deepEqual((await viaHelper.listObjects()).sets, (await direct.listObjects()).sets);
    viaHelper.close();
  });
});
