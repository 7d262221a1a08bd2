// Event rows. Both core/v1 Events and events.k8s.io/v1 Events print through the core shape
// (upstream serves both from one storage), so events.k8s.io objects are mapped onto core field names first.
import type { KObject, TableConvertor } from '../types.ts';
import { parseTimestamp, translateTimestampSince } from './duration.ts';
import { col, convertor, int, nameOf, NAME_DESCRIPTION, str, wide } from './format.ts';

/** The events.k8s.io/v1 field names mapped onto core/v1's, as upstream's conversion does. */
export function asCoreEvent(obj: KObject): KObject {
  const newStyle =
    str(obj.apiVersion).startsWith('events.k8s.io/') ||
    (obj.involvedObject === undefined && (obj.regarding !== undefined || obj.note !== undefined));
  if (!newStyle) return obj;
  return {
    ...obj,
    involvedObject: obj.regarding ?? {},
    message: obj.note,
    source: obj.deprecatedSource ?? {},
    firstTimestamp: obj.deprecatedFirstTimestamp,
    lastTimestamp: obj.deprecatedLastTimestamp,
    count: obj.deprecatedCount,
    reportingComponent: obj.reportingController,
  };
}

function eventSource(ev: KObject): string {
  const component = str(ev.source?.component) || str(ev.reportingComponent);
  const instance = str(ev.source?.host) || str(ev.reportingInstance);
  return instance === '' ? component : `${component}, ${instance}`;
}

export function eventCells(obj: KObject, now: number): unknown[] {
  const ev = asCoreEvent(obj);
  const firstSeen =
    parseTimestamp(ev.firstTimestamp) !== undefined
      ? translateTimestampSince(ev.firstTimestamp, now)
      : translateTimestampSince(ev.eventTime, now);
  let lastSeen = parseTimestamp(ev.lastTimestamp) !== undefined ? translateTimestampSince(ev.lastTimestamp, now) : firstSeen;

  let seen = int(ev.count);
  if (ev.series && typeof ev.series === 'object') {
    lastSeen = translateTimestampSince(ev.series.lastObservedTime, now);
    seen = int(ev.series.count);
  } else if (seen === 0) {
    seen = 1; // singleton events of the new API carry no count
  }

  const kind = str(ev.involvedObject?.kind).toLowerCase();
  const involvedName = str(ev.involvedObject?.name);
  const target = involvedName === '' ? kind : `${kind}/${involvedName}`;

  return [
    lastSeen,
    str(ev.type),
    str(ev.reason),
    target,
    str(ev.involvedObject?.fieldPath),
    eventSource(ev),
    str(ev.message).trim(),
    firstSeen,
    seen,
    nameOf(ev),
  ];
}

export const eventTable: TableConvertor = convertor(
  [
    col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
    col('Reason', 'string', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
    col('Object', 'string', 'The object that this event is about.'),
    wide('Subobject', 'string', 'The path of the part of the object this event is about, e.g. spec.containers{name}.'),
    wide('Source', 'string', 'The component reporting this event.'),
    col('Message', 'string', 'A human-readable description of the status of this operation.'),
    wide('First Seen', 'string', 'The time at which the event was first recorded.'),
    wide('Count', 'string', 'The number of times this event has occurred.'),
    col('Name', 'string', NAME_DESCRIPTION, { priority: 1, format: 'name' }),
  ],
  eventCells,
);
