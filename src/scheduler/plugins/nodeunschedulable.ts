// NodeUnschedulable: nodes with spec.unschedulable (cordoned) take only pods tolerating
// the node.kubernetes.io/unschedulable:NoSchedule taint.
import type { FilterPlugin } from '../framework.ts';
import { success, unresolvable } from '../status.ts';
import { tolerated } from './tainttoleration.ts';

export const NODE_UNSCHEDULABLE = 'NodeUnschedulable';
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

export function newNodeUnschedulable(): FilterPlugin {
  return {
    name: NODE_UNSCHEDULABLE,
    filter(_state, pod, node) {
      if (!node.unschedulable) return success();
      const ok = tolerated({ key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' }, pod.spec?.tolerations ?? []);
      return ok ? success() : unresolvable(ERR_REASON_UNSCHEDULABLE);
    },
  };
}
