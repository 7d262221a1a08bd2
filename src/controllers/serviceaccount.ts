// The ServiceAccount controller: every active namespace has a `default` ServiceAccount.
import type { Client, KubeObject } from '../client/client.ts';
import { ApiError, isAlreadyExists, isNotFound } from '../client/errors.ts';
import type { Informer } from '../client/informer.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import type { Logger } from '../log.ts';
import type { Controller, ControllerContext } from './controller.ts';
import { NAMESPACES, SERVICE_ACCOUNTS } from '../client/resources.ts';

const isForbidden = (err: unknown) => err instanceof ApiError && err.code === 403;

export class ServiceAccountController implements Controller {
  readonly #queue = new WorkQueue<string>();
  readonly #namespaces: Informer;
  readonly #accounts: Informer;
  readonly client: Client;
  readonly logger: Logger;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.logger = ctx.logger('serviceaccount-controller');
    this.#namespaces = ctx.informers.informer(NAMESPACES);
    this.#accounts = ctx.informers.informer(SERVICE_ACCOUNTS, { fieldSelector: 'metadata.name=default' });
    const byName = (ns: KubeObject) => this.#queue.add(ns.metadata!.name!);
    const byNamespace = (sa: KubeObject) => this.#queue.add(sa.metadata!.namespace!);
    this.#namespaces.addEventHandler({ onAdd: byName, onUpdate: (_o, ns) => byName(ns) });
    // A deleted default ServiceAccount comes back.
    this.#accounts.addEventHandler({ onDelete: byNamespace });
  }

  async start(signal: AbortSignal): Promise<void> {
    await Promise.all([this.#namespaces.waitForSync(signal), this.#accounts.waitForSync(signal)]);
    await Promise.all([runWorkers(this.#queue, 2, (ns) => this.sync(ns), signal, { onError: (ns, err) => this.logger.warn('serviceaccount sync failed', { namespace: ns, error: err }) })]);
  }

  async sync(namespace: string): Promise<void> {
    const ns = this.#namespaces.lister.get(namespace);
    if (!ns || ns.metadata?.deletionTimestamp) return;
    if (this.#accounts.lister.get(`${namespace}/default`)) return;
    try {
      await this.client.create(SERVICE_ACCOUNTS, namespace, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } }, { fieldManager: 'kube-controller-manager' });
    } catch (err) {
      // Already there (the cache lagged), or the namespace went (or began to go) meanwhile.
      if (!isAlreadyExists(err) && !isNotFound(err) && !isForbidden(err)) throw err;
    }
  }
}
