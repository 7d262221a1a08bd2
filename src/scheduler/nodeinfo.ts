// NodeInfo: one node as the scheduler sees it in a snapshot — the node, its pods, what they request
// and which host ports they hold.
import type { ContainerPort, Node, Pod } from 'kubernetes-types/core/v1.d.ts';
import { addResources, emptyResources, nodeAllocatable, podRequests } from './resources.ts';
import type { Allocatable, Resources } from './resources.ts';

export interface PodInfo {
  readonly pod: Pod;
  readonly requests: Resources;
  /** Requests with upstream's non-zero defaults, for scoring. */
  readonly nonZeroRequests: Resources;
}

export function podInfo(pod: Pod): PodInfo {
  return { pod, requests: podRequests(pod), nonZeroRequests: podRequests(pod, true) };
}

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

const ANY_IP = '0.0.0.0';

/** The host ports a pod asks for (containers with hostPort > 0), defaults filled in. */
export function podHostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  const add = (p: ContainerPort): void => {
    if (p.hostPort && p.hostPort > 0) out.push({ ip: p.hostIP || ANY_IP, protocol: p.protocol || 'TCP', port: p.hostPort });
  };
  for (const c of pod.spec?.containers ?? []) for (const p of c.ports ?? []) add(p);
  for (const c of pod.spec?.initContainers ?? []) for (const p of c.ports ?? []) add(p);
  return out;
}

/** Host ports in use on a node: ip → set of "protocol/port". */
export class HostPortInfo {
  readonly #byIP = new Map<string, Map<string, number>>();

  add(p: HostPort): void {
    const key = `${p.protocol}/${p.port}`;
    let m = this.#byIP.get(p.ip);
    if (!m) this.#byIP.set(p.ip, (m = new Map()));
    m.set(key, (m.get(key) ?? 0) + 1);
  }

  remove(p: HostPort): void {
    const key = `${p.protocol}/${p.port}`;
    const m = this.#byIP.get(p.ip);
    const n = m?.get(key) ?? 0;
    if (!m || n === 0) return;
    if (n === 1) m.delete(key);
    else m.set(key, n - 1);
    if (m.size === 0) this.#byIP.delete(p.ip);
  }

  /** 0.0.0.0 conflicts with every address; any other address with itself and 0.0.0.0. */
  conflicts(p: HostPort): boolean {
    const key = `${p.protocol}/${p.port}`;
    if (p.ip === ANY_IP) {
      for (const m of this.#byIP.values()) if (m.has(key)) return true;
      return false;
    }
    return (this.#byIP.get(p.ip)?.has(key) ?? false) || (this.#byIP.get(ANY_IP)?.has(key) ?? false);
  }

  get size(): number {
    let n = 0;
    for (const m of this.#byIP.values()) n += m.size;
    return n;
  }
}

function podKey(pod: Pod): string {
  return pod.metadata?.uid ?? `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

export class NodeInfo {
  readonly node: Node;
  readonly allocatable: Allocatable;
  readonly pods: PodInfo[] = [];
  readonly requested: Resources = emptyResources();
  readonly nonZeroRequested: Resources = emptyResources();
  readonly usedPorts = new HostPortInfo();
  /** Pods with any pod (anti-)affinity, and those with required anti-affinity: InterPodAffinity scans only these. */
  readonly podsWithAffinity: PodInfo[] = [];
  readonly podsWithRequiredAntiAffinity: PodInfo[] = [];

  constructor(node: Node, pods: readonly Pod[] = []) {
    this.node = node;
    this.allocatable = nodeAllocatable(node);
    for (const p of pods) this.addPod(p);
  }

  get name(): string {
    return this.node.metadata?.name ?? '';
  }

  addPod(pod: Pod | PodInfo): void {
    const info = 'pod' in pod && 'requests' in pod ? pod : podInfo(pod);
    this.pods.push(info);
    const aff = info.pod.spec?.affinity;
    if (aff?.podAffinity || aff?.podAntiAffinity) this.podsWithAffinity.push(info);
    if (aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length) this.podsWithRequiredAntiAffinity.push(info);
    addResources(this.requested, info.requests);
    addResources(this.nonZeroRequested, info.nonZeroRequests);
    for (const p of podHostPorts(info.pod)) this.usedPorts.add(p);
  }

  /** Removes the pod with the same uid (or namespace/name); false if it is not here. */
  removePod(pod: Pod): boolean {
    const key = podKey(pod);
    const i = this.pods.findIndex((p) => podKey(p.pod) === key);
    const info = this.pods[i];
    if (!info) return false;
    this.pods.splice(i, 1);
    for (const list of [this.podsWithAffinity, this.podsWithRequiredAntiAffinity]) {
      const j = list.indexOf(info);
      if (j >= 0) list.splice(j, 1);
    }
    addResources(this.requested, info.requests, -1);
    addResources(this.nonZeroRequested, info.nonZeroRequests, -1);
    for (const p of podHostPorts(info.pod)) this.usedPorts.remove(p);
    return true;
  }
}

/** The nodes of one scheduling cycle, in a fixed order. */
export class Snapshot {
  readonly nodes: readonly NodeInfo[];
  readonly #byName: Map<string, NodeInfo>;

  constructor(nodes: readonly NodeInfo[]) {
    this.nodes = nodes;
    this.#byName = new Map(nodes.map((n) => [n.name, n]));
  }

  /** A snapshot built from nodes and pods; pods bound to a node (spec.nodeName) are counted on it. */
  static of(nodes: readonly Node[], pods: readonly Pod[] = []): Snapshot {
    const infos = nodes.map((n) => new NodeInfo(n));
    const s = new Snapshot(infos);
    for (const p of pods) {
      const name = p.spec?.nodeName;
      if (name) s.get(name)?.addPod(p);
    }
    return s;
  }

  get(name: string): NodeInfo | undefined {
    return this.#byName.get(name);
  }
}
