import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointAddress } from 'kubernetes-types/core/v1.d.ts';
import { canonicalSubsets, MAX_CAPACITY, repackSubsets, truncateSubsets } from './endpoints-subsets.ts';

const addr = (ip: string, uid = `uid-${ip}`): EndpointAddress => ({ ip, targetRef: { kind: 'Pod', name: ip, uid } });
const http = { name: 'http', port: 80, protocol: 'TCP' };
const metrics = { name: 'metrics', port: 9100, protocol: 'TCP' };

describe('repackSubsets', () => {
  it('merges ports offered by the same addresses and sorts addresses by IP', () => {
    const out = repackSubsets([
      { addresses: [addr('10.0.0.2')], ports: [http] },
      { addresses: [addr('10.0.0.1')], ports: [http] },
      { addresses: [addr('10.0.0.2')], ports: [metrics] },
      { addresses: [addr('10.0.0.1')], ports: [metrics] },
    ]);
    assert.deepEqual(out, [{ addresses: [addr('10.0.0.1'), addr('10.0.0.2')], ports: [http, metrics] }]);
  });

  it('keeps an address not ready on a port where any subset says so, and splits differing address sets', () => {
    const out = repackSubsets([
      { addresses: [addr('10.0.0.1')], ports: [http] },
      { notReadyAddresses: [addr('10.0.0.1')], ports: [http] },
      { addresses: [addr('10.0.0.2')], ports: [metrics] },
    ]);
    assert.equal(out.length, 2);
    assert.deepEqual(
      out.find((s) => s.ports?.[0]?.name === 'http'),
      { notReadyAddresses: [addr('10.0.0.1')], ports: [http] },
    );
    assert.deepEqual(
      out.find((s) => s.ports?.[0]?.name === 'metrics'),
      { addresses: [addr('10.0.0.2')], ports: [metrics] },
    );
  });

  it('keeps addresses that have no ports (headless Service without ports)', () => {
    assert.deepEqual(repackSubsets([{ addresses: [addr('10.0.0.1')], ports: [] }]), [{ addresses: [addr('10.0.0.1')] }]);
  });

  it('compares subsets regardless of the pods’ resourceVersions', () => {
    const a = [{ addresses: [{ ...addr('10.0.0.1'), targetRef: { kind: 'Pod', name: 'x', uid: 'u', resourceVersion: '5' } }], ports: [http] }];
    const b = [{ addresses: [{ ...addr('10.0.0.1'), targetRef: { kind: 'Pod', name: 'x', uid: 'u', resourceVersion: '9' } }], ports: [http] }];
    assert.equal(canonicalSubsets(a), canonicalSubsets(b));
    assert.notEqual(canonicalSubsets(a), canonicalSubsets([{ notReadyAddresses: a[0]!.addresses, ports: [http] }]));
  });
});

describe('truncateSubsets', () => {
  it('cuts to the capacity, keeping ready addresses before not-ready ones', () => {
    const ready = Array.from({ length: 900 }, (_, i) => addr(`10.1.${Math.floor(i / 250)}.${i % 250}`));
    const notReady = Array.from({ length: 300 }, (_, i) => addr(`10.2.${Math.floor(i / 250)}.${i % 250}`));
    const subsets = [{ addresses: ready, notReadyAddresses: notReady, ports: [http] }];
    assert.equal(truncateSubsets(subsets), true);
    assert.equal(subsets[0]!.addresses.length, 900);
    assert.equal(subsets[0]!.notReadyAddresses.length, MAX_CAPACITY - 900);
    assert.equal(truncateSubsets([{ addresses: ready.slice(0, 10), ports: [http] }]), false);
  });
});
