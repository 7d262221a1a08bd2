// Quota evaluators (upstream's pkg/quota/v1/evaluator/core and generic): what an object costs against a
// ResourceQuota, which quotas it falls under, and what a namespace uses in all. Shared by the ResourceQuota
// admission plugin and the resourcequota controller.
import type { KObject } from '../../api/types.ts';
import { computeQOSClass } from '../../api/validation-pod.ts';
import { matchesLabelSelector } from '../../api/labels.ts';
import { compareQuantities, quantityFromInt, quantityValue, type Quantity } from '../quantity.ts';
import { add, mask, ONE, podLimits, podRequests, resourceList, ZERO, type ResourceList } from './resources.ts';
import type { GroupResource, Operation } from './types.ts';

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const items = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

export interface ScopeSelector {
  scopeName: string;
  operator: string;
  values?: string[];
}

/** The part of an admission request an evaluator looks at. */
export interface QuotaRequest {
  operation: Operation;
  subresource: string;
  object?: KObject;
  oldObject?: KObject;
}

export interface Evaluator {
  readonly groupResource: GroupResource;
  /** Whether a request can change usage at all. */
  handles(req: QuotaRequest): boolean;
  /** The quota resource names (of `names`) this evaluator counts. */
  matchingResources(names: string[]): string[];
  matchesScope(selector: ScopeSelector, obj: KObject): boolean;
  /** What the object costs. `now` decides whether a pod past its deletion grace period still counts. */
  usage(obj: KObject, now?: number): ResourceList;
  /** Why the object cannot be admitted under quotas tracking `required` (undefined when it can). */
  constraints(required: string[], obj: KObject): string | undefined;
}

/** count/<resource>[.<group>]: the object-count quota name of a resource. */
export function objectCountName(gr: GroupResource): string {
  return gr.group ? `count/${gr.resource}.${gr.group}` : `count/${gr.resource}`;
}

function intersection(names: string[], known: readonly string[]): string[] {
  return [...new Set(names.filter((n) => known.includes(n)))].sort();
}

/** Counts objects on create (`count/<resource>`, and a legacy alias such as `configmaps`). */
export function objectCountEvaluator(gr: GroupResource, alias?: string): Evaluator {
  const names = alias ? [objectCountName(gr), alias] : [objectCountName(gr)];
  return {
    groupResource: gr,
    handles: (req) => !req.subresource && req.operation === 'CREATE',
    matchingResources: (input) => intersection(input, names),
    matchesScope: () => false,
    usage: () => new Map(names.map((n) => [n, ONE])),
    constraints: () => undefined,
  };
}

// ---- pods ---------------------------------------------------------------------------------------------

const POD_COUNT = 'count/pods';
const POD_RESOURCES = [
  POD_COUNT,
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
];
const POD_RESOURCE_PREFIXES = ['hugepages-', 'requests.hugepages-'];
/** A mistake upstream keeps for compatibility: quotas on these make every container state them. */
const REQUIRED_IF_TRACKED = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

/** Native resources have no domain, or the kubernetes.io domain. */
function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

/** Extended resources (example.com/gpu) are quota'd as requests.<name>. */
function isExtendedResource(name: string): boolean {
  return !isNativeResource(name) && !name.startsWith('requests.');
}

function isExtendedQuotaName(name: string): boolean {
  const implicitDeviceClass = name.startsWith('requests.deviceclass.resource.kubernetes.io/');
  return (!isNativeResource(name) || implicitDeviceClass) && name.startsWith('requests.');
}

/** What requests and limits cost in quota names (upstream's podComputeUsageHelper). */
export function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = new Map([['pods', ONE]]);
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    const req = requests.get(r);
    if (req) {
      out.set(r, req);
      out.set(`requests.${r}`, req);
    }
    const lim = limits.get(r);
    if (lim) out.set(`limits.${r}`, lim);
  }
  for (const [r, q] of requests) {
    if (r.startsWith('hugepages-')) {
      out.set(r, q);
      out.set(`requests.${r}`, q);
    }
    if (isExtendedResource(r)) out.set(`requests.${r}`, q);
  }
  return out;
}

export function isTerminating(pod: KObject): boolean {
  const ads = pod['spec']?.activeDeadlineSeconds;
  return typeof ads === 'number' && ads >= 0;
}

function isBestEffort(pod: KObject): boolean {
  return computeQOSClass(pod['spec']) === 'BestEffort';
}

function usesCrossNamespaceAffinity(pod: KObject): boolean {
  const aff = pod['spec']?.affinity;
  if (!isObj(aff)) return false;
  const cross = (t: Obj) => (Array.isArray(t['namespaces']) && t['namespaces'].length > 0) || isObj(t['namespaceSelector']);
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const a = aff[kind];
    if (!isObj(a)) continue;
    if (items(a['requiredDuringSchedulingIgnoredDuringExecution']).some(cross)) return true;
    if (items(a['preferredDuringSchedulingIgnoredDuringExecution']).some((w) => isObj(w['podAffinityTerm']) && cross(w['podAffinityTerm']))) return true;
  }
  return false;
}

export function podMatchesScope(selector: ScopeSelector, pod: KObject): boolean {
  switch (selector.scopeName) {
    case 'Terminating':
      return isTerminating(pod);
    case 'NotTerminating':
      return !isTerminating(pod);
    case 'BestEffort':
      return isBestEffort(pod);
    case 'NotBestEffort':
      return !isBestEffort(pod);
    case 'PriorityClass': {
      const pc = pod['spec']?.priorityClassName;
      if (selector.operator === 'Exists') return typeof pc === 'string' && pc !== '';
      const labels: Record<string, string> = typeof pc === 'string' && pc ? { PriorityClass: pc } : {};
      return matchesLabelSelector({ matchExpressions: [{ key: 'PriorityClass', operator: selector.operator, values: selector.values ?? [] }] }, labels);
    }
    case 'CrossNamespacePodAffinity':
      return usesCrossNamespaceAffinity(pod);
    default:
      return false;
  }
}

/** Pods count until they finish, or until their deletion grace period has run out. */
export function podCountsAgainstQuota(pod: KObject, now = Date.now()): boolean {
  const phase = pod['status']?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const meta = pod.metadata ?? {};
  if (meta.deletionTimestamp && meta.deletionGracePeriodSeconds !== undefined) {
    if (now > Date.parse(meta.deletionTimestamp) + meta.deletionGracePeriodSeconds * 1000) return false;
  }
  return true;
}

export function podUsage(pod: KObject, now = Date.now()): ResourceList {
  const out: ResourceList = new Map([[POD_COUNT, ONE]]);
  if (!podCountsAgainstQuota(pod, now)) return out;
  const spec: Obj = isObj(pod['spec']) ? pod['spec'] : {};
  return add(out, computeUsage(podRequests(spec, { overhead: true }), podLimits(spec, { overhead: true })));
}

function hasPodLevelResources(pod: KObject): boolean {
  const r = pod['spec']?.resources;
  return isObj(r) && (Object.keys(isObj(r['requests']) ? r['requests'] : {}).length > 0 || Object.keys(isObj(r['limits']) ? r['limits'] : {}).length > 0);
}

/** "must specify limits.cpu for: a,b; requests.memory for: c" when containers leave out what a quota tracks. */
export function podConstraints(required: string[], pod: KObject): string | undefined {
  if (hasPodLevelResources(pod)) return undefined;
  const wanted = required.filter((r) => REQUIRED_IF_TRACKED.has(r));
  if (!wanted.length) return undefined;
  const missing = new Map<string, Set<string>>();
  const spec: Obj = isObj(pod['spec']) ? pod['spec'] : {};
  for (const c of [...items(spec['containers']), ...items(spec['initContainers'])]) {
    const res: Obj = isObj(c['resources']) ? c['resources'] : {};
    const has = computeUsage(resourceList(res['requests']), resourceList(res['limits']));
    for (const r of wanted) {
      if (has.has(r)) continue;
      if (!missing.has(r)) missing.set(r, new Set());
      missing.get(r)!.add(String(c['name'] ?? ''));
    }
  }
  if (!missing.size) return undefined;
  const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

export const podEvaluator: Evaluator = {
  groupResource: { group: '', resource: 'pods' },
  handles(req) {
    if (req.subresource) return false;
    // An update only matters when it moves the pod between the Terminating and NotTerminating scopes.
    if (req.operation === 'UPDATE' && req.object && req.oldObject) return isTerminating(req.object) !== isTerminating(req.oldObject);
    return req.operation === 'CREATE';
  },
  matchingResources(input) {
    const out = intersection(input, POD_RESOURCES);
    for (const r of input) {
      if (POD_RESOURCE_PREFIXES.some((p) => r.startsWith(p)) || isExtendedQuotaName(r)) out.push(r);
    }
    return out;
  },
  matchesScope: podMatchesScope,
  usage: podUsage,
  constraints: podConstraints,
};

// ---- services -----------------------------------------------------------------------------------------

const SERVICE_RESOURCES = ['count/services', 'services', 'services.nodeports', 'services.loadbalancers'];

export function serviceUsage(svc: KObject): ResourceList {
  const ports = items(svc['spec']?.ports).length;
  const type = svc['spec']?.type;
  const out: ResourceList = new Map([
    ['count/services', ONE],
    ['services', ONE],
    ['services.loadbalancers', ZERO],
    ['services.nodeports', ZERO],
  ]);
  if (type === 'NodePort' || type === 'LoadBalancer') out.set('services.nodeports', quantityFromInt(ports));
  if (type === 'LoadBalancer') out.set('services.loadbalancers', ONE);
  return out;
}

export const serviceEvaluator: Evaluator = {
  groupResource: { group: '', resource: 'services' },
  // The type of a Service can change, and with it what it costs.
  handles: (req) => req.operation === 'CREATE' || req.operation === 'UPDATE',
  matchingResources: (input) => intersection(input, SERVICE_RESOURCES),
  matchesScope: () => false,
  usage: serviceUsage,
  constraints: () => undefined,
};

// ---- persistent volume claims -------------------------------------------------------------------------

const PVC_COUNT = 'count/persistentvolumeclaims';
const PVC_RESOURCES = ['persistentvolumeclaims', 'requests.storage'];
const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';

function storageClassOf(pvc: KObject): string {
  const fromAnnotation = pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'];
  if (fromAnnotation !== undefined) return fromAnnotation;
  const sc = pvc['spec']?.storageClassName;
  return typeof sc === 'string' ? sc : '';
}

/** Storage counted in whole bytes (rounded up), the larger of the request and what was allocated. */
function storageUsage(pvc: KObject): Quantity | undefined {
  const requested = resourceList(pvc['spec']?.resources?.requests).get('storage');
  if (!requested) return undefined;
  const whole = (q: Quantity) => quantityFromInt(quantityValue(q), q.format);
  let out = whole(requested);
  const allocated = resourceList(pvc['status']?.allocatedResources).get('storage');
  if (allocated && compareQuantities(allocated, out) > 0) out = whole(allocated);
  return out;
}

export function pvcUsage(pvc: KObject): ResourceList {
  const out: ResourceList = new Map([
    ['persistentvolumeclaims', ONE],
    [PVC_COUNT, ONE],
  ]);
  const sc = storageClassOf(pvc);
  if (sc) out.set(`${sc}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`, ONE);
  const storage = storageUsage(pvc);
  if (storage) {
    out.set('requests.storage', storage);
    if (sc) out.set(`${sc}${STORAGE_CLASS_SUFFIX}requests.storage`, storage);
  }
  return out;
}

export const pvcEvaluator: Evaluator = {
  groupResource: { group: '', resource: 'persistentvolumeclaims' },
  handles: (req) => req.operation === 'CREATE' || req.operation === 'UPDATE',
  matchingResources(input) {
    return input.filter((r) => r === PVC_COUNT || PVC_RESOURCES.includes(r) || PVC_RESOURCES.some((p) => r.endsWith(STORAGE_CLASS_SUFFIX + p)));
  },
  matchesScope: () => false,
  usage: pvcUsage,
  constraints: () => undefined,
};

// ---- the registry ---------------------------------------------------------------------------------------

/** Resources whose objects are never quota'd: virtual ones that are not stored. */
const IGNORED = new Set([
  '/bindings',
  '/componentstatuses',
  '/events',
  'authentication.k8s.io/tokenreviews',
  'authentication.k8s.io/selfsubjectreviews',
  'authorization.k8s.io/subjectaccessreviews',
  'authorization.k8s.io/selfsubjectaccessreviews',
  'authorization.k8s.io/localsubjectaccessreviews',
  'authorization.k8s.io/selfsubjectrulesreviews',
]);

/** Object counts that also answer to their pre-count/ names. */
const LEGACY_ALIASES: Array<[string, string]> = [
  ['configmaps', 'configmaps'],
  ['resourcequotas', 'resourcequotas'],
  ['replicationcontrollers', 'replicationcontrollers'],
  ['secrets', 'secrets'],
];

export class EvaluatorRegistry {
  readonly #byResource = new Map<string, Evaluator>();

  constructor() {
    for (const e of [podEvaluator, serviceEvaluator, pvcEvaluator]) this.#add(e);
    for (const [resource, alias] of LEGACY_ALIASES) this.#add(objectCountEvaluator({ group: '', resource }, alias));
  }

  #add(e: Evaluator): void {
    this.#byResource.set(`${e.groupResource.group}/${e.groupResource.resource}`, e);
  }

  /** The evaluator for a resource: a special one, or a plain object count; undefined for ignored resources. */
  get(gr: GroupResource): Evaluator | undefined {
    const key = `${gr.group}/${gr.resource}`;
    if (IGNORED.has(key)) return undefined;
    let e = this.#byResource.get(key);
    if (!e) {
      e = objectCountEvaluator(gr);
      this.#add(e);
    }
    return e;
  }

  /** The evaluators with special usage rules and legacy aliases (the controller watches their resources). */
  known(): Evaluator[] {
    return [...this.#byResource.values()];
  }
}

/** Every scope of a quota as a selector: spec.scopes (Exists) and spec.scopeSelector's expressions. */
export function scopeSelectors(quota: KObject): ScopeSelector[] {
  const spec: Obj = isObj(quota['spec']) ? quota['spec'] : {};
  const out: ScopeSelector[] = [];
  for (const s of Array.isArray(spec['scopes']) ? spec['scopes'] : []) out.push({ scopeName: String(s), operator: 'Exists' });
  for (const e of items(isObj(spec['scopeSelector']) ? spec['scopeSelector']['matchExpressions'] : undefined)) {
    out.push({ scopeName: String(e['scopeName'] ?? ''), operator: String(e['operator'] ?? ''), ...(Array.isArray(e['values']) ? { values: e['values'].map(String) } : {}) });
  }
  return out;
}

/** Whether a quota (by its status.hard and scopes) covers the object. */
export function quotaMatches(quota: KObject, obj: KObject, e: Evaluator): boolean {
  const hard = Object.keys(isObj(quota['status']?.hard) ? quota['status'].hard : {});
  if (!e.matchingResources(hard).length) return false;
  return scopeSelectors(quota).every((s) => e.matchesScope(s, obj));
}

/**
 * What a namespace uses of a quota's hard resources (upstream's CalculateUsage): `objectsOf` lists the namespace's
 * objects of a resource. Resources no evaluator counts are left out.
 */
export async function calculateUsage(
  quota: KObject,
  hard: ResourceList,
  registry: EvaluatorRegistry,
  objectsOf: (gr: GroupResource) => Promise<KObject[]>,
  now = Date.now(),
): Promise<ResourceList> {
  const names = [...hard.keys()];
  const selectors = scopeSelectors(quota);
  let used: ResourceList = new Map();
  const evaluators = new Map<string, Evaluator>();
  for (const e of registry.known()) evaluators.set(`${e.groupResource.group}/${e.groupResource.resource}`, e);
  for (const name of names) {
    const gr = countedResource(name);
    if (gr) {
      const e = registry.get(gr);
      if (e) evaluators.set(`${gr.group}/${gr.resource}`, e);
    }
  }
  for (const e of evaluators.values()) {
    const wanted = e.matchingResources(names);
    if (!wanted.length) continue;
    let sum: ResourceList = new Map(wanted.map((n) => [n, ZERO]));
    for (const obj of await objectsOf(e.groupResource)) {
      if (!selectors.every((s) => e.matchesScope(s, obj))) continue;
      sum = add(sum, e.usage(obj, now));
    }
    used = add(used, mask(sum, wanted));
  }
  return used;
}

/** The resource a `count/<resource>[.<group>]` name counts. */
export function countedResource(name: string): GroupResource | undefined {
  if (!name.startsWith('count/')) return undefined;
  const rest = name.slice('count/'.length);
  const dot = rest.indexOf('.');
  return dot < 0 ? { group: '', resource: rest } : { group: rest.slice(dot + 1), resource: rest.slice(0, dot) };
}

