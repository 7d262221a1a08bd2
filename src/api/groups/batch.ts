// batch/v1: Jobs and CronJobs.
import type { FieldError, KObject, ResourceType } from '../types.ts';
import { defaultPodTemplateSpec, ensureObj, setDefault } from '../defaults.ts';
import {
  fieldError, isDNS1123Label, nameIsDNSSubdomain, selectorMatches, semanticEqual, validateImmutable, validateLabelSelector, validateNonnegative,
  type LabelSelector,
} from '../validation.ts';
import { validatePodTemplateSpec } from '../validation-pod.ts';
import { builtinResource, isObj, list, metaValidation, spec, specOrEmpty, statusHooks, str, type Obj } from './common.ts';
import { selectorValue } from './apps.ts';

const MAX_INT32 = 2147483647;
export const JOB_LABELS = {
  controllerUid: 'batch.kubernetes.io/controller-uid',
  jobName: 'batch.kubernetes.io/job-name',
  legacyControllerUid: 'controller-uid',
  legacyJobName: 'job-name',
};

const resource = builtinResource('batch', 'v1', 'batch');
const base = (kind: string, plural: string, singular: string) => resource(kind, plural, singular, true);

const sortedMap = (m: unknown): unknown => (isObj(m) ? Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]])) : (m ?? null));
const templateLabels = (tpl: unknown): Record<string, string> =>
  isObj(tpl) && isObj(tpl['metadata']) && isObj(tpl['metadata']['labels']) ? tpl['metadata']['labels'] : {};

// ---------------------------------------------------------------------------------------------
// Jobs.

export function defaultJob(obj: KObject): void {
  const s = spec(obj);
  if ((s['completions'] === undefined || s['completions'] === null) && (s['parallelism'] === undefined || s['parallelism'] === null)) {
    s['completions'] = 1;
    s['parallelism'] = 1;
  }
  setDefault(s, 'parallelism', 1);
  setDefault(s, 'backoffLimit', s['backoffLimitPerIndex'] !== undefined && s['backoffLimitPerIndex'] !== null ? MAX_INT32 : 6);
  const labels = templateLabels(s['template']);
  const meta = (obj.metadata ??= {});
  if (Object.keys(labels).length && (!meta.labels || !Object.keys(meta.labels).length)) meta.labels = { ...labels };
  setDefault(s, 'completionMode', 'NonIndexed');
  setDefault(s, 'suspend', false);
  if (isObj(s['podFailurePolicy'])) {
    for (const rule of list(s['podFailurePolicy']['rules'])) for (const p of list(rule['onPodConditions'])) if (!p['status']) p['status'] = 'True';
  }
  setDefault(s, 'podReplacementPolicy', isObj(s['podFailurePolicy']) ? 'Failed' : 'TerminatingOrFailed');
  setDefault(s, 'manualSelector', false);
  defaultPodTemplateSpec(ensureObj(s, 'template'));
}

/** generateSelector: pods of this Job carry its uid and name; the selector picks the uid. */
function generateSelector(obj: KObject): void {
  const s = spec(obj);
  if (s['manualSelector'] === true) return;
  const name = str(obj.metadata?.name);
  const uid = str(obj.metadata?.uid);
  const tplMeta = ensureObj(ensureObj(s, 'template'), 'metadata');
  const labels: Obj = isObj(tplMeta['labels']) ? tplMeta['labels'] : (tplMeta['labels'] = {});
  for (const k of [JOB_LABELS.legacyJobName, JOB_LABELS.jobName]) if (!(k in labels)) labels[k] = name;
  for (const k of [JOB_LABELS.legacyControllerUid, JOB_LABELS.controllerUid]) if (!(k in labels)) labels[k] = uid;
  const sel = ensureObj(s, 'selector');
  const match = ensureObj(sel, 'matchLabels');
  if (!(JOB_LABELS.controllerUid in match)) match[JOB_LABELS.controllerUid] = uid;
  // The Job's own labels follow its template's when it has none (upstream re-defaults them on read).
  const meta = (obj.metadata ??= {});
  if (!meta.labels || !Object.keys(meta.labels).length) meta.labels = { ...labels };
}

function validateGeneratedSelector(obj: KObject): FieldError[] {
  const s = specOrEmpty(obj);
  if (s['manualSelector'] === true) return [];
  const errs: FieldError[] = [];
  const tplMeta: Obj = isObj(s['template']) && isObj(s['template']['metadata']) ? s['template']['metadata'] : {};
  if (!isObj(tplMeta['labels'])) {
    errs.push(fieldError.invalid('spec.template.metadata.labels', null, 'expected non-empty labels'));
    return errs;
  }
  const labels: Obj = tplMeta['labels'];
  const uid = str(obj.metadata?.uid);
  const name = str(obj.metadata?.name);
  const expect = (key: string, value: string): void => {
    if (!(key in labels)) errs.push(fieldError.required(`spec.template.metadata.labels[${key}]`, `must be '${value}'`));
    else if (labels[key] !== value) errs.push(fieldError.invalid(`spec.template.metadata.labels[${key}]`, sortedMap(labels), `must be '${value}'`));
  };
  expect(JOB_LABELS.legacyControllerUid, uid);
  expect(JOB_LABELS.legacyJobName, name);
  expect(JOB_LABELS.controllerUid, uid);
  expect(JOB_LABELS.jobName, name);
  if (!semanticEqual(s['selector'], { matchLabels: { [JOB_LABELS.controllerUid]: uid } })) {
    errs.push(fieldError.invalid('spec.selector', selectorValue(s['selector']), '`selector` not auto-generated'));
  }
  return errs;
}

/** validateJobSpec: the rules a Job and a CronJob's job template share (`p` is the spec's path). */
function validateJobSpecCommon(s: Obj, p: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished', 'backoffLimitPerIndex', 'maxFailedIndexes']) {
    errs.push(...validateNonnegative(s[k], `${p}.${k}`));
  }
  const mode = s['completionMode'];
  if (mode !== undefined && mode !== null) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(fieldError.notSupported(`${p}.completionMode`, mode, ['Indexed', 'NonIndexed']));
    if (mode === 'Indexed') {
      if (s['completions'] === undefined || s['completions'] === null) errs.push(fieldError.required(`${p}.completions`, 'when completion mode is Indexed'));
      if (typeof s['parallelism'] === 'number' && s['parallelism'] > 100000) errs.push(fieldError.invalid(`${p}.parallelism`, s['parallelism'], 'must be less than or equal to 100000 when completion mode is Indexed'));
    }
  }
  if ((s['backoffLimitPerIndex'] !== undefined && s['backoffLimitPerIndex'] !== null) && mode !== 'Indexed') {
    errs.push(fieldError.invalid(`${p}.backoffLimitPerIndex`, s['backoffLimitPerIndex'], 'requires indexed completion mode'));
  }
  const prp = s['podReplacementPolicy'];
  if (prp !== undefined && prp !== null) {
    if (prp !== 'Failed' && prp !== 'TerminatingOrFailed') errs.push(fieldError.notSupported(`${p}.podReplacementPolicy`, prp, ['Failed', 'TerminatingOrFailed']));
    else if (prp === 'TerminatingOrFailed' && isObj(s['podFailurePolicy'])) {
      errs.push(fieldError.notSupported(`${p}.podReplacementPolicy`, prp, ['Failed']));
    }
  }
  errs.push(...validatePodTemplateSpec(s['template'], `${p}.template`));
  const rp = isObj(s['template']) && isObj(s['template']['spec']) ? str(s['template']['spec']['restartPolicy']) : '';
  if (rp !== 'OnFailure' && rp !== 'Never') errs.push(fieldError.notSupported(`${p}.template.spec.restartPolicy`, rp, ['OnFailure', 'Never']));
  else if (isObj(s['podFailurePolicy']) && rp !== 'Never') errs.push(fieldError.invalid(`${p}.template.spec.restartPolicy`, rp, 'only "Never" is supported when podFailurePolicy is specified'));
  return errs;
}

function validateJob(obj: KObject): FieldError[] {
  const s = specOrEmpty(obj);
  const errs = validateGeneratedSelector(obj);
  errs.push(...validateJobSpecCommon(s, 'spec'));
  if (s['selector'] === undefined || s['selector'] === null) errs.push(fieldError.required('spec.selector'));
  else errs.push(...validateLabelSelector(s['selector'], 'spec.selector'));
  const labels = templateLabels(s['template']);
  if (isObj(s['selector']) && !selectorMatches(s['selector'] as LabelSelector, labels)) {
    errs.push(fieldError.invalid('spec.template.metadata.labels', sortedMap(labels), '`selector` does not match template `labels`'));
  }
  if (s['completionMode'] === 'Indexed' && typeof s['completions'] === 'number' && s['completions'] > 0) {
    const hostname = `${str(obj.metadata?.name)}-${s['completions'] - 1}`;
    if (isDNS1123Label(hostname).length) errs.push(fieldError.invalid('metadata.name', str(obj.metadata?.name), `will not able to create pod with invalid DNS label: ${hostname}`));
  }
  return errs;
}

function validateJobUpdate(obj: KObject, old: KObject): FieldError[] {
  const s = specOrEmpty(obj);
  const o = specOrEmpty(old);
  const errs: FieldError[] = [];
  const elastic = s['completionMode'] === 'Indexed' && o['completionMode'] === 'Indexed' && s['completions'] === s['parallelism'] && o['completions'] === o['parallelism'];
  if (!elastic) errs.push(...validateImmutable(s['completions'], o['completions'], 'spec.completions'));
  errs.push(...validateImmutable(selectorValue(s['selector']), selectorValue(o['selector']), 'spec.selector'));
  // A suspended Job that never started may change its pods' scheduling directives.
  let oldTemplate: unknown = o['template'];
  if (s['suspend'] === true && !old['status']?.startTime && isObj(o['template']) && isObj(s['template'])) {
    const tpl = structuredClone(o['template']) as Obj;
    const cur = s['template'] as Obj;
    const ts = ensureObj(tpl, 'spec');
    const cs: Obj = isObj(cur['spec']) ? cur['spec'] : {};
    for (const k of ['nodeSelector', 'tolerations', 'schedulingGates', 'affinity']) {
      if (cs[k] === undefined) delete ts[k];
      else ts[k] = cs[k];
    }
    const tm = ensureObj(tpl, 'metadata');
    const cm: Obj = isObj(cur['metadata']) ? cur['metadata'] : {};
    for (const k of ['labels', 'annotations']) {
      if (cm[k] === undefined) delete tm[k];
      else tm[k] = cm[k];
    }
    oldTemplate = tpl;
  }
  errs.push(...validateImmutable(s['template'], oldTemplate, 'spec.template'));
  for (const k of ['completionMode', 'podFailurePolicy', 'backoffLimitPerIndex', 'managedBy', 'successPolicy', 'podReplacementPolicy']) {
    errs.push(...validateImmutable(s[k], o[k], `spec.${k}`));
  }
  return errs;
}

const jobs: ResourceType = {
  ...base('Job', 'jobs', 'job'),
  categories: ['all'],
  subresources: ['status'],
  defaults: defaultJob,
  prepareForCreate(obj) {
    obj['status'] = {};
    generateSelector(obj);
  },
  prepareForUpdate: statusHooks(() => ({})).prepareForUpdate!,
  ...metaValidation(true, nameIsDNSSubdomain, validateJob, validateJobUpdate),
  selectableFields: (obj) => ({ 'status.successful': String(obj['status']?.succeeded ?? 0) }),
};

// ---------------------------------------------------------------------------------------------
// CronJobs.

const CRON_FIELDS: Array<{ min: number; max: number; names?: Record<string, number> }> = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } },
  { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } },
];

/** robfig/cron's ParseStandard, returning its error text (or undefined when the schedule parses). */
export function cronScheduleError(schedule: string): string | undefined {
  let spec_ = schedule.trim();
  if (spec_.startsWith('TZ=') || spec_.startsWith('CRON_TZ=')) {
    const i = spec_.indexOf(' ');
    spec_ = i < 0 ? '' : spec_.slice(i).trim();
  }
  if (spec_.startsWith('@')) {
    if (['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'].includes(spec_)) return undefined;
    if (spec_.startsWith('@every ')) return /^\d+(\.\d+)?(ns|us|µs|ms|s|m|h)(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))*$/.test(spec_.slice(7).trim()) ? undefined : `failed to parse duration ${spec_}: time: invalid duration ${JSON.stringify(spec_.slice(7).trim())}`;
    return `unrecognized descriptor: ${spec_}`;
  }
  const fields = spec_.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`;
  for (let i = 0; i < 5; i++) {
    const { min, max, names } = CRON_FIELDS[i]!;
    for (const expr of fields[i]!.split(',')) {
      const [rangePart, stepPart] = expr.split('/', 2) as [string, string | undefined];
      const num = (s: string): number | string => {
        const lower = s.toLowerCase();
        if (names && lower in names) return names[lower]!;
        if (!/^\d+$/.test(s)) return `failed to parse int from ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`;
        return Number(s);
      };
      let lo = min;
      let hi = max;
      if (rangePart !== '*' && rangePart !== '?') {
        const bounds = rangePart.split('-');
        if (bounds.length > 2) return `too many hyphens: ${expr}`;
        const a = num(bounds[0]!);
        if (typeof a === 'string') return a;
        lo = a;
        hi = a;
        if (bounds.length === 2) {
          const b = num(bounds[1]!);
          if (typeof b === 'string') return b;
          hi = b;
        }
      }
      if (stepPart !== undefined) {
        const st = num(stepPart);
        if (typeof st === 'string') return st;
        if (st === 0) return `step of range should be a positive number: ${expr}`;
      }
      if (lo < min) return `beginning of range (${lo}) below minimum (${min}): ${expr}`;
      if (hi > max) return `end of range (${hi}) above maximum (${max}): ${expr}`;
      if (lo > hi) return `beginning of range (${lo}) beyond end of range (${hi}): ${expr}`;
    }
  }
  return undefined;
}

function validateCronJob(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(obj.metadata?.name);
  if (name.length > 52) errs.push(fieldError.invalid('metadata.name', name, 'must be no more than 52 characters'));
  const s = specOrEmpty(obj);
  const schedule = str(s['schedule']);
  if (!schedule) errs.push(fieldError.required('spec.schedule'));
  else {
    const err = cronScheduleError(schedule);
    if (err) errs.push(fieldError.invalid('spec.schedule', schedule, err));
    if (schedule.includes('TZ')) errs.push(fieldError.invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  }
  if (typeof s['timeZone'] === 'string') {
    const tz = s['timeZone'];
    let ok = tz.length > 0 && !/^\s|\s$/.test(tz);
    if (ok) {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
      } catch {
        ok = false;
      }
    }
    if (!ok) errs.push(fieldError.invalid('spec.timeZone', tz, 'unknown time zone ' + tz));
  }
  errs.push(...validateNonnegative(s['startingDeadlineSeconds'], 'spec.startingDeadlineSeconds'));
  const cp = str(s['concurrencyPolicy']);
  if (!cp) errs.push(fieldError.required('spec.concurrencyPolicy'));
  else if (!['Allow', 'Forbid', 'Replace'].includes(cp)) errs.push(fieldError.notSupported('spec.concurrencyPolicy', cp, ['Allow', 'Forbid', 'Replace']));
  errs.push(...validateNonnegative(s['successfulJobsHistoryLimit'], 'spec.successfulJobsHistoryLimit'));
  errs.push(...validateNonnegative(s['failedJobsHistoryLimit'], 'spec.failedJobsHistoryLimit'));
  const jt: Obj = isObj(s['jobTemplate']) ? s['jobTemplate'] : {};
  const jts: Obj = isObj(jt['spec']) ? jt['spec'] : {};
  errs.push(...validateJobSpecCommon(jts, 'spec.jobTemplate.spec'));
  if (jts['manualSelector'] === true) errs.push(fieldError.notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  return errs;
}

const cronJobs: ResourceType = {
  ...base('CronJob', 'cronjobs', 'cronjob'),
  shortNames: ['cj'],
  categories: ['all'],
  subresources: ['status'],
  defaults(obj) {
    const s = spec(obj);
    if (!s['concurrencyPolicy']) s['concurrencyPolicy'] = 'Allow';
    setDefault(s, 'suspend', false);
    setDefault(s, 'successfulJobsHistoryLimit', 3);
    setDefault(s, 'failedJobsHistoryLimit', 1);
    const jt = ensureObj(s, 'jobTemplate');
    setDefault(jt, 'metadata', {});
    defaultPodTemplateSpec(ensureObj(ensureObj(jt, 'spec'), 'template'));
  },
  ...statusHooks(() => ({})),
  ...metaValidation(true, nameIsDNSSubdomain, validateCronJob),
};

export const resources: ResourceType[] = [cronJobs, jobs];
