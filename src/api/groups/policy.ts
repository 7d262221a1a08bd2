// policy/v1: PodDisruptionBudgets.
import type { FieldError, KObject, ResourceType } from '../types.ts';
import { fieldError, isValidPercent, nameIsDNSSubdomain, validateLabelSelector, validateNonnegative } from '../validation.ts';
import { CRUD_VERBS, metaValidation, specOrEmpty, statusHooks } from './common.ts';

function validateIntOrPercent(v: unknown, field: string): FieldError[] {
  if (typeof v === 'string') {
    const errs = isValidPercent(v).map((m) => fieldError.invalid(field, v, m));
    if (!errs.length && Number(v.slice(0, -1)) > 100) errs.push(fieldError.invalid(field, v, 'must not be greater than 100%'));
    return errs;
  }
  if (typeof v === 'number') return validateNonnegative(v, field);
  return [];
}

function validatePDBSpec(obj: KObject): FieldError[] {
  const s = specOrEmpty(obj);
  const errs: FieldError[] = [];
  const has = (k: string): boolean => s[k] !== undefined && s[k] !== null;
  if (has('minAvailable') && has('maxUnavailable')) errs.push(fieldError.invalid('spec', s, 'minAvailable and maxUnavailable cannot be both set'));
  if (has('minAvailable')) errs.push(...validateIntOrPercent(s['minAvailable'], 'spec.minAvailable'));
  if (has('maxUnavailable')) errs.push(...validateIntOrPercent(s['maxUnavailable'], 'spec.maxUnavailable'));
  errs.push(...validateLabelSelector(s['selector'], 'spec.selector'));
  const policy = s['unhealthyPodEvictionPolicy'];
  if (policy !== undefined && policy !== null && policy !== 'AlwaysAllow' && policy !== 'IfHealthyBudget') {
    errs.push(fieldError.notSupported('spec.unhealthyPodEvictionPolicy', policy, ['AlwaysAllow', 'IfHealthyBudget']));
  }
  return errs;
}

const podDisruptionBudgets: ResourceType = {
  group: 'policy',
  version: 'v1',
  kind: 'PodDisruptionBudget',
  listKind: 'PodDisruptionBudgetList',
  plural: 'poddisruptionbudgets',
  singular: 'poddisruptionbudget',
  namespaced: true,
  shortNames: ['pdb'],
  verbs: CRUD_VERBS,
  subresources: ['status'],
  schemaType: 'io.k8s.api.policy.v1.PodDisruptionBudget',
  ...statusHooks(() => ({ currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 })),
  ...metaValidation(true, nameIsDNSSubdomain, validatePDBSpec),
};

export const resources: ResourceType[] = [podDisruptionBudgets];
