// The watch cache: every object under /registry/ held in memory, fed by one storage watch, with a window of
// recent events per resource. LIST and WATCH are served from here; writes go straight to storage and come
// back through the watch, so the cache is always a prefix of storage's history (revision = resourceVersion).
import type { Backend, KeyValue } from '../storage/backend.ts';
import type { KObject } from '../api/types.ts';
import { CompactedError } from '../storage/backend.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CachedObject {
  key: string;
  rv: number;
  obj: KObject;
  /** JSON of obj, made once on first need (or taken from the stored bytes). */
  buf?: Buffer;
}

export interface CacheEvent {
  type: EventType;
  key: string;
  rv: number;
  /** The object after the event (for DELETED: the last state, with the deletion revision). */
  object: CachedObject;
  /** The object before the event (MODIFIED, DELETED). */
  prev?: CachedObject;
}

export interface WatchOutEvent {
  type: EventType | 'BOOKMARK';
  /** For BOOKMARK: undefined. */
  object?: CachedObject;
  rv: number;
  /** Marks the bookmark that ends the initial events of a WatchList. */
  initialEventsEnd?: boolean;
}

export class TooOldResourceVersionError extends Error {
  override name = 'TooOldResourceVersionError';
  constructor(readonly requested: number, readonly oldest: number) {
    super(`too old resource version: ${requested} (${oldest})`);
  }
}

export class WatcherTooSlowError extends Error {
  override name = 'WatcherTooSlowError';
  constructor() {
    super('watcher fell too far behind; re-establish the watch');
  }
}

export class CacheNotReadyError extends Error {
  override name = 'CacheNotReadyError';
  constructor(readonly wanted: number, readonly have: number) {
    super(`Too large resource version: ${wanted}, current: ${have}`);
  }
}

const DEFAULT_WINDOW = 2048;
const WATCHER_QUEUE_LIMIT = 50_000;

interface Watcher {
  keyPrefix: string;
  predicate: (obj: KObject) => boolean;
  push(ev: WatchOutEvent): void;
  fail(err: Error): void;
}

export function decodeStored(kv: KeyValue, rv = kv.modRevision): KObject {
  const obj = JSON.parse(Buffer.from(kv.value.buffer, kv.value.byteOffset, kv.value.byteLength).toString('utf8')) as KObject;
  obj.metadata ??= {};
  obj.metadata.resourceVersion = String(rv);
  return obj;
}

export function cachedBuffer(c: CachedObject): Buffer {
  return (c.buf ??= Buffer.from(JSON.stringify(c.obj)));
}

const METADATA = Buffer.from('"metadata":{');

/**
 * The stored JSON with its resourceVersion put back, without a parse/stringify round trip. Storage writes
 * metadata first (after apiVersion and kind), so the first `"metadata":{` is the object's own.
 */
export function storedJsonWithRV(value: Uint8Array, rv: number): Buffer | undefined {
  const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const i = buf.indexOf(METADATA);
  if (i < 0 || i > 512 || depthAt(buf, i) !== 1) return undefined;
  const at = i + METADATA.length;
  const insert = Buffer.from(`"resourceVersion":"${rv}"${buf[at] === 0x7d ? '' : ','}`);
  return Buffer.concat([buf.subarray(0, at), insert, buf.subarray(at)]);
}

/** Object nesting depth at byte offset `end` of a JSON text (strings skipped). */
function depthAt(buf: Buffer, end: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < end; i++) {
    const b = buf[i]!;
    if (inString) {
      if (b === 0x5c) i++; // backslash: skip the escaped byte
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x7b || b === 0x5b) depth++;
    else if (b === 0x7d || b === 0x5d) depth--;
  }
  return depth;
}

/** A cache entry from a storage key/value (rv: the revision to show, the tombstone's for deletes). */
export function cachedFromStored(kv: KeyValue, rv = kv.modRevision, key = kv.key): CachedObject {
  const c: CachedObject = { key, rv, obj: decodeStored(kv, rv) };
  const buf = storedJsonWithRV(kv.value, rv);
  if (buf) c.buf = buf;
  return c;
}

/** One resource's cached state and event window. */
export class ResourceCache {
  readonly items = new Map<string, CachedObject>();
  #events: CacheEvent[] = [];
  /** Events with rv > oldestRV are all in the window. */
  #oldestRV = 0;
  readonly #watchers = new Set<Watcher>();
  readonly #window: number;
  #sorted: string[] | undefined;

  constructor(readonly prefix: string, readonly owner: WatchCache, window = DEFAULT_WINDOW) {
    this.#window = window;
  }

  #held: CacheEvent[] | undefined;

  /** Called by the WatchCache; not for other callers. */
  _reset(rv: number): void {
    this.#oldestRV = rv;
  }

  _hold(into: CacheEvent[]): void {
    this.#held = into;
  }

  _release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const ev of held) if (ev.rv > this.#oldestRV) this._apply(ev);
  }

  _apply(ev: CacheEvent): void {
    if (this.#held) {
      this.#held.push(ev);
      return;
    }
    if (ev.type === 'DELETED') this.items.delete(ev.key);
    else this.items.set(ev.key, ev.object);
    if (ev.type !== 'MODIFIED') this.#sorted = undefined;
    this.#events.push(ev);
    if (this.#events.length > this.#window * 1.25) {
      const drop = this.#events.length - this.#window;
      this.#oldestRV = this.#events[drop - 1]!.rv;
      this.#events = this.#events.slice(drop);
    }
    for (const w of this.#watchers) deliver(w, ev);
  }

  _load(key: string, c: CachedObject): void {
    this.items.set(key, c);
    this.#sorted = undefined;
  }

  /** Forget history at or below rev (storage compacted it). */
  _truncate(rev: number): void {
    if (rev <= this.#oldestRV) return;
    this.#oldestRV = rev;
    let i = 0;
    while (i < this.#events.length && this.#events[i]!.rv <= rev) i++;
    if (i) this.#events = this.#events.slice(i);
  }

  _bookmark(rv: number): void {
    for (const w of this.#watchers) w.push({ type: 'BOOKMARK', rv });
  }

  get oldestRV(): number {
    return this.#oldestRV;
  }

  /** Keys in order (for paging). */
  sortedKeys(): string[] {
    return (this.#sorted ??= [...this.items.keys()].sort());
  }

  /** Current objects under keyPrefix that pass the predicate, in key order, from startKey (inclusive). */
  list(keyPrefix: string, predicate: (obj: KObject) => boolean, opts: { limit?: number; startKey?: string } = {}) {
    const out: CachedObject[] = [];
    const keys = this.sortedKeys();
    let i = opts.startKey ? lowerBound(keys, opts.startKey) : keyPrefix === this.prefix ? 0 : lowerBound(keys, keyPrefix);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    let more = false;
    for (; i < keys.length; i++) {
      const key = keys[i]!;
      if (!key.startsWith(keyPrefix)) {
        if (key > keyPrefix) break;
        continue;
      }
      const c = this.items.get(key)!;
      if (!predicate(c.obj)) continue;
      if (out.length >= limit) {
        more = true;
        break;
      }
      out.push(c);
    }
    return { items: out, more, nextKey: more ? keys[i] : undefined };
  }

  /**
   * Watch events under keyPrefix passing predicate. With initial: synthetic ADDED for every current object
   * first (and, if bookmarkAfterInitial, a bookmark marking their end). Otherwise every event after afterRV.
   */
  watch(opts: {
    keyPrefix: string;
    predicate: (obj: KObject) => boolean;
    afterRV: number;
    initial: boolean;
    bookmarkAfterInitial?: boolean;
    signal: AbortSignal;
  }): AsyncIterable<WatchOutEvent> {
    const queue: WatchOutEvent[] = [];
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const watcher: Watcher = {
      keyPrefix: opts.keyPrefix,
      predicate: opts.predicate,
      push: (ev) => {
        if (queue.length >= WATCHER_QUEUE_LIMIT) {
          watcher.fail(new WatcherTooSlowError());
          return;
        }
        queue.push(ev);
        wake?.();
      },
      fail: (err) => {
        failure ??= err;
        this.#watchers.delete(watcher);
        wake?.();
      },
    };
    const rv = this.owner.revision;
    if (opts.initial) {
      for (const c of this.list(opts.keyPrefix, opts.predicate).items) queue.push({ type: 'ADDED', object: c, rv: c.rv });
      if (opts.bookmarkAfterInitial) queue.push({ type: 'BOOKMARK', rv, initialEventsEnd: true });
    } else {
      if (opts.afterRV < this.#oldestRV) throw new TooOldResourceVersionError(opts.afterRV, this.#oldestRV + 1);
      for (let i = firstAfter(this.#events, opts.afterRV); i < this.#events.length; i++) deliver(watcher, this.#events[i]!);
    }
    this.#watchers.add(watcher);
    const watchers = this.#watchers;
    const onAbort = () => {
      watchers.delete(watcher);
      wake?.();
    };
    opts.signal.addEventListener('abort', onAbort, { once: true });
    return {
      async *[Symbol.asyncIterator]() {
        try {
          while (true) {
            while (queue.length) {
              const batch = queue.splice(0, queue.length);
              for (const ev of batch) yield ev;
            }
            if (failure) throw failure;
            if (opts.signal.aborted) return;
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
          }
        } finally {
          watchers.delete(watcher);
          opts.signal.removeEventListener('abort', onAbort);
        }
      },
    };
  }
}

function deliver(w: Watcher, ev: CacheEvent): void {
  if (!ev.key.startsWith(w.keyPrefix)) return;
  const now = w.predicate(ev.object.obj);
  const before = ev.prev ? w.predicate(ev.prev.obj) : false;
  if (ev.type === 'ADDED') {
    if (now) w.push({ type: 'ADDED', object: ev.object, rv: ev.rv });
  } else if (ev.type === 'DELETED') {
    if (before || now) w.push({ type: 'DELETED', object: ev.object, rv: ev.rv });
  } else if (now && before) w.push({ type: 'MODIFIED', object: ev.object, rv: ev.rv });
  else if (now) w.push({ type: 'ADDED', object: ev.object, rv: ev.rv });
  else if (before) {
    // The object left the selection: upstream sends DELETED with the new state's resourceVersion.
    w.push({ type: 'DELETED', object: ev.object, rv: ev.rv });
  }
}

function lowerBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function firstAfter(events: CacheEvent[], rv: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.rv <= rv) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface Waiter {
  rv: number;
  resolve: () => void;
}

/** All resource caches, fed by one watch on /registry/. */
export class WatchCache {
  readonly #caches: ResourceCache[] = [];
  #revision = 0;
  #ready = false;
  #waiters: Waiter[] = [];
  #readyWaiters: Array<() => void> = [];

  constructor(readonly backend: Backend, readonly root = '/registry/') {}

  get revision(): number {
    return this.#revision;
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Register a resource prefix; must be called before start(). */
  register(prefix: string, window?: number): ResourceCache {
    const existing = this.#caches.find((c) => c.prefix === prefix);
    if (existing) return existing;
    if (this.#ready) throw new Error(`watch cache already started; cannot register ${prefix}`);
    const c = new ResourceCache(prefix, this, window);
    this.#caches.push(c);
    // Longest prefix first, so /registry/services/specs/ wins over a hypothetical /registry/services/.
    this.#caches.sort((a, b) => b.prefix.length - a.prefix.length);
    return c;
  }

  /**
   * Register a prefix while the cache is running (a CustomResourceDefinition became established): its
   * current objects are read at the revision the cache has reached, and events after it follow as usual.
   */
  async registerLive(prefix: string, window?: number): Promise<ResourceCache> {
    if (!this.#ready) return this.register(prefix, window);
    const existing = this.#caches.find((c) => c.prefix === prefix);
    if (existing) return existing;
    const c = new ResourceCache(prefix, this, window);
    const rev = this.#revision;
    // Events after rev arrive while the snapshot is read: hold them, then apply them on top of it.
    const held: CacheEvent[] = [];
    c._hold(held);
    this.#caches.push(c);
    this.#caches.sort((a, b) => b.prefix.length - a.prefix.length);
    let startKey: string | undefined;
    for (;;) {
      const page = await this.backend.list(prefix, { limit: 2000, revision: rev, ...(startKey ? { startKey } : {}) });
      for (const kv of page.items) c._load(kv.key, cachedFromStored(kv));
      if (!page.more || page.items.length === 0) break;
      startKey = page.items[page.items.length - 1]!.key + '\0';
    }
    c._reset(rev);
    c._release();
    return c;
  }

  /** Forget a prefix (its CustomResourceDefinition was deleted). */
  unregister(prefix: string): void {
    const i = this.#caches.findIndex((c) => c.prefix === prefix);
    if (i >= 0) this.#caches.splice(i, 1);
  }

  #cacheFor(key: string): ResourceCache | undefined {
    for (const c of this.#caches) if (key.startsWith(c.prefix)) return c;
    return undefined;
  }

  /** Every key under the root at one revision, grouped by cache. */
  async #snapshot(): Promise<{ rev: number; byCache: Map<ResourceCache, Map<string, CachedObject>> }> {
    let rev = 0;
    let startKey: string | undefined;
    const byCache = new Map<ResourceCache, Map<string, CachedObject>>(this.#caches.map((c) => [c, new Map()]));
    for (;;) {
      const page = await this.backend.list(this.root, { limit: 2000, ...(rev ? { revision: rev } : {}), ...(startKey ? { startKey } : {}) });
      rev = page.revision;
      for (const kv of page.items) {
        const cache = this.#cacheFor(kv.key);
        if (cache) byCache.get(cache)!.set(kv.key, cachedFromStored(kv));
      }
      if (!page.more || page.items.length === 0) break;
      startKey = page.items[page.items.length - 1]!.key + '\0';
    }
    return { rev, byCache };
  }

  /** Load everything, then follow storage until the signal aborts. Resolves once loaded. */
  async start(signal: AbortSignal): Promise<void> {
    const { rev, byCache } = await this.#snapshot();
    for (const [cache, items] of byCache) {
      for (const [key, c] of items) cache._load(key, c);
      cache._reset(rev);
    }
    this.#advance(rev);
    this.#ready = true;
    for (const r of this.#readyWaiters.splice(0)) r();
    void this.#follow(rev, signal);
  }

  /**
   * Storage compacted past the point this cache had reached (it fell far behind): read the current state and
   * turn the difference into events, so watchers converge on it.
   */
  async #resync(): Promise<number> {
    const { rev, byCache } = await this.#snapshot();
    for (const [cache, fresh] of byCache) {
      for (const [key, c] of fresh) {
        const old = cache.items.get(key);
        if (!old) cache._apply({ type: 'ADDED', key, rv: rev, object: c });
        else if (old.rv !== c.rv) cache._apply({ type: 'MODIFIED', key, rv: rev, object: c, prev: old });
      }
      for (const [key, old] of [...cache.items]) {
        if (!fresh.has(key)) cache._apply({ type: 'DELETED', key, rv: rev, object: { key, rv: rev, obj: { ...old.obj, metadata: { ...old.obj.metadata, resourceVersion: String(rev) } } }, prev: old });
      }
    }
    this.#advance(rev);
    return rev;
  }

  async #follow(afterRevision: number, signal: AbortSignal): Promise<void> {
    let after = afterRevision;
    while (!signal.aborted) {
      try {
        for await (const ev of this.backend.watch(this.root, { afterRevision: after, signal, onProgress: (r) => this.#advance(r) })) {
          const cache = this.#cacheFor(ev.kv.key);
          if (cache) {
            const prevCached = cache.items.get(ev.kv.key);
            const object = ev.type === 'delete' ? cachedFromStored(ev.prev ?? ev.kv, ev.kv.modRevision, ev.kv.key) : cachedFromStored(ev.kv);
            const type: EventType = ev.type === 'delete' ? 'DELETED' : prevCached ? 'MODIFIED' : 'ADDED';
            cache._apply({ type, key: ev.kv.key, rv: ev.kv.modRevision, object, ...(prevCached ? { prev: prevCached } : {}) });
          }
          after = ev.kv.modRevision;
          this.#advance(after);
        }
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof CompactedError) {
          try {
            after = await this.#resync();
          } catch {
            await new Promise((r) => setTimeout(r, 500));
          }
          continue;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  #advance(rv: number): void {
    if (rv <= this.#revision) return;
    this.#revision = rv;
    if (this.#waiters.length) {
      const still: Waiter[] = [];
      for (const w of this.#waiters) {
        if (w.rv <= rv) w.resolve();
        else still.push(w);
      }
      this.#waiters = still;
    }
  }

  /** Resolves when the cache has seen revision rv; rejects with CacheNotReadyError after timeoutMs. */
  waitForRevision(rv: number, timeoutMs = 3000): Promise<void> {
    if (rv <= this.#revision) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new CacheNotReadyError(rv, this.#revision));
      }, timeoutMs);
      const waiter = {
        rv,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.#waiters.push(waiter);
    });
  }

  /** Wait until the cache has every write storage has acknowledged (a consistent read). */
  async sync(timeoutMs = 3000): Promise<void> {
    if (!this.#ready) await new Promise<void>((r) => this.#readyWaiters.push(r));
    await this.waitForRevision(await this.backend.currentRevision(), timeoutMs);
  }

  /** Storage compacted up to rev: history below it is gone for watchers too. */
  truncate(rev: number): void {
    for (const c of this.#caches) c._truncate(rev);
  }

  /** Send a bookmark with the current revision to every watcher that wants one. */
  bookmark(): void {
    for (const c of this.#caches) c._bookmark(this.#revision);
  }
}
