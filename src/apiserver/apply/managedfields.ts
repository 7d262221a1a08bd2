// metadata.managedFields ⇄ manager sets. A manager is identified by its name, operation, subresource
// and (for updates only) apiVersion, as upstream's BuildManagerIdentifier; times are kept beside.
import { FieldSet } from './fieldset.ts';
import type { ManagedSets } from './updater.ts';
import { goQuote, isMap } from './value.ts';

export type Operation = 'Apply' | 'Update';

/** One metadata.managedFields entry, keys in the order upstream writes them. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: Operation;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

export interface Managed {
  sets: ManagedSets;
  /** Manager identifier → time of its last change (RFC 3339), when known. */
  times: Map<string, string | undefined>;
}

export function emptyManaged(): Managed {
  return { sets: new Map(), times: new Map() };
}

export class ManagedFieldsError extends Error {
  override name = 'ManagedFieldsError';
}

export interface ManagerInfo {
  manager: string;
  operation: Operation;
  apiVersion?: string;
  subresource?: string;
}

/** The identifier upstream keys managers by: JSON of the entry without time and fields (and without apiVersion for Apply). */
export function managerIdentifier(info: ManagerInfo): string {
  const id: Record<string, string> = {};
  if (info.manager) id['manager'] = info.manager;
  id['operation'] = info.operation;
  if (info.operation !== 'Apply' && info.apiVersion) id['apiVersion'] = info.apiVersion;
  if (info.subresource) id['subresource'] = info.subresource;
  return JSON.stringify(id);
}

export function parseIdentifier(id: string): ManagerInfo | undefined {
  try {
    const v = JSON.parse(id) as Record<string, unknown>;
    if (!isMap(v)) return undefined;
    const info: ManagerInfo = { manager: String(v['manager'] ?? ''), operation: v['operation'] === 'Apply' ? 'Apply' : 'Update' };
    if (typeof v['apiVersion'] === 'string') info.apiVersion = v['apiVersion'];
    if (typeof v['subresource'] === 'string') info.subresource = v['subresource'];
    return info;
  } catch {
    return undefined;
  }
}

/** How conflicts name a manager: `"kubectl"`, `"kube-controller-manager" with subresource "status" using apps/v1`. */
export function printManager(id: string): string {
  const info = parseIdentifier(id);
  if (!info) return goQuote(id);
  let s = goQuote(info.manager);
  if (info.subresource) s += ` with subresource ${goQuote(info.subresource)}`;
  if (info.operation === 'Update') s += ` using ${info.apiVersion ?? ''}`;
  return s;
}

/** Decodes metadata.managedFields; throws ManagedFieldsError on an invalid entry, as upstream rejects it. */
export function decodeManagedFields(entries: unknown): Managed {
  const managed = emptyManaged();
  if (entries === undefined || entries === null) return managed;
  if (!Array.isArray(entries)) throw new ManagedFieldsError('managedFields must be a list');
  entries.forEach((e: unknown, i) => {
    if (!isMap(e)) throw new ManagedFieldsError(`managed fields entry ${i} must be an object`);
    const operation = e['operation'];
    if (operation !== 'Apply' && operation !== 'Update') throw new ManagedFieldsError('operation must be `Apply` or `Update`');
    const apiVersion = typeof e['apiVersion'] === 'string' ? e['apiVersion'] : '';
    if (apiVersion.length < 1) throw new ManagedFieldsError('apiVersion must not be empty');
    const fieldsType = e['fieldsType'];
    if (fieldsType === undefined || fieldsType === '' || fieldsType === null) throw new ManagedFieldsError(`missing fieldsType in managed fields entry ${i}`);
    if (fieldsType !== 'FieldsV1') throw new ManagedFieldsError(`invalid fieldsType ${goQuote(String(fieldsType))} in managed fields entry ${i}`);
    const info: ManagerInfo = { manager: typeof e['manager'] === 'string' ? e['manager'] : '', operation, apiVersion };
    if (typeof e['subresource'] === 'string' && e['subresource']) info.subresource = e['subresource'];
    const id = managerIdentifier(info);
    let set: FieldSet;
    try {
      set = FieldSet.fromFieldsV1(e['fieldsV1'] ?? {});
    } catch (err) {
      throw new ManagedFieldsError(`error decoding versioned set: ${(err as Error).message}`, { cause: err });
    }
    managed.sets.set(id, { set, apiVersion, applied: operation === 'Apply' });
    managed.times.set(id, typeof e['time'] === 'string' ? e['time'] : undefined);
  });
  return managed;
}

function seconds(time: string | undefined): number {
  if (!time) return 0;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Encodes manager sets as metadata.managedFields, sorted as upstream sorts them; undefined when there are none. */
export function encodeManagedFields(managed: Managed): ManagedFieldsEntry[] | undefined {
  if (managed.sets.size === 0) return undefined;
  const entries: ManagedFieldsEntry[] = [];
  for (const [id, vs] of managed.sets) {
    const info = parseIdentifier(id) ?? { manager: id, operation: 'Update' as const };
    const entry: ManagedFieldsEntry = { manager: info.manager, operation: vs.applied ? 'Apply' : info.operation, apiVersion: vs.apiVersion };
    const time = managed.times.get(id);
    if (time !== undefined) entry.time = time;
    entry.fieldsType = 'FieldsV1';
    entry.fieldsV1 = vs.set.toFieldsV1();
    if (info.subresource) entry.subresource = info.subresource;
    entries.push(entry);
  }
  return entries.sort(
    (p, q) =>
      byString(p.operation ?? '', q.operation ?? '') ||
      seconds(p.time) - seconds(q.time) ||
      byString(p.manager ?? '', q.manager ?? '') ||
      byString(p.apiVersion ?? '', q.apiVersion ?? '') ||
      byString(p.subresource ?? '', q.subresource ?? ''),
  );
}

/** upstream's isResetManagedFields: `[]` or `[{}]` in a request clears managedFields. */
export function isResetManagedFields(entries: unknown): boolean {
  if (!Array.isArray(entries)) return false;
  if (entries.length === 0) return true;
  return entries.length === 1 && isMap(entries[0]) && Object.values(entries[0]).every((v) => v === undefined || v === '' || v === null);
}
