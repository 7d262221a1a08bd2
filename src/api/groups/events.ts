// events.k8s.io/v1: the same Events as core/v1, stored in core's shape under /registry/events.
import type { FieldError, KObject, ResourceType } from '../types.ts';
import { fieldError, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../validation.ts';
import { CRUD_VERBS, isObj, str, type Obj } from './common.ts';
import { coreEventFields, reportedEventErrors } from './core.ts';

/** events.k8s.io field name ↔ core/v1 field name. */
const RENAMES: Array<[string, string]> = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

function rename(obj: KObject, apiVersion: string, pairs: Array<[string, string]>): KObject {
  const out: KObject = {};
  const map = new Map(pairs);
  for (const [k, v] of Object.entries(obj)) out[map.get(k) ?? k] = structuredClone(v);
  out.apiVersion = apiVersion;
  out.kind = 'Event';
  return out;
}

/** events.k8s.io/v1 Event → core/v1 Event (the stored form). */
export function eventToCore(obj: KObject): KObject {
  return rename(obj, 'v1', RENAMES);
}

/** core/v1 Event → events.k8s.io/v1 Event. */
export function eventFromCore(obj: KObject): KObject {
  const out = rename(obj, 'events.k8s.io/v1', RENAMES.map(([a, b]) => [b, a]));
  // Zero values a core Event may carry that events.k8s.io leaves out.
  if (isObj(out['deprecatedSource']) && !Object.keys(out['deprecatedSource']).length) delete out['deprecatedSource'];
  return out;
}

function validateEvent(obj: KObject): FieldError[] {
  const errs = validateObjectMeta(obj.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const series: Obj | undefined = isObj(obj['series']) ? obj['series'] : undefined;
  if (series) {
    if (Number(series['count'] ?? 0) < 2) errs.push(fieldError.invalid('series.count', '', 'should be at least 2'));
    if (!series['lastObservedTime']) errs.push(fieldError.required('series.lastObservedTime'));
  }
  if (!obj['eventTime']) errs.push(fieldError.required('eventTime'));
  const type = str(obj['type']);
  if (type !== 'Normal' && type !== 'Warning') errs.push(fieldError.invalid('type', '', `has invalid value: ${type}`));
  if (obj['deprecatedFirstTimestamp']) errs.push(fieldError.invalid('deprecatedFirstTimestamp', '', 'needs to be unset'));
  if (obj['deprecatedLastTimestamp']) errs.push(fieldError.invalid('deprecatedLastTimestamp', '', 'needs to be unset'));
  if (obj['deprecatedCount']) errs.push(fieldError.invalid('deprecatedCount', '', 'needs to be unset'));
  const src: Obj = isObj(obj['deprecatedSource']) ? obj['deprecatedSource'] : {};
  if (src['component'] || src['host']) errs.push(fieldError.invalid('deprecatedSource', '', 'needs to be unset'));
  const ns = str(obj.metadata?.namespace);
  const regardingNS = str(isObj(obj['regarding']) ? obj['regarding']['namespace'] : '');
  if (!regardingNS && ns !== 'default' && ns !== 'kube-system') errs.push(fieldError.invalid('involvedObject.namespace', regardingNS, 'does not match event.namespace'));
  errs.push(...reportedEventErrors(obj, 'reportingController', 'note'));
  return errs;
}

const events: ResourceType = {
  group: 'events.k8s.io',
  version: 'v1',
  kind: 'Event',
  listKind: 'EventList',
  plural: 'events',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  verbs: CRUD_VERBS,
  schemaType: 'io.k8s.api.events.v1.Event',
  storageResource: 'events',
  hasGeneration: false,
  validateCreate: validateEvent,
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateEvent(obj)],
  convertToStorage: eventToCore,
  convertFromStorage: eventFromCore,
  // Upstream serves core's field selectors for these Events; the events.k8s.io names map onto them.
  selectableFields(obj) {
    const core = isObj(obj['regarding']) || 'note' in obj ? eventToCore(obj) : obj;
    const f = coreEventFields(core);
    return {
      ...f,
      'regarding.kind': f['involvedObject.kind']!,
      'regarding.namespace': f['involvedObject.namespace']!,
      'regarding.name': f['involvedObject.name']!,
      'regarding.uid': f['involvedObject.uid']!,
      'regarding.apiVersion': f['involvedObject.apiVersion']!,
      'regarding.resourceVersion': f['involvedObject.resourceVersion']!,
      'regarding.fieldPath': f['involvedObject.fieldPath']!,
      reportingController: f['reportingComponent']!,
    };
  },
};

export const resources: ResourceType[] = [events];
