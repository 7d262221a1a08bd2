// One timer for many deadlines: a min-heap of (due time, key) behind a single setTimeout, so thousands of simulated
// nodes renewing leases and waiting out stage delays cost one armed timer, not one each.

interface Entry {
  at: number;
  key: string;
  /** Cleared when the key is rescheduled or cancelled; stale heap entries are skipped when they surface. */
  live: boolean;
}

export class TimerQueue {
  readonly #heap: Entry[] = [];
  readonly #byKey = new Map<string, Entry>();
  #timer: NodeJS.Timeout | undefined;
  #armedAt = Infinity;
  #stopped = false;

  /** `fire(key)` is called once per key when its time comes. */
  constructor(
    readonly fire: (key: string) => void,
    readonly now: () => number = Date.now,
  ) {}

  /** Schedules `key` at `at` (ms since the epoch), replacing any earlier schedule of the same key. */
  schedule(key: string, at: number): void {
    if (this.#stopped) return;
    this.cancel(key);
    const entry: Entry = { at, key, live: true };
    this.#byKey.set(key, entry);
    this.#push(entry);
    if (this.#heap.length > 2 * this.#byKey.size + 1024) this.#compact();
    if (at < this.#armedAt) this.#arm();
  }

  cancel(key: string): void {
    const entry = this.#byKey.get(key);
    if (!entry) return;
    entry.live = false;
    this.#byKey.delete(key);
  }

  /** When `key` is due, or undefined if it is not scheduled. */
  dueAt(key: string): number | undefined {
    return this.#byKey.get(key)?.at;
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Drops everything; later schedules are ignored. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#heap.length = 0;
    this.#byKey.clear();
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Infinity;
    this.#dropStale();
    const head = this.#heap[0];
    if (!head) return;
    this.#armedAt = head.at;
    // setTimeout's limit is 2^31-1 ms; a longer wait just re-arms.
    const wait = Math.min(Math.max(0, head.at - this.now()), 2 ** 31 - 1);
    this.#timer = setTimeout(() => this.#run(), wait);
  }

  #run(): void {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    const now = this.now();
    // Bounded: each pass pops at most the entries present now.
    for (let n = this.#heap.length; n > 0; n--) {
      const head = this.#heap[0];
      if (!head || head.at > now) break;
      this.#pop();
      if (!head.live) continue;
      this.#byKey.delete(head.key);
      this.fire(head.key);
      if (this.#stopped) return;
    }
    this.#arm();
  }

  /** Rebuilds the heap from live entries when rescheduling has left it mostly stale. */
  #compact(): void {
    const live = this.#heap.filter((e) => e.live);
    this.#heap.length = 0;
    for (const e of live) this.#push(e);
  }

  #dropStale(): void {
    while (this.#heap[0] && !this.#heap[0].live) this.#pop();
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= entry.at) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): Entry | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (!top || !last || heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.at < heap[left]!.at ? right : left;
      if (heap[child]!.at >= last.at) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
