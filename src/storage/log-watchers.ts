// Watchers over an in-process revision log (the sqlite and memory drivers). The driver calls publish() after each
// committed write, synchronously and in revision order. A watcher first replays the log from its revision in batches,
// then switches to live events in the same synchronous step in which a replay batch reached the head of the log, so
// there is neither a gap nor a duplicate. A watcher whose live buffer overflows (a slow consumer) drops the buffer and
// goes back to replaying from the log; it ends with CompactedError only if compaction has passed its position.
import type { WatchEvent, WatchOptions } from './backend.ts';
import { CompactedError } from './backend.ts';

export interface WatchableLog {
  /** The revision of the last committed write. */
  revision(): number;
  /** The compacted revision: events at or below it may be gone. */
  compacted(): number;
  /** Up to `limit` events under `prefix` with revision > after, in revision order. Synchronous. */
  eventsAfter(prefix: string, after: number, limit: number): WatchEvent[];
}

export interface LogWatchersOptions {
  /** Live events held per watcher before it falls back to replaying from the log. */
  bufferSize?: number;
  /** Events read from the log per replay step. */
  batchSize?: number;
}

interface Watcher {
  readonly prefix: string;
  /** The watch's afterRevision: nothing at or below it is delivered, even if it lies in the future. */
  readonly after: number;
  live: boolean;
  /** Every event under the prefix up to here has been handed to the consumer's side (replay), or is in the buffer (live). */
  position: number;
  buffer: WatchEvent[];
  closed: boolean;
  wantsProgress: boolean;
  wake: (() => void) | undefined;
}

export class LogWatchers {
  readonly #log: WatchableLog;
  readonly #bufferSize: number;
  readonly #batchSize: number;
  readonly #watchers = new Set<Watcher>();

  constructor(log: WatchableLog, options: LogWatchersOptions = {}) {
    this.#log = log;
    this.#bufferSize = options.bufferSize ?? 10_000;
    this.#batchSize = options.batchSize ?? 500;
  }

  get size(): number {
    return this.#watchers.size;
  }

  /** Hand a committed event to every live watcher. Call in revision order, right after the commit. */
  publish(event: WatchEvent): void {
    for (const w of this.#watchers) {
      if (!event.kv.key.startsWith(w.prefix)) {
        // Another prefix moved the store's revision: an idle watcher can report progress.
        if (w.live && w.wantsProgress && w.buffer.length === 0) wakeUp(w);
        continue;
      }
      if (!w.live || event.kv.modRevision <= w.after) continue; // a replaying watcher reads it from the log
      if (w.buffer.length >= this.#bufferSize) {
        w.live = false;
        w.buffer = [];
      } else {
        w.buffer.push(event);
      }
      wakeUp(w);
    }
  }

  /** End every watch (the driver is closing). */
  closeAll(): void {
    for (const w of this.#watchers) {
      w.closed = true;
      wakeUp(w);
    }
    this.#watchers.clear();
  }

  watch(prefix: string, options: WatchOptions): AsyncIterable<WatchEvent> {
    return this.#run(prefix, options);
  }

  async *#run(prefix: string, options: WatchOptions): AsyncGenerator<WatchEvent> {
    const { afterRevision, signal, onProgress } = options;
    if (signal.aborted) return;
    const compacted = this.#log.compacted();
    if (afterRevision < compacted) throw new CompactedError(afterRevision, compacted);
    const w: Watcher = {
      prefix,
      after: afterRevision,
      live: false,
      position: afterRevision,
      buffer: [],
      closed: false,
      wantsProgress: onProgress !== undefined,
      wake: undefined,
    };
    const onAbort = (): void => {
      w.closed = true;
      wakeUp(w);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    this.#watchers.add(w);
    let progressed = afterRevision;
    try {
      while (!w.closed) {
        let batch: WatchEvent[];
        if (!w.live) {
          const compactedNow = this.#log.compacted();
          if (w.position < compactedNow) throw new CompactedError(w.position, compactedNow);
          batch = this.#log.eventsAfter(prefix, w.position, this.#batchSize);
          if (batch.length < this.#batchSize) {
            // Caught up with the head of the log, in this same synchronous step: from now on publish() buffers.
            w.live = true;
            w.position = Math.max(w.after, this.#log.revision());
          } else {
            w.position = batch[batch.length - 1]!.kv.modRevision;
          }
        } else if (w.buffer.length > 0) {
          batch = w.buffer;
          w.buffer = [];
          w.position = batch[batch.length - 1]!.kv.modRevision;
        } else {
          // Idle and live: every event up to the store's revision has been delivered.
          const revision = this.#log.revision();
          if (onProgress && revision > progressed) {
            progressed = revision;
            onProgress(revision);
            continue;
          }
          await new Promise<void>((resolve) => {
            w.wake = resolve;
          });
          continue;
        }
        for (const event of batch) {
          yield event;
          if (w.closed) return;
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#watchers.delete(w);
    }
  }
}

function wakeUp(w: Watcher): void {
  const wake = w.wake;
  w.wake = undefined;
  wake?.();
}
