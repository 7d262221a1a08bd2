import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goFloat, goNumber, goPrint } from './gofmt.ts';

describe('Go formatting', () => {
  it('prints float64 with %v', () => {
    assert.equal(goFloat(0.5), '0.5');
    assert.equal(goFloat(10), '10');
    assert.equal(goFloat(123456), '123456');
    assert.equal(goFloat(1000000), '1e+06');
    assert.equal(goFloat(1234567.5), '1.2345675e+06');
    assert.equal(goFloat(0.00001), '1e-05');
    assert.equal(goFloat(0.0001), '0.0001');
  });

  it('prints integers as int64', () => {
    assert.equal(goNumber(1000000), '1000000');
    assert.equal(goNumber(2.5), '2.5');
  });

  it('prints maps sorted and lists spaced', () => {
    assert.equal(goPrint({ z: null, a: [1, 'b'] }), 'map[a:[1 b] z:<nil>]');
  });
});
