// CustomResourceDefinitions come alive here, in the apiserver as upstream's apiextensions-apiserver does it:
// a definition is accepted (NamesAccepted, Established), its served versions become resources (registry,
// watch cache, store, discovery, OpenAPI); deleting it deletes its objects first, then the definition.
import type { KObject, ResourceType } from '../api/types.ts';
import { storagePrefix } from '../api/registry.ts';
import { CRD_CLEANUP_FINALIZER } from '../api/groups/apiextensions.ts';
import { pruneUnknown, resourceTypeForCRD, schemaForVersion } from '../apiextensions/crd.ts';
import type { Logger } from '../log.ts';
import type { ApiContext } from './handlers.ts';
import { ResourceStore, type StoreContext } from './store.ts';
import { atomForCustomResource } from './apply/index.ts';
import { invalidate } from './openapi.ts';
import { nowRFC3339 } from './objects.ts';
import { StatusError } from './status.ts';
import type { CachedObject, WatchOutEvent } from './watchcache.ts';

const MANAGER = 'kube-apiserver';
const RETRY_MS = 1000;

export class CustomResourceManager {
  readonly #served = new Map<string, ResourceType[]>();
  /** The generation (spec) and accepted names each definition was last served with. */
  readonly #servedAs = new Map<string, string>();
  readonly #crdStore: ResourceStore;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    readonly api: ApiContext,
    readonly storeCtx: StoreContext,
    readonly logger: Logger,
  ) {
    const t = api.registry.get('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
    const store = t && api.stores.get(t);
    if (!store) throw new Error('the customresourcedefinitions resource is not registered');
    this.#crdStore = store;
  }

  /** Serves every existing definition, then follows changes until the signal aborts. */
  async start(signal: AbortSignal): Promise<void> {
    const cache = this.#crdStore.cache;
    const existing = cache.list(cache.prefix, () => true).items;
    const events = cache.watch({ keyPrefix: cache.prefix, predicate: () => true, afterRV: this.api.watchCache.revision, initial: false, signal });
    for (const c of existing) await this.#reconcile('ADDED', c);
    void (async () => {
      try {
        for await (const ev of events) this.#enqueue(ev);
      } catch (err) {
        if (!signal.aborted) this.logger.error('CRD watch ended', { error: err });
      }
    })();
  }

  /** One definition at a time, in event order. */
  #enqueue(ev: WatchOutEvent): void {
    if (ev.type === 'BOOKMARK' || !ev.object) return;
    const { type, object } = ev;
    this.#queue = this.#queue.then(() => this.#reconcile(type, object)).catch((err) => this.logger.error('CRD reconcile failed', { error: err }));
  }

  async #reconcile(type: string, c: CachedObject): Promise<void> {
    const crd = c.obj;
    const name = crd.metadata?.name ?? '';
    if (type === 'DELETED') return this.#unserve(name);
    if (crd.metadata?.deletionTimestamp) return this.#finalize(crd);
    await this.#accept(crd);
    await this.#serve(crd);
  }

  /** Set NamesAccepted and Established, as upstream's naming and establishing controllers do. */
  async #accept(crd: KObject): Promise<void> {
    const status = (crd['status'] ?? {}) as Record<string, any>;
    const names = crd['spec']?.names ?? {};
    const conditions = (status['conditions'] ?? []) as Array<Record<string, string>>;
    const isTrue = (t: string) => conditions.some((c) => c['type'] === t && c['status'] === 'True');
    if (isTrue('NamesAccepted') && isTrue('Established') && JSON.stringify(status['acceptedNames']) === JSON.stringify(names)) return;
    const now = nowRFC3339();
    await this.#crdStore.guaranteedUpdate(
      '',
      crd.metadata!.name!,
      (cur) => ({
        ...cur,
        status: {
          ...(cur['status'] ?? {}),
          acceptedNames: cur['spec']?.names ?? {},
          conditions: [
            { type: 'NamesAccepted', status: 'True', lastTransitionTime: now, reason: 'NoConflicts', message: 'no conflicts found' },
            { type: 'Established', status: 'True', lastTransitionTime: now, reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
          ],
        },
      }),
      { subresource: 'status', manager: MANAGER },
    );
  }

  async #serve(crd: KObject): Promise<void> {
    const name = crd.metadata!.name!;
    const as = `${crd.metadata?.generation}/${JSON.stringify(crd['status']?.acceptedNames ?? null)}`;
    if (this.#servedAs.get(name) === as) return;
    this.#servedAs.set(name, as);
    const spec = crd['spec'] ?? {};
    const preserve = spec['preserveUnknownFields'] === true;
    const next: ResourceType[] = [];
    for (const v of (spec['versions'] ?? []) as Array<{ name: string; served?: boolean }>) {
      if (!v.served) continue;
      const t = resourceTypeForCRD(crd, v.name);
      const schema = schemaForVersion(crd, v.name);
      if (!preserve) t.pruneUnknownFields = (obj) => pruneUnknown(schema, obj);
      t.applySchema = atomForCustomResource(schema as never, preserve);
      next.push(t);
    }
    for (const old of this.#served.get(name) ?? []) {
      this.api.registry.remove(old);
      this.api.stores.delete(old);
    }
    for (const t of next) {
      const cache = await this.api.watchCache.registerLive(storagePrefix(t));
      this.api.registry.add(t);
      this.api.stores.set(t, new ResourceStore(t, cache, this.storeCtx));
    }
    this.#served.set(name, next);
    invalidate(this.api.registry);
  }

  #unserve(name: string): void {
    const types = this.#served.get(name);
    if (!types) return;
    for (const t of types) {
      this.api.registry.remove(t);
      this.api.stores.delete(t);
    }
    if (types[0]) this.api.watchCache.unregister(storagePrefix(types[0]));
    this.#served.delete(name);
    this.#servedAs.delete(name);
    invalidate(this.api.registry);
  }

  /** The definition is being deleted: delete its objects, then let it go. */
  async #finalize(crd: KObject): Promise<void> {
    if (!crd.metadata?.finalizers?.includes(CRD_CLEANUP_FINALIZER)) return;
    const types = this.#served.get(crd.metadata.name!) ?? [];
    const store = types[0] && this.api.stores.get(types[0]);
    let remaining = 0;
    if (store) {
      await this.api.watchCache.sync();
      for (const c of [...store.cache.items.values()]) {
        try {
          const { deleted } = await store.delete(c.obj.metadata?.namespace ?? '', c.obj.metadata!.name!, {});
          if (!deleted) remaining++;
        } catch (err) {
          if (!(err instanceof StatusError && err.code === 404)) throw err;
        }
      }
    }
    if (remaining) {
      // Objects with finalizers of their own: look again shortly.
      setTimeout(() => this.#enqueue({ type: 'MODIFIED', rv: 0, object: { key: '', rv: 0, obj: crd } }), RETRY_MS).unref();
      return;
    }
    await this.#crdStore.guaranteedUpdate(
      '',
      crd.metadata.name!,
      (cur) => ({ ...cur, metadata: { ...cur.metadata, finalizers: (cur.metadata?.finalizers ?? []).filter((f) => f !== CRD_CLEANUP_FINALIZER) } }),
      { manager: MANAGER },
    );
  }
}
