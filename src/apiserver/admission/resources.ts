// ResourceList arithmetic with exact quantities (upstream's k8s.io/apiserver/pkg/quota/v1 resources.go), and what a
// pod requests and limits as a whole (component-helpers' PodRequests / PodLimits).
import type { Quantity } from '../quantity.ts';
import { addQuantities, compareQuantities, isZeroQuantity, quantityFromInt, quantityFromJson, quantityToString, subtractQuantities } from '../quantity.ts';

export type ResourceList = Map<string, Quantity>;

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

/** A JSON ResourceList ({ cpu: '500m', … }); entries that are not quantities are left out. */
export function resourceList(v: unknown): ResourceList {
  const out: ResourceList = new Map();
  if (!isObj(v)) return out;
  for (const [k, q] of Object.entries(v)) {
    try {
      out.set(k, quantityFromJson(q));
    } catch {
      // stored objects were validated; anything else is not a quantity to count
    }
  }
  return out;
}

export function resourceListToJson(l: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...l.keys()].sort()) out[k] = quantityToString(l.get(k)!);
  return out;
}

export const ZERO = quantityFromInt(0);
export const ONE = quantityFromInt(1);

export function add(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a);
  for (const [k, v] of b) {
    const have = out.get(k);
    out.set(k, have ? addQuantities(have, v) : v);
  }
  return out;
}

/** a − b per resource, never below zero (keys of both). */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, v] of a) {
    const other = b.get(k);
    const d = other ? subtractQuantities(v, other) : v;
    out.set(k, compareQuantities(d, ZERO) > 0 ? d : ZERO);
  }
  for (const k of b.keys()) if (!out.has(k)) out.set(k, ZERO);
  return out;
}

export function mask(l: ResourceList, names: Iterable<string>): ResourceList {
  const keep = new Set(names);
  return new Map([...l].filter(([k]) => keep.has(k)));
}

export function equals(a: ResourceList, b: ResourceList): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const other = b.get(k);
    if (!other || compareQuantities(v, other) !== 0) return false;
  }
  return true;
}

/** Whether every resource of `a` that `b` bounds is within it; and the names that are not. */
export function lessThanOrEqual(a: ResourceList, b: ResourceList): { ok: boolean; exceeded: string[] } {
  const exceeded: string[] = [];
  for (const [k, limit] of b) {
    const v = a.get(k);
    if (v && compareQuantities(v, limit) > 0) exceeded.push(k);
  }
  return { ok: exceeded.length === 0, exceeded };
}

export function removeZeros(l: ResourceList): ResourceList {
  return new Map([...l].filter(([, v]) => !isZeroQuantity(v)));
}

export function negativeNames(l: ResourceList): string[] {
  return [...l].filter(([, v]) => compareQuantities(v, ZERO) < 0).map(([k]) => k);
}

/** upstream's prettyPrint: `cpu=2,memory=1Gi` in name order. */
export function prettyPrint(l: ResourceList): string {
  return [...l.keys()].sort().map((k) => `${k}=${quantityToString(l.get(k)!)}`).join(',');
}

function addInto(into: ResourceList, l: ResourceList): void {
  for (const [k, v] of l) {
    const have = into.get(k);
    into.set(k, have ? addQuantities(have, v) : v);
  }
}

function maxInto(into: ResourceList, l: ResourceList): void {
  for (const [k, v] of l) {
    const have = into.get(k);
    if (!have || compareQuantities(v, have) > 0) into.set(k, v);
  }
}

/** Resources a pod can set at pod level (spec.resources), overriding the sum of its containers. */
const POD_LEVEL_RESOURCES = new Set(['cpu', 'memory']);

export interface PodResourceOptions {
  /** Add spec.overhead (quota counts it; LimitRanger does not). */
  overhead?: boolean;
}

function aggregate(spec: Obj, field: 'requests' | 'limits'): ResourceList {
  const out: ResourceList = new Map();
  const of = (c: Obj) => resourceList(isObj(c['resources']) ? c['resources'][field] : undefined);
  for (const c of list(spec['containers'])) addInto(out, of(c));
  // Init containers run one at a time before the rest, except sidecars (restartPolicy Always), which keep running.
  const sidecars: ResourceList = new Map();
  const initMax: ResourceList = new Map();
  for (const c of list(spec['initContainers'])) {
    let r = of(c);
    if (c['restartPolicy'] === 'Always') {
      addInto(out, r);
      addInto(sidecars, r);
      r = new Map(sidecars);
    } else {
      const tmp: ResourceList = new Map(r);
      addInto(tmp, sidecars);
      r = tmp;
    }
    maxInto(initMax, r);
  }
  maxInto(out, initMax);
  const podLevel = isObj(spec['resources']) ? resourceList(spec['resources'][field]) : new Map<string, Quantity>();
  for (const [k, v] of podLevel) if (POD_LEVEL_RESOURCES.has(k)) out.set(k, v);
  return out;
}

/** What the pod requests in all (upstream's PodRequests). */
export function podRequests(spec: Obj, opts: PodResourceOptions = {}): ResourceList {
  const out = aggregate(spec, 'requests');
  if (opts.overhead) addInto(out, resourceList(spec['overhead']));
  return out;
}

/** The pod's limits in all (upstream's PodLimits): overhead is added only to resources that are limited. */
export function podLimits(spec: Obj, opts: PodResourceOptions = {}): ResourceList {
  const out = aggregate(spec, 'limits');
  if (opts.overhead) {
    for (const [k, v] of resourceList(spec['overhead'])) {
      const have = out.get(k);
      if (have) out.set(k, addQuantities(have, v));
    }
  }
  return out;
}
