import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../types.ts';
import { tables } from './batch.ts';

const now = Date.parse('2026-11-26T10:21:05Z');
const ago = (ms: number): string => new Date(now - ms).toISOString();
const podTemplate = { spec: { containers: [{ name: 'pi', image: 'perl:5.34' }], restartPolicy: 'Never' } };
const selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } };

function job(spec: Record<string, unknown>, status: Record<string, unknown>, meta: Record<string, unknown> = {}): KObject {
  return { metadata: { name: 'pi', creationTimestamp: ago(10 * 60_000), ...meta }, spec: { selector, template: podTemplate, ...spec }, status };
}

describe('jobs', () => {
  const jobs = tables.jobs!;

  it('has the upstream columns', () => {
    assert.deepEqual(
      jobs.columns.map((c) => [c.name, c.type, c.priority]),
      [
        ['Name', 'string', 0],
        ['Status', 'string', 0],
        ['Completions', 'string', 0],
        ['Duration', 'string', 0],
        ['Age', 'string', 0],
        ['Containers', 'string', 1],
        ['Images', 'string', 1],
        ['Selector', 'string', 1],
      ],
    );
  });

  it('a completed job: Complete, n/m, duration from start to completion', () => {
    const j = job(
      { completions: 1, parallelism: 1 },
      { succeeded: 1, startTime: ago(9 * 60_000), completionTime: ago(9 * 60_000 - 12_000), conditions: [{ type: 'Complete', status: 'True' }] },
    );
    assert.deepEqual(jobs.cells(j, now), ['pi', 'Complete', '1/1', '12s', '10m', 'pi', 'perl:5.34', 'batch.kubernetes.io/controller-uid=u1']);
  });

  it('a running job: duration runs until now; parallel jobs without completions', () => {
    const j = job({ parallelism: 3 }, { active: 3, startTime: ago(125_000) });
    assert.deepEqual(jobs.cells(j, now).slice(1, 4), ['Running', '0/1 of 3', '2m5s']);
    assert.deepEqual(jobs.cells(job({ parallelism: 1 }, {}), now).slice(1, 4), ['Running', '0/1', '']);
  });

  it('Failed, Suspended, FailureTarget and Terminating', () => {
    const cond = (type: string, status = 'True') => job({ completions: 2 }, { conditions: [{ type, status }] });
    assert.equal(jobs.cells(cond('Failed'), now)[1], 'Failed');
    assert.equal(jobs.cells(cond('Suspended'), now)[1], 'Suspended');
    assert.equal(jobs.cells(cond('FailureTarget'), now)[1], 'FailureTarget');
    assert.equal(jobs.cells(cond('Complete', 'False'), now)[1], 'Running');
    assert.equal(jobs.cells(job({}, {}, { deletionTimestamp: ago(1) }), now)[1], 'Terminating');
  });
});

describe('cronjobs', () => {
  it('schedule, timezone, suspend, active and last schedule', () => {
    const cronjobs = tables.cronjobs!;
    assert.deepEqual(
      cronjobs.columns.map((c) => [c.name, c.type, c.priority]),
      [
        ['Name', 'string', 0],
        ['Schedule', 'string', 0],
        ['Timezone', 'string', 0],
        ['Suspend', 'boolean', 0],
        ['Active', 'integer', 0],
        ['Last Schedule', 'string', 0],
        ['Age', 'string', 0],
        ['Containers', 'string', 1],
        ['Images', 'string', 1],
        ['Selector', 'string', 1],
      ],
    );
    const cj: KObject = {
      metadata: { name: 'hello', creationTimestamp: ago(3 * 3_600_000) },
      spec: { schedule: '*/1 * * * *', suspend: false, jobTemplate: { spec: { template: podTemplate } } },
      status: { active: [{ name: 'hello-1' }], lastScheduleTime: ago(45_000) },
    };
    assert.deepEqual(cronjobs.cells(cj, now), ['hello', '*/1 * * * *', '<none>', 'False', 1, '45s', '3h', 'pi', 'perl:5.34', '<none>']);
    const fresh: KObject = { metadata: { name: 'n' }, spec: { schedule: '@daily', timeZone: 'Etc/UTC', jobTemplate: { spec: {} } } };
    assert.deepEqual(cronjobs.cells(fresh, now).slice(1, 7), ['@daily', 'Etc/UTC', '<unset>', 0, '<none>', '<unknown>']);
  });
});
