// FitError: why a pod fits no node, worded as upstream's FailedScheduling message.
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { unresolvable } from './status.ts';
import type { Status } from './status.ts';

export interface Diagnosis {
  /** The failing status of every node that was filtered out. */
  nodeToStatus: Map<string, Status>;
  /** Plugins that rejected at least one node (used to decide which cluster events may help). */
  unschedulablePlugins: Set<string>;
  /** Set when a PreFilter plugin rejected the pod outright. */
  preFilterMsg: string;
  /** Set by PostFilter (preemption), e.g. "preemption: 0/3 nodes are available: …". */
  postFilterMsg: string;
  /** The status of nodes not in nodeToStatus (upstream's absent-nodes status); unset means they passed. */
  absentNodesStatus?: Status;
}

export function emptyDiagnosis(): Diagnosis {
  return { nodeToStatus: new Map(), unschedulablePlugins: new Set(), preFilterMsg: '', postFilterMsg: '' };
}

/**
 * "0/N nodes are available: <count reason>, …." — reasons counted over nodes, the "<count> <reason>"
 * strings sorted bytewise as upstream sorts them; a PreFilter message replaces the histogram; the
 * PostFilter message (which ends with its own full stop) is appended.
 */
export function fitErrorMessage(numAllNodes: number, d: Diagnosis): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (d.preFilterMsg !== '') msg += ` ${d.preFilterMsg}.`;
  else {
    const counts = new Map<string, number>();
    for (const s of d.nodeToStatus.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    const absent = numAllNodes - d.nodeToStatus.size;
    if (d.absentNodesStatus && absent > 0) for (const r of d.absentNodesStatus.reasons) counts.set(r, (counts.get(r) ?? 0) + absent);
    const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (parts.length > 0) msg += ` ${parts.join(', ')}.`;
  }
  if (d.postFilterMsg !== '') msg += ` ${d.postFilterMsg}`;
  return msg;
}

export class FitError extends Error {
  override name = 'FitError';
  readonly pod: Pod;
  readonly numAllNodes: number;
  readonly diagnosis: Diagnosis;

  constructor(pod: Pod, numAllNodes: number, diagnosis: Diagnosis, options?: ErrorOptions) {
    super(fitErrorMessage(numAllNodes, diagnosis), options);
    this.pod = pod;
    this.numAllNodes = numAllNodes;
    this.diagnosis = diagnosis;
  }

  /** Records PostFilter's message and rewrites this error's message to include it. */
  setPostFilterMessage(msg: string): void {
    this.diagnosis.postFilterMsg = msg;
    this.message = fitErrorMessage(this.numAllNodes, this.diagnosis);
  }
}

export const PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_PREEMPTION_VICTIMS = 'No preemption victims found for incoming pod';

/**
 * The PostFilter message upstream's default preemption gives when it finds no candidate node:
 * nodes rejected as unresolvable are "not helpful", nodes where `hasVictims` says no lower-priority
 * pod could make room get "No preemption victims found". Nodes not in the diagnosis (and every node when
 * PreFilter failed) count as not helpful.
 */
export function noPreemptionCandidatesMessage(
  fitError: FitError,
  hasVictims: (nodeName: string) => boolean = () => false,
): string {
  const statuses = new Map<string, Status>();
  const d = fitError.diagnosis;
  if (d.preFilterMsg === '') {
    for (const [node, s] of d.nodeToStatus) {
      if (s.code === 'UnschedulableAndUnresolvable') statuses.set(node, unresolvable(PREEMPTION_NOT_HELPFUL));
      else if (!hasVictims(node)) statuses.set(node, unresolvable(NO_PREEMPTION_VICTIMS));
    }
  }
  const inner: Diagnosis = { ...emptyDiagnosis(), nodeToStatus: statuses, absentNodesStatus: unresolvable(PREEMPTION_NOT_HELPFUL) };
  return `preemption: ${fitErrorMessage(fitError.numAllNodes, inner)}`;
}
