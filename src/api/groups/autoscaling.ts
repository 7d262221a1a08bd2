// autoscaling/v1 and autoscaling/v2 HorizontalPodAutoscalers: one stored object (autoscaling/v2's shape)
// seen through two versions. v1 keeps what it cannot express in the annotations upstream uses.
import type { FieldError, KObject, ResourceType } from '../types.ts';
import { ensureObj, setDefault } from '../defaults.ts';
import { fieldError, nameIsDNSSubdomain, nameIsPathSegment, path } from '../validation.ts';
import { CRUD_VERBS, isObj, list, metaValidation, specOrEmpty, statusHooks, str, type Obj } from './common.ts';

export const HPA_ANNOTATIONS = {
  metrics: 'autoscaling.alpha.kubernetes.io/metrics',
  behavior: 'autoscaling.alpha.kubernetes.io/behavior',
  currentMetrics: 'autoscaling.alpha.kubernetes.io/current-metrics',
  conditions: 'autoscaling.alpha.kubernetes.io/conditions',
};
const DEFAULT_CPU_UTILIZATION = 80;

const base = (version: 'v1' | 'v2') => ({
  group: 'autoscaling',
  version,
  kind: 'HorizontalPodAutoscaler',
  listKind: 'HorizontalPodAutoscalerList',
  plural: 'horizontalpodautoscalers',
  singular: 'horizontalpodautoscaler',
  namespaced: true,
  shortNames: ['hpa'],
  categories: ['all'],
  verbs: CRUD_VERBS,
  subresources: ['status'],
  schemaType: `io.k8s.api.autoscaling.${version}.HorizontalPodAutoscaler`,
  storageResource: 'horizontalpodautoscalers',
  hasGeneration: false,
});

// ---------------------------------------------------------------------------------------------
// v1 ↔ v2.

const isCPUUtilization = (m: Obj): boolean =>
  m['type'] === 'Resource' && isObj(m['resource']) && m['resource']['name'] === 'cpu' && isObj(m['resource']['target']) && m['resource']['target']['type'] === 'Utilization';

function parseAnnotation(meta: Obj, key: string): unknown {
  const raw = isObj(meta['annotations']) ? meta['annotations'][key] : undefined;
  if (typeof raw !== 'string') return undefined;
  delete meta['annotations'][key];
  if (!Object.keys(meta['annotations']).length) delete meta['annotations'];
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function setAnnotation(meta: Obj, key: string, value: unknown): void {
  (meta['annotations'] ??= {})[key] = JSON.stringify(value);
}

/** autoscaling/v1 → autoscaling/v2 (the stored form). */
export function hpaV1ToV2(obj: KObject): KObject {
  const out: KObject = structuredClone(obj);
  out.apiVersion = 'autoscaling/v2';
  const meta: Obj = (out.metadata ??= {});
  const s: Obj = isObj(out['spec']) ? out['spec'] : {};
  const metrics: Obj[] = [];
  if (typeof s['targetCPUUtilizationPercentage'] === 'number') {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: s['targetCPUUtilizationPercentage'] } } });
  }
  const extra = parseAnnotation(meta, HPA_ANNOTATIONS.metrics);
  if (Array.isArray(extra)) metrics.push(...extra.filter(isObj));
  const behavior = parseAnnotation(meta, HPA_ANNOTATIONS.behavior);
  const spec: Obj = { scaleTargetRef: s['scaleTargetRef'], maxReplicas: s['maxReplicas'] };
  if (s['minReplicas'] !== undefined) spec['minReplicas'] = s['minReplicas'];
  if (metrics.length) spec['metrics'] = metrics;
  if (isObj(behavior)) spec['behavior'] = behavior;
  out['spec'] = spec;
  const st = out['status'];
  const currentMetrics = parseAnnotation(meta, HPA_ANNOTATIONS.currentMetrics);
  const conditions = parseAnnotation(meta, HPA_ANNOTATIONS.conditions);
  if (isObj(st)) {
    const status: Obj = {};
    for (const k of ['observedGeneration', 'lastScaleTime', 'currentReplicas', 'desiredReplicas']) if (st[k] !== undefined) status[k] = st[k];
    const cm: Obj[] = [];
    if (typeof st['currentCPUUtilizationPercentage'] === 'number') {
      cm.push({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: st['currentCPUUtilizationPercentage'] } } });
    }
    if (Array.isArray(currentMetrics)) cm.push(...currentMetrics.filter(isObj));
    if (cm.length) status['currentMetrics'] = cm;
    if (Array.isArray(conditions)) status['conditions'] = conditions;
    out['status'] = status;
  }
  return out;
}

/** autoscaling/v2 (stored) → autoscaling/v1. */
export function hpaV2ToV1(obj: KObject): KObject {
  const out: KObject = structuredClone(obj);
  out.apiVersion = 'autoscaling/v1';
  const meta: Obj = (out.metadata ??= {});
  const s: Obj = isObj(out['spec']) ? out['spec'] : {};
  const spec: Obj = { scaleTargetRef: s['scaleTargetRef'], maxReplicas: s['maxReplicas'] };
  if (s['minReplicas'] !== undefined) spec['minReplicas'] = s['minReplicas'];
  const others: Obj[] = [];
  for (const m of list(s['metrics'])) {
    if (isCPUUtilization(m) && spec['targetCPUUtilizationPercentage'] === undefined) spec['targetCPUUtilizationPercentage'] = m['resource']['target']['averageUtilization'];
    else others.push(m);
  }
  if (others.length) setAnnotation(meta, HPA_ANNOTATIONS.metrics, others);
  if (isObj(s['behavior'])) setAnnotation(meta, HPA_ANNOTATIONS.behavior, s['behavior']);
  out['spec'] = spec;
  const st = out['status'];
  if (isObj(st)) {
    const status: Obj = { currentReplicas: st['currentReplicas'] ?? 0, desiredReplicas: st['desiredReplicas'] ?? 0 };
    for (const k of ['observedGeneration', 'lastScaleTime']) if (st[k] !== undefined) status[k] = st[k];
    const otherCurrent: Obj[] = [];
    for (const m of list(st['currentMetrics'])) {
      const cur = isObj(m['resource']) && isObj(m['resource']['current']) ? m['resource']['current'] : undefined;
      if (m['type'] === 'Resource' && m['resource']['name'] === 'cpu' && cur && typeof cur['averageUtilization'] === 'number' && status['currentCPUUtilizationPercentage'] === undefined) {
        status['currentCPUUtilizationPercentage'] = cur['averageUtilization'];
      } else otherCurrent.push(m);
    }
    if (otherCurrent.length) setAnnotation(meta, HPA_ANNOTATIONS.currentMetrics, otherCurrent);
    if (list(st['conditions']).length) setAnnotation(meta, HPA_ANNOTATIONS.conditions, st['conditions']);
    out['status'] = status;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Defaults and validation.

function defaultScalingRules(rules: unknown, up: boolean): Obj {
  const r: Obj = isObj(rules) ? rules : {};
  setDefault(r, 'selectPolicy', 'Max');
  if (up) setDefault(r, 'stabilizationWindowSeconds', 0);
  setDefault(
    r,
    'policies',
    up
      ? [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ]
      : [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  );
  return r;
}

function defaultV2(obj: KObject): void {
  const s = ensureObj(obj, 'spec');
  setDefault(s, 'minReplicas', 1);
  if (!list(s['metrics']).length) {
    s['metrics'] = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  }
  if (isObj(s['behavior'])) {
    s['behavior']['scaleUp'] = defaultScalingRules(s['behavior']['scaleUp'], true);
    s['behavior']['scaleDown'] = defaultScalingRules(s['behavior']['scaleDown'], false);
  }
}

function validateScaleTargetRef(ref: unknown): FieldError[] {
  const r: Obj = isObj(ref) ? ref : {};
  const errs: FieldError[] = [];
  if (!r['kind']) errs.push(fieldError.required('spec.scaleTargetRef.kind'));
  else for (const m of nameIsPathSegment(str(r['kind']), false)) errs.push(fieldError.invalid('spec.scaleTargetRef.kind', r['kind'], m));
  if (!r['name']) errs.push(fieldError.required('spec.scaleTargetRef.name'));
  else for (const m of nameIsPathSegment(str(r['name']), false)) errs.push(fieldError.invalid('spec.scaleTargetRef.name', r['name'], m));
  return errs;
}

function validateReplicaBounds(s: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const min = s['minReplicas'];
  if (typeof min === 'number' && min < 1) errs.push(fieldError.invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  const max = Number(s['maxReplicas'] ?? 0);
  if (max < 1) errs.push(fieldError.invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (typeof min === 'number' && max < min) errs.push(fieldError.invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  return errs;
}

function validateV1(obj: KObject): FieldError[] {
  const s = specOrEmpty(obj);
  const errs = [...validateReplicaBounds(s), ...validateScaleTargetRef(s['scaleTargetRef'])];
  const t = s['targetCPUUtilizationPercentage'];
  if (typeof t === 'number' && t < 1) errs.push(fieldError.invalid('spec.targetCPUUtilizationPercentage', t, 'must be greater than 0'));
  return errs;
}

const METRIC_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];

function validateMetricTarget(t: unknown, field: string): FieldError[] {
  if (!isObj(t)) return [fieldError.required(field)];
  const errs: FieldError[] = [];
  const type = str(t['type']);
  if (!type) errs.push(fieldError.required(`${field}.type`, 'must specify a metric target type'));
  else if (!['AverageValue', 'Utilization', 'Value'].includes(type)) errs.push(fieldError.notSupported(`${field}.type`, type, ['AverageValue', 'Utilization', 'Value']));
  if (typeof t['averageUtilization'] === 'number' && t['averageUtilization'] < 1) errs.push(fieldError.invalid(`${field}.averageUtilization`, t['averageUtilization'], 'must be greater than 0'));
  if (type === 'Utilization' && (t['averageUtilization'] === undefined || t['averageUtilization'] === null)) errs.push(fieldError.required(`${field}.averageUtilization`, 'must set averageUtilization when metric target type is Utilization'));
  return errs;
}

function validateV2(obj: KObject): FieldError[] {
  const s = specOrEmpty(obj);
  const errs = [...validateReplicaBounds(s), ...validateScaleTargetRef(s['scaleTargetRef'])];
  list(s['metrics']).forEach((m, i) => {
    const p = path.index('spec.metrics', i);
    const type = str(m['type']);
    if (!type) {
      errs.push(fieldError.required(`${p}.type`, 'must specify a metric source type'));
      return;
    }
    if (!METRIC_TYPES.includes(type)) {
      errs.push(fieldError.notSupported(`${p}.type`, type, METRIC_TYPES));
      return;
    }
    const key = type[0]!.toLowerCase() + type.slice(1);
    const src = m[key];
    if (!isObj(src)) {
      errs.push(fieldError.required(`${p}.${key}`, `must populate information for the given metric source (type ${type})`));
      return;
    }
    if ((type === 'Resource' || type === 'ContainerResource') && !src['name']) errs.push(fieldError.required(`${p}.${key}.name`, 'must specify a resource name'));
    errs.push(...validateMetricTarget(src['target'], `${p}.${key}.target`));
  });
  return errs;
}

const hpaV1: ResourceType = {
  ...base('v1'),
  defaults(obj) {
    setDefault(ensureObj(obj, 'spec'), 'minReplicas', 1);
  },
  ...statusHooks(() => ({ currentReplicas: 0, desiredReplicas: 0 })),
  ...metaValidation(true, nameIsDNSSubdomain, validateV1),
  convertToStorage: hpaV1ToV2,
  convertFromStorage: hpaV2ToV1,
};

const hpaV2: ResourceType = {
  ...base('v2'),
  defaults: defaultV2,
  ...statusHooks(() => ({ desiredReplicas: 0 })),
  ...metaValidation(true, nameIsDNSSubdomain, validateV2),
};

// v2 first: it is the preferred (and stored) version.
export const resources: ResourceType[] = [hpaV2, hpaV1];
