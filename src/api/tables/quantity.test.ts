import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalQuantity } from './quantity.ts';

describe('canonicalQuantity', () => {
  const cases: Array<[unknown, string]> = [
    ['10Gi', '10Gi'],
    ['1.5Gi', '1536Mi'],
    ['2048Mi', '2Gi'],
    ['1000Mi', '1000Mi'],
    ['1024Ki', '1Mi'],
    ['0.5Ki', '512'],
    ['1000', '1k'],
    ['1024', '1024'],
    ['0.5', '500m'],
    ['100m', '100m'],
    ['1500m', '1500m'],
    ['0.1m', '100u'],
    ['0.1n', '1n'],
    ['1e3', '1e3'],
    ['1.5e3', '1500'],
    ['-1', '-1'],
    ['0', '0'],
    ['0Gi', '0'],
    [undefined, '0'],
    [2, '2'],
    ['not-a-quantity', 'not-a-quantity'],
  ];
  for (const [input, expected] of cases) {
    it(`${String(input)} -> ${expected}`, () => assert.equal(canonicalQuantity(input), expected));
  }
});
