import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findResults, JSONPathError, parseJSONPath, printResults } from './jsonpath.ts';

const obj = {
  metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'web' } },
  spec: { replicas: 3, ratio: 0.5, items: ['x', 'y', 'z'], nested: { flag: true, none: null } },
  status: {
    conditions: [
      { type: 'Available', status: 'False', count: 1 },
      { type: 'Ready', status: 'True', count: 2 },
    ],
  },
};

const find = (template: string, data: unknown = obj): unknown[][] => findResults(parseJSONPath(template), data);

describe('JSONPath', () => {
  it('walks fields, indices, slices and unions', () => {
    assert.deepEqual(find('{.spec.replicas}'), [[3]]);
    assert.deepEqual(find('{.spec.items[1]}'), [['y']]);
    assert.deepEqual(find('{.spec.items[-1]}'), [['z']]);
    assert.deepEqual(find('{.spec.items[0:2]}'), [['x', 'y']]);
    assert.deepEqual(find('{.spec.items[*]}'), [['x', 'y', 'z']]);
    assert.deepEqual(find('{.spec.items[0,2]}'), [['x', 'z']]);
    assert.deepEqual(find("{.metadata['name']}"), [['a']]);
    assert.deepEqual(find('{.metadata.labels.app\\.kubernetes\\.io/name}'), [['web']]);
    // As upstream, a dict key is a dotted path: dots inside it are not escaped.
    assert.deepEqual(find("{.metadata.labels['app.kubernetes.io/name']}"), [[]]);
  });

  it('filters arrays', () => {
    assert.deepEqual(find('{.status.conditions[?(@.type=="Ready")].status}'), [['True']]);
    assert.deepEqual(find('{.status.conditions[?(@.count>1)].type}'), [['Ready']]);
    assert.deepEqual(find('{.status.conditions[?(@.type)].type}'), [['Available', 'Ready']]);
    assert.throws(() => find('{.status.conditions[?(@.count=="2")].type}'), JSONPathError);
  });

  it('descends recursively and expands wildcards', () => {
    assert.deepEqual(find('{..status}'), [[obj.status, 'False', 'True']]);
    assert.deepEqual(find('{.spec.nested.*}'), [[true, null]]);
  });

  it('yields nothing for missing keys, and keeps text around actions', () => {
    assert.deepEqual(find('{.spec.missing.deeper}'), [[]]);
    assert.deepEqual(find('n={.metadata.name}'), [['n='], ['a']]);
  });

  it('rejects malformed templates', () => {
    assert.throws(() => parseJSONPath('{.spec.items[0}'), JSONPathError);
    assert.throws(() => parseJSONPath('{.spec'), /unclosed action/);
    assert.throws(() => parseJSONPath('{.spec.items[x]}'), /invalid array index x/);
  });

  it('prints values as Go does', () => {
    assert.equal(printResults(['a', 1, 0.5, true]), 'a 1 0.5 true');
    assert.equal(printResults([{ b: 1, a: [1, 'x'] }]), 'map[a:[1 x] b:1]');
    assert.equal(printResults([null]), '<no value>');
  });
});
