// upstream's cidrset: a cluster CIDR cut into equal subnets (one per node), a bitmap of those in use, and a rotating
// next candidate so a freed subnet is not handed out again at once.
import { isIP } from 'node:net';
import { ipToBytes } from '../adm/x509.ts';

export class CIDRSetError extends Error {
  override name = 'CIDRSetError';
}

/** No subnet left: every one is allocated. */
export class CIDRRangeFullError extends CIDRSetError {
  override name = 'CIDRRangeFullError';
}

/** upstream refuses more than 2^16 subnets per cluster CIDR. */
const MAX_PREFIX_DIFF = 16;

interface Parsed {
  base: bigint;
  prefix: number;
  bits: 32 | 128;
}

export function parseCIDR(cidr: string): Parsed {
  const [address = '', prefixText, extra] = cidr.trim().split('/');
  const family = isIP(address);
  const bits = family === 6 ? 128 : 32;
  if (!family || extra !== undefined || !prefixText || !/^\d+$/.test(prefixText) || Number(prefixText) > bits) throw new CIDRSetError(`invalid CIDR address: ${cidr}`);
  let n = 0n;
  for (const b of ipToBytes(address)) n = (n << 8n) | BigInt(b);
  const prefix = Number(prefixText);
  const host = BigInt(bits - prefix);
  return { base: (n >> host) << host, prefix, bits };
}

export function formatCIDR(base: bigint, prefix: number, bits: 32 | 128): string {
  if (bits === 32) return `${[24n, 16n, 8n, 0n].map((s) => String((base >> s) & 0xffn)).join('.')}/${prefix}`;
  const groups = Array.from({ length: 8 }, (_, i) => ((base >> BigInt((7 - i) * 16)) & 0xffffn).toString(16));
  return `${new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1)}/${prefix}`;
}

export class CIDRSet {
  readonly #cluster: Parsed;
  readonly #maskSize: number;
  readonly #used: Uint8Array;
  readonly #max: number;
  #allocated = 0;
  #next = 0;

  constructor(
    readonly clusterCIDR: string,
    readonly nodeMaskSize: number,
  ) {
    this.#cluster = parseCIDR(clusterCIDR);
    const { prefix, bits } = this.#cluster;
    if (nodeMaskSize < prefix || nodeMaskSize > bits) throw new CIDRSetError(`node mask size ${nodeMaskSize} does not fit cluster CIDR ${clusterCIDR}`);
    if (nodeMaskSize - prefix > MAX_PREFIX_DIFF) throw new CIDRSetError(`a node mask size of ${nodeMaskSize} cuts ${clusterCIDR} into more than 2^${MAX_PREFIX_DIFF} subnets`);
    this.#maskSize = nodeMaskSize;
    this.#max = 2 ** (nodeMaskSize - prefix);
    this.#used = new Uint8Array(this.#max);
  }

  get family(): 4 | 6 {
    return this.#cluster.bits === 32 ? 4 : 6;
  }

  get size(): number {
    return this.#max;
  }

  get allocatedCount(): number {
    return this.#allocated;
  }

  #subnet(index: number): string {
    const { base, bits } = this.#cluster;
    return formatCIDR(base + (BigInt(index) << BigInt(bits - this.#maskSize)), this.#maskSize, bits);
  }

  allocateNext(): string {
    for (let i = 0; i < this.#max; i++) {
      const candidate = (this.#next + i) % this.#max;
      if (this.#used[candidate]) continue;
      this.#used[candidate] = 1;
      this.#allocated++;
      this.#next = (candidate + 1) % this.#max;
      return this.#subnet(candidate);
    }
    throw new CIDRRangeFullError(`CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range`);
  }

  /** The subnet indexes `cidr` covers (it may be larger or smaller than a node's subnet), clipped to the cluster CIDR. */
  #range(cidr: string): [number, number] | undefined {
    const c = parseCIDR(cidr);
    const { base, prefix, bits } = this.#cluster;
    if (c.bits !== bits) return undefined;
    const shift = BigInt(bits - this.#maskSize);
    const first = c.base;
    const last = c.base + (1n << BigInt(bits - c.prefix)) - 1n;
    const clusterLast = base + (1n << BigInt(bits - prefix)) - 1n;
    if (last < base || first > clusterLast) return undefined;
    const lo = first < base ? base : first;
    const hi = last > clusterLast ? clusterLast : last;
    return [Number((lo - base) >> shift), Number((hi - base) >> shift)];
  }

  /** Marks `cidr` as used (a node's existing podCIDR, or the Service range). False when it lies outside. */
  occupy(cidr: string): boolean {
    const r = this.#range(cidr);
    if (!r) return false;
    for (let i = r[0]; i <= r[1]; i++) {
      if (!this.#used[i]) this.#allocated++;
      this.#used[i] = 1;
    }
    return true;
  }

  release(cidr: string): void {
    const r = this.#range(cidr);
    if (!r) return;
    for (let i = r[0]; i <= r[1]; i++) {
      if (this.#used[i]) this.#allocated--;
      this.#used[i] = 0;
    }
  }

  contains(cidr: string): boolean {
    return this.#range(cidr) !== undefined;
  }
}
