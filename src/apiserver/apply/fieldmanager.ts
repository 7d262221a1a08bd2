// What kube-apiserver's field manager does on every write, as one function per kind of write:
// updateManagedFields for create/update/patch (operation Update) and applyObject for server-side apply.
// Upstream builds this as a chain of wrappers (managedfields/internal: fieldmanager, versioncheck,
// lastappliedupdater, lastappliedmanager, skipnonapplied, capmanagers, buildmanagerinfo,
// managedfieldsupdater, stripmeta, structuredmerge); the steps below follow that order.
import type { KObject } from '../../api/types.ts';
import { StatusError } from '../status.ts';
import { fieldConflict, type FieldConflict } from './conflict.ts';
import { fieldPath } from './fieldpath.ts';
import { FieldSet } from './fieldset.ts';
import { goView } from './goview.ts';
import {
  decodeManagedFields,
  emptyManaged,
  encodeManagedFields,
  isResetManagedFields,
  managerIdentifier,
  type Managed,
  type ManagedFieldsEntry,
} from './managedfields.ts';
import { atomForType, type Atom } from './schema.ts';
import { compare, formatValidationErrors, toFieldSet, validate } from './typed.ts';
import { applySets, ConflictsError, updateSets, type ManagedSets } from './updater.ts';
import { cloneValue, goJSON, isMap, setOwn } from './value.ts';

/** A Skiff schema type name ("io.k8s.api.apps.v1.Deployment"), or an atom (custom resources: atomForCustomResource). */
export type ApplySchema = string | Atom;

export interface WriteOptions {
  /** The field manager (the request's fieldManager, or managerOrUserAgent()). */
  manager: string;
  /** The request's group/version, e.g. "apps/v1" or "v1". */
  apiVersion: string;
  /** Now, RFC 3339 in seconds ("2026-11-26T10:21:00Z"); defaults to the clock. */
  time?: string;
  /** The subresource written ("status", "scale"), if any. */
  subresource?: string;
  /**
   * The endpoint's reset fields (upstream's ResetFieldsStrategy), as field-name paths: changes there are
   * owned by nobody. The main resource of a type with a status subresource: [["status"]]; its /status:
   * [["spec"]] (plus e.g. ["metadata","labels"] for workloads, see the registry's strategies).
   */
  resetFields?: ReadonlyArray<readonly string[]>;
}

export interface ApplyOptions extends WriteOptions {
  /** The resource's kind; the applied configuration must carry this kind and `apiVersion`. */
  kind: string;
  force?: boolean;
}

export interface ApplyResult {
  /**
   * The object to store (live merged with the configuration, defaults not yet applied), with its new
   * metadata.managedFields. When the apply conflicts, the live object unchanged.
   */
  object: KObject;
  /** Whether the object changed apart from managedFields. */
  changed: boolean;
  /** Set when another manager owns a field this apply changes and force is off: answer conflictStatus(conflicts). */
  conflicts?: FieldConflict[];
}

/** Paths nobody ever owns (upstream's stripmeta). */
const STRIPPED_PATHS = [
  ['apiVersion'],
  ['kind'],
  ['metadata'],
  ['metadata', 'name'],
  ['metadata', 'namespace'],
  ['metadata', 'creationTimestamp'],
  ['metadata', 'selfLink'],
  ['metadata', 'uid'],
  ['metadata', 'clusterName'],
  ['metadata', 'generation'],
  ['metadata', 'managedFields'],
  ['metadata', 'resourceVersion'],
];
let stripped: FieldSet | undefined;

const MAX_UPDATE_MANAGERS = 10;
const ANCIENT_CHANGES = 'ancient-changes';
const BEFORE_FIRST_APPLY = 'before-first-apply';
const CURRENT_OPERATION = 'current-operation';
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
const FIELD_MANAGER_MAX_LENGTH = 128;

interface Resolved {
  atom: Atom;
  /** The object as the field manager compares it (for built-in types: the Go view). */
  view(obj: unknown): unknown;
  typed: boolean;
}

function resolve(schema: ApplySchema): Resolved {
  if (typeof schema === 'string') return { atom: atomForType(schema), view: (o) => goView(schema, o), typed: true };
  return { atom: schema, view: (o) => (isMap(o) ? o : {}), typed: false };
}

export function nowRFC3339(): string {
  return `${new Date().toISOString().slice(0, 19)}Z`;
}

/** upstream's managerOrUserAgent: the fieldManager, or the user agent up to its first "/", printable, at most 128 bytes. */
export function managerOrUserAgent(fieldManager: string | undefined, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  let out = '';
  let bytes = 0;
  for (const ch of (userAgent ?? '').split('/')[0] ?? '') {
    if (/[\p{C}\p{Z}]/u.test(ch) && ch !== ' ') continue; // Go's unicode.IsPrint
    const n = Buffer.byteLength(ch);
    if (bytes + n > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += n;
  }
  return out;
}

function metadataOf(obj: unknown): Record<string, unknown> | undefined {
  return isMap(obj) && isMap(obj['metadata']) ? obj['metadata'] : undefined;
}

function withManagedFields(obj: KObject, entries: ManagedFieldsEntry[] | undefined): KObject {
  const out: KObject = { ...obj };
  const meta = metadataOf(obj);
  if (!meta && !entries) return out;
  // Keep the key order of the metadata; a new managedFields goes last.
  const next: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta ?? {})) {
    if (k !== 'managedFields') setOwn(next, k, v);
    else if (entries) next[k] = entries;
  }
  if (entries) next['managedFields'] = entries;
  out.metadata = next;
  return out;
}

function resetSet(paths: WriteOptions['resetFields']): FieldSet | undefined {
  return paths && paths.length > 0 ? FieldSet.of(...paths.map((p) => fieldPath(...p))) : undefined;
}

function decodeOrEmpty(entries: unknown): Managed {
  try {
    return decodeManagedFields(entries);
  } catch {
    return emptyManaged();
  }
}

function copyManaged(m: Managed): Managed {
  return { sets: new Map(m.sets), times: new Map(m.times) };
}

function strip(sets: ManagedSets, id: string): void {
  const vs = sets.get(id);
  if (!vs) return;
  stripped ??= FieldSet.of(...STRIPPED_PATHS.map((p) => fieldPath(...p)));
  const set = vs.set.difference(stripped);
  if (set.empty) sets.delete(id);
  else sets.set(id, { ...vs, set });
}

// Update managers beyond ten are folded, oldest first, into one "ancient-changes" entry per apiVersion.
function capUpdateManagers(m: Managed): void {
  const updaters = [...m.sets].filter(([, vs]) => !vs.applied).map(([id]) => id);
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  const secs = (id: string) => {
    const t = m.times.get(id);
    const ms = t ? Date.parse(t) : NaN;
    return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
  };
  updaters.sort((a, b) => secs(a) - secs(b) || (a < b ? -1 : a > b ? 1 : 0));
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > MAX_UPDATE_MANAGERS; i++) {
    const id = updaters[i] as string;
    const vs = m.sets.get(id);
    if (!vs) continue;
    const time = m.times.get(id);
    const bucket = managerIdentifier({ manager: ANCIENT_CHANGES, operation: 'Update', apiVersion: vs.apiVersion });
    const first = firstOfVersion.get(vs.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(vs.apiVersion, id);
      continue;
    }
    if (!m.sets.has(bucket)) {
      const s = m.sets.get(first);
      m.sets.delete(first);
      if (s) m.sets.set(bucket, s);
    }
    const existing = m.sets.get(bucket);
    m.sets.set(bucket, { set: existing ? vs.set.union(existing.set) : vs.set, apiVersion: vs.apiVersion, applied: vs.applied });
    m.sets.delete(id);
    length--;
    m.times.set(bucket, time);
  }
}

// The fields this write changed become `id`'s (managedfieldsupdater + stripmeta + structuredmerge Update).
function trackUpdate(r: Resolved, liveView: unknown, newView: unknown, managed: Managed, id: string, opts: WriteOptions, time: string): Managed {
  const sets = updateSets(r.atom, liveView, newView, opts.apiVersion, managed.sets, CURRENT_OPERATION, { ignore: resetSet(opts.resetFields) });
  strip(sets, CURRENT_OPERATION);
  const times = new Map(managed.times);
  const vs = sets.get(CURRENT_OPERATION);
  if (vs) {
    sets.delete(CURRENT_OPERATION);
    const previous = sets.get(id);
    sets.set(id, { set: previous ? vs.set.union(previous.set) : vs.set, apiVersion: vs.apiVersion, applied: vs.applied });
    times.set(id, time);
  }
  return { sets, times };
}

function typedErrors(r: Resolved, what: string, obj: unknown, allowDuplicates: boolean, gvknn: string): StatusError | undefined {
  const errs = validate(r.atom, obj, allowDuplicates);
  if (errs.length === 0) return undefined;
  return internalError(`failed to create typed ${what} object (${gvknn}): ${formatValidationErrors(errs)}`);
}

// A non-Status error upstream: 500, reason "" (StatusReasonUnknown), the plain message.
function internalError(message: string): StatusError {
  return new StatusError(500, '', message);
}

function gvkString(apiVersion: unknown, kind: unknown): string {
  const av = typeof apiVersion === 'string' ? apiVersion : '';
  const i = av.indexOf('/');
  const [group, version] = i < 0 ? ['', av] : [av.slice(0, i), av.slice(i + 1)];
  return `${group}/${version}, Kind=${typeof kind === 'string' ? kind : ''}`;
}

function objectGVKNN(obj: KObject): string {
  const meta = metadataOf(obj);
  const ns = typeof meta?.['namespace'] === 'string' ? meta['namespace'] : '';
  const name = typeof meta?.['name'] === 'string' ? meta['name'] : '';
  return `${ns}/${name}; ${gvkString(obj.apiVersion, obj.kind)}`;
}

function stripNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (!isMap(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) setOwn(out, k, stripNulls(x));
  return out;
}

/**
 * managedFields after a create, update or non-apply patch (upstream's FieldManager.UpdateNoErrors): the
 * fields this write changed now belong to `opts.manager` (operation Update), and other managers lose them.
 * `live` is the stored object (undefined on create), `obj` the object about to be stored — after decoding
 * and defaulting, before the strategy's prepareForCreate/Update. Returns a copy of `obj` with its new
 * metadata.managedFields. Managed fields sent in `obj` replace the stored ones (`[]` clears them), except
 * on subresources.
 */
export function updateManagedFields(schema: ApplySchema, live: KObject | undefined, obj: KObject, opts: WriteOptions): KObject {
  const time = opts.time ?? nowRFC3339();
  const key = live === undefined && !opts.subresource ? createMemoKey(schema, obj, opts) : undefined;
  if (key === undefined) return computeManagedFields(schema, live, obj, opts, time);
  const known = createMemo.get(key);
  if (known !== undefined) return withManagedFields(obj, known ? known.map((e) => ({ ...cloneValue(e), time })) : undefined);
  const out = computeManagedFields(schema, live, obj, opts, time);
  const entries = metadataOf(out)?.['managedFields'] as ManagedFieldsEntry[] | undefined;
  if (createMemo.size >= CREATE_MEMO_MAX) createMemo.delete(createMemo.keys().next().value as string);
  createMemo.set(key, entries ? cloneValue(entries) : null);
  return out;
}

// Creates of objects that differ only in identity (a controller's pods, a load test's) get the same managedFields
// but for the time: the last few are remembered, keyed by the object's JSON with the never-owned identity fields
// blanked. Only for JSON-shaped objects that carry no managedFields of their own.
const createMemo = new Map<string, ManagedFieldsEntry[] | null>();
const CREATE_MEMO_MAX = 64;
const IDENTITY_FIELDS = new Set(['name', 'namespace', 'uid', 'creationTimestamp', 'generation', 'resourceVersion', 'selfLink']);

function createMemoKey(schema: ApplySchema, obj: KObject, opts: WriteOptions): string | undefined {
  const meta = metadataOf(obj);
  if (typeof schema !== 'string' || meta?.['managedFields'] !== undefined) return undefined;
  let plain = true;
  let json: string;
  try {
    json = JSON.stringify(obj, function (this: unknown, k: string, v: unknown) {
      // undefined and non-finite numbers do not survive JSON; objects holding them are not remembered.
      if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) plain = false;
      else if (this === meta && IDENTITY_FIELDS.has(k)) return typeof v;
      return v;
    });
  } catch {
    return undefined;
  }
  if (!plain) return undefined;
  return JSON.stringify([schema, opts.manager, opts.apiVersion, opts.resetFields ?? [], json]);
}

function computeManagedFields(schema: ApplySchema, live: KObject | undefined, obj: KObject, opts: WriteOptions, time: string): KObject {
  const r = resolve(schema);
  const liveEntries = metadataOf(live)?.['managedFields'];
  const sent = metadataOf(obj)?.['managedFields'];
  let managed: Managed;
  if (opts.subresource) managed = decodeOrEmpty(liveEntries);
  else if (isResetManagedFields(sent)) managed = emptyManaged();
  else {
    try {
      managed = decodeManagedFields(sent);
      if (managed.sets.size === 0) managed = decodeOrEmpty(liveEntries);
    } catch {
      managed = decodeOrEmpty(liveEntries);
    }
  }
  const newObj = withManagedFields(obj, undefined);
  // An existing object nobody tracked stays untracked until its first apply (skipnonapplied).
  if (managed.sets.size === 0 && live && metadataOf(live)?.['uid']) return newObj;
  const liveView = r.view(live ?? {});
  const newView = r.view(newObj);
  if (validate(r.atom, liveView, true).length > 0 || validate(r.atom, newView, true).length > 0) {
    // upstream logs "[SHOULD NOT HAPPEN]" and keeps the stored managedFields
    return withManagedFields(obj, Array.isArray(liveEntries) ? (liveEntries as ManagedFieldsEntry[]) : undefined);
  }
  const id = managerIdentifier({ manager: opts.manager || 'unknown', operation: 'Update', apiVersion: opts.apiVersion, ...(opts.subresource ? { subresource: opts.subresource } : {}) });
  const updated = trackUpdate(r, liveView, newView, managed, id, opts, time);
  capUpdateManagers(updated);
  return withManagedFields(newObj, encodeManagedFields(updated));
}

function lastAppliedAllowed(r: Resolved, live: KObject | undefined, liveView: unknown, apiVersion: string): FieldSet | undefined {
  const text = metadataOf(live)?.['annotations'];
  const raw = isMap(text) ? text[LAST_APPLIED_ANNOTATION] : undefined;
  if (typeof raw !== 'string' || raw === '') return undefined;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isMap(lastApplied) || lastApplied['apiVersion'] !== apiVersion) return undefined;
  if (validate(r.atom, lastApplied).length > 0 || validate(r.atom, liveView).length > 0) return undefined;
  const cmp = compare(r.atom, lastApplied, liveView);
  // Fields whose last-applied value still matches the live object were kubectl's, so kubectl may take them.
  return toFieldSet(r.atom, lastApplied).difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
}

function annotationsSize(annotations: Record<string, unknown>): number {
  let n = 0;
  for (const [k, v] of Object.entries(annotations)) n += Buffer.byteLength(k) + Buffer.byteLength(String(v));
  return n;
}

// kubectl's server-side apply keeps an existing client-side-apply annotation in step (lastappliedupdater).
function syncLastApplied(obj: KObject, applied: KObject): KObject {
  const meta = metadataOf(obj);
  const annotations = meta?.['annotations'];
  if (!meta || !isMap(annotations) || typeof annotations[LAST_APPLIED_ANNOTATION] !== 'string' || annotations[LAST_APPLIED_ANNOTATION] === '') return obj;
  const config = cloneValue(applied);
  const configMeta = metadataOf(config);
  if (configMeta && isMap(configMeta['annotations'])) delete configMeta['annotations'][LAST_APPLIED_ANNOTATION];
  const next: Record<string, unknown> = { ...annotations };
  setOwn(next, LAST_APPLIED_ANNOTATION, `${goJSON(config)}\n`);
  if (annotationsSize(next) > TOTAL_ANNOTATION_SIZE_LIMIT) delete next[LAST_APPLIED_ANNOTATION];
  return { ...obj, metadata: { ...meta, annotations: next as Record<string, string> } };
}

/**
 * Server-side apply of `applied` (the request body, decoded) onto `live` (undefined when the object does
 * not exist yet). Conflicts come back in `conflicts` (answer with conflictStatus); malformed requests
 * throw a StatusError (400 for a wrong apiVersion/kind or managedFields in the body, 500 with upstream's
 * message for fields the schema does not declare or values of the wrong kind).
 */
export function applyObject(schema: ApplySchema, live: KObject | undefined, applied: KObject, opts: ApplyOptions): ApplyResult {
  const r = resolve(schema);
  const time = opts.time ?? nowRFC3339();
  let managed: Managed;
  try {
    managed = decodeManagedFields(metadataOf(live)?.['managedFields']);
  } catch (err) {
    throw internalError(`failed to decode managed fields: ${(err as Error).message}`);
  }
  if (applied.apiVersion !== opts.apiVersion || applied.kind !== opts.kind) {
    throw new StatusError(400, 'BadRequest', `invalid object type: ${gvkString(applied.apiVersion, applied.kind)}`);
  }
  const appliedMeta = metadataOf(applied);
  if (appliedMeta && appliedMeta['managedFields'] !== undefined && appliedMeta['managedFields'] !== null) {
    throw new StatusError(400, 'BadRequest', 'metadata.managedFields must be nil');
  }
  const gvknn = objectGVKNN(applied);
  const liveView = r.view(live ?? {});
  const patchErr = typedErrors(r, 'patch', applied, false, gvknn);
  if (patchErr) throw patchErr;
  const liveErr = typedErrors(r, 'live', liveView, true, objectGVKNN(live ?? applied));
  if (liveErr) throw liveErr;

  const ignore = resetSet(opts.resetFields);
  const id = managerIdentifier({ manager: opts.manager || 'unknown', operation: 'Apply', ...(opts.subresource ? { subresource: opts.subresource } : {}) });
  const run = (force: boolean): { object: unknown; managed: Managed } => {
    let m = copyManaged(managed);
    if (m.sets.size === 0) {
      // Objects nobody tracked yet: what is there becomes "before-first-apply"'s (skipnonapplied).
      const before = managerIdentifier({ manager: BEFORE_FIRST_APPLY, operation: 'Update', apiVersion: opts.apiVersion, ...(opts.subresource ? { subresource: opts.subresource } : {}) });
      m = trackUpdate(r, r.view({}), liveView, m, before, opts, time);
      capUpdateManagers(m);
    }
    const outcome = applySets(r.atom, liveView, applied, opts.apiVersion, m.sets, id, force, { ignore });
    strip(outcome.managers, id);
    const times = new Map(m.times);
    if (outcome.object !== undefined) times.set(id, time);
    return { object: outcome.object, managed: { sets: outcome.managers, times } };
  };

  let result: { object: unknown; managed: Managed };
  try {
    result = run(opts.force === true);
  } catch (err) {
    if (!(err instanceof ConflictsError)) throw err;
    const conflicts = err.conflicts.map((c) => fieldConflict(c.manager, c.path));
    if (opts.manager !== 'kubectl') return { object: live ?? applied, changed: false, conflicts };
    // kubectl moving from client-side to server-side apply may take what its last-applied annotation shows it set.
    const allowed = lastAppliedAllowed(r, live, liveView, opts.apiVersion);
    const remaining = allowed ? conflicts.filter((c) => !allowed.has(c.path)) : conflicts;
    if (remaining.length > 0) return { object: live ?? applied, changed: false, conflicts: remaining };
    result = run(true);
  }

  const merged = result.object !== undefined;
  let object: KObject;
  if (merged) object = (r.typed ? stripNulls(result.object) : result.object) as KObject;
  else object = cloneValue(live ?? {}) as KObject;
  object = withManagedFields(object, encodeManagedFields(result.managed));
  if (opts.manager === 'kubectl') object = syncLastApplied(object, applied);
  return { object, changed: merged || lastAppliedChanged(object, live) };
}

function lastAppliedChanged(obj: KObject, live: KObject | undefined): boolean {
  const a = metadataOf(obj)?.['annotations'];
  const b = metadataOf(live)?.['annotations'];
  return isMap(a) && isMap(b) ? a[LAST_APPLIED_ANNOTATION] !== b[LAST_APPLIED_ANNOTATION] : false;
}

/** The field set of an object (what applying it as a configuration would own), without stripping metadata. */
export function fieldsOf(schema: ApplySchema, obj: unknown): FieldSet {
  return toFieldSet(resolve(schema).atom, obj);
}
