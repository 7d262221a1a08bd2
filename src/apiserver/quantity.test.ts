import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  QuantityParseError,
  addQuantities,
  canonicalQuantity,
  compareQuantities,
  isZeroQuantity,
  parseQuantity,
  quantityErrors,
  quantityFromInt,
  quantityFromJson,
  quantityFromMilli,
  quantityMilliValue,
  quantityToNumber,
  quantityToString,
  quantityValue,
  subtractQuantities,
} from './quantity.ts';

const q = parseQuantity;
const MAX_INT64 = 9223372036854775807n;

function parseFails(s: string): string {
  try {
    parseQuantity(s);
  } catch (e) {
    assert.ok(e instanceof QuantityParseError, String(e));
    assert.equal(e.name, 'QuantityParseError');
    return e.message;
  }
  assert.fail(`${JSON.stringify(s)} parsed`);
}

describe('parseQuantity and quantityToString', () => {
  it('print the canonical form upstream stores', () => {
    const cases: Array<[string, string, string]> = [
      // input, printed, format
      ['1.5Gi', '1536Mi', 'BinarySI'],
      ['0.1', '100m', 'DecimalSI'],
      ['0.5', '500m', 'DecimalSI'],
      ['1.5', '1500m', 'DecimalSI'],
      ['1000m', '1', 'DecimalSI'],
      ['1e3', '1e3', 'DecimalExponent'],
      ['1.5e3', '1500', 'DecimalExponent'],
      ['1E-3', '1E-3', 'DecimalExponent'],
      ['1.2e3', '1200', 'DecimalExponent'],
      ['100M', '100M', 'DecimalSI'],
      ['1000k', '1M', 'DecimalSI'],
      ['1500k', '1500k', 'DecimalSI'],
      ['1Ki', '1Ki', 'BinarySI'],
      ['1024Ki', '1Mi', 'BinarySI'],
      ['2048Ki', '2Mi', 'BinarySI'],
      ['1023Ki', '1023Ki', 'BinarySI'],
      ['0.5Ki', '512', 'BinarySI'],
      ['-1.5Gi', '-1536Mi', 'BinarySI'],
      ['0', '0', 'DecimalSI'],
      ['-0', '0', 'DecimalSI'],
      ['00', '0', 'DecimalSI'],
      ['0Ki', '0', 'BinarySI'],
      ['12E', '12E', 'DecimalSI'],
      ['5n', '5n', 'DecimalSI'],
      ['4u', '4u', 'DecimalSI'],
    ];
    for (const [input, printed, format] of cases) {
      const v = q(input);
      assert.equal(quantityToString(v), printed, input);
      assert.equal(v.format, format, input);
      assert.equal(canonicalQuantity(input), printed, input);
    }
  });

  it('keep the input text where upstream does, including its oddities', () => {
    assert.equal(canonicalQuantity('+1'), '+1');
    assert.equal(canonicalQuantity('0100m'), '0100m');
    assert.equal(canonicalQuantity('100.035k'), '100.035k');
    assert.equal(canonicalQuantity('1.'), '1.');
    // equal values, whatever the text
    assert.equal(compareQuantities(q('0100m'), q('100m')), 0);
  });

  it('round up to nano units and cap binary values', () => {
    assert.equal(canonicalQuantity('0.0000000001'), '1n');
    assert.equal(canonicalQuantity('3.001n'), '4n');
    assert.equal(canonicalQuantity('0.9n'), '1n');
    assert.equal(canonicalQuantity('1.1E-9'), '2e-9');
    assert.equal(canonicalQuantity('-0.0000000001'), '-1n');
    assert.equal(canonicalQuantity('0.00000012345'), '124n');
    // a binary value below 1 prints as decimal
    const tiny = q('0.000000000001Ki');
    assert.equal(tiny.format, 'DecimalSI');
    assert.equal(quantityToString(tiny), '2n');
    assert.equal(canonicalQuantity('9Ei'), '9223372036854775807');
    assert.equal(canonicalQuantity('9223372036854775807Ki'), '9223372036854775807');
    assert.equal(canonicalQuantity('-9Ei'), '-9223372036854775807');
  });

  it('prints no suffix past E, as upstream', () => {
    assert.equal(canonicalQuantity('1000E'), '1');
    assert.equal(compareQuantities(q('1000E'), q('1e21')), 0);
  });

  it('copes with extreme exponents without expanding them', () => {
    assert.equal(canonicalQuantity('1e2147483647'), '10e2147483646');
    assert.equal(canonicalQuantity('1e-2147483648'), '1e-9');
    assert.equal(canonicalQuantity('1e4294967296'), '1e4294967296'); // int32 wrap: the value is 1
    assert.equal(compareQuantities(q('1e4294967296'), q('1')), 0);
    assert.equal(compareQuantities(q('1e2147483647'), q('9Ei')), 1);
    assert.equal(quantityValue(q('1e2147483647')), MAX_INT64);
  });

  it("rejects malformed input with upstream's messages", () => {
    for (const s of ['', ' 1', '1 ', 'aoeu', '1.1.M', '1+1.0M', '-3.01e-x', '1Ki ', '1e3e', '0.1am']) assert.equal(parseFails(s), quantityErrors.formatWrong, s);
    for (const s of ['1i', '0.1mi', '1e', '1e-', '.5i', '-3.01i', '1Ki5', '1e9223372036854775808']) assert.equal(parseFails(s), quantityErrors.suffix, s);
    for (const s of ['.Pi', '.e-10']) assert.equal(parseFails(s), quantityErrors.numeric, s);
    assert.equal(quantityErrors.formatWrong, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  });

  it('accepts the forms upstream accepts', () => {
    for (const [s, v] of [['.5', '500m'], ['.001', '1m'], ['1.G', '1.G'], ['+.5Ki', '512'], ['1e+3', '1e+3'], ['+', '0'], ['.', '0']] as const) {
      assert.equal(canonicalQuantity(s), v, s);
    }
  });
});

describe('comparing and arithmetic', () => {
  it('compares exactly across formats', () => {
    assert.equal(compareQuantities(q('1Ki'), q('1024')), 0);
    assert.equal(compareQuantities(q('1e3'), q('1k')), 0);
    assert.equal(compareQuantities(q('999m'), q('1')), -1);
    assert.equal(compareQuantities(q('1'), q('999m')), 1);
    assert.equal(compareQuantities(q('-1'), q('1n')), -1);
    assert.equal(compareQuantities(q('-2'), q('-1')), -1);
    assert.equal(compareQuantities(q('0'), q('-0')), 0);
    assert.equal(compareQuantities(q('1Gi'), q('1G')), 1);
  });

  it("adds and subtracts exactly, keeping the first operand's format unless it is zero", () => {
    const add = (a: string, b: string) => addQuantities(q(a), q(b));
    const sub = (a: string, b: string) => subtractQuantities(q(a), q(b));
    assert.equal(quantityToString(add('1Ki', '1')), '1025');
    assert.equal(add('1Ki', '1').format, 'BinarySI');
    assert.equal(quantityToString(add('0', '1Ki')), '1Ki');
    assert.equal(quantityToString(add('0Ki', '100m')), '100m');
    assert.equal(quantityToString(add('1.5Gi', '512Mi')), '2Gi');
    assert.equal(quantityToString(add('100m', '900m')), '1');
    assert.equal(quantityToString(sub('1', '1')), '0');
    assert.equal(quantityToString(sub('0', '1Ki')), '-1Ki');
    assert.equal(quantityToString(sub('1', '250m')), '750m');
    // results drop the remembered text
    assert.equal(quantityToString(add('+1', '0')), '1');
    assert.equal(isZeroQuantity(sub('5m', '5m')), true);
  });
});

describe('values', () => {
  it('gives milli and whole values rounded away from zero', () => {
    assert.equal(quantityMilliValue(q('100m')), 100n);
    assert.equal(quantityMilliValue(q('1')), 1000n);
    assert.equal(quantityMilliValue(q('0.5n')), 1n);
    assert.equal(quantityMilliValue(q('1.5')), 1500n);
    assert.equal(quantityValue(q('1.5')), 2n);
    assert.equal(quantityValue(q('1Gi')), 1073741824n);
    assert.equal(quantityValue(q('1e3')), 1000n);
    assert.equal(quantityValue(q('-1.5')), -2n);
    assert.equal(quantityToNumber(q('250m')), 0.25);
    assert.equal(quantityToNumber(q('2Ki')), 2048);
  });

  it('saturates at the int64 bounds where upstream would overflow', () => {
    assert.equal(quantityMilliValue(q('9Ei')), MAX_INT64);
    assert.equal(quantityMilliValue(q('-9Ei')), -MAX_INT64 - 1n);
    assert.equal(quantityValue(q('1000E')), MAX_INT64);
  });
});

describe('constructors', () => {
  it('build quantities as upstream NewQuantity / NewMilliQuantity do', () => {
    assert.equal(quantityToString(quantityFromMilli(1500)), '1500m');
    assert.equal(quantityToString(quantityFromMilli(2000)), '2');
    assert.equal(quantityToString(quantityFromMilli(500, 'BinarySI')), '500m');
    assert.equal(quantityToString(quantityFromInt(1024, 'BinarySI')), '1Ki');
    assert.equal(quantityToString(quantityFromInt(1000, 'BinarySI')), '1k'); // below 1Ki prints as decimal
    assert.equal(quantityToString(quantityFromInt(5000n)), '5k');
    assert.equal(quantityToString(quantityFromInt(5000, 'DecimalExponent')), '5e3');
    assert.equal(quantityToString(quantityFromInt(0, 'BinarySI')), '0');
  });

  it('read JSON values: strings (trimmed) and numbers', () => {
    assert.equal(quantityToString(quantityFromJson(' 1Gi ')), '1Gi');
    assert.equal(quantityToString(quantityFromJson(0.5)), '500m');
    assert.equal(quantityToString(quantityFromJson(2)), '2');
    assert.equal(quantityToString(quantityFromJson(null)), '0');
    assert.throws(() => quantityFromJson(true), QuantityParseError);
    assert.throws(() => quantityFromJson(Number.NaN), QuantityParseError);
  });
});
