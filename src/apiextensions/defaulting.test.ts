import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyDefaults, defaultCustomResource, pruneNonNullableNulls } from './defaulting.ts';
import type { JSONSchemaProps } from './jsonschema.ts';

const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        replicas: { type: 'integer', default: 1 },
        strategy: { type: 'object', default: {}, properties: { type: { type: 'string', default: 'Rolling' } } },
        resources: { type: 'object', properties: { cpu: { type: 'string', default: '100m' } } },
        ports: { type: 'array', items: { type: 'object', properties: { protocol: { type: 'string', default: 'TCP' } } } },
        env: { type: 'object', additionalProperties: { type: 'object', properties: { value: { type: 'string', default: '' } } } },
        note: { type: 'string', nullable: true, default: 'n' },
        level: { type: 'string', default: 'info' },
        extra: { type: 'string' },
      },
    },
  },
};

describe('applyDefaults', () => {
  it('fills missing properties, including inside default values, only where the parent exists', () => {
    const obj = { spec: {} as Record<string, unknown> };
    applyDefaults(schema, obj);
    assert.deepEqual(obj.spec, { replicas: 1, strategy: { type: 'Rolling' }, note: 'n', level: 'info' });
  });

  it('defaults inside array items and additionalProperties values', () => {
    const obj = { spec: { ports: [{}, { protocol: 'UDP' }], env: { A: {}, B: { value: 'x' } }, resources: {} } };
    applyDefaults(schema, obj);
    assert.deepEqual(obj.spec.ports, [{ protocol: 'TCP' }, { protocol: 'UDP' }]);
    assert.deepEqual(obj.spec.env, { A: { value: '' }, B: { value: 'x' } });
    assert.deepEqual(obj.spec.resources, { cpu: '100m' });
  });

  it('replaces null unless the field is nullable', () => {
    const obj = { spec: { level: null, note: null } };
    applyDefaults(schema, obj);
    assert.deepEqual(obj.spec, { level: 'info', note: null, replicas: 1, strategy: { type: 'Rolling' } });
  });

  it('copies default values', () => {
    const a = { spec: {} as Record<string, any> };
    const b = { spec: {} as Record<string, any> };
    applyDefaults(schema, a);
    applyDefaults(schema, b);
    a.spec['strategy'].type = 'changed';
    assert.equal(b.spec['strategy'].type, 'Rolling');
  });

  it('does nothing without a parent object', () => {
    const obj = {};
    applyDefaults(schema, obj);
    assert.deepEqual(obj, {});
  });
});

describe('pruneNonNullableNulls', () => {
  it('drops nulls that are neither nullable nor defaulted, keeps the others for defaulting', () => {
    const obj = { spec: { extra: null, note: null, level: null } };
    pruneNonNullableNulls(schema, obj);
    assert.deepEqual(obj.spec, { note: null, level: null });
    const full = { spec: { extra: null, level: null } };
    defaultCustomResource(schema, full);
    assert.equal((full.spec as Record<string, unknown>)['level'], 'info');
    assert.equal('extra' in full.spec, false);
  });
});
