// The root CA publisher: every active namespace has the `kube-root-ca.crt` ConfigMap holding the cluster CA, so pods
// can verify the API server.
import type { Client, KubeObject } from '../client/client.ts';
import { isAlreadyExists, isNotFound } from '../client/errors.ts';
import type { Informer } from '../client/informer.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import type { Logger } from '../log.ts';
import type { Controller, ControllerContext } from './controller.ts';
import { CONFIGMAPS, NAMESPACES } from '../client/resources.ts';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';

export class RootCAPublisher implements Controller {
  readonly #queue = new WorkQueue<string>();
  readonly #namespaces: Informer;
  readonly #configmaps: Informer;
  readonly client: Client;
  readonly caPem: string;
  readonly logger: Logger;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.caPem = ctx.config.caPem;
    this.logger = ctx.logger('root-ca-cert-publisher');
    this.#namespaces = ctx.informers.informer(NAMESPACES);
    this.#configmaps = ctx.informers.informer(CONFIGMAPS, { fieldSelector: `metadata.name=${ROOT_CA_CONFIGMAP}` });
    const byName = (ns: KubeObject) => this.#queue.add(ns.metadata!.name!);
    const byNamespace = (cm: KubeObject) => this.#queue.add(cm.metadata!.namespace!);
    this.#namespaces.addEventHandler({ onAdd: byName, onUpdate: (_o, ns) => byName(ns) });
    this.#configmaps.addEventHandler({ onUpdate: (_o, cm) => byNamespace(cm), onDelete: byNamespace });
  }

  async start(signal: AbortSignal): Promise<void> {
    await Promise.all([this.#namespaces.waitForSync(signal), this.#configmaps.waitForSync(signal)]);
    await Promise.all([runWorkers(this.#queue, 2, (ns) => this.sync(ns), signal, { onError: (ns, err) => this.logger.warn('root CA publish failed', { namespace: ns, error: err }) })]);
  }

  async sync(namespace: string): Promise<void> {
    const ns = this.#namespaces.lister.get(namespace);
    if (!ns || ns.metadata?.deletionTimestamp) return;
    const current = this.#configmaps.lister.get(`${namespace}/${ROOT_CA_CONFIGMAP}`) as (KubeObject & { data?: Record<string, string> }) | undefined;
    const want = { 'ca.crt': this.caPem };
    try {
      if (!current) {
        await this.client.create(CONFIGMAPS, namespace, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } }, data: want }, { fieldManager: 'kube-controller-manager' });
      } else if (current.data?.['ca.crt'] !== this.caPem || Object.keys(current.data ?? {}).length !== 1) {
        await this.client.update(CONFIGMAPS, namespace, { ...current, data: want }, { fieldManager: 'kube-controller-manager' });
      }
    } catch (err) {
      if (!isAlreadyExists(err) && !isNotFound(err)) throw err;
    }
  }
}
