// The EndpointSlice reconciler (upstream's k8s.io/endpointslice Reconciler): from a Service, the pods it selects and the
// slices it already has, the slices to create, update and delete — reusing existing slices to keep churn low, at most
// maxEndpointsPerSlice endpoints per slice, one group of slices per address type and per distinct set of ports.
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.d.ts';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import type { KubeObject } from '../client/client.ts';
import { findPort, HEADLESS_LABEL, isIPv6, isPodReady, isServiceIPSet, podIPs, shouldPodBeInEndpoints, shouldSetHostname } from './endpoints-common.ts';

export type EndpointSliceObject = EndpointSlice & KubeObject;

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
const ZONE_LABEL = 'topology.kubernetes.io/zone';

export type AddressType = 'IPv4' | 'IPv6';

export interface SlicePlan {
  create: EndpointSliceObject[];
  update: EndpointSliceObject[];
  delete: EndpointSliceObject[];
}

export interface ReconcileInput {
  service: Service;
  /** The pods the Service selects (any state). */
  pods: readonly Pod[];
  /** The slices labelled as this Service's and managed by this controller (none pending deletion). */
  existing: readonly EndpointSliceObject[];
  /** Node by name from the cache; a pod on an unknown node is left out (unless publishNotReadyAddresses). */
  node(name: string): Node | undefined;
  maxEndpointsPerSlice: number;
}

export interface ReconcileResult {
  /** Applied in order: each plan's creates, then updates, then deletes. */
  plans: SlicePlan[];
  /** Pods left out for now (their node is unknown): the Service should be synced again later. */
  problems: string[];
}

const clone = <T>(v: T): T => structuredClone(v);

/** The address types a Service's slices use: from spec.ipFamilies, else from its ClusterIP, else (headless) both. */
export function addressTypesForService(svc: Service): Set<AddressType> {
  const out = new Set<AddressType>();
  for (const family of svc.spec?.ipFamilies ?? []) {
    if (family === 'IPv4') out.add('IPv4');
    if (family === 'IPv6') out.add('IPv6');
  }
  if (out.size) return out;
  const ip = svc.spec?.clusterIP;
  if (ip && ip !== 'None') return new Set([isIPv6(ip) ? 'IPv6' : 'IPv4']);
  return new Set(['IPv4', 'IPv6']);
}

function normalPort(p: EndpointPort): EndpointPort {
  const out: EndpointPort = { name: p.name ?? '', protocol: p.protocol ?? 'TCP' };
  if (p.port !== undefined) out.port = p.port;
  if (p.appProtocol !== undefined) out.appProtocol = p.appProtocol;
  return out;
}

/** Identifies a set of ports regardless of order (upstream's PortMapKey). */
export function portMapKey(ports: readonly EndpointPort[] | undefined): string {
  return JSON.stringify((ports ?? []).map((p) => JSON.stringify(normalPort(p))).sort());
}

/** Identifies an endpoint by what cannot change in place: addresses, hostname, and the pod it stands for. */
function endpointKey(ep: Endpoint): string {
  return JSON.stringify([[...ep.addresses].sort(), ep.hostname ?? '', ep.targetRef?.namespace ?? '', ep.targetRef?.name ?? '']);
}

function endpointsEqualBeyondKey(a: Endpoint, b: Endpoint): boolean {
  if (a.nodeName !== b.nodeName || a.zone !== b.zone) return false;
  const ca = a.conditions ?? {};
  const cb = b.conditions ?? {};
  if (ca.ready !== cb.ready || ca.serving !== cb.serving || ca.terminating !== cb.terminating) return false;
  const ra = a.targetRef;
  const rb = b.targetRef;
  if (!ra || !rb) return !ra && !rb;
  return ra.kind === rb.kind && ra.namespace === rb.namespace && ra.name === rb.name && ra.uid === rb.uid && ra.apiVersion === rb.apiVersion && ra.fieldPath === rb.fieldPath;
}

export function podToEndpoint(pod: Pod, node: Node | undefined, svc: Service, addressType: AddressType): Endpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  // A terminating pod is never ready, unless the Service publishes not-ready addresses.
  const ready = (svc.spec?.publishNotReadyAddresses ?? false) || (serving && !terminating);
  const ep: Endpoint = {
    addresses: podIPs(pod).filter((ip) => isIPv6(ip) === (addressType === 'IPv6')),
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' },
  };
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = node?.metadata?.labels?.[ZONE_LABEL];
  if (zone) ep.zone = zone;
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec!.hostname!;
  return ep;
}

/** The slice ports for this pod: each Service port resolved against the pod's containers (unresolvable ones left out). */
export function endpointPorts(svc: Service, pod: Pod): EndpointPort[] {
  const ports = svc.spec?.ports ?? [];
  if (ports.length === 0 && svc.spec?.clusterIP === 'None') return [];
  const out: EndpointPort[] = [];
  for (const sp of ports) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const ep: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol !== undefined) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out;
}

function isReservedLabel(key: string): boolean {
  return key === LABEL_SERVICE_NAME || key === LABEL_MANAGED_BY || key === HEADLESS_LABEL;
}

/** The labels a slice of `svc` should carry, and whether the Service's own (non-reserved) labels differ from the slice's. */
export function sliceLabels(slice: EndpointSlice, svc: Service): { labels: Record<string, string>; changed: boolean } {
  const current: Record<string, string> = {};
  for (const [k, v] of Object.entries(slice.metadata?.labels ?? {})) if (!isReservedLabel(k)) current[k] = v;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata?.labels ?? {})) if (!isReservedLabel(k)) labels[k] = v;
  const keys = Object.keys(labels);
  const changed = keys.length !== Object.keys(current).length || keys.some((k) => current[k] !== labels[k]);
  if (!isServiceIPSet(svc)) labels[HEADLESS_LABEL] = '';
  labels[LABEL_SERVICE_NAME] = svc.metadata?.name ?? '';
  labels[LABEL_MANAGED_BY] = CONTROLLER_NAME;
  return { labels, changed };
}

export function ownedBy(slice: EndpointSlice, svc: Service): boolean {
  return (slice.metadata?.ownerReferences ?? []).some((o) => o.uid === svc.metadata?.uid && o.kind === 'Service' && o.apiVersion === 'v1');
}

export function newEndpointSlice(svc: Service, ports: EndpointPort[], addressType: AddressType): EndpointSliceObject {
  const meta = svc.metadata ?? {};
  const slice: EndpointSliceObject = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${meta.name}-`,
      namespace: meta.namespace ?? '',
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: meta.name ?? '', uid: meta.uid ?? '', controller: true, blockOwnerDeletion: true }],
      labels: {},
    },
    addressType,
    endpoints: [],
    ports,
  };
  slice.metadata!.labels = sliceLabels(slice, svc).labels;
  return slice;
}

/** The existing slice a placeholder would duplicate: same owner, labels and address type, no ports and no endpoints. */
function samePlaceholder(a: EndpointSlice, b: EndpointSlice): boolean {
  const la = a.metadata?.labels ?? {};
  const lb = b.metadata?.labels ?? {};
  const labelsSame = Object.keys(la).length === Object.keys(lb).length && Object.keys(la).every((k) => la[k] === lb[k]);
  const refs = (s: EndpointSlice) => JSON.stringify((s.metadata?.ownerReferences ?? []).map((o) => [o.apiVersion, o.kind, o.name, o.uid, o.controller ?? null, o.blockOwnerDeletion ?? null]));
  return (
    a.metadata?.namespace === b.metadata?.namespace &&
    labelsSame &&
    refs(a) === refs(b) &&
    a.addressType === b.addressType &&
    (a.endpoints ?? []).length === 0 &&
    (b.endpoints ?? []).length === 0 &&
    (a.ports ?? []).length === 0 &&
    (b.ports ?? []).length === 0
  );
}

/** Of the slices, the one closest to full once `count` endpoints are added (and still within the limit). */
function sliceToFill(slices: EndpointSliceObject[], count: number, max: number): EndpointSliceObject | undefined {
  let closest: EndpointSliceObject | undefined;
  let closestDiff = max;
  for (const s of slices) {
    const diff = max - (count + (s.endpoints ?? []).length);
    if (diff >= 0 && diff < closestDiff) {
      closestDiff = diff;
      closest = s;
      if (diff === 0) break;
    }
  }
  return closest;
}

/** Removes the first endpoint of the desired set (insertion order). */
function popAny(set: Map<string, Endpoint>): Endpoint {
  const [key, ep] = set.entries().next().value as [string, Endpoint];
  set.delete(key);
  return ep;
}

function reconcileByPortMapping(svc: Service, existing: EndpointSliceObject[], desired: Map<string, Endpoint>, ports: EndpointPort[], addressType: AddressType, max: number): SlicePlan {
  const byName = new Map<string, EndpointSliceObject>();
  const unchanged = new Set<string>();
  const toUpdate = new Set<string>();
  const toDelete = new Set<string>();

  // 1. Keep the endpoints still wanted (with their current state), drop the rest, and refresh labels.
  for (const slice of existing) {
    const name = slice.metadata!.name!;
    byName.set(name, slice);
    const kept: Endpoint[] = [];
    let endpointUpdated = false;
    for (const ep of slice.endpoints ?? []) {
      const key = endpointKey(ep);
      const want = desired.get(key);
      if (!want) continue;
      kept.push(want);
      if (!endpointsEqualBeyondKey(want, ep)) endpointUpdated = true;
      desired.delete(key);
    }
    const { labels, changed: labelsChanged } = sliceLabels(slice, svc);
    if (endpointUpdated || kept.length !== (slice.endpoints ?? []).length) {
      if (kept.length === 0) toDelete.add(name);
      else {
        const copy = clone(slice);
        copy.endpoints = kept;
        copy.metadata!.labels = labels;
        byName.set(name, copy);
        toUpdate.add(name);
      }
    } else if (labelsChanged) {
      const copy = clone(slice);
      copy.metadata!.labels = labels;
      byName.set(name, copy);
      toUpdate.add(name);
    } else unchanged.add(name);
  }

  // 2. Fill the slices already being updated, fullest first.
  if (desired.size > 0 && toUpdate.size > 0) {
    const slices = [...toUpdate].map((n) => byName.get(n)!).sort((a, b) => b.endpoints.length - a.endpoints.length);
    for (const slice of slices) {
      while (desired.size > 0 && slice.endpoints.length < max) slice.endpoints.push(popAny(desired));
    }
  }

  // 3. Fit what is left into one untouched slice when that can take it all, else into new slices.
  const create: EndpointSliceObject[] = [];
  while (desired.size > 0) {
    let fill: EndpointSliceObject | undefined;
    if (desired.size < max && unchanged.size > 0) {
      const candidate = sliceToFill(
        [...unchanged].map((n) => byName.get(n)!),
        desired.size,
        max,
      );
      if (candidate) {
        fill = clone(candidate);
        fill.endpoints = [...(fill.endpoints ?? [])];
        byName.set(fill.metadata!.name!, fill);
      }
    }
    fill ??= newEndpointSlice(svc, ports, addressType);
    while (desired.size > 0 && fill.endpoints.length < max) fill.endpoints.push(popAny(desired));
    if (fill.metadata?.name) {
      toUpdate.add(fill.metadata.name);
      unchanged.delete(fill.metadata.name);
    } else create.push(fill);
  }
  return { create, update: [...toUpdate].map((n) => byName.get(n)!), delete: [...toDelete].map((n) => byName.get(n)!) };
}

function reconcileByAddressType(input: ReconcileInput, existing: EndpointSliceObject[], addressType: AddressType, problems: string[]): SlicePlan {
  const svc = input.service;
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const existingByPorts = new Map<string, EndpointSliceObject[]>();
  for (const slice of existing) {
    if (!ownedBy(slice, svc)) {
      plan.delete.push(slice);
      continue;
    }
    const key = portMapKey(slice.ports);
    existingByPorts.set(key, [...(existingByPorts.get(key) ?? []), slice]);
  }

  const desiredByPorts = new Map<string, { ports: EndpointPort[]; endpoints: Map<string, Endpoint> }>();
  for (const pod of input.pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = endpointPorts(svc, pod);
    const key = portMapKey(ports);
    let group = desiredByPorts.get(key);
    if (!group) desiredByPorts.set(key, (group = { ports, endpoints: new Map() }));
    const nodeName = pod.spec?.nodeName ?? '';
    const node = input.node(nodeName);
    if (!node && !svc.spec?.publishNotReadyAddresses) {
      problems.push(`skipping Pod ${pod.metadata?.name} for Service ${svc.metadata?.namespace}/${svc.metadata?.name}: Node ${nodeName} Not Found`);
      continue;
    }
    const ep = podToEndpoint(pod, node, svc, addressType);
    if (ep.addresses.length > 0) group.endpoints.set(endpointKey(ep), ep);
  }

  for (const [key, group] of desiredByPorts) {
    const p = reconcileByPortMapping(svc, existingByPorts.get(key) ?? [], group.endpoints, group.ports, addressType, input.maxEndpointsPerSlice);
    plan.create.push(...p.create);
    plan.update.push(...p.update);
    plan.delete.push(...p.delete);
  }
  for (const [key, slices] of existingByPorts) if (!desiredByPorts.has(key)) plan.delete.push(...slices);

  // A Service with no endpoints still gets one empty slice.
  if (existing.length === plan.delete.length && plan.create.length === 0) {
    const placeholder = newEndpointSlice(svc, [], addressType);
    if (plan.delete.length === 1 && samePlaceholder(plan.delete[0]!, placeholder)) plan.delete = [];
    else plan.create.push(placeholder);
  }

  reconcileHints(plan, existing, input.service.spec?.trafficDistribution);
  return reuseDeletedSlices(plan, svc);
}

const CLOSE_TRAFFIC_DISTRIBUTIONS = new Set(['PreferClose', 'PreferSameZone', 'PreferSameNode']);

type Hints = { forZones?: Array<{ name: string }>; forNodes?: Array<{ name: string }> };

/**
 * The hints an endpoint should carry for the Service's spec.trafficDistribution (upstream's trafficdist heuristics):
 * PreferClose and PreferSameZone hint each ready endpoint for its own zone, PreferSameNode also for its own node;
 * otherwise none. Not-ready endpoints keep what they have. `topology-mode: Auto` hints (spread by zone capacity) are
 * not computed.
 */
function wantedHints(ep: Endpoint, trafficDistribution: string | undefined): Hints | undefined {
  if (!trafficDistribution || !CLOSE_TRAFFIC_DISTRIBUTIONS.has(trafficDistribution)) return undefined;
  const hints: Hints = {};
  if (ep.zone) hints.forZones = [{ name: ep.zone }];
  if (ep.nodeName && trafficDistribution === 'PreferSameNode') hints.forNodes = [{ name: ep.nodeName }];
  return hints.forZones || hints.forNodes ? hints : undefined;
}

/** Whether this sync sets the endpoint's hints: all of them, except that the PreferClose family leaves not-ready ones as they are. */
const hintsManaged = (ep: Endpoint, trafficDistribution: string | undefined): boolean => ep.conditions?.ready === true || !trafficDistribution || !CLOSE_TRAFFIC_DISTRIBUTIONS.has(trafficDistribution);

function sameHints(a: Hints | undefined, b: Hints | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function setHints(ep: Endpoint, hints: Hints | undefined): void {
  if (hints) ep.hints = hints as NonNullable<Endpoint['hints']>;
  else delete ep.hints;
}

/** Hints on the slices this sync writes, and updates for untouched slices whose hints are not what they should be. */
function reconcileHints(plan: SlicePlan, existing: EndpointSliceObject[], trafficDistribution: string | undefined): void {
  for (const slice of [...plan.create, ...plan.update]) {
    for (const ep of slice.endpoints ?? []) if (hintsManaged(ep, trafficDistribution)) setHints(ep, wantedHints(ep, trafficDistribution));
  }
  const changed = new Set([...plan.update, ...plan.delete].map((s) => s.metadata?.name));
  for (const slice of existing) {
    if (changed.has(slice.metadata?.name)) continue;
    const stale = (slice.endpoints ?? []).some((ep) => hintsManaged(ep, trafficDistribution) && !sameHints(ep.hints as Hints | undefined, wantedHints(ep, trafficDistribution)));
    if (!stale) continue;
    const copy = clone(slice);
    for (const ep of copy.endpoints ?? []) if (hintsManaged(ep, trafficDistribution)) setHints(ep, wantedHints(ep, trafficDistribution));
    plan.update.push(copy);
  }
}

/** Creates become updates of slices that would otherwise be deleted (same owner and address type). */
function reuseDeletedSlices(plan: SlicePlan, svc: Service): SlicePlan {
  const create = [...plan.create];
  const update = [...plan.update];
  const remove = [...plan.delete];
  for (let i = 0; i < remove.length && create.length > 0; ) {
    const old = remove[i]!;
    const slice = create[create.length - 1]!;
    if (old.addressType === slice.addressType && ownedBy(old, svc)) {
      slice.metadata!.name = old.metadata!.name!;
      create.pop();
      update.push(slice);
      remove.splice(i, 1);
    } else i++;
  }
  return { create, update, delete: remove };
}

export function reconcileEndpointSlices(input: ReconcileInput): ReconcileResult {
  const types = addressTypesForService(input.service);
  const byType = new Map<string, EndpointSliceObject[]>();
  const unsupported: EndpointSliceObject[] = [];
  for (const slice of input.existing) {
    if (!types.has(slice.addressType as AddressType)) unsupported.push(slice);
    else byType.set(slice.addressType, [...(byType.get(slice.addressType) ?? []), slice]);
  }
  const problems: string[] = [];
  const plans = [...types].map((t) => reconcileByAddressType(input, byType.get(t) ?? [], t, problems));
  if (unsupported.length) plans.push({ create: [], update: [], delete: unsupported });
  return { plans, problems };
}
