// core/v1 Endpoints subsets: upstream's RepackSubsets (one subset per distinct set of addresses offering the same ports,
// not-ready winning over ready), a deterministic order, comparison that ignores pods' resourceVersions, and the
// truncation to 1000 addresses behind the endpoints.kubernetes.io/over-capacity annotation.
import type { EndpointAddress, EndpointPort, EndpointSubset } from 'kubernetes-types/core/v1.d.ts';

export const MAX_CAPACITY = 1000;
export const OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';
export const TRUNCATED = 'truncated';

const NO_PORT: EndpointPort = { port: -1 };
const portKey = (p: EndpointPort): string => JSON.stringify([p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? null]);
const addressKey = (a: EndpointAddress): string => JSON.stringify([a.ip, a.targetRef?.uid ?? '']);

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  const ua = a.targetRef?.uid ?? '';
  const ub = b.targetRef?.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  const ka = portKey(a);
  const kb = portKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Sorts addresses (by IP, then pod UID), ports, and the subsets themselves, in place. */
export function sortSubsets(subsets: EndpointSubset[]): EndpointSubset[] {
  for (const s of subsets) {
    s.addresses?.sort(compareAddresses);
    s.notReadyAddresses?.sort(compareAddresses);
    s.ports?.sort(comparePorts);
  }
  const keyed = subsets.map((s) => ({ s, k: JSON.stringify(s) }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  return keyed.map((x) => x.s);
}

/** Expands subsets to (address, port, ready) triples and packs them again into the canonical layout. */
export function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  const addresses = new Map<string, EndpointAddress>();
  const ports = new Map<string, { port: EndpointPort; ready: Map<string, boolean> }>();
  const note = (addr: EndpointAddress, port: EndpointPort, ready: boolean) => {
    const ak = addressKey(addr);
    if (!addresses.has(ak)) addresses.set(ak, { ...addr });
    const pk = portKey(port);
    let entry = ports.get(pk);
    if (!entry) ports.set(pk, (entry = { port, ready: new Map() }));
    // Not ready trumps ready.
    const was = entry.ready.get(ak);
    if (was === undefined || was) entry.ready.set(ak, ready);
  };
  for (const s of subsets) {
    // Addresses without ports (a headless Service with none) are kept under a sentinel port.
    for (const port of s.ports?.length ? s.ports : [NO_PORT]) {
      for (const a of s.addresses ?? []) note(a, port, true);
      for (const a of s.notReadyAddresses ?? []) note(a, port, false);
    }
  }
  // Ports offered by exactly the same addresses (with the same readiness) share a subset.
  const groups = new Map<string, { ready: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, ready } of ports.values()) {
    const key = JSON.stringify([...ready.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
    const group = groups.get(key);
    if (group) group.ports.push(port);
    else groups.set(key, { ready, ports: [port] });
  }
  const out: EndpointSubset[] = [];
  for (const { ready, ports: groupPorts } of groups.values()) {
    const subset: EndpointSubset = {};
    const readyAddrs: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [ak, isReady] of ready) (isReady ? readyAddrs : notReady).push(addresses.get(ak)!);
    if (readyAddrs.length) subset.addresses = readyAddrs;
    if (notReady.length) subset.notReadyAddresses = notReady;
    const real = groupPorts.filter((p) => p !== NO_PORT);
    if (real.length) subset.ports = real;
    out.push(subset);
  }
  return sortSubsets(out);
}

/** A canonical rendering for comparison: pods' resourceVersions and empty lists do not count. */
export function canonicalSubsets(subsets: readonly EndpointSubset[] | undefined): string {
  const addr = (a: EndpointAddress) => {
    const { resourceVersion: _rv, ...ref } = a.targetRef ?? {};
    return [a.ip, a.hostname ?? '', a.nodeName ?? '', a.targetRef ? ref : null];
  };
  return JSON.stringify(
    (subsets ?? []).map((s) => [(s.addresses ?? []).map(addr), (s.notReadyAddresses ?? []).map(addr), (s.ports ?? []).map((p) => [p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? null])]),
  );
}

export function countAddresses(subsets: readonly EndpointSubset[] | undefined): number {
  let n = 0;
  for (const s of subsets ?? []) n += (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0);
  return n;
}

/**
 * Cuts the subsets down to MAX_CAPACITY addresses, each subset keeping its share, ready addresses first. Returns
 * whether anything was cut.
 */
export function truncateSubsets(subsets: EndpointSubset[]): boolean {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const s of subsets) {
    totalReady += s.addresses?.length ?? 0;
    totalNotReady += s.notReadyAddresses?.length ?? 0;
  }
  if (totalReady + totalNotReady <= MAX_CAPACITY) return false;
  const truncateReady = totalReady > MAX_CAPACITY;
  const max = truncateReady ? MAX_CAPACITY : MAX_CAPACITY - totalReady;
  const numTotal = truncateReady ? totalReady : totalNotReady;
  let canBeAdded = max;
  for (const s of subsets) {
    const inSubset = truncateReady ? (s.addresses?.length ?? 0) : (s.notReadyAddresses?.length ?? 0);
    const toBeAdded = Math.min(Math.ceil((inSubset / numTotal) * max), canBeAdded);
    if (truncateReady) {
      s.addresses = (s.addresses ?? []).slice(0, toBeAdded);
      delete s.notReadyAddresses;
      canBeAdded -= s.addresses.length;
    } else {
      s.notReadyAddresses = (s.notReadyAddresses ?? []).slice(0, toBeAdded);
      canBeAdded -= s.notReadyAddresses.length;
    }
  }
  return true;
}
