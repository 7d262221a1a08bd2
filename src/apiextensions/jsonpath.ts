// Kubernetes JSONPath (client-go util/jsonpath), as printer columns use it: `{.spec.replicas}`,
// `{.status.conditions[?(@.type=="Ready")].status}`, `{.items[0]}`, `{.a['b.c']}`, `{..name}`,
// `{.spec.*}`, unions `[0,1]` and slices `[1:3]`. range/end templates are not supported.
import { goPrint } from './gofmt.ts';
import { hasOwn, isObj } from './jsonschema.ts';

export class JSONPathError extends Error {
  override name = 'JSONPathError';
}

type ParamsEntry = { value: number; known: boolean; derived: boolean };

type Node =
  | { t: 'list'; nodes: Node[] }
  | { t: 'text'; text: string }
  | { t: 'field'; name: string }
  | { t: 'array'; params: [ParamsEntry, ParamsEntry, ParamsEntry] }
  | { t: 'filter'; left: Node & { t: 'list' }; right: Node & { t: 'list' }; op: string }
  | { t: 'int'; value: number }
  | { t: 'float'; value: number }
  | { t: 'bool'; value: boolean }
  | { t: 'wildcard' }
  | { t: 'recursive' }
  | { t: 'union'; nodes: Array<Node & { t: 'list' }> }
  | { t: 'identifier'; name: string };

type ListNode = Node & { t: 'list' };

const newList = (): ListNode => ({ t: 'list', nodes: [] });

const isTerminator = (c: string | undefined): boolean =>
  c === undefined || c === ' ' || c === '\t' || c === '\r' || c === '\n' || '.,[]$@{}'.includes(c);
const isAlphaNumeric = (c: string): boolean => c === '_' || /^[\p{L}\p{Nd}]$/u.test(c);

class Parser {
  root = newList();
  pos = 0;
  start = 0;

  constructor(readonly input: string) {}

  parse(): ListNode {
    this.parseText(this.root);
    return this.root;
  }

  consume(): string {
    const v = this.input.slice(this.start, this.pos);
    this.start = this.pos;
    return v;
  }

  next(): string | undefined {
    if (this.pos >= this.input.length) return undefined;
    const ch = String.fromCodePoint(this.input.codePointAt(this.pos)!);
    this.pos += ch.length;
    return ch;
  }

  rest(): string {
    return this.input.slice(this.pos);
  }

  parseText(cur: ListNode): void {
    for (;;) {
      if (this.rest().startsWith('{')) {
        if (this.pos > this.start) cur.nodes.push({ t: 'text', text: this.consume() });
        this.pos += 1;
        this.consume();
        const action = newList();
        cur.nodes.push(action);
        this.parseInsideAction(action);
        return;
      }
      if (this.next() === undefined) break;
    }
    if (this.pos > this.start) cur.nodes.push({ t: 'text', text: this.consume() });
  }

  parseInsideAction(cur: ListNode): void {
    for (;;) {
      const rest = this.rest();
      if (rest.startsWith('}')) {
        this.pos += 1;
        this.consume();
        this.parseText(this.root);
        return;
      }
      if (rest.startsWith('[?(')) {
        this.parseFilter(cur);
        continue;
      }
      if (rest.startsWith('..')) {
        const last = cur.nodes[cur.nodes.length - 1];
        if (last?.t === 'recursive') throw new JSONPathError('invalid multiple recursive descent');
        this.pos += 2;
        this.consume();
        cur.nodes.push({ t: 'recursive' });
        const c = this.rest()[0];
        if (c !== undefined && isAlphaNumeric(c)) this.parseField(cur);
        continue;
      }
      const r = this.next();
      if (r === undefined || r === '\r' || r === '\n') throw new JSONPathError('unclosed action');
      if (r === ' ' || r === '@' || r === '$') this.consume();
      else if (r === '[') this.parseArray(cur);
      else if (r === '"' || r === "'") this.parseQuote(cur, r);
      else if (r === '.') this.parseField(cur);
      else if (r === '+' || r === '-' || /^\d$/.test(r)) {
        this.pos -= r.length;
        this.parseNumber(cur);
      } else if (isAlphaNumeric(r)) {
        this.pos -= r.length;
        this.parseIdentifier(cur);
      } else {
        const cp = r.codePointAt(0)!;
        throw new JSONPathError(`unrecognized character in action: U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${r}'`);
      }
    }
  }

  parseIdentifier(cur: ListNode): void {
    while (!isTerminator(this.rest()[0])) this.next();
    const value = this.consume();
    if (value === 'true' || value === 'false') cur.nodes.push({ t: 'bool', value: value === 'true' });
    else cur.nodes.push({ t: 'identifier', name: value });
  }

  parseNumber(cur: ListNode): void {
    const c = this.rest()[0];
    if (c === '+' || c === '-') this.next();
    while (/^[.\d]$/.test(this.rest()[0] ?? '')) this.next();
    const value = this.consume();
    if (/^[-+]?\d+$/.test(value)) cur.nodes.push({ t: 'int', value: Number(value) });
    else if (/^[-+]?(\d+\.?\d*|\.\d+)$/.test(value)) cur.nodes.push({ t: 'float', value: Number(value) });
    else throw new JSONPathError(`cannot parse number ${value}`);
  }

  parseArray(cur: ListNode): void {
    for (;;) {
      const c = this.next();
      if (c === undefined || c === '\n') throw new JSONPathError('unterminated array');
      if (c === ']') break;
    }
    let text = this.consume().slice(1, -1);
    if (text === '*') text = ':';
    const parts = text.split(',');
    if (parts.length > 1) {
      cur.nodes.push({ t: 'union', nodes: parts.map((p) => parseAction(`[${p.trim()}]`)) });
      return;
    }
    const dict = /^'([^']*)'$/.exec(text);
    if (dict) {
      cur.nodes.push(...parseAction(`.${dict[1]}`).nodes);
      return;
    }
    const m = /^(-?\d*)(:-?\d*)?(:-?\d*)?$/.exec(text);
    if (!m) throw new JSONPathError(`invalid array index ${text}`);
    const params: [ParamsEntry, ParamsEntry, ParamsEntry] = [
      { value: 0, known: false, derived: false },
      { value: 0, known: false, derived: false },
      { value: 0, known: false, derived: false },
    ];
    for (let i = 0; i < 3; i++) {
      let v = m[i + 1] ?? '';
      if (v !== '') {
        if (i > 0) v = v.slice(1);
        if (i > 0 && v === '') params[i]!.known = false;
        else {
          if (!/^-?\d+$/.test(v)) throw new JSONPathError(`array index ${v} is not a number`);
          params[i] = { value: Number(v), known: true, derived: false };
        }
      } else if (i === 1) {
        params[1] = { value: params[0].value + 1, known: true, derived: true };
      }
    }
    cur.nodes.push({ t: 'array', params });
  }

  parseFilter(cur: ListNode): void {
    this.pos += 3;
    this.consume();
    let begin = false;
    let end = false;
    let pair = '';
    for (;;) {
      const r = this.next();
      if (r === undefined || r === '\n') throw new JSONPathError('unterminated filter');
      if (r === '"' || r === "'") {
        if (!begin) {
          begin = true;
          pair = r;
          continue;
        }
        if (this.input[this.pos - 2] !== '\\' && r === pair) end = true;
      } else if (r === ')' && begin === end) break;
    }
    if (this.next() !== ']') throw new JSONPathError('unclosed array expect ]');
    const text = this.consume().slice(0, -2);
    const m = /^([^!<>=]+)([!<>=]+)(.+?)$/s.exec(text);
    if (!m) cur.nodes.push({ t: 'filter', left: parseAction(text), right: newList(), op: 'exists' });
    else cur.nodes.push({ t: 'filter', left: parseAction(m[1]!), right: parseAction(m[3]!), op: m[2]! });
  }

  parseQuote(cur: ListNode, quote: string): void {
    for (;;) {
      const c = this.next();
      if (c === undefined || c === '\n') throw new JSONPathError('unterminated quoted string');
      if (c === quote && this.input[this.pos - 2] !== '\\') break;
    }
    const value = this.consume();
    cur.nodes.push({ t: 'text', text: unquote(value) });
  }

  parseField(cur: ListNode): void {
    this.consume();
    for (;;) {
      const c = this.rest()[0];
      if (c === '\\') {
        this.next();
        this.next();
      } else if (isTerminator(c)) break;
      else this.next();
    }
    const value = this.consume();
    cur.nodes.push(value === '*' ? { t: 'wildcard' } : { t: 'field', name: value.replace(/\\/g, '') });
  }
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v' };

/** strconv.Unquote, extended to single quotes. */
function unquote(s: string): string {
  const inner = s.slice(1, -1);
  return inner.replace(/\\(.)/gs, (_m, c: string) => ESCAPES[c] ?? c);
}

/** The list inside `{text}`. */
function parseAction(text: string): ListNode {
  const root = new Parser(`{${text}}`).parse();
  const first = root.nodes[0];
  if (first?.t !== 'list') throw new JSONPathError('invalid syntax');
  return first;
}

export interface JSONPath {
  template: string;
  root: ListNode;
}

/** Parses a template ("{.spec.replicas}"); throws JSONPathError. */
export function parseJSONPath(template: string): JSONPath {
  return { template, root: new Parser(template).parse() };
}

// ---------------------------------------------------------------------------------------------
// Evaluation. Values are the JSON values themselves; a JSON null is a (nil) result, a missing key none.

class Evaluator {
  constructor(readonly allowMissingKeys: boolean) {}

  walk(values: unknown[], node: Node): unknown[] {
    switch (node.t) {
      case 'list': {
        let cur = values;
        for (const n of node.nodes) cur = this.walk(cur, n);
        return cur;
      }
      case 'text':
        return [node.text];
      case 'field':
        return this.field(values, node.name);
      case 'array':
        return this.array(values, node.params);
      case 'filter':
        return this.filter(values, node);
      case 'int':
      case 'float':
        return values.map(() => node.value);
      case 'wildcard':
        return values.flatMap(children);
      case 'recursive':
        return this.recursive(values);
      case 'union':
        return node.nodes.flatMap((l) => this.walk(values, l));
      case 'identifier':
        throw new JSONPathError(`unrecognized identifier ${node.name}`);
      default:
        throw new JSONPathError(`unexpected Node ${JSON.stringify(node)}`);
    }
  }

  field(values: unknown[], name: string): unknown[] {
    const results: unknown[] = [];
    for (const v of values) {
      if (isObj(v) && hasOwn(v, name)) results.push(v[name]);
    }
    if (results.length === 0 && !this.allowMissingKeys && values.length > 0) throw new JSONPathError(`${name} is not found`);
    return results;
  }

  array(values: unknown[], params: [ParamsEntry, ParamsEntry, ParamsEntry]): unknown[] {
    const results: unknown[] = [];
    for (const v of values) {
      if (v === null || v === undefined) continue;
      if (!Array.isArray(v)) throw new JSONPathError(`${goTypeName(v)} is not array or slice`);
      const len = v.length;
      let start = params[0].known ? params[0].value : 0;
      if (start < 0) start += len;
      let end = params[1].derived ? start + 1 : params[1].known ? params[1].value : len;
      if (end < 0) end += len;
      if (end !== start) {
        if (start >= len) throw new JSONPathError(`array index out of bounds: index ${start}, length ${len}`);
        if (end > len) throw new JSONPathError(`array index out of bounds: index ${end - 1}, length ${len}`);
      }
      results.push(...v.slice(Math.max(start, 0), Math.max(end, 0)));
    }
    return results;
  }

  filter(values: unknown[], node: Node & { t: 'filter' }): unknown[] {
    const results: unknown[] = [];
    for (const v of values) {
      if (!Array.isArray(v)) throw new JSONPathError(`${goPrint(v)} is not array or slice and cannot be filtered`);
      for (const item of v) {
        if (node.op === 'exists') {
          let lefts: unknown[] = [];
          try {
            lefts = this.walk([item], node.left);
          } catch {
            lefts = [];
          }
          if (lefts.length > 0) results.push(item);
          continue;
        }
        const lefts = this.walk([item], node.left);
        if (lefts.length !== 1) throw new JSONPathError('can only compare one element at a time');
        const rights = this.walk([item], node.right);
        if (rights.length !== 1) throw new JSONPathError('can only compare one element at a time');
        if (compare(lefts[0], rights[0], node.op)) results.push(item);
      }
    }
    return results;
  }

  recursive(values: unknown[]): unknown[] {
    const result: unknown[] = [];
    for (const v of values) {
      const kids = children(v);
      if (kids.length > 0) {
        result.push(v);
        result.push(...this.recursive(kids));
      }
    }
    return result;
  }
}

function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isObj(v)) return Object.values(v);
  return [];
}

function goTypeName(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return 'map[string]interface {}';
}

type BasicKind = 'bool' | 'int' | 'float' | 'string';

function basicKind(v: unknown): BasicKind {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  throw new JSONPathError('invalid type for comparison');
}

/** text/template's eq/ne/lt/le/gt/ge on basic values of the same kind. */
function compare(a: unknown, b: unknown, op: string): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka !== kb) throw new JSONPathError('incompatible types for comparison');
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
    case '>':
    case '<=':
    case '>=': {
      if (ka === 'bool') throw new JSONPathError('invalid type for comparison');
      const x = a as number | string;
      const y = b as number | string;
      if (op === '<') return x < y;
      if (op === '>') return x > y;
      if (op === '<=') return x <= y;
      return x >= y;
    }
    default:
      throw new JSONPathError(`unrecognized filter operator ${op}`);
  }
}

/** FindResults: one result list per top-level node of the template. Throws JSONPathError. */
export function findResults(path: JSONPath, data: unknown, allowMissingKeys = true): unknown[][] {
  const ev = new Evaluator(allowMissingKeys);
  return path.root.nodes.map((node) => ev.walk([data], node));
}

/** How `kubectl get -o jsonpath` prints one result list: values joined by spaces, nil as "<no value>". */
export function printResults(results: unknown[]): string {
  return results.map((v) => (v === null || v === undefined ? '<no value>' : goPrint(v))).join(' ');
}
