import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { patchToJson, schemaTypeName } from './patch.ts';

describe('kubectl patch', () => {
  it('passes JSON through, converts YAML, and reports YAML errors as kubectl does', async () => {
    assert.equal(await patchToJson('{"a":1'), '{"a":1');
    assert.equal(await patchToJson('spec: {replicas: 2}'), '{"spec":{"replicas":2}}');
    await assert.rejects(patchToJson('a: b: c'), { message: 'unable to parse "a: b: c": yaml: mapping values are not allowed in this context' });
  });

  it('names the schema type of a built-in kind for a local strategic merge patch', () => {
    assert.equal(schemaTypeName({ group: 'apps', version: 'v1', kind: 'Deployment' }), 'io.k8s.api.apps.v1.Deployment');
    assert.equal(schemaTypeName({ group: '', version: 'v1', kind: 'Pod' }), 'io.k8s.api.core.v1.Pod');
    assert.equal(schemaTypeName({ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role' }), 'io.k8s.api.rbac.v1.Role');
  });
});
