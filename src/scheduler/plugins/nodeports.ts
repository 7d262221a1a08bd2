// NodePorts: a node fits only if none of the pod's host ports is already in use there.
import type { FilterPlugin, PreFilterPlugin } from '../framework.ts';
import { podHostPorts } from '../nodeinfo.ts';
import type { HostPort } from '../nodeinfo.ts';
import { skip, success, unschedulable } from '../status.ts';

export const NODE_PORTS = 'NodePorts';
export const ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

const stateKey = `PreFilter${NODE_PORTS}`;

export function newNodePorts(): PreFilterPlugin & FilterPlugin {
  return {
    name: NODE_PORTS,
    preFilter(state, pod) {
      const ports = podHostPorts(pod);
      if (ports.length === 0) return skip();
      state.write(stateKey, ports);
      return success();
    },
    filter(state, pod, node) {
      const ports = state.read<HostPort[]>(stateKey) ?? podHostPorts(pod);
      return ports.some((p) => node.usedPorts.conflicts(p)) ? unschedulable(ERR_REASON_NODE_PORTS) : success();
    },
  };
}
