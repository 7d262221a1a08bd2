import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeObject } from './normalize.ts';

test('drops empty omitempty maps, lists and zero scalars, and nulls; keeps structs and pointers', () => {
  const obj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x', labels: {}, annotations: { a: 'b' }, finalizers: [], generation: 0, namespace: '' },
    spec: {
      replicas: 0, // *int32: kept
      paused: false, // bool omitempty: dropped
      minReadySeconds: 0,
      selector: { matchLabels: { app: 'x' } },
      template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i', env: [], resources: {} }], hostNetwork: false } },
      strategy: {},
    },
    status: {},
  };
  normalizeObject('io.k8s.api.apps.v1.Deployment', obj);
  assert.deepEqual(obj, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x', annotations: { a: 'b' } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'x' } },
      template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i', resources: {} }] } },
      strategy: {},
    },
    status: {},
  });
});

test('leaves fields the schema does not know alone', () => {
  const obj = { metadata: { name: 'x' }, data: {}, other: '' };
  normalizeObject('io.k8s.api.core.v1.ConfigMap', obj);
  assert.deepEqual(obj, { metadata: { name: 'x' }, other: '' });
});
