// goYaml against kubectl 1.35's own output. The fixture was written by the real kubectl
// (`kubectl label --local -f obj.json -o yaml`, which needs no server and prints the object back through
// sigs.k8s.io/yaml). Regenerate with: GOYAML_REGENERATE=1 node --import tsx --test src/kubectl/printers/goyaml.test.ts
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goYaml } from './goyaml.ts';
import { toGoYaml } from './yaml.ts';
import { kubectl } from '../../../test/support/kubectl.ts';

interface FixtureCase {
  name: string;
  value: unknown;
  yaml: string;
}

const FIXTURE = new URL('./goyaml.fixture.json', import.meta.url);

const long = (n: number, word = 'word') => Array.from({ length: n }, () => word).join(' ');

/** [name, value]; each value is printed as the field `value` of a ConfigMap-shaped object. */
const CASES: Array<[string, unknown]> = [
  // YAML 1.1 words that resolve to bool/null
  ...['yes', 'Yes', 'YES', 'no', 'No', 'NO', 'on', 'On', 'ON', 'off', 'Off', 'OFF', 'y', 'Y', 'n', 'N', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE', '~', 'null', 'Null', 'NULL', 'yEs', 'nO', 'tRUE', 'NuLL', '<<', '=']
    .map((s): [string, unknown] => [`word ${s}`, s]),
  // numbers in strings
  ...['0', '1', '-1', '+1', '007', '08', '0x1F', '0X1f', '0xZZ', '0x', '0o17', '0b101', '-0b101', '1_000', '1e3', '1E3', '1.5', '-1.5', '.5', '.5e3', '1.', '+.5', '.inf', '-.inf', '+.INF', '.nan', '.NaN', '.Nan', '.', '..', '1e400', '.5e999', '9223372036854775807', '9223372036854775808', '18446744073709551615', '18446744073709551616', '-9223372036854775809', '0xFFFFFFFFFFFFFFFFF', '1:20', '190:20:30', '1:70', '1.2.3', '123abc', '- 1', '1 2']
    .map((s): [string, unknown] => [`number-like ${s}`, s]),
  // timestamps
  ...['2026-01-01', '2026-1-1', '2026-02-30', '2024-02-29', '2023-02-29', '2026-13-01', '2026-01-01T00:00:00Z', '2026-01-01t10:20:30Z', '2026-01-01T10:20:30.123456789+02:00', '2026-01-01T10:20:30', '2026-01-01 10:20:30', '2026-01-01 10:20:30.5', '2026-01-01T25:00:00Z', '20260-01-01', '2026-01-01x', '2026-01-01T1:2:3Z']
    .map((s): [string, unknown] => [`timestamp ${s}`, s]),
  // spaces and indicators
  ...[' lead', 'trail ', 'msg  ', ' both ', 'a  b', 'a: b', 'a:b', 'a:', 'a #b', 'a#b', '#a', '-', '-a', '- a', '--', '---', '---a', '...', '?', '?a', '? a', ':', ':a', ',a', 'a,b', '[a', 'a[b]', ']', '{a}', 'a{b}', '&a', '*a', '!a', '|a', '>a', "'a", "a'b", '"a', 'a"b', '%a', '@a', '`a', 'a\\b', 'a\tb', '\ta', 'a\rb', 'a\u0000b', 'a\u0007b', 'a\u001bb', 'a\u0085b', 'a \u0085 \u0085b ', 'a\u00a0b', 'a\u2028b', 'a\u2029b', '\ufeffa', 'a\ufeffb', 'café', '日本語', 'emoji 😀', '']
    .map((s): [string, unknown] => [`chars ${JSON.stringify(s)}`, s]),
  // newlines
  ...['a\nb', 'a\nb\n', 'a\nb\n\n', '\n', '\n\n', 'a\n', '\na', ' a\nb', 'a\n b', 'a \nb', 'a\nb ', 'a\n\nb', 'a\tb\nc', 'a\r\nb', '#a\nb', 'a: b\nc: d\n', 'line1\n  indented\nline3\n', 'x'.repeat(100) + '\n' + 'y'.repeat(10)]
    .map((s): [string, unknown] => [`newlines ${JSON.stringify(s)}`, s]),
  // long strings: plain, quoted, with double spaces, long words
  ['long plain', long(40)],
  ['long plain double spaces', long(30, 'ab ')],
  ['long plain one word', 'x'.repeat(200)],
  ['long plain words', `${'x'.repeat(90)} ${'y'.repeat(90)} z`],
  ['long single-quoted', `${long(30)} `],
  ['long double-quoted', `${long(30)}\t`],
  ['long double-quoted spaces', `"${long(15, 'ab  ')}"\t`],
  ['long quoted-word string', long(30, 'yes')],
  ['long with colon space', `key: ${long(30)}`],
  ['long literal', `${long(40)}\n${long(40)}\n`],
  ['long non-ascii', long(40, 'café')],
  // numbers, booleans, null
  ['int', 42],
  ['negative int', -7],
  ['zero', 0],
  ['float', 1.5],
  ['small float', 0.0001],
  ['tiny float', 0.00001],
  ['float exp', 1234567.5],
  ['float big', 123456.25],
  ['integral float', 1e6],
  ['big int', 9007199254740991],
  ['huge', 1e21],
  ['huge negative', -1e300],
  ['true', true],
  ['false', false],
  ['null', null],
  // structures
  ['empty map', {}],
  ['empty list', []],
  ['list of lists', [[1, 2], [], [[3]], [{}]]],
  ['list of maps', [{ a: 1, b: [1, 2] }, { c: { d: 'e' } }, {}]],
  ['nested maps', { a: { b: { c: { d: 'deep' } } }, e: [] }],
  ['map with list values', { l: ['a', 'b'], m: [{ n: 'o' }] }],
  ['literal in list', ['a\nb', 'c\n']],
  ['long in nested list', [[long(30)]]],
  ['long in nested map', { a: { b: { c: long(30) } } }],
  // keys
  ['key order', { b: 1, a: 1, a10: 1, a2: 1, a02: 1, A: 1, _: 1, '1': 1, '10': 1, '2': 1, 'x-1': 1, x1: 1, 'x.y': 1, é: 1, 'a0': 1, a00: 1, a001: 1 }],
  ['key order digits', { 'v1.10': 1, 'v1.9': 1, 'v1.9a': 1, 'v10': 1, v9: 1, 'v9-9': 1 }],
  ['keys needing quotes', { '.': 1, '': 2, yes: 3, '1': 4, '1.5': 5, 'a: b': 6, '-': 7, '#x': 8, ' k': 9, 'k ': 10, null: 11, '~': 12, 'a\tb': 13 }],
  ['multiline key', { 'a\nb': 1 }],
  ['long key', { [long(30)]: 'v', ['k'.repeat(128)]: 'v', ['k'.repeat(129)]: 'v' }],
  ['long key with list', { ['k'.repeat(130)]: ['a'], ['q'.repeat(130)]: { a: 1 } }],
];

function objectFor(value: unknown): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { labels: { foo: 'bar' }, name: 'x' }, value };
}

/** kubectl reads the file through a YAML reader, which rejects raw control characters: escape them. */
function asciiJson(v: unknown): string {
  return JSON.stringify(v).replace(/[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function readFixture(): FixtureCase[] {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as FixtureCase[];
}

describe('goYaml matches kubectl 1.35 -o yaml (fixture)', () => {
  const fixture = process.env['GOYAML_REGENERATE'] ? [] : readFixture();
  it('the fixture covers every case in the table', () => {
    if (process.env['GOYAML_REGENERATE']) return;
    assert.deepEqual(fixture.map((c) => c.name), CASES.map(([name]) => name));
    assert.ok(fixture.length >= 80);
  });
  for (const c of fixture) {
    it(c.name, () => {
      assert.equal(goYaml(objectFor(c.value)), c.yaml);
    });
  }
});

describe('goYaml details', () => {
  it('toGoYaml prints through goYaml', () => {
    assert.equal(toGoYaml({ b: ['x'], a: { on: 'yes' } }), 'a:\n  "on": "yes"\nb:\n- x\n');
  });
  it('drops undefined properties and prints non-finite numbers as null, as JSON would', () => {
    assert.equal(goYaml({ a: undefined, b: Number.NaN, c: [undefined] }), 'b: null\nc:\n- null\n');
  });
  it('prints root scalars and empty collections on one line', () => {
    assert.equal(goYaml(null), 'null\n');
    assert.equal(goYaml({}), '{}\n');
    assert.equal(goYaml([]), '[]\n');
  });
});

describe('fixture is still what kubectl prints', () => {
  let dir = '';
  let kubeconfig = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'goyaml-'));
    kubeconfig = join(dir, 'kubeconfig');
    // --local and --dry-run=client never contact this (unreachable) server.
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters:\n- cluster: {server: "https://127.0.0.1:1"}\n  name: c\ncontexts:\n- context: {cluster: c, user: u}\n  name: c\ncurrent-context: c\nusers:\n- name: u\n  user: {token: x}\n',
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function printByKubectl(value: unknown): Promise<string> {
    const file = join(dir, 'obj.json');
    writeFileSync(file, asciiJson(objectFor(value)));
    const r = await kubectl(['label', '--local', '--overwrite', '-f', file, 'foo=bar', '-o', 'yaml'], { kubeconfig });
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  }

  it('kubectl label --local prints a sample of the fixture byte for byte', async (t) => {
    if (process.env['GOYAML_REGENERATE']) {
      const out: FixtureCase[] = [];
      for (const [name, value] of CASES) out.push({ name, value, yaml: await printByKubectl(value) });
      writeFileSync(FIXTURE, `${JSON.stringify(out, null, 1)}\n`);
      return;
    }
    const fixture = readFixture();
    const sample = ['word yes', 'chars "msg  "', 'newlines "a\\nb\\n\\n"', 'long plain', 'long double-quoted', 'float exp', 'key order', 'long key'];
    for (const name of sample) {
      const c = fixture.find((f) => f.name === name);
      assert.ok(c, name);
      await t.test(name, async () => assert.equal(await printByKubectl(c.value), c.yaml));
    }
  });

  it('kubectl create configmap --from-literal prints what goYaml prints', async () => {
    const values = ['yes', 'msg  ', '.', 'a\nb', '1e3', long(30), 'a\tb', ''];
    const args = ['create', 'configmap', 'x', ...values.map((v, i) => `--from-literal=k${i}=${v}`), '--dry-run=client', '-o', 'yaml'];
    const r = await kubectl(args, { kubeconfig });
    assert.equal(r.code, 0, r.stderr);
    const data = Object.fromEntries(values.map((v, i) => [`k${i}`, v]));
    assert.equal(r.stdout, goYaml({ apiVersion: 'v1', data, kind: 'ConfigMap', metadata: { name: 'x' } }));
  });
});
