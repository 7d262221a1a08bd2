// The sqlite driver: kine's append-only MVCC log in one table. Each write inserts a row whose id is the new revision;
// the current state of a key is its row with the highest id. The unique index on (name, prev_revision) lets only one
// writer supersede a given row, so optimistic concurrency is enforced by the database. Watchers are notified in-process
// right after each commit (see log-watchers.ts), so one process owns the file.
//
// Group commit: the writes of one turn of the event loop share a transaction, committed on setImmediate; each write is
// acknowledged (its promise resolves) and published to watchers only after that commit. The connection sees the
// batch's rows at once (a get of a key just written returns the new row, so a read-modify-write chains on it); lists,
// counts and watch replays read only up to the committed revision.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { createLogger, type Logger } from '../log.ts';
import type { Backend, KeyValue, ListOptions, ListResult, WatchEvent, WatchOptions } from './backend.ts';
import { CompactedError, FutureRevisionError, KeyExistsError, KeyNotFoundError, RevisionConflictError, StorageError } from './backend.ts';
import { prefixEnd, rangeStart } from './keys.ts';
import { LogWatchers, type LogWatchersOptions } from './log-watchers.ts';
import { startCheckpointer, type Checkpointer } from './sqlite-checkpointer.ts';

export interface SqliteBackendOptions {
  /**
   * 'normal' (default): a commit survives a crash of the process (WAL, synchronous=NORMAL), but the last commits may
   * be lost on power loss. 'full': every commit is fsynced before it is acknowledged.
   */
  durability?: 'normal' | 'full';
  /** Revisions compacted per transaction. */
  compactBatchSize?: number;
  /** WAL checkpoints run on a worker thread this often (file databases). 0: SQLite checkpoints on commit. Default 1000. */
  checkpointIntervalMs?: number;
  watch?: LogWatchersOptions;
  /** Where background failures (checkpoints) are reported. Default: storage.sqlite on stderr. */
  logger?: Logger;
}

const schema = `
CREATE TABLE IF NOT EXISTS kine (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS kine_name_id ON kine (name, id);
CREATE UNIQUE INDEX IF NOT EXISTS kine_name_prev_revision ON kine (name, prev_revision);
CREATE TABLE IF NOT EXISTS skiff_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

/** Keys of skiff_meta. */
const compactedKey = 'compacted_revision';
const compactDoneKey = 'compact_done_revision';

interface Row {
  id: number;
  name: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  value: Buffer;
}

interface EventRow extends Row {
  prev_value: Buffer | null;
}

type Statement = Database.Statement<unknown[], unknown>;

/** A write executed in the open transaction, waiting for its commit. */
interface PendingWrite {
  event: WatchEvent;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** The newest row id per key at a revision (a covering index scan). */
const latestPerKey = (withEnd: boolean): string =>
  `SELECT MAX(id) AS id FROM kine WHERE name >= @start ${withEnd ? 'AND name < @end' : ''} AND id <= @rev GROUP BY name`;

export class SqliteBackend implements Backend {
  readonly name = 'sqlite';
  readonly #db: Database.Database;
  readonly #compactBatchSize: number;
  readonly #watchers: LogWatchers;
  /** The revision of the last committed (and published) write. */
  #revision: number;
  /** The revision of the last write, committed or in the open transaction. */
  #written: number;
  /** Writes in the open transaction (undefined: no transaction open). */
  #batch: PendingWrite[] | undefined;
  #compacted: number;
  #closed = false;
  #compaction: Promise<void> = Promise.resolve();
  readonly #checkpointer: Checkpointer | undefined;

  readonly #latest: Statement;
  readonly #insert: Statement;
  readonly #list: [withoutEnd: Statement, withEnd: Statement];
  readonly #count: [withoutEnd: Statement, withEnd: Statement];
  readonly #events: [withoutEnd: Statement, withEnd: Statement];
  readonly #begin: Statement;
  readonly #commit: Statement;
  readonly #rollback: Statement;
  readonly #getMeta: Statement;
  readonly #setMeta: Statement;
  readonly #deleteSuperseded: Statement;
  readonly #deleteTombstones: Statement;
  readonly #create: (key: string, value: Buffer) => number;
  readonly #supersede: (key: string, value: Buffer | undefined, expected: number | undefined) => { revision: number; prev: Row };

  constructor(path: string, options: SqliteBackendOptions = {}) {
    const onDisk = path !== ':memory:' && path !== '';
    if (onDisk) mkdirSync(dirname(path), { recursive: true });
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
    this.#db.pragma('busy_timeout = 30000');
    this.#db.pragma('journal_size_limit = 67108864');
    this.#db.exec(schema);
    const checkpointIntervalMs = options.checkpointIntervalMs ?? 1000;
    if (onDisk && checkpointIntervalMs > 0) {
      // SQLite's own checkpoint stays as a backstop, far above what the worker leaves in the WAL.
      this.#db.pragma('wal_autocheckpoint = 10000');
      const log = options.logger ?? createLogger('storage.sqlite');
      this.#checkpointer = startCheckpointer(path, checkpointIntervalMs, (message) => log.error('WAL checkpoint failed', { error: message }));
    }
    this.#compactBatchSize = options.compactBatchSize ?? 1000;

    const db = this.#db;
    this.#latest = db.prepare('SELECT * FROM kine WHERE name = ? ORDER BY id DESC LIMIT 1');
    this.#insert = db.prepare(
      'INSERT INTO kine (name, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?)',
    );
    // Walks the name index in key order (no sort), so a LIMIT stops early.
    const list = (withEnd: boolean): Statement =>
      db.prepare(
        `SELECT k.* FROM kine AS k WHERE k.name >= @start ${withEnd ? 'AND k.name < @end' : ''}
         AND k.id = (SELECT MAX(l.id) FROM kine AS l WHERE l.name = k.name AND l.id <= @rev) AND k.deleted = 0
         ORDER BY k.name LIMIT @limit`,
      );
    this.#list = [list(false), list(true)];
    const count = (withEnd: boolean): Statement =>
      db.prepare(`SELECT COUNT(*) FROM (${latestPerKey(withEnd)}) AS m JOIN kine AS k ON k.id = m.id WHERE k.deleted = 0`).pluck();
    this.#count = [count(false), count(true)];
    // `+k.name` keeps the planner on the primary key: scan forward from the revision, filter by name.
    const events = (withEnd: boolean): Statement =>
      db.prepare(
        `SELECT k.*, p.value AS prev_value FROM kine AS k LEFT JOIN kine AS p ON p.id = k.prev_revision AND k.created = 0
         WHERE k.id > @after AND k.id <= @upto AND +k.name >= @start ${withEnd ? 'AND +k.name < @end' : ''} ORDER BY k.id LIMIT @limit`,
      );
    this.#events = [events(false), events(true)];
    this.#begin = db.prepare('BEGIN IMMEDIATE');
    this.#commit = db.prepare('COMMIT');
    this.#rollback = db.prepare('ROLLBACK');
    this.#getMeta = db.prepare('SELECT value FROM skiff_meta WHERE key = ?').pluck();
    this.#setMeta = db.prepare('INSERT INTO skiff_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.#deleteSuperseded = db.prepare(
      'DELETE FROM kine WHERE id IN (SELECT prev_revision FROM kine WHERE id > ? AND id <= ? AND prev_revision != 0)',
    );
    this.#deleteTombstones = db.prepare('DELETE FROM kine WHERE id > ? AND id <= ? AND deleted = 1');

    // Both run inside the open batch transaction. Each is one INSERT after checks, so a failure leaves nothing behind
    // (a constraint violation rolls back its statement only).
    this.#create = (key: string, value: Buffer): number => {
      const latest = this.#latest.get(key) as Row | undefined;
      if (latest && !latest.deleted) throw new KeyExistsError(key);
      return Number(this.#insert.run(key, 1, 0, 0, latest?.id ?? 0, value).lastInsertRowid);
    };
    // An update (value given) or a delete (value undefined) of the key's live row.
    this.#supersede = (key: string, value: Buffer | undefined, expected: number | undefined) => {
      const prev = this.#latest.get(key) as Row | undefined;
      if (!prev || prev.deleted) throw new KeyNotFoundError(key);
      if (expected !== undefined && prev.id !== expected) throw new RevisionConflictError(key, expected, prev.id);
      const tombstone = value === undefined;
      const result = this.#insert.run(key, 0, tombstone ? 1 : 0, createRevisionOf(prev), prev.id, value ?? empty);
      return { revision: Number(result.lastInsertRowid), prev };
    };

    this.#revision = Number(db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'kine'").pluck().get() ?? 0);
    this.#written = this.#revision;
    this.#compacted = Number(this.#getMeta.get(compactedKey) ?? 0);
    this.#watchers = new LogWatchers(
      {
        revision: () => this.#revision,
        compacted: () => this.#compacted,
        eventsAfter: (prefix, after, limit) => this.#eventsAfter(prefix, after, limit),
      },
      options.watch,
    );
  }

  async start(): Promise<void> {
    this.#checkOpen();
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.#checkOpen();
    const row = this.#latest.get(key) as Row | undefined;
    return row && !row.deleted ? toKeyValue(row) : undefined;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.#checkOpen();
    const revision = this.#readRevision(options.revision);
    const end = prefixEnd(prefix);
    const params = { start: rangeStart(prefix, options.startKey), rev: revision, ...(end === undefined ? {} : { end }) };
    const withEnd = end === undefined ? 0 : 1;
    const limit = options.limit && options.limit > 0 ? options.limit : -1;
    const rows = this.#list[withEnd].all({ ...params, limit: limit < 0 ? -1 : limit + 1 }) as Row[];
    const more = limit > 0 && rows.length > limit;
    if (more) rows.length = limit;
    const remaining = more ? Number(this.#count[withEnd].get(params)) - rows.length : 0;
    return { items: rows.map(toKeyValue), revision, more, remaining };
  }

  async count(prefix: string): Promise<number> {
    this.#checkOpen();
    const end = prefixEnd(prefix);
    const params = { start: prefix, rev: this.#revision, ...(end === undefined ? {} : { end }) };
    return Number(this.#count[end === undefined ? 0 : 1].get(params));
  }

  async create(key: string, value: Uint8Array): Promise<number> {
    this.#checkOpen();
    const stored = Buffer.from(value);
    const batch = this.#openBatch();
    let revision: number;
    try {
      revision = this.#create(key, stored);
    } catch (err) {
      this.#afterFailedWrite();
      if (isUniqueViolation(err)) throw new KeyExistsError(key, { cause: err });
      throw err;
    }
    this.#written = revision;
    await this.#committed(batch, { type: 'create', kv: { key, value: stored, createRevision: revision, modRevision: revision } });
    return revision;
  }

  async update(key: string, value: Uint8Array, expectedRevision: number): Promise<number> {
    this.#checkOpen();
    const stored = Buffer.from(value);
    const batch = this.#openBatch();
    const { revision, prev } = this.#write(key, stored, expectedRevision);
    const before = toKeyValue(prev);
    await this.#committed(batch, {
      type: 'update',
      kv: { key, value: stored, createRevision: before.createRevision, modRevision: revision },
      prev: before,
    });
    return revision;
  }

  async delete(key: string, expectedRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    this.#checkOpen();
    const batch = this.#openBatch();
    const { revision, prev: row } = this.#write(key, undefined, expectedRevision);
    const prev = toKeyValue(row);
    await this.#committed(batch, { type: 'delete', kv: { ...prev, modRevision: revision }, prev });
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

  /**
   * Records the compacted revision first (reads below it fail from then on), then deletes, in batches of revisions,
   * rows superseded at or before it and tombstones at or before it. Progress is recorded, so an interrupted
   * compaction is finished by the next one.
   */
  compact(revision: number): Promise<void> {
    const run = this.#compaction.then(() => this.#compact(revision));
    this.#compaction = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#commitBatch();
    this.#closed = true;
    this.#watchers.closeAll();
    await this.#checkpointer?.stop();
    this.#db.close();
  }

  /** Run a PRAGMA on the database (diagnostics and tests, e.g. `integrity_check`). */
  pragma(source: string): unknown {
    this.#checkOpen();
    return this.#db.pragma(source);
  }

  async #compact(revision: number): Promise<void> {
    this.#checkOpen();
    if (revision > this.#revision) throw new FutureRevisionError(revision, this.#revision);
    this.#commitBatch();
    if (revision > this.#compacted) {
      this.#setMeta.run(compactedKey, revision);
      this.#compacted = revision;
    }
    let done = Number(this.#getMeta.get(compactDoneKey) ?? 0);
    const batch = this.#db.transaction((lo: number, hi: number) => {
      this.#deleteSuperseded.run(lo, hi);
      this.#deleteTombstones.run(lo, hi);
      this.#setMeta.run(compactDoneKey, hi);
    });
    if (done >= this.#compacted) return;
    while (done < this.#compacted) {
      const hi = Math.min(done + this.#compactBatchSize, this.#compacted);
      this.#commitBatch();
      batch.immediate(done, hi);
      done = hi;
      await new Promise((resolve) => setImmediate(resolve)); // let requests in between batches
      if (this.#closed) return;
    }
  }

  #write(key: string, value: Buffer | undefined, expected: number | undefined): { revision: number; prev: Row } {
    let result: { revision: number; prev: Row };
    try {
      result = this.#supersede(key, value, expected);
    } catch (err) {
      this.#afterFailedWrite();
      if (isUniqueViolation(err)) {
        const actual = (this.#latest.get(key) as Row | undefined)?.id ?? 0;
        throw new RevisionConflictError(key, expected ?? 0, actual, { cause: err });
      }
      throw err;
    }
    this.#written = result.revision;
    return result;
  }

  /** The open batch transaction, begun (and its commit scheduled) if there is none. */
  #openBatch(): PendingWrite[] {
    if (this.#batch) return this.#batch;
    this.#begin.run();
    const batch: PendingWrite[] = [];
    this.#batch = batch;
    setImmediate(() => {
      if (this.#batch === batch) this.#commitBatch();
    });
    return batch;
  }

  /** Resolves once the write's batch is committed and the event published. */
  #committed(batch: PendingWrite[], event: WatchEvent): Promise<void> {
    return new Promise<void>((resolve, reject) => batch.push({ event, resolve, reject }));
  }

  /** A failed statement may have ended the whole transaction (SQLite rolls back on I/O errors): fail the batch. */
  #afterFailedWrite(): void {
    if (this.#batch && !this.#db.inTransaction) this.#failBatch(new StorageError('sqlite transaction rolled back'));
  }

  /** Commit the open batch (if any), then publish its events in revision order and acknowledge its writes. */
  #commitBatch(): void {
    const batch = this.#batch;
    if (!batch) return;
    try {
      this.#commit.run();
    } catch (err) {
      try {
        if (this.#db.inTransaction) this.#rollback.run();
      } finally {
        this.#failBatch(err);
      }
      return;
    }
    this.#batch = undefined;
    this.#revision = this.#written;
    for (const w of batch) this.#watchers.publish(w.event);
    for (const w of batch) w.resolve();
  }

  #failBatch(err: unknown): void {
    const batch = this.#batch ?? [];
    this.#batch = undefined;
    this.#written = this.#revision;
    for (const w of batch) w.reject(err);
  }

  #checkOpen(): void {
    if (this.#closed) throw new StorageError('sqlite backend is closed');
  }

  #readRevision(requested: number | undefined): number {
    if (!requested) return this.#revision;
    if (requested > this.#revision) throw new FutureRevisionError(requested, this.#revision);
    if (requested < this.#compacted) throw new CompactedError(requested, this.#compacted);
    return requested;
  }

  #eventsAfter(prefix: string, after: number, limit: number): WatchEvent[] {
    const end = prefixEnd(prefix);
    const params = { after, upto: this.#revision, start: prefix, limit, ...(end === undefined ? {} : { end }) };
    const rows = this.#events[end === undefined ? 0 : 1].all(params) as EventRow[];
    return rows.map(toEvent);
  }
}

const empty = Buffer.alloc(0);

function createRevisionOf(row: Row): number {
  return row.created ? row.id : row.create_revision;
}

function toKeyValue(row: Row): KeyValue {
  return { key: row.name, value: row.value, createRevision: createRevisionOf(row), modRevision: row.id };
}

function toEvent(row: EventRow): WatchEvent {
  if (row.created) return { type: 'create', kv: toKeyValue(row) };
  const createRevision = row.create_revision;
  const prev: KeyValue | undefined =
    row.prev_value === null ? undefined : { key: row.name, value: row.prev_value, createRevision, modRevision: row.prev_revision };
  if (row.deleted) {
    const kv = { key: row.name, value: prev?.value ?? empty, createRevision, modRevision: row.id };
    return prev ? { type: 'delete', kv, prev } : { type: 'delete', kv };
  }
  const kv = toKeyValue(row);
  return prev ? { type: 'update', kv, prev } : { type: 'update', kv };
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Database.SqliteError && err.code === 'SQLITE_CONSTRAINT_UNIQUE';
}
