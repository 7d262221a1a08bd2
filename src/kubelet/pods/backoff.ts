// client-go's flowcontrol.Backoff as the kubelet uses it for crash loops and image pulls: per key, the first failure
// costs nothing, then 10 s doubling up to 5 min; an entry untouched for twice the maximum starts over.

export const DEFAULT_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 300_000;

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export class Backoff {
  readonly #entries = new Map<string, Entry>();

  constructor(
    readonly initialMs = DEFAULT_BACKOFF_MS,
    readonly maxMs = MAX_BACKOFF_MS,
    readonly now: () => number = Date.now,
  ) {}

  /** The current backoff of `key` (0 when it has none). */
  get(key: string): number {
    return this.#entries.get(key)?.backoffMs ?? 0;
  }

  /** Counts one more failure of `key` at `eventTime`: the first (or first after a long quiet) starts at the initial delay. */
  next(key: string, eventTime: number): void {
    const entry = this.#entries.get(key);
    if (!entry || this.#expired(eventTime, entry.lastUpdate)) {
      this.#entries.set(key, { backoffMs: this.initialMs, lastUpdate: this.now() });
      return;
    }
    entry.backoffMs = Math.min(entry.backoffMs * 2, this.maxMs);
    entry.lastUpdate = this.now();
  }

  /** Whether something that happened at `eventTime` (a container's exit) is still within the backoff of `key`. */
  isInBackOffSince(key: string, eventTime: number): boolean {
    const entry = this.#entries.get(key);
    if (!entry || this.#expired(eventTime, entry.lastUpdate)) return false;
    return this.now() - eventTime < entry.backoffMs;
  }

  /** Whether the last failure counted for `key` is still within its backoff (image pulls). */
  isInBackOffSinceUpdate(key: string): boolean {
    const entry = this.#entries.get(key);
    if (!entry) return false;
    const now = this.now();
    if (this.#expired(now, entry.lastUpdate)) return false;
    return now - entry.lastUpdate < entry.backoffMs;
  }

  /** When the backoff of `key` measured from `eventTime` ends, or undefined when there is none. */
  endsAt(key: string, eventTime: number): number | undefined {
    const entry = this.#entries.get(key);
    if (!entry || this.#expired(eventTime, entry.lastUpdate)) return undefined;
    return eventTime + entry.backoffMs;
  }

  /** When `key` last failed (undefined: never, or forgotten). */
  lastUpdate(key: string): number | undefined {
    return this.#entries.get(key)?.lastUpdate;
  }

  /** Forgets entries untouched for twice the maximum. */
  gc(): void {
    const now = this.now();
    for (const [key, entry] of this.#entries) if (this.#expired(now, entry.lastUpdate)) this.#entries.delete(key);
  }

  /** Forgets every key starting with `prefix` (a pod's, once it is gone). */
  forgetPrefix(prefix: string): void {
    for (const key of this.#entries.keys()) if (key.startsWith(prefix)) this.#entries.delete(key);
  }

  #expired(eventTime: number, lastUpdate: number): boolean {
    return eventTime - lastUpdate > this.maxMs * 2;
  }
}
