// Taints, tolerations and node conditions as the node lifecycle and taint eviction controllers use them
// (upstream's pkg/controller/util/node, pkg/util/taints and the v1 toleration helpers).
import { toleratesTaint } from '../api/taints.ts';
import type { Node, NodeCondition, Taint, Toleration } from 'kubernetes-types/core/v1.d.ts';
import type { Client, KubeObject } from '../client/client.ts';
import { isConflict, isNotFound } from '../client/errors.ts';
import type { EventRecorder } from '../client/events.ts';
import type { Lister } from '../client/informer.ts';
import { LEASES, NODES, PODS } from '../client/resources.ts';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';

export const UNREACHABLE_NO_EXECUTE: Taint = { key: TAINT_UNREACHABLE, effect: 'NoExecute' };
export const NOT_READY_NO_EXECUTE: Taint = { key: TAINT_NOT_READY, effect: 'NoExecute' };

/** Which condition in which status puts which NoSchedule taint on a node. */
export const CONDITION_TAINTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  Ready: { False: TAINT_NOT_READY, Unknown: TAINT_UNREACHABLE },
  MemoryPressure: { True: TAINT_MEMORY_PRESSURE },
  DiskPressure: { True: TAINT_DISK_PRESSURE },
  NetworkUnavailable: { True: TAINT_NETWORK_UNAVAILABLE },
  PIDPressure: { True: TAINT_PID_PRESSURE },
};

export const CONDITION_TAINT_KEYS: ReadonlySet<string> = new Set(Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m)));

export function nodeCondition(node: Node | undefined, type: string): NodeCondition | undefined {
  return node?.status?.conditions?.find((c) => c.type === type);
}

/** Same key and effect (upstream's Taint.MatchTaint). */
export const taintMatches = (a: Taint, b: Taint) => a.key === b.key && a.effect === b.effect;

export function taintExists(taints: readonly Taint[] | undefined, taint: Taint): boolean {
  return (taints ?? []).some((t) => taintMatches(t, taint));
}

/** Whether every taint is tolerated, and the toleration used for each (upstream GetMatchingTolerations). */
export function matchingTolerations(taints: readonly Taint[], tolerations: readonly Toleration[]): { all: boolean; used: Toleration[] } {
  const used: Toleration[] = [];
  for (const taint of taints) {
    const tol = tolerations.find((t) => toleratesTaint(t, taint));
    if (!tol) return { all: false, used: [] };
    used.push(tol);
  }
  return { all: true, used };
}

/** The shortest tolerationSeconds among `used` in ms: 0 if none are used or one is ≤ 0, -1 when all tolerate forever. */
export function minTolerationMs(used: readonly Toleration[]): number {
  if (used.length === 0) return 0;
  let min = Infinity;
  for (const t of used) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    if (t.tolerationSeconds <= 0) return 0;
    min = Math.min(min, t.tolerationSeconds);
  }
  return min === Infinity ? -1 : min * 1000;
}

/** Upstream's topology zone key: region and zone labels (stable, else the beta failure-domain ones). */
export function zoneKey(node: Node): string {
  const labels = node.metadata?.labels ?? {};
  const region = labels['topology.kubernetes.io/region'] ?? labels['failure-domain.beta.kubernetes.io/region'] ?? '';
  const zone = labels['topology.kubernetes.io/zone'] ?? labels['failure-domain.beta.kubernetes.io/zone'] ?? '';
  if (!region && !zone) return '';
  return `${region}:\x00:${zone}`;
}

export const metaTime = (ms: number = Date.now()) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

const MAX_TAINT_RETRIES = 5;

/**
 * Adds `add` (stamped with timeAdded) and removes `remove` from a node's taints, as upstream's
 * SwapNodeControllerTaint: the first try uses the cached node, retries read it afresh; a conditional patch
 * (resourceVersion) keeps concurrent writers from losing each other's taints. Resolves false if the node is gone.
 */
export async function swapNodeTaints(client: Client, lister: Lister<KubeObject>, name: string, add: readonly Taint[], remove: readonly Taint[]): Promise<boolean> {
  for (let attempt = 0; attempt < MAX_TAINT_RETRIES; attempt++) {
    let node: Node | undefined;
    if (attempt === 0) node = lister.get(name) as Node | undefined;
    if (!node) {
      try {
        node = (await client.get(NODES, '', name)) as Node;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    }
    const current = node.spec?.taints ?? [];
    let next = current.filter((t) => !remove.some((r) => taintMatches(r, t)));
    let changed = next.length !== current.length;
    const now = metaTime();
    for (const a of add) {
      const existing = next.find((t) => taintMatches(t, a));
      if (existing && (existing.value ?? '') === (a.value ?? '')) continue;
      next = next.filter((t) => !taintMatches(t, a));
      next.push({ ...a, timeAdded: now });
      changed = true;
    }
    if (!changed) return true;
    try {
      await client.patch(NODES, '', name, 'merge', { metadata: { resourceVersion: node.metadata?.resourceVersion }, spec: { taints: next.length ? next : null } }, { fieldManager: 'kube-controller-manager' });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      if (!isConflict(err) || attempt === MAX_TAINT_RETRIES - 1) throw err;
    }
  }
  return false;
}

/** upstream RecordNodeEvent: "Node X event: …" on the Node. */
export function recordNodeEvent(recorder: EventRecorder, node: Node, type: 'Normal' | 'Warning', reason: string, event: string): void {
  recorder.event(nodeRef(node), type, reason, `Node ${node.metadata?.name ?? ''} event: ${event}`);
}

/** upstream RecordNodeStatusChange: "Node X status is now: Y". */
export function recordNodeStatusChange(recorder: EventRecorder, node: Node, newStatus: string): void {
  recorder.event(nodeRef(node), 'Normal', newStatus, `Node ${node.metadata?.name ?? ''} status is now: ${newStatus}`);
}

function nodeRef(node: Node): KubeObject {
  const metadata: Record<string, string> = { name: node.metadata?.name ?? '' };
  if (node.metadata?.uid) metadata['uid'] = node.metadata.uid;
  return { apiVersion: 'v1', kind: 'Node', metadata };
}

export { toleratesTaint };

export { NODES, PODS, LEASES };
