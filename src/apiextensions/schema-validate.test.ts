import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JSONSchemaProps } from './jsonschema.ts';
import { validateAgainstSchema, validateAgainstSchemaUpdate } from './schema-validate.ts';

const messages = (schema: JSONSchemaProps, value: unknown): string[] => validateAgainstSchema(schema, value).map((e) => e.message);

const spec = (properties: Record<string, JSONSchemaProps>, extra: JSONSchemaProps = {}): JSONSchemaProps => ({
  type: 'object',
  properties: { spec: { type: 'object', properties, ...extra } },
});

describe('validateAgainstSchema', () => {
  it('reports type errors as TypeInvalid with the JSON type as the value', () => {
    const errs = validateAgainstSchema(spec({ replicas: { type: 'integer' } }), { spec: { replicas: 'three' } });
    assert.deepEqual(errs, [
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.replicas',
        message: 'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
      },
    ]);
  });

  it('reports enums as NotSupported, non-strings as JSON', () => {
    assert.deepEqual(messages(spec({ size: { type: 'string', enum: ['small', 'large'] } }), { spec: { size: 'huge' } }), [
      'spec.size: Unsupported value: "huge": supported values: "small", "large"',
    ]);
    assert.deepEqual(messages(spec({ n: { type: 'integer', enum: [1, 2] } }), { spec: { n: 3 } }), ['spec.n: Unsupported value: 3: supported values: "1", "2"']);
  });

  it('reports missing required fields, nested under their parent', () => {
    const schema = spec({ name: { type: 'string' }, port: { type: 'object', required: ['number'], properties: { number: { type: 'integer' } } } }, { required: ['name'] });
    const errs = validateAgainstSchema(schema, { spec: { port: {} } });
    assert.deepEqual(
      errs.map((e) => [e.reason, e.field, e.message]),
      [
        ['FieldValueRequired', 'spec.port.number', 'spec.port.number: Required value'],
        ['FieldValueRequired', 'spec.name', 'spec.name: Required value'],
      ],
    );
  });

  it('checks numeric bounds with integer or float formatting', () => {
    const schema = spec({ replicas: { type: 'integer', minimum: 1, maximum: 10 }, ratio: { type: 'number', maximum: 0.5, exclusiveMaximum: true } });
    assert.deepEqual(messages(schema, { spec: { replicas: 20, ratio: 0.5 } }), [
      'spec.replicas: Invalid value: 20: spec.replicas in body should be less than or equal to 10',
      'spec.ratio: Invalid value: 0.5: spec.ratio in body should be less than 0.5',
    ]);
    assert.deepEqual(messages(schema, { spec: { replicas: 0 } }), ['spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1']);
    assert.deepEqual(messages(spec({ big: { type: 'number', maximum: 1000000 } }), { spec: { big: 1500000.5 } }), [
      'spec.big: Invalid value: 1500000.5: spec.big in body should be less than or equal to 1e+06',
    ]);
  });

  it('checks int32 and int64 ranges', () => {
    assert.deepEqual(messages(spec({ n: { type: 'integer', format: 'int32' } }), { spec: { n: 3000000000 } }), [
      '<nil>: Invalid value: "": Checked value must be of type integer with format int32 in spec.n',
    ]);
    assert.deepEqual(messages(spec({ n: { type: 'integer', format: 'int32' } }), { spec: { n: 2147483647 } }), []);
  });

  it('checks strings: length in characters, pattern in Go syntax', () => {
    const schema = spec({ name: { type: 'string', maxLength: 3 }, code: { type: 'string', minLength: 2, pattern: '\\A[a-z]+\\z' } });
    assert.deepEqual(messages(schema, { spec: { name: 'abcd', code: 'a' } }), [
      'spec.name: Too long: may not be more than 3 bytes',
      'spec.code: Invalid value: "a": spec.code in body should be at least 2 chars long',
    ]);
    assert.deepEqual(messages(schema, { spec: { name: 'äöü', code: 'A1' } }), ["spec.code: Invalid value: \"A1\": spec.code in body should match '\\A[a-z]+\\z'"]);
  });

  it('checks formats CRDs support and ignores the others', () => {
    const schema = spec({ when: { type: 'string', format: 'date-time' }, id: { type: 'string', format: 'uuid' }, x: { type: 'string', format: 'no-such' } });
    assert.deepEqual(messages(schema, { spec: { when: 'yesterday', id: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6', x: '?' } }), [
      'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
    ]);
    assert.deepEqual(messages(schema, { spec: { when: '2024-02-29T10:00:00Z' } }), []);
  });

  it('checks arrays: items with indexed paths, minItems, maxItems', () => {
    const schema = spec({ ports: { type: 'array', maxItems: 2, items: { type: 'object', properties: { port: { type: 'integer' } } } } });
    assert.deepEqual(messages(schema, { spec: { ports: [{ port: 1 }, { port: 'x' }, { port: 3 }] } }), [
      'spec.ports[1].port: Invalid value: "string": spec.ports[1].port in body must be of type integer: "string"',
      'spec.ports: Too many: 3: must have at most 2 items',
    ]);
    assert.deepEqual(messages(spec({ l: { type: 'array', minItems: 1, items: { type: 'string' } } }), { spec: { l: [] } }), [
      'spec.l: Invalid value: 0: spec.l in body should have at least 1 items',
    ]);
  });

  it('checks maps: additionalProperties schemas and property counts', () => {
    const schema = spec({ labels: { type: 'object', maxProperties: 1, additionalProperties: { type: 'string' } } });
    assert.deepEqual(messages(schema, { spec: { labels: { a: 'x', b: 2 } } }), [
      'spec.labels: Too many: 2: must have at most 1 item',
      'spec.labels.b: Invalid value: "integer": spec.labels.b in body must be of type string: "integer"',
    ]);
  });

  it('treats null as a type error unless nullable', () => {
    assert.deepEqual(messages(spec({ o: { type: 'object' } }), { spec: { o: null } }), [
      'spec.o: Invalid value: "null": spec.o in body must be of type object: "null"',
    ]);
    assert.deepEqual(messages(spec({ o: { type: 'object', nullable: true } }), { spec: { o: null } }), []);
  });

  it('accepts int-or-string and reports other values with the anyOf branches', () => {
    const schema = spec({ port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] } });
    assert.deepEqual(messages(schema, { spec: { port: 80 } }), []);
    assert.deepEqual(messages(schema, { spec: { port: 'http' } }), []);
    assert.deepEqual(messages(schema, { spec: { port: true } }), [
      'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
      '<nil>: Invalid value: "": "spec.port" must validate at least one schema (anyOf)',
      'spec.port: Invalid value: "boolean": spec.port in body must be of type integer: "boolean"',
    ]);
  });

  it('reports oneOf, allOf and not violations', () => {
    const one = spec({ v: { type: 'integer', oneOf: [{ minimum: 0 }, { maximum: 10 }] } });
    assert.deepEqual(messages(one, { spec: { v: 5 } }), ['<nil>: Invalid value: "": "spec.v" must validate one and only one schema (oneOf). Found 2 valid alternatives']);
    const all = spec({ v: { type: 'integer', allOf: [{ minimum: 0 }, { maximum: 10 }] } });
    assert.deepEqual(messages(all, { spec: { v: 11 } }), [
      'spec.v: Invalid value: 11: spec.v in body should be less than or equal to 10',
      '<nil>: Invalid value: "": "spec.v" must validate all the schemas (allOf)',
    ]);
    const not = spec({ v: { type: 'string', not: { enum: ['forbidden'] } } });
    assert.deepEqual(messages(not, { spec: { v: 'forbidden' } }), ['<nil>: Invalid value: "": "spec.v" must not validate the schema (not)']);
  });

  it('prefixes a base path (status validation, defaults)', () => {
    const errs = validateAgainstSchema({ type: 'object', properties: { replicas: { type: 'integer' } } }, { replicas: 'x' }, { path: 'status' });
    assert.deepEqual(errs.map((e) => e.field), ['status.replicas']);
  });
});

describe('validateAgainstSchemaUpdate (ratcheting)', () => {
  const schema = spec({
    size: { type: 'string', enum: ['small', 'large'] },
    replicas: { type: 'integer', maximum: 10 },
    items: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      items: { type: 'object', properties: { name: { type: 'string' }, value: { type: 'integer', maximum: 5 } } },
    },
  });

  it('drops errors in fields that did not change', () => {
    const old = { spec: { size: 'huge', replicas: 3 } };
    assert.deepEqual(validateAgainstSchemaUpdate(schema, { spec: { size: 'huge', replicas: 4 } }, old), []);
  });

  it('keeps errors in changed fields', () => {
    const old = { spec: { size: 'huge', replicas: 30 } };
    assert.deepEqual(
      validateAgainstSchemaUpdate(schema, { spec: { size: 'huge', replicas: 31 } }, old).map((e) => e.message),
      ['spec.replicas: Invalid value: 31: spec.replicas in body should be less than or equal to 10'],
    );
  });

  it('correlates list-map items by key, not position', () => {
    const old = { spec: { items: [{ name: 'a', value: 9 }, { name: 'b', value: 1 }] } };
    const reordered = { spec: { items: [{ name: 'b', value: 2 }, { name: 'a', value: 9 }] } };
    assert.deepEqual(validateAgainstSchemaUpdate(schema, reordered, old), []);
    const changed = { spec: { items: [{ name: 'a', value: 8 }] } };
    assert.deepEqual(
      validateAgainstSchemaUpdate(schema, changed, old).map((e) => e.field),
      ['spec.items[0].value'],
    );
  });
});
