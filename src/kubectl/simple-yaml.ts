// A parser for the plain subset of YAML kubeconfig files are written in (block mappings and sequences, plain and
// quoted strings, booleans, null, `{}` and `[]`), so a kubectl command does not load and warm up a full YAML library
// before its first request. Anything outside the subset (numbers, anchors, tags, block or multi-line scalars, flow
// collections with content, escapes) answers undefined and the caller parses the text with the `yaml` package,
// which also gives errors their wording. For input it accepts, the result equals that package's `parse`.

class OutsideSubset extends Error {
  override name = 'OutsideSubset';
}

interface Line {
  indent: number;
  text: string;
}

const NUMBER_LIKE = /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const PLAIN_START = /^(?:[A-Za-z0-9_/.~$]|-(?=\S))/;
const RESERVED_WORD = /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE)$/;

function fail(): never {
  throw new OutsideSubset();
}

function splitLines(text: string): Line[] {
  if (text.includes('\r') || text.includes('\t') || text.charCodeAt(0) === 0xfeff) fail();
  const lines: Line[] = [];
  let first = true;
  for (const raw of text.split('\n')) {
    const content = raw.trimStart();
    if (content === '' || content.startsWith('#')) continue;
    if (first && content.trimEnd() === '---' && raw === content) {
      first = false;
      continue;
    }
    first = false;
    if (content.startsWith('---') || content.startsWith('...') || content.startsWith('%')) fail();
    lines.push({ indent: raw.length - content.length, text: content.trimEnd() });
  }
  return lines;
}

/** A scalar value as written after `key: ` or `- `. */
function scalar(text: string): unknown {
  const first = text[0];
  if (first === '"' || first === "'") {
    const end = text.indexOf(first, 1);
    let body: string;
    let after: string;
    if (first === '"') {
      if (end === -1) fail();
      body = text.slice(1, end);
      if (body.includes('\\')) fail();
      after = text.slice(end + 1);
    } else {
      // '' is an escaped quote inside single quotes.
      let i = 1;
      body = '';
      for (;;) {
        const q = text.indexOf("'", i);
        if (q === -1) fail();
        body += text.slice(i, q);
        if (text[q + 1] === "'") {
          body += "'";
          i = q + 2;
          continue;
        }
        after = text.slice(q + 1);
        break;
      }
    }
    if (after.trim() !== '' && !/^\s+#/.test(after)) fail();
    return body;
  }
  if (text === '{}') return {};
  if (text === '[]') return [];
  const hash = text.indexOf(' #');
  const plain = (hash === -1 ? text : text.slice(0, hash)).trimEnd();
  if (plain === '' || plain === '~' || plain === 'null' || plain === 'Null' || plain === 'NULL') return null;
  if (plain === 'true' || plain === 'True' || plain === 'TRUE') return true;
  if (plain === 'false' || plain === 'False' || plain === 'FALSE') return false;
  if (!PLAIN_START.test(plain) || NUMBER_LIKE.test(plain) || plain.includes(': ') || plain.endsWith(':')) fail();
  return plain;
}

/** `key: rest` → the key and what follows the colon; undefined when the line is not a mapping entry. */
function mappingEntry(text: string): { key: string; rest: string } | undefined {
  const first = text[0];
  if (first === '"' || first === "'") {
    const end = text.indexOf(first, 1);
    if (end === -1 || text[end + 1] !== ':' || (text.length > end + 2 && text[end + 2] !== ' ')) return undefined;
    const key = text.slice(1, end);
    if (key.includes('\\') || (first === "'" && key.includes("'"))) fail();
    return { key, rest: text.slice(end + 2).trimStart() };
  }
  const colon = text.search(/:(?: |$)/);
  if (colon === -1) return undefined;
  const key = text.slice(0, colon);
  if (!PLAIN_START.test(key) || key.includes(' #') || NUMBER_LIKE.test(key) || RESERVED_WORD.test(key) || key !== key.trimEnd()) fail();
  return { key, rest: text.slice(colon + 1).trimStart() };
}

const isSequenceItem = (text: string) => text === '-' || text.startsWith('- ');

class Parser {
  i = 0;
  constructor(readonly lines: Line[]) {}

  node(minIndent: number): unknown {
    const line = this.lines[this.i];
    if (!line || line.indent < minIndent) return null;
    return isSequenceItem(line.text) ? this.sequence(line.indent) : this.mapping(line.indent);
  }

  sequence(indent: number): unknown[] {
    const items: unknown[] = [];
    for (let line = this.lines[this.i]; line && line.indent === indent && isSequenceItem(line.text); line = this.lines[this.i]) {
      const rest = line.text.slice(1).trimStart();
      if (rest === '' || rest.startsWith('#')) {
        this.i++;
        items.push(this.node(indent + 1));
        continue;
      }
      if (isSequenceItem(rest) || rest.startsWith('? ')) fail();
      if (mappingEntry(rest)) {
        // `- key: value`: a mapping whose keys line up with `key`.
        this.lines[this.i] = { indent: indent + (line.text.length - rest.length), text: rest };
        items.push(this.mapping(this.lines[this.i]!.indent));
        continue;
      }
      items.push(scalar(rest));
      this.i++;
    }
    this.checkDedent(indent);
    return items;
  }

  mapping(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let line = this.lines[this.i]; line && line.indent === indent && !isSequenceItem(line.text); line = this.lines[this.i]) {
      const entry = mappingEntry(line.text);
      if (!entry || entry.key === '__proto__' || Object.prototype.hasOwnProperty.call(out, entry.key)) fail();
      this.i++;
      if (entry.rest !== '' && !entry.rest.startsWith('#')) {
        out[entry.key] = scalar(entry.rest);
        continue;
      }
      const next = this.lines[this.i];
      if (next && next.indent > indent) out[entry.key] = this.node(indent + 1);
      else if (next && next.indent === indent && isSequenceItem(next.text)) out[entry.key] = this.sequence(indent);
      else out[entry.key] = null;
    }
    this.checkDedent(indent);
    return out;
  }

  /** After a block, the next line must belong to an enclosing block: deeper indentation means a construct not modelled here. */
  checkDedent(indent: number): void {
    const next = this.lines[this.i];
    if (next && next.indent > indent) fail();
  }
}

/** The document, or undefined when the text uses YAML beyond the subset (parse it with the `yaml` package then). */
export function parseSimpleYaml(text: string): unknown {
  try {
    const lines = splitLines(text);
    if (lines.length === 0) return undefined;
    const parser = new Parser(lines);
    const doc = parser.node(0);
    return parser.i === lines.length ? doc : undefined;
  } catch (err) {
    if (err instanceof OutsideSubset) return undefined;
    throw err;
  }
}
