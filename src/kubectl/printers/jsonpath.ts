// kubectl's JSONPath templates (`-o jsonpath=…`, custom-columns, --sort-by): literal text with `{…}` actions —
// paths (.a.b, ['k'], [n], [a:b], [*], ..name, [?(@.k=="v")]), string literals, and {range …}{end}.

export class JsonPathError extends Error {
  override name = 'JsonPathError';
}

type Step =
  | { t: 'field'; name: string }
  | { t: 'all' }
  | { t: 'index'; start?: number; end?: number; step?: number; single: boolean }
  | { t: 'union'; names: string[] }
  | { t: 'recursive'; name: string }
  | { t: 'filter'; left: Path; op: string; right: Path | { literal: unknown } };

interface Path {
  root: '$' | '@';
  steps: Step[];
}

type Node = { t: 'text'; text: string } | { t: 'path'; path: Path } | { t: 'range'; path: Path; body: Node[] };

function parsePath(src: string): Path {
  let s = src.trim();
  let root: '$' | '@' = '@';
  if (s.startsWith('$')) {
    root = '$';
    s = s.slice(1);
  } else if (s.startsWith('@')) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  const readName = (): string => {
    let name = '';
    while (i < s.length && s[i] !== '.' && s[i] !== '[') {
      if (s[i] === '\\' && i + 1 < s.length) {
        name += s[i + 1];
        i += 2;
      } else name += s[i++];
    }
    return name;
  };
  while (i < s.length) {
    const c = s[i]!;
    if (c === '.') {
      if (s[i + 1] === '.') {
        i += 2;
        steps.push({ t: 'recursive', name: readName() });
        continue;
      }
      i++;
      const name = readName();
      if (name === '*') steps.push({ t: 'all' });
      else if (name) steps.push({ t: 'field', name });
      continue;
    }
    if (c === '[') {
      const close = matchBracket(s, i);
      const inner = s.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === '*') steps.push({ t: 'all' });
      else if (inner.startsWith('?(') && inner.endsWith(')')) steps.push(parseFilter(inner.slice(2, -1)));
      else if (/^['"]/.test(inner)) steps.push({ t: 'union', names: inner.split(',').map((n) => n.trim().replace(/^['"]|['"]$/g, '')) });
      else if (/^-?\d*(:-?\d*){0,2}$/.test(inner)) {
        const parts = inner.split(':').map((p) => (p === '' ? undefined : Number(p)));
        if (parts.length === 1) steps.push({ t: 'index', start: parts[0]!, single: true });
        else {
          const step: Step = { t: 'index', single: false };
          if (parts[0] !== undefined) step.start = parts[0];
          if (parts[1] !== undefined) step.end = parts[1];
          if (parts[2] !== undefined) step.step = parts[2];
          steps.push(step);
        }
      } else if (inner.includes(',')) steps.push({ t: 'union', names: inner.split(',').map((n) => n.trim()) });
      else steps.push({ t: 'field', name: inner });
      continue;
    }
    // A bare name at the start (custom-columns' relaxed form is normalised before this, but be lenient).
    const name = readName();
    if (!name) throw new JsonPathError(`unrecognized character in action: ${JSON.stringify(c)}`);
    steps.push({ t: 'field', name });
  }
  return { root, steps };
}

function matchBracket(s: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return i;
  }
  throw new JsonPathError('unterminated array');
}

function parseFilter(expr: string): Step {
  const m = /^(.*?)\s*(==|!=|<=|>=|<|>)\s*(.*)$/.exec(expr.trim());
  if (!m) return { t: 'filter', left: parsePath(expr), op: 'exists', right: { literal: true } };
  const right = m[3]!.trim();
  let parsedRight: Path | { literal: unknown };
  if (/^['"]/.test(right)) parsedRight = { literal: right.slice(1, -1) };
  else if (/^-?\d+(\.\d+)?$/.test(right)) parsedRight = { literal: Number(right) };
  else if (right === 'true' || right === 'false') parsedRight = { literal: right === 'true' };
  else parsedRight = parsePath(right);
  return { t: 'filter', left: parsePath(m[1]!), op: m[2]!, right: parsedRight };
}

/** Parses a template into text, path and range nodes. */
export function parseTemplate(template: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    const current = stack[stack.length - 1]!;
    if (open === -1) {
      current.push({ t: 'text', text: template.slice(i) });
      break;
    }
    if (open > i) current.push({ t: 'text', text: template.slice(i, open) });
    const close = findClose(template, open);
    const action = template.slice(open + 1, close).trim();
    i = close + 1;
    if (action.startsWith('range ')) {
      const node: Node = { t: 'range', path: parsePath(action.slice(6)), body: [] };
      current.push(node);
      stack.push(node.body);
    } else if (action === 'end') {
      if (stack.length === 1) throw new JsonPathError('not in range, nothing to end');
      stack.pop();
    } else if (/^".*"$/s.test(action)) {
      current.push({ t: 'text', text: JSON.parse(action) as string });
    } else if (/^'.*'$/s.test(action)) {
      current.push({ t: 'text', text: action.slice(1, -1) });
    } else if (action === '') {
      current.push({ t: 'path', path: { root: '@', steps: [] } });
    } else current.push({ t: 'path', path: parsePath(action) });
  }
  if (stack.length !== 1) throw new JsonPathError('unclosed action');
  return root;
}

function findClose(s: string, open: number): number {
  let quote = '';
  for (let i = open + 1; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '}') return i;
  }
  throw new JsonPathError('unclosed action');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function descendants(v: unknown, name: string, out: unknown[]): void {
  if (Array.isArray(v)) for (const e of v) descendants(e, name, out);
  else if (isObject(v)) {
    if (name in v) out.push(v[name]);
    for (const k of Object.keys(v).sort()) descendants(v[k], name, out);
  }
}

function compare(a: unknown, op: string, b: unknown): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return (a as number) < (b as number);
    case '>':
      return (a as number) > (b as number);
    case '<=':
      return (a as number) <= (b as number);
    case '>=':
      return (a as number) >= (b as number);
    default:
      return a !== undefined;
  }
}

/** The values a path selects (missing keys select nothing, as `kubectl get` allows). */
export function evaluate(path: Path, root: unknown, current: unknown): unknown[] {
  let values = [path.root === '$' ? root : current];
  for (const step of path.steps) {
    const next: unknown[] = [];
    for (const v of values) {
      switch (step.t) {
        case 'field':
          if (isObject(v) && step.name in v) next.push(v[step.name]);
          break;
        case 'union':
          if (isObject(v)) for (const n of step.names) if (n in v) next.push(v[n]);
          break;
        case 'all':
          if (Array.isArray(v)) next.push(...v);
          else if (isObject(v)) for (const k of Object.keys(v).sort()) next.push(v[k]);
          break;
        case 'recursive':
          descendants(v, step.name, next);
          break;
        case 'index': {
          if (!Array.isArray(v)) break;
          const len = v.length;
          const norm = (n: number) => (n < 0 ? n + len : n);
          if (step.single) {
            const at = norm(step.start ?? 0);
            if (at < 0 || at >= len) throw new JsonPathError('array index out of bounds');
            next.push(v[at]);
          } else {
            const start = Math.max(0, norm(step.start ?? 0));
            const end = Math.min(len, norm(step.end ?? len));
            for (let k = start; k < end; k += step.step ?? 1) next.push(v[k]);
          }
          break;
        }
        case 'filter': {
          const items = Array.isArray(v) ? v : isObject(v) ? [v] : [];
          for (const item of items) {
            const left = evaluate(step.left, root, item);
            const right = 'literal' in step.right ? [step.right.literal] : evaluate(step.right, root, item);
            if (left.length && right.length && compare(left[0], step.op, right[0])) next.push(item);
          }
          break;
        }
      }
    }
    values = next;
  }
  return values;
}

/** Go's fmt.Sprint of a JSON value, as jsonpath prints scalars. */
function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'object') return goMarshal(v);
  return String(v);
}

/** Go's json.Marshal of decoded JSON: map keys sorted, <>& escaped. */
function goMarshal(v: unknown): string {
  const sorted = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sorted);
    if (x && typeof x === 'object') return Object.fromEntries(Object.keys(x).sort().map((k) => [k, sorted((x as Record<string, unknown>)[k])]));
    return x;
  };
  return JSON.stringify(sorted(v)).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

function execute(nodes: Node[], root: unknown, current: unknown, out: string[]): void {
  for (const node of nodes) {
    if (node.t === 'text') out.push(node.text);
    else if (node.t === 'path') out.push(evaluate(node.path, root, current).map(text).join(' '));
    else for (const item of evaluate(node.path, root, current).flatMap((v) => (Array.isArray(v) ? v : [v]))) execute(node.body, root, item, out);
  }
}

/** Renders a template against `data`. */
export function renderJsonPath(template: string, data: unknown): string {
  const out: string[] = [];
  execute(parseTemplate(template), data, data, out);
  return out.join('');
}

/** kubectl's relaxed form for custom-columns and --sort-by: `.a.b`, `a.b` and `{.a.b}` all mean `{.a.b}`. */
export function relaxedPath(expr: string): string {
  let e = expr.trim();
  if (e.startsWith('{') && e.endsWith('}')) e = e.slice(1, -1);
  if (!e.startsWith('.') && !e.startsWith('$') && !e.startsWith('[')) e = `.${e}`;
  return `{${e}}`;
}

/** The values one `{path}` selects, for custom-columns and sorting. */
export function findValues(template: string, data: unknown): unknown[] {
  const nodes = parseTemplate(template);
  const node = nodes.find((n) => n.t === 'path');
  return node && node.t === 'path' ? evaluate(node.path, data, data) : [];
}
