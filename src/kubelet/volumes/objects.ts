// The ConfigMaps and Secrets the node's pods refer to, kept current by one single-object watch each while any
// pod refers to it (upstream's watch-based configmap and secret managers), so that a volume refresh reads a
// local copy and a change reaches the pods' volumes at once.
import type { Client, GroupVersionResource, KubeObject } from '../../client/client.ts';
import { isNotFound } from '../../client/errors.ts';
import { Informer } from '../../client/informer.ts';
import { silentLogger, type Logger } from '../../log.ts';

/** The object does not exist; the message is kubelet's (`configmap "x" not found`). */
export class ObjectNotFoundError extends Error {
  override name = 'ObjectNotFoundError';
}

/** The watch of a referenced object has not listed it in time. */
export class ObjectSyncError extends Error {
  override name = 'ObjectSyncError';
}

/** Reads one object straight from the API server, with kubelet's NotFound message. */
export async function getObject<T>(client: Client, gvr: GroupVersionResource, kind: string, namespace: string, name: string, signal?: AbortSignal): Promise<T> {
  try {
    return (await client.get<KubeObject>(gvr, namespace, name, signal ? { signal } : {})) as T;
  } catch (err) {
    if (isNotFound(err)) throw new ObjectNotFoundError(`${kind} "${name}" not found`, { cause: err });
    throw err;
  }
}

interface Entry {
  refs: number;
  informer: Informer<KubeObject>;
  stop: AbortController;
  lastError?: unknown;
}

export interface ReferencedObjectsOptions {
  client: Client;
  gvr: GroupVersionResource;
  /** How kubelet names the kind in messages: 'configmap', 'secret'. */
  kind: string;
  /** An object that pods refer to was added, changed or deleted. */
  onChange?(namespace: string, name: string): void;
  /** How long a read waits for a new watch to list its object; default 10 s. */
  syncTimeoutMs?: number;
  logger?: Logger;
}

/** Objects of one kind; `T` is the type they are read as. */
export class ReferencedObjects<T> {
  readonly #opts: ReferencedObjectsOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #root = new AbortController();
  readonly #log: Logger;

  constructor(opts: ReferencedObjectsOptions) {
    this.#opts = opts;
    this.#log = opts.logger ?? silentLogger();
  }

  /** Counts one more reference to the object; the first starts its watch. */
  acquire(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const existing = this.#entries.get(key);
    if (existing) {
      existing.refs++;
      return;
    }
    const stop = new AbortController();
    const entry: Entry = {
      refs: 1,
      stop,
      informer: new Informer<KubeObject>(this.#opts.client, this.#opts.gvr, {
        namespace,
        fieldSelector: `metadata.name=${name}`,
        onError: (err) => {
          entry.lastError = err;
          this.#log.debug('watch of a referenced object failed', { kind: this.#opts.kind, namespace, name, error: err });
        },
      }),
    };
    const changed = () => {
      if (entry.informer.hasSynced()) this.#opts.onChange?.(namespace, name);
    };
    entry.informer.addEventHandler({
      onAdd: changed,
      onUpdate: (oldObj, newObj) => {
        if (oldObj.metadata?.resourceVersion !== newObj.metadata?.resourceVersion) changed();
      },
      onDelete: changed,
    });
    this.#entries.set(key, entry);
    const signal = AbortSignal.any([this.#root.signal, stop.signal]);
    entry.informer.start(signal).catch((err: unknown) => this.#log.debug('watch ended', { kind: this.#opts.kind, key, error: err }));
  }

  /** Drops one reference; the last one stops the watch. */
  release(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const entry = this.#entries.get(key);
    if (!entry) return;
    if (--entry.refs > 0) return;
    this.#entries.delete(key);
    entry.stop.abort();
  }

  /** Objects with a reference. */
  get watched(): number {
    return this.#entries.size;
  }

  /** The object: from its watch when referenced, else straight from the API server. */
  async get(namespace: string, name: string, signal?: AbortSignal): Promise<T> {
    const key = `${namespace}/${name}`;
    const entry = this.#entries.get(key);
    if (!entry) return getObject<T>(this.#opts.client, this.#opts.gvr, this.#opts.kind, namespace, name, signal);
    if (!entry.informer.hasSynced()) await this.#waitForSync(entry, signal);
    const obj = entry.informer.lister.get(key);
    if (!obj) throw new ObjectNotFoundError(`${this.#opts.kind} "${name}" not found`);
    return obj as T;
  }

  async #waitForSync(entry: Entry, signal: AbortSignal | undefined): Promise<void> {
    const timeout = AbortSignal.timeout(this.#opts.syncTimeoutMs ?? 10_000);
    try {
      await entry.informer.waitForSync(AbortSignal.any([timeout, entry.stop.signal, this.#root.signal, ...(signal ? [signal] : [])]));
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const why = entry.lastError instanceof Error ? entry.lastError.message : 'timed out waiting for the condition';
      throw new ObjectSyncError(`failed to sync ${this.#opts.kind} cache: ${why}`, { cause: err });
    }
  }

  /** Stops every watch. */
  stop(): void {
    this.#root.abort();
    this.#entries.clear();
  }
}
