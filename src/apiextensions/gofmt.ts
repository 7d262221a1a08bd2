// How Go's fmt prints decoded JSON values. Go decodes a JSON number to int64 when it is integral and to
// float64 otherwise; Skiff treats every integral JS number as the int64 case.
import { isObj, sortedJson } from './jsonschema.ts';
import { goJSON } from '../api/validation.ts';

/** strconv.FormatFloat(f, 'g', -1, 64), which is what %v prints for a float64. */
export function goFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mantissa = '', expText = '0'] = f.toExponential().split('e');
  const exp = Number(expText);
  // The shortest form switches to an exponent below 1e-4 and from 1e6 on (precision 6).
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    const digits = String(Math.abs(exp)).padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  return String(f);
}

/** %v of a number as it came out of JSON: integers print as int64, the rest as float64. */
export function goNumber(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 2 ** 63 ? BigInt(n).toString() : goFloat(n);
}

/** fmt.Sprint of a JSON-decoded value: map[a:1 b:x], [1 2], <nil>, plain strings. */
export function goPrint(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goPrint).join(' ')}]`;
  if (isObj(v)) {
    return `map[${Object.keys(v).sort().map((k) => `${k}:${goPrint(v[k])}`).join(' ')}]`;
  }
  return String(v);
}

/** Go's json.Marshal of a decoded value (map keys sorted). */
export function goMarshal(v: unknown): string {
  return goJSON(sortedJson(v));
}
