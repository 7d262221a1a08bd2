// The Endpoints controller (upstream's 'endpoint'): the legacy core/v1 Endpoints object of every Service with a
// selector, named as the Service, its subsets listing the selected pods' ready and not-ready addresses per port.
import type { EndpointAddress, EndpointPort, Endpoints, EndpointSubset } from 'kubernetes-types/core/v1.d.ts';
import type { Client, KubeObject } from '../client/client.ts';
import type { EventRecorder } from '../client/events.ts';
import { ApiError, isNotFound } from '../client/errors.ts';
import { objectKey, splitKey, type Informer } from '../client/informer.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import type { Logger } from '../log.ts';
import type { Controller, ControllerContext } from './controller.ts';
import {
  FIELD_MANAGER,
  findPort,
  HEADLESS_LABEL,
  hasSelector,
  hasStatusCause,
  isIPv6,
  isPodReady,
  isServiceIPSet,
  LAST_CHANGE_TRIGGER_TIME,
  podIPs,
  rfc3339Nano,
  selectorMatches,
  servicesToSync,
  shouldPodBeInEndpoints,
  shouldSetHostname,
  TriggerTimeTracker,
  type PodObject,
  type ServiceObject,
} from './endpoints-common.ts';
import { canonicalSubsets, countAddresses, MAX_CAPACITY, OVER_CAPACITY, repackSubsets, TRUNCATED, truncateSubsets } from './endpoints-subsets.ts';
import { ENDPOINTS, PODS, SERVICES } from '../client/resources.ts';

type EndpointsObject = Endpoints & KubeObject;

const WORKERS = 5;
const MAX_RETRIES = 15;
/** Endpoints of a leader election (no Service behind them) are not ours to clean up. */
const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

export class StaleEndpointsError extends Error {
  override name = 'StaleEndpointsError';
}

/** The address of `pod` in the Service's IP family, or undefined when the pod has none. */
function podAddress(svc: ServiceObject, pod: PodObject): EndpointAddress | undefined {
  let v6: boolean;
  const families = svc.spec?.ipFamilies ?? [];
  if (families.length) v6 = families[0] === 'IPv6';
  else if (isServiceIPSet(svc)) v6 = isIPv6(svc.spec!.clusterIP!);
  else v6 = isIPv6(pod.status?.podIP ?? podIPs(pod)[0] ?? '');
  const ip = podIPs(pod).find((a) => isIPv6(a) === v6);
  if (!ip) return undefined;
  const addr: EndpointAddress = { ip, targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' } };
  if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
  if (shouldSetHostname(pod, svc)) addr.hostname = pod.spec!.hostname!;
  return addr;
}

/** The Service's subsets before repacking: one per (pod, port), ready or not. */
export function endpointSubsets(svc: ServiceObject, pods: readonly PodObject[]): EndpointSubset[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses ?? false;
  const subsets: EndpointSubset[] = [];
  const add = (pod: PodObject, addr: EndpointAddress, port: EndpointPort | undefined) => {
    const ports = port ? [port] : [];
    if (publishNotReady || isPodReady(pod)) subsets.push({ addresses: [addr], ports });
    else subsets.push({ notReadyAddresses: [addr], ports });
  };
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const addr = podAddress(svc, pod);
    if (!addr) continue;
    const svcPorts = svc.spec?.ports ?? [];
    if (svcPorts.length === 0) {
      // A headless Service may have no ports.
      if (svc.spec?.clusterIP === 'None') add(pod, addr, undefined);
      continue;
    }
    for (const sp of svcPorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
      if (sp.name) ep.name = sp.name;
      if (sp.appProtocol !== undefined) ep.appProtocol = sp.appProtocol;
      add(pod, addr, ep);
    }
  }
  return repackSubsets(subsets);
}

function withoutLabel(labels: Record<string, string> | undefined, key: string): Record<string, string> {
  const out = { ...(labels ?? {}) };
  delete out[key];
  return out;
}

function labelsEqual(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b ?? {}).length && ka.every((k) => (b ?? {})[k] === (a ?? {})[k]);
}

function capacityAnnotationCorrect(ep: EndpointsObject): boolean {
  const over = countAddresses(ep.subsets) > MAX_CAPACITY;
  return over ? false : ep.metadata?.annotations?.[OVER_CAPACITY] === undefined;
}

export class EndpointsController implements Controller {
  readonly #queue = new WorkQueue<string>();
  readonly #pods: Informer<PodObject>;
  readonly #services: Informer<ServiceObject>;
  readonly #endpoints: Informer<EndpointsObject>;
  readonly #triggerTimes = new TriggerTimeTracker();
  /** The resourceVersion each Endpoints had before this controller last replaced it: seeing it again means a stale cache. */
  readonly #replacedVersions = new Map<string, string>();
  readonly client: Client;
  readonly logger: Logger;
  readonly recorder: EventRecorder;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.logger = ctx.logger('endpoints-controller');
    this.recorder = ctx.recorder('endpoint-controller');
    this.#pods = ctx.informers.informer<PodObject>(PODS);
    this.#services = ctx.informers.informer<ServiceObject>(SERVICES);
    this.#endpoints = ctx.informers.informer<EndpointsObject>(ENDPOINTS);

    const enqueue = (obj: KubeObject) => this.#queue.add(objectKey(obj));
    this.#services.addEventHandler({ onAdd: enqueue, onUpdate: (_o, svc) => enqueue(svc), onDelete: enqueue });
    const enqueuePods = (old: PodObject | undefined, pod: PodObject) => {
      for (const key of servicesToSync(this.#services.lister, old, pod)) this.#queue.add(key);
    };
    this.#pods.addEventHandler({ onAdd: (pod) => enqueuePods(undefined, pod), onUpdate: enqueuePods, onDelete: (pod) => enqueuePods(undefined, pod) });
    this.#endpoints.addEventHandler({ onDelete: enqueue });
  }

  async start(signal: AbortSignal): Promise<void> {
    await Promise.all([this.#pods, this.#services, this.#endpoints].map((i) => i.waitForSync(signal)));
    // Endpoints left behind by Services deleted while nobody watched.
    for (const ep of this.#endpoints.lister.list()) if (ep.metadata?.annotations?.[LEADER_ANNOTATION] === undefined) this.#queue.add(objectKey(ep));
    await runWorkers(this.#queue, WORKERS, (key) => this.sync(key), signal, {
      maxRetries: MAX_RETRIES,
      onError: (key, err) => this.logger.debug('syncing endpoints failed, retrying', { service: key, error: err }),
    });
  }

  async sync(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    const svc = this.#services.lister.get(key);
    if (!svc) {
      try {
        await this.client.delete(ENDPOINTS, namespace, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      this.#triggerTimes.delete(key);
      this.#replacedVersions.delete(key);
      return;
    }
    if (svc.spec?.type === 'ExternalName' || !hasSelector(svc)) return;

    const pods = this.#pods.lister.list((p) => p.metadata?.namespace === namespace && selectorMatches(svc.spec?.selector, p.metadata?.labels));
    const triggerTime = this.#triggerTimes.compute(key, svc, pods);
    const subsets = endpointSubsets(svc, pods);

    const current = this.#endpoints.lister.get(key);
    if (current && current.metadata?.resourceVersion === this.#replacedVersions.get(key)) {
      throw new StaleEndpointsError(`endpoints informer cache is out of date, resource version ${current.metadata?.resourceVersion} already processed for endpoints ${key}`);
    }
    const svcLabels = svc.metadata?.labels ?? {};
    if (
      current &&
      canonicalSubsets(current.subsets) === canonicalSubsets(subsets) &&
      labelsEqual(withoutLabel(current.metadata?.labels, HEADLESS_LABEL), svcLabels) &&
      capacityAnnotationCorrect(current)
    ) {
      return;
    }

    const meta = current ? structuredClone(current.metadata ?? {}) : { name, namespace };
    const annotations = { ...(meta.annotations ?? {}) };
    if (triggerTime !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME] = rfc3339Nano(triggerTime);
    else delete annotations[LAST_CHANGE_TRIGGER_TIME];
    if (truncateSubsets(subsets)) annotations[OVER_CAPACITY] = TRUNCATED;
    else delete annotations[OVER_CAPACITY];
    const labels = { ...svcLabels };
    if (isServiceIPSet(svc)) delete labels[HEADLESS_LABEL];
    else labels[HEADLESS_LABEL] = '';
    meta.annotations = annotations;
    meta.labels = labels;
    const desired: EndpointsObject = { apiVersion: 'v1', kind: 'Endpoints', metadata: meta, subsets };

    try {
      if (!current) {
        await this.client.create(ENDPOINTS, namespace, desired, { fieldManager: FIELD_MANAGER });
        return;
      }
      const updated = await this.client.update(ENDPOINTS, namespace, desired, { fieldManager: FIELD_MANAGER });
      if (updated.metadata?.resourceVersion !== current.metadata?.resourceVersion) this.#replacedVersions.set(key, current.metadata?.resourceVersion ?? '');
    } catch (err) {
      // A terminating namespace takes no new content: nothing to do.
      if (!current && err instanceof ApiError && err.code === 403 && hasStatusCause(err, 'NamespaceTerminating')) return;
      const what = current ? `Failed to update endpoint ${key}` : `Failed to create endpoint for service ${key}`;
      this.recorder.event(desired, 'Warning', current ? 'FailedToUpdateEndpoint' : 'FailedToCreateEndpoint', `${what}: ${(err as Error).message}`);
      throw err;
    }
  }
}
