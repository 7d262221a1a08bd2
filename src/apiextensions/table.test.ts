import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CREATION_DESCRIPTION, NAME_DESCRIPTION } from '../api/tables/format.ts';
import { cronTab, cronTabCRD } from './crontab.testutil.ts';
import { cellForJSONValue, printerColumnsTable } from './table.ts';

const now = Date.parse('2024-05-01T10:07:30Z');

describe('printerColumnsTable', () => {
  it('shows Name and the CRD columns with their priorities', () => {
    const t = printerColumnsTable(cronTabCRD()['spec'].versions[0].additionalPrinterColumns);
    assert.deepEqual(t.columns, [
      { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 0 },
      { name: 'Spec', type: 'string', format: '', description: 'The cron spec defining the interval a CronJob is run', priority: 0 },
      { name: 'Replicas', type: 'integer', format: '', description: 'The number of jobs launched by the CronJob', priority: 0 },
      { name: 'Age', type: 'date', format: '', description: 'Custom resource definition column (in JSONPath format): .metadata.creationTimestamp', priority: 0 },
    ]);
    const cr = cronTab({ cronSpec: '* * * * */5', image: 'i', replicas: 2 });
    assert.deepEqual(t.cells(cr, now), ['my-new-cron-object', '* * * * */5', 2, '7m30s']);
    assert.deepEqual(t.cells(cronTab({}), now), ['my-new-cron-object', null, null, '7m30s']);
  });

  it('defaults to Name and Age', () => {
    const t = printerColumnsTable([]);
    assert.deepEqual(t.columns.map((c) => [c.name, c.type, c.description]), [
      ['Name', 'string', NAME_DESCRIPTION],
      ['Age', 'date', CREATION_DESCRIPTION],
    ]);
    assert.deepEqual(t.cells(cronTab(), now), ['my-new-cron-object', '7m30s']);
  });

  it('evaluates filters and prints non-strings in string columns as Go does', () => {
    const t = printerColumnsTable([
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', priority: 1 },
      { name: 'Spec', type: 'string', jsonPath: '.spec' },
      { name: 'Ratio', type: 'number', jsonPath: '.spec.ratio' },
      { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused' },
    ]);
    assert.equal(t.columns[1]!.priority, 1);
    const cr = cronTab({ ratio: 1.5, paused: 'no' });
    cr['status'] = { conditions: [{ type: 'Ready', status: 'True' }] };
    assert.deepEqual(t.cells(cr, now), ['my-new-cron-object', 'True', 'map[paused:no ratio:1.5]', 1.5, null]);
  });

  it('stops at a column whose JSONPath does not parse', () => {
    const t = printerColumnsTable([
      { name: 'A', type: 'string', jsonPath: '.spec.a' },
      { name: 'B', type: 'string', jsonPath: '.spec[' },
      { name: 'C', type: 'string', jsonPath: '.spec.c' },
    ]);
    assert.deepEqual(t.columns.map((c) => c.name), ['Name', 'A']);
  });
});

describe('cellForJSONValue', () => {
  it('types cells like upstream', () => {
    assert.equal(cellForJSONValue('integer', 2.7, now), 2);
    assert.equal(cellForJSONValue('integer', '2', now), null);
    assert.equal(cellForJSONValue('date', 'yesterday', now), '<invalid>');
    assert.equal(cellForJSONValue('date', '', now), '<unknown>');
    assert.equal(cellForJSONValue('date', '2024-04-29T10:07:30Z', now), '2d');
  });
});
