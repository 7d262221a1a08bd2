// Helpers the group files share: verb sets, status resets, selector strings.
import type { FieldError, KObject, ResourceType } from '../types.ts';
import { validateObjectMeta, validateObjectMetaUpdate, type NameFn } from '../validation.ts';

/** The verbs of an ordinary stored resource, in discovery's order. */
export const CRUD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/**
 * The identity of a built-in resource: group, version, kind and names, the usual verbs, and its schema type
 * (io.k8s.api.<schemaPackage>.<version>.<Kind>).
 */
export function builtinResource(group: string, version: string, schemaPackage: string) {
  return (kind: string, plural: string, singular: string, namespaced: boolean) => ({
    group,
    version,
    kind,
    listKind: `${kind}List`,
    plural,
    singular,
    namespaced,
    verbs: CRUD_VERBS,
    schemaType: `io.k8s.api.${schemaPackage}.${version}.${kind}`,
  });
}
/** Review-style resources (TokenReview, SubjectAccessReview …): POST only, nothing stored. */
export const CREATE_ONLY = ['create'];

export type Obj = Record<string, any>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map((x) => (isObj(x) ? x : {})) : []);
export const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

export function spec(obj: KObject): Obj {
  if (!isObj(obj['spec'])) obj['spec'] = {};
  return obj['spec'] as Obj;
}

export function specOrEmpty(obj: KObject): Obj {
  return isObj(obj['spec']) ? (obj['spec'] as Obj) : {};
}

/** Status written only through /status: a create starts from `initial`, an update keeps the stored one. */
export function statusHooks(initial: () => Obj): Pick<ResourceType, 'prepareForCreate' | 'prepareForUpdate'> {
  return {
    prepareForCreate(obj) {
      obj['status'] = initial();
    },
    prepareForUpdate(obj, old) {
      if (old['status'] === undefined) delete obj['status'];
      else obj['status'] = structuredClone(old['status']);
    },
  };
}

/**
 * validateCreate / validateUpdate for kinds whose rules are metadata plus `body` (the create rules, run
 * again on update) and `update` (immutability). `updateFirst` puts the update checks before the body's,
 * as upstream's ConfigMap and Secret validation order them.
 */
export function metaValidation(
  namespaced: boolean,
  nameFn: NameFn,
  body?: (obj: KObject) => FieldError[],
  update?: (obj: KObject, old: KObject) => FieldError[],
  opts: { updateFirst?: boolean } = {},
): Pick<ResourceType, 'validateCreate' | 'validateUpdate'> {
  return {
    validateCreate: (obj) => [...validateObjectMeta(obj.metadata, { namespaced, nameFn }), ...(body?.(obj) ?? [])],
    // The name cannot change on update, so the create-time name rules are not repeated.
    validateUpdate: (obj, old) => {
      const bodyErrs = body?.(obj) ?? [];
      const updateErrs = update?.(obj, old) ?? [];
      const rest = opts.updateFirst ? [...updateErrs, ...bodyErrs] : [...bodyErrs, ...updateErrs];
      return [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...rest];
    },
  };
}

/** A label selector as its string form ("app=nginx,tier in (web)"), as /scale reports it. */
export function selectorString(sel: unknown): string {
  if (!isObj(sel)) return '';
  const isLabelSelector = 'matchLabels' in sel || 'matchExpressions' in sel;
  const labels: Obj = isLabelSelector ? (isObj(sel['matchLabels']) ? sel['matchLabels'] : {}) : sel;
  const parts: Array<[string, string]> = Object.keys(labels).map((k) => [k, `${k}=${str(labels[k])}`]);
  if (isLabelSelector) {
    for (const e of list(sel['matchExpressions'])) {
      const key = str(e['key']);
      const vals = (Array.isArray(e['values']) ? (e['values'] as unknown[]).map(str) : []).sort();
      switch (e['operator']) {
        case 'In': parts.push([key, `${key} in (${vals.join(',')})`]); break;
        case 'NotIn': parts.push([key, `${key} notin (${vals.join(',')})`]); break;
        case 'Exists': parts.push([key, key]); break;
        case 'DoesNotExist': parts.push([key, `!${key}`]); break;
      }
    }
  }
  // labels.Selector.String(): requirements sorted by key.
  return parts.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((p) => p[1]).join(',');
}

/** "true"/"false" as field selectors compare booleans. */
export const boolField = (v: unknown): string => (v === true ? 'true' : 'false');
