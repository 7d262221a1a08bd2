// Label and field selectors compiled into one predicate over stored objects.
import type { KObject, ResourceType } from '../api/types.ts';
import { convertFieldSelector, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, SelectorParseError } from './selectors.ts';
import { StatusError } from './status.ts';

const always = () => true;

/** Field names a resource can be selected by: metadata.name, metadata.namespace and the type's own. */
export function selectableFieldNames(type: ResourceType): string[] {
  const stub: KObject = { metadata: {}, spec: {}, status: {} };
  let extra: string[] = [];
  try {
    extra = Object.keys(type.selectableFields?.(stub) ?? {});
  } catch {
    extra = [];
  }
  return ['metadata.name', 'metadata.namespace', ...extra];
}

export function objectFields(type: ResourceType, obj: KObject): Record<string, string> {
  return {
    'metadata.name': obj.metadata?.name ?? '',
    'metadata.namespace': obj.metadata?.namespace ?? '',
    ...(type.selectableFields?.(obj) ?? {}),
  };
}

export function compilePredicate(type: ResourceType, labelSelector: string, fieldSelector: string): (obj: KObject) => boolean {
  let labelPred: (obj: KObject) => boolean = always;
  let fieldPred: (obj: KObject) => boolean = always;
  try {
    if (labelSelector.trim()) {
      const sel = parseLabelSelector(labelSelector);
      labelPred = (obj) => matchesLabels(sel, obj.metadata?.labels ?? {});
    }
    if (fieldSelector.trim()) {
      // Kinds with their own selectable fields answer "field label not supported"; the rest upstream's default message.
      const sel = convertFieldSelector(parseFieldSelector(fieldSelector), type.selectableFields ? selectableFieldNames(type) : undefined);
      fieldPred = (obj) => matchesFields(sel, objectFields(type, obj));
    }
  } catch (err) {
    if (err instanceof SelectorParseError) throw new StatusError(400, 'BadRequest', err.message, undefined, { cause: err });
    throw err;
  }
  if (labelPred === always) return fieldPred;
  if (fieldPred === always) return labelPred;
  return (obj) => labelPred(obj) && fieldPred(obj);
}
