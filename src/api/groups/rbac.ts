// rbac.authorization.k8s.io/v1: Roles, ClusterRoles and their bindings.
import type { FieldError, KObject, ResourceType } from '../types.ts';
import {
  fieldError, nameIsDNSSubdomain, nameIsPathSegment, path, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate,
} from '../validation.ts';
import { builtinResource, isObj, list, str, type Obj } from './common.ts';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

const base = builtinResource(RBAC_GROUP, 'v1', 'rbac');

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : []);

function validatePolicyRule(rule: Obj, namespaced: boolean, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!strings(rule['verbs']).length) errs.push(fieldError.required(`${field}.verbs`, 'verbs must contain at least one value'));
  const urls = strings(rule['nonResourceURLs']);
  if (urls.length) {
    if (namespaced) errs.push(fieldError.invalid(`${field}.nonResourceURLs`, urls, 'namespaced rules cannot apply to non-resource URLs'));
    if (strings(rule['apiGroups']).length || strings(rule['resources']).length || strings(rule['resourceNames']).length) {
      errs.push(fieldError.invalid(`${field}.nonResourceURLs`, urls, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (!strings(rule['apiGroups']).length) errs.push(fieldError.required(`${field}.apiGroups`, 'resource rules must supply at least one api group'));
  if (!strings(rule['resources']).length) errs.push(fieldError.required(`${field}.resources`, 'resource rules must supply at least one resource'));
  return errs;
}

function validateRules(obj: KObject, namespaced: boolean): FieldError[] {
  return list(obj['rules']).flatMap((r, i) => validatePolicyRule(r, namespaced, path.index('rules', i)));
}

function validateSubject(s: Obj, namespaced: boolean, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(s['name']);
  if (!name) errs.push(fieldError.required(`${field}.name`));
  const apiGroup = str(s['apiGroup']);
  switch (s['kind']) {
    case 'ServiceAccount':
      if (name) for (const m of nameIsDNSSubdomain(name, false)) errs.push(fieldError.invalid(`${field}.name`, name, m));
      if (apiGroup) errs.push(fieldError.notSupported(`${field}.apiGroup`, apiGroup, ['']));
      if (!namespaced && !s['namespace']) errs.push(fieldError.required(`${field}.namespace`));
      break;
    case 'User':
    case 'Group':
      if (apiGroup !== RBAC_GROUP) errs.push(fieldError.notSupported(`${field}.apiGroup`, apiGroup, [RBAC_GROUP]));
      break;
    default:
      errs.push(fieldError.notSupported(`${field}.kind`, str(s['kind']), ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

function validateBinding(obj: KObject, namespaced: boolean): FieldError[] {
  const errs = validateObjectMeta(obj.metadata, { namespaced, nameFn: nameIsPathSegment });
  const ref: Obj = isObj(obj['roleRef']) ? obj['roleRef'] : {};
  if (str(ref['apiGroup']) !== RBAC_GROUP) errs.push(fieldError.notSupported('roleRef.apiGroup', str(ref['apiGroup']), [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(str(ref['kind']))) errs.push(fieldError.notSupported('roleRef.kind', str(ref['kind']), kinds));
  const name = str(ref['name']);
  if (!name) errs.push(fieldError.required('roleRef.name'));
  else for (const m of nameIsPathSegment(name, false)) errs.push(fieldError.invalid('roleRef.name', name, m));
  list(obj['subjects']).forEach((s, i) => errs.push(...validateSubject(s, namespaced, path.index('subjects', i))));
  return errs;
}

function validateBindingUpdate(obj: KObject, old: KObject, namespaced: boolean): FieldError[] {
  const errs = [...validateBinding(obj, namespaced), ...validateObjectMetaUpdate(obj.metadata, old.metadata)];
  const a: Obj = isObj(obj['roleRef']) ? obj['roleRef'] : {};
  const b: Obj = isObj(old['roleRef']) ? old['roleRef'] : {};
  if (str(a['apiGroup']) !== str(b['apiGroup']) || str(a['kind']) !== str(b['kind']) || str(a['name']) !== str(b['name'])) {
    // The internal rbac.RoleRef has no json tags: Go prints its field names.
    errs.push(fieldError.invalid('roleRef', { APIGroup: str(a['apiGroup']), Kind: str(a['kind']), Name: str(a['name']) }, 'cannot change roleRef'));
  }
  return errs;
}

function defaultBinding(obj: KObject): void {
  const ref: Obj = isObj(obj['roleRef']) ? obj['roleRef'] : (obj['roleRef'] = {});
  if (!ref['apiGroup']) ref['apiGroup'] = RBAC_GROUP;
  for (const s of list(obj['subjects'])) {
    if (s['apiGroup']) continue;
    if (s['kind'] === 'ServiceAccount') s['apiGroup'] = '';
    if (s['kind'] === 'User' || s['kind'] === 'Group') s['apiGroup'] = RBAC_GROUP;
  }
}

const roles: ResourceType = {
  ...base('Role', 'roles', 'role', true),
  validateCreate: (obj) => [...validateObjectMeta(obj.metadata, { namespaced: true, nameFn: nameIsPathSegment }), ...validateRules(obj, true)],
  validateUpdate: (obj, old) => [...validateObjectMeta(obj.metadata, { namespaced: true, nameFn: nameIsPathSegment }), ...validateRules(obj, true), ...validateObjectMetaUpdate(obj.metadata, old.metadata)],
};

function validateClusterRole(obj: KObject): FieldError[] {
  const errs = [...validateObjectMeta(obj.metadata, { namespaced: false, nameFn: nameIsPathSegment }), ...validateRules(obj, false)];
  const agg = obj['aggregationRule'];
  if (isObj(agg)) {
    const sels = list(agg['clusterRoleSelectors']);
    if (!sels.length) errs.push(fieldError.required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    sels.forEach((s, i) => errs.push(...validateLabelSelector(s, path.index('aggregationRule.clusterRoleSelectors', i))));
  }
  return errs;
}

const clusterRoles: ResourceType = {
  ...base('ClusterRole', 'clusterroles', 'clusterrole', false),
  validateCreate: validateClusterRole,
  validateUpdate: (obj, old) => [...validateClusterRole(obj), ...validateObjectMetaUpdate(obj.metadata, old.metadata)],
};

const roleBindings: ResourceType = {
  ...base('RoleBinding', 'rolebindings', 'rolebinding', true),
  defaults: defaultBinding,
  validateCreate: (obj) => validateBinding(obj, true),
  validateUpdate: (obj, old) => validateBindingUpdate(obj, old, true),
};

const clusterRoleBindings: ResourceType = {
  ...base('ClusterRoleBinding', 'clusterrolebindings', 'clusterrolebinding', false),
  defaults: defaultBinding,
  validateCreate: (obj) => validateBinding(obj, false),
  validateUpdate: (obj, old) => validateBindingUpdate(obj, old, false),
};

export const resources: ResourceType[] = [clusterRoleBindings, clusterRoles, roleBindings, roles];

const BOOTSTRAP_META = {
  annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
  labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
};

/** Upstream bootstrap policy's cluster-admin ClusterRole and its binding to the system:masters group. */
export function clusterAdminObjects(): KObject[] {
  return [
    {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'ClusterRole',
      metadata: { name: 'cluster-admin', ...structuredClone(BOOTSTRAP_META) },
      rules: [
        { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
        { nonResourceURLs: ['*'], verbs: ['*'] },
      ],
    },
    {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'cluster-admin', ...structuredClone(BOOTSTRAP_META) },
      roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ apiGroup: RBAC_GROUP, kind: 'Group', name: 'system:masters' }],
    },
  ];
}
