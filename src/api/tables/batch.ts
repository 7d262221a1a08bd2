// Table columns for the batch API group.
import type { KObject, TableConvertor } from '../types.ts';
import { humanDuration, parseTimestamp, translateTimestampSince } from './duration.ts';
import {
  ageColumn,
  ageOf,
  arr,
  boolPtr,
  col,
  containerCells,
  containersColumn,
  convertor,
  formatLabelSelector,
  imagesColumn,
  int,
  nameColumn,
  nameOf,
  wide,
} from './format.ts';

/** Whether the first condition of this type is True. */
function hasCondition(obj: KObject, type: string): boolean {
  const cond = arr(obj.status?.conditions).find((c) => c?.type === type);
  return cond?.status === 'True';
}

function jobStatus(job: KObject): string {
  if (hasCondition(job, 'Complete')) return 'Complete';
  if (hasCondition(job, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp !== undefined && job.metadata?.deletionTimestamp !== null) return 'Terminating';
  if (hasCondition(job, 'Suspended')) return 'Suspended';
  if (hasCondition(job, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function jobCompletions(job: KObject): string {
  const succeeded = int(job.status?.succeeded);
  if (typeof job.spec?.completions === 'number') return `${succeeded}/${int(job.spec.completions)}`;
  const parallelism = int(job.spec?.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(job: KObject, now: number): string {
  const start = parseTimestamp(job.status?.startTime);
  if (start === undefined) return '';
  const end = parseTimestamp(job.status?.completionTime);
  return humanDuration((end ?? now) - start);
}

const jobs = convertor(
  [
    nameColumn(),
    col('Status', 'string', 'Status of the job.'),
    col('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
    col('Duration', 'string', 'Time required to complete the job.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    wide('Selector', 'string', 'A label query over pods that should match the pod count.'),
  ],
  (job, now) => {
    const [names, images] = containerCells(job.spec?.template?.spec?.containers);
    return [
      nameOf(job),
      jobStatus(job),
      jobCompletions(job),
      jobDuration(job, now),
      ageOf(job, now),
      names,
      images,
      formatLabelSelector(job.spec?.selector),
    ];
  },
);

const cronJobs = convertor(
  [
    nameColumn(),
    col('Schedule', 'string', 'The schedule in Cron format.'),
    col('Timezone', 'string', 'The time zone name for the given schedule.'),
    col('Suspend', 'boolean', 'Whether subsequent executions are suspended.'),
    col('Active', 'integer', 'Currently running jobs.'),
    col('Last Schedule', 'string', 'The last time the job was successfully scheduled.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    wide('Selector', 'string', 'A label query over pods that should match the pod count.'),
  ],
  (cj, now) => {
    const jobSpec = cj.spec?.jobTemplate?.spec;
    const [names, images] = containerCells(jobSpec?.template?.spec?.containers);
    const last = cj.status?.lastScheduleTime;
    return [
      nameOf(cj),
      typeof cj.spec?.schedule === 'string' ? cj.spec.schedule : '',
      typeof cj.spec?.timeZone === 'string' ? cj.spec.timeZone : '<none>',
      boolPtr(cj.spec?.suspend),
      arr(cj.status?.active).length,
      last === undefined || last === null ? '<none>' : translateTimestampSince(last, now),
      ageOf(cj, now),
      names,
      images,
      formatLabelSelector(jobSpec?.selector),
    ];
  },
);

export const tables: Record<string, TableConvertor> = { jobs, cronjobs: cronJobs };
