import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lastAppliedOwners, unionFields, upgradeManagedFieldsPatch, type ManagedFieldsEntry } from './apply-migrate.ts';

const annotation = { 'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} } } };

describe('client-side to server-side apply migration', () => {
  const csa: ManagedFieldsEntry = { manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { ...annotation, 'f:data': { 'f:a': {} } } };
  const ssa: ManagedFieldsEntry = { manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:b': {} } } };

  it('finds the Update managers that own the last-applied annotation', () => {
    assert.deepEqual(lastAppliedOwners([csa, ssa], 'Update'), [csa]);
    assert.deepEqual(lastAppliedOwners([csa, ssa], 'Apply'), []);
  });

  it('merges their fields into the server-side manager and drops them', () => {
    const patch = upgradeManagedFieldsPatch([ssa, csa], '7', new Set(['kubectl-client-side-apply']), 'kubectl') as Array<{ path: string; value: unknown }>;
    assert.deepEqual(patch[1], { op: 'replace', path: '/metadata/resourceVersion', value: '7' });
    assert.deepEqual(patch[0]!.value, [{ ...ssa, fieldsV1: unionFields(annotation, { 'f:data': { 'f:a': {}, 'f:b': {} } }) }]);
    assert.equal(upgradeManagedFieldsPatch([ssa], '7', new Set(['kubectl-client-side-apply']), 'kubectl'), undefined);
  });

  it('turns the client-side entry into the server-side one when there is none', () => {
    const patch = upgradeManagedFieldsPatch([csa], '1', new Set(['kubectl-client-side-apply']), 'kubectl') as Array<{ value: ManagedFieldsEntry[] }>;
    assert.deepEqual(patch[0]!.value.map((e) => [e.manager, e.operation]), [['kubectl', 'Apply']]);
  });

  it('orders field sets as structured-merge-diff writes them', () => {
    assert.deepEqual(Object.keys(unionFields({ 'k:{"name":"x"}': {}, 'f:b': {} }, { '.': {}, 'f:a': {} })), ['.', 'f:a', 'f:b', 'k:{"name":"x"}']);
  });
});
