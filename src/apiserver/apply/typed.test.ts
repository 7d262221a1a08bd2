import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldPath, pathToString } from './fieldpath.ts';
import { FieldSet } from './fieldset.ts';
import { atomForOpenAPI, atomForType } from './schema.ts';
import { compare, formatValidationErrors, merge, removeItems, toFieldSet, validate } from './typed.ts';

const atom = atomForOpenAPI({
  type: 'object',
  properties: {
    set: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
    nums: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'number' } },
    atomic: { type: 'array', items: { type: 'string' } },
    list: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['key', 'id'],
      items: { type: 'object', properties: { key: { type: 'string' }, id: { type: 'integer' }, nv: { type: 'integer' }, bv: { type: 'boolean' } } },
    },
    inner: { type: 'object', properties: { value: { type: 'string' } } },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    frozen: { type: 'object', 'x-kubernetes-map-type': 'atomic', properties: { a: { type: 'string' }, b: { type: 'string' } } },
  },
});

const paths = (s: FieldSet) => s.paths().map(pathToString);

describe('merge', () => {
  // live, applied, merged: the order of associative lists follows upstream's algorithm.
  const cases: Array<[unknown, unknown, unknown]> = [
    [{ set: ['a', 'b', 'c'] }, { set: ['a', 'b'] }, { set: ['a', 'b', 'c'] }],
    [{ set: ['a', 'b'] }, { set: ['b', 'a'] }, { set: ['b', 'a'] }],
    [{ set: ['a', 'b', 'c'] }, { set: ['c', 'd', 'e', 'f'] }, { set: ['a', 'b', 'c', 'd', 'e', 'f'] }],
    [{ set: ['a', 'b', 'c', 'g', 'f'] }, { set: ['c', 'd', 'e', 'f'] }, { set: ['a', 'b', 'c', 'g', 'd', 'e', 'f'] }],
    [{ set: ['c', 'd', 'e', 'f'] }, { set: ['a', 'c', 'e'] }, { set: ['a', 'c', 'd', 'e', 'f'] }],
    [{ set: ['a', 'b', 'c', 'x', 'y', 'z'] }, { set: ['d', 'e', 'f', 'x', 'y', 'z'] }, { set: ['a', 'b', 'c', 'd', 'e', 'f', 'x', 'y', 'z'] }],
    [{ set: ['a', 'b', 'c', 'd'] }, { set: ['d', 'e', 'f', 'a'] }, { set: ['b', 'c', 'd', 'e', 'f', 'a'] }],
    [
      { set: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'] },
      { set: ['1', 'b', '2', 'h', '3', 'e', '4', 'k', 'l'] },
      { set: ['a', '1', 'b', 'c', 'd', 'f', 'g', '2', 'h', 'i', 'j', '3', 'e', '4', 'k', 'l'] },
    ],
    [{ set: ['a', 'b', 'b'] }, { set: ['b'] }, { set: ['a', 'b'] }],
    [{ set: ['a', 'b', 'c', 'd', 'e', 'c'] }, { set: ['1', 'b', '2', 'e', 'd'] }, { set: ['a', '1', 'b', 'c', '2', 'e', 'c', 'd'] }],
    [{ nums: [1, 2, 3.5] }, { nums: [1, 2, 3] }, { nums: [1, 2, 3.5, 3] }],
    [{ set: ['a'] }, { set: [] }, { set: ['a'] }],
    [{ atomic: ['a', 'b', 'c'] }, { atomic: [] }, { atomic: [] }],
    [{ atomic: ['a'] }, { atomic: null }, { atomic: null }],
    [{ list: [{ key: 'a', id: 1 }, { key: 'b', id: 1 }] }, { list: [{ key: 'a', id: 1 }, { key: 'a', id: 2 }] }, { list: [{ key: 'a', id: 1 }, { key: 'b', id: 1 }, { key: 'a', id: 2 }] }],
    [
      { list: [{ key: 'a', id: 1 }, { key: 'b', id: 2 }, { key: 'c', id: 3 }] },
      { list: [{ key: 'c', id: 3 }, { key: 'a', id: 1 }] },
      { list: [{ key: 'b', id: 2 }, { key: 'c', id: 3 }, { key: 'a', id: 1 }] },
    ],
    [
      { list: [{ key: 'a', id: 1, bv: true }, { key: 'b', id: 2 }, { key: 'a', id: 1, bv: false, nv: 2 }] },
      { list: [{ key: 'a', id: 1, nv: 3 }, { key: 'c', id: 3 }, { key: 'b', id: 2 }] },
      { list: [{ key: 'a', id: 1, nv: 3 }, { key: 'c', id: 3 }, { key: 'b', id: 2 }] },
    ],
    [{ inner: null }, { inner: {} }, { inner: {} }],
    [{ inner: {} }, { inner: null }, { inner: null }],
    [{ labels: { a: '1', b: '2' } }, { labels: { b: '3', c: '4' } }, { labels: { a: '1', b: '3', c: '4' } }],
    [{ frozen: { a: 'x', b: 'y' } }, { frozen: { a: 'z' } }, { frozen: { a: 'z' } }],
  ];
  for (const [live, applied, merged] of cases) {
    it(`${JSON.stringify(live)} + ${JSON.stringify(applied)}`, () => {
      assert.deepEqual(merge(atom, live, applied), merged);
    });
  }
});

describe('toFieldSet', () => {
  it('owns scalars, list items, map keys and empty or null struct fields; atomic values whole', () => {
    const set = toFieldSet(atom, {
      set: ['a'],
      list: [{ key: 'k', id: 1, nv: 2 }],
      atomic: ['x'],
      inner: {},
      labels: { app: 'x' },
      frozen: { a: 'b' },
    });
    assert.deepEqual(paths(set), [
      '.atomic',
      '.frozen',
      '.inner',
      '.labels.app',
      '.list[id=1,key="k"]',
      '.list[id=1,key="k"].id',
      '.list[id=1,key="k"].key',
      '.list[id=1,key="k"].nv',
      '.set[="a"]',
    ]);
  });

  it('owns a duplicated item as a whole', () => {
    assert.deepEqual(paths(toFieldSet(atom, { list: [{ key: 'k', id: 1, nv: 1 }, { key: 'k', id: 1, nv: 2 }] })), ['.list[id=1,key="k"]']);
  });
});

describe('compare', () => {
  it('tells added, modified and removed fields apart, null being a value', () => {
    const c = compare(atom, { inner: { value: 'a' }, labels: { x: '1', y: '2' }, atomic: null }, { inner: { value: 'b' }, labels: { x: '1', z: '3' }, atomic: ['q'] });
    assert.deepEqual(paths(c.modified), ['.atomic', '.inner.value']);
    assert.deepEqual(paths(c.added), ['.labels.z']);
    assert.deepEqual(paths(c.removed), ['.labels.y']);
  });

  it('counts a new parent as added with its children', () => {
    const c = compare(atom, {}, { inner: { value: 'a' } });
    assert.deepEqual(paths(c.added), ['.inner', '.inner.value']);
  });
});

describe('removeItems', () => {
  it('removes fields, list items and set values; emptied maps become null', () => {
    const v = { labels: { a: '1' }, set: ['a', 'b'], list: [{ key: 'k', id: 1, nv: 1 }, { key: 'j', id: 2 }], inner: { value: 'x' } };
    const set = FieldSet.of(fieldPath('labels', 'a'), [{ field: 'set' }, { value: 'a' }], [{ field: 'list' }, { key: [['id', 1], ['key', 'k']] }, { field: 'nv' }], fieldPath('inner'));
    assert.deepEqual(removeItems(atom, v, set), { labels: null, set: ['b'], list: [{ key: 'k', id: 1 }, { key: 'j', id: 2 }] });
  });
});

describe('validate', () => {
  it('reports undeclared fields, wrong kinds and bad list items with upstream\'s messages', () => {
    assert.equal(formatValidationErrors(validate(atom, { inner: { nope: 1 } })), '.inner.nope: field not declared in schema');
    assert.equal(formatValidationErrors(validate(atom, { set: ['a', 'a'] })), '.set: duplicate entries for key [="a"]');
    assert.deepEqual(validate(atom, { set: ['a', 'a'] }, true), []);
    assert.equal(formatValidationErrors(validate(atom, { list: [{ nv: 1 }] })), '.list: element 0: associative list with keys has an element that omits all key fields ["key" "id"] (and doesn\'t have default values for any key fields)');
    assert.equal(formatValidationErrors(validate(atom, { nums: ['x'] })), '.nums[="x"]: expected numeric (int or float), got string');
    assert.deepEqual(validate(atomForType('io.k8s.api.core.v1.Pod'), { spec: { containers: [{ name: 'a', ports: [{ containerPort: 80 }] }] } }), []);
  });
});
