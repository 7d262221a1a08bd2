import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CIDRRangeFullError, CIDRSet, CIDRSetError } from './nodeipam-cidrset.ts';

void describe('CIDRSet', () => {
  void it('hands out each node subnet once, rotating past freed ones', () => {
    const set = new CIDRSet('10.244.0.0/22', 24);
    assert.equal(set.size, 4);
    assert.equal(set.allocateNext(), '10.244.0.0/24');
    assert.equal(set.allocateNext(), '10.244.1.0/24');
    set.release('10.244.0.0/24');
    assert.equal(set.allocateNext(), '10.244.2.0/24');
    assert.equal(set.allocateNext(), '10.244.3.0/24');
    assert.equal(set.allocateNext(), '10.244.0.0/24');
    assert.throws(() => set.allocateNext(), CIDRRangeFullError);
  });

  void it('occupies existing subnets and larger or overlapping ranges', () => {
    const set = new CIDRSet('10.0.0.0/16', 24);
    assert.equal(set.occupy('10.0.0.0/23'), true);
    assert.equal(set.occupy('10.0.5.0/24'), true);
    assert.equal(set.occupy('192.168.0.0/24'), false);
    assert.equal(set.allocatedCount, 3);
    assert.equal(set.allocateNext(), '10.0.2.0/24');
    // A Service range that covers the whole cluster CIDR leaves nothing.
    const covered = new CIDRSet('10.96.0.0/16', 24);
    covered.occupy('10.96.0.0/12');
    assert.throws(() => covered.allocateNext(), CIDRRangeFullError);
  });

  void it('works for IPv6 and refuses impossible sizes', () => {
    const v6 = new CIDRSet('fd00:10:244::/56', 64);
    assert.equal(v6.allocateNext(), 'fd00:10:244::/64');
    assert.equal(v6.allocateNext(), 'fd00:10:244:1::/64');
    assert.throws(() => new CIDRSet('10.0.0.0/16', 8), CIDRSetError);
    assert.throws(() => new CIDRSet('10.0.0.0/8', 28), /more than 2\^16/);
    assert.throws(() => new CIDRSet('nonsense', 24), /invalid CIDR/);
  });
});
