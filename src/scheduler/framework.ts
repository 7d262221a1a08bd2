// The scheduling framework: one small interface per extension point, and a Framework that runs a
// scheduling cycle (prefilter → filter → prescore → score → select) and the binding cycle over a snapshot.
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { FitError, emptyDiagnosis } from './fiterror.ts';
import type { NodeInfo, PodInfo, Snapshot } from './nodeinfo.ts';
import { Status, errorStatus, success } from './status.ts';

export { Status, success, unschedulable, unresolvable, skip, errorStatus } from './status.ts';
export type { StatusCode } from './status.ts';
export { NodeInfo, Snapshot, HostPortInfo, podInfo, podHostPorts } from './nodeinfo.ts';
export type { PodInfo, HostPort } from './nodeinfo.ts';
export { FitError } from './fiterror.ts';

export const MAX_NODE_SCORE = 100;
export const MIN_NODE_SCORE = 0;

/** State shared between the extension points of one cycle, each plugin under a key it owns (its name). */
export class CycleState {
  readonly #data = new Map<string, unknown>();

  write(key: string, value: unknown): void {
    this.#data.set(key, value);
  }

  read<T>(key: string): T | undefined {
    return this.#data.get(key) as T | undefined;
  }

  delete(key: string): void {
    this.#data.delete(key);
  }

  /** Plugins whose PreFilter / PreScore returned Skip: the framework skips their Filter / Score. */
  readonly skipFilterPlugins = new Set<string>();
  readonly skipScorePlugins = new Set<string>();
  /** Every node of the snapshot being scheduled against (PreScore only sees the feasible ones). */
  allNodes: readonly NodeInfo[] = [];
  /** The snapshot being scheduled against, when the framework runs the cycle. */
  snapshot: Snapshot | undefined;
}

export interface Plugin {
  readonly name: string;
}

export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status;
}
export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: Pod, node: NodeInfo): Status;
}
export interface PostFilterResult {
  status: Status;
  nominatedNodeName?: string;
}
export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: Pod, fitError: FitError, snapshot: Snapshot): PostFilterResult;
}
export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status;
}
export interface NodeScore {
  readonly name: string;
  score: number;
}
export interface ScorePlugin extends Plugin {
  /** A number (any range; normalizeScore maps it to 0–100) or a failing Status. */
  score(state: CycleState, pod: Pod, node: NodeInfo): number | Status;
  /** Rewrites scores in place to 0–100. Without it, scores must already be in 0–100. */
  normalizeScore?(state: CycleState, pod: Pod, scores: NodeScore[]): Status;
}
export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: Pod, nodeName: string): Status;
  unreserve(state: CycleState, pod: Pod, nodeName: string): void;
}
export interface PermitPlugin extends Plugin {
  /** Success, a rejection, or Wait (then `timeoutMs` bounds the wait; the caller decides how to wait). */
  permit(state: CycleState, pod: Pod, nodeName: string): { status: Status; timeoutMs?: number };
}
export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: Pod, nodeName: string, signal?: AbortSignal): Promise<Status>;
}
export interface BindPlugin extends Plugin {
  /** Skip hands the pod to the next binder. */
  bind(state: CycleState, pod: Pod, nodeName: string, signal?: AbortSignal): Promise<Status>;
}
export interface PostBindPlugin extends Plugin {
  postBind(state: CycleState, pod: Pod, nodeName: string): void;
}

const has = <K extends string>(p: Plugin, k: K): boolean => typeof (p as unknown as Record<K, unknown>)[k] === 'function';

export const isPreFilter = (p: Plugin): p is PreFilterPlugin => has(p, 'preFilter');
export const isFilter = (p: Plugin): p is FilterPlugin => has(p, 'filter');
export const isPostFilter = (p: Plugin): p is PostFilterPlugin => has(p, 'postFilter');
export const isPreScore = (p: Plugin): p is PreScorePlugin => has(p, 'preScore');
export const isScore = (p: Plugin): p is ScorePlugin => has(p, 'score');
export const isReserve = (p: Plugin): p is ReservePlugin => has(p, 'reserve');
export const isPermit = (p: Plugin): p is PermitPlugin => has(p, 'permit');
export const isPreBind = (p: Plugin): p is PreBindPlugin => has(p, 'preBind');
export const isBind = (p: Plugin): p is BindPlugin => has(p, 'bind');
export const isPostBind = (p: Plugin): p is PostBindPlugin => has(p, 'postBind');

export class SchedulingError extends Error {
  override name = 'SchedulingError';
  readonly status: Status;
  constructor(status: Status, options?: ErrorOptions) {
    super(`running ${status.plugin || 'plugin'}: ${status.message}`, options ?? (status.error ? { cause: status.error } : undefined));
    this.status = status;
  }
}

export interface FrameworkOptions {
  /** In order: filters run in this order and a node stops at the first rejection. */
  plugins: readonly Plugin[];
  /** Score weight per plugin name; 1 when absent. */
  scoreWeights?: Readonly<Record<string, number>>;
  /** As upstream's percentageOfNodesToScore: 0 (default) is adaptive, 100 checks every node. */
  percentageOfNodesToScore?: number;
  /** Breaks ties between top-scoring nodes; returns [0, 1). Default Math.random. */
  random?: () => number;
  /**
   * Pods nominated to a node by preemption and not yet bound there. Filters count those of equal or higher
   * priority than the pod being scheduled as if they were already on the node, as upstream does.
   */
  nominatedPods?: (nodeName: string) => readonly PodInfo[] | undefined;
}

export interface ScheduleResult {
  nodeName: string;
  evaluatedNodes: number;
  feasibleNodes: number;
  /** Total weighted score per feasible node (empty when only one node was feasible). */
  scores: ReadonlyMap<string, number>;
}

const MIN_FEASIBLE_NODES = 100;
const MIN_FEASIBLE_PERCENTAGE = 5;

/** How many feasible nodes to look for before scoring, as upstream computes it. */
export function numFeasibleNodesToFind(numAllNodes: number, percentage = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES || percentage >= 100) return numAllNodes;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(MIN_FEASIBLE_PERCENTAGE, 50 - Math.trunc(numAllNodes / 125));
  const n = Math.trunc((numAllNodes * pct) / 100);
  return n < MIN_FEASIBLE_NODES ? MIN_FEASIBLE_NODES : n;
}

/** A pod's priority (spec.priority, 0 when unset). */
export function podPriority(pod: Pod): number {
  return pod.spec?.priority ?? 0;
}

export class Framework {
  readonly plugins: readonly Plugin[];
  readonly #weights: Readonly<Record<string, number>>;
  readonly #percentage: number;
  readonly #random: () => number;
  readonly #nominatedPods: ((nodeName: string) => readonly PodInfo[] | undefined) | undefined;
  // The plugins of each hot extension point, found once rather than per node.
  readonly #preFilters: readonly PreFilterPlugin[];
  readonly #filters: readonly FilterPlugin[];
  readonly #preScores: readonly PreScorePlugin[];
  readonly #scores: readonly ScorePlugin[];
  /** Where the next cycle starts filtering, so partial searches rotate over the nodes. */
  #nextStartNodeIndex = 0;

  constructor(opts: FrameworkOptions) {
    const seen = new Set<string>();
    for (const p of opts.plugins) {
      if (seen.has(p.name)) throw new Error(`plugin ${p.name} registered twice`);
      seen.add(p.name);
    }
    this.plugins = opts.plugins;
    this.#weights = opts.scoreWeights ?? {};
    this.#percentage = opts.percentageOfNodesToScore ?? 0;
    this.#random = opts.random ?? Math.random;
    this.#nominatedPods = opts.nominatedPods;
    this.#preFilters = opts.plugins.filter(isPreFilter);
    this.#filters = opts.plugins.filter(isFilter);
    this.#preScores = opts.plugins.filter(isPreScore);
    this.#scores = opts.plugins.filter(isScore);
  }

  runPreFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status {
    for (const p of this.#preFilters) {
      const s = p.preFilter(state, pod, nodes);
      if (s.code === 'Skip') state.skipFilterPlugins.add(p.name);
      else if (!s.isSuccess()) return s.withPlugin(p.name);
    }
    return success();
  }

  runFilter(state: CycleState, pod: Pod, node: NodeInfo): Status {
    const skipped = state.skipFilterPlugins;
    for (const p of this.#filters) {
      if (skipped.size > 0 && skipped.has(p.name)) continue;
      const s = p.filter(state, pod, node);
      if (!s.isSuccess()) return s.withPlugin(p.name);
    }
    return success();
  }

  /**
   * Filters a node as upstream's RunFilterPluginsWithNominatedPods: when pods of equal or higher priority are
   * nominated to it, the pod must fit both with them on the node and without them. (Plugin PreFilter state is not
   * adjusted for the added pods: resources and ports are checked with them, spreading and pod affinity are not.)
   */
  runFilterWithNominatedPods(state: CycleState, pod: Pod, node: NodeInfo): Status {
    const nominated = this.#nominatedPods?.(node.name);
    if (!nominated || nominated.length === 0) return this.runFilter(state, pod, node);
    const priority = podPriority(pod);
    const uid = pod.metadata?.uid;
    let withNominated: NodeInfo | undefined;
    for (const pi of nominated) {
      if (podPriority(pi.pod) < priority || (uid !== undefined && pi.pod.metadata?.uid === uid)) continue;
      withNominated ??= node.clone();
      withNominated.addPod(pi);
    }
    if (!withNominated) return this.runFilter(state, pod, node);
    const s = this.runFilter(state, pod, withNominated);
    if (!s.isSuccess()) return s;
    return this.runFilter(state, pod, node);
  }

  /**
   * One scheduling cycle: the chosen node, or a FitError (never thrown for "no node fits").
   * Throws SchedulingError when a plugin fails with Error.
   */
  schedulePod(state: CycleState, pod: Pod, snapshot: Snapshot): ScheduleResult | FitError {
    const nodes = snapshot.nodes;
    state.allNodes = nodes;
    state.snapshot = snapshot;
    const diagnosis = emptyDiagnosis();
    if (nodes.length === 0) return new FitError(pod, 0, diagnosis);

    const pre = this.runPreFilter(state, pod, nodes);
    if (pre.code === 'Error') throw new SchedulingError(pre);
    if (!pre.isSuccess()) {
      diagnosis.preFilterMsg = pre.message;
      diagnosis.unschedulablePlugins.add(pre.plugin);
      for (const n of nodes) diagnosis.nodeToStatus.set(n.name, pre);
      return new FitError(pod, nodes.length, diagnosis);
    }

    // A node nominated by an earlier preemption is likely the one place the pod fits: try it first.
    const nominatedName = pod.status?.nominatedNodeName;
    const nominatedNode = nominatedName ? snapshot.get(nominatedName) : undefined;
    if (nominatedNode) {
      const s = this.runFilterWithNominatedPods(state, pod, nominatedNode);
      if (s.isSuccess()) return { nodeName: nominatedNode.name, evaluatedNodes: 1, feasibleNodes: 1, scores: new Map() };
      if (s.code === 'Error') throw new SchedulingError(s);
    }

    const want = numFeasibleNodesToFind(nodes.length, this.#percentage);
    const feasible: NodeInfo[] = [];
    let evaluated = 0;
    const start = this.#nextStartNodeIndex % nodes.length;
    for (let i = 0; i < nodes.length && feasible.length < want; i++) {
      const node = nodes[(start + i) % nodes.length] as NodeInfo;
      evaluated++;
      const s = this.runFilterWithNominatedPods(state, pod, node);
      if (s.isSuccess()) feasible.push(node);
      else if (s.code === 'Error') throw new SchedulingError(s);
      else {
        diagnosis.nodeToStatus.set(node.name, s);
        diagnosis.unschedulablePlugins.add(s.plugin);
      }
    }
    this.#nextStartNodeIndex = (start + evaluated) % nodes.length;
    if (feasible.length === 0) return new FitError(pod, nodes.length, diagnosis);

    const only = feasible[0];
    if (feasible.length === 1 && only) return { nodeName: only.name, evaluatedNodes: evaluated, feasibleNodes: 1, scores: new Map() };
    const sums = this.#scoreNodes(state, pod, feasible);
    let best = '';
    let bestScore = -Infinity;
    let ties = 0;
    for (let i = 0; i < feasible.length; i++) {
      const score = sums[i] ?? 0;
      if (score > bestScore) {
        best = (feasible[i] as NodeInfo).name;
        bestScore = score;
        ties = 1;
      } else if (score === bestScore) {
        ties++;
        if (Math.floor(this.#random() * ties) === 0) best = (feasible[i] as NodeInfo).name;
      }
    }
    let scores: Map<string, number> | undefined;
    return {
      nodeName: best,
      evaluatedNodes: evaluated,
      feasibleNodes: feasible.length,
      // Keyed by name only when someone asks.
      get scores() {
        return (scores ??= totalsByName(feasible, sums));
      },
    };
  }

  /** PreScore, Score, NormalizeScore and weights: the total score of every node. */
  runScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Map<string, number> {
    return totalsByName(nodes, this.#scoreNodes(state, pod, nodes));
  }

  /** The weighted total of each node, in the order of `nodes`. */
  #scoreNodes(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Float64Array {
    for (const p of this.#preScores) {
      const s = p.preScore(state, pod, nodes);
      if (s.code === 'Skip') state.skipScorePlugins.add(p.name);
      else if (!s.isSuccess()) throw new SchedulingError(s.withPlugin(p.name));
    }
    // Totals are summed by index: nodes and the scores share the order (normalizeScore rewrites scores in place).
    // One NodeScore per node serves every plugin in turn.
    const sums = new Float64Array(nodes.length);
    const scores: NodeScore[] = nodes.map((n) => ({ name: n.name, score: 0 }));
    for (const p of this.#scores) {
      if (state.skipScorePlugins.has(p.name)) continue;
      for (let i = 0; i < nodes.length; i++) {
        const r = p.score(state, pod, nodes[i] as NodeInfo);
        if (typeof r !== 'number') throw new SchedulingError(r.withPlugin(p.name));
        (scores[i] as NodeScore).score = r;
      }
      if (p.normalizeScore) {
        const s = p.normalizeScore(state, pod, scores);
        if (!s.isSuccess()) throw new SchedulingError(s.withPlugin(p.name));
      }
      const weight = this.#weights[p.name] ?? 1;
      for (let i = 0; i < scores.length; i++) {
        const ns = scores[i] as NodeScore;
        if (ns.score < MIN_NODE_SCORE || ns.score > MAX_NODE_SCORE) {
          throw new SchedulingError(errorStatus(new Error(`score ${ns.score} of node ${ns.name} is outside [0, 100]`)).withPlugin(p.name));
        }
        sums[i] = (sums[i] ?? 0) + ns.score * weight;
      }
    }
    return sums;
  }

  /** The highest-scoring node; ties broken by reservoir sampling with the injected RNG. */
  selectHost(nodes: readonly NodeInfo[], scores: ReadonlyMap<string, number>): string {
    let best = '';
    let bestScore = -Infinity;
    let ties = 0;
    for (const n of nodes) {
      const s = scores.get(n.name) ?? 0;
      if (s > bestScore) {
        best = n.name;
        bestScore = s;
        ties = 1;
      } else if (s === bestScore) {
        ties++;
        if (Math.floor(this.#random() * ties) === 0) best = n.name;
      }
    }
    return best;
  }

  /** PostFilter plugins (preemption) in order until one succeeds; its message lands in the FitError. */
  runPostFilter(state: CycleState, pod: Pod, fitError: FitError, snapshot: Snapshot): PostFilterResult {
    let last: PostFilterResult = { status: new Status('Unschedulable') };
    const messages: string[] = [];
    for (const p of this.plugins) {
      if (!isPostFilter(p)) continue;
      const r = p.postFilter(state, pod, fitError, snapshot);
      r.status.withPlugin(p.name);
      if (r.status.isSuccess() || r.status.code === 'Error') return r;
      if (r.status.message !== '') messages.push(r.status.message);
      last = r;
    }
    if (messages.length > 0) fitError.setPostFilterMessage(messages.join(', '));
    return last;
  }

  /** Reserve in order; on failure, unreserve everything (in reverse) and return the failure. */
  runReserve(state: CycleState, pod: Pod, nodeName: string): Status {
    for (const p of this.plugins) {
      if (!isReserve(p)) continue;
      const s = p.reserve(state, pod, nodeName);
      if (!s.isSuccess()) {
        this.runUnreserve(state, pod, nodeName);
        return s.withPlugin(p.name);
      }
    }
    return success();
  }

  runUnreserve(state: CycleState, pod: Pod, nodeName: string): void {
    for (const p of [...this.plugins].reverse()) if (isReserve(p)) p.unreserve(state, pod, nodeName);
  }

  /** The first non-success permit decides; Wait returns the shortest timeout among waiting plugins. */
  runPermit(state: CycleState, pod: Pod, nodeName: string): { status: Status; timeoutMs?: number } {
    let wait: { status: Status; timeoutMs?: number } | undefined;
    for (const p of this.plugins) {
      if (!isPermit(p)) continue;
      const r = p.permit(state, pod, nodeName);
      if (r.status.code === 'Wait') {
        const t = Math.min(wait?.timeoutMs ?? Infinity, r.timeoutMs ?? Infinity);
        wait = Number.isFinite(t) ? { status: r.status.withPlugin(p.name), timeoutMs: t } : { status: r.status.withPlugin(p.name) };
      } else if (!r.status.isSuccess()) return { status: r.status.withPlugin(p.name) };
    }
    return wait ?? { status: success() };
  }

  async runPreBind(state: CycleState, pod: Pod, nodeName: string, signal?: AbortSignal): Promise<Status> {
    for (const p of this.plugins) {
      if (!isPreBind(p)) continue;
      const s = await p.preBind(state, pod, nodeName, signal);
      if (!s.isSuccess()) return s.withPlugin(p.name);
    }
    return success();
  }

  /** Binders in order until one does not Skip. */
  async runBind(state: CycleState, pod: Pod, nodeName: string, signal?: AbortSignal): Promise<Status> {
    for (const p of this.plugins) {
      if (!isBind(p)) continue;
      const s = await p.bind(state, pod, nodeName, signal);
      if (s.code !== 'Skip') return s.isSuccess() ? s : s.withPlugin(p.name);
    }
    return new Status('Skip', ['no bind plugin bound the pod']);
  }

  runPostBind(state: CycleState, pod: Pod, nodeName: string): void {
    for (const p of this.plugins) if (isPostBind(p)) p.postBind(state, pod, nodeName);
  }
}

function totalsByName(nodes: readonly NodeInfo[], sums: Float64Array): Map<string, number> {
  const totals = new Map<string, number>();
  for (let i = 0; i < nodes.length; i++) totals.set((nodes[i] as NodeInfo).name, sums[i] ?? 0);
  return totals;
}

/** upstream's DefaultNormalizeScore: scales to 0–maxPriority by the highest score, optionally reversed. */
export function defaultNormalizeScore(maxPriority: number, reverse: boolean, scores: NodeScore[]): Status {
  let max = 0;
  for (const s of scores) max = Math.max(max, s.score);
  if (max === 0) {
    if (reverse) for (const s of scores) s.score = maxPriority;
    return success();
  }
  for (const s of scores) {
    let v = Math.trunc((maxPriority * s.score) / max);
    if (reverse) v = maxPriority - v;
    s.score = v;
  }
  return success();
}
