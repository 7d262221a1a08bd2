// The memory driver: the same MVCC log as the sqlite driver, held in arrays. For unit tests.
import type { Backend, KeyValue, ListOptions, ListResult, WatchEvent, WatchOptions } from './backend.ts';
import { CompactedError, FutureRevisionError, KeyExistsError, KeyNotFoundError, RevisionConflictError, StorageError } from './backend.ts';
import { prefixEnd, rangeStart } from './keys.ts';
import { LogWatchers, type LogWatchersOptions } from './log-watchers.ts';

interface Row {
  readonly key: string;
  readonly revision: number;
  readonly createRevision: number;
  readonly deleted: boolean;
  /** For a tombstone: the value it deleted. */
  readonly value: Uint8Array;
  /** The row this one superseded (updates and deletes); dropped once compacted away. */
  prev: Row | undefined;
}

export interface MemoryBackendOptions {
  watch?: LogWatchersOptions;
}

export class MemoryBackend implements Backend {
  readonly name = 'memory';
  /** Every retained row, in revision order. */
  #log: Row[] = [];
  /** Retained rows per key, in revision order. */
  readonly #history = new Map<string, Row[]>();
  /** Keys with retained rows, sorted. */
  #keys: string[] = [];
  #revision = 0;
  #compacted = 0;
  #closed = false;
  readonly #watchers: LogWatchers;

  constructor(options: MemoryBackendOptions = {}) {
    this.#watchers = new LogWatchers(
      {
        revision: () => this.#revision,
        compacted: () => this.#compacted,
        eventsAfter: (prefix, after, limit) => this.#eventsAfter(prefix, after, limit),
      },
      options.watch,
    );
  }

  async start(): Promise<void> {}

  async get(key: string): Promise<KeyValue | undefined> {
    this.#checkOpen();
    const row = this.#latest(key);
    return row && !row.deleted ? toKeyValue(row) : undefined;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.#checkOpen();
    const revision = this.#readRevision(options.revision);
    const start = rangeStart(prefix, options.startKey);
    const end = prefixEnd(prefix);
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    const items: KeyValue[] = [];
    let remaining = 0;
    for (let i = lowerBound(this.#keys, start); i < this.#keys.length; i++) {
      const key = this.#keys[i]!;
      if (end !== undefined && key >= end) break;
      const row = atRevision(this.#history.get(key)!, revision);
      if (!row || row.deleted) continue;
      if (items.length < limit) items.push(toKeyValue(row));
      else remaining++;
    }
    return { items, revision, more: remaining > 0, remaining };
  }

  async count(prefix: string): Promise<number> {
    return (await this.list(prefix)).items.length;
  }

  async create(key: string, value: Uint8Array): Promise<number> {
    this.#checkOpen();
    const latest = this.#latest(key);
    if (latest && !latest.deleted) throw new KeyExistsError(key);
    const revision = this.#revision + 1;
    const row: Row = { key, revision, createRevision: revision, deleted: false, value: copy(value), prev: undefined };
    this.#append(row);
    this.#watchers.publish({ type: 'create', kv: toKeyValue(row) });
    return revision;
  }

  async update(key: string, value: Uint8Array, expectedRevision: number): Promise<number> {
    this.#checkOpen();
    const latest = this.#live(key, expectedRevision);
    const revision = this.#revision + 1;
    const row: Row = { key, revision, createRevision: latest.createRevision, deleted: false, value: copy(value), prev: latest };
    this.#append(row);
    this.#watchers.publish({ type: 'update', kv: toKeyValue(row), prev: toKeyValue(latest) });
    return revision;
  }

  async delete(key: string, expectedRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    this.#checkOpen();
    const latest = this.#live(key, expectedRevision);
    const revision = this.#revision + 1;
    const row: Row = { key, revision, createRevision: latest.createRevision, deleted: true, value: latest.value, prev: latest };
    this.#append(row);
    const prev = toKeyValue(latest);
    this.#watchers.publish({ type: 'delete', kv: toKeyValue(row), prev });
    return { revision, prev };
  }

  watch(prefix: string, options: WatchOptions): AsyncIterable<WatchEvent> {
    this.#checkOpen();
    return this.#watchers.watch(prefix, options);
  }

  async currentRevision(): Promise<number> {
    return this.#revision;
  }

  async compactedRevision(): Promise<number> {
    return this.#compacted;
  }

  async compact(revision: number): Promise<void> {
    this.#checkOpen();
    if (revision > this.#revision) throw new FutureRevisionError(revision, this.#revision);
    if (revision <= this.#compacted) return;
    this.#compacted = revision;
    // Keep, per key, everything after `revision` and the last row at or before it unless that row is a tombstone.
    const dropped = new Set<Row>();
    for (const [key, rows] of this.#history) {
      const last = atRevisionIndex(rows, revision);
      if (last < 0) continue;
      const keepFrom = rows[last]!.deleted ? last + 1 : last;
      for (let i = 0; i < keepFrom; i++) dropped.add(rows[i]!);
      const kept = rows.slice(keepFrom);
      if (kept[0]) kept[0].prev = undefined;
      if (kept.length > 0) this.#history.set(key, kept);
      else this.#history.delete(key);
    }
    if (dropped.size === 0) return;
    this.#log = this.#log.filter((row) => !dropped.has(row));
    this.#keys = this.#keys.filter((key) => this.#history.has(key));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#watchers.closeAll();
  }

  #checkOpen(): void {
    if (this.#closed) throw new StorageError('memory backend is closed');
  }

  #latest(key: string): Row | undefined {
    const rows = this.#history.get(key);
    return rows?.[rows.length - 1];
  }

  /** The key's live row, checked against the expected revision. */
  #live(key: string, expectedRevision: number | undefined): Row {
    const latest = this.#latest(key);
    if (!latest || latest.deleted) throw new KeyNotFoundError(key);
    if (expectedRevision !== undefined && latest.revision !== expectedRevision) {
      throw new RevisionConflictError(key, expectedRevision, latest.revision);
    }
    return latest;
  }

  #readRevision(requested: number | undefined): number {
    if (!requested) return this.#revision;
    if (requested > this.#revision) throw new FutureRevisionError(requested, this.#revision);
    if (requested < this.#compacted) throw new CompactedError(requested, this.#compacted);
    return requested;
  }

  #append(row: Row): void {
    this.#revision = row.revision;
    this.#log.push(row);
    const rows = this.#history.get(row.key);
    if (rows) {
      rows.push(row);
    } else {
      this.#history.set(row.key, [row]);
      this.#keys.splice(lowerBound(this.#keys, row.key), 0, row.key);
    }
  }

  #eventsAfter(prefix: string, after: number, limit: number): WatchEvent[] {
    const events: WatchEvent[] = [];
    let lo = 0;
    let hi = this.#log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#log[mid]!.revision <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.#log.length && events.length < limit; i++) {
      const row = this.#log[i]!;
      if (row.key.startsWith(prefix)) events.push(toEvent(row));
    }
    return events;
  }
}

function toKeyValue(row: Row): KeyValue {
  return { key: row.key, value: row.value, createRevision: row.createRevision, modRevision: row.revision };
}

function toEvent(row: Row): WatchEvent {
  const kv = toKeyValue(row);
  if (row.deleted) return row.prev ? { type: 'delete', kv, prev: toKeyValue(row.prev) } : { type: 'delete', kv };
  if (row.createRevision === row.revision) return { type: 'create', kv };
  return row.prev ? { type: 'update', kv, prev: toKeyValue(row.prev) } : { type: 'update', kv };
}

function copy(value: Uint8Array): Uint8Array {
  return new Uint8Array(value);
}

function lowerBound(sorted: string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the last row with revision <= rev, or -1. */
function atRevisionIndex(rows: Row[], rev: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid]!.revision <= rev) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function atRevision(rows: Row[], rev: number): Row | undefined {
  return rows[atRevisionIndex(rows, rev)];
}
