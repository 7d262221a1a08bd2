// NodeAffinity: spec.nodeSelector and required node affinity filter nodes; preferred node affinity scores them.
import type { Node, NodeSelector, Pod, NodeSelectorRequirement, NodeSelectorTerm, PreferredSchedulingTerm } from 'kubernetes-types/core/v1.d.ts';
import { defaultNormalizeScore, MAX_NODE_SCORE } from '../framework.ts';
import type { FilterPlugin, PreScorePlugin, ScorePlugin } from '../framework.ts';
import { skip, success, unresolvable } from '../status.ts';

export const NODE_AFFINITY = 'NodeAffinity';
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";

/** Go's strconv.ParseInt(s, 10, 64) accepts an optional sign and decimal digits only. */
function parseInt64(s: string): bigint | undefined {
  return /^[+-]?\d+$/.test(s) ? BigInt(s) : undefined;
}

/** One requirement against a set of key/values (labels, or fields for matchFields). */
export function matchesRequirement(r: NodeSelectorRequirement, values: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(values, r.key);
  const v = values[r.key] ?? '';
  const want = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && want.includes(v);
    case 'NotIn':
      return !has || !want.includes(v);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || want.length !== 1) return false;
      const a = parseInt64(v);
      const b = parseInt64(want[0] ?? '');
      if (a === undefined || b === undefined) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** A term matches when all its expressions and fields match; a term with neither matches nothing. */
export function matchesTerm(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  const nodeFields = { 'metadata.name': node.metadata?.name ?? '' };
  return exprs.every((r) => matchesRequirement(r, labels)) && fields.every((r) => matchesRequirement(r, nodeFields));
}

/** Terms are ORed. */
export function matchesNodeSelector(sel: NodeSelector, node: Node): boolean {
  return sel.nodeSelectorTerms.some((t) => matchesTerm(t, node));
}

/** nodeSelector (every label equal) and required node affinity, as one check. */
export function podMatchesNodeAffinity(pod: Pod, node: Node): boolean {
  const selector = pod.spec?.nodeSelector;
  if (selector) {
    const labels = node.metadata?.labels ?? {};
    for (const k in selector) if (!Object.hasOwn(labels, k) || labels[k] !== selector[k]) return false;
  }
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return !required || matchesNodeSelector(required, node);
}

const scoreKey = `PreScore${NODE_AFFINITY}`;

export function newNodeAffinity(): FilterPlugin & PreScorePlugin & ScorePlugin {
  return {
    name: NODE_AFFINITY,
    filter(_state, pod, node) {
      return podMatchesNodeAffinity(pod, node.node) ? success() : unresolvable(ERR_REASON_POD);
    },
    preScore(state, pod) {
      const preferred = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
      if (preferred.length === 0) return skip();
      state.write(scoreKey, preferred);
      return success();
    },
    score(state, pod, node) {
      const preferred = state.read<PreferredSchedulingTerm[]>(scoreKey) ?? pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
      let sum = 0;
      for (const t of preferred) if (t.weight !== 0 && matchesTerm(t.preference, node.node)) sum += t.weight;
      return sum;
    },
    normalizeScore(_state, _pod, scores) {
      return defaultNormalizeScore(MAX_NODE_SCORE, false, scores);
    },
  };
}
