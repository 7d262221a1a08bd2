// The etcd driver: keys stored as they are, etcd's mod_revision is the revision. Conditional writes are etcd
// transactions (compare create_revision / mod_revision, then put or delete), so etcd enforces optimistic concurrency.
import { CompareResult, CompareTarget, Etcd3, type IRangeRequest, type IRangeResponse, type ITxnRequest, type ITxnResponse } from 'etcd3';
import type { Backend, KeyValue, ListOptions, ListResult, WatchEvent, WatchOptions } from './backend.ts';
import { CompactedError, FutureRevisionError, KeyExistsError, KeyNotFoundError, RevisionConflictError, StorageError } from './backend.ts';
import { toKeyValue, watchEtcd } from './etcd-watch.ts';
import { prefixEndBytes, rangeStart } from './keys.ts';

export interface EtcdBackendOptions {
  /** Events queued per watch before its stream is paused. */
  watchBufferSize?: number;
  /** Deadline for each unary call. */
  callTimeoutMs?: number;
}

/** A key no Skiff object uses, for cheap reads of the store's header. */
const probeKey = Buffer.from([0]);

export class EtcdBackend implements Backend {
  readonly name = 'etcd';
  readonly #client: Etcd3;
  readonly #watchBufferSize: number;
  readonly #closers = new Set<() => void>();
  #compacted = 0;
  #closed = false;

  /** endpoints: "http://host:port" or "host:port". */
  constructor(endpoints: string[], options: EtcdBackendOptions = {}) {
    if (endpoints.length === 0) throw new StorageError('etcd: no endpoints given');
    const callTimeoutMs = options.callTimeoutMs ?? 30_000;
    this.#watchBufferSize = options.watchBufferSize ?? 10_000;
    this.#client = new Etcd3({
      hosts: endpoints,
      // A watch response can carry up to 1000 revisions of objects.
      grpcOptions: { 'grpc.max_receive_message_length': -1 },
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    });
  }

  /** Checks that etcd answers and learns how far it has been compacted. */
  async start(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    await this.currentRevision();
    this.#compacted = Math.max(this.#compacted, await this.#probeCompacted());
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const response = await this.#range({ key: Buffer.from(key) });
    const kv = response.kvs[0];
    return kv && toKeyValue(kv);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    const requested = options.revision || 0;
    if (requested && requested < this.#compacted) throw new CompactedError(requested, this.#compacted);
    const start = rangeStart(prefix, options.startKey);
    const { key, rangeEnd } = range(prefix, start);
    const limit = options.limit && options.limit > 0 ? options.limit : 0;
    const response = await this.#range({ key, range_end: rangeEnd, revision: requested, limit });
    const items = response.kvs.map(toKeyValue);
    return {
      items,
      revision: requested || Number(response.header.revision),
      more: response.more,
      remaining: Number(response.count) - items.length,
    };
  }

  async count(prefix: string): Promise<number> {
    const { key, rangeEnd } = range(prefix, prefix);
    return Number((await this.#range({ key, range_end: rangeEnd, count_only: true })).count);
  }

  async create(key: string, value: Uint8Array): Promise<number> {
    const k = Buffer.from(key);
    const response = await this.#txn({
      compare: [{ key: k, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }],
      success: [{ request_put: { key: k, value: bytes(value) } }],
    });
    if (!response.succeeded) throw new KeyExistsError(key);
    return Number(response.header.revision);
  }

  async update(key: string, value: Uint8Array, expectedRevision: number): Promise<number> {
    const k = Buffer.from(key);
    const response = await this.#txn({
      compare: expect(k, expectedRevision),
      success: [{ request_put: { key: k, value: bytes(value) } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!response.succeeded) throw conflict(key, expectedRevision, response);
    return Number(response.header.revision);
  }

  async delete(key: string, expectedRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    const k = Buffer.from(key);
    const response = await this.#txn({
      compare: expectedRevision === undefined ? [] : expect(k, expectedRevision),
      success: [{ request_delete_range: { key: k, prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!response.succeeded) throw conflict(key, expectedRevision ?? 0, response);
    const prev = response.responses[0]?.response_delete_range.prev_kvs[0];
    if (!prev) throw new KeyNotFoundError(key);
    return { revision: Number(response.header.revision), prev: toKeyValue(prev) };
  }

  watch(prefix: string, options: WatchOptions): AsyncIterable<WatchEvent> {
    this.#checkOpen();
    return watchEtcd(
      {
        client: this.#client,
        compacted: () => this.#compacted,
        learnCompacted: (revision) => {
          this.#compacted = Math.max(this.#compacted, revision);
        },
        onClose: (end) => {
          this.#closers.add(end);
          return () => this.#closers.delete(end);
        },
        bufferSize: this.#watchBufferSize,
      },
      prefix,
      options,
    );
  }

  async currentRevision(): Promise<number> {
    return Number((await this.#range({ key: probeKey, count_only: true })).header.revision);
  }

  async compactedRevision(): Promise<number> {
    return this.#compacted;
  }

  async compact(revision: number): Promise<void> {
    this.#checkOpen();
    if (revision <= this.#compacted) return;
    try {
      await this.#client.kv.compact({ revision });
    } catch (err) {
      if (isCompacted(err)) {
        this.#compacted = Math.max(this.#compacted, await this.#probeCompacted());
        return;
      }
      if (isFutureRevision(err)) throw new FutureRevisionError(revision, await this.currentRevision(), { cause: err });
      throw storageError('compact', err);
    }
    this.#compacted = Math.max(this.#compacted, revision);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const end of [...this.#closers]) end();
    this.#client.close();
  }

  #checkOpen(): void {
    if (this.#closed) throw new StorageError('etcd backend is closed');
  }

  async #range(request: IRangeRequest): Promise<IRangeResponse> {
    this.#checkOpen();
    try {
      return await this.#client.kv.range(request);
    } catch (err) {
      const requested = Number(request.revision ?? 0);
      if (isCompacted(err)) {
        this.#compacted = Math.max(this.#compacted, await this.#probeCompacted());
        throw new CompactedError(requested, this.#compacted, { cause: err });
      }
      if (isFutureRevision(err)) throw new FutureRevisionError(requested, await this.currentRevision(), { cause: err });
      throw storageError('range', err);
    }
  }

  async #txn(request: ITxnRequest): Promise<ITxnResponse> {
    this.#checkOpen();
    try {
      return await this.#client.kv.txn(request);
    } catch (err) {
      throw storageError('txn', err);
    }
  }

  /**
   * etcd does not report its compacted revision directly. A read at revision 1 fails once anything was compacted;
   * then a watch from revision 1 is answered with the exact compacted revision.
   */
  async #probeCompacted(): Promise<number> {
    try {
      await this.#client.kv.range({ key: probeKey, count_only: true, revision: 1 });
      return 0;
    } catch (err) {
      if (!isCompacted(err)) throw storageError('range', err);
    }
    const signal = AbortSignal.timeout(10_000);
    try {
      for await (const _ of watchEtcd(
        { client: this.#client, compacted: () => 0, learnCompacted: () => {}, onClose: () => () => {}, bufferSize: 1 },
        '\0',
        { afterRevision: 0, signal },
      )) {
        break;
      }
    } catch (err) {
      if (err instanceof CompactedError) return err.compacted;
      throw err;
    }
    throw new StorageError('etcd: could not learn the compacted revision');
  }
}

/** etcd range for a prefix, starting at `start`; an empty prefix means every key. */
function range(prefix: string, start: string): { key: Buffer; rangeEnd: Buffer } {
  const key = start === '' ? Buffer.from([0]) : Buffer.from(start);
  return { key, rangeEnd: prefixEndBytes(Buffer.from(prefix)) };
}

/** The key exists and was last written at `revision`. */
function expect(key: Buffer, revision: number): ITxnRequest['compare'] & object {
  return [
    { key, target: CompareTarget.Create, result: CompareResult.Greater, create_revision: 0 },
    { key, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: revision },
  ];
}

/** Why a conditional write's comparison failed: the key is gone, or it changed. */
function conflict(key: string, expected: number, response: ITxnResponse): StorageError {
  const current = response.responses[0]?.response_range.kvs[0];
  if (!current) return new KeyNotFoundError(key);
  return new RevisionConflictError(key, expected, Number(current.mod_revision));
}

function bytes(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function isCompacted(err: unknown): boolean {
  return err instanceof Error && err.message.includes('required revision has been compacted');
}

function isFutureRevision(err: unknown): boolean {
  return err instanceof Error && err.message.includes('required revision is a future revision');
}

function storageError(operation: string, err: unknown): StorageError {
  const message = err instanceof Error ? err.message : String(err);
  return new StorageError(`etcd ${operation}: ${message}`, { cause: err });
}
