// A shared informer in the shape of client-go's: list, then watch from the list's resourceVersion, keeping a local store.
import type { Client, GroupVersionResource, KubeObject } from './client.ts';
import { ApiError, isGone } from './errors.ts';
import { abortableSleep } from './sleep.ts';

/** client-go's MetaNamespaceKeyFunc: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

/** The inverse of objectKey: ['', name] for a cluster-scoped key. */
export function splitKey(key: string): [namespace: string, name: string] {
  const i = key.indexOf('/');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}

export interface EventHandlers<T extends KubeObject> {
  onAdd?(obj: T): void;
  /** Also called for every object still present after a re-list, as client-go does; compare resourceVersions to skip. */
  onUpdate?(oldObj: T, newObj: T): void;
  /** `obj` is the last state the informer saw. */
  onDelete?(obj: T): void;
}

export interface Lister<T extends KubeObject> {
  get(key: string): T | undefined;
  list(selector?: (obj: T) => boolean): T[];
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** LIST page size; default 500. */
  pageSize?: number;
  /** Server-side watch timeout; the informer resumes from the last resourceVersion when it ends. Default 300–600 s. */
  watchTimeoutSeconds?: number;
  /** Told about list/watch failures and handler exceptions; the informer keeps going. */
  onError?(err: unknown): void;
}

const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 10_000;
/** A watch ending sooner than this without events counts as a failure for backoff. */
const QUICK_WATCH_END_MS = 1_000;

export class Informer<T extends KubeObject = KubeObject> {
  readonly #store = new Map<string, T>();
  readonly #handlers: EventHandlers<T>[] = [];
  #resourceVersion: string | undefined;
  #synced = false;
  #started = false;
  #syncWaiters: Array<() => void> = [];

  readonly lister: Lister<T> = {
    get: (key) => this.#store.get(key),
    list: (selector) => {
      const out: T[] = [];
      for (const obj of this.#store.values()) if (!selector || selector(obj)) out.push(obj);
      return out;
    },
  };

  constructor(
    readonly client: Client,
    readonly gvr: GroupVersionResource,
    readonly options: InformerOptions = {},
  ) {}

  addEventHandler(handlers: EventHandlers<T>): void {
    this.#handlers.push(handlers);
    // A handler added late still hears of every object, as client-go does.
    if (handlers.onAdd) for (const obj of this.#store.values()) this.#call(() => handlers.onAdd?.(obj));
  }

  /** True once the first LIST has filled the store. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** The resourceVersion of the last list, event or bookmark seen. */
  get lastSyncResourceVersion(): string | undefined {
    return this.#resourceVersion;
  }

  /** Resolves once synced; rejects with signal.reason if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal?.reason);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** Runs list+watch until `signal` aborts; the promise settles then. */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#started) throw new Error('informer already started');
    this.#started = true;
    let backoff = BACKOFF_START_MS;
    const failed = async (err: unknown) => {
      if (signal.aborted) return;
      this.options.onError?.(err);
      await abortableSleep(backoff, signal).catch(() => {});
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    };
    while (!signal.aborted) {
      try {
        if (this.#resourceVersion === undefined) await this.#relist(signal);
        const started = Date.now();
        const events = await this.#watch(signal);
        if (events === 0 && Date.now() - started < QUICK_WATCH_END_MS) await failed(new Error('watch ended at once'));
        else backoff = BACKOFF_START_MS;
      } catch (err) {
        if (signal.aborted) break;
        // Too old: start again from a fresh list.
        if (isGone(err)) this.#resourceVersion = undefined;
        await failed(err);
      }
    }
  }

  async #relist(signal: AbortSignal): Promise<void> {
    const { namespace, labelSelector, fieldSelector } = this.options;
    const fresh = new Map<string, T>();
    let token: string | undefined;
    let listRV: string | undefined;
    for (let page = 0; page < 100_000; page++) {
      const list = await this.client.list<T>(this.gvr, namespace, {
        ...(labelSelector ? { labelSelector } : {}),
        ...(fieldSelector ? { fieldSelector } : {}),
        ...(token ? { continue: token } : {}),
        limit: this.options.pageSize ?? 500,
        signal,
      });
      for (const obj of list.items) fresh.set(objectKey(obj), obj);
      listRV = list.metadata.resourceVersion;
      token = list.metadata.continue;
      if (!token) break;
    }
    if (signal.aborted) return;
    this.#replace(fresh);
    this.#resourceVersion = listRV;
    if (!this.#synced) {
      this.#synced = true;
      for (const wake of this.#syncWaiters.splice(0)) wake();
    }
  }

  #replace(fresh: Map<string, T>): void {
    for (const [key, old] of this.#store) {
      if (fresh.has(key)) continue;
      this.#store.delete(key);
      this.#emit('delete', old);
    }
    for (const [key, obj] of fresh) {
      const old = this.#store.get(key);
      this.#store.set(key, obj);
      if (old) this.#emit('update', obj, old);
      else this.#emit('add', obj);
    }
  }

  /** Returns how many events arrived; throws on ERROR events and failures. */
  async #watch(signal: AbortSignal): Promise<number> {
    const { namespace, labelSelector, fieldSelector, watchTimeoutSeconds } = this.options;
    const timeoutSeconds = watchTimeoutSeconds ?? Math.floor(300 * (1 + Math.random()));
    const stream = this.client.watch<T>(
      this.gvr,
      namespace,
      {
        ...(labelSelector ? { labelSelector } : {}),
        ...(fieldSelector ? { fieldSelector } : {}),
        ...(this.#resourceVersion ? { resourceVersion: this.#resourceVersion } : {}),
        allowWatchBookmarks: true,
        timeoutSeconds,
      },
      signal,
    );
    let count = 0;
    for await (const event of stream) {
      count++;
      if (event.type === 'ERROR') throw new ApiError({ code: 500, ...(event.object as object) });
      const obj = event.object;
      const rv = obj.metadata?.resourceVersion;
      if (event.type === 'BOOKMARK') {
        if (rv) this.#resourceVersion = rv;
        continue;
      }
      const key = objectKey(obj);
      const old = this.#store.get(key);
      if (event.type === 'DELETED') {
        this.#store.delete(key);
        this.#emit('delete', obj);
      } else {
        this.#store.set(key, obj);
        if (old) this.#emit('update', obj, old);
        else this.#emit('add', obj);
      }
      if (rv) this.#resourceVersion = rv;
    }
    return count;
  }

  #emit(kind: 'add' | 'update' | 'delete', obj: T, old?: T): void {
    for (const h of this.#handlers) {
      if (kind === 'add') this.#call(() => h.onAdd?.(obj));
      else if (kind === 'update') this.#call(() => h.onUpdate?.(old!, obj));
      else this.#call(() => h.onDelete?.(obj));
    }
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.options.onError?.(err);
    }
  }
}
