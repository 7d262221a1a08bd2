// How `kubectl events` shows Events: kubectl's order (by series, last or event time), its LAST SEEN/TYPE/REASON/
// OBJECT/MESSAGE rows, and the typed core/v1 Event as Go's encoding/json writes it (struct field order, nulls kept).
import { humanDuration } from '../printers/duration.ts';

type Obj = Record<string, any>;

const parseTime = (t: unknown): number | undefined => {
  if (typeof t !== 'string' || !t) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
};

/** kubectl's eventTime(): the series' last observation, else lastTimestamp, else eventTime (0 when none). */
export function eventSortTime(e: Obj): number {
  if (e['series']) return parseTime(e['series']['lastObservedTime']) ?? 0;
  return parseTime(e['lastTimestamp']) ?? parseTime(e['eventTime']) ?? 0;
}

export function sortEvents(events: Obj[]): Obj[] {
  return events
    .map((e, i) => ({ e, i, t: eventSortTime(e) }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((x) => x.e);
}

const since = (t: unknown, now: number): string => {
  const ms = parseTime(t);
  return ms === undefined ? '<unknown>' : humanDuration(now - ms);
};

/** The LAST SEEN cell: `5m`, `30s (x5 over 10m)`. */
export function eventInterval(e: Obj, now = Date.now()): string {
  const first = e['eventTime'] ? since(e['eventTime'], now) : since(e['firstTimestamp'], now);
  if (e['series']) return `${since(e['series']['lastObservedTime'], now)} (x${e['series']['count'] ?? 0} over ${first})`;
  if ((e['count'] ?? 0) > 1) return `${since(e['lastTimestamp'], now)} (x${e['count']} over ${first})`;
  return first;
}

/** printers.EscapeTerminal: control characters other than tab and newline are shown escaped. */
function escapeTerminal(s: string): string {
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

export function eventHeader(allNamespaces: boolean): string {
  return `${allNamespaces ? 'NAMESPACE\t' : ''}LAST SEEN\tTYPE\tREASON\tOBJECT\tMESSAGE\n`;
}

export function eventRow(e: Obj, allNamespaces: boolean, now = Date.now()): string {
  const io = (e['involvedObject'] ?? {}) as Obj;
  const cells = [eventInterval(e, now), escapeTerminal(e['type'] ?? ''), escapeTerminal(e['reason'] ?? ''), `${escapeTerminal(io['kind'] ?? '')}/${escapeTerminal(io['name'] ?? '')}`, escapeTerminal(String(e['message'] ?? '').trim())];
  if (allNamespaces) cells.unshift(e['metadata']?.['namespace'] ?? '');
  return `${cells.join('\t')}\n`;
}

/** metav1.Time: RFC 3339 in UTC to the second; null when unset. */
export function goTime(t: unknown): string | null {
  const ms = parseTime(t);
  return ms === undefined ? null : new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** metav1.MicroTime: six fractional digits; JavaScript keeps milliseconds, so the rest comes from the text. */
export function goMicroTime(t: unknown): string | null {
  const ms = parseTime(t);
  if (ms === undefined || typeof t !== 'string') return null;
  const frac = /\.(\d+)/.exec(t)?.[1] ?? '';
  const base = new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d+Z$/, '');
  return `${base}.${(frac + '000000').slice(0, 6)}Z`;
}

const META_ORDER = ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields'];
const REF_ORDER = ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'];

function ordered(o: Obj | undefined, keys: string[]): Obj {
  const out: Obj = {};
  for (const k of keys) {
    const v = o?.[k];
    if (v === undefined || v === null || v === '' || v === 0 || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0 && k !== 'source')) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out;
}

/** A core/v1 Event as kubectl's JSON printer writes the typed object; managedFields dropped unless asked for. */
export function typedEvent(e: Obj, showManagedFields = false): Obj {
  const meta = ordered(e['metadata'], META_ORDER);
  if (!showManagedFields) delete meta['managedFields'];
  const out: Obj = { kind: 'Event', apiVersion: 'v1', metadata: meta, involvedObject: ordered(e['involvedObject'], REF_ORDER) };
  if (e['reason']) out['reason'] = e['reason'];
  if (e['message']) out['message'] = e['message'];
  out['source'] = ordered(e['source'], ['component', 'host']);
  out['firstTimestamp'] = goTime(e['firstTimestamp']);
  out['lastTimestamp'] = goTime(e['lastTimestamp']);
  if (e['count']) out['count'] = e['count'];
  if (e['type']) out['type'] = e['type'];
  out['eventTime'] = goMicroTime(e['eventTime']);
  if (e['series']) {
    const series: Obj = {};
    if (e['series']['count']) series['count'] = e['series']['count'];
    series['lastObservedTime'] = goMicroTime(e['series']['lastObservedTime']);
    out['series'] = series;
  }
  if (e['action']) out['action'] = e['action'];
  if (e['related']) out['related'] = ordered(e['related'], REF_ORDER);
  out['reportingComponent'] = e['reportingComponent'] ?? '';
  out['reportingInstance'] = e['reportingInstance'] ?? '';
  return out;
}
