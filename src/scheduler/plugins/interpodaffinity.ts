// InterPodAffinity: required pod affinity / anti-affinity (and existing pods' anti-affinity) filter
// nodes by topology domain; preferred terms score them.
import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1.d.ts';
import { MAX_NODE_SCORE } from '../framework.ts';
import type { FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework.ts';
import { matchesLabelSelector, withMatchLabelKeys } from '../../api/labels.ts';
import type { Labels } from '../../api/labels.ts';
import type { NodeInfo } from '../nodeinfo.ts';
import { skip, success, unresolvable, unschedulable } from '../status.ts';

export const INTER_POD_AFFINITY = 'InterPodAffinity';
export const ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules";
export const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules";

export interface InterPodAffinityArgs {
  /** Labels of a namespace, for terms with a namespaceSelector; without it such selectors match only `{}`. */
  namespaceLabels?: (namespace: string) => Labels | undefined;
}

type TermMatcher = (owner: Pod, term: PodAffinityTerm, candidate: Pod) => boolean;

function termMatcher(args: InterPodAffinityArgs): TermMatcher {
  return (owner, term, candidate) => {
    const ns = candidate.metadata?.namespace ?? '';
    const names = term.namespaces ?? [];
    const sel = term.namespaceSelector;
    let nsOK: boolean;
    if (names.length === 0 && !sel) nsOK = ns === (owner.metadata?.namespace ?? '');
    else {
      nsOK = names.includes(ns);
      if (!nsOK && sel) {
        const empty = !sel.matchLabels && !sel.matchExpressions;
        nsOK = empty || matchesLabelSelector(sel, args.namespaceLabels?.(ns) ?? {});
      }
    }
    if (!nsOK) return false;
    const selector = withMatchLabelKeys(term.labelSelector, term.matchLabelKeys, owner.metadata?.labels ?? {});
    return matchesLabelSelector(selector, candidate.metadata?.labels ?? {});
  };
}

const pair = (key: string, value: string): string => `${key}\u0000${value}`;
const requiredAffinity = (p: Pod): PodAffinityTerm[] => p.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
const requiredAnti = (p: Pod): PodAffinityTerm[] => p.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
const preferredAffinity = (p: Pod): WeightedPodAffinityTerm[] => p.spec?.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
const preferredAnti = (p: Pod): WeightedPodAffinityTerm[] => p.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];

function add(m: Map<string, number>, k: string, n: number): void {
  m.set(k, (m.get(k) ?? 0) + n);
}

interface FilterState {
  existingAnti: Map<string, number>;
  affinity: Map<string, number>;
  anti: Map<string, number>;
  affinityTerms: PodAffinityTerm[];
  antiTerms: PodAffinityTerm[];
}

const filterKey = `PreFilter${INTER_POD_AFFINITY}`;
const scoreKey = `PreScore${INTER_POD_AFFINITY}`;

export function newInterPodAffinity(args: InterPodAffinityArgs = {}): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  const matches = termMatcher(args);
  return {
    name: INTER_POD_AFFINITY,
    preFilter(state, pod, nodes) {
      const affinityTerms = requiredAffinity(pod);
      const antiTerms = requiredAnti(pod);
      const s: FilterState = { existingAnti: new Map(), affinity: new Map(), anti: new Map(), affinityTerms, antiTerms };
      const needAll = affinityTerms.length > 0 || antiTerms.length > 0;
      // Without terms of its own, only nodes holding pods with required anti-affinity matter.
      const scan = needAll || !state.snapshot ? nodes : state.snapshot.havePodsWithRequiredAntiAffinity();
      for (const node of scan) {
        const candidates = needAll ? node.pods : node.podsWithRequiredAntiAffinity;
        if (candidates.length === 0) continue;
        const labels = node.node.metadata?.labels ?? {};
        for (const { pod: existing } of candidates) {
          for (const t of requiredAnti(existing)) {
            const v = labels[t.topologyKey];
            if (v !== undefined && matches(existing, t, pod)) add(s.existingAnti, pair(t.topologyKey, v), 1);
          }
          if (affinityTerms.length > 0 && affinityTerms.every((t) => matches(pod, t, existing))) {
            for (const t of affinityTerms) {
              const v = labels[t.topologyKey];
              if (v !== undefined) add(s.affinity, pair(t.topologyKey, v), 1);
            }
          }
          for (const t of antiTerms) {
            const v = labels[t.topologyKey];
            if (v !== undefined && matches(pod, t, existing)) add(s.anti, pair(t.topologyKey, v), 1);
          }
        }
      }
      if (s.existingAnti.size === 0 && affinityTerms.length === 0 && antiTerms.length === 0) return skip();
      state.write(filterKey, s);
      return success();
    },
    filter(state, pod, node) {
      const s = state.read<FilterState>(filterKey);
      if (!s) return success();
      const labels = node.node.metadata?.labels ?? {};
      for (const [k, v] of Object.entries(labels)) {
        if ((s.existingAnti.get(pair(k, v)) ?? 0) > 0) return unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);
      }
      for (const t of s.antiTerms) {
        const v = labels[t.topologyKey];
        if (v !== undefined && (s.anti.get(pair(t.topologyKey, v)) ?? 0) > 0) return unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
      }
      if (s.affinityTerms.length > 0) {
        const allHere = s.affinityTerms.every((t) => {
          const v = labels[t.topologyKey];
          return v !== undefined && (s.affinity.get(pair(t.topologyKey, v)) ?? 0) > 0;
        });
        // The first pod of a group that selects itself may go anywhere with the topology keys.
        const firstOfGroup = s.affinity.size === 0 && s.affinityTerms.every((t) => matches(pod, t, pod) && labels[t.topologyKey] !== undefined);
        if (!allHere && !firstOfGroup) return unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH);
      }
      return success();
    },
    preScore(state, pod, nodes) {
      const hasOwn = preferredAffinity(pod).length > 0 || preferredAnti(pod).length > 0;
      const everyNode = state.allNodes.length > 0 ? state.allNodes : nodes;
      // Without preferences of its own, only existing pods' preferences toward it count: nodes holding such pods.
      const all = hasOwn || !state.snapshot ? everyNode : state.snapshot.havePodsWithAffinity();
      const scores = new Map<string, number>();
      const tally = (node: NodeInfo, term: PodAffinityTerm, weight: number): void => {
        const v = node.node.metadata?.labels?.[term.topologyKey];
        if (v !== undefined) add(scores, pair(term.topologyKey, v), weight);
      };
      for (const node of all) {
        const candidates = hasOwn ? node.pods : node.podsWithAffinity;
        for (const { pod: existing } of candidates) {
          for (const w of preferredAffinity(pod)) if (matches(pod, w.podAffinityTerm, existing)) tally(node, w.podAffinityTerm, w.weight);
          for (const w of preferredAnti(pod)) if (matches(pod, w.podAffinityTerm, existing)) tally(node, w.podAffinityTerm, -w.weight);
          // Existing pods' own preferences toward the incoming pod count too (symmetry).
          for (const w of preferredAffinity(existing)) if (matches(existing, w.podAffinityTerm, pod)) tally(node, w.podAffinityTerm, w.weight);
          for (const w of preferredAnti(existing)) if (matches(existing, w.podAffinityTerm, pod)) tally(node, w.podAffinityTerm, -w.weight);
        }
      }
      if (!hasOwn && scores.size === 0) return skip();
      state.write(scoreKey, scores);
      return success();
    },
    score(state, _pod, node) {
      const scores = state.read<Map<string, number>>(scoreKey);
      if (!scores) return 0;
      let total = 0;
      for (const [k, v] of Object.entries(node.node.metadata?.labels ?? {})) total += scores.get(pair(k, v)) ?? 0;
      return total;
    },
    normalizeScore(_state, _pod, scores) {
      let min = Infinity;
      let max = -Infinity;
      for (const s of scores) {
        min = Math.min(min, s.score);
        max = Math.max(max, s.score);
      }
      for (const s of scores) s.score = max > min ? Math.trunc((MAX_NODE_SCORE * (s.score - min)) / (max - min)) : 0;
      return success();
    },
  };
}
