// upstream's CategorizeEndpoints (pkg/proxy/topology.go): which endpoints Cluster and Local traffic policy use. Ready
// endpoints by default; when there are none, serving-and-terminating ones (independently for Cluster and Local), so
// connections drain instead of failing while a rollout replaces every pod. Cluster traffic follows the topology hints
// the EndpointSlice controller writes for spec.trafficDistribution: only endpoints hinted for this node
// (PreferSameNode) or its zone (PreferSameZone, PreferClose), when every ready endpoint has such a hint and one is
// for here — otherwise every endpoint, as without hints.
import { usesClusterEndpoints, usesLocalEndpoints, type EndpointInfo, type ServicePortInfo } from './model.ts';

export interface CategorizedEndpoints {
  /** Endpoints for Cluster traffic policy (empty when the port never uses it). */
  cluster: readonly EndpointInfo[];
  /** This node's endpoints for Local traffic policy (empty when the port never uses it). */
  local: readonly EndpointInfo[];
  /** Every endpoint this node may send to: the union of the two, each once. */
  reachable: readonly EndpointInfo[];
  /** True if the service has usable endpoints anywhere in the cluster (even when none is reachable from here). */
  hasAny: boolean;
}

const servingTerminating = (ep: EndpointInfo) => ep.serving && ep.terminating;
const isReady = (ep: EndpointInfo) => ep.ready;
const NONE: readonly EndpointInfo[] = Object.freeze([]);

/** Where this proxy runs, for topology hints. */
export interface NodeTopology {
  nodeName: string;
  /** The node's topology.kubernetes.io/zone label ('' without one). */
  zone: string;
}

type TopologyMode = '' | 'PreferSameNode' | 'PreferSameZone';

/** upstream's topologyModeFromHints: which hints to follow, if any. */
export function topologyMode(endpoints: readonly EndpointInfo[], node: NodeTopology): TopologyMode {
  let anyReady = false;
  let allNodeHints = true;
  let forNode = false;
  let allZoneHints = true;
  let forZone = false;
  for (let i = 0; i < endpoints.length; i++) {
    const ep = endpoints[i]!;
    if (!ep.ready) continue;
    anyReady = true;
    const nodes = ep.hints?.forNodes;
    const zones = ep.hints?.forZones;
    if (!nodes?.length) allNodeHints = false;
    else if (!forNode && nodes.some((n) => n.name === node.nodeName)) forNode = true;
    if (!zones?.length) allZoneHints = false;
    else if (!forZone && zones.some((z) => z.name === node.zone)) forZone = true;
    // Without hints (nearly every Service) the first ready endpoint decides.
    if (!allNodeHints && !allZoneHints) return '';
  }
  if (!anyReady) return '';
  if (allNodeHints && forNode) return 'PreferSameNode';
  if (allZoneHints && forZone) return 'PreferSameZone';
  return '';
}

function availableForTopology(ep: EndpointInfo, mode: TopologyMode, node: NodeTopology): boolean {
  if (mode === 'PreferSameNode') return ep.hints?.forNodes?.some((n) => n.name === node.nodeName) ?? false;
  if (mode === 'PreferSameZone') return ep.hints?.forZones?.some((z) => z.name === node.zone) ?? false;
  return true;
}

export function categorizeEndpoints(endpoints: readonly EndpointInfo[], svc: ServicePortInfo, node?: NodeTopology): CategorizedEndpoints {
  if (endpoints.length === 0) return { cluster: NONE, local: NONE, reachable: NONE, hasAny: false };
  let cluster: readonly EndpointInfo[] = NONE;
  let hasAny = false;
  let mode: TopologyMode = '';
  if (usesClusterEndpoints(svc)) {
    mode = node ? topologyMode(endpoints, node) : '';
    // Usually every endpoint is ready: then the list itself (a full sync asks this of every port).
    if (mode !== '') cluster = endpoints.filter((ep) => ep.ready && availableForTopology(ep, mode, node!));
    else cluster = endpoints.every(isReady) ? endpoints : endpoints.filter(isReady);
    if (cluster.length === 0) cluster = endpoints.filter(servingTerminating);
    hasAny = cluster.length > 0;
  }
  if (!usesLocalEndpoints(svc)) return { cluster, local: NONE, reachable: cluster, hasAny };

  let localReady = false;
  let localServingTerminating = false;
  for (const ep of endpoints) {
    if (ep.ready) {
      hasAny = true;
      if (ep.isLocal) localReady = true;
    } else if (servingTerminating(ep)) {
      hasAny = true;
      if (ep.isLocal) localServingTerminating = true;
    }
  }
  let local: readonly EndpointInfo[] = NONE;
  if (localReady) local = endpoints.filter((ep) => ep.isLocal && ep.ready);
  else if (localServingTerminating) local = endpoints.filter((ep) => ep.isLocal && servingTerminating(ep));

  if (!usesClusterEndpoints(svc)) return { cluster, local, reachable: local, hasAny };
  // Local holds only ready endpoints, which Cluster (every ready endpoint, without topology) already includes.
  if (mode === '' && (!localServingTerminating || localReady)) return { cluster, local, reachable: cluster, hasAny };
  const merged = new Map<string, EndpointInfo>();
  for (const ep of cluster) merged.set(ep.endpoint, ep);
  for (const ep of local) merged.set(ep.endpoint, ep);
  return { cluster, local, reachable: [...merged.values()], hasAny };
}
