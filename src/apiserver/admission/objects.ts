// What admission plugins read and write: the API server's own watch cache (upstream's plugins use informers' listers),
// storage for the reads that must not lag, and status writes through the resource's store.
import type { Backend } from '../../storage/backend.ts';
import type { KObject, ResourceType } from '../../api/types.ts';
import type { ResourceStore } from '../store.ts';
import { StatusError } from '../status.ts';
import { decodeStored } from '../watchcache.ts';
import type { GroupResource } from './types.ts';

export interface AdmissionObjects {
  /** From the watch cache: objects of a resource in one namespace ('' for cluster-scoped or all namespaces). Never mutate them. */
  list(gr: GroupResource, namespace: string): KObject[];
  /** From the watch cache; never mutate the result. */
  get(gr: GroupResource, namespace: string, name: string): KObject | undefined;
  /** From storage: for writes the cache may not have seen yet. */
  getLive(gr: GroupResource, namespace: string, name: string): Promise<KObject | undefined>;
  listLive(gr: GroupResource, namespace: string): Promise<KObject[]>;
  /** PUT …/status, conditional on obj's resourceVersion (a 409 StatusError when someone else wrote first). */
  updateStatus(gr: GroupResource, obj: KObject): Promise<KObject>;
}

/** AdmissionObjects over the API server's stores. */
export class StoreObjects implements AdmissionObjects {
  readonly #byResource = new Map<string, ResourceStore>();

  constructor(
    readonly stores: Map<ResourceType, ResourceStore>,
    readonly backend: Backend,
  ) {}

  #store(gr: GroupResource): ResourceStore | undefined {
    const key = `${gr.group}/${gr.resource}`;
    let found = this.#byResource.get(key);
    if (found && this.stores.get(found.type) === found) return found;
    found = undefined;
    for (const [t, s] of this.stores) {
      if (t.group === gr.group && t.plural === gr.resource && !t.convertFromStorage) found = s;
    }
    if (found) this.#byResource.set(key, found);
    return found;
  }

  #prefix(store: ResourceStore, namespace: string): string {
    return store.type.namespaced && namespace ? `${store.prefix}${namespace}/` : store.prefix;
  }

  list(gr: GroupResource, namespace: string): KObject[] {
    const store = this.#store(gr);
    if (!store) return [];
    return store.cache.list(this.#prefix(store, namespace), () => true).items.map((c) => c.obj);
  }

  get(gr: GroupResource, namespace: string, name: string): KObject | undefined {
    const store = this.#store(gr);
    return store?.cache.items.get(store.key(namespace, name))?.obj;
  }

  async getLive(gr: GroupResource, namespace: string, name: string): Promise<KObject | undefined> {
    const store = this.#store(gr);
    if (!store) return undefined;
    try {
      return await store.get(namespace, name);
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) return undefined;
      throw err;
    }
  }

  async listLive(gr: GroupResource, namespace: string): Promise<KObject[]> {
    const store = this.#store(gr);
    if (!store) return [];
    const out: KObject[] = [];
    let startKey: string | undefined;
    for (;;) {
      const page = await this.backend.list(this.#prefix(store, namespace), { limit: 500, ...(startKey ? { startKey } : {}) });
      for (const kv of page.items) out.push(decodeStored(kv));
      if (!page.more || !page.items.length) return out;
      startKey = page.items[page.items.length - 1]!.key + '\0';
    }
  }

  async updateStatus(gr: GroupResource, obj: KObject): Promise<KObject> {
    const store = this.#store(gr);
    if (!store) throw new StatusError(404, 'NotFound', `the server could not find the requested resource (${gr.resource})`);
    return store.update(obj.metadata?.namespace ?? '', obj.metadata!.name!, obj, 'status', { manager: 'kube-apiserver' });
  }
}
