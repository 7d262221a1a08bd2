// client-go's SharedInformerFactory: one informer per resource (and options) shared by every controller in the process.
import type { Client, GroupVersionResource, KubeObject } from './client.ts';
import { Informer, type InformerOptions } from './informer.ts';

type SharedOptions = Pick<InformerOptions, 'namespace' | 'labelSelector' | 'fieldSelector'>;

export class InformerFactory {
  readonly #informers = new Map<string, Informer<KubeObject>>();
  readonly #running: Promise<void>[] = [];
  #signal: AbortSignal | undefined;

  constructor(
    readonly client: Client,
    readonly onError?: (gvr: GroupVersionResource, err: unknown) => void,
  ) {}

  /** The shared informer for `gvr`; started at once if the factory already runs. */
  informer<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, options: SharedOptions = {}): Informer<T> {
    const key = JSON.stringify([gvr.group, gvr.version, gvr.resource, options.namespace ?? '', options.labelSelector ?? '', options.fieldSelector ?? '']);
    let informer = this.#informers.get(key);
    if (!informer) {
      informer = new Informer(this.client, gvr, { ...options, onError: (err) => this.onError?.(gvr, err) });
      this.#informers.set(key, informer);
      if (this.#signal) this.#running.push(informer.start(this.#signal));
    }
    return informer as unknown as Informer<T>;
  }

  /** Starts every informer made so far and any made later; they run until `signal` aborts. */
  start(signal: AbortSignal): void {
    if (this.#signal) return;
    this.#signal = signal;
    for (const informer of this.#informers.values()) this.#running.push(informer.start(signal));
  }

  /** Resolves once every informer made so far has listed. */
  async waitForSync(signal: AbortSignal): Promise<void> {
    await Promise.all([...this.#informers.values()].map((i) => i.waitForSync(signal)));
  }

  /** Settles when every started informer has stopped. */
  async stopped(): Promise<void> {
    await Promise.all(this.#running);
  }
}
