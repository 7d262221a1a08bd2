// Resource arithmetic for scheduling: what a pod requests and what a node offers, as plain numbers
// (millicores for cpu, whole units for everything else).
import type { Container, Node, Pod } from 'kubernetes-types/core/v1.d.ts';
import { quantityFromJson, quantityMilliValue, quantityValue } from '../apiserver/quantity.ts';

export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Every other resource: extended resources (example.com/gpu), hugepages-*, … */
  scalar: Map<string, number>;
}

/** upstream's defaults for scoring pods that request nothing: 100m cpu and 200 MiB memory. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: new Map() };
}

export function cloneResources(r: Resources): Resources {
  return { milliCPU: r.milliCPU, memory: r.memory, ephemeralStorage: r.ephemeralStorage, scalar: new Map(r.scalar) };
}

export function isZeroResources(r: Resources): boolean {
  return r.milliCPU === 0 && r.memory === 0 && r.ephemeralStorage === 0 && r.scalar.size === 0;
}

function amount(name: string, v: unknown): number {
  const q = quantityFromJson(v);
  return Number(name === 'cpu' ? quantityMilliValue(q) : quantityValue(q));
}

/** A ResourceList ({ cpu: '500m', memory: '1Gi', … }) as Resources; `pods` is left out. */
export function resourcesFromList(list: Readonly<Record<string, unknown>> | undefined): Resources {
  const r = emptyResources();
  for (const [name, v] of Object.entries(list ?? {})) addOne(r, name, amount(name, v));
  return r;
}

function addOne(r: Resources, name: string, v: number): void {
  if (name === 'cpu') r.milliCPU += v;
  else if (name === 'memory') r.memory += v;
  else if (name === 'ephemeral-storage') r.ephemeralStorage += v;
  else if (name !== 'pods') r.scalar.set(name, (r.scalar.get(name) ?? 0) + v);
}

export function addResources(into: Resources, r: Resources, sign = 1): void {
  into.milliCPU += sign * r.milliCPU;
  into.memory += sign * r.memory;
  into.ephemeralStorage += sign * r.ephemeralStorage;
  for (const [name, v] of r.scalar) {
    const next = (into.scalar.get(name) ?? 0) + sign * v;
    if (next === 0) into.scalar.delete(name);
    else into.scalar.set(name, next);
  }
}

function maxInto(into: Resources, r: Resources): void {
  into.milliCPU = Math.max(into.milliCPU, r.milliCPU);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  for (const [name, v] of r.scalar) into.scalar.set(name, Math.max(into.scalar.get(name) ?? 0, v));
}

function containerRequests(c: Container, nonZero: boolean): Resources {
  const r = resourcesFromList(c.resources?.requests);
  if (nonZero) {
    const req = c.resources?.requests ?? {};
    if (!('cpu' in req)) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (!('memory' in req)) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

interface Memo {
  initContainers: unknown;
  overhead: unknown;
  plain?: Resources;
  nonZero?: Resources;
}
/** Requests by the pod's containers array: the scheduler asks for the same pod's requests several times a cycle. */
const memo = new WeakMap<object, Memo>();

/**
 * The pod's effective request (memoized: treat it as read-only), as upstream computes it: the sum of its containers and its sidecars
 * (restartable init containers), or the largest init-container peak if bigger, plus spec.overhead.
 * With `nonZero`, containers that request no cpu/memory count as 100m / 200Mi (used for scoring only).
 */
export function podRequests(pod: Pod, nonZero = false): Resources {
  const containers = pod.spec?.containers;
  if (!containers) return computePodRequests(pod, nonZero);
  let m = memo.get(containers);
  if (!m || m.initContainers !== pod.spec?.initContainers || m.overhead !== pod.spec?.overhead) {
    m = { initContainers: pod.spec?.initContainers, overhead: pod.spec?.overhead };
    memo.set(containers, m);
  }
  return nonZero ? (m.nonZero ??= computePodRequests(pod, true)) : (m.plain ??= computePodRequests(pod, false));
}

function computePodRequests(pod: Pod, nonZero: boolean): Resources {
  const sum = emptyResources();
  for (const c of pod.spec?.containers ?? []) addResources(sum, containerRequests(c, nonZero));
  const sidecars = emptyResources();
  const initPeak = emptyResources();
  for (const c of pod.spec?.initContainers ?? []) {
    const r = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      addResources(sidecars, r);
      maxInto(initPeak, sidecars);
    } else {
      const peak = cloneResources(r);
      addResources(peak, sidecars);
      maxInto(initPeak, peak);
    }
  }
  addResources(sum, sidecars);
  maxInto(sum, initPeak);
  if (pod.spec?.overhead) addResources(sum, resourcesFromList(pod.spec.overhead));
  return sum;
}

export interface Allocatable extends Resources {
  allowedPodNumber: number;
}

/** node.status.allocatable as numbers; `pods` becomes allowedPodNumber. */
export function nodeAllocatable(node: Node): Allocatable {
  const list = node.status?.allocatable ?? {};
  const pods = list['pods'];
  return { ...resourcesFromList(list), allowedPodNumber: pods === undefined ? 0 : amount('pods', pods) };
}
