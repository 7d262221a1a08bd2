// Label and field selectors, as upstream apimachinery parses, prints and matches them
// (pkg/labels/selector.go, pkg/fields/selector.go, metav1.LabelSelectorAsSelector).
// Parsing happens once per request; matching runs for every object on LIST and WATCH, so it is plain loops.
import { compareGoStrings, goJson, goQuote, labelKeyErrors, labelValueErrors } from './selectors-validation.ts';

/** A selector string (or metav1.LabelSelector) that upstream would reject; `message` is upstream's. Answer 400 BadRequest. */
export class SelectorParseError extends Error {
  override name = 'SelectorParseError';
}

// ---------------------------------------------------------------------------------------------------------------
// Label selectors

/** upstream's selection.Operator, by name. */
export type LabelOperator =
  | 'Exists'
  | 'DoesNotExist'
  | 'Equals'
  | 'DoubleEquals'
  | 'NotEquals'
  | 'In'
  | 'NotIn'
  | 'GreaterThan'
  | 'LessThan';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Parsed selectors hold these sorted and unique; selectors built from a metav1.LabelSelector keep the given order. */
  readonly values: readonly string[];
}

export interface LabelSelector {
  /** ANDed, sorted by key (stable). */
  readonly requirements: readonly LabelRequirement[];
  /** upstream's labels.Nothing(): what a nil metav1.LabelSelector converts to. Matches no object. */
  readonly matchesNothing: boolean;
}

export type Labels = Readonly<Record<string, string>>;

export const everythingLabels: LabelSelector = Object.freeze({ requirements: Object.freeze([]), matchesNothing: false });
export const nothingLabels: LabelSelector = Object.freeze({ requirements: Object.freeze([]), matchesNothing: true });

/** True when the selector does not restrict anything (upstream's Empty()). */
export function isEverythingLabels(sel: LabelSelector): boolean {
  return !sel.matchesNothing && sel.requirements.length === 0;
}

function lookup(labels: Labels | undefined, key: string): string | undefined {
  if (labels === undefined) return undefined;
  const v = labels[key];
  // typeof check instead of hasOwn: inherited members ("constructor" …) are never strings.
  return typeof v === 'string' ? v : undefined;
}

/** Base-10 int64 as Go's strconv.ParseInt accepts it, or undefined. */
function parseInt64(s: string): bigint | undefined {
  let i = 0;
  const n = s.length;
  if (n > 0 && (s[0] === '+' || s[0] === '-')) i = 1;
  if (i === n) return undefined;
  for (let j = i; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return undefined;
  }
  const v = BigInt(s[0] === '+' ? s.slice(1) : s);
  return v > 9223372036854775807n || v < -9223372036854775808n ? undefined : v;
}

function requirementMatches(r: LabelRequirement, labels: Labels | undefined): boolean {
  switch (r.operator) {
    case 'In':
    case 'Equals':
    case 'DoubleEquals': {
      const v = lookup(labels, r.key);
      return v !== undefined && r.values.includes(v);
    }
    case 'NotIn':
    case 'NotEquals': {
      const v = lookup(labels, r.key);
      return v === undefined || !r.values.includes(v);
    }
    case 'Exists':
      return lookup(labels, r.key) !== undefined;
    case 'DoesNotExist':
      return lookup(labels, r.key) === undefined;
    case 'GreaterThan':
    case 'LessThan': {
      const v = lookup(labels, r.key);
      if (v === undefined || r.values.length !== 1) return false;
      const have = parseInt64(v);
      const want = parseInt64(r.values[0] ?? '');
      if (have === undefined || want === undefined) return false;
      return r.operator === 'GreaterThan' ? have > want : have < want;
    }
  }
}

/** Whether an object's labels satisfy the selector. */
export function matchesLabels(sel: LabelSelector, labels: Labels | undefined): boolean {
  if (sel.matchesNothing) return false;
  const reqs = sel.requirements;
  for (let i = 0; i < reqs.length; i++) {
    if (!requirementMatches(reqs[i]!, labels)) return false;
  }
  return true;
}

/** If the selector pins `key` to one value (=, ==, or in with one value), that value (upstream's RequiresExactMatch). */
export function requiredLabelValue(sel: LabelSelector, key: string): string | undefined {
  for (const r of sel.requirements) {
    if (r.key !== key) continue;
    if ((r.operator === 'Equals' || r.operator === 'DoubleEquals' || r.operator === 'In') && r.values.length === 1) return r.values[0];
    return undefined;
  }
  return undefined;
}

const operatorText: Record<LabelOperator, string> = {
  Exists: '',
  DoesNotExist: '',
  Equals: '=',
  DoubleEquals: '==',
  NotEquals: '!=',
  In: ' in ',
  NotIn: ' notin ',
  GreaterThan: '>',
  LessThan: '<',
};

function sortedValues(values: readonly string[]): readonly string[] {
  for (let i = 1; i < values.length; i++) {
    if (values[i - 1]! > values[i]!) return [...values].sort(compareGoStrings);
  }
  return values;
}

/** One requirement as upstream prints it: `!a`, `a`, `a=b`, `a in (x,y)` (values sorted for printing). */
export function labelRequirementToString(r: LabelRequirement): string {
  if (r.operator === 'Exists') return r.key;
  if (r.operator === 'DoesNotExist') return `!${r.key}`;
  const values = r.values.length === 1 ? r.values[0] : sortedValues(r.values).join(',');
  const set = r.operator === 'In' || r.operator === 'NotIn';
  return `${r.key}${operatorText[r.operator]}${set ? `(${values})` : values}`;
}

/** The canonical string, e.g. `app=nginx,tier in (a,b)` — what upstream puts in Scale status.selector. */
export function labelSelectorToString(sel: LabelSelector): string {
  return sel.requirements.map(labelRequirementToString).join(',');
}

function byKey(a: LabelRequirement, b: LabelRequirement): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function makeSelector(reqs: LabelRequirement[]): LabelSelector {
  reqs.sort(byKey); // Array.prototype.sort is stable
  return Object.freeze({ requirements: Object.freeze(reqs.map((r) => Object.freeze(r))), matchesNothing: false });
}

// field.Invalid(...).Error() for the paths NewRequirement uses.
function invalid(field: string, badValue: string, detail: string): string {
  return `${field}: Invalid value: ${badValue}: ${detail}`;
}

/** upstream's utilerrors aggregate message: one error as is, several deduplicated inside [a, b]. */
function aggregate(msgs: string[]): string {
  const unique = [...new Set(msgs)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

/**
 * upstream's labels.NewRequirement checks: the key, the number of values for the operator, the values;
 * fields named "key", "values", "values[i]" and "values[i][key]" as upstream prints them for a nil path.
 */
function requirementErrors(key: string, op: LabelOperator, values: readonly string[] | null): string[] {
  const errs: string[] = [];
  const keyErrs = labelKeyErrors(key);
  if (keyErrs.length > 0) errs.push(invalid('key', goQuote(key), keyErrs.join('; ')));
  const vals = values ?? [];
  const shown = goJson(values);
  switch (op) {
    case 'In':
    case 'NotIn':
      if (vals.length === 0) errs.push(invalid('values', shown, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case 'Equals':
    case 'DoubleEquals':
    case 'NotEquals':
      if (vals.length !== 1) errs.push(invalid('values', shown, 'exact-match compatibility requires one single value'));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (vals.length !== 0) errs.push(invalid('values', shown, 'values set must be empty for exists and does not exist'));
      break;
    case 'GreaterThan':
    case 'LessThan':
      if (vals.length !== 1) errs.push(invalid('values', shown, "for 'Gt', 'Lt' operators, exactly one value is required"));
      vals.forEach((v, i) => {
        if (parseInt64(v) === undefined) errs.push(invalid(`values[${i}]`, goQuote(v), "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  vals.forEach((v, i) => {
    const valueErrs = labelValueErrors(v);
    if (valueErrs.length > 0) errs.push(invalid(`values[${i}][${key}]`, goQuote(v), valueErrs.join('; ')));
  });
  return errs;
}

function newRequirement(key: string, operator: LabelOperator, values: string[] | null): LabelRequirement {
  const errs = requirementErrors(key, operator, values);
  if (errs.length > 0) throw new SelectorParseError(aggregate(errs));
  return { key, operator, values: values ?? [] };
}

// --- the lexer and parser (upstream's grammar and messages) ---

const enum Tok {
  End,
  ClosedPar,
  Comma,
  Not,
  DoubleEquals,
  Equals,
  GreaterThan,
  Identifier,
  In,
  LessThan,
  NotEquals,
  NotIn,
  OpenPar,
}

const keywordTokens = new Map<string, Tok>([
  [')', Tok.ClosedPar],
  [',', Tok.Comma],
  ['!', Tok.Not],
  ['==', Tok.DoubleEquals],
  ['=', Tok.Equals],
  ['>', Tok.GreaterThan],
  ['in', Tok.In],
  ['<', Tok.LessThan],
  ['!=', Tok.NotEquals],
  ['notin', Tok.NotIn],
  ['(', Tok.OpenPar],
]);

function isWhitespace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

function isSpecial(c: number): boolean {
  // = ! ( ) , > <
  return c === 61 || c === 33 || c === 40 || c === 41 || c === 44 || c === 62 || c === 60;
}

interface Token {
  tok: Tok;
  lit: string;
}

function lex(s: string): Token[] {
  const out: Token[] = [];
  // As upstream's lexer reads: a NUL character where a token would start ends the input; one right after
  // a token ends that token and is skipped.
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s.charCodeAt(pos))) pos++;
    if (pos >= s.length || s.charCodeAt(pos) === 0) {
      out.push({ tok: Tok.End, lit: '' });
      return out;
    }
    const start = pos;
    let end: number;
    if (isSpecial(s.charCodeAt(pos))) {
      // The longest run of special symbols that still forms a token (every single symbol is one).
      pos++;
      while (pos < s.length && isSpecial(s.charCodeAt(pos)) && keywordTokens.has(s.slice(start, pos + 1))) pos++;
      end = pos;
    } else {
      while (pos < s.length && s.charCodeAt(pos) !== 0 && !isSpecial(s.charCodeAt(pos)) && !isWhitespace(s.charCodeAt(pos))) pos++;
      end = pos;
    }
    if (pos < s.length && s.charCodeAt(pos) === 0) pos++;
    const lit = s.slice(start, end);
    out.push({ tok: keywordTokens.get(lit) ?? Tok.Identifier, lit });
  }
}

const binaryOperators = 'in, notin, =, ==, !=, gt, lt';

class LabelParser {
  #items: Token[];
  #pos = 0;
  constructor(input: string) {
    this.#items = lex(input);
  }

  // In a values context the keywords in/notin are plain identifiers.
  #look(valuesContext: boolean): Token {
    const t = this.#items[this.#pos]!;
    return valuesContext && (t.tok === Tok.In || t.tok === Tok.NotIn) ? { tok: Tok.Identifier, lit: t.lit } : t;
  }

  #take(valuesContext: boolean): Token {
    const t = this.#look(valuesContext);
    this.#pos++;
    return t;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.#look(true);
      if (tok === Tok.Identifier || tok === Tok.Not) {
        let r: LabelRequirement;
        try {
          r = this.#requirement();
        } catch (e) {
          if (e instanceof SelectorParseError) throw new SelectorParseError(`unable to parse requirement: ${e.message}`);
          throw e;
        }
        reqs.push(r);
        const next = this.#take(true);
        if (next.tok === Tok.End) return reqs;
        if (next.tok !== Tok.Comma) throw new SelectorParseError(`found '${next.lit}', expected: ',' or 'end of string'`);
        const after = this.#look(true);
        if (after.tok !== Tok.Identifier && after.tok !== Tok.Not) {
          throw new SelectorParseError(`found '${after.lit}', expected: identifier after ','`);
        }
      } else if (tok === Tok.End) {
        return reqs;
      } else {
        throw new SelectorParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  #requirement(): LabelRequirement {
    let t = this.#take(true);
    let negated = false;
    if (t.tok === Tok.Not) {
      negated = true;
      t = this.#take(true);
    }
    if (t.tok !== Tok.Identifier) throw new SelectorParseError(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = labelKeyErrors(key);
    if (keyErrs.length > 0) throw new SelectorParseError(invalid('<nil>', goQuote(key), keyErrs.join('; ')));
    const next = this.#look(true).tok;
    if (negated) return newRequirement(key, 'DoesNotExist', []);
    if (next === Tok.End || next === Tok.Comma) return newRequirement(key, 'Exists', []);

    const op = this.#take(false);
    let operator: LabelOperator;
    switch (op.tok) {
      case Tok.In: operator = 'In'; break;
      case Tok.NotIn: operator = 'NotIn'; break;
      case Tok.Equals: operator = 'Equals'; break;
      case Tok.DoubleEquals: operator = 'DoubleEquals'; break;
      case Tok.NotEquals: operator = 'NotEquals'; break;
      case Tok.GreaterThan: operator = 'GreaterThan'; break;
      case Tok.LessThan: operator = 'LessThan'; break;
      default: throw new SelectorParseError(`found '${op.lit}', expected: ${binaryOperators}`);
    }
    const values = operator === 'In' || operator === 'NotIn' ? this.#valueSet() : this.#exactValue();
    // upstream collects values in a set and lists them sorted.
    return newRequirement(key, operator, [...new Set(values)].sort(compareGoStrings));
  }

  #valueSet(): string[] {
    const open = this.#take(true);
    if (open.tok !== Tok.OpenPar) throw new SelectorParseError(`found '${open.lit}' expected: '('`);
    const first = this.#look(true);
    if (first.tok === Tok.ClosedPar) {
      this.#pos++;
      return [''];
    }
    if (first.tok !== Tok.Identifier && first.tok !== Tok.Comma) {
      throw new SelectorParseError(`found '${first.lit}', expected: ',', ')' or identifier`);
    }
    const values: string[] = [];
    for (;;) {
      const t = this.#take(true);
      if (t.tok === Tok.Identifier) {
        values.push(t.lit);
        const next = this.#look(true);
        if (next.tok === Tok.Comma) continue;
        if (next.tok === Tok.ClosedPar) break;
        throw new SelectorParseError(`found '${next.lit}', expected: ',' or ')'`);
      } else if (t.tok === Tok.Comma) {
        // Empty members: "(,a)", "(a,)", "(a,,b)" each contribute "".
        if (values.length === 0) values.push('');
        const next = this.#look(true).tok;
        if (next === Tok.ClosedPar) {
          values.push('');
          break;
        }
        if (next === Tok.Comma) values.push('');
      } else {
        throw new SelectorParseError(`found '${t.lit}', expected: ',', or identifier`);
      }
    }
    this.#pos++; // the ')'
    return values;
  }

  #exactValue(): string[] {
    const next = this.#look(true);
    if (next.tok === Tok.End || next.tok === Tok.Comma) return [''];
    const t = this.#take(true);
    if (t.tok === Tok.Identifier) return [t.lit];
    throw new SelectorParseError(`found '${t.lit}', expected: identifier`);
  }
}

/**
 * Parses a label selector string as upstream's labels.Parse does:
 * `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`, comma-separated.
 * Throws SelectorParseError with upstream's message.
 */
export function parseLabelSelector(s: string): LabelSelector {
  return makeSelector(new LabelParser(s).parse());
}

/** metav1.LabelSelector as it appears in objects. */
export interface LabelSelectorObject {
  matchLabels?: Readonly<Record<string, string>> | null;
  matchExpressions?: ReadonlyArray<{ key: string; operator: string; values?: readonly string[] | null }> | null;
}

const objectOperators: Record<string, LabelOperator> = {
  In: 'In',
  NotIn: 'NotIn',
  Exists: 'Exists',
  DoesNotExist: 'DoesNotExist',
};

/**
 * upstream's metav1.LabelSelectorAsSelector: a missing selector matches nothing, an empty one everything.
 * Throws SelectorParseError with upstream's message for invalid keys, values or operators.
 */
export function labelSelectorFromObject(obj: LabelSelectorObject | null | undefined): LabelSelector {
  if (obj === null || obj === undefined) return nothingLabels;
  const matchLabels = obj.matchLabels ?? {};
  const labelKeys = Object.keys(matchLabels).sort(compareGoStrings);
  const exprs = obj.matchExpressions ?? [];
  if (labelKeys.length + exprs.length === 0) return everythingLabels;
  const reqs: LabelRequirement[] = [];
  for (const k of labelKeys) reqs.push(newRequirement(k, 'Equals', [matchLabels[k] ?? '']));
  for (const e of exprs) {
    const op = Object.hasOwn(objectOperators, e.operator) ? objectOperators[e.operator] : undefined;
    if (op === undefined) throw new SelectorParseError(`${goQuote(e.operator)} is not a valid label selector operator`);
    // upstream copies the values with append(nil, …): an empty list becomes nil and prints as null.
    reqs.push(newRequirement(e.key, op, e.values && e.values.length > 0 ? [...e.values] : null));
  }
  return makeSelector(reqs);
}

/** upstream's labels.SelectorFromSet: one `key=value` per entry, not validated (e.g. a Service's spec.selector). */
export function labelSelectorFromSet(set: Readonly<Record<string, string>> | null | undefined): LabelSelector {
  const keys = Object.keys(set ?? {});
  if (keys.length === 0) return everythingLabels;
  return makeSelector(keys.map((k) => ({ key: k, operator: 'Equals' as const, values: [set![k]!] })));
}

// ---------------------------------------------------------------------------------------------------------------
// Field selectors

export interface FieldRequirement {
  readonly field: string;
  /** `=` and `==` both read as Equals, as upstream. */
  readonly operator: 'Equals' | 'NotEquals';
  /** Unescaped. */
  readonly value: string;
}

export interface FieldSelector {
  /** ANDed, in upstream's order (terms sorted as written). */
  readonly requirements: readonly FieldRequirement[];
}

export const everythingFields: FieldSelector = Object.freeze({ requirements: Object.freeze([]) });

export type Fields = Readonly<Record<string, string>>;

/** Terms split on unescaped commas; escapes are kept for unescapeValue. */
function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inSlash) inSlash = false;
    else if (c === 92 /* \ */) inSlash = true;
    else if (c === 44 /* , */) {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const ch of s) {
    if (inSlash) {
      if (ch !== '\\' && ch !== ',' && ch !== '=') {
        throw new SelectorParseError(`invalid field selector: invalid escape sequence: \\${ch}`);
      }
      out += ch;
      inSlash = false;
    } else if (ch === '\\') {
      inSlash = true;
    } else if (ch === ',' || ch === '=') {
      // upstream prints the rune with %v: its number.
      throw new SelectorParseError(`invalid field selector: unescaped character in value: ${ch.codePointAt(0)}`);
    } else {
      out += ch;
    }
  }
  if (inSlash) throw new SelectorParseError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Escapes `\`, `,` and `=` in a value (upstream's fields.EscapeValue). */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/**
 * Parses a field selector as upstream's fields.ParseSelector does: `a=b`, `a==b`, `a!=b`, comma-separated,
 * `\,` `\=` `\\` escapes in values. Terms with an empty field and an empty value are dropped, as upstream does.
 */
export function parseFieldSelector(s: string): FieldSelector {
  const parts = splitTerms(s).sort(compareGoStrings);
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    let split: { field: string; op: 'Equals' | 'NotEquals'; rhs: string } | undefined;
    for (let i = 0; i < part.length && split === undefined; i++) {
      if (part.startsWith('!=', i)) split = { field: part.slice(0, i), op: 'NotEquals', rhs: part.slice(i + 2) };
      else if (part.startsWith('==', i)) split = { field: part.slice(0, i), op: 'Equals', rhs: part.slice(i + 2) };
      else if (part[i] === '=') split = { field: part.slice(0, i), op: 'Equals', rhs: part.slice(i + 1) };
    }
    if (split === undefined) throw new SelectorParseError(`invalid selector: '${s}'; can't understand '${part}'`);
    const value = unescapeValue(split.rhs);
    if (split.field === '' && value === '') continue;
    reqs.push(Object.freeze({ field: split.field, operator: split.op, value }));
  }
  return Object.freeze({ requirements: Object.freeze(reqs) });
}

/** The selector's terms, for the server to check field names per resource. */
export function requirementsOf(sel: FieldSelector): readonly FieldRequirement[] {
  return sel.requirements;
}

/** Whether an object's selectable fields satisfy the selector; a missing field reads as "" (as upstream). */
export function matchesFields(sel: FieldSelector, fields: Fields | undefined): boolean {
  const reqs = sel.requirements;
  for (let i = 0; i < reqs.length; i++) {
    const r = reqs[i]!;
    const f = fields === undefined ? undefined : fields[r.field];
    const v = typeof f === 'string' ? f : '';
    if ((v === r.value) !== (r.operator === 'Equals')) return false;
  }
  return true;
}

/** If the selector pins `field` to one value with `=`, that value (upstream's RequiresExactMatch), e.g. spec.nodeName. */
export function requiredFieldValue(sel: FieldSelector, field: string): string | undefined {
  for (const r of sel.requirements) if (r.field === field && r.operator === 'Equals') return r.value;
  return undefined;
}

/** As upstream prints a field selector: `a=b,c!=d` with values escaped. */
export function fieldSelectorToString(sel: FieldSelector): string {
  return sel.requirements.map((r) => `${r.field}${r.operator === 'Equals' ? '=' : '!='}${escapeFieldValue(r.value)}`).join(',');
}

/**
 * The 400 message for a field that a kind without its own field-label conversion does not support
 * (runtime.DefaultMetaV1FieldSelectorConversion; such kinds allow metadata.name and metadata.namespace).
 */
export function unknownFieldSelectorMessage(field: string): string {
  return `${goQuote(field)} is not a known field selector: only "metadata.name", "metadata.namespace"`;
}

/** The 400 message for a field that a kind with its own conversion (Pod, Node, Event, Namespace, Secret, Service …) does not support. */
export function fieldLabelNotSupportedMessage(field: string): string {
  return `field label not supported: ${field}`;
}

const defaultSelectableFields: ReadonlySet<string> = new Set(['metadata.name', 'metadata.namespace']);

/**
 * The server's field-label conversion for one kind, applied term by term in order as upstream does.
 * `supported` undefined: upstream's default (metadata.name, metadata.namespace; "is not a known field selector").
 * `supported` given: that kind's own list ("field label not supported"); `renames` maps legacy labels
 * (Pod: spec.host → spec.nodeName). Throws SelectorParseError on the first unsupported field.
 */
export function convertFieldSelector(
  sel: FieldSelector,
  supported?: ReadonlySet<string> | readonly string[],
  renames?: Readonly<Record<string, string>>,
): FieldSelector {
  const custom = supported !== undefined;
  const allowed = supported === undefined ? defaultSelectableFields : supported instanceof Set ? supported : new Set(supported as readonly string[]);
  let changed = false;
  const reqs = sel.requirements.map((r) => {
    const renamed = renames !== undefined && Object.hasOwn(renames, r.field) ? renames[r.field] : undefined;
    if (renamed !== undefined) {
      changed = true;
      return Object.freeze({ ...r, field: renamed });
    }
    if (!allowed.has(r.field)) {
      throw new SelectorParseError(custom ? fieldLabelNotSupportedMessage(r.field) : unknownFieldSelectorMessage(r.field));
    }
    return r;
  });
  return changed ? Object.freeze({ requirements: Object.freeze(reqs) }) : sel;
}
