import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { endpointChain, hash16, isServiceChain, JUMP_RULES, jumpRuleArgs, servicePortChains } from './chains.ts';

describe('chain names', () => {
  it('hash service ports and endpoints exactly as upstream kube-proxy does', () => {
    // Values from upstream's proxier tests (pkg/proxy/iptables/proxier_test.go).
    assert.deepEqual(servicePortChains('ns1/svc1:p80', 'TCP'), {
      cluster: 'KUBE-SVC-XPGD46QRK7WJZT7O',
      local: 'KUBE-SVL-XPGD46QRK7WJZT7O',
      external: 'KUBE-EXT-XPGD46QRK7WJZT7O',
      firewall: 'KUBE-FW-XPGD46QRK7WJZT7O',
    });
    assert.equal(servicePortChains('ns2/svc2:p80', 'tcp').cluster, 'KUBE-SVC-GNZBNJ2PO5MGZ6GT');
    assert.equal(servicePortChains('ns4/svc4:p80', 'TCP').cluster, 'KUBE-SVC-4SW47YFZTEDKD3PK');
    assert.equal(endpointChain('ns1/svc1:p80', 'TCP', '10.180.0.1:80'), 'KUBE-SEP-SXIVWICOYRO3J4NJ');
    assert.equal(endpointChain('ns4/svc4:p80', 'TCP', '10.180.0.4:80'), 'KUBE-SEP-UKSFD7AGPMPPLUHC');
    assert.equal(endpointChain('ns4/svc4:p80', 'TCP', '10.180.0.5:80'), 'KUBE-SEP-C6EBXVWJJZMIWKLZ');
  });

  it('give the protocol a part in the hash, so a TCP and a UDP port of one name differ', () => {
    assert.notEqual(servicePortChains('kube-system/kube-dns:dns', 'UDP').cluster, servicePortChains('kube-system/kube-dns:dns', 'TCP').cluster);
    assert.match(hash16('anything'), /^[A-Z2-7]{16}$/);
  });

  it('tell per-service chains from the top-level ones', () => {
    for (const c of ['KUBE-SVC-XPGD46QRK7WJZT7O', 'KUBE-SVL-X', 'KUBE-EXT-X', 'KUBE-FW-X', 'KUBE-SEP-X']) assert.ok(isServiceChain(c), c);
    for (const c of ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-MARK-MASQ', 'KUBE-POSTROUTING', 'KUBE-FORWARD', 'KUBE-FIREWALL']) assert.ok(!isServiceChain(c), c);
  });

  it('spell the jump rules as upstream does', () => {
    const prerouting = JUMP_RULES.find((j) => j.table === 'nat' && j.from === 'PREROUTING')!;
    assert.deepEqual(jumpRuleArgs(prerouting), ['-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES']);
    const forward = JUMP_RULES.find((j) => j.table === 'filter' && j.from === 'FORWARD' && j.to === 'KUBE-SERVICES')!;
    assert.deepEqual(jumpRuleArgs(forward), ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES']);
  });
});
