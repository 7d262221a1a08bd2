// resource.Quantity as upstream parses, stores and prints it (apimachinery pkg/api/resource):
// exact decimal values (rounded up to nano units on parse), a remembered format, and the canonical string.

export type QuantityFormat = 'DecimalExponent' | 'BinarySI' | 'DecimalSI';

export interface Quantity {
  /** The value is coefficient × 10^exponent, exactly; the coefficient carries the sign and no trailing zeros. */
  readonly coefficient: bigint;
  readonly exponent: number;
  readonly format: QuantityFormat;
  /** The string as parsed, when upstream keeps it as the printed form (it does for input already canonical). */
  readonly text?: string;
}

const splitRE = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';

/** upstream's parse errors, with its messages. */
export const quantityErrors = {
  formatWrong: `quantities must match the regular expression '${splitRE}'`,
  numeric: 'unable to parse numeric part of quantity',
  suffix: "unable to parse quantity's suffix",
} as const;

export class QuantityParseError extends Error {
  override name = 'QuantityParseError';
}

const decimalSuffixes: ReadonlyMap<string, number> = new Map([
  ['n', -9], ['u', -6], ['m', -3], ['', 0], ['k', 3], ['M', 6], ['G', 9], ['T', 12], ['P', 15], ['E', 18],
]);
const binarySuffixes: ReadonlyMap<string, number> = new Map([['Ki', 10], ['Mi', 20], ['Gi', 30], ['Ti', 40], ['Pi', 50], ['Ei', 60]]);
const decimalSuffixByExponent = new Map([...decimalSuffixes].map(([s, e]) => [e, s]));
const binarySuffixByPower = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

const MAX_INT64 = 9223372036854775807n;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

interface Scanned {
  positive: boolean;
  /** digits before the point, leading zeros removed ("0" when none) */
  num: string;
  /** digits after the point */
  denom: string;
  suffix: string;
  /** whether the number part has any digit at all */
  hasDigits: boolean;
}

// upstream's parseQuantityString: a scanner that is looser than splitRE; the suffix is checked afterwards.
function scan(s: string): Scanned {
  let pos = 0;
  const end = s.length;
  let positive = true;
  if (s[0] === '-') {
    positive = false;
    pos++;
  } else if (s[0] === '+') {
    pos++;
  }
  const zerosFrom = pos;
  while (pos < end && s[pos] === '0') pos++;
  if (pos >= end) return { positive, num: '0', denom: '', suffix: '', hasDigits: pos > zerosFrom };
  const hadZeros = pos > zerosFrom;
  let i = pos;
  while (i < end && isDigit(s.charCodeAt(i))) i++;
  const num = i > pos ? s.slice(pos, i) : '0';
  pos = i;
  let denom = '';
  if (pos < end && s[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && isDigit(s.charCodeAt(i))) i++;
    denom = s.slice(pos, i);
    pos = i;
  }
  const suffixStart = pos;
  while (pos < end && 'eEinumkKMGTP'.includes(s[pos]!)) pos++;
  if (pos < end && (s[pos] === '-' || s[pos] === '+')) pos++;
  while (pos < end && isDigit(s.charCodeAt(pos))) pos++;
  if (pos < end) throw new QuantityParseError(quantityErrors.formatWrong);
  return { positive, num, denom, suffix: s.slice(suffixStart), hasDigits: hadZeros || num !== '0' || denom.length > 0 };
}

function interpretSuffix(suffix: string): { base: 2 | 10; exponent: number; format: QuantityFormat } {
  const dec = decimalSuffixes.get(suffix);
  if (dec !== undefined) return { base: 10, exponent: dec, format: 'DecimalSI' };
  const bin = binarySuffixes.get(suffix);
  if (bin !== undefined) return { base: 2, exponent: bin, format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E')) {
    const digits = suffix.slice(1);
    if (/^[+-]?[0-9]+$/.test(digits)) {
      const v = BigInt(digits);
      // strconv.ParseInt(…, 64), then int32(…)
      if (v <= MAX_INT64 && v >= -MAX_INT64 - 1n) return { base: 10, exponent: Number(BigInt.asIntN(32, v)), format: 'DecimalExponent' };
    }
  }
  throw new QuantityParseError(quantityErrors.suffix);
}

function digitCount(v: bigint): number {
  return (v < 0n ? -v : v).toString().length;
}

/** Strips trailing zeros from the coefficient into the exponent. */
function normalize(coefficient: bigint, exponent: number): { coefficient: bigint; exponent: number } {
  if (coefficient === 0n) return { coefficient: 0n, exponent: 0 };
  while (coefficient % 10n === 0n) {
    coefficient /= 10n;
    exponent++;
  }
  return { coefficient, exponent };
}

function make(coefficient: bigint, exponent: number, format: QuantityFormat, text?: string): Quantity {
  const n = normalize(coefficient, exponent);
  return Object.freeze(text === undefined ? { ...n, format } : { ...n, format, text });
}

/**
 * upstream's int64 fast path: whether it takes this input (exact, no rounding), and whether it then keeps
 * the input as the printed string.
 */
function fastPath(sc: Scanned, base: 2 | 10, exponent: number): { taken: boolean; keepsText: boolean } {
  const shifted = sc.num + sc.denom;
  if (base === 2) {
    if (sc.denom.length !== 0) return { taken: false, keepsText: false };
    const precision = 15 - sc.num.length - Math.trunc((exponent * 3) / 10) - 1;
    if (precision < 0) return { taken: false, keepsText: false };
    const value = BigInt(shifted);
    if (value * (1n << BigInt(exponent)) > MAX_INT64) return { taken: false, keepsText: false };
    return { taken: true, keepsText: exponent % 10 === 0 && (value & 7n) !== 0n };
  }
  if (18 - shifted.length < 0) return { taken: false, keepsText: false };
  const scale = exponent - sc.denom.length;
  if (scale < -9) return { taken: false, keepsText: false };
  return { taken: true, keepsText: scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0' };
}

/**
 * Parses a quantity string as upstream's resource.ParseQuantity does ("100m", "1Gi", "1e3", "0.5", ".5", "1.");
 * values are rounded up to nano units and binary values capped at 2^63-1.
 * Throws QuantityParseError with upstream's message.
 */
export function parseQuantity(s: string): Quantity {
  if (s.length === 0) throw new QuantityParseError(quantityErrors.formatWrong);
  if (s === '0') return make(0n, 0, 'DecimalSI', s);
  const sc = scan(s);
  const { base, exponent, format: parsedFormat } = interpretSuffix(sc.suffix);
  let format = parsedFormat;
  const fast = fastPath(sc, base, exponent);
  // The slow path reads the number with inf.Dec, which wants at least one digit ("." alone is not a number).
  if (!fast.taken && !sc.hasDigits) throw new QuantityParseError(quantityErrors.numeric);
  const text = fast.keepsText ? s : undefined;

  let coefficient = BigInt(sc.num + sc.denom);
  let exp10 = -sc.denom.length;
  if (base === 10) exp10 += exponent;
  else coefficient *= 1n << BigInt(exponent);
  if (!sc.positive) coefficient = -coefficient;
  if (text !== undefined) return make(coefficient, exp10, format, text);

  // Round the magnitude up to nano units.
  let magnitude = coefficient < 0n ? -coefficient : coefficient;
  if (exp10 < -9 && magnitude !== 0n) {
    const drop = -9 - exp10;
    if (digitCount(magnitude) <= drop) magnitude = 1n;
    else {
      const div = 10n ** BigInt(drop);
      magnitude = magnitude / div + (magnitude % div === 0n ? 0n : 1n);
    }
    exp10 = -9;
  }
  if (format === 'BinarySI') {
    if (compareMagnitude(magnitude, exp10, MAX_INT64, 0) > 0) {
      magnitude = MAX_INT64;
      exp10 = 0;
    }
    if (magnitude !== 0n && compareMagnitude(magnitude, exp10, 1n, 0) < 0) format = 'DecimalSI';
  }
  return make(sc.positive ? magnitude : -magnitude, exp10, format);
}

/** Compares |a|·10^ea with |b|·10^eb for non-negative coefficients, without expanding far-apart exponents. */
function compareMagnitude(a: bigint, ea: number, b: bigint, eb: number): number {
  if (a === 0n || b === 0n) return a === b ? 0 : a === 0n ? -1 : 1;
  const oa = digitCount(a) + ea;
  const ob = digitCount(b) + eb;
  if (oa !== ob) return oa < ob ? -1 : 1;
  // Same order of magnitude: the exponents differ by fewer than the digits, so aligning is cheap.
  const e = Math.min(ea, eb);
  const x = a * 10n ** BigInt(ea - e);
  const y = b * 10n ** BigInt(eb - e);
  return x === y ? 0 : x < y ? -1 : 1;
}

/** -1, 0 or 1 as a is less than, equal to or greater than b. */
export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  const sa = a.coefficient < 0n ? -1 : a.coefficient > 0n ? 1 : 0;
  const sb = b.coefficient < 0n ? -1 : b.coefficient > 0n ? 1 : 0;
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0) return 0;
  const c = compareMagnitude(sa < 0 ? -a.coefficient : a.coefficient, a.exponent, sb < 0 ? -b.coefficient : b.coefficient, b.exponent);
  return (sa < 0 ? -c : c) as -1 | 0 | 1;
}

export function isZeroQuantity(q: Quantity): boolean {
  return q.coefficient === 0n;
}

function aligned(a: Quantity, b: Quantity): { x: bigint; y: bigint; e: number } {
  const e = Math.min(a.exponent, b.exponent);
  return { x: a.coefficient * 10n ** BigInt(a.exponent - e), y: b.coefficient * 10n ** BigInt(b.exponent - e), e };
}

/** a + b, exact; keeps a's format unless a is zero (then b's), as upstream's Add. */
export function addQuantities(a: Quantity, b: Quantity): Quantity {
  const { x, y, e } = aligned(a, b);
  return make(x + y, e, isZeroQuantity(a) ? b.format : a.format);
}

/** a - b, exact; keeps a's format unless a is zero (then b's), as upstream's Sub. */
export function subtractQuantities(a: Quantity, b: Quantity): Quantity {
  const { x, y, e } = aligned(a, b);
  return make(x - y, e, isZeroQuantity(a) ? b.format : a.format);
}

const MIN_INT64 = -MAX_INT64 - 1n;

/**
 * The value × 10^-scale, rounded away from zero to an integer (upstream's ScaledValue). Where upstream's
 * int64 would overflow, this saturates at the int64 bounds.
 */
function scaledValue(q: Quantity, scale: number): bigint {
  const c = q.coefficient;
  if (c === 0n) return 0n;
  const e = q.exponent - scale;
  if (e >= 0) {
    if (digitCount(c) + e > 19) return c > 0n ? MAX_INT64 : MIN_INT64;
    const v = c * 10n ** BigInt(e);
    return v > MAX_INT64 ? MAX_INT64 : v < MIN_INT64 ? MIN_INT64 : v;
  }
  const div = 10n ** BigInt(-e);
  const quotient = c / div;
  const v = c % div === 0n ? quotient : c > 0n ? quotient + 1n : quotient - 1n;
  return v > MAX_INT64 ? MAX_INT64 : v < MIN_INT64 ? MIN_INT64 : v;
}

/** The value in whole units, rounded away from zero (e.g. bytes): upstream's Value(), saturating at the int64 bounds. */
export function quantityValue(q: Quantity): bigint {
  return scaledValue(q, 0);
}

/** The value in thousandths, rounded away from zero (e.g. millicores): upstream's MilliValue(), saturating at the int64 bounds. */
export function quantityMilliValue(q: Quantity): bigint {
  return scaledValue(q, -3);
}

/** The value as a float, possibly inexact (upstream's AsApproximateFloat64). */
export function quantityToNumber(q: Quantity): number {
  return Number(q.coefficient) * 10 ** q.exponent;
}

/** upstream's NewQuantity: value units in the given format. */
export function quantityFromInt(value: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity {
  return make(BigInt(value), 0, format);
}

/** upstream's NewMilliQuantity: value thousandths in the given format. */
export function quantityFromMilli(value: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity {
  return make(BigInt(value), -3, format);
}

/** The canonical string upstream prints: "500m", "1536Mi", "1e3", "100M", "0". */
export function quantityToString(q: Quantity): string {
  if (q.text !== undefined) return q.text;
  if (q.coefficient === 0n) return '0';
  let format = q.format;
  if (format === 'BinarySI') {
    const small = compareQuantities(q, quantityFromInt(-1024)) > 0 && compareQuantities(q, quantityFromInt(1024)) < 0;
    // Only whole numbers print in binary units; a huge exponent only arises from adding decimal quantities.
    if (small || q.exponent < 0 || q.exponent > 4096) format = 'DecimalSI';
    else {
      let value = q.coefficient * 10n ** BigInt(q.exponent);
      let power = 0;
      while (value % 1024n === 0n) {
        value /= 1024n;
        power++;
      }
      return `${value}${binarySuffixByPower[power] ?? ''}`;
    }
  }
  let coefficient = q.coefficient;
  let exponent = q.exponent;
  while (exponent % 3 !== 0) {
    coefficient *= 10n;
    exponent--;
  }
  if (format === 'DecimalExponent') return exponent === 0 ? `${coefficient}` : `${coefficient}e${exponent}`;
  // upstream prints no suffix at all beyond E (10^18).
  return `${coefficient}${decimalSuffixByExponent.get(exponent) ?? ''}`;
}

/** Parse then print: the form upstream stores and returns, e.g. "0.1" → "100m", "1.5Gi" → "1536Mi". */
export function canonicalQuantity(s: string): string {
  return quantityToString(parseQuantity(s));
}

/**
 * A quantity as it arrives in a JSON body: a string (surrounding whitespace ignored, as upstream's
 * UnmarshalJSON), null (zero) or a number (read from its JavaScript text, which can differ from the wire text in format only).
 */
export function quantityFromJson(v: unknown): Quantity {
  if (v === null) return quantityFromInt(0); // upstream's UnmarshalJSON reads null as zero
  if (typeof v === 'string') return parseQuantity(v.trim());
  if (typeof v === 'number' && Number.isFinite(v)) return parseQuantity(String(v));
  throw new QuantityParseError(quantityErrors.formatWrong);
}
