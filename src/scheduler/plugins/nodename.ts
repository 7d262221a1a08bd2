// NodeName: a pod with spec.nodeName fits only that node.
import type { FilterPlugin } from '../framework.ts';
import { success, unresolvable } from '../status.ts';

export const NODE_NAME = 'NodeName';
export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

export function newNodeName(): FilterPlugin {
  return {
    name: NODE_NAME,
    filter(_state, pod, node) {
      const want = pod.spec?.nodeName;
      return !want || want === node.name ? success() : unresolvable(ERR_REASON_NODE_NAME);
    },
  };
}
