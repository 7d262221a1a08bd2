import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiTime, goDuration, podFullName } from './format.ts';

describe('format', () => {
  it("prints durations as Go's time.Duration does (to the millisecond)", () => {
    assert.equal(goDuration(0), '0s');
    assert.equal(goDuration(313), '313ms');
    assert.equal(goDuration(1393), '1.393s');
    assert.equal(goDuration(1500), '1.5s');
    assert.equal(goDuration(10_000), '10s');
    assert.equal(goDuration(80_000), '1m20s');
    assert.equal(goDuration(300_000), '5m0s');
    assert.equal(goDuration(3_600_000), '1h0m0s');
  });
  it('names pods and times as kubelet and the API do', () => {
    assert.equal(podFullName({ metadata: { name: 'p', namespace: 'ns', uid: 'u' } }), 'p_ns(u)');
    assert.equal(apiTime(Date.parse('2025-01-02T03:04:05.678Z')), '2025-01-02T03:04:05Z');
  });
});
