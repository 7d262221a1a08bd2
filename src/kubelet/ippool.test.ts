import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadCIDRError, formatIP, parseCIDR, PodIPExhaustedError, PodIPPool } from './ippool.ts';

void describe('PodIPPool', () => {
  void it('skips the network, gateway and broadcast addresses and gives each owner one address per CIDR', () => {
    const pool = new PodIPPool(['10.244.3.0/24', 'fd00:10:244:3::/64']);
    assert.deepEqual(pool.allocate('a'), ['10.244.3.2', 'fd00:10:244:3::2']);
    assert.deepEqual(pool.allocate('a'), ['10.244.3.2', 'fd00:10:244:3::2'], 'the same owner gets the same addresses');
    assert.deepEqual(pool.allocate('b'), ['10.244.3.3', 'fd00:10:244:3::3']);
    assert.equal(pool.allocated, 2);
  });

  void it('does not hand a released address out again at once, and knows addresses given before a restart', () => {
    const pool = new PodIPPool(['10.0.0.0/29']); // .2 … .6 usable
    pool.occupy('old', ['10.0.0.3']);
    assert.deepEqual(pool.allocate('x'), ['10.0.0.2']);
    assert.deepEqual(pool.allocate('y'), ['10.0.0.4']);
    pool.release('x');
    assert.deepEqual(pool.allocate('z'), ['10.0.0.5']);
    assert.deepEqual(pool.allocate('w'), ['10.0.0.6']);
    assert.deepEqual(pool.allocate('v'), ['10.0.0.2'], 'wraps around to the freed address');
    assert.throws(() => pool.allocate('full'), PodIPExhaustedError);
    pool.occupy('outside', ['10.9.9.9']);
    assert.equal(pool.contains('10.9.9.9'), false);
    assert.equal(pool.contains('10.0.0.7'), false, 'broadcast');
  });

  void it('parses and formats CIDRs', () => {
    assert.equal(formatIP(parseCIDR('10.244.3.77/24').base, 4), '10.244.3.0');
    assert.equal(formatIP(parseCIDR('fd00::1/64').base, 6), 'fd00::');
    assert.throws(() => parseCIDR('10.0.0.0/33'), BadCIDRError);
    assert.throws(() => new PodIPPool(['10.0.0.0/31']), BadCIDRError);
  });
});
