// The node lifecycle controller's per-zone tainting queue (upstream's RateLimitedTimedQueue): nodes wait in order,
// and a token bucket lets only --node-eviction-rate of them per second get their NoExecute taint.

/** client-go's token bucket: starts full (burst tokens) and refills at qps; qps ≤ 0 never lets anything through. */
export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    readonly qps: number,
    readonly burst = 1,
    readonly now: () => number = Date.now,
  ) {
    this.#tokens = qps > 0 ? burst : 0;
    this.#at = now();
  }

  tryAccept(): boolean {
    if (this.qps <= 0) return false;
    const t = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((t - this.#at) / 1000) * this.qps);
    this.#at = t;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

interface Item {
  uid: string;
  processAt: number;
}

export type TryResult = { done: true } | { done: false; retryAfterMs: number };

export class RateLimitedTimedQueue {
  /** Insertion order is processing order; a retried item goes to the back. */
  readonly #items = new Map<string, Item>();
  #limiter: TokenBucket;

  constructor(
    qps: number,
    readonly now: () => number = Date.now,
  ) {
    this.#limiter = new TokenBucket(qps, 1, now);
  }

  /** False if `name` is queued already. */
  add(name: string, uid: string): boolean {
    if (this.#items.has(name)) return false;
    this.#items.set(name, { uid, processAt: this.now() });
    return true;
  }

  /** True if `name` was queued. */
  remove(name: string): boolean {
    return this.#items.delete(name);
  }

  has(name: string): boolean {
    return this.#items.has(name);
  }

  get size(): number {
    return this.#items.size;
  }

  get qps(): number {
    return this.#limiter.qps;
  }

  /** A new rate; a drained bucket stays drained, so a swap does not let an extra node through (burst 1). */
  swapLimiter(qps: number): void {
    if (this.#limiter.qps === qps) return;
    const next = new TokenBucket(qps, 1, this.now);
    if (qps > 0 && !this.#limiter.tryAccept()) next.tryAccept();
    this.#limiter = next;
  }

  /** Offers due items to `fn` while the bucket has tokens; each is removed when done, else retried later. */
  async try(fn: (name: string, uid: string) => Promise<TryResult>): Promise<void> {
    const now = this.now();
    for (const [name, item] of [...this.#items]) {
      if (!this.#items.has(name) || item.processAt > now) continue;
      if (!this.#limiter.tryAccept()) break;
      const result = await fn(name, item.uid);
      if (this.#items.get(name) !== item) continue;
      this.#items.delete(name);
      if (!result.done) this.#items.set(name, { uid: item.uid, processAt: this.now() + result.retryAfterMs });
    }
  }
}
