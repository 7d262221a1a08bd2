// Canonical form of a resource quantity, as the API server prints it back ("1.5Gi" -> "1536Mi", "0.5" -> "500m").
// Values are kept as a BigInt count of nano-units, rounded away from zero like upstream.

type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

const NANO = 1_000_000_000n;
const QUANTITY = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/;

interface Parsed {
  negative: boolean;
  nanos: bigint; // magnitude
  format: QuantityFormat;
}

function parse(text: string): Parsed | undefined {
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const [, sign = '', whole = '', frac = '', suffix = ''] = m;
  if (whole === '' && frac === '') return undefined;
  const digits = BigInt(whole + frac);

  let format: QuantityFormat;
  let tenPower = 9 - frac.length; // digits * 10^tenPower = nanos (before the suffix)
  let twoPower = 0;
  const decimal = DECIMAL_SUFFIXES[suffix];
  const binary = BINARY_SUFFIXES[suffix];
  if (decimal !== undefined) {
    format = 'DecimalSI';
    tenPower += decimal;
  } else if (binary !== undefined) {
    format = 'BinarySI';
    twoPower = binary;
  } else {
    const exp = /^[eE]([+-]?\d+)$/.exec(suffix);
    if (!exp?.[1]) return undefined;
    format = 'DecimalExponent';
    tenPower += Number(exp[1]);
  }

  let numerator = digits << BigInt(twoPower);
  let denominator = 1n;
  if (tenPower >= 0) numerator *= 10n ** BigInt(tenPower);
  else denominator = 10n ** BigInt(-tenPower);
  const nanos = (numerator + denominator - 1n) / denominator; // round up to the nearest nano-unit
  if (format === 'BinarySI' && nanos > 0n && nanos < NANO) format = 'DecimalSI';
  return { negative: sign === '-' && nanos !== 0n, nanos, format };
}

/** The canonical string of a quantity; text that is not a quantity comes back unchanged. Missing means zero: "0". */
export function canonicalQuantity(value: unknown): string {
  if (value === undefined || value === null) return '0';
  if (typeof value === 'number') value = String(value);
  if (typeof value !== 'string') return String(value);
  const q = parse(value);
  if (!q) return value;
  if (q.nanos === 0n) return '0';
  const sign = q.negative ? '-' : '';

  let format = q.format;
  if (format === 'BinarySI' && (q.nanos < 1024n * NANO || q.nanos % NANO !== 0n)) format = 'DecimalSI';

  if (format === 'BinarySI') {
    let amount = q.nanos / NANO;
    let power = 0;
    while (amount % 1024n === 0n) {
      amount /= 1024n;
      power++;
    }
    return `${sign}${amount}${BINARY_BY_POWER[power] ?? ''}`;
  }

  let amount = q.nanos;
  let exponent = -9;
  while (amount % 10n === 0n) {
    amount /= 10n;
    exponent++;
  }
  while (exponent % 3 !== 0) {
    amount *= 10n;
    exponent--;
  }
  if (format === 'DecimalExponent') return `${sign}${amount}${exponent === 0 ? '' : `e${exponent}`}`;
  return `${sign}${amount}${DECIMAL_BY_EXPONENT.get(exponent) ?? ''}`;
}
