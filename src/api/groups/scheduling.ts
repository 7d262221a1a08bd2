// scheduling.k8s.io/v1: PriorityClasses.
import type { FieldError, KObject, ResourceType } from '../types.ts';
import { fieldError, nameIsDNSSubdomain, validateImmutable, validateObjectMeta, validateObjectMetaUpdate } from '../validation.ts';
import { CRUD_VERBS, str } from './common.ts';

const HIGHEST_USER_DEFINABLE_PRIORITY = 1000000000;
const SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY;

/** The two system priority classes every cluster has (upstream's values and descriptions). */
export const SYSTEM_PRIORITY_CLASSES = [
  { name: 'system-node-critical', value: SYSTEM_CRITICAL_PRIORITY + 1000, description: 'Used for system critical pods that must not be moved from their current node.' },
  { name: 'system-cluster-critical', value: SYSTEM_CRITICAL_PRIORITY, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
];

function knownSystemClassError(name: string, value: unknown, globalDefault: unknown): string | undefined {
  const known = SYSTEM_PRIORITY_CLASSES.find((c) => c.name === name);
  if (!known) return `${name} is not a known system priority class`;
  if (value !== known.value) return `value of ${name} PriorityClass must be ${known.value}`;
  if (globalDefault === true) return `globalDefault of ${name} PriorityClass must be false`;
  return undefined;
}

function validatePriorityClass(obj: KObject): FieldError[] {
  const errs = validateObjectMeta(obj.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const name = str(obj.metadata?.name);
  if (name.startsWith('system-')) {
    const err = knownSystemClassError(name, obj['value'], obj['globalDefault']);
    if (err) errs.push(fieldError.forbidden('metadata.name', `priority class names with 'system-' prefix are reserved for system use only. error: ${err}`));
  } else if (Number(obj['value'] ?? 0) > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(fieldError.forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  const pp = obj['preemptionPolicy'];
  if (pp !== undefined && pp !== null) {
    if (!pp) errs.push(fieldError.required('preemptionPolicy'));
    else if (pp !== 'PreemptLowerPriority' && pp !== 'Never') errs.push(fieldError.notSupported('preemptionPolicy', pp, ['PreemptLowerPriority', 'Never']));
  }
  return errs;
}

const priorityClasses: ResourceType = {
  group: 'scheduling.k8s.io',
  version: 'v1',
  kind: 'PriorityClass',
  listKind: 'PriorityClassList',
  plural: 'priorityclasses',
  singular: 'priorityclass',
  namespaced: false,
  shortNames: ['pc'],
  verbs: CRUD_VERBS,
  schemaType: 'io.k8s.api.scheduling.v1.PriorityClass',
  defaults(obj) {
    if (obj['preemptionPolicy'] === undefined || obj['preemptionPolicy'] === null) obj['preemptionPolicy'] = 'PreemptLowerPriority';
  },
  validateCreate: validatePriorityClass,
  validateUpdate(obj, old) {
    const errs = validateObjectMetaUpdate(obj.metadata, old.metadata);
    if (obj['value'] !== old['value']) errs.push(fieldError.forbidden('value', 'may not be changed in an update.'));
    errs.push(...validateImmutable(obj['preemptionPolicy'], old['preemptionPolicy'], 'preemptionPolicy'));
    return errs;
  },
};

export const resources: ResourceType[] = [priorityClasses];

export function systemPriorityClassObjects(): KObject[] {
  return SYSTEM_PRIORITY_CLASSES.map((c) => ({
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: c.name },
    value: c.value,
    description: c.description,
    preemptionPolicy: 'PreemptLowerPriority',
  }));
}
