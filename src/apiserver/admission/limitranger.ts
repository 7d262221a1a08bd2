// LimitRanger: a namespace's LimitRanges default the requests and limits of new pods' containers, and bound
// containers, pods and PersistentVolumeClaims by min, max and maxLimitRequestRatio.
import type { KObject } from '../../api/types.ts';
import type { Quantity } from '../quantity.ts';
import { quantityMilliValue, quantityToString, quantityValue } from '../quantity.ts';
import type { AdmissionObjects } from './objects.ts';
import { podLimits, podRequests, resourceList, type ResourceList } from './resources.ts';
import { aggregate, forbidden, isResource, type AdmissionPlugin, type Attributes, type Operation } from './types.ts';

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const items = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';
const LIMIT_RANGES = { group: '', resource: 'limitranges' };
/** How long a live lookup of a namespace without cached LimitRanges is trusted (upstream's liveTTL). */
const LIVE_TTL_MS = 30_000;
const MAX_MILLI_VALUE = 9223372036854775807n / 1000n;

function limitItems(lr: KObject): Obj[] {
  return items(isObj(lr['spec']) ? lr['spec']['limits'] : undefined);
}

/** Sets missing container requests and limits from the LimitRange's Container defaults; records what it set. */
export function applyContainerDefaults(lr: KObject, pod: KObject): void {
  const defaults: Obj = {};
  const defaultRequests: Obj = {};
  for (const item of limitItems(lr)) {
    if (item['type'] !== 'Container') continue;
    Object.assign(defaultRequests, isObj(item['defaultRequest']) ? item['defaultRequest'] : {});
    Object.assign(defaults, isObj(item['default']) ? item['default'] : {});
  }
  if (!Object.keys(defaults).length && !Object.keys(defaultRequests).length) return;
  const spec: Obj = isObj(pod['spec']) ? pod['spec'] : {};
  const notes: string[] = [];
  const merge = (c: Obj, what: string) => {
    const res: Obj = isObj(c['resources']) ? c['resources'] : (c['resources'] = {});
    const setLimits: string[] = [];
    const setRequests: string[] = [];
    for (const [k, v] of Object.entries(defaults)) {
      const limits: Obj = isObj(res['limits']) ? res['limits'] : (res['limits'] = {});
      if (!(k in limits)) {
        limits[k] = v;
        setLimits.push(k);
      }
    }
    for (const [k, v] of Object.entries(defaultRequests)) {
      const requests: Obj = isObj(res['requests']) ? res['requests'] : (res['requests'] = {});
      if (!(k in requests)) {
        requests[k] = v;
        setRequests.push(k);
      }
    }
    if (setRequests.length) notes.push(`${setRequests.sort().join(', ')} request for ${what} ${c['name']}`);
    if (setLimits.length) notes.push(`${setLimits.sort().join(', ')} limit for ${what} ${c['name']}`);
  };
  for (const c of items(spec['containers'])) merge(c, 'container');
  for (const c of items(spec['initContainers'])) merge(c, 'init container');
  if (notes.length) {
    const meta = (pod.metadata ??= {});
    meta.annotations = { ...(meta.annotations ?? {}), [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}` };
  }
}

/** Request, limit and bound at a common precision: millis unless a value is too large for them (upstream's requestLimitEnforcedValues). */
function comparable(...qs: Array<Quantity | undefined>): bigint[] {
  const values = qs.map((q) => (q ? quantityValue(q) : 0n));
  if (values.every((v) => v <= MAX_MILLI_VALUE)) return qs.map((q) => (q ? quantityMilliValue(q) : 0n));
  return values;
}

function minConstraint(type: string, name: string, bound: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  const [r, l, b] = comparable(req, lim, bound) as [bigint, bigint, bigint];
  const enforced = quantityToString(bound);
  if (!req) return `minimum ${name} usage per ${type} is ${enforced}.  No request is specified`;
  if (r < b) return `minimum ${name} usage per ${type} is ${enforced}, but request is ${quantityToString(req)}`;
  if (lim && l < b) return `minimum ${name} usage per ${type} is ${enforced}, but limit is ${quantityToString(lim)}`;
  return undefined;
}

function maxConstraint(type: string, name: string, bound: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  const [r, l, b] = comparable(req, lim, bound) as [bigint, bigint, bigint];
  const enforced = quantityToString(bound);
  if (!lim) return `maximum ${name} usage per ${type} is ${enforced}.  No limit is specified`;
  if (l > b) return `maximum ${name} usage per ${type} is ${enforced}, but limit is ${quantityToString(lim)}`;
  if (req && r > b) return `maximum ${name} usage per ${type} is ${enforced}, but request is ${quantityToString(req)}`;
  return undefined;
}

/** For PersistentVolumeClaims, where only requests are user input. */
function maxRequestConstraint(type: string, name: string, bound: Quantity, requests: ResourceList): string | undefined {
  const req = requests.get(name);
  const [r, , b] = comparable(req, undefined, bound) as [bigint, bigint, bigint];
  const enforced = quantityToString(bound);
  if (!req) return `maximum ${name} usage per ${type} is ${enforced}.  No request is specified`;
  if (r > b) return `maximum ${name} usage per ${type} is ${enforced}, but request is ${quantityToString(req)}`;
  return undefined;
}

function ratioConstraint(type: string, name: string, bound: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  const [r, l] = comparable(req, lim, bound) as [bigint, bigint, bigint];
  const enforced = quantityToString(bound);
  if (!req || r === 0n) return `${name} max limit to request ratio per ${type} is ${enforced}, but no request is specified or request is 0`;
  if (!lim || l === 0n) return `${name} max limit to request ratio per ${type} is ${enforced}, but no limit is specified or limit is 0`;
  const observed = Number(l) / Number(r);
  const boundValue = quantityValue(bound);
  const exceeds = boundValue <= MAX_MILLI_VALUE ? observed * 1000 > Number(quantityMilliValue(bound)) : observed > Number(boundValue);
  if (exceeds) return `${name} max limit to request ratio per ${type} is ${enforced}, but provided ratio is ${observed.toFixed(6)}`;
  return undefined;
}

function checkItem(item: Obj, type: string, requests: ResourceList, limits: ResourceList, out: string[]): void {
  const push = (m: string | undefined) => m && out.push(m);
  for (const [k, q] of resourceList(item['min'])) push(minConstraint(type, k, q, requests, limits));
  for (const [k, q] of resourceList(item['max'])) push(maxConstraint(type, k, q, requests, limits));
  for (const [k, q] of resourceList(item['maxLimitRequestRatio'])) push(ratioConstraint(type, k, q, requests, limits));
}

/** What a LimitRange finds wrong with a pod (empty when it fits). */
export function podLimitViolations(lr: KObject, pod: KObject): string[] {
  const out: string[] = [];
  const spec: Obj = isObj(pod['spec']) ? pod['spec'] : {};
  for (const item of limitItems(lr)) {
    if (item['type'] === 'Container') {
      for (const c of [...items(spec['containers']), ...items(spec['initContainers'])]) {
        const res: Obj = isObj(c['resources']) ? c['resources'] : {};
        checkItem(item, 'Container', resourceList(res['requests']), resourceList(res['limits']), out);
      }
    } else if (item['type'] === 'Pod') {
      checkItem(item, 'Pod', podRequests(spec), podLimits(spec), out);
    }
  }
  return out;
}

/** What a LimitRange finds wrong with a PersistentVolumeClaim's storage request. */
export function pvcLimitViolations(lr: KObject, pvc: KObject): string[] {
  const out: string[] = [];
  const spec: Obj = isObj(pvc['spec']) ? pvc['spec'] : {};
  const requests = resourceList(isObj(spec['resources']) ? spec['resources']['requests'] : undefined);
  for (const item of limitItems(lr)) {
    if (item['type'] !== 'PersistentVolumeClaim') continue;
    for (const [k, q] of resourceList(item['min'])) {
      const m = minConstraint('PersistentVolumeClaim', k, q, requests, new Map());
      if (m) out.push(m);
    }
    for (const [k, q] of resourceList(item['max'])) {
      const m = maxRequestConstraint('PersistentVolumeClaim', k, q, requests);
      if (m) out.push(m);
    }
  }
  return out;
}

export class LimitRanger implements AdmissionPlugin {
  readonly name = 'LimitRanger';
  readonly #live = new Map<string, { expires: number; items: KObject[] }>();

  constructor(
    readonly objects: AdmissionObjects,
    readonly now: () => number = Date.now,
  ) {}

  handles(operation: Operation): boolean {
    return operation === 'CREATE' || operation === 'UPDATE';
  }

  #supports(attrs: Attributes): boolean {
    if (attrs.subresource || !attrs.object || !attrs.namespace) return false;
    // Containers cannot change after creation, so pod updates are not checked again.
    if (isResource(attrs, '', 'pods')) return attrs.operation === 'CREATE';
    if (!isResource(attrs, '', 'persistentvolumeclaims')) return false;
    return !attrs.oldObject?.metadata?.deletionTimestamp;
  }

  /** The namespace's LimitRanges; with none cached, storage is asked (once per namespace per 30 s). */
  async limitRanges(namespace: string): Promise<KObject[]> {
    const cached = this.objects.list(LIMIT_RANGES, namespace);
    if (cached.length) return cached;
    const entry = this.#live.get(namespace);
    if (entry && entry.expires > this.now()) return entry.items;
    const live = await this.objects.listLive(LIMIT_RANGES, namespace);
    this.#live.set(namespace, { expires: this.now() + LIVE_TTL_MS, items: live });
    if (this.#live.size > 10_000) this.#live.delete(this.#live.keys().next().value!);
    return live;
  }

  async admit(attrs: Attributes): Promise<void> {
    if (!this.#supports(attrs) || !isResource(attrs, '', 'pods')) return;
    for (const lr of await this.limitRanges(attrs.namespace)) applyContainerDefaults(lr, attrs.object!);
  }

  async validate(attrs: Attributes): Promise<void> {
    if (!this.#supports(attrs)) return;
    const check = isResource(attrs, '', 'pods') ? podLimitViolations : pvcLimitViolations;
    for (const lr of await this.limitRanges(attrs.namespace)) {
      const problems = check(lr, attrs.object!);
      if (problems.length) throw forbidden(attrs, aggregate(problems));
    }
  }
}
