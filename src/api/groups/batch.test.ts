import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject, ResourceType } from '../types.ts';
import { cronScheduleError, resources } from './batch.ts';

const type = (plural: string): ResourceType => resources.find((r) => r.plural === plural)!;

function kubectlJob(): KObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', uid: '6e1b0a9e-1111-4222-8333-944455556666' },
    spec: { template: { metadata: {}, spec: { containers: [{ name: 'pi', image: 'perl:5.34', command: ['perl', '-e', '1'] }], restartPolicy: 'Never' } } },
  };
}

describe('Job', () => {
  it('gets upstream defaults and a generated selector', () => {
    const t = type('jobs');
    const job = kubectlJob();
    t.defaults!(job);
    t.prepareForCreate!(job, {});
    const uid = job.metadata!.uid!;
    const labels = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': uid, 'job-name': 'pi' };
    const { template, ...rest } = job['spec'];
    assert.deepEqual(rest, {
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      manualSelector: false,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
    });
    assert.deepEqual(template.metadata.labels, labels);
    assert.deepEqual(job.metadata!.labels, labels);
    assert.deepEqual(job['status'], {});
    assert.deepEqual(t.validateCreate!(job), []);
  });

  it('requires OnFailure or Never and keeps the template immutable', () => {
    const t = type('jobs');
    const job = kubectlJob();
    job['spec'].template.spec.restartPolicy = 'Always';
    t.defaults!(job);
    t.prepareForCreate!(job, {});
    assert.deepEqual(t.validateCreate!(job).map((e) => e.message), [
      'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    ]);
    job['spec'].template.spec.restartPolicy = 'Never';
    job.metadata!.resourceVersion = '1';
    const next = structuredClone(job);
    next['spec'].template.spec.containers[0].image = 'perl:5.36';
    const errs = t.validateUpdate!(next, job);
    assert.equal(errs.length, 1);
    assert.equal(errs[0]!.field, 'spec.template');
    assert.match(errs[0]!.message, /^spec\.template: Invalid value: \{.*\}: field is immutable$/s);
    // A suspended Job that never started may move its pods elsewhere.
    const suspended = structuredClone(job);
    suspended['spec'].suspend = true;
    const moved = structuredClone(suspended);
    moved['spec'].template.spec.nodeSelector = { zone: 'b' };
    assert.deepEqual(t.validateUpdate!(moved, suspended), []);
  });
});

describe('CronJob', () => {
  it('defaults the schedule policy fields and the job template metadata', () => {
    const t = type('cronjobs');
    const cj: KObject = {
      metadata: { name: 'tick', namespace: 'default' },
      spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'OnFailure' } } } } },
    };
    t.defaults!(cj);
    t.prepareForCreate!(cj, {});
    const { jobTemplate, ...rest } = cj['spec'];
    assert.deepEqual(rest, { schedule: '*/5 * * * *', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    assert.deepEqual(jobTemplate.metadata, {});
    assert.equal(jobTemplate.spec.backoffLimit, undefined);
    assert.equal(jobTemplate.spec.template.spec.containers[0].imagePullPolicy, 'Always');
    assert.deepEqual(t.validateCreate!(cj), []);
    cj['spec'].schedule = 'every minute';
    assert.deepEqual(t.validateCreate!(cj).map((e) => e.message), ['spec.schedule: Invalid value: "every minute": expected exactly 5 fields, found 2: [every minute]']);
  });

  it('parses schedules like robfig/cron', () => {
    assert.equal(cronScheduleError('0 0 * * 0'), undefined);
    assert.equal(cronScheduleError('@hourly'), undefined);
    assert.equal(cronScheduleError('0 0 * JAN-MAR mon'), undefined);
    assert.equal(cronScheduleError('60 * * * *'), 'end of range (60) above maximum (59): 60');
    assert.equal(cronScheduleError('* * 0 * *'), 'beginning of range (0) below minimum (1): 0');
  });
});
