// The EndpointSlice controller (upstream's 'endpointslice'): every Service with a selector gets discovery.k8s.io/v1
// EndpointSlices listing the pods it selects, kept current as pods come, go, and change readiness.
import type { Node } from 'kubernetes-types/core/v1.d.ts';
import type { Client, KubeObject } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import { objectKey, splitKey, type Informer } from '../client/informer.ts';
import { ItemExponentialRateLimiter, runWorkers, WorkQueue } from '../client/workqueue.ts';
import type { Logger } from '../log.ts';
import type { Controller, ControllerContext } from './controller.ts';
import {
  FIELD_MANAGER,
  hasSelector,
  hasStatusCause,
  LAST_CHANGE_TRIGGER_TIME,
  rfc3339Nano,
  selectorMatches,
  servicesToSync,
  TriggerTimeTracker,
  type PodObject,
  type ServiceObject,
} from './endpoints-common.ts';
import { CONTROLLER_NAME, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, reconcileEndpointSlices, type EndpointSliceObject } from './endpointslice-reconciler.ts';
import { ENDPOINT_SLICES, NODES, PODS, SERVICES } from '../client/resources.ts';

/** kube-controller-manager's --max-endpoints-per-slice default. */
export const MAX_ENDPOINTS_PER_SLICE = 100;
const WORKERS = 5;
const MAX_RETRIES = 15;
/** A change to a slice by someone else is looked at after this long, batching bursts. */
const SLICE_CHANGE_DELAY_MS = 1000;

export class StaleInformerCacheError extends Error {
  override name = 'StaleInformerCacheError';
}

export class EndpointSliceSyncError extends Error {
  override name = 'EndpointSliceSyncError';
}

const DELETION_EXPECTED = -1;

/**
 * The resourceVersion each slice had when this controller last wrote it, per Service: a cache older than that is stale
 * (upstream's EndpointSliceTracker, keyed by resourceVersion since Skiff's slices carry no generation).
 */
class SliceTracker {
  readonly #byService = new Map<string, Map<string, number>>();

  #entries(slice: KubeObject): Map<string, number> | undefined {
    const svc = slice.metadata?.labels?.[LABEL_SERVICE_NAME];
    return svc ? this.#byService.get(`${slice.metadata?.namespace}/${svc}`) : undefined;
  }

  wrote(serviceKey: string, slice: KubeObject): void {
    let m = this.#byService.get(serviceKey);
    if (!m) this.#byService.set(serviceKey, (m = new Map()));
    m.set(slice.metadata!.uid!, Number(slice.metadata!.resourceVersion));
  }

  expectDeletion(serviceKey: string, slice: KubeObject): void {
    let m = this.#byService.get(serviceKey);
    if (!m) this.#byService.set(serviceKey, (m = new Map()));
    m.set(slice.metadata!.uid!, DELETION_EXPECTED);
  }

  has(slice: KubeObject): boolean {
    return this.#entries(slice)?.has(slice.metadata?.uid ?? '') ?? false;
  }

  /** The cached slice differs from what this controller last wrote. */
  shouldSync(slice: KubeObject): boolean {
    const rv = this.#entries(slice)?.get(slice.metadata?.uid ?? '');
    return rv === undefined || Number(slice.metadata?.resourceVersion) > rv;
  }

  /** Forgets a deleted slice; true if this controller deleted it. */
  handleDeletion(slice: KubeObject): boolean {
    const m = this.#entries(slice);
    const rv = m?.get(slice.metadata?.uid ?? '');
    m?.delete(slice.metadata?.uid ?? '');
    return rv === DELETION_EXPECTED;
  }

  stale(serviceKey: string, slices: readonly KubeObject[]): boolean {
    const m = this.#byService.get(serviceKey);
    if (!m) return false;
    const seen = new Set<string>();
    for (const s of slices) {
      const uid = s.metadata?.uid ?? '';
      seen.add(uid);
      const rv = m.get(uid);
      if (rv !== undefined && (rv === DELETION_EXPECTED || rv > Number(s.metadata?.resourceVersion))) return true;
    }
    for (const [uid, rv] of m) if (rv !== DELETION_EXPECTED && !seen.has(uid)) return true;
    return false;
  }

  deleteService(serviceKey: string): void {
    this.#byService.delete(serviceKey);
  }
}

export class EndpointSliceController implements Controller {
  readonly #queue = new WorkQueue<string>({ rateLimiter: new ItemExponentialRateLimiter<string>(1000, 1_000_000) });
  readonly #pods: Informer<PodObject>;
  readonly #services: Informer<ServiceObject>;
  readonly #nodes: Informer<Node & KubeObject>;
  readonly #slices: Informer<EndpointSliceObject>;
  readonly #tracker = new SliceTracker();
  readonly #triggerTimes = new TriggerTimeTracker();
  readonly client: Client;
  readonly logger: Logger;
  readonly maxEndpointsPerSlice: number;

  constructor(ctx: ControllerContext, options: { maxEndpointsPerSlice?: number } = {}) {
    this.client = ctx.client;
    this.logger = ctx.logger('endpointslice-controller');
    this.maxEndpointsPerSlice = options.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
    this.#pods = ctx.informers.informer<PodObject>(PODS);
    this.#services = ctx.informers.informer<ServiceObject>(SERVICES);
    this.#nodes = ctx.informers.informer<Node & KubeObject>(NODES);
    this.#slices = ctx.informers.informer<EndpointSliceObject>(ENDPOINT_SLICES);

    const enqueueService = (svc: ServiceObject) => this.#queue.add(objectKey(svc));
    this.#services.addEventHandler({ onAdd: enqueueService, onUpdate: (_o, svc) => enqueueService(svc), onDelete: enqueueService });
    const enqueuePods = (old: PodObject | undefined, pod: PodObject) => {
      for (const key of servicesToSync(this.#services.lister, old, pod)) this.#queue.add(key);
    };
    this.#pods.addEventHandler({ onAdd: (pod) => enqueuePods(undefined, pod), onUpdate: enqueuePods, onDelete: (pod) => enqueuePods(undefined, pod) });
    this.#slices.addEventHandler({
      onAdd: (slice) => this.#onSliceChange(undefined, slice),
      onUpdate: (old, slice) => this.#onSliceChange(old, slice),
      onDelete: (slice) => {
        if (managed(slice) && this.#tracker.has(slice) && !this.#tracker.handleDeletion(slice)) this.#enqueueForSlice(slice);
      },
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    await Promise.all([this.#pods, this.#services, this.#nodes, this.#slices].map((i) => i.waitForSync(signal)));
    await runWorkers(this.#queue, WORKERS, (key) => this.sync(key), signal, {
      maxRetries: MAX_RETRIES,
      onError: (key, err) => this.logger.info('syncing endpoint slices failed, retrying', { service: key, error: err }),
    });
  }

  /** A slice changed by someone else (or moved into or out of this controller's hands) brings its Service back. */
  #onSliceChange(old: EndpointSliceObject | undefined, slice: EndpointSliceObject): void {
    const managedByChanged = old !== undefined && managed(old) !== managed(slice);
    if (managedByChanged || (managed(slice) && this.#tracker.shouldSync(slice))) this.#enqueueForSlice(slice);
  }

  #enqueueForSlice(slice: EndpointSliceObject): void {
    const svc = slice.metadata?.labels?.[LABEL_SERVICE_NAME];
    if (svc) this.#queue.addAfter(`${slice.metadata?.namespace}/${svc}`, SLICE_CHANGE_DELAY_MS);
  }

  async sync(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    const svc = this.#services.lister.get(key);
    if (!svc) {
      // Slices of a deleted Service go with it through their owner reference (garbage collector).
      this.#triggerTimes.delete(key);
      this.#tracker.deleteService(key);
      return;
    }
    if (svc.spec?.type === 'ExternalName' || !hasSelector(svc)) return;

    const pods = this.#pods.lister.list((p) => p.metadata?.namespace === namespace && selectorMatches(svc.spec?.selector, p.metadata?.labels));
    const slices = this.#slices.lister.list(
      (s) => s.metadata?.namespace === namespace && s.metadata?.labels?.[LABEL_SERVICE_NAME] === name && s.metadata?.labels?.[LABEL_MANAGED_BY] === CONTROLLER_NAME && !s.metadata?.deletionTimestamp,
    );
    if (this.#tracker.stale(key, slices)) throw new StaleInformerCacheError('EndpointSlice informer cache is out of date');

    const triggerTime = this.#triggerTimes.compute(key, svc, pods);
    const { plans, problems } = reconcileEndpointSlices({
      service: svc,
      pods,
      existing: slices,
      node: (n) => this.#nodes.lister.get(n),
      maxEndpointsPerSlice: this.maxEndpointsPerSlice,
    });
    for (const plan of plans) {
      // No new slices for a Service on its way out: the garbage collector would race us.
      if (!svc.metadata?.deletionTimestamp) {
        for (const slice of plan.create) {
          setTriggerTime(slice, triggerTime);
          try {
            this.#tracker.wrote(key, await this.client.create(ENDPOINT_SLICES, namespace, slice, { fieldManager: FIELD_MANAGER }));
          } catch (err) {
            if (hasStatusCause(err, 'NamespaceTerminating')) return;
            throw new EndpointSliceSyncError(`failed to create EndpointSlice for Service ${key}: ${(err as Error).message}`, { cause: err });
          }
        }
      }
      for (const slice of plan.update) {
        setTriggerTime(slice, triggerTime);
        try {
          this.#tracker.wrote(key, await this.client.update(ENDPOINT_SLICES, namespace, slice, { fieldManager: FIELD_MANAGER }));
        } catch (err) {
          throw new EndpointSliceSyncError(`failed to update ${slice.metadata?.name} EndpointSlice for Service ${key}: ${(err as Error).message}`, { cause: err });
        }
      }
      for (const slice of plan.delete) {
        try {
          await this.client.delete(ENDPOINT_SLICES, namespace, slice.metadata!.name!);
          this.#tracker.expectDeletion(key, slice);
        } catch (err) {
          if (isNotFound(err)) continue;
          throw new EndpointSliceSyncError(`failed to delete ${slice.metadata?.name} EndpointSlice for Service ${key}: ${(err as Error).message}`, { cause: err });
        }
      }
    }
    if (problems.length) throw new EndpointSliceSyncError(problems.join('; '));
  }
}

function managed(slice: KubeObject): boolean {
  return slice.metadata?.labels?.[LABEL_MANAGED_BY] === CONTROLLER_NAME;
}

function setTriggerTime(slice: EndpointSliceObject, triggerTime: number | undefined): void {
  const meta = (slice.metadata ??= {});
  const annotations = { ...(meta.annotations ?? {}) };
  if (triggerTime !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME] = rfc3339Nano(triggerTime);
  else delete annotations[LAST_CHANGE_TRIGGER_TIME];
  meta.annotations = annotations;
}
