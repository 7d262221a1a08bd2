// CustomResourceDefinitions: their defaults and registry strategy, and the ResourceType a served
// version of a CRD becomes. The pieces: crd-validation.ts (validating CRDs), schema-validate.ts
// (validating custom resources), pruning.ts, defaulting.ts, table.ts (printer columns).
import type { FieldError, KObject, ResourceType } from '../api/types.ts';
import { fieldError, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../api/validation.ts';
import type { Version } from './crd-internal.ts';
import { schemaHas } from './crd-common.ts';
import { defaultCustomResource } from './defaulting.ts';
import { goPrint } from './gofmt.ts';
import { findResults, parseJSONPath, type JSONPath } from './jsonpath.ts';
import { isObj, type JSONSchemaProps, type Obj } from './jsonschema.ts';
import { validateListSetsAndMaps } from './listtype.ts';
import { validateEmbeddedResources, withoutCoreFinalizerRule } from './objectmeta.ts';
import { pruneUnknown } from './pruning.ts';
import { validateAgainstSchema, validateAgainstSchemaUpdate } from './schema-validate.ts';
import { printerColumnsTable, type PrinterColumn } from './table.ts';

export { validateCRD, validateCRDUpdate, validateCRDStatusUpdate, crdWarnings } from './crd-validation.ts';
export { pruneUnknown } from './pruning.ts';
export { applyDefaults, pruneNonNullableNulls, defaultCustomResource } from './defaulting.ts';
export { validateAgainstSchema, validateAgainstSchemaUpdate } from './schema-validate.ts';
export { printerColumnsTable } from './table.ts';
export type { JSONSchemaProps } from './jsonschema.ts';

/** Discovery's verbs for a custom resource, in upstream's order. */
export const CUSTOM_RESOURCE_VERBS = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];

const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function versionsOf(crd: KObject): Version[] {
  const versions = obj(crd['spec'])['versions'];
  return Array.isArray(versions) ? (versions.filter(isObj) as Version[]) : [];
}

// ---------------------------------------------------------------------------------------------
// The CRD's own strategy.

/** apiextensions/v1 defaulting: singular, listKind, conversion strategy None, webhook service port 443, storedVersions. */
export function crdDefaults(crd: KObject): void {
  const spec = (crd['spec'] = obj(crd['spec']));
  const names = (spec['names'] = obj(spec['names']));
  const kind = str(names['kind']);
  if (!str(names['singular'])) names['singular'] = kind.toLowerCase();
  if (!str(names['listKind']) && kind) names['listKind'] = `${kind}List`;
  if (!isObj(spec['conversion'])) spec['conversion'] = { strategy: 'None' };
  const service = obj(obj(obj(spec['conversion'])['webhook'])['clientConfig'])['service'];
  if (isObj(service) && service['port'] === undefined) service['port'] = 443;
  const status = obj(crd['status']);
  if (strings(status['storedVersions']).length === 0) {
    const storage = versionsOf(crd).find((v) => v.storage === true);
    if (storage) {
      status['storedVersions'] = [str(storage.name)];
      crd['status'] = status;
    }
  }
}

/** The CRD registry's PrepareForCreate: status starts empty but for the storage version, generation 1. */
export function crdPrepareForCreate(crd: KObject): void {
  crd['status'] = {};
  recordStorageVersion(crd);
  crd.metadata = { ...(crd.metadata ?? {}), generation: 1 };
}

/** PrepareForUpdate: status is kept from the stored CRD; a new storage version is recorded; generation counts spec changes. */
export function crdPrepareForUpdate(crd: KObject, old: KObject): void {
  crd['status'] = structuredClone(old['status'] ?? {});
  recordStorageVersion(crd);
}

function recordStorageVersion(crd: KObject): void {
  const status = obj(crd['status']);
  const stored = strings(status['storedVersions']);
  const storage = versionsOf(crd).find((v) => v.storage === true);
  if (storage && !stored.includes(str(storage.name))) {
    stored.push(str(storage.name));
    status['storedVersions'] = stored;
  }
  crd['status'] = status;
}

// ---------------------------------------------------------------------------------------------
// Custom resources.

/** The names a CRD serves under: status.acceptedNames once the naming controller set them, else spec.names. */
export function servedNames(crd: KObject): Obj {
  const accepted = obj(obj(crd['status'])['acceptedNames']);
  return str(accepted['plural']) && str(accepted['kind']) ? accepted : obj(obj(crd['spec'])['names']);
}

/** The schema a version validates, prunes and defaults with (undefined when it has none). */
export function schemaForVersion(crd: KObject, version: string): JSONSchemaProps | undefined {
  const v = versionsOf(crd).find((x) => x.name === version);
  const s = v?.schema?.openAPIV3Schema;
  return isObj(s) ? s : undefined;
}

const stripDot = (p: string): string => (p.startsWith('.') ? p.slice(1) : p);

export class UnknownVersionError extends Error {
  override name = 'UnknownVersionError';
}

/**
 * The registry entry for one version of a CRD. Besides the names and subresources it carries the
 * CRD's strategy: structural defaulting, schema validation with ratcheting on update, metadata and
 * type meta checks, /scale path checks, list-type uniqueness and embedded resources, and the printer
 * columns as its table. Pruning (pruneUnknown) belongs to decoding and is left to the caller.
 */
export function resourceTypeForCRD(crd: KObject, version: string): ResourceType {
  const spec = obj(crd['spec']);
  const v = versionsOf(crd).find((x) => x.name === version);
  if (!v) throw new UnknownVersionError(`version ${version} not found in CustomResourceDefinition ${crd.metadata?.name ?? ''}`);
  const names = servedNames(crd);
  const group = str(spec['group']);
  const kind = str(names['kind']);
  const plural = str(names['plural']);
  const namespaced = spec['scope'] === 'Namespaced';
  const schema = isObj(v.schema?.openAPIV3Schema) ? (v.schema.openAPIV3Schema as JSONSchemaProps) : undefined;
  const subresources = obj(v.subresources);
  const scaleSpec = isObj(subresources['scale']) ? subresources['scale'] : undefined;
  const hasStatus = isObj(subresources['status']);
  const scale = scaleSpec
    ? {
        specReplicasPath: stripDot(str(scaleSpec['specReplicasPath'])),
        statusReplicasPath: stripDot(str(scaleSpec['statusReplicasPath'])),
        ...(str(scaleSpec['labelSelectorPath']) ? { labelSelectorPath: stripDot(str(scaleSpec['labelSelectorPath'])) } : {}),
      }
    : undefined;
  const apiVersion = `${group}/${version}`;
  const hasRules = schemaHas(schema, (s) => Array.isArray(s['x-kubernetes-validations']) && s['x-kubernetes-validations'].length > 0);

  const typeMetaErrors = (o: KObject): FieldError[] => {
    const errs: FieldError[] = [];
    if (o.kind !== kind) errs.push(fieldError.invalid('kind', o.kind ?? '', `must be ${kind}`));
    if (o.apiVersion !== apiVersion) errs.push(fieldError.invalid('apiVersion', o.apiVersion ?? '', `must be ${apiVersion}`));
    return errs;
  };
  const scaleErrors = (o: KObject): FieldError[] => (scaleSpec ? validateScale(o, scaleSpec) : []);
  const withRulesNote = (errs: FieldError[]): FieldError[] => {
    if (hasRules && errs.some((e) => BLOCKING_REASONS.has(e.reason))) {
      errs.push({ reason: 'FieldValueInvalid', field: '<nil>', message: '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation' });
    }
    return errs;
  };

  const type: ResourceType = {
    group,
    version,
    kind,
    listKind: str(names['listKind']) || `${kind}List`,
    plural,
    singular: str(names['singular']) || kind.toLowerCase(),
    namespaced,
    verbs: [...CUSTOM_RESOURCE_VERBS],
    schemaType: `crd:${group}/${version}/${kind}`,
    // A custom resource's /status changes status only.
    statusWritableMetadata: [],
    storageResource: `${group}/${plural}`,
    hasGeneration: true,
    defaults: (o) => defaultCustomResource(schema, o),
    validateCreate(o) {
      const typeErrs = typeMetaErrors(o);
      if (typeErrs.length) return typeErrs;
      return withRulesNote([
        ...withoutCoreFinalizerRule(validateObjectMeta(o.metadata, { namespaced, nameFn: nameIsDNSSubdomain })),
        ...validateAgainstSchema(schema, o),
        ...scaleErrors(o),
        ...validateEmbeddedResources(schema, o),
        ...validateListSetsAndMaps(schema, o),
      ]);
    },
    validateUpdate(o, old) {
      const typeErrs = typeMetaErrors(o);
      if (typeErrs.length) return typeErrs;
      const listErrs = validateListSetsAndMaps(schema, old).length === 0 ? validateListSetsAndMaps(schema, o) : [];
      return withRulesNote([
        ...withoutCoreFinalizerRule(validateObjectMetaUpdate(o.metadata, old.metadata)),
        ...validateAgainstSchemaUpdate(schema, o, old),
        ...scaleErrors(o),
        ...validateEmbeddedResources(schema, o),
        ...listErrs,
      ]);
    },
    // Upstream drops status on create when it is a subresource (updates keep the stored one: the store does that).
    ...(hasStatus ? { prepareForCreate: (o: KObject) => void delete o['status'] } : {}),
    table: printerColumnsTable(v.additionalPrinterColumns as PrinterColumn[] | undefined),
  };
  const shortNames = strings(names['shortNames']);
  const categories = strings(names['categories']);
  if (shortNames.length) type.shortNames = shortNames;
  if (categories.length) type.categories = categories;
  // Conversion strategy None: the storage version's object with another apiVersion, pruned to the
  // target version's schema (and defaulted by the storage version's schema when read, as decoding does).
  const storage = versionsOf(crd).find((x) => x.storage === true);
  if (storage && storage.name !== version) {
    const storageSchema = isObj(storage.schema?.openAPIV3Schema) ? (storage.schema.openAPIV3Schema as JSONSchemaProps) : undefined;
    const storageAPIVersion = `${group}/${str(storage.name)}`;
    type.convertToStorage = (o) => {
      const out = structuredClone(o);
      out.apiVersion = storageAPIVersion;
      pruneUnknown(storageSchema, out);
      return out;
    };
    type.convertFromStorage = (o) => {
      const out = structuredClone(o);
      defaultCustomResource(storageSchema, out);
      out.apiVersion = apiVersion;
      pruneUnknown(schema, out);
      return out;
    };
  }
  const selectable = selectableFieldsOf(v);
  if (selectable.length) type.selectableFields = (o) => selectableValues(selectable, o);
  const subs = [...(hasStatus ? ['status'] : []), ...(scale ? ['scale'] : [])];
  if (subs.length) type.subresources = subs;
  if (scale) type.scale = scale;
  return type;
}

interface SelectableField {
  name: string;
  path: JSONPath | undefined;
}

/** versions[].selectableFields: field-selector names ("spec.color") with the JSONPath that reads them. */
function selectableFieldsOf(v: Version): SelectableField[] {
  const fields = Array.isArray(v.selectableFields) ? v.selectableFields : [];
  return fields.map((f) => {
    const jsonPath = str(f['jsonPath']);
    let path: JSONPath | undefined;
    try {
      path = parseJSONPath(`{${jsonPath}}`);
    } catch {
      path = undefined;
    }
    return { name: stripDot(jsonPath), path };
  });
}

/** The values field selectors compare: fmt.Sprint of the value, "" when absent. */
function selectableValues(fields: SelectableField[], o: KObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    let value: unknown;
    try {
      value = f.path ? findResults(f.path, o)[0]?.[0] : undefined;
    } catch {
      value = undefined;
    }
    out[f.name] = value === undefined || value === null ? '' : typeof value === 'string' ? value : goPrint(value);
  }
  return out;
}

/** Field errors after which upstream does not run CEL rules. */
const BLOCKING_REASONS = new Set(['FieldValueNotSupported', 'FieldValueRequired', 'FieldValueTooLong', 'FieldValueTooMany', 'FieldValueTypeInvalid']);

const MAX_INT32 = 2 ** 31 - 1;

/** unstructured.NestedInt64 / NestedString, with their error messages. */
function nested(o: KObject, jsonPath: string, want: 'int64' | 'string'): { value: unknown; error?: string } {
  const fields = stripDot(jsonPath).split('.');
  let cur: unknown = o;
  for (let i = 0; i < fields.length; i++) {
    if (!isObj(cur)) {
      const at = `.${fields.slice(0, i).join('.')}`;
      return { value: undefined, error: `${at} accessor error: ${goValue(cur)} is of the type ${goType(cur)}, expected map[string]interface{}` };
    }
    if (!Object.prototype.hasOwnProperty.call(cur, fields[i]!)) return { value: undefined };
    cur = cur[fields[i]!];
  }
  const ok = want === 'int64' ? typeof cur === 'number' && Number.isInteger(cur) : typeof cur === 'string';
  if (!ok) return { value: cur, error: `.${fields.join('.')} accessor error: ${goValue(cur)} is of the type ${goType(cur)}, expected ${want}` };
  return { value: cur };
}

function goType(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function validateScale(o: KObject, scale: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const replicas = (path: string): void => {
    const r = nested(o, path, 'int64');
    const n = typeof r.value === 'number' && !r.error ? r.value : 0;
    if (r.error) errs.push(fieldError.invalid(path, 0, r.error));
    else if (n < 0) errs.push(fieldError.invalid(path, n, 'should be a non-negative integer'));
    else if (n > MAX_INT32) errs.push(fieldError.invalid(path, n, `should be less than or equal to ${MAX_INT32}`));
  };
  replicas(str(scale['specReplicasPath']));
  replicas(str(scale['statusReplicasPath']));
  const selectorPath = str(scale['labelSelectorPath']);
  if (selectorPath) {
    const r = nested(o, selectorPath, 'string');
    if (r.error) errs.push(fieldError.invalid(selectorPath, '', r.error));
  }
  return errs;
}
