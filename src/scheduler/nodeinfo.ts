// NodeInfo: one node as the scheduler sees it in a snapshot — the node, its pods, what they request
// and which host ports they hold.
import type { ContainerPort, Node, Pod, Taint } from 'kubernetes-types/core/v1.d.ts';
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
  // Copies of what every filter reads, first in the object: filtering a node then touches this one object
  // (at 5,000 nodes the cycle is bound by memory reads, not by arithmetic).
  #name = '';
  #taints: readonly Taint[] | undefined;
  #unschedulable = false;
  #freePods = 0;
  #freeMilliCPU = 0;
  #freeMemory = 0;
  #freeEphemeralStorage = 0;
  #allocatableMilliCPU = 0;
  #allocatableMemory = 0;
  #nonZeroMilliCPU = 0;
  #nonZeroMemory = 0;
  #node: Node;
  #allocatable: Allocatable;
  readonly pods: PodInfo[] = [];
  readonly requested: Resources = emptyResources();
  readonly nonZeroRequested: Resources = emptyResources();
  readonly usedPorts = new HostPortInfo();
  /** Pods with any pod (anti-)affinity, and those with required anti-affinity: InterPodAffinity scans only these. */
  readonly podsWithAffinity: PodInfo[] = [];
  readonly podsWithRequiredAntiAffinity: PodInfo[] = [];

  constructor(node: Node, pods: readonly (Pod | PodInfo)[] = []) {
    this.#node = node;
    this.#allocatable = nodeAllocatable(node);
    this.#refresh();
    for (const p of pods) this.addPod(p);
  }

  #refresh(): void {
    const n = this.#node;
    this.#name = n.metadata?.name ?? '';
    this.#taints = n.spec?.taints && n.spec.taints.length > 0 ? n.spec.taints : undefined;
    this.#unschedulable = n.spec?.unschedulable === true;
    const a = this.#allocatable;
    this.#freePods = a.allowedPodNumber - this.pods.length;
    this.#freeMilliCPU = a.milliCPU - this.requested.milliCPU;
    this.#freeMemory = a.memory - this.requested.memory;
    this.#freeEphemeralStorage = a.ephemeralStorage - this.requested.ephemeralStorage;
    this.#allocatableMilliCPU = a.milliCPU;
    this.#allocatableMemory = a.memory;
    this.#nonZeroMilliCPU = this.nonZeroRequested.milliCPU;
    this.#nonZeroMemory = this.nonZeroRequested.memory;
  }

  /** For scoring: allocatable cpu (millicores) and memory, and what the pods request with the non-zero defaults. */
  get allocatableMilliCPU(): number {
    return this.#allocatableMilliCPU;
  }

  get allocatableMemory(): number {
    return this.#allocatableMemory;
  }

  get nonZeroRequestedMilliCPU(): number {
    return this.#nonZeroMilliCPU;
  }

  get nonZeroRequestedMemory(): number {
    return this.#nonZeroMemory;
  }

  /** Room for one more pod asking this much cpu, memory and ephemeral storage (other resources are not looked at). */
  hasRoomFor(req: Resources): boolean {
    return (
      this.#freePods > 0 &&
      (req.milliCPU === 0 || req.milliCPU <= this.#freeMilliCPU) &&
      (req.memory === 0 || req.memory <= this.#freeMemory) &&
      (req.ephemeralStorage === 0 || req.ephemeralStorage <= this.#freeEphemeralStorage)
    );
  }

  /** The node's taints, undefined when it has none. */
  get taints(): readonly Taint[] | undefined {
    return this.#taints;
  }

  /** spec.unschedulable (cordoned). */
  get unschedulable(): boolean {
    return this.#unschedulable;
  }

  get node(): Node {
    return this.#node;
  }

  get allocatable(): Allocatable {
    return this.#allocatable;
  }

  get name(): string {
    return this.#name;
  }

  /** The node object changed (labels, taints, allocatable…): its pods stay. */
  setNode(node: Node): void {
    this.#node = node;
    this.#allocatable = nodeAllocatable(node);
    this.#refresh();
  }

  /** A copy whose pod list can change without touching this one (the PodInfos are shared, being immutable). */
  clone(): NodeInfo {
    return new NodeInfo(this.#node, this.pods);
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
    this.#freePods--;
    this.#freeMilliCPU -= info.requests.milliCPU;
    this.#freeMemory -= info.requests.memory;
    this.#freeEphemeralStorage -= info.requests.ephemeralStorage;
    this.#nonZeroMilliCPU += info.nonZeroRequests.milliCPU;
    this.#nonZeroMemory += info.nonZeroRequests.memory;
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
    this.#freePods++;
    this.#freeMilliCPU += info.requests.milliCPU;
    this.#freeMemory += info.requests.memory;
    this.#freeEphemeralStorage += info.requests.ephemeralStorage;
    this.#nonZeroMilliCPU -= info.nonZeroRequests.milliCPU;
    this.#nonZeroMemory -= info.nonZeroRequests.memory;
    return true;
  }
}

/** Which nodes hold pods with pod (anti-)affinity, kept by whoever keeps the NodeInfos (the scheduler's cache). */
export interface AffinityIndex {
  havePodsWithAffinity(): readonly NodeInfo[];
  havePodsWithRequiredAntiAffinity(): readonly NodeInfo[];
}

/** The nodes of one scheduling cycle, in a fixed order. */
export class Snapshot {
  readonly nodes: readonly NodeInfo[];
  readonly #byName: Map<string, NodeInfo>;
  readonly #index: AffinityIndex | undefined;

  constructor(nodes: readonly NodeInfo[], index?: AffinityIndex) {
    this.nodes = nodes;
    this.#byName = new Map(nodes.map((n) => [n.name, n]));
    this.#index = index;
  }

  /** Nodes with at least one pod having pod affinity or anti-affinity (InterPodAffinity scans only these). */
  havePodsWithAffinity(): readonly NodeInfo[] {
    return this.#index ? this.#index.havePodsWithAffinity() : this.nodes.filter((n) => n.podsWithAffinity.length > 0);
  }

  /** Nodes with at least one pod having required anti-affinity. */
  havePodsWithRequiredAntiAffinity(): readonly NodeInfo[] {
    return this.#index ? this.#index.havePodsWithRequiredAntiAffinity() : this.nodes.filter((n) => n.podsWithRequiredAntiAffinity.length > 0);
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
