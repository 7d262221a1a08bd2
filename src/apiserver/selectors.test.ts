import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  SelectorParseError,
  convertFieldSelector,
  everythingLabels,
  fieldSelectorToString,
  isEverythingLabels,
  labelSelectorFromObject,
  labelSelectorFromSet,
  labelSelectorToString,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  requiredFieldValue,
  requiredLabelValue,
  requirementsOf,
  escapeFieldValue,
} from './selectors.ts';

function parseError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SelectorParseError, `expected SelectorParseError, got ${String(e)}`);
    assert.equal(e.name, 'SelectorParseError');
    return e.message;
  }
  assert.fail('expected a SelectorParseError');
}

const keyRegex = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const nameMsg =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " +
  `(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${keyRegex}')`;
const valueMsg =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " +
  `(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(${keyRegex})?')`;

describe('parseLabelSelector', () => {
  it('prints parsed selectors back as written (minus spaces)', () => {
    for (const s of ['x=a,y=b,z=c', '', 'x!=a,y=b', 'x=', 'x= ', 'x=,z= ', 'x= ,z= ', '!x', 'x>1', 'x>1,z<5', 'a==b']) {
      assert.equal(labelSelectorToString(parseLabelSelector(s)), s.replaceAll(' ', ''), s);
    }
    assert.equal(labelSelectorToString(parseLabelSelector('a  in(x, y) ,b notin (z)')), 'a in (x,y),b notin (z)');
  });

  it('sorts requirements by key and in-values, dropping duplicate values', () => {
    assert.equal(labelSelectorToString(parseLabelSelector('x=a,a=x')), 'a=x,x=a');
    assert.equal(labelSelectorToString(parseLabelSelector('tier in (b, a, b), app = nginx')), 'app=nginx,tier in (a,b)');
    assert.deepEqual(parseLabelSelector('x in (b,a,b)').requirements[0]?.values, ['a', 'b']);
  });

  it('reads empty members of a value set as ""', () => {
    assert.equal(labelSelectorToString(parseLabelSelector('x in ()')), 'x in ()');
    assert.deepEqual(parseLabelSelector('x in (,a)').requirements[0]?.values, ['', 'a']);
    assert.deepEqual(parseLabelSelector('x in (a,)').requirements[0]?.values, ['', 'a']);
    assert.deepEqual(parseLabelSelector('x notin (a,,b)').requirements[0]?.values, ['', 'a', 'b']);
  });

  it('treats in and notin as plain words where a key or value is expected', () => {
    const sel = parseLabelSelector('notin=in,in in (in,notin)');
    assert.deepEqual(sel.requirements, [
      { key: 'in', operator: 'In', values: ['in', 'notin'] },
      { key: 'notin', operator: 'Equals', values: ['in'] },
    ]);
  });

  it('knows every operator', () => {
    const ops = parseLabelSelector('a=1,b==2,c!=3,d in (4),e notin (5),f,!g,h>6,i<7').requirements.map((r) => r.operator);
    assert.deepEqual(ops, ['Equals', 'DoubleEquals', 'NotEquals', 'In', 'NotIn', 'Exists', 'DoesNotExist', 'GreaterThan', 'LessThan']);
  });

  it('accepts prefixed keys and whitespace of every kind', () => {
    assert.equal(labelSelectorToString(parseLabelSelector('\tapp.kubernetes.io/name\n=\r web ')), 'app.kubernetes.io/name=web');
  });

  it('reads a NUL character as upstream does: the end where a token starts, else a separator', () => {
    assert.equal(labelSelectorToString(parseLabelSelector('a \0,,,')), 'a');
    assert.equal(labelSelectorToString(parseLabelSelector('\0a')), '');
    assert.equal(labelSelectorToString(parseLabelSelector('b=x\0,a!=\0y')), 'a!=y,b=x');
  });

  it('answers upstream messages for malformed input', () => {
    const cases: Array<[string, string]> = [
      ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
      ['a !', "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"],
      ['x=a,,y', "found ',', expected: identifier after ','"],
      ['x=a,', "found '', expected: identifier after ','"],
      [',a', "found ',', expected: !, identifier, or 'end of string'"],
      ['x=a||y=b', `unable to parse requirement: values[0][x]: Invalid value: "a||y": ${valueMsg}`],
      ['x=a y', "found 'y', expected: ',' or 'end of string'"],
      ['x==a==b', "found '==', expected: ',' or 'end of string'"],
      ['!x=a', "found '=', expected: ',' or 'end of string'"],
      ['!', "unable to parse requirement: found '', expected: identifier"],
      ['x in (a b)', "unable to parse requirement: found 'b', expected: ',' or ')'"],
      ['x in a', "unable to parse requirement: found 'a' expected: '('"],
      ['x in', "unable to parse requirement: found '' expected: '('"],
      ['x in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
      ['x in (a,=)', "unable to parse requirement: found '=', expected: ',', or identifier"],
      ['x=(a', "unable to parse requirement: found '(', expected: identifier"],
      ['-x', `unable to parse requirement: <nil>: Invalid value: "-x": ${nameMsg}`],
      ['a=-b', `unable to parse requirement: values[0][a]: Invalid value: "-b": ${valueMsg}`],
      ['x<a', `unable to parse requirement: values[0]: Invalid value: "a": for 'Gt', 'Lt' operators, the value must be an integer`],
      [
        'x>-1',
        `unable to parse requirement: values[0][x]: Invalid value: "-1": ${valueMsg}`,
      ],
      [
        'a/b/c',
        'unable to parse requirement: <nil>: Invalid value: "a/b/c": a valid label key ' +
          "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " +
          `(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${keyRegex}')` +
          " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      ],
      [
        'Example.com/x',
        'unable to parse requirement: <nil>: Invalid value: "Example.com/x": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, ' +
          "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is " +
          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ],
      ['/x', 'unable to parse requirement: <nil>: Invalid value: "/x": prefix part must be non-empty'],
      ['x/', `unable to parse requirement: <nil>: Invalid value: "x/": name part must be non-empty; ${nameMsg}`],
      [`${'k'.repeat(64)}`, `unable to parse requirement: <nil>: Invalid value: "${'k'.repeat(64)}": name part must be no more than 63 bytes`],
      [`a=${'v'.repeat(64)}`, `unable to parse requirement: values[0][a]: Invalid value: "${'v'.repeat(64)}": must be no more than 63 bytes`],
    ];
    for (const [input, message] of cases) assert.equal(parseError(() => parseLabelSelector(input)), message, input);
  });

  it('aggregates several value errors in brackets', () => {
    assert.equal(
      parseError(() => parseLabelSelector('a in (-x,-y)')),
      `unable to parse requirement: [values[0][a]: Invalid value: "-x": ${valueMsg}, values[1][a]: Invalid value: "-y": ${valueMsg}]`,
    );
  });

  it('quotes bad values the way Go does', () => {
    assert.equal(
      parseError(() => parseLabelSelector('a=b"\u0001é')),
      `unable to parse requirement: values[0][a]: Invalid value: "b\\"\\x01é": ${valueMsg}`,
    );
  });
});

describe('matchesLabels', () => {
  const match = (sel: string, labels: Record<string, string> | undefined) => matchesLabels(parseLabelSelector(sel), labels);

  it('matches as upstream does', () => {
    assert.equal(match('', { x: 'y' }), true);
    assert.equal(match('', undefined), true);
    assert.equal(match('x=y', { x: 'y' }), true);
    assert.equal(match('x==y,z=w', { x: 'y', z: 'w' }), true);
    assert.equal(match('x!=y,z!=w', { x: 'z', z: 'a' }), true);
    assert.equal(match('x', { x: 'z' }), true);
    assert.equal(match('!x', { y: 'z' }), true);
    assert.equal(match('x>1', { x: '2' }), true);
    assert.equal(match('x<1', { x: '0' }), true);
    assert.equal(match('x=z', {}), false);
    assert.equal(match('x=y', { x: 'z' }), false);
    assert.equal(match('x=y,z=w', { x: 'w', z: 'w' }), false);
    assert.equal(match('x!=y,z!=w', { x: 'z', z: 'w' }), false);
    assert.equal(match('x', { y: 'z' }), false);
    assert.equal(match('!x', { x: 'z' }), false);
    assert.equal(match('x>1', { x: '0' }), false);
    assert.equal(match('x<1', { x: '2' }), false);
  });

  it('treats a missing key as satisfying != and notin, and an empty value as a value', () => {
    assert.equal(match('x!=a', {}), true);
    assert.equal(match('x notin (a)', {}), true);
    assert.equal(match('x notin (a)', { x: 'a' }), false);
    assert.equal(match('x in (a,b)', { x: 'b' }), true);
    assert.equal(match('x in (a,b)', {}), false);
    assert.equal(match('x=', { x: '' }), true);
    assert.equal(match('x=', {}), false);
    assert.equal(match('x in ()', { x: '' }), true);
  });

  it('compares gt/lt as int64 and fails on non-integers', () => {
    assert.equal(match('x>9', { x: '10' }), true); // numeric, not lexical
    assert.equal(match('x>1', { x: 'abc' }), false);
    assert.equal(match('x>1', { x: '+2' }), true);
    assert.equal(match('x<1', { x: '-5' }), true);
    assert.equal(match('x>1', { x: '99999999999999999999' }), false); // overflows int64
    assert.equal(match('x>1', {}), false);
  });

  it('does not see inherited object members as labels', () => {
    assert.equal(match('constructor', {}), false);
    assert.equal(match('!toString', {}), true);
    assert.equal(match('hasOwnProperty', JSON.parse('{"hasOwnProperty":"x"}') as Record<string, string>), true);
  });
});

describe('labelSelectorFromObject', () => {
  it('matches nothing for a missing selector and everything for an empty one', () => {
    assert.equal(matchesLabels(labelSelectorFromObject(undefined), { a: 'b' }), false);
    assert.equal(matchesLabels(labelSelectorFromObject(null), {}), false);
    assert.equal(labelSelectorToString(labelSelectorFromObject(null)), '');
    assert.equal(isEverythingLabels(labelSelectorFromObject({})), true);
    assert.equal(isEverythingLabels(labelSelectorFromObject({ matchLabels: {}, matchExpressions: [] })), true);
    assert.equal(matchesLabels(labelSelectorFromObject({}), undefined), true);
  });

  it('prints the canonical string used for Scale status.selector', () => {
    const sel = labelSelectorFromObject({
      matchLabels: { tier: 'x', app: 'nginx' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'dev'] },
        { key: 'canary', operator: 'DoesNotExist' },
        { key: 'zone', operator: 'Exists', values: [] },
        { key: 'track', operator: 'NotIn', values: ['b'] },
      ],
    });
    assert.equal(labelSelectorToString(sel), 'app=nginx,!canary,env in (dev,prod),tier=x,track notin (b),zone');
    // values keep their given order internally (upstream only sorts when printing)
    assert.deepEqual(sel.requirements.find((r) => r.key === 'env')?.values, ['prod', 'dev']);
    assert.equal(matchesLabels(sel, { app: 'nginx', tier: 'x', env: 'dev', zone: 'a' }), true);
    assert.equal(matchesLabels(sel, { app: 'nginx', tier: 'x', env: 'dev', zone: 'a', canary: '' }), false);
    assert.equal(matchesLabels(sel, { app: 'nginx', tier: 'x', env: 'qa', zone: 'a' }), false);
    assert.equal(matchesLabels(sel, { app: 'nginx', tier: 'x', env: 'dev' }), false);
  });

  it('rejects what upstream rejects, with its messages', () => {
    assert.equal(
      parseError(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] })),
      '"Gt" is not a valid label selector operator',
    );
    assert.equal(
      parseError(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In' }] })),
      "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
    );
    assert.equal(
      parseError(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })),
      "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
    );
    assert.equal(
      parseError(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x', '<y>'] }] })),
      '[values: Invalid value: ["x","\\u003cy\\u003e"]: values set must be empty for exists and does not exist, ' +
        `values[1][a]: Invalid value: "<y>": ${valueMsg}]`,
    );
  });

  it('aggregates key and value errors', () => {
    assert.equal(
      parseError(() => labelSelectorFromObject({ matchExpressions: [{ key: '-k', operator: 'NotIn' }] })),
      `[key: Invalid value: "-k": ${nameMsg}, values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty]`,
    );
    assert.equal(
      parseError(() => labelSelectorFromObject({ matchLabels: { app: 'bad value' } })),
      `values[0][app]: Invalid value: "bad value": ${valueMsg}`,
    );
  });
});

describe('labelSelectorFromSet and requiredLabelValue', () => {
  it('builds sorted equality requirements without validation', () => {
    const sel = labelSelectorFromSet({ b: '2', a: 'not valid!' });
    assert.equal(labelSelectorToString(sel), 'a=not valid!,b=2');
    assert.equal(matchesLabels(sel, { a: 'not valid!', b: '2', c: '3' }), true);
    assert.equal(labelSelectorFromSet(undefined), everythingLabels);
  });

  it('finds the value a selector pins', () => {
    const sel = parseLabelSelector('a=1,b in (2),c in (3,4),d!=5');
    assert.equal(requiredLabelValue(sel, 'a'), '1');
    assert.equal(requiredLabelValue(sel, 'b'), '2');
    assert.equal(requiredLabelValue(sel, 'c'), undefined);
    assert.equal(requiredLabelValue(sel, 'd'), undefined);
    assert.equal(requiredLabelValue(sel, 'e'), undefined);
  });
});

describe('parseFieldSelector', () => {
  it('parses =, == and != into sorted requirements and prints them back', () => {
    const sel = parseFieldSelector('status.phase!=Running,metadata.name==web,spec.nodeName=n1');
    assert.deepEqual(requirementsOf(sel), [
      { field: 'metadata.name', operator: 'Equals', value: 'web' },
      { field: 'spec.nodeName', operator: 'Equals', value: 'n1' },
      { field: 'status.phase', operator: 'NotEquals', value: 'Running' },
    ]);
    assert.equal(fieldSelectorToString(sel), 'metadata.name=web,spec.nodeName=n1,status.phase!=Running');
    for (const s of ['x=a,y=b,z=c', '', 'x!=a,y=b', 'x=a||y\\=b', 'x=a\\=\\=b']) assert.equal(fieldSelectorToString(parseFieldSelector(s)), s);
  });

  it('splits on the first operator and unescapes the value', () => {
    // sorted as written: '2' sorts before '='
    assert.deepEqual(requirementsOf(parseFieldSelector('k=\\,,k2=v2')), [
      { field: 'k2', operator: 'Equals', value: 'v2' },
      { field: 'k', operator: 'Equals', value: ',' },
    ]);
    assert.deepEqual(requirementsOf(parseFieldSelector('a!=b!c')), [{ field: 'a', operator: 'NotEquals', value: 'b!c' }]);
    assert.deepEqual(requirementsOf(parseFieldSelector('함=수,목=록')), [
      { field: '목', operator: 'Equals', value: '록' },
      { field: '함', operator: 'Equals', value: '수' },
    ]);
    assert.equal(escapeFieldValue('\\=\\,\\'), '\\\\\\=\\\\\\,\\\\');
  });

  it('drops empty terms and terms with neither field nor value', () => {
    assert.deepEqual(requirementsOf(parseFieldSelector(',a=b,,=,!=')), [{ field: 'a', operator: 'Equals', value: 'b' }]);
    assert.deepEqual(requirementsOf(parseFieldSelector('=x')), [{ field: '', operator: 'Equals', value: 'x' }]);
  });

  it('answers upstream messages for malformed input', () => {
    const cases: Array<[string, string]> = [
      ['x', "invalid selector: 'x'; can't understand 'x'"],
      ['x=a,b', "invalid selector: 'x=a,b'; can't understand 'b'"],
      ['x in (a)', "invalid selector: 'x in (a)'; can't understand 'x in (a)'"],
      ['x==a==b', 'invalid field selector: unescaped character in value: 61'],
      ['x=a\\b', 'invalid field selector: invalid escape sequence: \\b'],
      ['x=a\\', 'invalid field selector: invalid escape sequence: \\'],
      ['x=\\\\\\', 'invalid field selector: invalid escape sequence: \\'],
    ];
    for (const [input, message] of cases) assert.equal(parseError(() => parseFieldSelector(input)), message, input);
  });
});

describe('matchesFields', () => {
  const fields = { foo: 'bar', baz: 'blah', complex: '=value\\,\\' };
  it('matches as upstream does', () => {
    assert.equal(matchesFields(parseFieldSelector('foo=bar'), fields), true);
    assert.equal(matchesFields(parseFieldSelector('foo=bar,baz=blah'), fields), true);
    assert.equal(matchesFields(parseFieldSelector('foo=bar,baz=blah,complex=\\=value\\\\\\,\\\\'), fields), true);
    assert.equal(matchesFields(parseFieldSelector('foo=blah'), fields), false);
    assert.equal(matchesFields(parseFieldSelector('foo=bar,foobar=bar,baz=blah'), fields), false);
    assert.equal(matchesFields(parseFieldSelector('foo!=bar'), fields), false);
    assert.equal(matchesFields(parseFieldSelector('foo!=baz'), fields), true);
    assert.equal(matchesFields(parseFieldSelector(''), undefined), true);
  });

  it('reads a missing field as the empty string', () => {
    assert.equal(matchesFields(parseFieldSelector('spec.nodeName='), {}), true);
    assert.equal(matchesFields(parseFieldSelector('spec.nodeName!='), {}), false);
    assert.equal(matchesFields(parseFieldSelector('spec.nodeName!=n1'), undefined), true);
    assert.equal(matchesFields(parseFieldSelector('constructor='), {}), true);
  });

  it('finds the value a selector pins', () => {
    const sel = parseFieldSelector('spec.nodeName=n1,status.phase!=Failed');
    assert.equal(requiredFieldValue(sel, 'spec.nodeName'), 'n1');
    assert.equal(requiredFieldValue(sel, 'status.phase'), undefined);
  });
});

describe('convertFieldSelector', () => {
  it('allows metadata.name and metadata.namespace by default, with upstream message otherwise', () => {
    const ok = parseFieldSelector('metadata.name=a,metadata.namespace=b');
    assert.equal(convertFieldSelector(ok), ok);
    assert.equal(
      parseError(() => convertFieldSelector(parseFieldSelector('metadata.name=a,foo=b'))),
      '"foo" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
  });

  it("uses a kind's own list and its message, reporting the first bad field in order", () => {
    const pod = ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase'];
    assert.equal(
      parseError(() => convertFieldSelector(parseFieldSelector('status.hostIP=1.2.3.4,spec.foo=x'), pod)),
      'field label not supported: spec.foo',
    );
    const renamed = convertFieldSelector(parseFieldSelector('spec.host=n1'), new Set(pod), { 'spec.host': 'spec.nodeName' });
    assert.deepEqual(requirementsOf(renamed), [{ field: 'spec.nodeName', operator: 'Equals', value: 'n1' }]);
  });
});
