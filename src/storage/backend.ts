// The storage seam: an etcd-shaped key/value store with revisions. Every write gets a new, strictly
// increasing revision (the resourceVersion of the object written). Drivers: sqlite, etcd, memory.

export interface KeyValue {
  key: string;
  /** The stored bytes (Skiff stores JSON text). */
  value: Uint8Array;
  /** Revision at which the key was created (in its current incarnation). */
  createRevision: number;
  /** Revision of the last write to the key: the object's resourceVersion. */
  modRevision: number;
}

export interface ListOptions {
  /** Return at most this many items (0 or absent: all). */
  limit?: number;
  /** Start at this key (inclusive); used for continue tokens. Must lie under the prefix. */
  startKey?: string;
  /** Read the state as of this revision (0 or absent: current). Below the compacted revision → CompactedError. */
  revision?: number;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list was read at. */
  revision: number;
  /** True when more keys under the prefix follow the last item returned. */
  more: boolean;
  /** How many keys under the prefix remain after the returned items (when known). */
  remaining?: number;
}

export type WatchEventType = 'create' | 'update' | 'delete';

export interface WatchEvent {
  type: WatchEventType;
  /** For delete: the key with the tombstone's revision as modRevision and the last value. */
  kv: KeyValue;
  /** The value before this event (update and delete). */
  prev?: KeyValue;
}

export interface WatchOptions {
  /** Deliver every event with revision > afterRevision. Below the compacted revision → CompactedError. */
  afterRevision: number;
  signal: AbortSignal;
  /** Called with the store's revision when the driver knows no events up to it are pending (progress notify). */
  onProgress?: (revision: number) => void;
}

export interface Backend {
  /** Driver name, e.g. "sqlite". */
  readonly name: string;
  start(signal?: AbortSignal): Promise<void>;
  get(key: string): Promise<KeyValue | undefined>;
  /** Keys with the given prefix, in key order. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  count(prefix: string): Promise<number>;
  /** Throws KeyExistsError. Returns the new revision. */
  create(key: string, value: Uint8Array): Promise<number>;
  /** Throws KeyNotFoundError, or RevisionConflictError when the key's modRevision ≠ expectedRevision. */
  update(key: string, value: Uint8Array, expectedRevision: number): Promise<number>;
  /** Throws KeyNotFoundError / RevisionConflictError (when expectedRevision is given). Returns the tombstone revision and last value. */
  delete(key: string, expectedRevision?: number): Promise<{ revision: number; prev: KeyValue }>;
  /** Events under the prefix, in revision order, until the signal aborts. */
  watch(prefix: string, options: WatchOptions): AsyncIterable<WatchEvent>;
  currentRevision(): Promise<number>;
  /** The highest revision that has been compacted away (0 if none). */
  compactedRevision(): Promise<number>;
  /** Drop history up to and including `revision` (never the current value of a live key). */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

export class StorageError extends Error {
  override name = 'StorageError';
}
export class KeyExistsError extends StorageError {
  override name = 'KeyExistsError';
  constructor(readonly key: string, options?: ErrorOptions) {
    super(`key exists: ${key}`, options);
  }
}
export class KeyNotFoundError extends StorageError {
  override name = 'KeyNotFoundError';
  constructor(readonly key: string, options?: ErrorOptions) {
    super(`key not found: ${key}`, options);
  }
}
export class RevisionConflictError extends StorageError {
  override name = 'RevisionConflictError';
  constructor(readonly key: string, readonly expected: number, readonly actual: number, options?: ErrorOptions) {
    super(`revision conflict on ${key}: expected ${expected}, found ${actual}`, options);
  }
}
export class CompactedError extends StorageError {
  override name = 'CompactedError';
  constructor(readonly requested: number, readonly compacted: number, options?: ErrorOptions) {
    super(`required revision ${requested} has been compacted (compacted revision ${compacted})`, options);
  }
}
/** A revision from the future (list at revision > current). */
export class FutureRevisionError extends StorageError {
  override name = 'FutureRevisionError';
  constructor(readonly requested: number, readonly current: number, options?: ErrorOptions) {
    super(`required revision ${requested} is a future revision (current ${current})`, options);
  }
}

export const storageErrors = { StorageError, KeyExistsError, KeyNotFoundError, RevisionConflictError, CompactedError, FutureRevisionError };
