// How Go's fmt prints decoded JSON values (map[string]interface{}, []interface{}, string, int64, float64,
// bool, nil). Upstream's strategic merge patch errors embed values this way, and clients see those messages.
import { goQuote } from '../../api/goformat.ts';

/** The Go type a decoded JSON value has on the API server: integers decode as int64, other numbers as float64. */
export type GoJsonType = 'map[string]interface {}' | '[]interface {}' | 'string' | 'int64' | 'float64' | 'bool';

export function isJsonMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value's Go type, or null for JSON null (Go's nil interface, which has no type). */
export function goTypeOf(v: unknown): GoJsonType | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return '[]interface {}';
  switch (typeof v) {
    case 'object':
      return 'map[string]interface {}';
    case 'string':
      return 'string';
    case 'number':
      return Number.isInteger(v) ? 'int64' : 'float64';
    case 'boolean':
      return 'bool';
    default:
      return null;
  }
}

/** A float64 as %v prints it: shortest digits, exponent form below 1e-4 and from 1e6 up (1.5e+06). */
function goFloat(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  const [mantissa = '', expPart = '0'] = v.toExponential().split('e');
  const exp = Number(expPart);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(v);
}

function scalarV(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v).toString() : goFloat(v);
  return String(v);
}

function sortedKeys(m: Record<string, unknown>): string[] {
  return Object.keys(m).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** fmt.Sprintf("%v", v). */
export function sprintV(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(sprintV).join(' ')}]`;
  if (isJsonMap(v)) return `map[${sortedKeys(v).map((k) => `${k}:${sprintV(v[k])}`).join(' ')}]`;
  return scalarV(v);
}

/** fmt.Sprintf("%s", v): strings as they are, other scalars as %!s(type=value). */
export function sprintS(v: unknown): string {
  if (v === null || v === undefined) return '%!s(<nil>)';
  if (Array.isArray(v)) return `[${v.map(sprintS).join(' ')}]`;
  if (isJsonMap(v)) return `map[${sortedKeys(v).map((k) => `${k}:${sprintS(v[k])}`).join(' ')}]`;
  if (typeof v === 'string') return v;
  return `%!s(${goTypeOf(v) ?? 'interface {}'}=${scalarV(v)})`;
}

export { goQuote };
