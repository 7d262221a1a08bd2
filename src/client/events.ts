// An event recorder in the shape of client-go's tools/record: core/v1 Events named `<object>.<hex nanos>`, repeats of
// the same event counted on one object (count, lastTimestamp), similar events with changing messages folded into one
// "(combined from similar events)" event, and a per-object spam filter — so a busy controller does not flood storage.
import type { Client, KubeObject } from './client.ts';
import { isAlreadyExists, isNotFound } from './errors.ts';
import { EVENTS } from './resources.ts';

/** client-go's defaults: more than 10 similar events within 10 minutes are aggregated. */
const AGGREGATE_MAX = 10;
const AGGREGATE_WINDOW_MS = 10 * 60_000;
/** Spam filter: a burst of 25 per object and source, then one more every 5 minutes. */
const SPAM_BURST = 25;
const SPAM_REFILL_MS = 5 * 60_000;
/** Bounds on the correlator's memory (client-go keeps an LRU of 4096). */
const CACHE_MAX = 4096;

export type EventType = 'Normal' | 'Warning';

export interface EventSource {
  component: string;
  host?: string;
}

interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

interface SeenEvent {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
}

interface Similar {
  messages: Set<string>;
  since: number;
}

function referenceTo(obj: KubeObject, fieldPath?: string): ObjectReference {
  const m = obj.metadata ?? {};
  const ref: ObjectReference = { kind: obj.kind ?? '', name: m.name ?? '' };
  if (obj.apiVersion) ref.apiVersion = obj.apiVersion;
  if (m.namespace) ref.namespace = m.namespace;
  if (m.uid) ref.uid = m.uid;
  if (m.resourceVersion) ref.resourceVersion = m.resourceVersion;
  if (fieldPath) ref.fieldPath = fieldPath;
  return ref;
}

function evict<K, V>(map: Map<K, V>): void {
  if (map.size <= CACHE_MAX) return;
  const oldest = map.keys().next();
  if (!oldest.done) map.delete(oldest.value);
}

export interface EventRecorderOptions {
  now?: () => Date;
  onError?: (err: unknown) => void;
}

export class EventRecorder {
  readonly #seen = new Map<string, SeenEvent>();
  readonly #similar = new Map<string, Similar>();
  readonly #tokens = new Map<string, { tokens: number; at: number }>();
  #pending: Promise<void> = Promise.resolve();
  readonly #now: () => Date;

  constructor(
    readonly client: Client,
    readonly source: EventSource,
    readonly options: EventRecorderOptions = {},
  ) {
    this.#now = options.now ?? (() => new Date());
  }

  /** Records an event about `obj`; the write happens in the background (see flush). */
  event(obj: KubeObject, type: EventType, reason: string, message: string, fieldPath?: string): void {
    const ref = referenceTo(obj, fieldPath);
    const now = this.#now();
    if (!this.#allow(ref, now.getTime())) return;
    this.#pending = this.#pending.then(() => this.#record(ref, type, reason, message, now)).catch((err: unknown) => this.options.onError?.(err));
  }

  eventf(obj: KubeObject, type: EventType, reason: string, format: string, ...args: unknown[]): void {
    let i = 0;
    this.event(obj, type, reason, format.replace(/%[vsd]/g, () => String(args[i++])));
  }

  /** Resolves when every event recorded so far has been written (or failed). */
  flush(): Promise<void> {
    return this.#pending;
  }

  #allow(ref: ObjectReference, at: number): boolean {
    const key = [this.source.component, this.source.host ?? '', ref.kind, ref.namespace ?? '', ref.name, ref.uid ?? ''].join('\x00');
    const bucket = this.#tokens.get(key) ?? { tokens: SPAM_BURST, at };
    bucket.tokens = Math.min(SPAM_BURST, bucket.tokens + (at - bucket.at) / SPAM_REFILL_MS);
    bucket.at = at;
    this.#tokens.set(key, bucket);
    evict(this.#tokens);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  async #record(ref: ObjectReference, type: EventType, reason: string, message: string, now: Date): Promise<void> {
    const base = [this.source.component, this.source.host ?? '', ref.kind, ref.namespace ?? '', ref.name, ref.uid ?? '', ref.apiVersion ?? '', type, reason].join('\x00');
    // Aggregation: many different messages for one (object, reason) become a single combined event.
    let similar = this.#similar.get(base);
    if (!similar || now.getTime() - similar.since > AGGREGATE_WINDOW_MS) {
      similar = { messages: new Set(), since: now.getTime() };
      this.#similar.set(base, similar);
      evict(this.#similar);
    }
    similar.messages.add(message);
    let key = `${base}\x00${message}`;
    if (similar.messages.size > AGGREGATE_MAX) {
      message = `(combined from similar events): ${message}`;
      key = `${base}\x00(combined)`;
    }
    const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z');
    const seen = this.#seen.get(key);
    if (seen) {
      try {
        await this.client.patch(EVENTS, seen.namespace, seen.name, 'strategic', { count: seen.count + 1, lastTimestamp: stamp, message });
        seen.count++;
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.#seen.delete(key);
      }
    }
    const namespace = ref.namespace || 'default';
    const name = `${ref.name}.${(BigInt(now.getTime()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000))).toString(16)}`;
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: ref,
      reason,
      message,
      source: { component: this.source.component, ...(this.source.host ? { host: this.source.host } : {}) },
      firstTimestamp: stamp,
      lastTimestamp: stamp,
      count: 1,
      type,
      reportingComponent: this.source.component,
      reportingInstance: this.source.host ?? '',
    };
    try {
      await this.client.create(EVENTS, namespace, event);
    } catch (err) {
      // A namespace being deleted refuses new events; that is not worth a retry.
      if (isAlreadyExists(err) || isNotFound(err) || (err as { code?: number }).code === 403) return;
      throw err;
    }
    this.#seen.set(key, { name, namespace, count: 1, firstTimestamp: stamp });
    evict(this.#seen);
  }
}
