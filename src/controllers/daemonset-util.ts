// What decides where a DaemonSet's pods go and whether they are current (upstream's pkg/controller/daemon/util and
// NodeShouldRunDaemonPod): the tolerations every daemon pod gets, node eligibility, the per-node node affinity the
// controller pins each pod with, and the update arithmetic.
import type { DaemonSet } from 'kubernetes-types/apps/v1.d.ts';
import type { Affinity, Node, Pod, PodSpec, PodTemplateSpec, Toleration } from 'kubernetes-types/core/v1.d.ts';
import type { KubeObject } from '../client/client.ts';
import { podMatchesNodeAffinity } from '../scheduler/plugins/nodeaffinity.ts';
import { findUntoleratedTaint } from '../scheduler/plugins/tainttoleration.ts';
import { CONTROLLER_REVISION_HASH_LABEL } from './history.ts';
import { scaledValueFromIntOrPercent } from './podcontrol.ts';

export type DaemonSetObject = DaemonSet & KubeObject;
export type PodObject = Pod & KubeObject;
export type NodeObject = Node & KubeObject;

/** extensions' DaemonSetTemplateGenerationKey, a label on daemon pods. */
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
/** The annotation apps/v1 carries the DaemonSet's spec.templateGeneration in. */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

/** upstream's AddOrUpdateDaemonPodTolerations: daemon pods ride out node problems and cordons. */
export function daemonPodTolerations(spec: PodSpec): Toleration[] {
  const wanted: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (spec.hostNetwork) wanted.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  let tolerations = [...(spec.tolerations ?? [])];
  for (const t of wanted) tolerations = addOrUpdateToleration(tolerations, t);
  return tolerations;
}

/**
 * v1helper.AddOrUpdateTolerationInPodSpec: a toleration with the same key, operator, value and effect is replaced
 * (dropping its tolerationSeconds), otherwise the toleration is appended.
 */
function addOrUpdateToleration(tolerations: Toleration[], t: Toleration): Toleration[] {
  const same = (o: Toleration) => (o.key ?? '') === (t.key ?? '') && (o.operator ?? '') === (t.operator ?? '') && (o.value ?? '') === (t.value ?? '') && (o.effect ?? '') === (t.effect ?? '');
  if (!tolerations.some(same)) return [...tolerations, t];
  return tolerations.map((o) => (same(o) ? t : o));
}

/** upstream's NewPod: the pod the DaemonSet would run on `nodeName`, for the eligibility checks. */
export function daemonPodForNode(ds: DaemonSet, nodeName: string): Pod {
  const spec: PodSpec = { ...(ds.spec?.template.spec ?? { containers: [] }), nodeName };
  spec.tolerations = daemonPodTolerations(spec);
  return { metadata: { ...ds.spec?.template.metadata, namespace: ds.metadata?.namespace ?? '' }, spec };
}

export interface NodeFit {
  /** A daemon pod should be created on the node. */
  shouldRun: boolean;
  /** A daemon pod already there may stay (it tolerates the node's NoExecute taints). */
  shouldContinueRunning: boolean;
}

/** upstream's NodeShouldRunDaemonPod. */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): NodeFit {
  const nodeName = node.metadata?.name ?? '';
  const pinned = ds.spec?.template.spec?.nodeName;
  if (pinned && pinned !== nodeName) return { shouldRun: false, shouldContinueRunning: false };
  const pod = daemonPodForNode(ds, nodeName);
  if (!podMatchesNodeAffinity(pod, node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints ?? [];
  const tolerations = pod.spec?.tolerations ?? [];
  if (findUntoleratedTaint(taints, tolerations, ['NoSchedule', 'NoExecute'])) {
    return { shouldRun: false, shouldContinueRunning: !findUntoleratedTaint(taints, tolerations, ['NoExecute']) };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

/**
 * upstream's ReplaceDaemonSetPodNodeNameNodeAffinity: the pod's required node affinity becomes exactly
 * `metadata.name In [nodeName]`, so the default scheduler binds it there (the DaemonSet already checked the rest).
 */
export function pinToNode(affinity: Affinity | undefined, nodeName: string): Affinity {
  const required = { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] };
  return { ...affinity, nodeAffinity: { ...affinity?.nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: required } };
}

/** upstream's GetTargetNodeName: spec.nodeName, or the single node a daemon pod's affinity pins it to. */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (terms.length !== 1) return undefined;
  const fields = terms[0]!.matchFields ?? [];
  if (fields.length !== 1) return undefined;
  const f = fields[0]!;
  if (f.key !== 'metadata.name' || f.operator !== 'In' || f.values?.length !== 1) return undefined;
  return f.values[0];
}

/** The DaemonSet's template generation, from the apps/v1 annotation (undefined when absent or not a number). */
export function templateGeneration(ds: KubeObject): string | undefined {
  const v = ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  return v !== undefined && /^-?\d+$/.test(v) ? String(Number(v)) : undefined;
}

/** upstream's CreatePodTemplate: the daemon tolerations, and the generation and revision hash labels. */
export function daemonPodTemplate(template: PodTemplateSpec, generation: string | undefined, hash: string): PodTemplateSpec {
  const copy = JSON.parse(JSON.stringify(template)) as PodTemplateSpec;
  copy.spec ??= { containers: [] };
  copy.spec.tolerations = daemonPodTolerations(copy.spec);
  const labels = { ...copy.metadata?.labels };
  if (generation !== undefined) labels[TEMPLATE_GENERATION_LABEL] = generation;
  if (hash) labels[CONTROLLER_REVISION_HASH_LABEL] = hash;
  copy.metadata = { ...copy.metadata, labels };
  return copy;
}

/** upstream's IsPodUpdated: the pod carries the current revision hash (or the current template generation). */
export function isPodUpdated(pod: Pod, hash: string, generation: string | undefined): boolean {
  const labels = pod.metadata?.labels ?? {};
  return (hash !== '' && labels[CONTROLLER_REVISION_HASH_LABEL] === hash) || (generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === generation);
}

/** maxUnavailable scaled to the desired count, rounding up (upstream's UnavailableCount). */
export function unavailableCount(ds: DaemonSet, desired: number): number {
  if (ds.spec?.updateStrategy?.type !== 'RollingUpdate') return 0;
  return scaledValueFromIntOrPercent(ds.spec.updateStrategy.rollingUpdate?.maxUnavailable, desired, true);
}

/** maxSurge scaled to the desired count, rounding up (upstream's SurgeCount). */
export function surgeCount(ds: DaemonSet, desired: number): number {
  if (ds.spec?.updateStrategy?.type !== 'RollingUpdate') return 0;
  return scaledValueFromIntOrPercent(ds.spec.updateStrategy.rollingUpdate?.maxSurge, desired, true);
}

export const allowsSurge = (ds: DaemonSet): boolean => surgeCount(ds, 1) !== 0;

const createdAt = (p: Pod) => Date.parse(p.metadata?.creationTimestamp ?? '') || 0;

/** podByCreationTimestampAndPhase: scheduled pods first, then oldest first, then by name. */
export function compareDaemonPods(a: Pod, b: Pod): number {
  const sa = a.spec?.nodeName ? 0 : 1;
  const sb = b.spec?.nodeName ? 0 : 1;
  if (sa !== sb) return sa - sb;
  const d = createdAt(a) - createdAt(b);
  if (d !== 0) return d;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}
