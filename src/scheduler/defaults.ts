// The default plugin set, in upstream's filter order, with upstream's default score weights.
import type { FrameworkOptions, Plugin } from './framework.ts';
import { newNodeAffinity, NODE_AFFINITY } from './plugins/nodeaffinity.ts';
import { newNodeName } from './plugins/nodename.ts';
import { newNodePorts } from './plugins/nodeports.ts';
import { newNodeResourcesBalancedAllocation, newNodeResourcesFit, NODE_RESOURCES_BALANCED_ALLOCATION, NODE_RESOURCES_FIT } from './plugins/noderesources.ts';
import { newNodeUnschedulable } from './plugins/nodeunschedulable.ts';
import { INTER_POD_AFFINITY, newInterPodAffinity } from './plugins/interpodaffinity.ts';
import type { InterPodAffinityArgs } from './plugins/interpodaffinity.ts';
import { newPodTopologySpread, POD_TOPOLOGY_SPREAD } from './plugins/podtopologyspread.ts';
import { newTaintToleration, TAINT_TOLERATION } from './plugins/tainttoleration.ts';

export const DEFAULT_SCORE_WEIGHTS: Readonly<Record<string, number>> = {
  [TAINT_TOLERATION]: 3,
  [NODE_AFFINITY]: 2,
  [NODE_RESOURCES_FIT]: 1,
  [NODE_RESOURCES_BALANCED_ALLOCATION]: 1,
  [POD_TOPOLOGY_SPREAD]: 2,
  [INTER_POD_AFFINITY]: 2,
};

export function defaultPlugins(opts: { interPodAffinity?: InterPodAffinityArgs } = {}): Plugin[] {
  return [
    newNodeUnschedulable(),
    newNodeName(),
    newTaintToleration(),
    newNodeAffinity(),
    newNodePorts(),
    newNodeResourcesFit(),
    newNodeResourcesBalancedAllocation(),
    newPodTopologySpread(),
    newInterPodAffinity(opts.interPodAffinity),
  ];
}

export function defaultFrameworkOptions(extra: readonly Plugin[] = []): FrameworkOptions {
  return { plugins: [...defaultPlugins(), ...extra], scoreWeights: DEFAULT_SCORE_WEIGHTS };
}
