// One etcd watch stream per Skiff watch, from afterRevision+1 with previous values. Responses are queued in order;
// when the consumer lags, the gRPC stream is paused (HTTP/2 flow control pushes back on etcd, which keeps the watcher
// "unsynced" and catches it up later) instead of growing the queue. A broken stream is re-opened from the last
// revision seen, a few times, before the watch fails.
import type { Etcd3, IEvent, IKeyValue, IWatchRequest, IWatchResponse } from 'etcd3';
import type { KeyValue, WatchEvent, WatchOptions } from './backend.ts';
import { CompactedError, StorageError } from './backend.ts';
import { prefixEndBytes } from './keys.ts';

export interface EtcdWatchContext {
  client: Etcd3;
  /** The compacted revision known to the backend. */
  compacted(): number;
  /** etcd told us about a compaction. */
  learnCompacted(revision: number): void;
  /** Registers a function that ends the watch when the backend closes; returns its removal. */
  onClose(end: () => void): () => void;
  /** Events queued before the stream is paused. */
  bufferSize: number;
}

interface Stream {
  on(event: 'data', fn: (response: IWatchResponse) => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  on(event: 'end', fn: () => void): unknown;
  write(request: IWatchRequest): void;
  end(): void;
  cancel(): void;
  pause(): void;
  resume(): void;
}

const maxReconnects = 5;
const empty = Buffer.alloc(0);

export async function* watchEtcd(context: EtcdWatchContext, prefix: string, options: WatchOptions): AsyncGenerator<WatchEvent> {
  const { afterRevision, signal, onProgress } = options;
  if (signal.aborted) return;
  const known = context.compacted();
  if (afterRevision < known) throw new CompactedError(afterRevision, known);

  const key = prefix === '' ? Buffer.from([0]) : Buffer.from(prefix);
  const rangeEnd = prefixEndBytes(Buffer.from(prefix));
  /** Every event up to here is queued or delivered; a re-opened stream starts after it. */
  let position = afterRevision;
  /** Events, and progress revisions (numbers), in stream order. */
  let queue: (WatchEvent | number)[] = [];
  let head = 0;
  let failure: Error | undefined;
  let closed = false;
  let stream: Stream | undefined;
  let paused = false;
  let reconnects = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (err: Error): void => {
    failure ??= err;
    closeStream();
    notify();
  };
  const closeStream = (): void => {
    const s = stream;
    stream = undefined;
    if (!s) return;
    // end() first: etcd3 only marks the host failed for errors on streams still writable.
    s.end();
    s.cancel();
  };

  const handle = (response: IWatchResponse): void => {
    const compactRevision = Number(response.compact_revision);
    if (compactRevision > 0) {
      context.learnCompacted(compactRevision);
      return fail(new CompactedError(position, compactRevision));
    }
    if (response.canceled) return fail(new StorageError(`etcd canceled the watch on ${prefix}: ${response.cancel_reason || 'no reason given'}`));
    if (response.created) return;
    reconnects = 0;
    if (response.events.length === 0) {
      // A progress notification: etcd sends it only when nothing up to this revision is pending for the watch.
      const revision = Number(response.header.revision);
      if (revision > position) {
        position = revision;
        queue.push(revision);
      }
    } else {
      for (const event of response.events) {
        const mapped = toEvent(event);
        position = mapped.kv.modRevision;
        queue.push(mapped);
      }
    }
    if (!paused && queue.length - head >= context.bufferSize) {
      paused = true;
      stream?.pause();
    }
    notify();
  };

  const open = async (): Promise<void> => {
    reconnectTimer = undefined;
    if (closed || failure) return;
    let s: Stream;
    try {
      s = (await context.client.watchClient.watch()) as unknown as Stream;
    } catch (err) {
      return broken(err);
    }
    if (closed || failure) {
      s.end();
      s.cancel();
      return;
    }
    stream = s;
    paused = false;
    s.on('data', (response) => s === stream && handle(response));
    s.on('error', (err) => s === stream && broken(err));
    s.on('end', () => s === stream && broken(new StorageError('etcd ended the watch stream')));
    s.write({
      create_request: { key, range_end: rangeEnd, start_revision: position + 1, prev_kv: true, progress_notify: true },
    });
  };

  const broken = (err: unknown): void => {
    if (closed || failure) return;
    closeStream();
    if (++reconnects > maxReconnects) {
      return fail(new StorageError(`etcd watch on ${prefix} failed ${maxReconnects} times`, { cause: err }));
    }
    reconnectTimer = setTimeout(() => void open(), Math.min(100 * 2 ** reconnects, 2000));
  };

  const end = (): void => {
    closed = true;
    clearTimeout(reconnectTimer);
    closeStream();
    notify();
  };
  signal.addEventListener('abort', end, { once: true });
  const removeCloser = context.onClose(end);
  try {
    await open();
    while (!closed) {
      if (head < queue.length) {
        const item = queue[head++]!;
        if (head > 1024 && head * 2 > queue.length) {
          queue = queue.slice(head);
          head = 0;
        }
        if (paused && stream && queue.length - head < context.bufferSize / 2) {
          paused = false;
          stream.resume();
        }
        if (typeof item === 'number') onProgress?.(item);
        else yield item;
        continue;
      }
      if (failure) throw failure;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    signal.removeEventListener('abort', end);
    removeCloser();
    end();
  }
}

export function toKeyValue(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value,
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
  };
}

function toEvent(event: IEvent): WatchEvent {
  const prev = event.prev_kv ? toKeyValue(event.prev_kv) : undefined;
  const key = event.kv.key.toString('utf8');
  const modRevision = Number(event.kv.mod_revision);
  if (event.type === 'Delete') {
    // etcd's delete event carries only the key and revision; the value and incarnation come from prev_kv.
    const kv = { key, value: prev?.value ?? empty, createRevision: prev?.createRevision ?? 0, modRevision };
    return prev ? { type: 'delete', kv, prev } : { type: 'delete', kv };
  }
  const kv = toKeyValue(event.kv);
  if (kv.createRevision === kv.modRevision) return { type: 'create', kv };
  return prev ? { type: 'update', kv, prev } : { type: 'update', kv };
}
