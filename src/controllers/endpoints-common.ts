// What the EndpointSlice and Endpoints controllers share (upstream's k8s.io/endpointslice/util): which pods belong in
// a Service's endpoints, how a Service port resolves against a pod, which Services a pod change touches, and the
// endpoints.kubernetes.io/last-change-trigger-time bookkeeping.
import type { Pod, PodCondition, Service, ServicePort } from 'kubernetes-types/core/v1.d.ts';
import type { KubeObject } from '../client/client.ts';
import { ApiError } from '../client/errors.ts';
import type { Lister } from '../client/informer.ts';
import { objectKey } from '../client/informer.ts';

export type PodObject = Pod & KubeObject;
export type ServiceObject = Service & KubeObject;

export const LAST_CHANGE_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
export const FIELD_MANAGER = 'kube-controller-manager';

export function podReadyCondition(pod: Pod): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: Pod): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** status.podIPs, or the lone status.podIP of a writer that set only that. */
export function podIPs(pod: Pod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip ?? '').filter((ip) => ip);
  if (ips.length) return ips;
  return pod.status?.podIP ? [pod.status.podIP] : [];
}

export const isIPv6 = (ip: string): boolean => ip.includes(':');

/** Terminal pods and pods without an IP never appear; terminating pods only when asked for. */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (podIPs(pod).length === 0) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

export function shouldSetHostname(pod: Pod, svc: Service): boolean {
  return !!pod.spec?.hostname && pod.spec.subdomain === svc.metadata?.name && svc.metadata?.namespace === pod.metadata?.namespace;
}

/** A Service's ClusterIP is set (not headless). */
export function isServiceIPSet(svc: Service): boolean {
  const ip = svc.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

/** A selector with no keys (or none at all) selects nothing for endpoints: such Services get endpoints out of band. */
export function hasSelector(svc: Service): boolean {
  return Object.keys(svc.spec?.selector ?? {}).length > 0;
}

export function selectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector)) if (labels?.[k] !== v) return false;
  return true;
}

/** The container port a Service port targets on this pod: a number as is, a name looked up per pod (upstream's FindPort). */
export function findPort(pod: Pod, svcPort: ServicePort): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === 'number') return target;
  const protocol = svcPort.protocol ?? 'TCP';
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  for (const c of containers) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

function labelsEqual(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => Object.hasOwn(b ?? {}, k) && b![k] === a![k]);
}

function podIPsOf(pod: Pod): string[] {
  return (pod.status?.podIPs ?? []).map((p) => p.ip ?? '');
}

/** Whether a pod update may change its endpoints, and whether it may change which Services select it. */
export function podEndpointsChanged(oldPod: Pod, newPod: Pod): { podChanged: boolean; labelsChanged: boolean } {
  const labelsChanged =
    !labelsEqual(oldPod.metadata?.labels, newPod.metadata?.labels) || oldPod.spec?.hostname !== newPod.spec?.hostname || oldPod.spec?.subdomain !== newPod.spec?.subdomain;
  const oldIPs = podIPsOf(oldPod);
  const newIPs = podIPsOf(newPod);
  const podChanged =
    oldPod.metadata?.deletionTimestamp !== newPod.metadata?.deletionTimestamp ||
    isPodReady(oldPod) !== isPodReady(newPod) ||
    oldIPs.length !== newIPs.length ||
    oldIPs.some((ip, i) => ip !== newIPs[i]);
  return { podChanged, labelsChanged };
}

/** Keys of the Services in `namespace` whose selector matches `labels`. */
export function servicesSelecting(services: Lister<ServiceObject>, namespace: string, labels: Record<string, string> | undefined): Set<string> {
  const out = new Set<string>();
  for (const svc of services.list((s) => s.metadata?.namespace === namespace)) {
    if (hasSelector(svc) && selectorMatches(svc.spec?.selector, labels)) out.add(objectKey(svc));
  }
  return out;
}

/** The Services to sync after a pod add or delete (`oldPod` undefined) or update. */
export function servicesToSync(services: Lister<ServiceObject>, oldPod: PodObject | undefined, pod: PodObject): Set<string> {
  const namespace = pod.metadata?.namespace ?? '';
  if (!oldPod) return servicesSelecting(services, namespace, pod.metadata?.labels);
  // A resync of an unchanged pod: the Service informer's own events cover resyncs.
  if (oldPod.metadata?.resourceVersion === pod.metadata?.resourceVersion) return new Set();
  const { podChanged, labelsChanged } = podEndpointsChanged(oldPod, pod);
  if (!podChanged && !labelsChanged) return new Set();
  const now = servicesSelecting(services, namespace, pod.metadata?.labels);
  if (!labelsChanged) return now;
  const before = servicesSelecting(services, namespace, oldPod.metadata?.labels);
  if (podChanged) return new Set([...now, ...before]);
  // Only the labels changed: just the Services the pod joined or left.
  return new Set([...[...now].filter((k) => !before.has(k)), ...[...before].filter((k) => !now.has(k))]);
}

/** Go's time.RFC3339Nano of a millisecond timestamp (no trailing zeros in the fraction). */
export function rfc3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.(\d{3})Z$/, (_m, frac: string) => (frac === '000' ? 'Z' : `.${frac.replace(/0+$/, '')}Z`));
}

const timeOf = (t: string | undefined): number => (t ? Date.parse(t) || 0 : 0);

interface ServiceTriggerState {
  serviceTime: number;
  podTimes: Map<string, number>;
}

/**
 * upstream's TriggerTimeTracker: the time of the earliest change (a pod's Ready transition, or the Service's creation)
 * not yet reflected in the Service's endpoints, for the last-change-trigger-time annotation.
 */
export class TriggerTimeTracker {
  readonly #states = new Map<string, ServiceTriggerState>();

  /** Milliseconds since the epoch, or undefined when no change is pending (the annotation is then removed). */
  compute(key: string, svc: Service, pods: readonly Pod[]): number | undefined {
    const state = this.#states.get(key);
    let min: number | undefined;
    const podTimes = new Map<string, number>();
    for (const pod of pods) {
      const t = timeOf(podReadyCondition(pod)?.lastTransitionTime);
      if (!t) continue;
      const name = pod.metadata?.name ?? '';
      podTimes.set(name, t);
      if (t > (state?.podTimes.get(name) ?? 0)) min = min === undefined ? t : Math.min(min, t);
    }
    const serviceTime = timeOf(svc.metadata?.creationTimestamp);
    if (serviceTime > (state?.serviceTime ?? 0)) min = min === undefined ? serviceTime : Math.min(min, serviceTime);
    this.#states.set(key, { serviceTime, podTimes });
    if (!state) return serviceTime || undefined;
    return min;
  }

  delete(key: string): void {
    this.#states.delete(key);
  }
}

/** The API refused with a StatusCause of this reason (e.g. NamespaceTerminating). */
export function hasStatusCause(err: unknown, reason: string): boolean {
  return err instanceof ApiError && (err.status.details?.causes ?? []).some((c) => c.reason === reason);
}
