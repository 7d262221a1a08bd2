// NodeResourcesFit (filter on cpu, memory, ephemeral-storage, pods and extended resources; score by
// LeastAllocated) and NodeResourcesBalancedAllocation (prefer nodes whose cpu and memory use stay even).
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import type { FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework.ts';
import { MAX_NODE_SCORE } from '../framework.ts';
import type { NodeInfo } from '../nodeinfo.ts';
import { isZeroResources, podRequests } from '../resources.ts';
import type { Resources } from '../resources.ts';
import { Status, success, unschedulable } from '../status.ts';

export const NODE_RESOURCES_FIT = 'NodeResourcesFit';
export const NODE_RESOURCES_BALANCED_ALLOCATION = 'NodeResourcesBalancedAllocation';

export interface InsufficientResource {
  resourceName: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
  /** The request exceeds the node's whole allocatable: evicting pods (preemption) cannot help. */
  unresolvable: boolean;
}

function check(out: InsufficientResource[], name: string, want: number, used: number, capacity: number): void {
  if (want > 0 && want > capacity - used) {
    out.push({ resourceName: name, reason: `Insufficient ${name}`, requested: want, used, capacity, unresolvable: want > capacity });
  }
}

/** What the pod lacks on this node, in upstream's order: pods, cpu, memory, ephemeral-storage, the rest. */
export function fitsRequest(req: Resources, node: NodeInfo, ignored: ReadonlySet<string> = new Set()): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  const alloc = node.allocatable;
  if (node.pods.length + 1 > alloc.allowedPodNumber) {
    out.push({ resourceName: 'pods', reason: 'Too many pods', requested: 1, used: node.pods.length, capacity: alloc.allowedPodNumber, unresolvable: false });
  }
  if (isZeroResources(req)) return out;
  check(out, 'cpu', req.milliCPU, node.requested.milliCPU, alloc.milliCPU);
  check(out, 'memory', req.memory, node.requested.memory, alloc.memory);
  check(out, 'ephemeral-storage', req.ephemeralStorage, node.requested.ephemeralStorage, alloc.ephemeralStorage);
  for (const [name, want] of req.scalar) {
    if (ignored.has(name) || (name.includes('/') && ignored.has(name.split('/')[0] ?? ''))) continue;
    check(out, name, want, node.requested.scalar.get(name) ?? 0, alloc.scalar.get(name) ?? 0);
  }
  return out;
}

/** The common case, without allocating: only cpu, memory and ephemeral storage asked, and there is room. */
function fitsQuickly(req: Resources, node: NodeInfo): boolean {
  return req.scalar.size === 0 && node.hasRoomFor(req);
}

/** Resource names scored and their weights (upstream's default: cpu and memory, weight 1 each). */
export interface ResourceSpec {
  name: string;
  weight: number;
}
export const DEFAULT_SCORED_RESOURCES: readonly ResourceSpec[] = [
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 1 },
];

function capacityOf(node: NodeInfo, name: string): number {
  if (name === 'cpu') return node.allocatableMilliCPU;
  if (name === 'memory') return node.allocatableMemory;
  return amountOf(node.allocatable, name);
}

function amountOf(r: Resources, name: string): number {
  if (name === 'cpu') return r.milliCPU;
  if (name === 'memory') return r.memory;
  if (name === 'ephemeral-storage') return r.ephemeralStorage;
  return r.scalar.get(name) ?? 0;
}

/** What the node would have requested of a scored resource with the pod on it; cpu and memory use the non-zero defaults. */
function requestedWith(node: NodeInfo, pod: Resources, podNonZero: Resources, name: string): number {
  if (name === 'cpu') return node.nonZeroRequestedMilliCPU + podNonZero.milliCPU;
  if (name === 'memory') return node.nonZeroRequestedMemory + podNonZero.memory;
  return amountOf(node.requested, name) + amountOf(pod, name);
}

/** LeastAllocated: the free fraction of each resource, 0–100, weighted. */
export function leastAllocatedScore(node: NodeInfo, pod: Resources, podNonZero: Resources, specs: readonly ResourceSpec[] = DEFAULT_SCORED_RESOURCES): number {
  let total = 0;
  let weights = 0;
  for (const { name, weight } of specs) {
    const capacity = capacityOf(node, name);
    if (capacity === 0) continue;
    const requested = requestedWith(node, pod, podNonZero, name);
    const score = requested > capacity ? 0 : Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
    total += score * weight;
    weights += weight;
  }
  return weights === 0 ? 0 : Math.trunc(total / weights);
}

/** BalancedAllocation: 100 × (1 − standard deviation of the requested fractions). */
export function balancedAllocationScore(node: NodeInfo, pod: Resources, podNonZero: Resources, specs: readonly ResourceSpec[] = DEFAULT_SCORED_RESOURCES): number {
  // Two resources (the default) need no list: the deviation of two fractions is half their distance.
  let first = -1;
  let second = -1;
  let count = 0;
  for (const { name } of specs) {
    const capacity = capacityOf(node, name);
    if (capacity === 0) continue;
    const f = Math.min(1, requestedWith(node, pod, podNonZero, name) / capacity);
    if (count === 0) first = f;
    else if (count === 1) second = f;
    count++;
  }
  let std = 0;
  if (count === 2) std = Math.abs(first - second) / 2;
  else if (count > 2) {
    const fractions: number[] = [];
    for (const { name } of specs) {
      const capacity = capacityOf(node, name);
      if (capacity > 0) fractions.push(Math.min(1, requestedWith(node, pod, podNonZero, name) / capacity));
    }
    const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
    std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) ** 2, 0) / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

interface PodState {
  requests: Resources;
  nonZero: Resources;
}

function podState(state: { read<T>(k: string): T | undefined }, key: string, pod: Pod): PodState {
  return state.read<PodState>(key) ?? { requests: podRequests(pod), nonZero: podRequests(pod, true) };
}

export interface FitArgs {
  /** Extended resources not checked by the filter. */
  ignoredResources?: readonly string[];
  /** Extended-resource prefixes (the part before "/") not checked by the filter. */
  ignoredResourceGroups?: readonly string[];
  scoredResources?: readonly ResourceSpec[];
}

const fitKey = `PreFilter${NODE_RESOURCES_FIT}`;

export function newNodeResourcesFit(args: FitArgs = {}): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  const ignored = new Set([...(args.ignoredResources ?? []), ...(args.ignoredResourceGroups ?? [])]);
  const specs = args.scoredResources ?? DEFAULT_SCORED_RESOURCES;
  return {
    name: NODE_RESOURCES_FIT,
    preFilter(state, pod) {
      state.write(fitKey, { requests: podRequests(pod), nonZero: podRequests(pod, true) } satisfies PodState);
      return success();
    },
    filter(state, pod, node) {
      const req = podState(state, fitKey, pod).requests;
      if (fitsQuickly(req, node)) return success();
      const missing = fitsRequest(req, node, ignored);
      if (missing.length === 0) return success();
      const reasons = missing.map((m) => m.reason);
      return missing.some((m) => m.unresolvable) ? new Status('UnschedulableAndUnresolvable', reasons) : unschedulable(...reasons);
    },
    preScore(state, pod) {
      if (state.read(fitKey) === undefined) state.write(fitKey, { requests: podRequests(pod), nonZero: podRequests(pod, true) } satisfies PodState);
      return success();
    },
    score(state, pod, node) {
      const s = podState(state, fitKey, pod);
      return leastAllocatedScore(node, s.requests, s.nonZero, specs);
    },
  };
}

const balancedKey = `PreScore${NODE_RESOURCES_BALANCED_ALLOCATION}`;

export function newNodeResourcesBalancedAllocation(args: { scoredResources?: readonly ResourceSpec[] } = {}): PreScorePlugin & ScorePlugin {
  const specs = args.scoredResources ?? DEFAULT_SCORED_RESOURCES;
  return {
    name: NODE_RESOURCES_BALANCED_ALLOCATION,
    preScore(state, pod) {
      state.write(balancedKey, { requests: podRequests(pod), nonZero: podRequests(pod, true) } satisfies PodState);
      return success();
    },
    score(state, pod, node) {
      const s = podState(state, balancedKey, pod);
      return balancedAllocationScore(node, s.requests, s.nonZero, specs);
    },
  };
}
