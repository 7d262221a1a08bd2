// Pure rules of the Job controller about its pods and conditions: which pods count as failed or terminating, which to
// delete first, the conditions it writes, and the pod template it creates from.
import type { Job, JobCondition } from 'kubernetes-types/batch/v1.d.ts';
import type { Container, Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.d.ts';
import { completionIndex } from './jobindexes.ts';
import { cloneJSON, JOB_COMPLETION_INDEX, JOB_TRACKING_FINALIZER, rfc3339 } from './jobutil.ts';
import { compareActivePodsForDeletion, isPodReady } from './podcontrol.ts';

export const DEFAULT_BACKOFF_LIMIT = 6;

export const isIndexedJob = (job: Job): boolean => job.spec?.completionMode === 'Indexed';
export const isSuspended = (job: Job): boolean => job.spec?.suspend === true;
export const completionsOf = (job: Job): number | undefined => job.spec?.completions ?? undefined;

/** Failed pods are replaced only once they reach phase Failed (not while terminating). */
export const onlyReplaceFailedPods = (job: Job): boolean => job.spec?.podReplacementPolicy === 'Failed' || job.spec?.podFailurePolicy !== undefined;

/** Phase Failed; or, unless only failed pods are replaced, being deleted before succeeding. */
export function isPodFailed(pod: Pod, job: Job): boolean {
  if (pod.status?.phase === 'Failed') return true;
  if (onlyReplaceFailedPods(job)) return false;
  return !!pod.metadata?.deletionTimestamp && pod.status?.phase !== 'Succeeded';
}

export const countReady = (pods: readonly Pod[]): number => pods.filter(isPodReady).length;

/** restartPolicy OnFailure: the container restarts of running pods reach backoffLimit. */
export function pastBackoffLimitOnFailure(job: Job, pods: readonly Pod[]): boolean {
  if (job.spec?.template.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    if (p.status?.phase !== 'Running' && p.status?.phase !== 'Pending') continue;
    for (const cs of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) restarts += cs.restartCount ?? 0;
  }
  const limit = job.spec.backoffLimit ?? DEFAULT_BACKOFF_LIMIT;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

export function newCondition(type: string, status: 'True' | 'False', reason: string, message: string, now: number): JobCondition {
  const at = rfc3339(now);
  return { type, status, lastProbeTime: at, lastTransitionTime: at, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

/** Sets a condition of `type` (appending only when not False); answers whether the list changed. */
export function ensureCondition(job: Job, type: string, status: 'True' | 'False', reason: string, message: string, now: number): boolean {
  const list = (job.status!.conditions ??= []);
  const i = list.findIndex((c) => c.type === type);
  if (i >= 0) {
    const c = list[i]!;
    if (c.status === status && (c.reason ?? '') === reason && (c.message ?? '') === message) return false;
    list[i] = newCondition(type, status, reason, message, now);
    return true;
  }
  if (status === 'False') return false;
  list.push(newCondition(type, status, reason, message, now));
  return true;
}

export const isSuccessCriteriaMet = (c: JobCondition | undefined): boolean => c?.type === 'SuccessCriteriaMet' && c.status === 'True';

/**
 * Active pods to delete, at least `rmAtLeast`: for Indexed Jobs first every pod without a valid index and every
 * duplicate of an index, then by upstream's ActivePods order.
 */
export function activePodsForRemoval(job: Job, pods: readonly Pod[], rmAtLeast: number): Pod[] {
  const rm: Pod[] = [];
  let left: Pod[] = [...pods];
  if (isIndexedJob(job)) {
    left = [];
    const completions = completionsOf(job) ?? 0;
    const byIndex = new Map<number, Pod[]>();
    for (const p of pods) {
      const ix = completionIndex(p);
      if (ix < 0 || ix >= completions) rm.push(p);
      else byIndex.set(ix, [...(byIndex.get(ix) ?? []), p]);
    }
    for (const ix of [...byIndex.keys()].sort((a, b) => a - b)) {
      const same = byIndex.get(ix)!.sort(compareActivePodsForDeletion);
      rm.push(...same.slice(0, -1));
      left.push(same[same.length - 1]!);
    }
  }
  if (rm.length < rmAtLeast) rm.push(...left.sort(compareActivePodsForDeletion).slice(0, rmAtLeast - rm.length));
  return rm;
}

function addIndexEnv(container: Container): void {
  const env = (container.env ??= []);
  if (env.some((e) => e.name === 'JOB_COMPLETION_INDEX')) return;
  env.push({ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.labels['${JOB_COMPLETION_INDEX}']` } } });
}

/** The Job's pod template as its pods get it: the tracking finalizer, and for Indexed Jobs the index env variable. */
export function podTemplateFor(job: Job): PodTemplateSpec {
  const template = cloneJSON(job.spec!.template);
  if (isIndexedJob(job) && template.spec) {
    for (const c of template.spec.initContainers ?? []) addIndexEnv(c);
    for (const c of template.spec.containers ?? []) addIndexEnv(c);
  }
  const meta = (template.metadata ??= {});
  if (!meta.finalizers?.includes(JOB_TRACKING_FINALIZER)) meta.finalizers = [...(meta.finalizers ?? []), JOB_TRACKING_FINALIZER];
  return template;
}

/** The template of index `ix`: its index annotation and label, and hostname `<job>-<ix>`. */
export function indexedTemplate(template: PodTemplateSpec, jobName: string, ix: number): PodTemplateSpec {
  const t = cloneJSON(template);
  const meta = (t.metadata ??= {});
  meta.annotations = { ...meta.annotations, [JOB_COMPLETION_INDEX]: String(ix) };
  meta.labels = { ...meta.labels, [JOB_COMPLETION_INDEX]: String(ix) };
  if (t.spec) t.spec.hostname = `${jobName}-${ix}`;
  return t;
}
