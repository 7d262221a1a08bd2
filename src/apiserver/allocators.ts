// Service ClusterIP and NodePort allocation. The truth is the set of stored Services (read from the watch
// cache); allocations made by requests still in flight are held until their write lands or fails.
import type { ServiceAllocators } from '../api/types.ts';
import type { ResourceCache } from './watchcache.ts';
import { StatusError, errors } from './status.ts';

export function parseCIDR(cidr: string): { base: number; size: number } {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr.trim());
  if (!m) throw new Error(`invalid CIDR ${JSON.stringify(cidr)}: expected an IPv4 CIDR such as 10.96.0.0/12`);
  const bits = Number(m[5]);
  if (bits < 8 || bits > 30) throw new Error(`invalid CIDR ${cidr}: the prefix length must be between 8 and 30`);
  const ip = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const size = 2 ** (32 - bits);
  return { base: (ip & ~(size - 1)) >>> 0, size };
}

export function ipToString(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function ipToNumber(ip: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return undefined;
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

/** The n-th address of a CIDR (1 → 10.96.0.1 for 10.96.0.0/12). */
export function nthAddress(cidr: string, n: number): string {
  return ipToString(parseCIDR(cidr).base + n);
}

export class ServiceAllocator implements ServiceAllocators {
  readonly #range: { base: number; size: number };
  readonly #pendingIPs = new Set<string>();
  readonly #pendingPorts = new Set<number>();

  constructor(
    readonly serviceCIDR: string,
    readonly nodePortRange: [number, number],
    readonly services: ResourceCache,
  ) {
    this.#range = parseCIDR(serviceCIDR);
  }

  #used(): { ips: Set<string>; ports: Set<number> } {
    const ips = new Set(this.#pendingIPs);
    const ports = new Set(this.#pendingPorts);
    for (const { obj } of this.services.items.values()) {
      for (const ip of (obj['spec']?.clusterIPs as string[] | undefined) ?? [obj['spec']?.clusterIP]) if (ip) ips.add(ip);
      for (const p of (obj['spec']?.ports as Array<{ nodePort?: number }> | undefined) ?? []) if (p.nodePort) ports.add(p.nodePort);
    }
    return { ips, ports };
  }

  allocateClusterIP(requested?: string): string {
    const used = this.#used().ips;
    if (requested) {
      const n = ipToNumber(requested);
      if (n === undefined || n <= this.#range.base || n >= this.#range.base + this.#range.size - 1) {
        throw invalidService('spec.clusterIPs', requested, `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${this.serviceCIDR}`);
      }
      if (used.has(requested)) throw invalidService('spec.clusterIPs', requested, `failed to allocate IP ${requested}: provided IP is already allocated`);
      this.#pendingIPs.add(requested);
      return requested;
    }
    // Random, above the low band that upstream keeps for static assignment (at most 256 addresses).
    const usable = this.#range.size - 2;
    const low = Math.min(256, Math.max(16, Math.floor(usable / 16)));
    for (let attempt = 0; attempt < 64; attempt++) {
      const ip = ipToString(this.#range.base + 1 + low + Math.floor(Math.random() * (usable - low)));
      if (!used.has(ip)) {
        this.#pendingIPs.add(ip);
        return ip;
      }
    }
    for (let i = 1; i <= usable; i++) {
      const ip = ipToString(this.#range.base + i);
      if (!used.has(ip)) {
        this.#pendingIPs.add(ip);
        return ip;
      }
    }
    throw new StatusError(500, 'InternalError', 'Internal error occurred: failed to allocate a serviceIP: range is full');
  }

  allocateNodePort(requested?: number): number {
    const used = this.#used().ports;
    const [lo, hi] = this.nodePortRange;
    if (requested) {
      if (requested < lo || requested > hi) {
        throw invalidService('spec.ports[0].nodePort', requested, `provided port is not in the valid range. The range of valid ports is ${lo}-${hi}`);
      }
      if (used.has(requested)) throw invalidService('spec.ports[0].nodePort', requested, 'provided port is already allocated');
      this.#pendingPorts.add(requested);
      return requested;
    }
    const span = hi - lo + 1;
    for (let attempt = 0; attempt < 64; attempt++) {
      const port = lo + Math.floor(Math.random() * span);
      if (!used.has(port)) {
        this.#pendingPorts.add(port);
        return port;
      }
    }
    for (let port = lo; port <= hi; port++) {
      if (!used.has(port)) {
        this.#pendingPorts.add(port);
        return port;
      }
    }
    throw new StatusError(500, 'InternalError', 'Internal error occurred: failed to allocate a nodePort: range is full');
  }

  releaseClusterIP(ip: string): void {
    this.#pendingIPs.delete(ip);
  }

  releaseNodePort(port: number): void {
    this.#pendingPorts.delete(port);
  }

  /** After a write lands (or fails), pending holds are no longer needed: the cache has the truth. */
  settle(obj: Record<string, any> | undefined): void {
    for (const ip of (obj?.['spec']?.clusterIPs as string[] | undefined) ?? []) this.#pendingIPs.delete(ip);
    for (const p of (obj?.['spec']?.ports as Array<{ nodePort?: number }> | undefined) ?? []) if (p.nodePort) this.#pendingPorts.delete(p.nodePort);
  }
}

function invalidService(field: string, value: unknown, detail: string): StatusError {
  const message = `${field}: Invalid value: ${JSON.stringify(value)}: ${detail}`;
  return errors.invalid('Service', '', '', [{ reason: 'FieldValueInvalid', message, field }]);
}
