import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldPath } from './fieldpath.ts';
import { FieldSet } from './fieldset.ts';
import { decodeManagedFields, encodeManagedFields, isResetManagedFields, managerIdentifier, printManager } from './managedfields.ts';

const fields = { 'f:spec': { 'f:replicas': {} } };

describe('managedFields entries', () => {
  it('identifies managers as upstream does: Apply entries without apiVersion', () => {
    assert.equal(managerIdentifier({ manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1' }), '{"manager":"kubectl","operation":"Apply"}');
    assert.equal(
      managerIdentifier({ manager: 'kcm', operation: 'Update', apiVersion: 'apps/v1', subresource: 'status' }),
      '{"manager":"kcm","operation":"Update","apiVersion":"apps/v1","subresource":"status"}',
    );
  });

  it('prints managers the way conflict messages do', () => {
    assert.equal(printManager('{"manager":"kubectl","operation":"Apply"}'), '"kubectl"');
    assert.equal(printManager('{"manager":"kcm","operation":"Update","apiVersion":"apps/v1","subresource":"status"}'), '"kcm" with subresource "status" using apps/v1');
    assert.equal(printManager('not json'), '"not json"');
  });

  it('rejects invalid entries with upstream\'s messages', () => {
    const ok = { manager: 'm', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: fields };
    assert.throws(() => decodeManagedFields([{ ...ok, operation: 'Patch' }]), /operation must be `Apply` or `Update`/);
    assert.throws(() => decodeManagedFields([{ ...ok, apiVersion: '' }]), /apiVersion must not be empty/);
    assert.throws(() => decodeManagedFields([{ ...ok, fieldsType: undefined }]), /missing fieldsType in managed fields entry 0/);
    assert.throws(() => decodeManagedFields([{ ...ok, fieldsType: 'FieldsV2' }]), /invalid fieldsType "FieldsV2" in managed fields entry 0/);
    const m = decodeManagedFields([ok]);
    assert.ok(m.sets.get('{"manager":"m","operation":"Update","apiVersion":"v1"}')?.set.has(fieldPath('spec', 'replicas')));
  });

  it('sorts entries by operation, time, manager, apiVersion and subresource', () => {
    const set = FieldSet.of(fieldPath('spec', 'replicas'));
    const sets = new Map([
      ['{"manager":"b","operation":"Update","apiVersion":"v1"}', { set, apiVersion: 'v1', applied: false }],
      ['{"manager":"a","operation":"Update","apiVersion":"v1"}', { set, apiVersion: 'v1', applied: false }],
      ['{"manager":"z","operation":"Apply"}', { set, apiVersion: 'v1', applied: true }],
      ['{"manager":"a","operation":"Update","apiVersion":"v1","subresource":"status"}', { set, apiVersion: 'v1', applied: false }],
    ]);
    const times = new Map<string, string | undefined>([
      ['{"manager":"b","operation":"Update","apiVersion":"v1"}', '2026-01-01T00:00:00Z'],
      ['{"manager":"a","operation":"Update","apiVersion":"v1"}', '2026-01-02T00:00:00Z'],
      ['{"manager":"z","operation":"Apply"}', '2026-01-03T00:00:00Z'],
      ['{"manager":"a","operation":"Update","apiVersion":"v1","subresource":"status"}', '2026-01-02T00:00:00Z'],
    ]);
    const out = encodeManagedFields({ sets, times }) ?? [];
    assert.deepEqual(out.map((e) => `${e.operation} ${e.manager} ${e.subresource ?? ''}`), ['Apply z ', 'Update b ', 'Update a ', 'Update a status']);
    assert.equal(encodeManagedFields({ sets: new Map(), times: new Map() }), undefined);
  });

  it('recognises a request clearing managedFields', () => {
    assert.equal(isResetManagedFields([]), true);
    assert.equal(isResetManagedFields([{}]), true);
    assert.equal(isResetManagedFields(undefined), false);
    assert.equal(isResetManagedFields([{ manager: 'x' }]), false);
  });
});
