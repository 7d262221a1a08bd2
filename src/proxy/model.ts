// What kube-proxy needs from Services and EndpointSlices (upstream's BaseServicePortInfo and endpointSliceCache), IPv4
// only: one ServicePortInfo per service port, and the endpoints of each service port with their conditions.
import type { Service, ServicePort } from 'kubernetes-types/core/v1.d.ts';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

const NONE: readonly string[] = Object.freeze([]);
const orNone = (list: readonly string[]) => (list.length ? list : NONE);

export interface ServicePortInfo {
  /** Upstream's ServicePortName string: "namespace/name:port", or "namespace/name" for an unnamed port. */
  name: string;
  /** "namespace/name" of the Service. */
  serviceKey: string;
  portName: string;
  protocol: Protocol;
  clusterIP: string;
  port: number;
  /** 0 when the port has none. */
  nodePort: number;
  externalIPs: readonly string[];
  /** status.loadBalancer.ingress IPs in VIP mode. */
  loadBalancerVIPs: readonly string[];
  loadBalancerSourceRanges: readonly string[];
  /** 0 when the Service needs no health check. */
  healthCheckNodePort: number;
  sessionAffinityClientIP: boolean;
  stickyMaxAgeSeconds: number;
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
}

export interface EndpointInfo {
  readonly ip: string;
  readonly port: number;
  /** "ip:port", the endpoint's identity in chain names and comments. */
  readonly endpoint: string;
  readonly nodeName: string;
  readonly isLocal: boolean;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  /** The EndpointSlice controller's topology hints (trafficDistribution), as the slice has them. */
  readonly hints: TopologyHints | undefined;
}

/** discovery/v1 EndpointHints (forNodes is newer than the kubernetes-types package). */
export interface TopologyHints {
  forZones?: ReadonlyArray<{ name: string }>;
  forNodes?: ReadonlyArray<{ name: string }>;
}

/** An endpoint as serviceEndpoints reads it: its "ip:port" string is made only when asked for (the pick layout never does). */
class Endpoint implements EndpointInfo {
  #endpoint: string | undefined;
  constructor(
    readonly ip: string,
    readonly port: number,
    readonly nodeName: string,
    readonly isLocal: boolean,
    readonly ready: boolean,
    readonly serving: boolean,
    readonly terminating: boolean,
    readonly hints: TopologyHints | undefined,
  ) {}

  get endpoint(): string {
    return (this.#endpoint ??= `${this.ip}:${this.port}`);
  }
}

/** Orders endpoints as their "ip:port" strings compare, without making them. */
export function compareEndpoints(a: EndpointInfo, b: EndpointInfo): number {
  if (a.ip === b.ip) return a.port === b.port ? 0 : String(a.port) < String(b.port) ? -1 : 1;
  const n = Math.min(a.ip.length, b.ip.length);
  for (let i = 0; i < n; i++) {
    const d = a.ip.charCodeAt(i) - b.ip.charCodeAt(i);
    if (d !== 0) return d;
  }
  // One address begins the other: the shorter one's ':' sorts after the longer one's next digit or '.'.
  return a.ip.length < b.ip.length ? 1 : -1;
}

/** Key of a service port (and of its endpoints): its ServicePortName string and protocol. */
export function servicePortKey(name: string, protocol: string): string {
  return `${name}|${protocol}`;
}

/** Dotted-quad IPv4, no leading zeros (as Go's netip parses it). By hand: every endpoint address of every sync. */
export function isIPv4(ip: string): boolean {
  let i = 0;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0 && ip.charCodeAt(i++) !== 46) return false;
    const start = i;
    let value = 0;
    for (let c = ip.charCodeAt(i); c >= 48 && c <= 57; c = ip.charCodeAt(++i)) value = value * 10 + c - 48;
    const digits = i - start;
    if (digits === 0 || digits > 3 || value > 255 || (digits > 1 && ip.charCodeAt(start) === 48)) return false;
  }
  return i === ip.length;
}

function isIPv4CIDR(cidr: string): boolean {
  const [ip, bits, extra] = cidr.split('/');
  return extra === undefined && ip !== undefined && isIPv4(ip) && bits !== undefined && /^\d{1,2}$/.test(bits) && Number(bits) <= 32;
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** True when the IPv4 `cidr` contains `ip`. */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bitsText] = cidr.split('/');
  if (!base || !isIPv4(base) || !isIPv4(ip)) return false;
  const bits = Number(bitsText ?? 32);
  if (bits === 0) return true;
  const mask = bits >= 32 ? 0xffffffff : ~((1 << (32 - bits)) - 1) >>> 0;
  return ((ipToInt(base) & mask) >>> 0) === ((ipToInt(ip) & mask) >>> 0);
}

/**
 * Services kube-proxy leaves alone: headless (clusterIP None or empty) and ExternalName ones (upstream's
 * ShouldSkipService), and those another proxy claims with the service.kubernetes.io/service-proxy-name label (which
 * upstream's informer filters out).
 */
export function shouldSkipService(svc: Service): boolean {
  if (svc.metadata?.labels?.['service.kubernetes.io/service-proxy-name'] !== undefined) return true;
  const ip = svc.spec?.clusterIP;
  if (!ip || ip === 'None') return true;
  return svc.spec?.type === 'ExternalName';
}

function externallyAccessibleService(svc: Service): boolean {
  const type = svc.spec?.type ?? 'ClusterIP';
  return type === 'LoadBalancer' || type === 'NodePort' || (type === 'ClusterIP' && (svc.spec?.externalIPs?.length ?? 0) > 0);
}

/**
 * The port a node answers load balancers' health checks on for this Service (upstream's NeedsHealthCheck: type
 * LoadBalancer with externalTrafficPolicy Local), or 0.
 */
export function serviceHealthCheckNodePort(svc: Service): number {
  const spec = svc.spec;
  if (spec?.type !== 'LoadBalancer' || spec.externalTrafficPolicy !== 'Local' || shouldSkipService(svc) || !clusterIPv4(svc)) return 0;
  return spec.healthCheckNodePort ?? 0;
}

function clusterIPv4(svc: Service): string | undefined {
  const ips = svc.spec?.clusterIPs?.length ? svc.spec.clusterIPs : svc.spec?.clusterIP ? [svc.spec.clusterIP] : [];
  return ips.find(isIPv4);
}

function portNameString(serviceKey: string, port: ServicePort): string {
  return port.name ? `${serviceKey}:${port.name}` : serviceKey;
}

/** The ports of a Service kube-proxy programs (none for headless and ExternalName Services). */
export function servicePorts(svc: Service): ServicePortInfo[] {
  if (shouldSkipService(svc)) return [];
  const clusterIP = clusterIPv4(svc);
  if (!clusterIP) return [];
  const spec = svc.spec ?? {};
  const serviceKey = `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
  const affinity = spec.sessionAffinity === 'ClientIP';
  const externalPolicyLocal = externallyAccessibleService(svc) && spec.externalTrafficPolicy === 'Local';
  const healthCheckNodePort = serviceHealthCheckNodePort(svc);
  // Computed once for all ports; most Services have none of these, and share one empty list (every port is kept).
  const ingress = svc.status?.loadBalancer?.ingress;
  const loadBalancerVIPs = ingress?.length
    ? orNone(ingress.filter((ing) => ing.ip && (ing.ipMode === undefined || ing.ipMode === 'VIP')).map((ing) => ing.ip!).filter(isIPv4))
    : NONE;
  const externalIPs = spec.externalIPs?.length ? orNone(spec.externalIPs.filter(isIPv4)) : NONE;
  const sourceRanges = spec.loadBalancerSourceRanges?.length ? orNone(spec.loadBalancerSourceRanges.map((r) => r.trim()).filter(isIPv4CIDR)) : NONE;
  return (spec.ports ?? []).map((port) => ({
    name: portNameString(serviceKey, port),
    serviceKey,
    portName: port.name ?? '',
    protocol: (port.protocol ?? 'TCP') as Protocol,
    clusterIP,
    port: port.port,
    nodePort: port.nodePort ?? 0,
    externalIPs,
    loadBalancerVIPs,
    loadBalancerSourceRanges: sourceRanges,
    healthCheckNodePort,
    sessionAffinityClientIP: affinity,
    stickyMaxAgeSeconds: affinity ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : 0,
    externalPolicyLocal,
    internalPolicyLocal: spec.internalTrafficPolicy === 'Local',
  }));
}

export function externallyAccessible(svc: ServicePortInfo): boolean {
  return svc.nodePort !== 0 || svc.loadBalancerVIPs.length > 0 || svc.externalIPs.length > 0;
}

/** The port ever sends traffic to Cluster-policy endpoints (external Local policy still needs them to short-circuit). */
export function usesClusterEndpoints(svc: ServicePortInfo): boolean {
  return !svc.internalPolicyLocal || externallyAccessible(svc);
}

export function usesLocalEndpoints(svc: ServicePortInfo): boolean {
  return svc.internalPolicyLocal || (svc.externalPolicyLocal && externallyAccessible(svc));
}

/** The Service an EndpointSlice belongs to ("namespace/name"), from its kubernetes.io/service-name label. */
export function sliceServiceKey(slice: EndpointSlice): string | undefined {
  const name = slice.metadata?.labels?.['kubernetes.io/service-name'];
  const ns = slice.metadata?.namespace;
  return name && ns ? `${ns}/${name}` : undefined;
}

/**
 * The endpoints of a Service's ports from its EndpointSlices, keyed by servicePortKey, sorted by "ip:port" and with
 * duplicates (an endpoint in two slices while it moves) merged, preferring the local copy, as upstream does.
 */
export function serviceEndpoints(serviceKey: string, slices: Iterable<EndpointSlice>, nodeName: string): Map<string, EndpointInfo[]> {
  const byPort = new Map<string, EndpointInfo[]>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    for (const port of slice.ports ?? []) {
      if (!port.port) continue;
      const name = port.name ? `${serviceKey}:${port.name}` : serviceKey;
      const key = servicePortKey(name, port.protocol ?? 'TCP');
      let list = byPort.get(key);
      if (!list) byPort.set(key, (list = []));
      const endpoints = slice.endpoints ?? [];
      for (let e = 0; e < endpoints.length; e++) {
        const ep = endpoints[e]!;
        const ip = ep.addresses?.[0];
        if (!ip || !isIPv4(ip)) continue;
        const epNode = ep.nodeName ?? '';
        const c = ep.conditions;
        list.push(new Endpoint(ip, port.port, epNode, nodeName !== '' && epNode === nodeName, c?.ready ?? true, c?.serving ?? true, c?.terminating ?? false, ep.hints as TopologyHints | undefined));
      }
    }
  }
  // Sorted by endpoint (sort is stable: copies keep their order), then each endpoint once: the first copy, or the
  // last local one. Every Service is read again on every full sync, so no Map per port and no sort when in order.
  for (const [key, list] of byPort) {
    if (list.length === 0) {
      byPort.delete(key);
      continue;
    }
    if (!inOrder(list)) list.sort(compareEndpoints);
    let kept = 0;
    for (let i = 1; i < list.length; i++) {
      if (compareEndpoints(list[i]!, list[kept]!) !== 0) list[++kept] = list[i]!;
      else if (list[i]!.isLocal) list[kept] = list[i]!;
    }
    list.length = kept + 1;
  }
  return byPort;
}

/**
 * How many endpoints of a Service are ready on this node, counted by address (one pod serving two ports is one), as
 * upstream's LocalReadyEndpoints: what a load balancer's health check is told. Terminating endpoints do not count.
 */
export function localReadyEndpointCount(slices: Iterable<EndpointSlice>, nodeName: string): number {
  const addresses = new Set<string>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    for (const ep of slice.endpoints ?? []) {
      const ip = ep.addresses?.[0];
      const c = ep.conditions;
      if (ip && isIPv4(ip) && nodeName !== '' && ep.nodeName === nodeName && (c?.ready ?? true) && !(c?.terminating ?? false)) addresses.add(ip);
    }
  }
  return addresses.size;
}

function inOrder(list: readonly EndpointInfo[]): boolean {
  for (let i = 1; i < list.length; i++) if (compareEndpoints(list[i - 1]!, list[i]!) > 0) return false;
  return true;
}
