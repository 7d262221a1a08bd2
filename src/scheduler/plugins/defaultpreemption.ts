// DefaultPreemption (PostFilter): when a pod fits nowhere, find a node where evicting pods of lower priority makes
// it fit — as few and as unimportant as possible, preferring nodes where no PodDisruptionBudget is violated — then
// have those pods evicted and nominate the node for the pod. Upstream's candidate search and choice, message wording
// and eligibility rules (preemptionPolicy: Never; victims of an earlier preemption still terminating).
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.d.ts';
import { matchesLabelSelector } from '../../api/labels.ts';
import { emptyDiagnosis, fitErrorMessage, NO_PREEMPTION_VICTIMS, PREEMPTION_NOT_HELPFUL } from '../fiterror.ts';
import type { FitError } from '../fiterror.ts';
import { podPriority } from '../framework.ts';
import type { CycleState, PostFilterPlugin, PostFilterResult } from '../framework.ts';
import type { NodeInfo, PodInfo, Snapshot } from '../nodeinfo.ts';
import { success, unresolvable, unschedulable } from '../status.ts';
import type { Status } from '../status.ts';

export const DEFAULT_PREEMPTION = 'DefaultPreemption';
export const NOT_ELIGIBLE_NEVER = 'not eligible due to preemptionPolicy=Never.';
export const NOT_ELIGIBLE_TERMINATING = 'not eligible due to a terminating pod on the nominated node.';
/** The DisruptionTarget condition reason of a pod preempted by the scheduler. */
export const REASON_PREEMPTION_BY_SCHEDULER = 'PreemptionByScheduler';

export interface Candidate {
  nodeName: string;
  /** Most important first. */
  victims: Pod[];
  numPDBViolations: number;
}

export interface PreemptionHandle {
  /** Filters a node as the scheduling cycle does (with nominated pods). */
  filter(state: CycleState, pod: Pod, node: NodeInfo): Status;
  /** Evicts the candidate's victims (in the background). */
  preempt(preemptor: Pod, candidate: Candidate): void;
  /** The pod as the informer has it now (upstream re-reads it before preempting). */
  currentPod?(pod: Pod): Pod | undefined;
  podDisruptionBudgets?(): readonly PodDisruptionBudget[];
  /** Returns [0, 1); picks where the candidate search starts. Default Math.random. */
  random?(): number;
}

export interface DefaultPreemptionArgs {
  /** upstream's defaults: 10 % of the nodes, at least 100. */
  minCandidateNodesPercentage?: number;
  minCandidateNodesAbsolute?: number;
}

/** Deleted by the scheduler's preemption and not gone yet. */
export function terminatingByPreemption(pod: Pod): boolean {
  if (!pod.metadata?.deletionTimestamp) return false;
  const c = pod.status?.conditions?.find((x) => x.type === 'DisruptionTarget');
  return c?.status === 'True' && c.reason === REASON_PREEMPTION_BY_SCHEDULER;
}

function startTime(pod: Pod): number {
  const t = pod.status?.startTime;
  const ms = t ? Date.parse(t) : Number.NaN;
  return Number.isNaN(ms) ? Date.now() : ms;
}

/** upstream's MoreImportantPod: higher priority, then running longer. */
export function moreImportant(a: Pod, b: Pod): boolean {
  const pa = podPriority(a);
  const pb = podPriority(b);
  if (pa !== pb) return pa > pb;
  return startTime(a) < startTime(b);
}

const byImportance = (a: PodInfo, b: PodInfo): number => (moreImportant(a.pod, b.pod) ? -1 : moreImportant(b.pod, a.pod) ? 1 : 0);

/** Splits pods (order kept) into those whose eviction would take a PDB below its allowed disruptions, and the rest. */
export function splitByPDBViolation(pods: readonly PodInfo[], pdbs: readonly PodDisruptionBudget[]): [violating: PodInfo[], nonViolating: PodInfo[]] {
  const allowed = pdbs.map((p) => p.status?.disruptionsAllowed ?? 0);
  const violating: PodInfo[] = [];
  const nonViolating: PodInfo[] = [];
  for (const pi of pods) {
    const labels = pi.pod.metadata?.labels ?? {};
    let violated = false;
    if (Object.keys(labels).length > 0) {
      pdbs.forEach((pdb, i) => {
        if (pdb.metadata?.namespace !== pi.pod.metadata?.namespace) return;
        const sel = pdb.spec?.selector;
        // A missing or empty selector matches no pod here.
        if (!sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)) return;
        if (!matchesLabelSelector(sel, labels)) return;
        if (pdb.status?.disruptedPods && Object.hasOwn(pdb.status.disruptedPods, pi.pod.metadata?.name ?? '')) return;
        allowed[i] = (allowed[i] ?? 0) - 1;
        if ((allowed[i] ?? 0) < 0) violated = true;
      });
    }
    (violated ? violating : nonViolating).push(pi);
  }
  return [violating, nonViolating];
}

/** The node to preempt on, by upstream's order: fewest PDB violations, lowest top victim, lowest sum, fewest victims, latest start. */
export function pickCandidate(candidates: readonly Candidate[]): Candidate | undefined {
  if (candidates.length <= 1) return candidates[0];
  const sumShift = 2 ** 31;
  const scores: ((c: Candidate) => number)[] = [
    (c) => -c.numPDBViolations,
    (c) => -podPriority(c.victims[0] as Pod),
    (c) => -c.victims.reduce((s, p) => s + podPriority(p) + sumShift, 0),
    (c) => -c.victims.length,
    (c) => {
      // The earliest start among the victims of the highest priority: later is better.
      const top = podPriority(c.victims[0] as Pod);
      let earliest = Infinity;
      for (const v of c.victims) if (podPriority(v) === top) earliest = Math.min(earliest, startTime(v));
      return earliest;
    },
  ];
  let remaining = candidates;
  for (const score of scores) {
    let best = -Infinity;
    let kept: Candidate[] = [];
    for (const c of remaining) {
      const s = score(c);
      if (s > best) {
        best = s;
        kept = [c];
      } else if (s === best) kept.push(c);
    }
    if (kept.length === 1) return kept[0];
    remaining = kept;
  }
  return remaining[0];
}

interface VictimsResult {
  victims?: PodInfo[];
  numPDBViolations?: number;
  status?: Status;
}

export function newDefaultPreemption(handle: PreemptionHandle, args: DefaultPreemptionArgs = {}): PostFilterPlugin {
  const pct = args.minCandidateNodesPercentage ?? 10;
  const abs = args.minCandidateNodesAbsolute ?? 100;
  const random = handle.random ?? Math.random;

  /** The fewest victims on this node that make room, reprieving the most important pods first (SelectVictimsOnNode). */
  function selectVictims(state: CycleState, pod: Pod, node: NodeInfo, pdbs: readonly PodDisruptionBudget[]): VictimsResult {
    const priority = podPriority(pod);
    const copy = node.clone();
    const potential = copy.pods.filter((pi) => podPriority(pi.pod) < priority);
    if (potential.length === 0) return { status: unresolvable(NO_PREEMPTION_VICTIMS) };
    for (const pi of potential) copy.removePod(pi.pod);
    const fits = handle.filter(state, pod, copy);
    if (!fits.isSuccess()) return { status: fits };
    potential.sort(byImportance);
    const [violating, nonViolating] = splitByPDBViolation(potential, pdbs);
    const victims: PodInfo[] = [];
    const reprieve = (pi: PodInfo): boolean => {
      copy.addPod(pi);
      if (handle.filter(state, pod, copy).isSuccess()) return true;
      copy.removePod(pi.pod);
      victims.push(pi);
      return false;
    };
    let numPDBViolations = 0;
    for (const pi of violating) if (!reprieve(pi)) numPDBViolations++;
    for (const pi of nonViolating) reprieve(pi);
    if (victims.length === 0) return { status: unresolvable(NO_PREEMPTION_VICTIMS) };
    if (violating.length > 0 && nonViolating.length > 0) victims.sort(byImportance);
    return { victims, numPDBViolations };
  }

  function noCandidates(fitError: FitError, statuses: Map<string, Status>): PostFilterResult {
    const d = { ...emptyDiagnosis(), nodeToStatus: statuses, absentNodesStatus: unresolvable(PREEMPTION_NOT_HELPFUL) };
    return { status: unschedulable(`preemption: ${fitErrorMessage(fitError.numAllNodes, d)}`), nominatedNodeName: '' };
  }

  return {
    name: DEFAULT_PREEMPTION,
    postFilter(state, queuedPod, fitError, snapshot: Snapshot): PostFilterResult {
      const pod = handle.currentPod?.(queuedPod) ?? queuedPod;
      if (pod.spec?.preemptionPolicy === 'Never') return { status: unschedulable(`preemption: ${NOT_ELIGIBLE_NEVER}`) };
      const nominated = pod.status?.nominatedNodeName;
      const statusOf = (name: string): Status | undefined => fitError.diagnosis.nodeToStatus.get(name);
      if (nominated && (statusOf(nominated)?.code ?? 'UnschedulableAndUnresolvable') !== 'UnschedulableAndUnresolvable') {
        const priority = podPriority(pod);
        const node = snapshot.get(nominated);
        if (node?.pods.some((pi) => podPriority(pi.pod) < priority && terminatingByPreemption(pi.pod))) {
          return { status: unschedulable(`preemption: ${NOT_ELIGIBLE_TERMINATING}`) };
        }
      }

      const potential: NodeInfo[] = [];
      for (const node of snapshot.nodes) if (statusOf(node.name)?.code === 'Unschedulable') potential.push(node);
      if (potential.length === 0) return noCandidates(fitError, new Map());

      const pdbs = handle.podDisruptionBudgets?.() ?? [];
      const wanted = Math.min(potential.length, Math.max(abs, Math.trunc((potential.length * pct) / 100)));
      const offset = Math.floor(random() * potential.length);
      const clean: Candidate[] = [];
      const violating: Candidate[] = [];
      const statuses = new Map<string, Status>();
      for (let i = 0; i < potential.length; i++) {
        const node = potential[(offset + i) % potential.length] as NodeInfo;
        const r = selectVictims(state, pod, node, pdbs);
        if (!r.victims) {
          statuses.set(node.name, r.status ?? unresolvable(NO_PREEMPTION_VICTIMS));
          continue;
        }
        const c: Candidate = { nodeName: node.name, victims: r.victims.map((pi) => pi.pod), numPDBViolations: r.numPDBViolations ?? 0 };
        (c.numPDBViolations === 0 ? clean : violating).push(c);
        if (clean.length > 0 && clean.length + violating.length >= wanted) break;
      }
      const best = pickCandidate([...clean, ...violating]);
      if (!best) return noCandidates(fitError, statuses);
      handle.preempt(pod, best);
      return { status: success(), nominatedNodeName: best.nodeName };
    },
  };
}
