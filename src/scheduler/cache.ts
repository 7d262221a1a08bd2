// The scheduler's cache: one NodeInfo per node with the pods bound (or assumed) there, kept up to date from
// informer events, and the Snapshot the scheduling cycle reads. The cycle is synchronous, so the snapshot is the
// cache's own NodeInfos — nothing is copied per pod; only the node list is rebuilt, when nodes come or go.
import type { Node, Pod } from 'kubernetes-types/core/v1.d.ts';
import { NodeInfo, podInfo, Snapshot } from './nodeinfo.ts';
import type { AffinityIndex, PodInfo } from './nodeinfo.ts';

interface PodState {
  info: PodInfo;
  nodeName: string;
  /** Sent for binding, not yet seen bound by the informer. */
  assumed: boolean;
}

function uidOf(pod: Pod): string {
  return pod.metadata?.uid ?? `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

export class AssumeError extends Error {
  override name = 'AssumeError';
}

export class SchedulerCache {
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #pods = new Map<string, PodState>();
  /** Pods bound to nodes the cache does not know (yet, or any more), by node name. */
  readonly #orphans = new Map<string, Map<string, PodInfo>>();
  #snapshot: Snapshot | undefined;
  readonly #withAffinity = new Set<NodeInfo>();
  readonly #withRequiredAnti = new Set<NodeInfo>();
  #withAffinityList: NodeInfo[] | undefined;
  #withRequiredAntiList: NodeInfo[] | undefined;
  readonly #index: AffinityIndex = {
    havePodsWithAffinity: () => (this.#withAffinityList ??= [...this.#withAffinity]),
    havePodsWithRequiredAntiAffinity: () => (this.#withRequiredAntiList ??= [...this.#withRequiredAnti]),
  };

  /** The nodes and their pods, for one scheduling cycle; valid until the next await. */
  snapshot(): Snapshot {
    return (this.#snapshot ??= new Snapshot([...this.#nodes.values()], this.#index));
  }

  /** Keeps the affinity index right after the node's pods changed (or it came or went). */
  #touch(info: NodeInfo, present = true): void {
    const has = (set: Set<NodeInfo>, yes: boolean): boolean => {
      if (yes === set.has(info)) return false;
      if (yes) set.add(info);
      else set.delete(info);
      return true;
    };
    if (has(this.#withAffinity, present && info.podsWithAffinity.length > 0)) this.#withAffinityList = undefined;
    if (has(this.#withRequiredAnti, present && info.podsWithRequiredAntiAffinity.length > 0)) this.#withRequiredAntiList = undefined;
  }

  get nodeCount(): number {
    return this.#nodes.size;
  }

  nodeInfo(name: string): NodeInfo | undefined {
    return this.#nodes.get(name);
  }

  addNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const existing = this.#nodes.get(name);
    if (existing) return existing.setNode(node);
    const info = new NodeInfo(node);
    const orphans = this.#orphans.get(name);
    if (orphans) {
      for (const pi of orphans.values()) info.addPod(pi);
      this.#orphans.delete(name);
    }
    this.#nodes.set(name, info);
    this.#touch(info);
    this.#snapshot = undefined;
  }

  updateNode(node: Node): void {
    this.addNode(node);
  }

  /** The node goes; pods still bound to it are kept aside until they are deleted too (or the node returns). */
  removeNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const info = this.#nodes.get(name);
    if (!info) return;
    this.#nodes.delete(name);
    this.#touch(info, false);
    this.#snapshot = undefined;
    if (info.pods.length > 0) this.#orphans.set(name, new Map(info.pods.map((pi) => [uidOf(pi.pod), pi])));
  }

  #place(pi: PodInfo, nodeName: string): void {
    const info = this.#nodes.get(nodeName);
    if (info) {
      info.addPod(pi);
      this.#touch(info);
      return;
    }
    let m = this.#orphans.get(nodeName);
    if (!m) this.#orphans.set(nodeName, (m = new Map()));
    m.set(uidOf(pi.pod), pi);
  }

  #unplace(pod: Pod, nodeName: string): void {
    const info = this.#nodes.get(nodeName);
    if (info) {
      info.removePod(pod);
      this.#touch(info);
      return;
    }
    const m = this.#orphans.get(nodeName);
    m?.delete(uidOf(pod));
    if (m?.size === 0) this.#orphans.delete(nodeName);
  }

  /**
   * The pod counts on `nodeName` from now on, before its binding is written (upstream's AssumePod).
   * `pod` must carry spec.nodeName = nodeName.
   */
  assumePod(pod: Pod, nodeName: string, info: PodInfo = podInfo(pod)): void {
    const uid = uidOf(pod);
    if (this.#pods.has(uid)) throw new AssumeError(`pod ${pod.metadata?.namespace}/${pod.metadata?.name} is already in the cache`);
    this.#pods.set(uid, { info, nodeName, assumed: true });
    this.#place(info, nodeName);
  }

  /** The binding failed: the assumed pod no longer counts (upstream's ForgetPod). */
  forgetPod(pod: Pod): void {
    const uid = uidOf(pod);
    const state = this.#pods.get(uid);
    if (!state?.assumed) return;
    this.#pods.delete(uid);
    this.#unplace(state.info.pod, state.nodeName);
  }

  isAssumed(pod: Pod): boolean {
    return this.#pods.get(uidOf(pod))?.assumed ?? false;
  }

  /** A pod bound to a node, seen by the informer (confirms an assumed pod). Terminal pods are not counted. */
  addPod(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    if (isTerminal(pod)) return this.removePod(pod);
    const uid = uidOf(pod);
    const state = this.#pods.get(uid);
    if (state) {
      this.#unplace(state.info.pod, state.nodeName);
      state.info = podInfo(pod);
      state.nodeName = nodeName;
      state.assumed = false;
      this.#place(state.info, nodeName);
      return;
    }
    const info = podInfo(pod);
    this.#pods.set(uid, { info, nodeName, assumed: false });
    this.#place(info, nodeName);
  }

  updatePod(pod: Pod): void {
    this.addPod(pod);
  }

  removePod(pod: Pod): void {
    const uid = uidOf(pod);
    const state = this.#pods.get(uid);
    if (!state) return;
    this.#pods.delete(uid);
    this.#unplace(state.info.pod, state.nodeName);
  }

  /** How many pods (bound and assumed) the cache holds. */
  get podCount(): number {
    return this.#pods.size;
  }
}

/** Succeeded and Failed pods hold no resources (upstream's scheduler does not watch them). */
export function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}
