// Describers for workloads: deployments (with their old and new ReplicaSets), ReplicaSets, replication
// controllers, DaemonSets, StatefulSets, Jobs and CronJobs, each with upstream's pod-status counts and pod template.
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.d.ts';
import { type DescribeContext, type Describer, type Fields, nsPath, tabbed } from './context.ts';
import { describePodTemplate } from './pod.ts';
import { canonical } from './storage-shared.ts';
import { type DescribeWriter, goList, boolPtr, intOrString, printAnnotations, printEvents, printLabels, rfc1123z } from './writer.ts';
import { humanDuration } from '../printers/duration.ts';
import { formatLabelSelector, formatLabels, labelSelectorString } from '../../api/tables/format.ts';

const selectorText = (sel: unknown): string => labelSelectorString(sel) ?? '<error>';

interface PodCounts {
  running: number;
  waiting: number;
  succeeded: number;
  failed: number;
}

/** The phases of the pods `selector` matches that `uid` controls (upstream's getPodStatusForController). */
async function podCounts(ctx: DescribeContext, obj: Fields, selector: string): Promise<PodCounts> {
  const meta = obj['metadata'] ?? {};
  const pods = await ctx.list(`${nsPath(meta.namespace)}/pods`, { labelSelector: selector || undefined });
  const counts = { running: 0, waiting: 0, succeeded: 0, failed: 0 };
  for (const pod of pods) {
    const owner = (pod['metadata']?.ownerReferences ?? []).find((o: Fields) => o['controller'] === true);
    if (!owner || owner.uid !== meta.uid) continue;
    const phase = pod['status']?.phase;
    if (phase === 'Running') counts.running++;
    else if (phase === 'Pending') counts.waiting++;
    else if (phase === 'Succeeded') counts.succeeded++;
    else if (phase === 'Failed') counts.failed++;
  }
  return counts;
}

const countsLine = (c: PodCounts) => `${c.running} Running / ${c.waiting} Waiting / ${c.succeeded} Succeeded / ${c.failed} Failed`;

function controlledBy(w: DescribeWriter, obj: Fields): void {
  const owner = (obj['metadata']?.ownerReferences ?? []).find((o: Fields) => o['controller'] === true);
  if (owner) w.write(0, `Controlled By:\t${owner.kind}/${owner.name}\n`);
}

function conditionsTable(w: DescribeWriter, conditions: Fields[] | undefined): void {
  if (!conditions?.length) return;
  w.write(0, 'Conditions:\n  Type\tStatus\tReason\n');
  w.write(1, '----\t------\t------\n');
  for (const c of conditions) w.write(1, `${c['type']} \t${c['status']}\t${c['reason'] ?? ''}\n`);
}

function nameAndNamespace(w: DescribeWriter, obj: Fields): void {
  w.write(0, `Name:\t${obj['metadata']?.name ?? ''}\n`);
  w.write(0, `Namespace:\t${obj['metadata']?.namespace ?? ''}\n`);
}

/** Two pod templates equal but for the pod-template-hash label (upstream's EqualIgnoreHash). */
function sameTemplate(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  const strip = (t: PodTemplateSpec | undefined): unknown => {
    const copy = structuredClone(t ?? {}) as Fields;
    if (copy['metadata']?.labels) delete copy['metadata'].labels['pod-template-hash'];
    return copy;
  };
  return deepEqual(strip(a), strip(b));
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => !isEmpty((a as Fields)[k]));
  const kb = Object.keys(b).filter((k) => !isEmpty((b as Fields)[k]));
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Fields)[k], (b as Fields)[k]));
}

const isEmpty = (v: unknown) => v === undefined || v === null;

export const describeDeployment: Describer = async (ctx, { obj, resource }) => {
  const meta = obj['metadata'] ?? {};
  const spec = obj['spec'] ?? {};
  const status = obj['status'] ?? {};
  const selector = selectorText(spec.selector);
  const events = await ctx.eventsFor(obj, resource.kind);
  let oldSets: Fields[] = [];
  let newSets: Fields[] = [];
  try {
    const all = (await ctx.list(`/apis/apps/v1/namespaces/${encodeURIComponent(meta.namespace ?? '')}/replicasets`, { labelSelector: selector || undefined })).filter((rs) =>
      (rs['metadata']?.ownerReferences ?? []).some((o: Fields) => o['controller'] === true && o['uid'] === meta.uid),
    );
    const created = (rs: Fields) => Date.parse(rs['metadata']?.creationTimestamp ?? '') || 0;
    all.sort((a, b) => created(a) - created(b) || (a['metadata'].name < b['metadata'].name ? -1 : a['metadata'].name > b['metadata'].name ? 1 : 0));
    const fresh = all.find((rs) => sameTemplate(rs['spec']?.template, spec.template));
    oldSets = all.filter((rs) => rs !== fresh);
    newSets = fresh ? [fresh] : [];
  } catch {
    // kubectl leaves the ReplicaSet lines out when it cannot list them
  }
  const sets = (list: Fields[]) => list.map((rs) => `${rs['metadata'].name} (${rs['status']?.replicas ?? 0}/${rs['spec']?.replicas ?? 0} replicas created)`).join(', ') || '<none>';
  return tabbed((w) => {
    nameAndNamespace(w, obj);
    w.write(0, `CreationTimestamp:\t${rfc1123z(meta.creationTimestamp)}\n`);
    printLabels(w, 'Labels', meta.labels);
    printAnnotations(w, 'Annotations', meta.annotations);
    w.write(0, `Selector:\t${selector}\n`);
    w.write(0, `Replicas:\t${spec.replicas ?? 0} desired | ${status.updatedReplicas ?? 0} updated | ${status.replicas ?? 0} total | ${status.availableReplicas ?? 0} available | ${status.unavailableReplicas ?? 0} unavailable\n`);
    w.write(0, `StrategyType:\t${spec.strategy?.type ?? ''}\n`);
    w.write(0, `MinReadySeconds:\t${spec.minReadySeconds ?? 0}\n`);
    const ru = spec.strategy?.rollingUpdate;
    if (ru) w.write(0, `RollingUpdateStrategy:\t${intOrString(ru.maxUnavailable)} max unavailable, ${intOrString(ru.maxSurge)} max surge\n`);
    describePodTemplate(w, spec.template);
    conditionsTable(w, status.conditions);
    if (oldSets.length || newSets.length) {
      w.write(0, `OldReplicaSets:\t${sets(oldSets)}\n`);
      w.write(0, `NewReplicaSet:\t${sets(newSets)}\n`);
    }
    printEvents(w, events);
  });
};

export const describeReplicaSet: Describer = async (ctx, { obj, resource }) => {
  const spec = obj['spec'] ?? {};
  const selector = selectorText(spec.selector);
  let counts: PodCounts | undefined;
  let podError = '';
  try {
    counts = await podCounts(ctx, obj, selector);
  } catch (err) {
    podError = (err as Error).message;
  }
  const events = await ctx.eventsFor(obj, resource.kind);
  return tabbed((w) => {
    nameAndNamespace(w, obj);
    w.write(0, `Selector:\t${formatLabelSelector(spec.selector)}\n`);
    printLabels(w, 'Labels', obj['metadata']?.labels);
    printAnnotations(w, 'Annotations', obj['metadata']?.annotations);
    controlledBy(w, obj);
    w.write(0, `Replicas:\t${obj['status']?.replicas ?? 0} current / ${spec.replicas ?? 0} desired\n`);
    w.write(0, counts ? `Pods Status:\t${countsLine(counts)}\n` : `Pods Status:\terror in fetching pods: ${podError}\n`);
    describePodTemplate(w, spec.template);
    conditionsTable(w, obj['status']?.conditions);
    printEvents(w, events);
  });
};

export const describeReplicationController: Describer = async (ctx, { obj, resource }) => {
  const spec = obj['spec'] ?? {};
  const counts = await podCounts(ctx, obj, formatLabels(spec.selector) === '<none>' ? '' : formatLabels(spec.selector));
  const events = await ctx.eventsFor(obj, resource.kind);
  return tabbed((w) => {
    nameAndNamespace(w, obj);
    w.write(0, `Selector:\t${formatLabels(spec.selector)}\n`);
    printLabels(w, 'Labels', obj['metadata']?.labels);
    printAnnotations(w, 'Annotations', obj['metadata']?.annotations);
    w.write(0, `Replicas:\t${obj['status']?.replicas ?? 0} current / ${spec.replicas ?? 0} desired\n`);
    w.write(0, `Pods Status:\t${countsLine(counts)}\n`);
    describePodTemplate(w, spec.template);
    conditionsTable(w, obj['status']?.conditions);
    printEvents(w, events);
  });
};

export const describeDaemonSet: Describer = async (ctx, { obj, resource }) => {
  const spec = obj['spec'] ?? {};
  const status = obj['status'] ?? {};
  const selector = selectorText(spec.selector);
  const counts = await podCounts(ctx, obj, selector);
  const events = await ctx.eventsFor(obj, resource.kind);
  return tabbed((w) => {
    nameAndNamespace(w, obj);
    w.write(0, `Selector:\t${selector}\n`);
    const nodeSelector = formatLabels(spec.template?.spec?.nodeSelector);
    w.write(0, `Node-Selector:\t${nodeSelector}\n`);
    printLabels(w, 'Labels', obj['metadata']?.labels);
    printAnnotations(w, 'Annotations', obj['metadata']?.annotations);
    w.write(0, `Desired Number of Nodes Scheduled: ${status.desiredNumberScheduled ?? 0}\n`);
    w.write(0, `Current Number of Nodes Scheduled: ${status.currentNumberScheduled ?? 0}\n`);
    w.write(0, `Number of Nodes Scheduled with Up-to-date Pods: ${status.updatedNumberScheduled ?? 0}\n`);
    w.write(0, `Number of Nodes Scheduled with Available Pods: ${status.numberAvailable ?? 0}\n`);
    w.write(0, `Number of Nodes Misscheduled: ${status.numberMisscheduled ?? 0}\n`);
    w.write(0, `Pods Status:\t${countsLine(counts)}\n`);
    describePodTemplate(w, spec.template);
    printEvents(w, events);
  });
};

function volumeClaimTemplates(w: DescribeWriter, templates: Fields[] | undefined): void {
  if (!templates?.length) return w.write(0, 'Volume Claims:\t<none>\n');
  w.write(0, 'Volume Claims:\n');
  for (const pvc of templates) {
    const meta = pvc['metadata'] ?? {};
    w.write(1, `Name:\t${meta.name ?? ''}\n`);
    const annotations = meta.annotations ?? {};
    const storageClass = 'volume.beta.kubernetes.io/storage-class' in annotations ? annotations['volume.beta.kubernetes.io/storage-class'] : (pvc['spec']?.storageClassName ?? '');
    w.write(1, `StorageClass:\t${storageClass}\n`);
    printLabels(w, '  Labels', meta.labels);
    // kubectl prints a claim template's annotations as it prints labels: key=value, last-applied included.
    printLabels(w, '  Annotations', meta.annotations);
    const storage = pvc['spec']?.resources?.requests?.storage;
    w.write(1, `Capacity:\t${storage === undefined ? '<default>' : canonical(storage)}\n`);
    w.write(1, `Access Modes:\t${goList(pvc['spec']?.accessModes)}\n`);
  }
}

export const describeStatefulSet: Describer = async (ctx, { obj, resource }) => {
  const spec = obj['spec'] ?? {};
  const selector = selectorText(spec.selector);
  const counts = await podCounts(ctx, obj, selector);
  const events = await ctx.eventsFor(obj, resource.kind);
  return tabbed((w) => {
    nameAndNamespace(w, obj);
    w.write(0, `CreationTimestamp:\t${rfc1123z(obj['metadata']?.creationTimestamp)}\n`);
    w.write(0, `Selector:\t${selector}\n`);
    printLabels(w, 'Labels', obj['metadata']?.labels);
    printAnnotations(w, 'Annotations', obj['metadata']?.annotations);
    w.write(0, `Replicas:\t${spec.replicas ?? 0} desired | ${obj['status']?.replicas ?? 0} total\n`);
    w.write(0, `Update Strategy:\t${spec.updateStrategy?.type ?? ''}\n`);
    const ru = spec.updateStrategy?.rollingUpdate;
    if (ru && ru.partition !== undefined && ru.partition !== null) {
      w.write(1, `Partition:\t${ru.partition}\n`);
      if (ru.maxUnavailable !== undefined && ru.maxUnavailable !== null) w.write(1, `MaxUnavailable:\t${intOrString(ru.maxUnavailable)}\n`);
    }
    w.write(0, `Pods Status:\t${countsLine(counts)}\n`);
    describePodTemplate(w, spec.template);
    volumeClaimTemplates(w, spec.volumeClaimTemplates);
    printEvents(w, events);
  });
};

const set = (v: unknown) => v !== undefined && v !== null;

export const describeJob: Describer = async (ctx, { obj, resource }) => {
  const events = await ctx.eventsFor(obj, resource.kind);
  return tabbed((w) => {
    const spec = obj['spec'] ?? {};
    const status = obj['status'] ?? {};
    nameAndNamespace(w, obj);
    w.write(0, `Selector:\t${selectorText(spec.selector)}\n`);
    printLabels(w, 'Labels', obj['metadata']?.labels);
    printAnnotations(w, 'Annotations', obj['metadata']?.annotations);
    controlledBy(w, obj);
    if (set(spec.parallelism)) w.write(0, `Parallelism:\t${spec.parallelism}\n`);
    w.write(0, `Completions:\t${set(spec.completions) ? spec.completions : '<unset>'}\n`);
    if (set(spec.completionMode)) w.write(0, `Completion Mode:\t${spec.completionMode}\n`);
    if (set(spec.suspend)) w.write(0, `Suspend:\t${spec.suspend}\n`);
    if (set(spec.backoffLimit)) w.write(0, `Backoff Limit:\t${spec.backoffLimit}\n`);
    if (set(spec.ttlSecondsAfterFinished)) w.write(0, `TTL Seconds After Finished:\t${spec.ttlSecondsAfterFinished}\n`);
    if (status.startTime) w.write(0, `Start Time:\t${rfc1123z(status.startTime)}\n`);
    if (status.completionTime) w.write(0, `Completed At:\t${rfc1123z(status.completionTime)}\n`);
    if (status.startTime && status.completionTime) w.write(0, `Duration:\t${humanDuration(Date.parse(status.completionTime) - Date.parse(status.startTime))}\n`);
    if (set(spec.activeDeadlineSeconds)) w.write(0, `Active Deadline Seconds:\t${spec.activeDeadlineSeconds}s\n`);
    const active = status.active ?? 0;
    w.write(0, set(status.ready) ? `Pods Statuses:\t${active} Active (${status.ready} Ready) / ${status.succeeded ?? 0} Succeeded / ${status.failed ?? 0} Failed\n` : `Pods Statuses:\t${active} Active / ${status.succeeded ?? 0} Succeeded / ${status.failed ?? 0} Failed\n`);
    if (spec.completionMode === 'Indexed') w.write(0, `Completed Indexes:\t${capIndexes(status.completedIndexes ?? '', 50)}\n`);
    describePodTemplate(w, spec.template);
    printEvents(w, events);
  });
};

function capIndexes(indexes: string, softLimit: number): string {
  if (!indexes) return '<none>';
  let i = softLimit;
  while (i < indexes.length && indexes[i] !== ',') i++;
  return i >= indexes.length ? indexes : `${indexes.slice(0, i + 1)}...`;
}

export const describeCronJob: Describer = async (ctx, { obj, resource }) => {
  const events = await ctx.eventsFor(obj, resource.kind);
  return tabbed((w) => {
    const spec = obj['spec'] ?? {};
    const status = obj['status'] ?? {};
    nameAndNamespace(w, obj);
    printLabels(w, 'Labels', obj['metadata']?.labels);
    printAnnotations(w, 'Annotations', obj['metadata']?.annotations);
    w.write(0, `Schedule:\t${spec.schedule ?? ''}\n`);
    w.write(0, `Concurrency Policy:\t${spec.concurrencyPolicy ?? ''}\n`);
    w.write(0, `Suspend:\t${boolPtr(spec.suspend)}\n`);
    w.write(0, `Successful Job History Limit:\t${set(spec.successfulJobsHistoryLimit) ? spec.successfulJobsHistoryLimit : '<unset>'}\n`);
    w.write(0, `Failed Job History Limit:\t${set(spec.failedJobsHistoryLimit) ? spec.failedJobsHistoryLimit : '<unset>'}\n`);
    w.write(0, `Starting Deadline Seconds:\t${set(spec.startingDeadlineSeconds) ? `${spec.startingDeadlineSeconds}s` : '<unset>'}\n`);
    const job = spec.jobTemplate?.spec ?? {};
    w.write(0, `Selector:\t${job.selector ? selectorText(job.selector) : '<unset>'}\n`);
    w.write(0, `Parallelism:\t${set(job.parallelism) ? job.parallelism : '<unset>'}\n`);
    w.write(0, `Completions:\t${set(job.completions) ? job.completions : '<unset>'}\n`);
    if (set(job.activeDeadlineSeconds)) w.write(0, `Active Deadline Seconds:\t${job.activeDeadlineSeconds}s\n`);
    describePodTemplate(w, job.template);
    w.write(0, `Last Schedule Time:\t${status.lastScheduleTime ? rfc1123z(status.lastScheduleTime) : '<unset>'}\n`);
    const active: Fields[] = status.active ?? [];
    w.write(0, `Active Jobs:\t${active.length ? active.map((j) => j['name'] ?? '').join(', ') : '<none>'}\n`);
    printEvents(w, events);
  });
};
