// The small language simulated-node stages are written in: field paths that select and test an object, and JSON
// templates with {{ expressions }} that produce the next status. Data, so a stages file can change the lifecycle.
//
// Paths:        .status.phase   .spec.containers[].name   .status.conditions[type=Ready].status
//               .metadata.annotations["a.b/c"]   $c.name (a variable bound by $each)   . (the object itself)
//               Filters keep list items: [k=v], [k=$c.name], [k] (has k), [!k] (lacks k).
//               A path with [] or a filter yields a list; otherwise one value (or undefined).
// Calls:        now()  join(list, sep)  if(cond, then, else)  exists(x)  not(x)  eq(a, b)  and(..)  or(..)
//               default(x, y)  first(list)  len(x)  max(..)  add(..)  mul(a, b)  duration('5s')  plus functions
//               the caller provides (podIPs(), hostIPs(), containerID(name) …).
// Literals:     'text'  "text"  12  1.5  true  false  null
// Templates:    any JSON value; a string that is exactly "{{ expr }}" becomes the expression's value (an undefined
//               value drops the key); other strings interpolate. { $each: expr, as: name, value: template } maps a
//               list; { $if: expr, then: template, else: template } picks one. Inside an array both spread their
//               results into it.

export class TemplateSyntaxError extends Error {
  override name = 'TemplateSyntaxError';
}

export class TemplateEvaluationError extends Error {
  override name = 'TemplateEvaluationError';
}

export type TemplateFunction = (...args: unknown[]) => unknown;

export interface EvalContext {
  now: Date;
  /** Functions beyond the built-in ones, e.g. podIPs() for a simulated node. */
  functions?: Readonly<Record<string, TemplateFunction>>;
}

export interface Scope {
  root: unknown;
  vars: Readonly<Record<string, unknown>>;
  ctx: EvalContext;
}

type Segment =
  | { kind: 'key'; key: string }
  | { kind: 'all' }
  | { kind: 'index'; index: number }
  /** [k=v] keeps list items whose k equals v (v may be a $variable path); [k] those that have k; [!k] those that do not. */
  | { kind: 'filter'; key: string; value?: string | Expr; absent?: boolean };

export type Expr =
  | { kind: 'literal'; value: unknown }
  | { kind: 'path'; root: string | null; segments: Segment[]; multi: boolean }
  | { kind: 'call'; name: string; args: Expr[] };

/** Go template truthiness: false, 0, '', null, undefined, and empty lists and maps are false. */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** metav1.Time: RFC 3339 with whole seconds. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("1.5s", "2m30s", "300ms") in milliseconds, or undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== s) return undefined;
  return parts.reduce((ms, p) => ms + Number(p[1]) * DURATION_UNITS[p[2]!]!, 0);
}

// ---------------------------------------------------------------------------------------------------
// Parsing

const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  fail(message: string): never {
    throw new TemplateSyntaxError(`${message} at ${this.pos} in ${JSON.stringify(this.text)}`);
  }

  ws(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  ident(): string | undefined {
    IDENT.lastIndex = this.pos;
    const m = IDENT.exec(this.text);
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  quoted(): string {
    const quote = this.peek();
    let out = '';
    for (this.pos++; this.pos < this.text.length; this.pos++) {
      const c = this.text[this.pos]!;
      if (c === quote) {
        this.pos++;
        return out;
      }
      if (c === '\\') {
        this.pos++;
        const e = this.text[this.pos] ?? '';
        out += e === 'n' ? '\n' : e === 't' ? '\t' : e;
      } else out += c;
    }
    return this.fail('unterminated string');
  }

  expression(): Expr {
    this.ws();
    const c = this.peek();
    if (c === "'" || c === '"') return { kind: 'literal', value: this.quoted() };
    if (/[0-9-]/.test(c)) {
      const m = /-?\d+(\.\d+)?/y;
      m.lastIndex = this.pos;
      const hit = m.exec(this.text);
      if (!hit) this.fail('bad number');
      this.pos += hit[0].length;
      return { kind: 'literal', value: Number(hit[0]) };
    }
    if (c === '.') return this.path(null);
    if (c === '$') {
      this.pos++;
      const name = this.ident() ?? this.fail('variable name expected');
      return this.path(name);
    }
    const name = this.ident();
    if (name === undefined) return this.fail('expression expected');
    if (name === 'true' || name === 'false') return { kind: 'literal', value: name === 'true' };
    if (name === 'null') return { kind: 'literal', value: null };
    this.ws();
    if (this.peek() !== '(') this.fail(`"(" expected after ${name}`);
    this.pos++;
    const args: Expr[] = [];
    this.ws();
    if (this.peek() === ')') this.pos++;
    else {
      for (;;) {
        args.push(this.expression());
        this.ws();
        const sep = this.peek();
        this.pos++;
        if (sep === ')') break;
        if (sep !== ',') this.fail('"," or ")" expected');
      }
    }
    return { kind: 'call', name, args };
  }

  path(root: string | null): Expr {
    const segments: Segment[] = [];
    let multi = false;
    // A lone "." is the object itself.
    if (root === null) {
      this.pos++;
      const key = this.ident();
      if (key !== undefined) segments.push({ kind: 'key', key });
      else if (this.peek() === '"') segments.push({ kind: 'key', key: this.quoted() });
    }
    for (;;) {
      const c = this.peek();
      if (c === '.') {
        this.pos++;
        if (this.peek() === '[') continue; // jq's ".[]" spelling
        if (this.peek() === '"') {
          segments.push({ kind: 'key', key: this.quoted() });
          continue;
        }
        const key = this.ident() ?? this.fail('field name expected');
        segments.push({ kind: 'key', key });
      } else if (c === '[') {
        this.pos++;
        this.ws();
        if (this.peek() === ']') {
          this.pos++;
          segments.push({ kind: 'all' });
          multi = true;
          continue;
        }
        if (this.peek() === '"' || this.peek() === "'") {
          segments.push({ kind: 'key', key: this.quoted() });
        } else if (/\d/.test(this.peek())) {
          const start = this.pos;
          while (/\d/.test(this.peek())) this.pos++;
          segments.push({ kind: 'index', index: Number(this.text.slice(start, this.pos)) });
        } else {
          const absent = this.peek() === '!';
          if (absent) this.pos++;
          const key = this.ident() ?? this.fail('filter field expected');
          this.ws();
          if (this.peek() === ']' || absent) {
            segments.push(absent ? { kind: 'filter', key, absent } : { kind: 'filter', key });
          } else {
            if (this.peek() !== '=') this.fail('"=" or "]" expected in filter');
            this.pos++;
            this.ws();
            let value: string | Expr;
            if (this.peek() === '"' || this.peek() === "'") value = this.quoted();
            else if (this.peek() === '$') {
              this.pos++;
              value = this.path(this.ident() ?? this.fail('variable name expected'));
            } else {
              const start = this.pos;
              while (this.pos < this.text.length && this.peek() !== ']') this.pos++;
              value = this.text.slice(start, this.pos).trim();
            }
            segments.push({ kind: 'filter', key, value });
          }
          multi = true;
        }
        this.ws();
        if (this.peek() !== ']') this.fail('"]" expected');
        this.pos++;
      } else break;
    }
    return { kind: 'path', root, segments, multi };
  }
}

export function parseExpression(text: string): Expr {
  const p = new Parser(text);
  const expr = p.expression();
  p.ws();
  if (p.pos !== text.length) p.fail('unexpected text');
  return expr;
}

// ---------------------------------------------------------------------------------------------------
// Evaluation

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function keeps(item: unknown, seg: Extract<Segment, { kind: 'filter' }>, scope: Scope): boolean {
  if (!isMap(item)) return false;
  const present = item[seg.key] !== undefined && item[seg.key] !== null;
  if (seg.value === undefined) return seg.absent ? !present : present;
  const want = typeof seg.value === 'string' ? seg.value : String(evaluate(seg.value, scope) ?? '');
  return present && String(item[seg.key]) === want;
}

function walk(start: unknown, segments: readonly Segment[], scope: Scope): unknown[] {
  let values: unknown[] = start === undefined || start === null ? [] : [start];
  for (const seg of segments) {
    const next: unknown[] = [];
    for (const v of values) {
      switch (seg.kind) {
        case 'key':
          if (isMap(v) && Object.hasOwn(v, seg.key)) next.push(v[seg.key]);
          break;
        case 'all':
          if (Array.isArray(v)) next.push(...v);
          break;
        case 'index':
          if (Array.isArray(v)) next.push(v[seg.index]);
          break;
        case 'filter':
          if (Array.isArray(v)) for (const e of v) if (keeps(e, seg, scope)) next.push(e);
          break;
      }
    }
    values = next.filter((x) => x !== undefined && x !== null);
  }
  return values;
}

/** Every value a path reaches (for selectors, which test any of them). */
export function evaluateAll(expr: Expr, scope: Scope): unknown[] {
  if (expr.kind === 'path') return walk(pathStart(expr, scope), expr.segments, scope);
  const v = evaluate(expr, scope);
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function pathStart(expr: Extract<Expr, { kind: 'path' }>, scope: Scope): unknown {
  if (expr.root === null) return scope.root;
  if (!Object.hasOwn(scope.vars, expr.root)) throw new TemplateEvaluationError(`unknown variable $${expr.root}`);
  return scope.vars[expr.root];
}

const numbers = (args: unknown[]): number[] =>
  args.flat(2).filter((x) => x !== undefined && x !== null && x !== '').map(Number).filter((n) => !Number.isNaN(n));

/** Built-ins whose arguments are evaluated only when needed (so if(…, podIPs(), …) allocates nothing it does not use). */
const LAZY: Record<string, (args: Expr[], scope: Scope) => unknown> = {
  if: (args, scope) => {
    const [cond, then, otherwise] = args;
    if (!cond) throw new TemplateEvaluationError('if() needs a condition');
    if (truthy(evaluate(cond, scope))) return then ? evaluate(then, scope) : undefined;
    return otherwise ? evaluate(otherwise, scope) : undefined;
  },
  and: (args, scope) => {
    let v: unknown = true;
    for (const a of args) {
      v = evaluate(a, scope);
      if (!truthy(v)) return v;
    }
    return v;
  },
  or: (args, scope) => {
    let v: unknown;
    for (const a of args) {
      v = evaluate(a, scope);
      if (truthy(v)) return v;
    }
    return v;
  },
  default: (args, scope) => {
    for (const a of args) {
      const v = evaluate(a, scope);
      if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) return v;
    }
    return undefined;
  },
};

const BUILTINS: Record<string, (ctx: EvalContext, ...args: unknown[]) => unknown> = {
  now: (ctx) => rfc3339(ctx.now),
  join: (_ctx, list, sep) => (Array.isArray(list) ? list : list === undefined || list === null ? [] : [list]).map(String).join(sep === undefined ? ' ' : String(sep)),
  exists: (_ctx, v) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0),
  not: (_ctx, v) => !truthy(v),
  eq: (_ctx, a, b) => (a === undefined || a === null ? '' : String(a)) === (b === undefined || b === null ? '' : String(b)),
  first: (_ctx, v) => (Array.isArray(v) ? v[0] : v),
  len: (_ctx, v) => (Array.isArray(v) || typeof v === 'string' ? v.length : isMap(v) ? Object.keys(v).length : 0),
  max: (_ctx, ...args) => {
    const ns = numbers(args);
    return ns.length ? Math.max(...ns) : undefined;
  },
  add: (_ctx, ...args) => numbers(args).reduce((a, b) => a + b, 0),
  mul: (_ctx, a, b) => Number(a ?? 0) * Number(b ?? 0),
  duration: (_ctx, v) => (typeof v === 'string' ? parseGoDuration(v) : undefined),
};

export function evaluate(expr: Expr, scope: Scope): unknown {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'path': {
      const values = walk(pathStart(expr, scope), expr.segments, scope);
      return expr.multi ? values : values[0];
    }
    case 'call': {
      const lazy = LAZY[expr.name];
      if (lazy) return lazy(expr.args, scope);
      const args = expr.args.map((a) => evaluate(a, scope));
      const custom = scope.ctx.functions?.[expr.name];
      if (custom) return custom(...args);
      const builtin = BUILTINS[expr.name];
      if (!builtin) throw new TemplateEvaluationError(`unknown function ${expr.name}()`);
      return builtin(scope.ctx, ...args);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Templates

export type Template =
  | { t: 'const'; value: unknown }
  | { t: 'expr'; expr: Expr }
  | { t: 'interpolate'; parts: Array<string | Expr> }
  | { t: 'array'; items: Template[] }
  | { t: 'object'; entries: Array<[string, Template]> }
  | { t: 'each'; source: Expr; as: string; value: Template }
  | { t: 'if'; cond: Expr; then?: Template; else?: Template };

const WHOLE = /^\s*\{\{([^]*?)\}\}\s*$/;
const PART = /\{\{([^]*?)\}\}/g;

/** Parses every expression in a JSON template once, so rendering is only evaluation. */
export function compileTemplate(value: unknown, where = 'template'): Template {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole && !whole[1]!.includes('{{')) return { t: 'expr', expr: parseAt(whole[1]!, where) };
    if (!value.includes('{{')) return { t: 'const', value };
    const parts: Array<string | Expr> = [];
    let last = 0;
    for (const m of value.matchAll(PART)) {
      if (m.index > last) parts.push(value.slice(last, m.index));
      parts.push(parseAt(m[1]!, where));
      last = m.index + m[0].length;
    }
    if (last < value.length) parts.push(value.slice(last));
    return { t: 'interpolate', parts };
  }
  if (Array.isArray(value)) return { t: 'array', items: value.map((v, i) => compileTemplate(v, `${where}[${i}]`)) };
  if (isMap(value)) {
    if (Object.hasOwn(value, '$each')) {
      const as = value['as'] ?? 'item';
      if (typeof value['$each'] !== 'string' || typeof as !== 'string') throw new TemplateSyntaxError(`${where}: $each needs an expression and "as" a name`);
      return { t: 'each', source: parseAt(value['$each'], where), as, value: compileTemplate(value['value'], `${where}.value`) };
    }
    if (Object.hasOwn(value, '$if')) {
      if (typeof value['$if'] !== 'string') throw new TemplateSyntaxError(`${where}: $if needs an expression`);
      const out: Template = { t: 'if', cond: parseAt(value['$if'], where) };
      if (value['then'] !== undefined) out.then = compileTemplate(value['then'], `${where}.then`);
      if (value['else'] !== undefined) out.else = compileTemplate(value['else'], `${where}.else`);
      return out;
    }
    return { t: 'object', entries: Object.entries(value).map(([k, v]) => [k, compileTemplate(v, `${where}.${k}`)]) };
  }
  return { t: 'const', value };
}

function parseAt(text: string, where: string): Expr {
  try {
    return parseExpression(text.trim());
  } catch (err) {
    throw new TemplateSyntaxError(`${where}: ${(err as Error).message}`, { cause: err });
  }
}

function stringOf(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** The value of a template; undefined means "leave this key out". */
export function renderTemplate(tpl: Template, scope: Scope): unknown {
  switch (tpl.t) {
    case 'const':
      return structuredCloneIfObject(tpl.value);
    case 'expr':
      return evaluate(tpl.expr, scope);
    case 'interpolate':
      return tpl.parts.map((p) => (typeof p === 'string' ? p : stringOf(evaluate(p, scope)))).join('');
    case 'array': {
      const out: unknown[] = [];
      for (const item of tpl.items) {
        const v = renderTemplate(item, scope);
        if (v === undefined) continue;
        if ((item.t === 'each' || item.t === 'if') && Array.isArray(v)) out.push(...v);
        else out.push(v);
      }
      return out;
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of tpl.entries) {
        const value = renderTemplate(v, scope);
        if (value !== undefined) out[k] = value;
      }
      return out;
    }
    case 'each': {
      const source = evaluate(tpl.source, scope);
      const list = Array.isArray(source) ? source : source === undefined || source === null ? [] : [source];
      const out: unknown[] = [];
      list.forEach((item, index) => {
        const v = renderTemplate(tpl.value, { ...scope, vars: { ...scope.vars, [tpl.as]: item, index } });
        if (v !== undefined) out.push(v);
      });
      return out;
    }
    case 'if': {
      const branch = truthy(evaluate(tpl.cond, scope)) ? tpl.then : tpl.else;
      return branch ? renderTemplate(branch, scope) : undefined;
    }
  }
}

function structuredCloneIfObject(v: unknown): unknown {
  return typeof v === 'object' && v !== null ? structuredClone(v) : v;
}
