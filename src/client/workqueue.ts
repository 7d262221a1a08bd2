// A work queue with client-go's semantics: deduplicated adds, one worker per key at a time, delays and per-item backoff.

export interface RateLimiter<T> {
  /** How long `item` should wait before its next try; counts the try. */
  when(item: T): number;
  forget(item: T): void;
  numRequeues(item: T): number;
}

/** base·2^failures, capped at max: client-go's ItemExponentialFailureRateLimiter (defaults 5 ms and 1000 s). */
export class ItemExponentialRateLimiter<T> implements RateLimiter<T> {
  readonly #failures = new Map<T, number>();
  constructor(
    readonly baseMs = 5,
    readonly maxMs = 1_000_000,
  ) {}
  when(item: T): number {
    const failures = this.#failures.get(item) ?? 0;
    this.#failures.set(item, failures + 1);
    // 2^60 overflows nothing useful: past the cap it is the cap.
    const delay = this.baseMs * 2 ** Math.min(failures, 60);
    return Math.min(delay, this.maxMs);
  }
  forget(item: T): void {
    this.#failures.delete(item);
  }
  numRequeues(item: T): number {
    return this.#failures.get(item) ?? 0;
  }
}

export class WorkQueue<T extends NonNullable<unknown> = string> {
  readonly #queue: T[] = [];
  /** Items waiting to be processed (queued, or re-added while processing). */
  readonly #dirty = new Set<T>();
  readonly #processing = new Set<T>();
  readonly #delayed = new Map<T, { at: number; timer: NodeJS.Timeout }>();
  #waiters: Array<() => void> = [];
  #shuttingDown = false;
  readonly rateLimiter: RateLimiter<T>;

  constructor(options: { rateLimiter?: RateLimiter<T> } = {}) {
    this.rateLimiter = options.rateLimiter ?? new ItemExponentialRateLimiter<T>();
  }

  /** Queues `item` unless it is already waiting; an item being processed is queued again once done(). */
  add(item: T): void {
    if (this.#shuttingDown || this.#dirty.has(item)) return;
    this.#dirty.add(item);
    if (this.#processing.has(item)) return;
    this.#queue.push(item);
    this.#waiters.shift()?.();
  }

  /** Adds `item` after `delayMs`; of several pending delays for one item the earliest wins. */
  addAfter(item: T, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) return this.add(item);
    const at = Date.now() + delayMs;
    const pending = this.#delayed.get(item);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.#delayed.delete(item);
      this.add(item);
    }, delayMs);
    this.#delayed.set(item, { at, timer });
  }

  /** Adds `item` after its rate limiter's backoff (growing each time until forget()). */
  addRateLimited(item: T): void {
    this.addAfter(item, this.rateLimiter.when(item));
  }

  /** Stops backing `item` off: call when it was processed successfully. */
  forget(item: T): void {
    this.rateLimiter.forget(item);
  }

  numRequeues(item: T): number {
    return this.rateLimiter.numRequeues(item);
  }

  /**
   * The next item, marked as processing until done(item). Waits while the queue is empty;
   * resolves undefined once shut down and drained; rejects with signal.reason if `signal` aborts first.
   */
  async get(signal?: AbortSignal): Promise<T | undefined> {
    for (;;) {
      const item = this.#queue.shift();
      if (item !== undefined) {
        this.#processing.add(item);
        this.#dirty.delete(item);
        return item;
      }
      if (this.#shuttingDown) return undefined;
      await this.#wait(signal);
    }
  }

  /** Ends processing of `item`; if it was added meanwhile, it is queued again now. */
  done(item: T): void {
    this.#processing.delete(item);
    if (this.#dirty.has(item) && !this.#shuttingDown) {
      this.#queue.push(item);
      this.#waiters.shift()?.();
    }
  }

  /** Items waiting (not counting those being processed or delayed). */
  len(): number {
    return this.#queue.length;
  }

  /** No more adds; pending delays are dropped; get() drains what is queued, then answers undefined. */
  shutDown(): void {
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    for (const wake of this.#waiters.splice(0)) wake();
  }

  shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  #wait(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        reject(signal?.reason);
      };
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(wake);
    });
  }
}

export interface RunWorkersOptions<T> {
  /** Told of each failed sync before the key is re-queued with backoff. */
  onError?(item: T, err: unknown): void;
  /** Give up on an item (forget it) after this many failed tries; default never. */
  maxRetries?: number;
}

/**
 * sample-controller's worker loop: `n` workers take items, run `sync(item)`, forget on success and
 * addRateLimited on failure. When `signal` aborts the queue shuts down and queued items are left; resolves once every worker has finished.
 */
export async function runWorkers<T extends NonNullable<unknown>>(
  queue: WorkQueue<T>,
  n: number,
  sync: (item: T, signal: AbortSignal) => Promise<void>,
  signal: AbortSignal,
  options: RunWorkersOptions<T> = {},
): Promise<void> {
  const stop = () => queue.shutDown();
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
  const worker = async () => {
    for (let item = await queue.get(); item !== undefined; item = await queue.get()) {
      if (signal.aborted) {
        queue.done(item);
        break;
      }
      try {
        await sync(item, signal);
        queue.forget(item);
      } catch (err) {
        options.onError?.(item, err);
        if (options.maxRetries !== undefined && queue.numRequeues(item) >= options.maxRetries) queue.forget(item);
        else queue.addRateLimited(item);
      } finally {
        queue.done(item);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, n) }, worker));
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
