// The namespace controller: a namespace being deleted is emptied of every namespaced object, then its
// `kubernetes` finalizer is removed through /finalize, and the apiserver lets it go.
import type { Client, GroupVersionResource, KubeObject } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import { objectKey, type Informer } from '../client/informer.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import type { Logger } from '../log.ts';
import type { Controller, ControllerContext } from './controller.ts';
import { NAMESPACES } from '../client/resources.ts';

const FINALIZER = 'kubernetes';
/** How soon to look again while objects are still going (finalizers, graceful deletion). */
const RECHECK_MS = 1000;

interface ResourceList {
  groupVersion: string;
  resources: Array<{ name: string; namespaced: boolean; verbs: string[] }>;
}

export class NamespaceController implements Controller {
  readonly #queue = new WorkQueue<string>();
  readonly #informer: Informer;
  readonly client: Client;
  readonly logger: Logger;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.logger = ctx.logger('namespace-controller');
    this.#informer = ctx.informers.informer(NAMESPACES);
    const enqueue = (ns: KubeObject) => {
      if (ns.metadata?.deletionTimestamp) this.#queue.add(objectKey(ns));
    };
    this.#informer.addEventHandler({ onAdd: enqueue, onUpdate: (_old, ns) => enqueue(ns) });
  }

  async start(signal: AbortSignal): Promise<void> {
    await this.#informer.waitForSync(signal);
    await Promise.all([runWorkers(this.#queue, 2, (key) => this.sync(key), signal, { onError: (key, err) => this.logger.warn('namespace sync failed', { namespace: key, error: err }) })]);
  }

  async sync(key: string): Promise<void> {
    const ns = this.#informer.lister.get(key);
    if (!ns?.metadata?.deletionTimestamp) return;
    const name = ns.metadata.name!;
    const finalizers = ((ns as Record<string, any>)['spec']?.finalizers ?? []) as string[];
    if (!finalizers.includes(FINALIZER)) return;
    let remaining = 0;
    for (const gvr of await this.#namespacedResources()) {
      const list = await this.client.list(gvr, name);
      for (const item of list.items) {
        remaining++;
        if (item.metadata?.deletionTimestamp) continue;
        try {
          await this.client.delete(gvr, name, item.metadata!.name!, { propagationPolicy: 'Background' });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
    if (remaining) {
      this.#queue.addAfter(key, RECHECK_MS);
      return;
    }
    try {
      await this.client.transport.request({
        method: 'PUT',
        path: `/api/v1/namespaces/${encodeURIComponent(name)}/finalize`,
        body: { ...ns, spec: { ...(ns as Record<string, any>)['spec'], finalizers: finalizers.filter((f) => f !== FINALIZER) } },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Every namespaced resource that can be listed and deleted, from legacy discovery (preferred versions). */
  async #namespacedResources(): Promise<GroupVersionResource[]> {
    const lists: ResourceList[] = [(await this.client.transport.request({ method: 'GET', path: '/api/v1' })).body as ResourceList];
    const groups = (await this.client.transport.request({ method: 'GET', path: '/apis' })).body as { groups: Array<{ preferredVersion: { groupVersion: string } }> };
    for (const g of groups.groups) lists.push((await this.client.transport.request({ method: 'GET', path: `/apis/${g.preferredVersion.groupVersion}` })).body as ResourceList);
    const out: GroupVersionResource[] = [];
    for (const list of lists) {
      const [group, version] = list.groupVersion.includes('/') ? list.groupVersion.split('/') : ['', list.groupVersion];
      for (const r of list.resources) {
        if (r.namespaced && !r.name.includes('/') && r.verbs.includes('list') && r.verbs.includes('delete')) out.push({ group: group!, version: version!, resource: r.name });
      }
    }
    return out;
  }
}
