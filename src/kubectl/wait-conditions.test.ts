import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { conditionMet, jsonPathMet, parseWaitFor } from './wait-conditions.ts';

describe('wait --for', () => {
  it('parses each form as kubectl does', () => {
    assert.deepEqual(parseWaitFor('DELETE'), { kind: 'delete' });
    assert.deepEqual(parseWaitFor('condition=Ready'), { kind: 'condition', name: 'Ready', value: 'true' });
    assert.deepEqual(parseWaitFor('condition=Ready=False'), { kind: 'condition', name: 'Ready', value: 'False' });
    assert.deepEqual(parseWaitFor("jsonpath={.status.phase}='Running'"), { kind: 'jsonpath', template: '{.status.phase}', value: 'Running' });
    assert.deepEqual(parseWaitFor('jsonpath=.a[?(@.x=="y")].b'), { kind: 'jsonpath', template: '{.a[?(@.x=="y")].b}', value: undefined });
    assert.throws(() => parseWaitFor('ready'), { message: 'unrecognized condition: "ready"' });
    assert.throws(() => parseWaitFor('jsonpath={.a}='), /has to have a value after equal sign/);
    assert.throws(() => parseWaitFor('jsonpath='), { message: 'jsonpath expression cannot be empty' });
  });

  it('checks conditions case-insensitively, only once observed at the current generation', () => {
    const obj = { metadata: { generation: 2 }, status: { observedGeneration: 2, conditions: [{ type: 'Available', status: 'True' }] } };
    assert.ok(conditionMet(obj, 'available', 'true'));
    assert.ok(!conditionMet(obj, 'Available', 'false'));
    assert.ok(!conditionMet({ ...obj, status: { ...obj.status, observedGeneration: 1 } }, 'Available', 'true'));
    assert.ok(!conditionMet({}, 'Available', 'true'));
  });

  it('compares one scalar at a JSONPath and refuses lists and objects', () => {
    const obj = { spec: { replicas: 3, template: {} }, items: [1, 2] };
    assert.ok(jsonPathMet(obj, '{.spec.replicas}', '3'));
    assert.ok(!jsonPathMet(obj, '{.spec.replicas}', '4'));
    assert.ok(jsonPathMet(obj, '{.spec.template}', undefined));
    assert.ok(!jsonPathMet(obj, '{.spec.missing}', undefined));
    assert.throws(() => jsonPathMet(obj, '{.spec}', 'x'), { message: 'jsonpath leads to a nested object or list which is not supported' });
    assert.throws(() => jsonPathMet(obj, '{.items[*]}', '1'), { message: 'given jsonpath expression matches more than one value' });
  });
});
