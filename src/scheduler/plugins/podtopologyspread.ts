// PodTopologySpread: keep matching pods spread across topology domains within maxSkew
// (DoNotSchedule constraints filter, ScheduleAnyway constraints score).
import type { Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.d.ts';
import type { LabelSelector } from 'kubernetes-types/meta/v1.d.ts';
import { MAX_NODE_SCORE } from '../framework.ts';
import type { FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework.ts';
import { matchesLabelSelector, withMatchLabelKeys } from '../../api/labels.ts';
import type { NodeInfo } from '../nodeinfo.ts';
import { skip, success, unresolvable, unschedulable } from '../status.ts';
import { findUntoleratedTaint } from './tainttoleration.ts';
import { podMatchesNodeAffinity } from './nodeaffinity.ts';

export const POD_TOPOLOGY_SPREAD = 'PodTopologySpread';
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;
const HOSTNAME = 'kubernetes.io/hostname';

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  minDomains: number;
  selector: LabelSelector | undefined;
  honorAffinity: boolean;
  honorTaints: boolean;
}

function constraintsOf(pod: Pod, action: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
  const labels = pod.metadata?.labels ?? {};
  return (pod.spec?.topologySpreadConstraints ?? [])
    .filter((c: TopologySpreadConstraint) => c.whenUnsatisfiable === action)
    .map((c) => ({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      minDomains: c.minDomains ?? 1,
      selector: withMatchLabelKeys(c.labelSelector, c.matchLabelKeys, labels),
      honorAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
      honorTaints: c.nodeTaintsPolicy === 'Honor',
    }));
}

function hasAllKeys(node: NodeInfo, cs: readonly Constraint[]): boolean {
  const labels = node.node.metadata?.labels ?? {};
  return cs.every((c) => Object.hasOwn(labels, c.topologyKey));
}

/** Whether pods on this node count for the constraint (nodeAffinityPolicy / nodeTaintsPolicy). */
function nodeIncluded(c: Constraint, pod: Pod, node: NodeInfo): boolean {
  if (c.honorAffinity && !podMatchesNodeAffinity(pod, node.node)) return false;
  if (c.honorTaints && findUntoleratedTaint(node.node.spec?.taints ?? [], pod.spec?.tolerations ?? [], ['NoSchedule', 'NoExecute'])) return false;
  return true;
}

function countMatching(node: NodeInfo, selector: LabelSelector | undefined, namespace: string): number {
  let n = 0;
  for (const p of node.pods) {
    if (p.pod.metadata?.deletionTimestamp || (p.pod.metadata?.namespace ?? '') !== namespace) continue;
    if (matchesLabelSelector(selector, p.pod.metadata?.labels ?? {})) n++;
  }
  return n;
}

const pairKey = (key: string, value: string): string => `${key}\u0000${value}`;

interface FilterState {
  constraints: Constraint[];
  counts: Map<string, number>;
  /** Per constraint: the smallest count over its domains (0 when fewer domains than minDomains). */
  minMatch: number[];
}

interface ScoreState {
  constraints: Constraint[];
  counts: Map<string, number>;
  weights: number[];
  ignored: Set<string>;
}

const filterKey = `PreFilter${POD_TOPOLOGY_SPREAD}`;
const scoreKey = `PreScore${POD_TOPOLOGY_SPREAD}`;

export function newPodTopologySpread(): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  return {
    name: POD_TOPOLOGY_SPREAD,
    preFilter(state, pod, nodes) {
      const constraints = constraintsOf(pod, 'DoNotSchedule');
      if (constraints.length === 0) return skip();
      const ns = pod.metadata?.namespace ?? '';
      const counts = new Map<string, number>();
      const domains = constraints.map(() => new Set<string>());
      for (const node of nodes) {
        if (!hasAllKeys(node, constraints)) continue;
        const labels = node.node.metadata?.labels ?? {};
        constraints.forEach((c, i) => {
          if (!nodeIncluded(c, pod, node)) return;
          const value = labels[c.topologyKey] ?? '';
          domains[i]?.add(value);
          const k = pairKey(c.topologyKey, value);
          counts.set(k, (counts.get(k) ?? 0) + countMatching(node, c.selector, ns));
        });
      }
      const minMatch = constraints.map((c, i) => {
        const ds = domains[i] ?? new Set<string>();
        if (ds.size < c.minDomains) return 0;
        let min = Infinity;
        for (const v of ds) min = Math.min(min, counts.get(pairKey(c.topologyKey, v)) ?? 0);
        return Number.isFinite(min) ? min : 0;
      });
      state.write(filterKey, { constraints, counts, minMatch } satisfies FilterState);
      return success();
    },
    filter(state, pod, node) {
      const s = state.read<FilterState>(filterKey);
      if (!s) return success();
      const labels = node.node.metadata?.labels ?? {};
      const podLabels = pod.metadata?.labels ?? {};
      for (const [i, c] of s.constraints.entries()) {
        if (!Object.hasOwn(labels, c.topologyKey)) return unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
        const self = matchesLabelSelector(c.selector, podLabels) ? 1 : 0;
        const count = s.counts.get(pairKey(c.topologyKey, labels[c.topologyKey] ?? '')) ?? 0;
        if (count + self - (s.minMatch[i] ?? 0) > c.maxSkew) return unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
      }
      return success();
    },
    preScore(state, pod, nodes) {
      const constraints = constraintsOf(pod, 'ScheduleAnyway');
      if (constraints.length === 0) return skip();
      const ignored = new Set<string>();
      const values = constraints.map(() => new Set<string>());
      for (const node of nodes) {
        if (!hasAllKeys(node, constraints)) {
          ignored.add(node.name);
          continue;
        }
        const labels = node.node.metadata?.labels ?? {};
        constraints.forEach((c, i) => values[i]?.add(labels[c.topologyKey] ?? ''));
      }
      const weights = constraints.map((c, i) => Math.log((c.topologyKey === HOSTNAME ? nodes.length - ignored.size : (values[i]?.size ?? 0)) + 2));
      // Counts come from every node in the cluster, for the domains the feasible nodes are in.
      const counts = new Map<string, number>();
      const ns = pod.metadata?.namespace ?? '';
      const all = state.allNodes.length > 0 ? state.allNodes : nodes;
      for (const node of all) {
        if (!hasAllKeys(node, constraints)) continue;
        const labels = node.node.metadata?.labels ?? {};
        constraints.forEach((c, i) => {
          const value = labels[c.topologyKey] ?? '';
          if (c.topologyKey === HOSTNAME || !values[i]?.has(value) || !nodeIncluded(c, pod, node)) return;
          const k = pairKey(c.topologyKey, value);
          counts.set(k, (counts.get(k) ?? 0) + countMatching(node, c.selector, ns));
        });
      }
      state.write(scoreKey, { constraints, counts, weights, ignored } satisfies ScoreState);
      return success();
    },
    score(state, pod, node) {
      const s = state.read<ScoreState>(scoreKey);
      if (!s || s.ignored.has(node.name)) return 0;
      const labels = node.node.metadata?.labels ?? {};
      let score = 0;
      for (const [i, c] of s.constraints.entries()) {
        const value = labels[c.topologyKey];
        if (value === undefined) continue;
        const count = c.topologyKey === HOSTNAME ? countMatching(node, c.selector, pod.metadata?.namespace ?? '') : (s.counts.get(pairKey(c.topologyKey, value)) ?? 0);
        score += count * (s.weights[i] ?? 0) + c.maxSkew - 1;
      }
      return Math.round(score);
    },
    normalizeScore(state, _pod, scores) {
      const s = state.read<ScoreState>(scoreKey);
      if (!s) return success();
      let min = Infinity;
      let max = 0;
      for (const ns of scores) {
        if (s.ignored.has(ns.name)) continue;
        min = Math.min(min, ns.score);
        max = Math.max(max, ns.score);
      }
      for (const ns of scores) {
        if (s.ignored.has(ns.name)) ns.score = 0;
        else if (max === 0) ns.score = MAX_NODE_SCORE;
        else ns.score = Math.trunc((MAX_NODE_SCORE * (max + min - ns.score)) / max);
      }
      return success();
    },
  };
}
