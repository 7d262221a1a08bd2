// Validation of CustomResourceDefinitions (apiextensions-apiserver pkg/apis/apiextensions/validation):
// names, group, scope, versions (exactly one storage version, unique DNS-1035 names), schemas (required,
// structural, OpenAPI v3 subset, defaults valid and pruned), subresources, printer columns, conversion,
// status.acceptedNames and status.storedVersions, API approval of *.k8s.io groups. Field paths follow
// upstream's internal form (see crd-internal.ts).
//
// Left out: compiling x-kubernetes-validations CEL rules and their cost limits (only the rule/message/
// reason/fieldPath shape checks run), checks of defaults inside metadata of embedded resources, and
// the webhook caBundle PEM check.
import type { FieldError, KObject } from '../api/types.ts';
import {
  fieldError,
  isDNS1035Label,
  isDNS1123Subdomain,
  nameIsDNSSubdomain,
  validateImmutable,
  validateObjectMeta,
  validateObjectMetaUpdate,
  type NameFn,
} from '../api/validation.ts';
import { child, CREATE_OPTIONS, enumString, index, invalidJSON, key, list, obj, schemaHas, str, type Options } from './crd-common.ts';
import { internalLayout, internalVersionsJSON, type InternalLayout, type Version } from './crd-internal.ts';
import { hasNonAtomicSetType, hasKubernetesExtensions, mapListKeysMapSet, OPENAPI_V3_TYPES, specHas, specHasNonStructuralSchema, validateSchemaContainer } from './crd-schema-validation.ts';
import { ACCEPTED_CONVERSION_REVIEW_VERSIONS, validateColumn, validateConversion, validateSelectableFields, validateSubresources } from './crd-spec-parts.ts';
import { isUnrecognizedFormat } from './formats.ts';
import { isObj, type Obj } from './jsonschema.ts';
import { withoutCoreFinalizerRule } from './objectmeta.ts';

const API_APPROVAL_ANNOTATION = 'api-approved.kubernetes.io';

// ---------------------------------------------------------------------------------------------
// Entry points.

/** ValidateCustomResourceDefinition (the CRD already defaulted, see crdDefaults, and prepared for create). */
export function validateCRD(crd: KObject): FieldError[] {
  const spec = obj(crd['spec']);
  const names = obj(spec['names']);
  const required = `${str(names['plural'])}.${str(spec['group'])}`;
  const nameFn: NameFn = (name, prefix) => {
    const errs = nameIsDNSSubdomain(name, prefix);
    if (name !== required) errs.push('must be spec.names.plural+"."+spec.group');
    return errs;
  };
  const status = obj(crd['status']);
  return [
    ...withoutCoreFinalizerRule(validateObjectMeta(crd.metadata, { namespaced: false, nameFn })),
    ...validateSpec(spec, { ...CREATE_OPTIONS }, 'spec'),
    ...validateNames(obj(status['acceptedNames']), 'status.acceptedNames'),
    ...validateStoredVersions(status['storedVersions'], list<Version>(spec['versions']), 'status.storedVersions'),
    ...validateAPIApproval(crd, undefined),
    ...validatePreserveUnknownFields(crd, undefined),
  ];
}

/** ValidateCustomResourceDefinitionUpdate: what the stored CRD already had is tolerated, identity fields stay. */
export function validateCRDUpdate(crd: KObject, old: KObject): FieldError[] {
  const oldSpec = obj(old['spec']);
  const oldConversion = obj(oldSpec['conversion']);
  const oldReviewVersions = list<string>(obj(oldConversion['webhook'])['conversionReviewVersions']);
  const opts: Options = {
    allowDefaults: true,
    requireRecognizedConversionReviewVersion: oldReviewVersions.length === 0 || oldReviewVersions.some((v) => ACCEPTED_CONVERSION_REVIEW_VERSIONS.includes(v)),
    requireImmutableNames: isEstablished(old),
    requireOpenAPISchema: list<Version>(oldSpec['versions']).every((v) => isObj(v.schema?.openAPIV3Schema)),
    requireValidPropertyType: !specHas(oldSpec, (s) => typeof s.type === 'string' && s.type !== '' && !OPENAPI_V3_TYPES.includes(s.type)),
    requireStructuralSchema: !specHasNonStructuralSchema(oldSpec),
    requirePrunedDefaults: true,
    requireAtomicSetType: !specHas(oldSpec, hasNonAtomicSetType),
    requireMapListKeysMapSetValidation: !specHas(oldSpec, (s) => mapListKeysMapSet(s, '').length > 0),
  };
  const spec = obj(crd['spec']);
  const names = obj(spec['names']);
  const oldNames = obj(oldSpec['names']);
  const status = obj(crd['status']);
  const errs = [
    ...withoutCoreFinalizerRule(validateObjectMetaUpdate(crd.metadata, old.metadata)),
    ...validateSpec(spec, opts, 'spec'),
  ];
  if (opts.requireImmutableNames) {
    errs.push(...validateImmutable(str(spec['scope']), str(oldSpec['scope']), 'spec.scope'));
    errs.push(...validateImmutable(str(names['kind']), str(oldNames['kind']), 'spec.names.kind'));
  }
  errs.push(...validateImmutable(str(spec['group']), str(oldSpec['group']), 'spec.group'));
  errs.push(...validateImmutable(str(names['plural']), str(oldNames['plural']), 'spec.names.plural'));
  errs.push(...validateNames(obj(status['acceptedNames']), 'status.acceptedNames'));
  errs.push(...validateStoredVersions(status['storedVersions'], list<Version>(spec['versions']), 'status.storedVersions'));
  errs.push(...validateAPIApproval(crd, old));
  errs.push(...validatePreserveUnknownFields(crd, old));
  return errs;
}

/** ValidateUpdateCustomResourceDefinitionStatus. */
export function validateCRDStatusUpdate(crd: KObject, old: KObject): FieldError[] {
  return [
    ...withoutCoreFinalizerRule(validateObjectMetaUpdate(crd.metadata, old.metadata)),
    ...validateNames(obj(obj(crd['status'])['acceptedNames']), 'status.acceptedNames'),
  ];
}

/** Warnings on CRD writes: formats upstream ignores. */
export function crdWarnings(crd: KObject): string[] {
  const found: string[] = [];
  for (const v of list<Version>(obj(crd['spec'])['versions'])) {
    const s = v.schema?.openAPIV3Schema;
    if (isObj(s)) schemaHas(s, (n) => {
      if (isUnrecognizedFormat(n) && !found.includes(n.format!)) found.push(n.format!);
      return false;
    });
  }
  return found.map((f) => `unrecognized format ${JSON.stringify(f)}`);
}

function isEstablished(crd: KObject): boolean {
  return list(obj(crd['status'])['conditions']).some((c) => c['type'] === 'Established' && c['status'] === 'True');
}

// ---------------------------------------------------------------------------------------------
// Spec.

function validateSpec(spec: Obj, options: Options, path: string): FieldError[] {
  const opts = { ...options };
  const errs: FieldError[] = [];
  const group = str(spec['group']);
  if (!group) errs.push(fieldError.required(child(path, 'group')));
  else {
    const problems = isDNS1123Subdomain(group);
    if (problems.length) errs.push(fieldError.invalid(child(path, 'group'), group, problems.join(',')));
    else if (group.split('.').length < 2) errs.push(fieldError.invalid(child(path, 'group'), group, 'should be a domain with at least one dot'));
  }
  errs.push(...enumString(child(path, 'scope'), str(spec['scope']), ['Cluster', 'Namespaced']));

  const preserveUnknownFields = spec['preserveUnknownFields'] === true;
  if (!preserveUnknownFields) opts.requireStructuralSchema = true;

  const versions = list<Version>(spec['versions']);
  const layout = internalLayout(versions);
  const topSchema = layout.sharedSchema ? versions[0]?.schema : undefined;
  const versionSchema = (v: Version): Version['schema'] => (layout.sharedSchema ? undefined : v.schema);
  if (!isObj(topSchema?.openAPIV3Schema)) {
    versions.forEach((v, i) => {
      const p = child(child(index(child(path, 'versions'), i), 'schema'), 'openAPIV3Schema');
      const has = isObj(versionSchema(v)?.openAPIV3Schema);
      if (opts.requireOpenAPISchema) {
        if (!has) errs.push(fieldError.required(p));
      } else if (!preserveUnknownFields && v.served === true && !has) {
        errs.push(fieldError.required(p, 'because otherwise all fields are pruned'));
      }
    });
  }
  if (opts.allowDefaults && specHas(spec, (s) => s.default !== undefined && s.default !== null)) {
    opts.requireStructuralSchema = true;
    if (preserveUnknownFields) errs.push(fieldError.invalid(child(path, 'preserveUnknownFields'), true, 'must be false in order to use defaults in the schema'));
  }
  if (specHas(spec, hasKubernetesExtensions)) opts.requireStructuralSchema = true;

  const topSubresources = layout.sharedSubresources ? versions[0]?.subresources : undefined;
  const perVersionSubresources = !layout.sharedSubresources && versions.some((v) => v.subresources !== undefined && v.subresources !== null);
  let storageCount = 0;
  const seen = new Set<string>();
  let unique = true;
  versions.forEach((v, i) => {
    const vPath = index(child(path, 'versions'), i);
    const name = str(v.name);
    if (v.storage === true) storageCount++;
    if (seen.has(name)) unique = false;
    seen.add(name);
    const problems = isDNS1035Label(name);
    if (problems.length) errs.push(fieldError.invalid(child(vPath, 'name'), name, problems.join(',')));
    const subresources = perVersionSubresources ? v.subresources : topSubresources;
    errs.push(...validateVersion(v, layout, vPath, isObj(subresources?.status), opts));
  });
  if (!unique) errs.push(invalidJSON(child(path, 'versions'), internalVersionsJSON(layout), 'must contain unique version names'));
  if (storageCount !== 1) errs.push(invalidJSON(child(path, 'versions'), internalVersionsJSON(layout), 'must have exactly one version marked as storage version'));
  // The internal spec.version is the first version's name, and is checked again.
  const firstName = versions[0] ? str(versions[0].name) : '';
  if (firstName) {
    const problems = isDNS1035Label(firstName);
    if (problems.length) errs.push(fieldError.invalid(child(path, 'version'), firstName, problems.join(',')));
  }

  const names = obj(spec['names']);
  for (const n of ['plural', 'singular', 'kind', 'listKind']) {
    if (!str(names[n])) errs.push(fieldError.required(child(child(path, 'names'), n)));
  }
  errs.push(...validateNames(names, child(path, 'names')));

  const anyStatus = isObj(topSubresources?.status) || versions.some((v) => !layout.sharedSubresources && isObj(v.subresources?.status));
  if (layout.sharedSchema) errs.push(...validateSchemaContainer(topSchema, anyStatus, opts, child(path, 'validation')));
  if (layout.sharedSubresources) errs.push(...validateSubresources(topSubresources, child(path, 'subresources')));
  if (layout.sharedColumns) {
    list(versions[0]?.additionalPrinterColumns).forEach((c, i) => errs.push(...validateColumn(c, index(child(path, 'additionalPrinterColumns'), i))));
  }
  if (layout.sharedSelectableFields && list(versions[0]?.selectableFields).length > 0) {
    const schema = topSchema?.openAPIV3Schema;
    if (!isObj(schema)) errs.push(fieldError.invalid(child(path, 'selectableFields'), '', 'may only be set when validations.schema is included'));
    else errs.push(...validateSelectableFields(list(versions[0]?.selectableFields), schema, child(path, 'selectableFields')));
  }

  const conversion = isObj(spec['conversion']) ? spec['conversion'] : undefined;
  if (conversion && str(conversion['strategy']) !== 'None' && preserveUnknownFields) {
    errs.push(fieldError.invalid(child(child(path, 'conversion'), 'strategy'), str(conversion['strategy']), 'must be None if spec.preserveUnknownFields is true'));
  }
  errs.push(...validateConversion(conversion, opts.requireRecognizedConversionReviewVersion, child(path, 'conversion')));
  return errs;
}

function validateVersion(v: Version, layout: InternalLayout, path: string, statusEnabled: boolean, opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  const warning = v.deprecationWarning;
  for (const problem of deprecationWarningProblems(v.deprecated === true, warning)) {
    errs.push(fieldError.invalid(child(path, 'deprecationWarning'), warning ?? null, problem));
  }
  if (!layout.sharedSchema) errs.push(...validateSchemaContainer(v.schema, statusEnabled, opts, child(path, 'schema')));
  if (!layout.sharedSubresources) errs.push(...validateSubresources(v.subresources, child(path, 'subresources')));
  if (!layout.sharedColumns) {
    list(v.additionalPrinterColumns).forEach((c, i) => errs.push(...validateColumn(c, index(child(path, 'additionalPrinterColumns'), i))));
  }
  if (!layout.sharedSelectableFields && list(v.selectableFields).length > 0) {
    const schema = layout.sharedSchema ? undefined : v.schema?.openAPIV3Schema;
    if (!isObj(schema)) errs.push(fieldError.invalid(child(path, 'selectableFields'), '', 'may only be set when `version.schema.openAPIV3Schema` is not included'));
    else errs.push(...validateSelectableFields(list(v.selectableFields), schema, child(path, 'selectableFields')));
  }
  return errs;
}

function deprecationWarningProblems(deprecated: boolean, warning: string | undefined): string[] {
  if (!deprecated && warning !== undefined) return ['can only be set for deprecated versions'];
  if (warning === undefined) return [];
  const problems: string[] = [];
  if (Buffer.byteLength(warning) > 256) problems.push('must be <= 256 characters long');
  if (warning.length === 0) problems.push('must not be an empty string');
  let offset = 0;
  for (const ch of warning) {
    if (/\p{Cc}/u.test(ch)) {
      problems.push(`must only contain printable UTF-8 characters; control character found at index ${offset}`);
      break;
    }
    if (!/[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u.test(ch)) {
      problems.push(`must only contain printable UTF-8 characters; non-printable character found at index ${offset}`);
      break;
    }
    offset += Buffer.byteLength(ch);
  }
  return problems;
}

export function validateNames(names: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const n of ['plural', 'singular']) {
    const v = str(names[n]);
    const problems = v ? isDNS1035Label(v) : [];
    if (problems.length) errs.push(fieldError.invalid(child(path, n), v, problems.join(',')));
  }
  for (const n of ['kind', 'listKind']) {
    const v = str(names[n]);
    const problems = v ? isDNS1035Label(v.toLowerCase()) : [];
    if (problems.length) errs.push(fieldError.invalid(child(path, n), v, `may have mixed case, but should otherwise match: ${problems.join(',')}`));
  }
  list<string>(names['shortNames']).forEach((s, i) => {
    const problems = isDNS1035Label(String(s));
    if (problems.length) errs.push(fieldError.invalid(index(child(path, 'shortNames'), i), s, problems.join(',')));
  });
  const kind = str(names['kind']);
  if (kind && kind === str(names['listKind'])) errs.push(fieldError.invalid(child(path, 'listKind'), kind, 'kind and listKind may not be the same'));
  list<string>(names['categories']).forEach((c, i) => {
    const problems = isDNS1035Label(String(c));
    if (problems.length) errs.push(fieldError.invalid(index(child(path, 'categories'), i), c, problems.join(',')));
  });
  return errs;
}

function validateStoredVersions(stored: unknown, versions: Version[], path: string): FieldError[] {
  const storedList = list<string>(stored);
  if (storedList.length === 0) return [fieldError.invalid(path, stored ?? null, 'must have at least one stored version')];
  const errs: FieldError[] = [];
  const remaining = new Map(storedList.map((v, i) => [v, i]));
  for (const v of versions) {
    const name = str(v.name);
    const isStored = remaining.has(name) || storedList.includes(name);
    if (v.storage === true && !isStored) errs.push(fieldError.invalid(path, storedList, `must have the storage version ${name}`));
    remaining.delete(name);
  }
  for (const [v, i] of remaining) {
    errs.push(
      fieldError.invalid(
        index(path, i),
        v,
        `missing from spec.versions; ${v} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in ${v} and removes ${v} from status.storedVersions`,
      ),
    );
  }
  return errs;
}

function isProtectedGroup(group: string): boolean {
  return group === 'k8s.io' || group.endsWith('.k8s.io') || group === 'kubernetes.io' || group.endsWith('.kubernetes.io');
}

type Approval = 'invalid' | 'approved' | 'bypassed' | 'missing';

function approvalState(annotations: Record<string, string> | undefined): [Approval, string] {
  const a = annotations?.[API_APPROVAL_ANNOTATION] ?? '';
  if (a === '') return ['missing', `protected groups must have approval annotation "${API_APPROVAL_ANNOTATION}", see https://github.com/kubernetes/enhancements/pull/1111`];
  if (a.startsWith('unapproved')) return ['bypassed', `not approved: ${JSON.stringify(a)}`];
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#\s]+/.test(a)) return ['approved', `approved in ${a}`];
  return [
    'invalid',
    `protected groups must have approval annotation "${API_APPROVAL_ANNOTATION}" with either a URL or a reason starting with "unapproved", see https://github.com/kubernetes/enhancements/pull/1111`,
  ];
}

function validateAPIApproval(crd: KObject, old: KObject | undefined): FieldError[] {
  if (!isProtectedGroup(str(obj(crd['spec'])['group']))) return [];
  const [state, reason] = approvalState(crd.metadata?.annotations);
  if (old && approvalState(old.metadata?.annotations)[0] === state) return [];
  const field = key('metadata.annotations', API_APPROVAL_ANNOTATION);
  if (state === 'missing') return [fieldError.required(field, reason)];
  if (state === 'invalid') return [fieldError.invalid(field, crd.metadata?.annotations?.[API_APPROVAL_ANNOTATION] ?? '', reason)];
  return [];
}

function validatePreserveUnknownFields(crd: KObject, old: KObject | undefined): FieldError[] {
  if (old && obj(old['spec'])['preserveUnknownFields'] === true) return [];
  if (obj(crd['spec'])['preserveUnknownFields'] !== true) return [];
  return [fieldError.invalid('spec.preserveUnknownFields', true, 'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead')];
}
