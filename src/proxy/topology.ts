// upstream's CategorizeEndpoints (pkg/proxy/topology.go) without topology hints: which endpoints Cluster and Local
// traffic policy use. Ready endpoints by default; when there are none, serving-and-terminating ones (independently for
// Cluster and Local), so connections drain instead of failing while a rollout replaces every pod.
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

export function categorizeEndpoints(endpoints: readonly EndpointInfo[], svc: ServicePortInfo): CategorizedEndpoints {
  if (endpoints.length === 0) return { cluster: NONE, local: NONE, reachable: NONE, hasAny: false };
  let cluster: readonly EndpointInfo[] = NONE;
  let hasAny = false;
  if (usesClusterEndpoints(svc)) {
    // Usually every endpoint is ready: then the list itself (a full sync asks this of every port).
    cluster = endpoints.every(isReady) ? endpoints : endpoints.filter(isReady);
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
  // Local holds only ready endpoints, which Cluster (every ready endpoint) already includes.
  if (!localServingTerminating || localReady) return { cluster, local, reachable: cluster, hasAny };
  const merged = new Map<string, EndpointInfo>();
  for (const ep of cluster) merged.set(ep.endpoint, ep);
  for (const ep of local) merged.set(ep.endpoint, ep);
  return { cluster, local, reachable: [...merged.values()], hasAny };
}
