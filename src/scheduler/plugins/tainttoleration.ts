// TaintToleration: filter out nodes with NoSchedule/NoExecute taints the pod doesn't tolerate;
// prefer nodes with fewer untolerated PreferNoSchedule taints.
import type { Taint, Toleration } from 'kubernetes-types/core/v1.d.ts';
import { defaultNormalizeScore, MAX_NODE_SCORE } from '../framework.ts';
import type { FilterPlugin, PreScorePlugin, ScorePlugin } from '../framework.ts';
import { success, unresolvable } from '../status.ts';
import { toleratesTaint, tolerated } from '../../api/taints.ts';

export { toleratesTaint, tolerated };

export const TAINT_TOLERATION = 'TaintToleration';

export function untoleratedTaintReason(t: Taint): string {
  return `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`;
}



/** The first taint with one of `effects` not tolerated, if any. */
export function findUntoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[], effects: readonly string[]): Taint | undefined {
  return taints.find((t) => effects.includes(t.effect) && !tolerated(t, tolerations));
}

const stateKey = `PreScore${TAINT_TOLERATION}`;
const FILTERED_EFFECTS = ['NoSchedule', 'NoExecute'] as const;
const NO_TOLERATIONS: readonly Toleration[] = [];

export function newTaintToleration(): FilterPlugin & PreScorePlugin & ScorePlugin {
  return {
    name: TAINT_TOLERATION,
    filter(_state, pod, node) {
      const taints = node.taints;
      if (!taints) return success();
      const t = findUntoleratedTaint(taints, pod.spec?.tolerations ?? NO_TOLERATIONS, FILTERED_EFFECTS);
      return t ? unresolvable(untoleratedTaintReason(t)) : success();
    },
    preScore(state, pod) {
      const tols = (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
      state.write(stateKey, tols);
      return success();
    },
    score(state, pod, node) {
      const taints = node.taints;
      if (!taints) return 0;
      const tols = state.read<Toleration[]>(stateKey) ?? pod.spec?.tolerations ?? [];
      let n = 0;
      for (const t of taints) if (t.effect === 'PreferNoSchedule' && !tolerated(t, tols)) n++;
      return n;
    },
    normalizeScore(_state, _pod, scores) {
      return defaultNormalizeScore(MAX_NODE_SCORE, true, scores);
    },
  };
}
