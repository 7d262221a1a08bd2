// Go (RE2) regular expressions, as CRD schemas write them in `pattern`, translated to JavaScript.
// Covers the RE2 syntax JavaScript spells differently: leading (?flags), \A, \z, \pL, POSIX classes,
// (?P<name>…). Syntax JavaScript lacks (inline flag groups, \Q…\E) makes the pattern invalid here.

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

export class GoRegexpError extends Error {
  override name = 'GoRegexpError';
}

const cache = new Map<string, RegExp | GoRegexpError>();

/** Compiles a Go regular expression; a GoRegexpError says why it cannot be used. */
export function compileGoRegexp(pattern: string): RegExp | GoRegexpError {
  let re = cache.get(pattern);
  if (re === undefined) {
    re = translate(pattern);
    if (cache.size > 1000) cache.clear();
    cache.set(pattern, re);
  }
  return re;
}

function translate(pattern: string): RegExp | GoRegexpError {
  let src = pattern;
  let flags = '';
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]!) if (f !== 'U' && !flags.includes(f)) flags += f;
    src = src.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) return new GoRegexpError('trailing backslash at end of expression');
      if (n === 'A' && !inClass) out += '^';
      else if (n === 'z' && !inClass) out += '$(?![\\s\\S])';
      else if ((n === 'p' || n === 'P') && src[i + 2] !== '{' && src[i + 2] !== undefined) {
        out += `\\${n}{${src[i + 2]}}`;
        i++;
      } else if (n === 'Q') return new GoRegexpError('\\Q…\\E is not supported');
      else out += `\\${n}`;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') {
        const end = src.indexOf(':]', i + 2);
        const negated = src[i + 2] === '^';
        const name = end > 0 ? src.slice(i + (negated ? 3 : 2), end) : '';
        const cls = POSIX_CLASSES[name];
        if (cls === undefined || negated) return new GoRegexpError(`invalid character class range: \`${src.slice(i, end + 2)}\``);
        out += cls;
        i = end + 1;
        continue;
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal in RE2.
      if (src[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (src[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && src.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
      continue;
    }
    if (c === '(' && src[i + 1] === '?' && /^[imsU-]/.test(src[i + 2] ?? '')) {
      return new GoRegexpError('inline flag groups are not supported');
    }
    out += c;
  }
  for (const extra of ['u', '']) {
    try {
      return new RegExp(out, flags + extra);
    } catch (err) {
      if (extra === '') return new GoRegexpError((err as Error).message);
    }
  }
  return new GoRegexpError('invalid pattern');
}
