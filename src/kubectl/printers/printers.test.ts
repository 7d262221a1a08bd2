import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { alignTabs } from './tabwriter.ts';
import { humanDuration } from './duration.ts';
import { TablePrinter, formatLabels } from './table.ts';
import { renderJsonPath, relaxedPath } from './jsonpath.ts';
import { customColumns, toGoJson } from './output.ts';
import { toGoYaml } from './yaml.ts';

describe('tabwriter as kubectl configures it', () => {
  it('pads every tab-terminated cell to its column width (min 6, padding 3); the last cell is left alone', () => {
    assert.equal(alignTabs('NAME\tREADY\tAGE\nnginx-abc\t0/1\t5s\n'), 'NAME        READY   AGE\nnginx-abc   0/1     5s\n');
    assert.equal(alignTabs('*\tctx\tc\tu\t\n'), '*     ctx   c     u     \n');
  });
  it('a line with fewer cells ends the column block', () => {
    assert.equal(alignTabs('a\tb\n\nlonger-name\tc\n'), 'a     b\n\nlonger-name   c\n');
  });
});

describe('HumanDuration', () => {
  it('formats as apimachinery does', () => {
    const s = 1000;
    const cases: Array<[number, string]> = [
      [-1500, '0s'],
      [-3000, '<invalid>'],
      [0, '0s'],
      [119 * s, '119s'],
      [120 * s, '2m'],
      [125 * s, '2m5s'],
      [10 * 60 * s, '10m'],
      [179 * 60 * s, '179m'],
      [3 * 3600 * s, '3h'],
      [(3 * 3600 + 60 * 5) * s, '3h5m'],
      [8 * 3600 * s, '8h'],
      [47 * 3600 * s, '47h'],
      [(2 * 24 + 3) * 3600 * s, '2d3h'],
      [8 * 24 * 3600 * s, '8d'],
      [(2 * 365 + 10) * 24 * 3600 * s, '2y10d'],
      [9 * 365 * 24 * 3600 * s, '9y'],
    ];
    for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, String(ms));
  });
});

describe('table printing from server Tables', () => {
  const table = () => ({
    kind: 'Table',
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', priority: 0 },
      { name: 'Status', type: 'string', priority: 0 },
      { name: 'IP', type: 'string', priority: 1 },
    ],
    rows: [{ cells: ['web-1', 'Running\nmore', '10.0.0.1'], object: { metadata: { namespace: 'ns1', labels: { b: '2', a: '1' } } } }],
  });
  it('adds NAMESPACE, LABELS and kind prefixes; hides priority columns unless wide; cuts cells at line breaks', () => {
    const p = new TablePrinter({ withNamespace: true, showLabels: true, kind: 'pod' });
    assert.equal(alignTabs(p.print(table())), 'NAMESPACE   NAME        STATUS       LABELS\nns1         pod/web-1   Running...   a=1,b=2\n');
    assert.equal(alignTabs(new TablePrinter({ wide: true }).print(table())), 'NAME    STATUS       IP\nweb-1   Running...   10.0.0.1\n');
  });
  it('prints headers once for tables with the same columns, none for empty tables, and none with noHeaders', () => {
    const p = new TablePrinter({});
    assert.equal(p.print({ ...table(), rows: [] }), '');
    assert.match(p.print(table()), /^NAME\t/);
    assert.doesNotMatch(p.print(table()), /NAME/);
    assert.doesNotMatch(new TablePrinter({ noHeaders: true }).print(table()), /NAME/);
  });
  it('formats labels', () => {
    assert.equal(formatLabels(undefined), '<none>');
    assert.equal(formatLabels({ z: '1', a: 'x' }), 'a=x,z=1');
  });
});

describe('jsonpath and custom-columns', () => {
  const list = {
    kind: 'List',
    items: [
      { metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'x' } }, spec: { ports: [{ port: 80 }, { port: 443 }] } },
      { metadata: { name: 'b' }, spec: { ports: [] } },
    ],
  };
  it('renders paths, wildcards, indexes, ranges, filters, literals and escaped keys', () => {
    assert.equal(renderJsonPath('{.items[*].metadata.name}', list), 'a b');
    assert.equal(renderJsonPath('{.items[0].spec.ports[-1].port}', list), '443');
    assert.equal(renderJsonPath('{range .items[*]}{.metadata.name}{"\\n"}{end}', list), 'a\nb\n');
    assert.equal(renderJsonPath('{.items[?(@.metadata.name=="b")].metadata.name}', list), 'b');
    assert.equal(renderJsonPath('{.items[0].metadata.labels.app\\.kubernetes\\.io/name}', list), 'x');
    assert.equal(renderJsonPath('{..port}', list), '80 443');
    assert.equal(renderJsonPath('n={.items[1].spec}', list), 'n={"ports":[]}');
    assert.equal(renderJsonPath('{.missing}', list), '');
  });
  it('relaxes custom-columns and sort-by paths', () => {
    assert.equal(relaxedPath('metadata.name'), '{.metadata.name}');
    assert.equal(relaxedPath('{.metadata.name}'), '{.metadata.name}');
  });
  it('prints custom columns with <none> for missing values and commas between several', () => {
    assert.equal(customColumns('NAME:.metadata.name,PORTS:.spec.ports[*].port', list.items, false), 'NAME   PORTS\na      80,443\nb      <none>\n');
  });
});

describe('JSON and YAML as Go prints them', () => {
  it('sorts keys, indents by four and escapes HTML characters in JSON', () => {
    assert.equal(toGoJson({ b: 1, a: { d: '<x>', c: [] } }), '{\n    "a": {\n        "c": [],\n        "d": "\\u003cx\\u003e"\n    },\n    "b": 1\n}');
  });
  it('sorts keys, keeps sequences flush and quotes YAML 1.1 look-alikes', () => {
    assert.equal(toGoYaml({ b: ['x'], a: { t: '2026-01-01T00:00:00Z', num: '1', on: 'yes' } }), 'a:\n  num: "1"\n  "on": "yes"\n  t: "2026-01-01T00:00:00Z"\nb:\n- x\n');
  });
});
