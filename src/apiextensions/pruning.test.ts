import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JSONSchemaProps } from './jsonschema.ts';
import { pruneUnknown, pruneValue } from './pruning.ts';

const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        known: { type: 'string' },
        list: { type: 'array', items: { type: 'object', properties: { a: { type: 'string' } } } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { typed: { type: 'object', properties: { x: { type: 'string' } } } } },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
  },
};

describe('pruneUnknown', () => {
  it('removes what the schema does not specify and returns the sorted paths', () => {
    const obj = {
      apiVersion: 'example.com/v1',
      kind: 'Thing',
      metadata: { name: 'a', namespace: 'ns', mystery: 1, ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u', odd: true }] },
      spec: {
        known: 'k',
        zzz: 1,
        list: [{ a: 'x', b: 'y' }],
        free: { anything: { goes: true }, typed: { x: 'x', y: 'y' } },
        labels: { any: 'key' },
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', stray: 1 }, spec: { containers: [] } },
      },
      status: { phase: 'x' },
    };
    const removed = pruneUnknown(schema, obj);
    assert.deepEqual(removed, ['metadata.mystery', 'metadata.ownerReferences[0].odd', 'spec.free.typed.y', 'spec.list[0].b', 'spec.zzz', 'status', 'spec.template.metadata.stray']);
    assert.deepEqual(obj, {
      apiVersion: 'example.com/v1',
      kind: 'Thing',
      metadata: { name: 'a', namespace: 'ns', ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u' }] },
      spec: {
        known: 'k',
        list: [{ a: 'x' }],
        free: { anything: { goes: true }, typed: { x: 'x' } },
        labels: { any: 'key' },
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [] } },
      },
    });
  });

  it('keeps only type meta and metadata without a schema', () => {
    const obj = { apiVersion: 'a/v1', kind: 'K', metadata: { name: 'n' }, spec: { x: 1 } };
    assert.deepEqual(pruneUnknown(undefined, obj), ['spec']);
    assert.deepEqual(obj, { apiVersion: 'a/v1', kind: 'K', metadata: { name: 'n' } });
  });
});

describe('pruneValue', () => {
  it('prunes a value that is not a resource root: top-level type meta goes too, unreported', () => {
    const v = { apiVersion: 'x', a: 'b', c: 'd' };
    assert.deepEqual(pruneValue(v, { type: 'object', properties: { a: { type: 'string' } } }, false), ['c']);
    assert.deepEqual(v, { a: 'b' });
  });

  it('keeps type meta and metadata of a resource root', () => {
    const v = { apiVersion: 'x', kind: 'K', metadata: { any: 1 }, c: 'd' };
    assert.deepEqual(pruneValue(v, { type: 'object' }, true), ['c']);
    assert.deepEqual(v, { apiVersion: 'x', kind: 'K', metadata: { any: 1 } });
  });
});
