// Which pods `kubectl drain` removes from a node, which it leaves, and which stop it (upstream's pkg/drain/filters.go):
// DaemonSet pods, mirror pods, pods with emptyDir data, pods no controller owns, each with kubectl's messages.
import type { Pod } from 'kubernetes-types/core/v1.d.ts';

export interface DrainOptions {
  force: boolean;
  ignoreDaemonSets: boolean;
  deleteEmptyDirData: boolean;
  /** Pods deleted longer ago than this many seconds are skipped (0: never). */
  skipWaitForDeleteTimeoutSeconds: number;
}

export type Verdict = { delete: true; warning?: string } | { delete: false; warning?: string; error?: string };

export interface PodVerdict {
  pod: Pod;
  verdict: Verdict;
}

/** Looks up a pod's DaemonSet: undefined when it exists, else the error's message and whether it was a 404. */
export type DaemonSetLookup = (namespace: string, name: string) => Promise<{ message: string; notFound: boolean } | undefined>;

const finished = (pod: Pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
const controllerOf = (pod: Pod) => pod.metadata?.ownerReferences?.find((o) => o.controller === true);

export function shouldSkipDeleted(pod: Pod, skipSeconds: number, now = Date.now()): boolean {
  const at = pod.metadata?.deletionTimestamp;
  return skipSeconds > 0 && !!at && Math.trunc((now - Date.parse(at)) / 1000) > skipSeconds;
}

type Filter = (pod: Pod) => Verdict | Promise<Verdict>;

const OKAY: Verdict = { delete: true };

function filters(options: DrainOptions, lookup: DaemonSetLookup): Filter[] {
  return [
    (pod) => (shouldSkipDeleted(pod, options.skipWaitForDeleteTimeoutSeconds) ? { delete: false } : OKAY),
    async (pod) => {
      const controller = controllerOf(pod);
      if (!controller || controller.kind !== 'DaemonSet' || controller.apiVersion !== 'apps/v1' || finished(pod)) return OKAY;
      const missing = await lookup(pod.metadata?.namespace ?? '', controller.name);
      if (missing) return missing.notFound && options.force ? { delete: true, warning: missing.message } : { delete: false, error: missing.message };
      return options.ignoreDaemonSets ? { delete: false, warning: 'ignoring DaemonSet-managed Pods' } : { delete: false, error: 'DaemonSet-managed Pods (use --ignore-daemonsets to ignore)' };
    },
    (pod) => (pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined ? { delete: false } : OKAY),
    (pod) => {
      if (!(pod.spec?.volumes ?? []).some((v) => v.emptyDir) || finished(pod)) return OKAY;
      return options.deleteEmptyDirData ? { delete: true, warning: 'deleting Pods with local storage' } : { delete: false, error: 'Pods with local storage (use --delete-emptydir-data to override)' };
    },
    (pod) => {
      if (finished(pod) || controllerOf(pod)) return OKAY;
      return options.force ? { delete: true, warning: 'deleting Pods that declare no controller' } : { delete: false, error: 'cannot delete Pods that declare no controller (use --force to override)' };
    },
  ];
}

/** Runs the filters in upstream's order; the verdict of the last one run stands (a refusal stops the chain). */
async function verdictFor(pod: Pod, chain: Filter[]): Promise<Verdict> {
  let verdict: Verdict = OKAY;
  for (const filter of chain) {
    verdict = await filter(pod);
    if (!verdict.delete) break;
  }
  return verdict;
}

/** Each pod with kubectl's verdict. */
export async function filterPods(pods: Pod[], options: DrainOptions, lookup: DaemonSetLookup): Promise<PodVerdict[]> {
  const chain = filters(options, lookup);
  const out: PodVerdict[] = [];
  for (const pod of pods) out.push({ pod, verdict: await verdictFor(pod, chain) });
  return out;
}

const podName = (p: Pod) => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;

function grouped(list: PodVerdict[], pick: (v: Verdict) => string | undefined): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const { pod, verdict } of list) {
    const message = pick(verdict);
    if (message === undefined) continue;
    groups.set(message, [...(groups.get(message) ?? []), podName(pod)]);
  }
  return groups;
}

/** kubectl's warning line (without `Warning: `), or '' when there is none. */
export function drainWarnings(list: PodVerdict[]): string {
  return [...grouped(list, (v) => (v.warning !== undefined && !('error' in v && v.error !== undefined) ? v.warning : undefined))].map(([m, pods]) => `${m}: ${pods.join(', ')}`).join('; ');
}

/** The errors that stop a drain: `cannot delete <why>: ns/pod, …` (kubectl 1.35 words the no-controller one `cannot delete cannot delete …`). */
export function drainErrors(list: PodVerdict[]): string[] {
  return [...grouped(list, (v) => ('error' in v && v.error !== undefined ? v.error || 'unexpected error' : undefined))].map(([m, pods]) => `cannot delete ${m}: ${pods.join(', ')}`);
}

export const podsToDelete = (list: PodVerdict[]): Pod[] => list.filter((p) => p.verdict.delete).map((p) => p.pod);
