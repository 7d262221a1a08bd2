// apps/v1: Deployments, ReplicaSets, DaemonSets, StatefulSets, ControllerRevisions.
import type { FieldError, KObject, ResourceType } from '../types.ts';
import { defaultPodTemplateSpec, ensureObj, setDefault } from '../defaults.ts';
import {
  fieldError, isValidPercent, nameIsDNSSubdomain, selectorIsEmpty, selectorMatches, semanticEqual, validateImmutable, validateLabelSelector,
  validateNonnegative, type LabelSelector,
} from '../validation.ts';
import { validatePodTemplateSpec } from '../validation-pod.ts';
import { validateAnnotations, validateLabels } from '../validation.ts';
import { builtinResource, isObj, metaValidation, spec, specOrEmpty, statusHooks, str, type Obj } from './common.ts';

const resource = builtinResource('apps', 'v1', 'apps');
const base = (kind: string, plural: string, singular: string) => resource(kind, plural, singular, true);

const SCALE = { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' };

/** Go prints maps with sorted keys. */
const sortedMap = (m: unknown): unknown => (isObj(m) ? Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]])) : (m ?? null));
/** A LabelSelector as Go's json prints it: matchLabels, then matchExpressions. */
export function selectorValue(sel: unknown): unknown {
  if (!isObj(sel)) return sel ?? null;
  const out: Obj = {};
  if (isObj(sel['matchLabels']) && Object.keys(sel['matchLabels']).length) out['matchLabels'] = sortedMap(sel['matchLabels']);
  if (Array.isArray(sel['matchExpressions']) && sel['matchExpressions'].length) out['matchExpressions'] = sel['matchExpressions'];
  return out;
}

const templateLabels = (tpl: unknown): Record<string, string> =>
  isObj(tpl) && isObj(tpl['metadata']) && isObj(tpl['metadata']['labels']) ? tpl['metadata']['labels'] : {};

// ---------------------------------------------------------------------------------------------
// Shared pieces of workload validation.

/** IntOrString as a count or a percentage. */
function validatePositiveIntOrPercent(v: unknown, field: string): FieldError[] {
  if (typeof v === 'string') return isValidPercent(v).map((m) => fieldError.invalid(field, v, m));
  if (typeof v === 'number') return validateNonnegative(v, field);
  if (v === undefined || v === null) return [];
  return [fieldError.invalid(field, v, "must be an integer or percentage (e.g '5%')")];
}

function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+%$/.test(v)) return Number(v.slice(0, -1));
  return 0;
}

function notMoreThan100Percent(v: unknown, field: string): FieldError[] {
  if (typeof v !== 'string' || !/^\d+%$/.test(v) || Number(v.slice(0, -1)) <= 100) return [];
  return [fieldError.invalid(field, v, 'must not be greater than 100%')];
}

/** ValidatePodTemplateSpecForReplicaSet (Deployments and ReplicaSets). */
function validateTemplateForReplicaSet(s: Obj, kindLabel: string): FieldError[] {
  const errs: FieldError[] = [];
  const tpl = s['template'];
  if (!isObj(tpl)) return [fieldError.required('spec.template')];
  const sel = s['selector'] as LabelSelector | undefined;
  if (!selectorIsEmpty(sel) && !selectorMatches(sel, templateLabels(tpl))) {
    errs.push(fieldError.invalid('spec.template.metadata.labels', sortedMap(templateLabels(tpl)), '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(tpl, 'spec.template'));
  const ts: Obj = isObj(tpl['spec']) ? tpl['spec'] : {};
  if (ts['restartPolicy'] !== 'Always') errs.push(fieldError.notSupported('spec.template.spec.restartPolicy', str(ts['restartPolicy']), ['Always']));
  if (ts['activeDeadlineSeconds'] !== undefined && ts['activeDeadlineSeconds'] !== null) {
    errs.push(fieldError.forbidden('spec.template.spec.activeDeadlineSeconds', `activeDeadlineSeconds in ${kindLabel} is not Supported`));
  }
  return errs;
}

function validateSelector(s: Obj, emptyMessage: string): FieldError[] {
  if (s['selector'] === undefined || s['selector'] === null) return [fieldError.required('spec.selector')];
  const errs = validateLabelSelector(s['selector'], 'spec.selector');
  if (selectorIsEmpty(s['selector'])) errs.push(fieldError.invalid('spec.selector', selectorValue(s['selector']), emptyMessage));
  return errs;
}

const selectorImmutable = (obj: KObject, old: KObject): FieldError[] =>
  validateImmutable(selectorValue(specOrEmpty(obj)['selector']), selectorValue(specOrEmpty(old)['selector']), 'spec.selector');

// ---------------------------------------------------------------------------------------------
// Deployments.

export function defaultDeployment(obj: KObject): void {
  const s = spec(obj);
  setDefault(s, 'replicas', 1);
  const strategy = ensureObj(s, 'strategy');
  if (!strategy['type']) strategy['type'] = 'RollingUpdate';
  if (strategy['type'] === 'RollingUpdate') {
    const ru = ensureObj(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', '25%');
    setDefault(ru, 'maxSurge', '25%');
  }
  setDefault(s, 'revisionHistoryLimit', 10);
  setDefault(s, 'progressDeadlineSeconds', 600);
  defaultPodTemplateSpec(ensureObj(s, 'template'));
}

function validateDeploymentSpec(obj: KObject): FieldError[] {
  const s = specOrEmpty(obj);
  const errs = validateNonnegative(s['replicas'], 'spec.replicas');
  errs.push(...validateSelector(s, 'empty selector is invalid for deployment'));
  errs.push(...validateTemplateForReplicaSet(s, 'ReplicaSet'));
  const strategy: Obj = isObj(s['strategy']) ? s['strategy'] : {};
  switch (strategy['type']) {
    case 'Recreate':
      if (strategy['rollingUpdate'] !== undefined && strategy['rollingUpdate'] !== null) {
        errs.push(fieldError.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
      }
      break;
    case 'RollingUpdate': {
      const ru = strategy['rollingUpdate'];
      if (!isObj(ru)) {
        errs.push(fieldError.required('spec.strategy.rollingUpdate', 'this should be defaulted and never be nil'));
        break;
      }
      errs.push(...validatePositiveIntOrPercent(ru['maxUnavailable'], 'spec.strategy.rollingUpdate.maxUnavailable'));
      errs.push(...validatePositiveIntOrPercent(ru['maxSurge'], 'spec.strategy.rollingUpdate.maxSurge'));
      if (intOrPercentValue(ru['maxUnavailable']) === 0 && intOrPercentValue(ru['maxSurge']) === 0) {
        errs.push(fieldError.invalid('spec.strategy.rollingUpdate.maxUnavailable', ru['maxUnavailable'] ?? 0, 'may not be 0 when `maxSurge` is 0'));
      }
      errs.push(...notMoreThan100Percent(ru['maxUnavailable'], 'spec.strategy.rollingUpdate.maxUnavailable'));
      break;
    }
    default:
      errs.push(fieldError.notSupported('spec.strategy', strategy, ['Recreate', 'RollingUpdate']));
  }
  errs.push(...validateNonnegative(s['minReadySeconds'], 'spec.minReadySeconds'));
  errs.push(...validateNonnegative(s['revisionHistoryLimit'], 'spec.revisionHistoryLimit'));
  const pds = s['progressDeadlineSeconds'];
  if (typeof pds === 'number') {
    errs.push(...validateNonnegative(pds, 'spec.progressDeadlineSeconds'));
    if (pds <= Number(s['minReadySeconds'] ?? 0)) errs.push(fieldError.invalid('spec.progressDeadlineSeconds', pds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

const deployments: ResourceType = {
  ...base('Deployment', 'deployments', 'deployment'),
  shortNames: ['deploy'],
  categories: ['all'],
  subresources: ['scale', 'status'],
  scale: SCALE,
  // A Deployment's status strategy resets its labels too.
  statusWritableMetadata: ['annotations'],
  defaults: defaultDeployment,
  ...statusHooks(() => ({})),
  ...metaValidation(true, nameIsDNSSubdomain, validateDeploymentSpec, selectorImmutable),
};

// ---------------------------------------------------------------------------------------------
// ReplicaSets.

function validateReplicaSetSpec(obj: KObject): FieldError[] {
  const s = specOrEmpty(obj);
  const errs = [...validateNonnegative(s['replicas'], 'spec.replicas'), ...validateNonnegative(s['minReadySeconds'], 'spec.minReadySeconds')];
  errs.push(...validateSelector(s, 'empty selector is invalid for deployment'));
  errs.push(...validateTemplateForReplicaSet(s, 'ReplicaSet'));
  return errs;
}

const replicaSets: ResourceType = {
  ...base('ReplicaSet', 'replicasets', 'replicaset'),
  shortNames: ['rs'],
  categories: ['all'],
  subresources: ['scale', 'status'],
  scale: SCALE,
  defaults(obj) {
    const s = spec(obj);
    setDefault(s, 'replicas', 1);
    defaultPodTemplateSpec(ensureObj(s, 'template'));
  },
  ...statusHooks(() => ({ replicas: 0 })),
  ...metaValidation(true, nameIsDNSSubdomain, validateReplicaSetSpec, selectorImmutable),
  selectableFields: (obj) => ({ 'status.replicas': String(obj['status']?.replicas ?? 0) }),
};

// ---------------------------------------------------------------------------------------------
// DaemonSets.

function validateDaemonSetSpec(obj: KObject): FieldError[] {
  const s = specOrEmpty(obj);
  const errs: FieldError[] = [];
  const sel = s['selector'] as LabelSelector | undefined;
  if (sel === undefined || sel === null) errs.push(fieldError.required('spec.selector'));
  else errs.push(...validateLabelSelector(sel, 'spec.selector'));
  const tpl = s['template'];
  if (isObj(sel) && !selectorMatches(sel, templateLabels(tpl))) {
    errs.push(fieldError.invalid('spec.template.metadata.labels', sortedMap(templateLabels(tpl)), '`selector` does not match template `labels`'));
  }
  if (isObj(sel) && selectorIsEmpty(sel)) errs.push(fieldError.invalid('spec.selector', selectorValue(sel), 'empty selector is invalid for daemonset'));
  errs.push(...validatePodTemplateSpec(tpl, 'spec.template'));
  const ts: Obj = isObj(tpl) && isObj(tpl['spec']) ? tpl['spec'] : {};
  if (ts['restartPolicy'] !== 'Always') errs.push(fieldError.notSupported('spec.template.spec.restartPolicy', str(ts['restartPolicy']), ['Always']));
  if (ts['activeDeadlineSeconds'] !== undefined && ts['activeDeadlineSeconds'] !== null) {
    errs.push(fieldError.invalid('spec.template.spec.activeDeadlineSeconds', ts['activeDeadlineSeconds'], 'activeDeadlineSeconds in DaemonSet is not Supported'));
  }
  errs.push(...validateNonnegative(s['minReadySeconds'], 'spec.minReadySeconds'));
  errs.push(...validateNonnegative(s['templateGeneration'], 'spec.templateGeneration'));
  const us: Obj = isObj(s['updateStrategy']) ? s['updateStrategy'] : {};
  switch (us['type']) {
    case 'OnDelete':
      break;
    case 'RollingUpdate': {
      const ru = us['rollingUpdate'];
      if (!isObj(ru)) {
        errs.push(fieldError.required('spec.updateStrategy.rollingUpdate'));
        break;
      }
      const p = 'spec.updateStrategy.rollingUpdate';
      errs.push(...validatePositiveIntOrPercent(ru['maxUnavailable'], `${p}.maxUnavailable`), ...validatePositiveIntOrPercent(ru['maxSurge'], `${p}.maxSurge`));
      errs.push(...notMoreThan100Percent(ru['maxUnavailable'], `${p}.maxUnavailable`), ...notMoreThan100Percent(ru['maxSurge'], `${p}.maxSurge`));
      const hasUnavailable = intOrPercentValue(ru['maxUnavailable']) !== 0;
      const hasSurge = intOrPercentValue(ru['maxSurge']) !== 0;
      if (hasUnavailable && hasSurge) errs.push(fieldError.invalid(`${p}.maxSurge`, ru['maxSurge'], 'may not be set when maxUnavailable is non-zero'));
      if (!hasUnavailable && !hasSurge) errs.push(fieldError.required(`${p}.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
      break;
    }
    default:
      errs.push(fieldError.notSupported('spec.updateStrategy', us, ['RollingUpdate', 'OnDelete']));
  }
  errs.push(...validateNonnegative(s['revisionHistoryLimit'], 'spec.revisionHistoryLimit'));
  return errs;
}

const TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';

const daemonSets: ResourceType = {
  ...base('DaemonSet', 'daemonsets', 'daemonset'),
  shortNames: ['ds'],
  categories: ['all'],
  subresources: ['status'],
  defaults(obj) {
    const s = spec(obj);
    const us = ensureObj(s, 'updateStrategy');
    if (!us['type']) us['type'] = 'RollingUpdate';
    if (us['type'] === 'RollingUpdate') {
      const ru = ensureObj(us, 'rollingUpdate');
      setDefault(ru, 'maxUnavailable', 1);
      setDefault(ru, 'maxSurge', 0);
    }
    setDefault(s, 'revisionHistoryLimit', 10);
    defaultPodTemplateSpec(ensureObj(s, 'template'));
  },
  // The template generation (upstream keeps it in this annotation in apps/v1) counts changes of spec.template.
  prepareForCreate(obj) {
    obj['status'] = { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };
    const meta = (obj.metadata ??= {});
    meta.annotations = { ...meta.annotations, [TEMPLATE_GENERATION]: '1' };
  },
  prepareForUpdate(obj, old) {
    if (old['status'] === undefined) delete obj['status'];
    else obj['status'] = structuredClone(old['status']);
    const oldGeneration = Number(old.metadata?.annotations?.[TEMPLATE_GENERATION] ?? '0') || 0;
    const changed = !semanticEqual(spec(obj)['template'], specOrEmpty(old)['template']);
    const meta = (obj.metadata ??= {});
    meta.annotations = { ...meta.annotations, [TEMPLATE_GENERATION]: String(changed ? oldGeneration + 1 : oldGeneration || 1) };
  },
  ...metaValidation(true, nameIsDNSSubdomain, validateDaemonSetSpec, selectorImmutable),
};

// ---------------------------------------------------------------------------------------------
// StatefulSets.

function validateStatefulSetSpec(obj: KObject): FieldError[] {
  const s = specOrEmpty(obj);
  const errs: FieldError[] = [];
  const pmp = str(s['podManagementPolicy']);
  if (!pmp) errs.push(fieldError.required('spec.podManagementPolicy'));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel') errs.push(fieldError.invalid('spec.podManagementPolicy', pmp, "must be 'OrderedReady' or 'Parallel'"));
  const us: Obj = isObj(s['updateStrategy']) ? s['updateStrategy'] : {};
  switch (str(us['type'])) {
    case '':
      errs.push(fieldError.required('spec.updateStrategy'));
      break;
    case 'OnDelete':
      if (us['rollingUpdate'] !== undefined && us['rollingUpdate'] !== null) {
        errs.push(fieldError.invalid('spec.updateStrategy.rollingUpdate', us['rollingUpdate'], "only allowed for updateStrategy 'RollingUpdate'"));
      }
      break;
    case 'RollingUpdate':
      if (isObj(us['rollingUpdate'])) errs.push(...validateNonnegative(us['rollingUpdate']['partition'], 'spec.updateStrategy.rollingUpdate.partition'));
      break;
    default:
      errs.push(fieldError.invalid('spec.updateStrategy', us, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const retention = s['persistentVolumeClaimRetentionPolicy'];
  if (isObj(retention)) {
    for (const k of ['whenDeleted', 'whenScaled']) {
      const v = str(retention[k]);
      if (v !== 'Retain' && v !== 'Delete') errs.push(fieldError.notSupported(`spec.persistentVolumeClaimRetentionPolicy.${k}`, v, ['Retain', 'Delete']));
    }
  }
  errs.push(...validateNonnegative(s['replicas'], 'spec.replicas'), ...validateNonnegative(s['minReadySeconds'], 'spec.minReadySeconds'));
  if (isObj(s['ordinals'])) errs.push(...validateNonnegative(s['ordinals']['start'], 'spec.ordinals.start'));
  errs.push(...validateSelector(s, 'empty selector is invalid for statefulset'));
  const tpl = s['template'];
  const sel = s['selector'] as LabelSelector | undefined;
  if (!selectorIsEmpty(sel) && !selectorMatches(sel, templateLabels(tpl))) {
    errs.push(fieldError.invalid('spec.template.metadata.labels', sortedMap(templateLabels(tpl)), '`selector` does not match template `labels`'));
  }
  // Upstream checks only the template's labels and annotations: its volumes may name volumeClaimTemplates.
  const tplMeta: Obj = isObj(tpl) && isObj(tpl['metadata']) ? tpl['metadata'] : {};
  if (!isObj(tpl)) errs.push(fieldError.required('spec.template'));
  errs.push(...validateLabels(tplMeta['labels'], 'spec.template.labels'), ...validateAnnotations(tplMeta['annotations'], 'spec.template.annotations'));
  const ts: Obj = isObj(tpl) && isObj(tpl['spec']) ? tpl['spec'] : {};
  if (ts['restartPolicy'] !== 'Always') errs.push(fieldError.notSupported('spec.template.spec.restartPolicy', str(ts['restartPolicy']), ['Always']));
  if (ts['activeDeadlineSeconds'] !== undefined && ts['activeDeadlineSeconds'] !== null) {
    errs.push(fieldError.forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in StatefulSet is not Supported'));
  }
  return errs;
}

function validateStatefulSetUpdate(obj: KObject, old: KObject): FieldError[] {
  const mutable = ['replicas', 'template', 'updateStrategy', 'minReadySeconds', 'ordinals', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy'];
  const strip = (s: Obj): Obj => Object.fromEntries(Object.entries(s).filter(([k]) => !mutable.includes(k)));
  if (semanticEqual(strip(specOrEmpty(obj)), strip(specOrEmpty(old)))) return [];
  return [
    fieldError.forbidden(
      'spec',
      "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ),
  ];
}

const statefulSets: ResourceType = {
  ...base('StatefulSet', 'statefulsets', 'statefulset'),
  shortNames: ['sts'],
  categories: ['all'],
  subresources: ['scale', 'status'],
  scale: SCALE,
  defaults(obj) {
    const s = spec(obj);
    if (!s['podManagementPolicy']) s['podManagementPolicy'] = 'OrderedReady';
    const us = ensureObj(s, 'updateStrategy');
    if (!us['type']) {
      us['type'] = 'RollingUpdate';
      if (!isObj(us['rollingUpdate'])) us['rollingUpdate'] = {};
    }
    if (us['type'] === 'RollingUpdate' && isObj(us['rollingUpdate'])) setDefault(us['rollingUpdate'], 'partition', 0);
    const retention = ensureObj(s, 'persistentVolumeClaimRetentionPolicy');
    if (!retention['whenDeleted']) retention['whenDeleted'] = 'Retain';
    if (!retention['whenScaled']) retention['whenScaled'] = 'Retain';
    setDefault(s, 'replicas', 1);
    setDefault(s, 'revisionHistoryLimit', 10);
    defaultPodTemplateSpec(ensureObj(s, 'template'));
    for (const claim of Array.isArray(s['volumeClaimTemplates']) ? s['volumeClaimTemplates'] : []) {
      if (isObj(claim)) {
        setDefault(ensureObj(claim, 'spec'), 'volumeMode', 'Filesystem');
        if (isObj(claim['status'])) setDefault(claim['status'], 'phase', 'Pending');
      }
    }
  },
  ...statusHooks(() => ({ availableReplicas: 0, replicas: 0 })),
  ...metaValidation(true, nameIsDNSSubdomain, validateStatefulSetSpec, validateStatefulSetUpdate),
};

// ---------------------------------------------------------------------------------------------
// ControllerRevisions.

const controllerRevisions: ResourceType = {
  ...base('ControllerRevision', 'controllerrevisions', 'controllerrevision'),
  ...metaValidation(
    true,
    nameIsDNSSubdomain,
    (obj) => [...(obj['data'] === undefined || obj['data'] === null ? [fieldError.required('data', 'data is mandatory')] : []), ...validateNonnegative(obj['revision'], 'revision')],
    (obj, old) => validateImmutable(obj['data'], old['data'], 'data'),
  ),
};

export const resources: ResourceType[] = [controllerRevisions, daemonSets, deployments, replicaSets, statefulSets];
