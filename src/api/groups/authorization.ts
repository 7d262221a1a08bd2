// authorization.k8s.io/v1: access reviews (POST only; answered by the authorizer, never stored).
import type { FieldError, KObject, ResourceType } from '../types.ts';
import { fieldError } from '../validation.ts';
import { CREATE_ONLY, isObj, specOrEmpty, str, type Obj } from './common.ts';

const review = (kind: string, plural: string, singular: string, namespaced: boolean): ResourceType => ({
  group: 'authorization.k8s.io',
  version: 'v1',
  kind,
  listKind: `${kind}List`,
  plural,
  singular,
  namespaced,
  verbs: CREATE_ONLY,
  schemaType: `io.k8s.api.authorization.v1.${kind}`,
});

function validateAttributes(s: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const res = s['resourceAttributes'];
  const nonRes = s['nonResourceAttributes'];
  if (isObj(res) && isObj(nonRes)) errs.push(fieldError.invalid('spec.nonResourceAttributes', nonRes, 'cannot be specified in combination with resourceAttributes'));
  if (!isObj(res) && !isObj(nonRes)) errs.push(fieldError.invalid('spec.resourceAttributes', nonRes ?? null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  return errs;
}

function validateSAR(obj: KObject): FieldError[] {
  const s = specOrEmpty(obj);
  const errs = validateAttributes(s);
  if (!str(s['user']) && !(Array.isArray(s['groups']) && s['groups'].length)) errs.push(fieldError.invalid('spec.user', str(s['user']), 'at least one of user or group must be specified'));
  return errs;
}

function validateLocalSAR(obj: KObject): FieldError[] {
  const errs = validateSAR(obj);
  const res = specOrEmpty(obj)['resourceAttributes'];
  const ns = str(obj.metadata?.namespace);
  if (isObj(res) && str(res['namespace']) !== ns) {
    errs.push(fieldError.invalid('spec.resourceAttributes.namespace', str(res['namespace']), 'must match metadata.namespace'));
  }
  if (isObj(specOrEmpty(obj)['nonResourceAttributes'])) errs.push(fieldError.invalid('spec.nonResourceAttributes', specOrEmpty(obj)['nonResourceAttributes'], 'disallowed on this kind of request'));
  return errs;
}

export const resources: ResourceType[] = [
  { ...review('LocalSubjectAccessReview', 'localsubjectaccessreviews', 'localsubjectaccessreview', true), validateCreate: validateLocalSAR },
  { ...review('SelfSubjectAccessReview', 'selfsubjectaccessreviews', 'selfsubjectaccessreview', false), validateCreate: (obj) => validateAttributes(specOrEmpty(obj)) },
  review('SelfSubjectRulesReview', 'selfsubjectrulesreviews', 'selfsubjectrulesreview', false),
  { ...review('SubjectAccessReview', 'subjectaccessreviews', 'subjectaccessreview', false), validateCreate: validateSAR },
];
