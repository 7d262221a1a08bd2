// What the cluster DNS knows about Services and their endpoints, kept up to date from informer events and indexed
// for lookups by name (`<svc>.<ns>`) and by IP (for PTR). Holds only the few fields DNS needs, as CoreDNS does.
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import type { Service } from 'kubernetes-types/core/v1.d.ts';
import { canonicalIp } from './ip.ts';

export interface PortEntry {
  /** Lower case; '' for an unnamed port. */
  name: string;
  /** Lower case (tcp, udp, sctp). */
  protocol: string;
  /** -1 stands for "no ports at all", so address queries still match (CoreDNS's sentinel). */
  port: number;
}

export interface ServiceEntry {
  name: string;
  namespace: string;
  headless: boolean;
  /** Canonical cluster IPs; empty for headless and ExternalName Services. */
  clusterIPs: string[];
  /** Set for type ExternalName only. */
  externalName?: string;
  ports: PortEntry[];
  publishNotReadyAddresses: boolean;
}

export interface EndpointEntry {
  ip: string;
  /** The endpoint's own hostname field ('' when unset). */
  hostname: string;
  ready: boolean;
}

export interface SliceEntry {
  /** The owning Service's key, `<name>.<namespace>`. */
  service: string;
  namespace: string;
  serviceName: string;
  endpoints: EndpointEntry[];
  ports: PortEntry[];
}

/** `<name>.<namespace>`, lower case: the index key of a Service (and of its slices). */
export function serviceKey(name: string, namespace: string): string {
  return `${name}.${namespace}`.toLowerCase();
}

/** The name of an endpoint below its Service: its hostname, else its address with dashes (CoreDNS's rule). */
export function endpointHostname(ep: EndpointEntry): string {
  if (ep.hostname) return ep.hostname;
  if (ep.ip.includes('.')) return ep.ip.replaceAll('.', '-');
  const dashed = ep.ip.replaceAll(':', '-');
  return dashed.endsWith('-') ? `${dashed}0` : dashed;
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const NO_PORTS: PortEntry[] = [{ name: '', protocol: '', port: -1 }];

function toServiceEntry(svc: Service): ServiceEntry | undefined {
  const name = svc.metadata?.name;
  const namespace = svc.metadata?.namespace;
  if (!name || !namespace) return undefined;
  const spec = svc.spec ?? {};
  const ips = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  const headless = ips[0] === 'None';
  const entry: ServiceEntry = {
    name,
    namespace,
    headless,
    clusterIPs: headless ? [] : ips.map((ip) => canonicalIp(ip)).filter((ip): ip is string => ip !== undefined),
    ports: spec.ports?.length ? spec.ports.map((p) => ({ name: (p.name ?? '').toLowerCase(), protocol: (p.protocol ?? 'TCP').toLowerCase(), port: p.port })) : NO_PORTS,
    publishNotReadyAddresses: spec.publishNotReadyAddresses ?? false,
  };
  if (spec.type === 'ExternalName') entry.externalName = spec.externalName ?? '';
  return entry;
}

function toSliceEntry(slice: EndpointSlice): SliceEntry | undefined {
  const namespace = slice.metadata?.namespace;
  const serviceName = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  if (!namespace || !serviceName || slice.addressType === 'FQDN') return undefined;
  const endpoints: EndpointEntry[] = [];
  for (const ep of slice.endpoints ?? []) {
    for (const address of ep.addresses ?? []) {
      const ip = canonicalIp(address);
      // "A nil value should be interpreted as true."
      if (ip) endpoints.push({ ip, hostname: ep.hostname ?? '', ready: ep.conditions?.ready ?? true });
    }
  }
  const ports = slice.ports?.length
    ? slice.ports.map((p) => ({ name: (p.name ?? '').toLowerCase(), protocol: (p.protocol ?? 'TCP').toLowerCase(), port: p.port ?? -1 }))
    : NO_PORTS;
  return { service: serviceKey(serviceName, namespace), namespace, serviceName, endpoints, ports };
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

export class ClusterIndex {
  readonly #namespaces = new Set<string>();
  readonly #services = new Map<string, ServiceEntry>();
  readonly #slices = new Map<string, SliceEntry>();
  readonly #slicesByService = new Map<string, Set<string>>();
  readonly #servicesByIP = new Map<string, Set<string>>();
  readonly #slicesByIP = new Map<string, Set<string>>();
  #modified: number;

  constructor(readonly now: () => number = Date.now) {
    this.#modified = Math.floor(now() / 1000);
  }

  /** Unix seconds of the last change: the zone's SOA serial, as CoreDNS has it. */
  get modified(): number {
    return this.#modified;
  }

  hasNamespace(name: string): boolean {
    return this.#namespaces.has(name.toLowerCase());
  }

  service(key: string): ServiceEntry | undefined {
    return this.#services.get(key);
  }

  /** Every slice of the Service with key `key`. */
  slicesOf(key: string): SliceEntry[] {
    const keys = this.#slicesByService.get(key);
    if (!keys) return [];
    const out: SliceEntry[] = [];
    for (const k of keys) {
      const slice = this.#slices.get(k);
      if (slice) out.push(slice);
    }
    return out;
  }

  servicesWithClusterIP(ip: string): ServiceEntry[] {
    return [...(this.#servicesByIP.get(ip) ?? [])].map((k) => this.#services.get(k)).filter((s): s is ServiceEntry => s !== undefined);
  }

  slicesWithAddress(ip: string): SliceEntry[] {
    return [...(this.#slicesByIP.get(ip) ?? [])].map((k) => this.#slices.get(k)).filter((s): s is SliceEntry => s !== undefined);
  }

  setNamespace(name: string, present: boolean): void {
    if (present) this.#namespaces.add(name.toLowerCase());
    else this.#namespaces.delete(name.toLowerCase());
    this.#touch();
  }

  upsertService(svc: Service): void {
    const entry = toServiceEntry(svc);
    if (!entry) return;
    const key = serviceKey(entry.name, entry.namespace);
    this.#dropService(key);
    this.#services.set(key, entry);
    for (const ip of entry.clusterIPs) addTo(this.#servicesByIP, ip, key);
    this.#touch();
  }

  deleteService(svc: Service): void {
    const name = svc.metadata?.name;
    const namespace = svc.metadata?.namespace;
    if (!name || !namespace) return;
    this.#dropService(serviceKey(name, namespace));
    this.#touch();
  }

  /** `key` is the informer's key of the slice (`namespace/name`). */
  upsertSlice(key: string, slice: EndpointSlice): void {
    this.#dropSlice(key);
    const entry = toSliceEntry(slice);
    if (entry) {
      this.#slices.set(key, entry);
      addTo(this.#slicesByService, entry.service, key);
      for (const ep of entry.endpoints) addTo(this.#slicesByIP, ep.ip, key);
    }
    this.#touch();
  }

  deleteSlice(key: string): void {
    this.#dropSlice(key);
    this.#touch();
  }

  #dropService(key: string): void {
    const old = this.#services.get(key);
    if (!old) return;
    this.#services.delete(key);
    for (const ip of old.clusterIPs) removeFrom(this.#servicesByIP, ip, key);
  }

  #dropSlice(key: string): void {
    const old = this.#slices.get(key);
    if (!old) return;
    this.#slices.delete(key);
    removeFrom(this.#slicesByService, old.service, key);
    for (const ep of old.endpoints) removeFrom(this.#slicesByIP, ep.ip, key);
  }

  #touch(): void {
    this.#modified = Math.floor(this.now() / 1000);
  }
}
