import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedHeap } from './heap.ts';

describe('KeyedHeap', () => {
  it('pops in order across updates and deletes', () => {
    const h = new KeyedHeap<number>((a, b) => a < b);
    const values = [5, 3, 9, 1, 7, 2, 8, 6, 4, 0];
    values.forEach((v) => h.set(`k${v}`, v));
    h.set('k9', -1); // moves to the front
    h.delete('k0');
    h.delete('k5');
    const out: number[] = [];
    for (let v = h.pop(); v !== undefined; v = h.pop()) out.push(v);
    assert.deepEqual(out, [-1, 1, 2, 3, 4, 6, 7, 8]);
    assert.equal(h.size, 0);
  });
});
