// Go's time.ParseDuration, as kubectl's duration flags (--timeout) read their value: `30s`, `1m30s`, `1.5h`, `500ms`,
// `0`; a number without a unit is an error.
const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export class DurationError extends Error {
  override name = 'DurationError';
}

/** Milliseconds in a Go duration string; throws DurationError with Go's message. */
export function parseGoDuration(text: string): number {
  const quoted = JSON.stringify(text);
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new DurationError(`time: invalid duration ${quoted}`);
  let total = 0;
  const part = /^(\d*)(?:\.(\d*))?([^\d.]*)/;
  while (s) {
    const m = part.exec(s)!;
    const [whole, int = '', frac, unit = ''] = m;
    if (int === '' && (frac === undefined || frac === '')) throw new DurationError(`time: invalid duration ${quoted}`);
    if (unit === '') throw new DurationError(`time: missing unit in duration ${quoted}`);
    const factor = UNITS[unit];
    if (factor === undefined) throw new DurationError(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    total += Number(`${int || '0'}.${frac || '0'}`) * factor;
    s = s.slice(whole.length);
  }
  return sign * total;
}

/** Milliseconds in a Go duration string, or undefined when it is not one. */
export function tryParseGoDuration(text: string): number | undefined {
  try {
    return parseGoDuration(text);
  } catch (err) {
    if (err instanceof DurationError) return undefined;
    throw err;
  }
}
