// YAML exactly as kubectl writes it: sigs.k8s.io/yaml (JSON → go-yaml v2), whose emitter picks each scalar's
// style (plain, 'single', "double", literal |) from YAML 1.1 resolution and a scan of the characters, folds long
// plain/quoted scalars at column 80, sorts map keys "naturally" and writes sequences flush with their key.
// A value is taken with JSON's meaning (undefined properties dropped, NaN → null), as kubectl sees the JSON.

const BEST_INDENT = 2;
const BEST_WIDTH = 80;

type Style = 'plain' | 'single' | 'double' | 'literal';

interface ScalarAnalysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

interface Context {
  mapping: boolean;
  simpleKey: boolean;
}

/** The YAML document kubectl prints for `value`. */
export function goYaml(value: unknown): string {
  const e = new Emitter();
  e.node(jsonValue(value) ?? null, { mapping: false, simpleKey: false });
  e.writeIndent();
  return e.text();
}

class Emitter {
  #out = '';
  #column = 0;
  #whitespace = true;
  #indention = true;
  #indent = -1;

  text(): string {
    return this.#out;
  }

  node(v: unknown, ctx: Context): void {
    if (Array.isArray(v)) this.#sequence(v, ctx);
    else if (v !== null && typeof v === 'object') this.#mapping(v as Record<string, unknown>);
    else if (typeof v === 'string') this.#scalar(v, stringStyle(v), ctx);
    else this.#scalar(formatNonString(v), 'plain', ctx);
  }

  #sequence(items: unknown[], ctx: Context): void {
    if (items.length === 0) return this.#emptyFlow('[', ']');
    const saved = this.#indent;
    this.#increaseIndent(false, ctx.mapping && !this.#indention);
    for (const item of items) {
      this.writeIndent();
      this.#indicator('-', true, false, true);
      this.node(item, { mapping: false, simpleKey: false });
    }
    this.#indent = saved;
  }

  #mapping(obj: Record<string, unknown>): void {
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort(compareKeys);
    if (keys.length === 0) return this.#emptyFlow('{', '}');
    const saved = this.#indent;
    this.#increaseIndent(false, false);
    for (const key of keys) {
      this.writeIndent();
      const k = wellFormed(key);
      if (isSimpleKey(k)) {
        this.#scalar(k, stringStyle(k), { mapping: true, simpleKey: true });
        this.#indicator(':', false, false, false);
      } else {
        this.#indicator('?', true, false, true);
        this.#scalar(k, stringStyle(k), { mapping: true, simpleKey: false });
        this.writeIndent();
        this.#indicator(':', true, false, true);
      }
      this.node(obj[key], { mapping: true, simpleKey: false });
    }
    this.#indent = saved;
  }

  #emptyFlow(open: string, close: string): void {
    this.#indicator(open, true, true, false);
    this.#indicator(close, false, false, false);
  }

  #scalar(value: string, requested: Style, ctx: Context): void {
    const a = analyzeScalar(value);
    const style = selectStyle(requested, a, ctx.simpleKey, value);
    const saved = this.#indent;
    this.#increaseIndent(true, false);
    const allowBreaks = !ctx.simpleKey;
    if (style === 'plain') this.#plain(value, allowBreaks);
    else if (style === 'single') this.#singleQuoted(value, allowBreaks);
    else if (style === 'double') this.#doubleQuoted(value, allowBreaks);
    else this.#literal(value);
    this.#indent = saved;
  }

  #increaseIndent(flow: boolean, indentless: boolean): void {
    if (this.#indent < 0) this.#indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.#indent += BEST_INDENT;
  }

  writeIndent(): void {
    const indent = Math.max(this.#indent, 0);
    if (!this.#indention || this.#column > indent || (this.#column === indent && !this.#whitespace)) this.#putBreak();
    while (this.#column < indent) this.#put(' ');
    this.#whitespace = true;
    this.#indention = true;
  }

  #indicator(text: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.#whitespace) this.#put(' ');
    this.#out += text;
    this.#column += text.length;
    this.#whitespace = isWhitespace;
    this.#indention = this.#indention && isIndention;
  }

  #put(ch: string): void {
    this.#out += ch;
    this.#column++;
  }

  #putBreak(): void {
    this.#out += '\n';
    this.#column = 0;
  }

  /** One line break from the value: `\n` as a newline, the other breaks (\r, NEL, LS, PS) as themselves. */
  #writeBreak(ch: string): void {
    if (ch === '\n') this.#putBreak();
    else {
      this.#out += ch;
      this.#column = 0;
    }
  }

  #plain(value: string, allowBreaks: boolean): void {
    if (!this.#whitespace) this.#put(' ');
    if (this.#column + value.length <= BEST_WIDTH) {
      // Too short to reach the fold column (plain scalars hold no line breaks).
      this.#out += value;
      this.#column += codePointLength(value);
      this.#whitespace = false;
      this.#indention = false;
      return;
    }
    const cps = [...value];
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < cps.length; i++) {
      const ch = cps[i] as string;
      if (ch === ' ') {
        if (allowBreaks && !spaces && this.#column > BEST_WIDTH && cps[i + 1] !== ' ') this.writeIndent();
        else this.#put(ch);
        spaces = true;
      } else if (isBreak(ch)) {
        if (!breaks && ch === '\n') this.#putBreak();
        this.#writeBreak(ch);
        this.#indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.#put(ch);
        this.#indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.#whitespace = false;
    this.#indention = false;
  }

  #singleQuoted(value: string, allowBreaks: boolean): void {
    this.#indicator("'", true, false, false);
    const cps = [...value];
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < cps.length; i++) {
      const ch = cps[i] as string;
      if (ch === ' ') {
        if (allowBreaks && !spaces && this.#column > BEST_WIDTH && i > 0 && i < cps.length - 1 && cps[i + 1] !== ' ') this.writeIndent();
        else this.#put(ch);
        spaces = true;
      } else if (isBreak(ch)) {
        if (!breaks && ch === '\n') this.#putBreak();
        this.#writeBreak(ch);
        this.#indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (ch === "'") this.#put("'");
        this.#put(ch);
        this.#indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.#indicator("'", false, false, false);
    this.#whitespace = false;
    this.#indention = false;
  }

  #doubleQuoted(value: string, allowBreaks: boolean): void {
    this.#indicator('"', true, false, false);
    const cps = [...value];
    // go-yaml tests for a BOM at the start of the whole value, so one leading BOM escapes every character.
    const bom = cps[0] === '\uFEFF';
    let spaces = false;
    for (let i = 0; i < cps.length; i++) {
      const ch = cps[i] as string;
      const cp = ch.codePointAt(0) as number;
      if (bom || !isPrintable(cp) || isBreak(ch) || ch === '"' || ch === '\\') {
        this.#put('\\');
        for (const c of escapeBody(cp)) this.#put(c);
        spaces = false;
      } else if (ch === ' ') {
        if (allowBreaks && !spaces && this.#column > BEST_WIDTH && i > 0 && i < cps.length - 1) {
          this.writeIndent();
          if (cps[i + 1] === ' ') this.#put('\\');
        } else this.#put(ch);
        spaces = true;
      } else {
        this.#put(ch);
        spaces = false;
      }
    }
    this.#indicator('"', false, false, false);
    this.#whitespace = false;
    this.#indention = false;
  }

  #literal(value: string): void {
    this.#indicator('|', true, false, false);
    const cps = [...value];
    const first = cps[0] ?? '';
    if (first === ' ' || isBreak(first)) this.#indicator(String(BEST_INDENT), false, false, false);
    const chomp = chompHint(cps);
    if (chomp) this.#indicator(chomp, false, false, false);
    this.#putBreak();
    this.#indention = true;
    this.#whitespace = true;
    let breaks = true;
    for (const ch of cps) {
      if (isBreak(ch)) {
        this.#writeBreak(ch);
        this.#indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.#put(ch);
        this.#indention = false;
        breaks = false;
      }
    }
  }
}

function codePointLength(s: string): number {
  return /[\uD800-\uDBFF]/.test(s) ? [...s].length : s.length;
}

function chompHint(cps: string[]): string {
  const last = cps.length - 1;
  if (last < 0 || !isBreak(cps[last] as string)) return '-';
  if (last === 0 || isBreak(cps[last - 1] as string)) return '+';
  return '';
}

function escapeBody(cp: number): string {
  switch (cp) {
    case 0x00: return '0';
    case 0x07: return 'a';
    case 0x08: return 'b';
    case 0x09: return 't';
    case 0x0a: return 'n';
    case 0x0b: return 'v';
    case 0x0c: return 'f';
    case 0x0d: return 'r';
    case 0x1b: return 'e';
    case 0x22: return '"';
    case 0x5c: return '\\';
    case 0x85: return 'N';
    case 0xa0: return '_';
    case 0x2028: return 'L';
    case 0x2029: return 'P';
  }
  const hex = cp.toString(16).toUpperCase();
  if (cp <= 0xff) return `x${hex.padStart(2, '0')}`;
  if (cp <= 0xffff) return `u${hex.padStart(4, '0')}`;
  return `U${hex.padStart(8, '0')}`;
}

function isBreak(ch: string): boolean {
  return ch === '\n' || ch === '\r' || ch === '\u0085' || ch === '\u2028' || ch === '\u2029';
}

function isBlank(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t';
}

/** go-yaml's printable set: LF, ASCII graphic/space, U+00A0–U+D7FF, U+E000–U+FFFD without the BOM; no astral. */
function isPrintable(cp: number): boolean {
  return cp === 0x0a || (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff);
}

const EMPTY_ANALYSIS: ScalarAnalysis = { multiline: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
const SIMPLE_ANALYSIS: ScalarAnalysis = { multiline: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: true };
/** Words of these characters hold no indicator, space, break or unprintable character. */
const SIMPLE_WORD = /^[A-Za-z0-9][A-Za-z0-9_./-]*$/;

function analyzeScalar(value: string): ScalarAnalysis {
  if (value === '') return EMPTY_ANALYSIS;
  if (SIMPLE_WORD.test(value)) return SIMPLE_ANALYSIS;
  const cps = [...value];
  let blockIndicators = value.startsWith('---') || value.startsWith('...');
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let precededByWhitespace = true;
  let previousSpace = false;
  let previousBreak = false;
  for (let i = 0; i < cps.length; i++) {
    const ch = cps[i] as string;
    const last = i === cps.length - 1;
    const followedByWhitespace = last || isBlank(cps[i + 1]);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      else if ((ch === '?' || ch === ':' || ch === '-') && followedByWhitespace) blockIndicators = true;
    } else if (ch === ':' && followedByWhitespace) blockIndicators = true;
    else if (ch === '#' && precededByWhitespace) blockIndicators = true;
    if (!isPrintable(ch.codePointAt(0) as number)) special = true;
    if (ch === ' ') {
      if (i === 0) leadingSpace = true;
      if (last) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(ch)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (last) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlank(ch) || isBreak(ch) || ch === '\0';
  }
  let blockPlainAllowed = !(leadingSpace || leadingBreak || trailingSpace || trailingBreak || lineBreaks || blockIndicators);
  let singleQuotedAllowed = true;
  let blockAllowed = !trailingSpace;
  if (breakSpace) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
  }
  if (spaceBreak || special) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
    blockAllowed = false;
  }
  return { multiline: lineBreaks, blockPlainAllowed, singleQuotedAllowed, blockAllowed };
}

function selectStyle(requested: Style, a: ScalarAnalysis, simpleKey: boolean, value: string): Style {
  let style = requested;
  if (simpleKey && a.multiline) style = 'double';
  if (style === 'plain') {
    if (!a.blockPlainAllowed || (value === '' && simpleKey)) style = 'single';
  }
  if (style === 'single' && !a.singleQuotedAllowed) style = 'double';
  if (style === 'literal' && (!a.blockAllowed || simpleKey)) style = 'double';
  return style;
}

/** The style go-yaml's encoder asks for: literal with a newline, plain unless YAML 1.1 would read it as a non-string. */
function stringStyle(s: string): Style {
  if (s.includes('\n')) return 'literal';
  return resolvesToString(s) && !isBase60Float(s) ? 'plain' : 'double';
}

function isSimpleKey(key: string): boolean {
  return !analyzeScalar(key).multiline && Buffer.byteLength(key) <= 128;
}

// ---- YAML 1.1 resolution of a plain scalar (go-yaml v2's resolve) ----

const RESOLVED_WORDS = new Set([
  'y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON',
  'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF',
  '', '~', 'null', 'Null', 'NULL',
  '.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF',
]);

const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

function resolvesToString(s: string): boolean {
  const c = s[0] ?? '';
  if (RESOLVED_WORDS.has(s)) return false;
  if (c === '.') return !goParsesFloat(s);
  if (c !== '+' && c !== '-' && !(c >= '0' && c <= '9')) return true;
  if (isTimestamp(s)) return false;
  const plain = s.replace(/_/g, '');
  if (goParsesInt(plain)) return false;
  if (YAML_FLOAT.test(plain) && Number.isFinite(Number(plain))) return false;
  return true;
}

function isBase60Float(s: string): boolean {
  return s.includes(':') && BASE60_FLOAT.test(s);
}

/** strconv.ParseFloat on a value starting with '.': only decimal digits with an optional exponent parse. */
function goParsesFloat(s: string): boolean {
  return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s) && Number.isFinite(Number(s));
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** strconv.ParseInt(s, 0, 64) or strconv.ParseUint(s, 0, 64) succeeds. */
function goParsesInt(s: string): boolean {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return false;
  const sign = m[1] as string;
  const body = m[2] as string;
  let n: bigint;
  if (/^0[oO]/.test(body)) n = BigInt(`0o${body.slice(2)}`);
  else if (/^0[0-7]+$/.test(body)) n = BigInt(`0o${body.slice(1)}`);
  else n = BigInt(body.toLowerCase());
  if (sign === '-') n = -n;
  if (n >= INT64_MIN && n <= INT64_MAX) return true;
  return sign === '' && n <= UINT64_MAX;
}

const TIMESTAMP =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?(Z|[+-]\d{2}:\d{2}))|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?))?$/;

/** go-yaml's timestamp formats, parsed as Go's time.Parse would (with its range checks). */
function isTimestamp(s: string): boolean {
  const m = TIMESTAMP.exec(s);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(month, year)) return false;
  const hour = m[4] ?? m[8];
  const minute = m[5] ?? m[9];
  const second = m[6] ?? m[10];
  if (hour !== undefined && (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59)) return false;
  const zone = m[7];
  if (zone && zone !== 'Z' && (Number(zone.slice(1, 3)) > 24 || Number(zone.slice(4, 6)) > 59)) return false;
  return true;
}

function daysIn(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

// ---- numbers, booleans, null ----

function formatNonString(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && Number.isFinite(v)) return formatNumber(v);
  return 'null';
}

/** kubectl reads JSON numbers back as int64/uint64 when they are integers in range, else float64 printed with %g. */
function formatNumber(n: number): string {
  if (Number.isInteger(n) && n >= -(2 ** 63) && n < 2 ** 64) return BigInt(n).toString();
  const [mantissa = '', expText = '0'] = n.toExponential().split('e');
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace(/[-.]/g, '');
  const exp = Number(expText);
  let body: string;
  if (exp < -4 || exp >= 6) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    body = `${digits[0]}${frac}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (exp < 0) body = `0.${'0'.repeat(-exp - 1)}${digits}`;
  else {
    const point = exp + 1;
    body = digits.length > point ? `${digits.slice(0, point)}.${digits.slice(point)}` : digits.padEnd(point, '0');
  }
  return negative ? `-${body}` : body;
}

// ---- key order (go-yaml v2's keyList.Less on string keys) ----

const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;

function keyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ca = ar[i] as string;
    const cb = br[i] as string;
    if (ca === cb) continue;
    const al = LETTER.test(ca);
    const bl = LETTER.test(cb);
    if (al && bl) return (ca.codePointAt(0) as number) < (cb.codePointAt(0) as number);
    if (al || bl) return bl;
    let an = 0n;
    let bn = 0n;
    if (ca === '0' || cb === '0') {
      for (let j = i - 1; j >= 0 && DIGIT.test(ar[j] as string); j--) {
        if (ar[j] !== '0') {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && DIGIT.test(ar[ai] as string); ai++) an = BigInt.asIntN(64, an * 10n + BigInt((ar[ai] as string).codePointAt(0) as number) - 48n);
    let bi = i;
    for (; bi < br.length && DIGIT.test(br[bi] as string); bi++) bn = BigInt.asIntN(64, bn * 10n + BigInt((br[bi] as string).codePointAt(0) as number) - 48n);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return (ca.codePointAt(0) as number) < (cb.codePointAt(0) as number);
  }
  return ar.length < br.length;
}

function compareKeys(a: string, b: string): number {
  if (keyLess(a, b)) return -1;
  return keyLess(b, a) ? 1 : 0;
}

// ---- JSON semantics ----

/**
 * A string as kubectl's JSON → YAML round trip leaves it: lone surrogates become U+FFFD, and a raw NEL (U+0085,
 * which Go's JSON does not escape) is folded like a line break in a YAML double-quoted scalar.
 */
function wellFormed(s: string): string {
  if (s.includes('\u0085')) s = s.replace(/ *\u0085(?: *\u0085)* */g, (run) => foldNels(run));
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function foldNels(run: string): string {
  const breaks = run.split('\u0085').length - 1;
  return breaks === 1 ? ' ' : '\n'.repeat(breaks - 1);
}

/** The value as JSON would carry it: toJSON honoured, undefined/functions dropped, strings made well-formed. */
function jsonValue(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    v = (v as { toJSON: () => unknown }).toJSON();
  }
  if (typeof v === 'string') return wellFormed(v);
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'undefined' || typeof v === 'function' || typeof v === 'symbol') return undefined;
  if (Array.isArray(v)) return v.map((item) => jsonValue(item) ?? null);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(v)) {
      const j = jsonValue(item);
      if (j !== undefined) out[wellFormed(k)] = j;
    }
    return out;
  }
  return v;
}
