// The clock the batch controllers (Job, CronJob, TTL-after-finished) read time and set timers from, as upstream's
// controllers take a clock.WithTicker: tests of schedule-driven behaviour move a FakeClock instead of waiting.
import type { WorkQueue } from '../client/workqueue.ts';

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `fn` once `ms` of this clock's time have passed; the answer cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const timer = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
};

/** A clock that moves only when told to; due timers fire (in time order) as it moves. */
export class FakeClock implements Clock {
  #now: number;
  #timers: Array<{ at: number; fn: () => void; seq: number }> = [];
  #seq = 0;

  constructor(start: number = Date.now()) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.#now + Math.max(0, ms), fn, seq: this.#seq++ };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** Moves the clock forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    this.set(this.#now + ms);
  }

  set(to: number): void {
    // Timers set by a firing timer fire too when they fall within the move; bounded so a zero-delay loop cannot spin.
    for (let fired = 0; fired < 100_000; fired++) {
      const due = this.#timers.filter((t) => t.at <= to).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = Math.max(this.#now, due.at);
      due.fn();
    }
    this.#now = Math.max(this.#now, to);
  }

  /** Timers not yet fired. */
  pending(): number {
    return this.#timers.length;
  }
}

/** client-go's AddAfter on a clock: one pending timer per key, the earliest wins; stop() drops them all. */
export class DelayedAdds<T extends NonNullable<unknown> = string> {
  readonly #pending = new Map<T, { at: number; cancel: () => void }>();

  constructor(
    readonly queue: WorkQueue<T>,
    readonly clock: Clock,
  ) {}

  addAfter(item: T, ms: number): void {
    if (ms <= 0) return this.queue.add(item);
    const at = this.clock.now() + ms;
    const pending = this.#pending.get(item);
    if (pending && pending.at <= at) return;
    pending?.cancel();
    const cancel = this.clock.setTimer(ms, () => {
      this.#pending.delete(item);
      this.queue.add(item);
    });
    this.#pending.set(item, { at, cancel });
  }

  stop(): void {
    for (const { cancel } of this.#pending.values()) cancel();
    this.#pending.clear();
  }
}
