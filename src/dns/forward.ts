// Forwarding to upstream resolvers, in the manner of CoreDNS's forward plugin: random order among healthy upstreams,
// UDP with a TCP retry when the answer is truncated, a short overall deadline, and health checks: an upstream that
// fails `maxFails` times in a row is taken out until a probe (". IN NS") is answered, and while every upstream is out
// queries fail at once instead of each waiting for the deadline.
import { randomInt } from 'node:crypto';
import { abortableSleep } from '../client/sleep.ts';
import type { Logger } from '../log.ts';
import { RRClass, RRType } from './constants.ts';
import { encodeMessage } from './encode.ts';
import { emptyFlags } from './message.ts';
import { exchangeTcp, exchangeUdp, formatServer, type ServerAddress } from './exchange.ts';

export class ForwardError extends Error {
  override name = 'ForwardError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface ForwarderOptions {
  upstreams: ServerAddress[];
  logger: Logger;
  /** The whole budget of one query across upstreams and retries. Default 2000 ms. */
  timeoutMs?: number;
  /** Consecutive failures that take an upstream out. Default 2. */
  maxFails?: number;
  /** First delay between probes of an upstream that is out; doubles up to `maxProbeIntervalMs`. Default 500 ms. */
  probeIntervalMs?: number;
  maxProbeIntervalMs?: number;
  /** Test seam. */
  exchange?: { udp: typeof exchangeUdp; tcp: typeof exchangeTcp };
}

interface UpstreamState {
  server: ServerAddress;
  fails: number;
  down: boolean;
}

const TC_BIT = 0x02; // in byte 2 of the header

export class Forwarder {
  readonly #upstreams: UpstreamState[];
  readonly #log: Logger;
  readonly #timeoutMs: number;
  readonly #maxFails: number;
  readonly #probeMs: number;
  readonly #maxProbeMs: number;
  readonly #udp: typeof exchangeUdp;
  readonly #tcp: typeof exchangeTcp;
  readonly #closing = new AbortController();

  constructor(options: ForwarderOptions) {
    this.#upstreams = options.upstreams.map((server) => ({ server, fails: 0, down: false }));
    this.#log = options.logger;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#maxFails = options.maxFails ?? 2;
    this.#probeMs = options.probeIntervalMs ?? 500;
    this.#maxProbeMs = options.maxProbeIntervalMs ?? 5000;
    this.#udp = options.exchange?.udp ?? exchangeUdp;
    this.#tcp = options.exchange?.tcp ?? exchangeTcp;
  }

  get upstreams(): ServerAddress[] {
    return this.#upstreams.map((u) => u.server);
  }

  /** How many upstreams are currently taken out by failures. */
  get downCount(): number {
    return this.#upstreams.filter((u) => u.down).length;
  }

  /**
   * Sends `query` (a well-formed message) upstream under a fresh random ID and answers with the upstream's response,
   * its ID set back to the query's. Throws ForwardError when no upstream answers in time or none is healthy.
   */
  async exchange(query: Uint8Array, options: { tcp?: boolean; signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const healthy = shuffle(this.#upstreams.filter((u) => !u.down));
    if (healthy.length === 0) {
      throw new ForwardError(this.#upstreams.length ? 'no healthy upstream' : 'no upstream resolvers configured');
    }
    const outgoing = Buffer.from(query);
    outgoing.writeUInt16BE(randomInt(0x10000), 0);
    const start = Date.now();
    let lastError: unknown;
    for (let i = 0; i < healthy.length; i++) {
      const remaining = this.#timeoutMs - (Date.now() - start);
      if (remaining <= 0) break;
      const upstream = healthy[i]!;
      // Later upstreams still get a share of the budget.
      const budget = Math.max(1, Math.floor(remaining / (healthy.length - i)));
      try {
        const response = await this.#ask(upstream.server, outgoing, budget, options);
        this.#succeeded(upstream);
        const out = Buffer.from(response);
        out.set(query.subarray(0, 2), 0);
        return out;
      } catch (err) {
        if (options.signal?.aborted) throw err;
        lastError = err;
        this.#failed(upstream, err);
      }
    }
    throw new ForwardError(`no upstream answered within ${this.#timeoutMs} ms`, { cause: lastError });
  }

  /** Stops health probes. */
  close(): void {
    this.#closing.abort();
  }

  async #ask(server: ServerAddress, query: Uint8Array, budgetMs: number, options: { tcp?: boolean; signal?: AbortSignal }): Promise<Uint8Array> {
    const started = Date.now();
    const signal = options.signal;
    if (options.tcp) return this.#tcp(server, query, budgetMs, signal);
    const response = await this.#udp(server, query, budgetMs, signal);
    if ((response[2]! & TC_BIT) === 0) return response;
    const left = budgetMs - (Date.now() - started);
    if (left <= 0) return response;
    return this.#tcp(server, query, left, signal).catch(() => response);
  }

  #succeeded(u: UpstreamState): void {
    u.fails = 0;
    if (u.down) {
      u.down = false;
      this.#log.info('upstream answers again', { upstream: formatServer(u.server) });
    }
  }

  #failed(u: UpstreamState, err: unknown): void {
    u.fails++;
    this.#log.debug('upstream query failed', { upstream: formatServer(u.server), fails: u.fails, error: err });
    if (u.down || u.fails < this.#maxFails || this.#closing.signal.aborted) return;
    u.down = true;
    this.#log.warn('upstream taken out after failures; probing it', { upstream: formatServer(u.server), fails: u.fails });
    void this.#probe(u);
  }

  async #probe(u: UpstreamState): Promise<void> {
    const probe = encodeMessage({
      id: 0,
      flags: { ...emptyFlags(), rd: true },
      rcode: 0,
      questions: [{ name: '', type: RRType.NS, class: RRClass.IN }],
      answers: [],
      authorities: [],
      additionals: [],
    });
    let interval = this.#probeMs;
    const signal = this.#closing.signal;
    while (u.down && !signal.aborted) {
      await abortableSleep(interval, signal).catch(() => {});
      if (!u.down || signal.aborted) return;
      const id = Buffer.from(probe);
      id.writeUInt16BE(randomInt(0x10000), 0);
      try {
        await this.#udp(u.server, id, Math.min(this.#timeoutMs, 1000), signal);
        this.#succeeded(u);
      } catch {
        interval = Math.min(interval * 2, this.#maxProbeMs);
      }
    }
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
