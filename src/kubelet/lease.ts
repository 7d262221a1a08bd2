// Node heartbeats: the Lease in kube-node-lease that a node agent renews (kubelet's nodelease controller).
import type { Lease } from 'kubernetes-types/coordination/v1.d.ts';
import { LEASES } from '../client/resources.ts';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** kubelet's nodeLeaseDurationSeconds. */
export const DEFAULT_LEASE_DURATION_SECONDS = 40;
/** kubelet renews at a quarter of the lease duration: every 10 s by default. */
export const RENEW_INTERVAL_FRACTION = 0.25;

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/(\.\d{3})Z$/, '$1000Z');
}

/** A node's Lease, owned by its Node so that it goes when the Node does. */
export function newNodeLease(nodeName: string, nodeUID: string | undefined, durationSeconds: number, now: Date): Lease {
  const lease: Lease = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: nodeName, namespace: NODE_LEASE_NAMESPACE },
    spec: { holderIdentity: nodeName, leaseDurationSeconds: durationSeconds, renewTime: microTime(now) },
  };
  if (nodeUID) lease.metadata!.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUID }];
  return lease;
}

/** The same Lease renewed now (and re-owned, if the Node's uid is known and the Lease lost its owner). */
export function renewedLease(lease: Lease, nodeName: string, nodeUID: string | undefined, durationSeconds: number, now: Date): Lease {
  const next: Lease = { ...lease, metadata: { ...lease.metadata }, spec: { ...lease.spec, holderIdentity: nodeName, leaseDurationSeconds: durationSeconds, renewTime: microTime(now) } };
  if (nodeUID && !lease.metadata?.ownerReferences?.length) next.metadata!.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUID }];
  return next;
}

export { LEASES };
