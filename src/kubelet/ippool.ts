// Pod IPs out of a node's podCIDRs, as CNI's host-local IPAM hands them out: the network address and the gateway
// (.1) are never given, nor IPv4's broadcast address; allocation continues after the last address given, so a
// freed address is not reused at once.
import { isIP } from 'node:net';
import { ipToBytes } from '../adm/x509.ts';

export class PodIPExhaustedError extends Error {
  override name = 'PodIPExhaustedError';
}

export class BadCIDRError extends Error {
  override name = 'BadCIDRError';
}

interface Range {
  base: bigint;
  family: 4 | 6;
  /** Offsets first..last (inclusive) may be given. */
  first: bigint;
  last: bigint;
  cursor: bigint;
}

/** Scanning for a free address gives up after this many tries (a /64 is never full in practice). */
const MAX_SCAN = 1 << 16;

function toBigInt(bytes: Buffer): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

export function formatIP(n: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((n >> BigInt((7 - i) * 16)) & 0xffffn).toString(16));
  // URL parsing writes an IPv6 address in its canonical compressed form.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

export function parseCIDR(cidr: string): { base: bigint; prefix: number; family: 4 | 6 } {
  const [address = '', prefixText, extra] = cidr.trim().split('/');
  const family = isIP(address);
  const bits = family === 6 ? 128 : 32;
  if ((family !== 4 && family !== 6) || extra !== undefined || !prefixText || !/^\d+$/.test(prefixText) || Number(prefixText) > bits) {
    throw new BadCIDRError(`not a CIDR: ${cidr}`);
  }
  const prefix = Number(prefixText);
  const hostBits = BigInt(bits - prefix);
  const base = (toBigInt(ipToBytes(address)) >> hostBits) << hostBits;
  return { base, prefix, family };
}

export function ipToBigInt(ip: string): bigint {
  return toBigInt(ipToBytes(ip));
}

export class PodIPPool {
  readonly #ranges: Range[];
  readonly #byOwner = new Map<string, string[]>();
  readonly #used = new Set<string>();

  constructor(readonly cidrs: readonly string[]) {
    this.#ranges = cidrs.map((cidr) => {
      const { base, prefix, family } = parseCIDR(cidr);
      const size = 1n << BigInt((family === 4 ? 32 : 128) - prefix);
      const last = family === 4 ? size - 2n : size - 1n;
      if (last < 2n) throw new BadCIDRError(`${cidr} is too small for pods`);
      return { base, family, first: 2n, last, cursor: 1n };
    });
  }

  /** The addresses of `owner` (one per CIDR), allocated on first call. */
  allocate(owner: string): string[] {
    const existing = this.#byOwner.get(owner);
    if (existing) return existing;
    const ips: string[] = [];
    for (const r of this.#ranges) {
      const ip = this.#next(r);
      if (!ip) {
        for (const taken of ips) this.#used.delete(taken);
        throw new PodIPExhaustedError(`no free address left in ${this.cidrs.join(', ')}`);
      }
      ips.push(ip);
      this.#used.add(ip);
    }
    this.#byOwner.set(owner, ips);
    return ips;
  }

  /** Marks addresses already given to `owner` (after a restart) as taken. */
  occupy(owner: string, ips: readonly string[]): void {
    if (this.#byOwner.has(owner)) return;
    const mine = ips.filter((ip) => this.contains(ip) && !this.#used.has(ip));
    if (!mine.length) return;
    for (const ip of mine) this.#used.add(ip);
    this.#byOwner.set(owner, mine);
  }

  release(owner: string): void {
    for (const ip of this.#byOwner.get(owner) ?? []) this.#used.delete(ip);
    this.#byOwner.delete(owner);
  }

  contains(ip: string): boolean {
    const family = isIP(ip);
    if (family !== 4 && family !== 6) return false;
    const n = ipToBigInt(ip);
    return this.#ranges.some((r) => r.family === family && n >= r.base + r.first && n <= r.base + r.last);
  }

  get allocated(): number {
    return this.#byOwner.size;
  }

  #next(r: Range): string | undefined {
    const span = r.last - r.first + 1n;
    const tries = span < BigInt(MAX_SCAN) ? Number(span) : MAX_SCAN;
    let offset = r.cursor;
    for (let i = 0; i < tries; i++) {
      offset = offset >= r.last ? r.first : offset + 1n;
      const ip = formatIP(r.base + offset, r.family);
      if (!this.#used.has(ip)) {
        r.cursor = offset;
        return ip;
      }
    }
    return undefined;
  }
}
