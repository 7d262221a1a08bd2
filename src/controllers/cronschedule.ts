// Cron schedules as the CronJob controller reads them: robfig/cron v3's ParseStandard (five fields, or a descriptor
// such as @daily or @every 1h30m, optionally after TZ=/CRON_TZ=) and its Schedule.Next, including how it walks wall
// clock time across daylight-saving changes in a time zone (IANA names, through Intl).

export class CronParseError extends Error {
  override name = 'CronParseError';
}

export interface Schedule {
  /** The first activation strictly after `afterMs` (whole seconds); undefined when none comes within five years. */
  next(afterMs: number): number | undefined;
}

// ---------------------------------------------------------------------------------------------
// Time zones.

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const zones = new Map<string, Zone>();

/** Go's time.Location for an IANA name: wall-clock fields of an instant, and the instant of wall-clock fields. */
export class Zone {
  readonly #format: Intl.DateTimeFormat | undefined;

  private constructor(readonly name: string) {
    if (name === 'UTC') return;
    this.#format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
      era: 'short',
    });
  }

  /** The zone of an IANA name ('' and 'UTC' are UTC, 'Local' the process's); throws CronParseError for unknown names. */
  static of(name: string): Zone {
    const key = name === '' ? 'UTC' : name === 'Local' ? localZoneName() : name;
    let zone = zones.get(key);
    if (!zone) {
      try {
        zone = new Zone(key);
      } catch {
        throw new CronParseError(`unknown time zone ${name}`);
      }
      zones.set(key, zone);
    }
    return zone;
  }

  wall(ms: number): Wall {
    if (!this.#format) {
      const d = new Date(ms);
      return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: d.getUTCDay() };
    }
    const parts: Record<string, string> = {};
    for (const p of this.#format.formatToParts(ms)) parts[p.type] = p.value;
    const year = Number(parts['year']);
    return {
      year: parts['era'] === 'BC' ? 1 - year : year,
      month: Number(parts['month']),
      day: Number(parts['day']),
      hour: Number(parts['hour']),
      minute: Number(parts['minute']),
      second: Number(parts['second']),
      weekday: WEEKDAYS[parts['weekday'] ?? ''] ?? 0,
    };
  }

  /** Offset from UTC at an instant, in milliseconds (east positive). */
  offset(ms: number): number {
    if (!this.#format) return 0;
    const w = this.wall(ms);
    return utcOf(w.year, w.month, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000;
  }

  /** Go's time.Date: fields may overflow (day 32 is the 1st of the next month); a time a DST change skips or repeats resolves as Go does. */
  date(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
    const local = utcOf(year, month, day, hour, minute, second);
    if (!this.#format) return local;
    const guess = this.offset(local);
    const utc = local - guess;
    const actual = this.offset(utc);
    return actual === guess ? utc : local - actual;
  }
}

function utcOf(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

function localZoneName(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Whether `name` is a time zone this process knows (an IANA name). */
export function isValidTimeZone(name: string): boolean {
  try {
    Zone.of(name);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing.

interface FieldBounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MINUTES: FieldBounds = { min: 0, max: 59 };
const HOURS: FieldBounds = { min: 0, max: 23 };
const DOM: FieldBounds = { min: 1, max: 31 };
const MONTHS: FieldBounds = { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } };
const DOW: FieldBounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

/** The values a field allows, and whether it was written `*` or `?` (robfig's starBit, which a step above 1 clears). */
interface Field {
  bits: boolean[];
  star: boolean;
}

function parseInt_(expr: string): number {
  if (!/^[+-]?\d+$/.test(expr)) throw new CronParseError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  const n = Number(expr);
  if (n < 0) throw new CronParseError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, names: Record<string, number> | undefined): number {
  const named = names?.[expr.toLowerCase()];
  return named ?? parseInt_(expr);
}

function parseField(text: string, b: FieldBounds): Field {
  const field: Field = { bits: new Array<boolean>(b.max + 1).fill(false), star: false };
  for (const expr of text.split(',')) {
    const rangeAndStep = expr.split('/');
    const lowAndHigh = rangeAndStep[0]!.split('-');
    const single = lowAndHigh.length === 1;
    let start: number;
    let end: number;
    let star = false;
    if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
      start = b.min;
      end = b.max;
      star = true;
    } else {
      start = parseIntOrName(lowAndHigh[0]!, b.names);
      if (lowAndHigh.length === 1) end = start;
      else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, b.names);
      else throw new CronParseError(`too many hyphens: ${expr}`);
    }
    let step = 1;
    if (rangeAndStep.length === 2) {
      step = parseInt_(rangeAndStep[1]!);
      if (single) end = b.max;
      if (step > 1) star = false;
    } else if (rangeAndStep.length > 2) throw new CronParseError(`too many slashes: ${expr}`);
    if (start < b.min) throw new CronParseError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
    if (end > b.max) throw new CronParseError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
    if (start > end) throw new CronParseError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
    if (step === 0) throw new CronParseError(`step of range should be a positive number: ${expr}`);
    for (let v = start; v <= end; v += step) field.bits[v] = true;
    field.star ||= star;
  }
  return field;
}

const all = (b: FieldBounds): Field => ({ bits: Array.from({ length: b.max + 1 }, (_, i) => i >= b.min), star: true });
const only = (b: FieldBounds, v: number): Field => ({ bits: Array.from({ length: b.max + 1 }, (_, i) => i === v), star: false });

const DESCRIPTORS: Record<string, () => Field[]> = {
  '@yearly': () => [only(MINUTES, 0), only(HOURS, 0), only(DOM, 1), only(MONTHS, 1), all(DOW)],
  '@annually': () => DESCRIPTORS['@yearly']!(),
  '@monthly': () => [only(MINUTES, 0), only(HOURS, 0), only(DOM, 1), all(MONTHS), all(DOW)],
  '@weekly': () => [only(MINUTES, 0), only(HOURS, 0), all(DOM), all(MONTHS), only(DOW, 0)],
  '@daily': () => [only(MINUTES, 0), only(HOURS, 0), all(DOM), all(MONTHS), all(DOW)],
  '@midnight': () => DESCRIPTORS['@daily']!(),
  '@hourly': () => [only(MINUTES, 0), all(HOURS), all(DOM), all(MONTHS), all(DOW)],
};

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in milliseconds. */
export function parseGoDuration(text: string): number {
  const invalid = () => new CronParseError(`time: invalid duration ${JSON.stringify(text)}`);
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0;
  while (s) {
    const m = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/.exec(s);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw invalid();
    total += Number(`${m[1] || '0'}.${m[2] || '0'}`) * DURATION_UNITS[m[3]!]!;
    s = s.slice(m[0].length);
  }
  return sign * total;
}

/**
 * robfig/cron v3 ParseStandard. Without TZ=/CRON_TZ=, times are in `defaultZone` (the controller's local zone upstream).
 * Throws CronParseError with robfig's wording.
 */
export function parseStandard(spec: string, defaultZone = 'Local'): Schedule {
  if (spec.length === 0) throw new CronParseError('empty spec string');
  let zone: Zone;
  let rest = spec;
  if (rest.startsWith('TZ=') || rest.startsWith('CRON_TZ=')) {
    const i = rest.indexOf(' ');
    const eq = rest.indexOf('=');
    const name = i < 0 ? rest.slice(eq + 1) : rest.slice(eq + 1, i);
    try {
      zone = Zone.of(name);
    } catch (err) {
      throw new CronParseError(`provided bad location ${name}: ${(err as Error).message}`);
    }
    rest = i < 0 ? '' : rest.slice(i).trim();
  } else zone = Zone.of(defaultZone);

  if (rest.startsWith('@')) {
    if (rest.startsWith('@every ')) {
      let delay: number;
      try {
        delay = parseGoDuration(rest.slice('@every '.length));
      } catch (err) {
        throw new CronParseError(`failed to parse duration ${rest}: ${(err as Error).message}`);
      }
      return constantDelay(delay);
    }
    const fields = DESCRIPTORS[rest]?.();
    if (!fields) throw new CronParseError(`unrecognized descriptor: ${rest}`);
    return new SpecSchedule(fields, zone);
  }
  const parts = rest.split(/\s+/).filter(Boolean);
  if (parts.length !== 5) throw new CronParseError(`expected exactly 5 fields, found ${parts.length}: [${parts.join(' ')}]`);
  const bounds = [MINUTES, HOURS, DOM, MONTHS, DOW];
  return new SpecSchedule(
    parts.map((p, i) => parseField(p, bounds[i]!)),
    zone,
  );
}

/** @every: the delay (whole seconds, at least one) after the given time, which is first cut to whole seconds. */
function constantDelay(ms: number): Schedule {
  const delay = Math.max(1000, ms - (ms % 1000));
  return { next: (after) => Math.floor(after / 1000) * 1000 + delay };
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

class SpecSchedule implements Schedule {
  readonly #minute: Field;
  readonly #hour: Field;
  readonly #dom: Field;
  readonly #month: Field;
  readonly #dow: Field;

  constructor(
    fields: Field[],
    readonly zone: Zone,
  ) {
    [this.#minute, this.#hour, this.#dom, this.#month, this.#dow] = fields as [Field, Field, Field, Field, Field];
  }

  /** robfig's dayMatches: day-of-month and day-of-week both match when either was `*`; otherwise either may. */
  #dayMatches(w: Wall): boolean {
    const dom = this.#dom.bits[w.day] === true;
    const dow = this.#dow.bits[w.weekday] === true;
    return this.#dom.star || this.#dow.star ? dom && dow : dom || dow;
  }

  // robfig's Next, step for step: each field is advanced in wall time; a roll-over starts again from the top.
  next(afterMs: number): number | undefined {
    const z = this.zone;
    let t = Math.floor(afterMs / 1000) * 1000 + 1000;
    let added = false;
    const yearLimit = z.wall(t).year + 5;
    // Each round moves t forward; the bound only guards against a bug.
    wrap: for (let round = 0; round < 100_000; round++) {
      let w = z.wall(t);
      if (w.year > yearLimit) return undefined;
      while (!this.#month.bits[w.month]) {
        if (!added) {
          added = true;
          t = z.date(w.year, w.month, 1, 0, 0, 0);
          w = z.wall(t);
        }
        t = z.date(w.year, w.month + 1, w.day, w.hour, w.minute, w.second);
        w = z.wall(t);
        if (w.month === 1) continue wrap;
      }
      while (!this.#dayMatches(w)) {
        if (!added) {
          added = true;
          t = z.date(w.year, w.month, w.day, 0, 0, 0);
          w = z.wall(t);
        }
        t = z.date(w.year, w.month, w.day + 1, w.hour, w.minute, w.second);
        w = z.wall(t);
        // Midnight may have moved with a DST change: back to it.
        if (w.hour !== 0) {
          t += w.hour > 12 ? (24 - w.hour) * HOUR : -w.hour * HOUR;
          w = z.wall(t);
        }
        if (w.day === 1) continue wrap;
      }
      while (!this.#hour.bits[w.hour]) {
        if (!added) {
          added = true;
          t = z.date(w.year, w.month, w.day, w.hour, 0, 0);
        }
        t += HOUR;
        w = z.wall(t);
        if (w.hour === 0) continue wrap;
      }
      while (!this.#minute.bits[w.minute]) {
        if (!added) {
          added = true;
          t -= ((t % MINUTE) + MINUTE) % MINUTE;
        }
        t += MINUTE;
        w = z.wall(t);
        if (w.minute === 0) continue wrap;
      }
      // Seconds: the standard parser fixes them at 0.
      while (w.second !== 0) {
        if (!added) {
          added = true;
          t -= ((t % 1000) + 1000) % 1000;
        }
        t += 1000;
        w = z.wall(t);
        if (w.second === 0) continue wrap;
      }
      return t;
    }
    return undefined;
  }
}
