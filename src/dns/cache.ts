// A small cache of forwarded answers, like CoreDNS's `cache 30`: positive answers for their smallest TTL and
// negative ones (NXDOMAIN, NODATA) for their SOA's negative TTL, both capped; served with TTLs aged in place.
import { Rcode } from './constants.ts';
import type { DnsMessage } from './message.ts';

export interface CacheOptions {
  /** Cap on how long any answer is kept, in seconds. Default 30. */
  maxTtl?: number;
  /** Default 10,000 entries; the oldest entry goes first. */
  capacity?: number;
  now?: () => number;
}

interface Entry {
  packet: Uint8Array;
  ttlOffsets: number[];
  ttls: number[];
  storedAt: number;
  expiresAt: number;
}

/** A negative answer without an SOA is kept this long (CoreDNS's minimal default). */
const NO_SOA_TTL = 5;

export function cacheKey(name: string, type: number, cls: number, dnssecOk: boolean, checkingDisabled: boolean): string {
  return `${name}\u0000${type}\u0000${cls}\u0000${dnssecOk ? 1 : 0}${checkingDisabled ? 1 : 0}`;
}

/** How long `msg` may be cached, in seconds (0: not at all). */
export function cacheTtl(msg: DnsMessage, maxTtl: number): number {
  if (msg.flags.tc) return 0;
  const records = [...msg.answers, ...msg.authorities, ...msg.additionals];
  let ttl: number;
  if (msg.rcode === Rcode.NOERROR && msg.answers.length > 0) {
    ttl = Math.min(...records.map((r) => r.ttl));
  } else if (msg.rcode === Rcode.NXDOMAIN || msg.rcode === Rcode.NOERROR) {
    const soa = msg.authorities.find((r) => r.type === 'SOA');
    ttl = soa && soa.type === 'SOA' ? Math.min(soa.ttl, soa.minimum) : NO_SOA_TTL;
  } else {
    return 0;
  }
  return Math.max(0, Math.min(ttl, maxTtl));
}

export class ResponseCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxTtl: number;
  readonly #capacity: number;
  readonly #now: () => number;

  constructor(options: CacheOptions = {}) {
    this.#maxTtl = options.maxTtl ?? 30;
    this.#capacity = options.capacity ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Keeps `packet` (whose decoded form is `msg`) under `key` when it may be cached, and answers the packet to send
   * now: TTLs capped at how long it is cached, as CoreDNS's cache does, so a client never holds it longer.
   */
  put(key: string, packet: Uint8Array, msg: DnsMessage): Uint8Array {
    const ttl = cacheTtl(msg, this.#maxTtl);
    if (ttl <= 0) return packet;
    const records = [...msg.answers, ...msg.authorities, ...msg.additionals];
    const capped = Buffer.from(packet);
    const ttlOffsets = records.map((r) => r.ttlOffset ?? -1);
    const ttls = records.map((r) => Math.min(r.ttl, ttl));
    ttlOffsets.forEach((offset, i) => offset >= 0 && capped.writeUInt32BE(ttls[i]!, offset));
    const now = this.#now();
    this.#entries.delete(key);
    if (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { packet: capped, ttlOffsets, ttls, storedAt: now, expiresAt: now + ttl * 1000 });
    return Buffer.from(capped);
  }

  /** A copy of the cached packet with its TTLs lowered by the time it has spent here; undefined when absent or stale. */
  get(key: string): Uint8Array | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    const now = this.#now();
    if (now >= entry.expiresAt) {
      this.#entries.delete(key);
      return undefined;
    }
    const aged = Math.floor((now - entry.storedAt) / 1000);
    const out = Buffer.from(entry.packet);
    entry.ttlOffsets.forEach((offset, i) => {
      if (offset >= 0) out.writeUInt32BE(Math.max(0, entry.ttls[i]! - aged), offset);
    });
    return out;
  }

  clear(): void {
    this.#entries.clear();
  }
}
