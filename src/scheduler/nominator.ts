// Pods nominated to a node by preemption (status.nominatedNodeName) and not bound yet: the framework counts those of
// equal or higher priority on their node, so that the room preemption made is kept for them.
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { podInfo } from './nodeinfo.ts';
import type { PodInfo } from './nodeinfo.ts';

function uidOf(pod: Pod): string {
  return pod.metadata?.uid ?? `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

export class Nominator {
  readonly #byNode = new Map<string, PodInfo[]>();
  readonly #nodeOf = new Map<string, string>();

  /** Nominates the pod to `nodeName` ('' removes any nomination). */
  set(pod: Pod, nodeName: string): void {
    this.remove(pod);
    if (!nodeName) return;
    const uid = uidOf(pod);
    this.#nodeOf.set(uid, nodeName);
    const list = this.#byNode.get(nodeName);
    if (list) list.push(podInfo(pod));
    else this.#byNode.set(nodeName, [podInfo(pod)]);
  }

  remove(pod: Pod): void {
    const uid = uidOf(pod);
    const nodeName = this.#nodeOf.get(uid);
    if (nodeName === undefined) return;
    this.#nodeOf.delete(uid);
    const list = (this.#byNode.get(nodeName) ?? []).filter((pi) => uidOf(pi.pod) !== uid);
    if (list.length > 0) this.#byNode.set(nodeName, list);
    else this.#byNode.delete(nodeName);
  }

  nodeOf(pod: Pod): string | undefined {
    return this.#nodeOf.get(uidOf(pod));
  }

  forNode(nodeName: string): readonly PodInfo[] | undefined {
    return this.#byNode.size === 0 ? undefined : this.#byNode.get(nodeName);
  }
}
