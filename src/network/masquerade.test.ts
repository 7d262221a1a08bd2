import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { masqueradeRules, MASQUERADE_CHAIN } from './masquerade.ts';

describe('pod masquerade rules', () => {
  it('masquerades each IPv4 pod CIDR leaving by any interface but the bridge, in one chain', () => {
    assert.equal(
      masqueradeRules(['10.244.1.0/24', 'fd00::/64'], 'cni0'),
      `*nat\n:${MASQUERADE_CHAIN} - [0:0]\n-A ${MASQUERADE_CHAIN} -s 10.244.1.0/24 ! -o cni0 -m comment --comment "skiff: pods leaving the node" -j MASQUERADE\nCOMMIT\n`,
    );
  });
});
