import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStructural, validateStructural } from './structural.ts';

const messages = (s: object): string[] => validateStructural(s, 'schema').map((e) => e.message);

describe('validateStructural', () => {
  it('accepts int-or-string and preserve-unknown-fields without a type', () => {
    assert.equal(
      isStructural({
        type: 'object',
        properties: {
          port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
          free: { 'x-kubernetes-preserve-unknown-fields': true },
          metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 10 } } },
        },
      }),
      true,
    );
  });

  it('requires junctor fields to exist in the structure, at the root', () => {
    assert.deepEqual(messages({ type: 'object', anyOf: [{ required: ['a'] }, { properties: { b: { minimum: 1 } } }] }), [
      'schema.properties[b]: Required value: because it is defined in schema.anyOf[1].properties[b]',
    ]);
  });

  it('checks the root, embedded resources and nested junctors', () => {
    assert.deepEqual(
      messages({
        type: 'array',
        additionalProperties: { type: 'string' },
        properties: {
          e: { 'x-kubernetes-embedded-resource': true },
          j: { type: 'string', allOf: [{ type: 'string', description: 'x', nullable: true }] },
        },
      }),
      [
        'schema.additionalProperties: Forbidden: must not be used at the root',
        'schema.items: Required value: must be specified',
        'schema.properties[e].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields',
        'schema.properties[e].type: Required value: must be object if x-kubernetes-embedded-resource is true',
        'schema.properties[j].allOf[0].description: Forbidden: must be empty to be structural',
        'schema.properties[j].allOf[0].nullable: Forbidden: must be false to be structural',
        'schema.properties[j].allOf[0].type: Forbidden: must be empty to be structural',
        'schema.type: Invalid value: "array": must be object at the root',
      ],
    );
  });
});
