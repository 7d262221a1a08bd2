// What each benchmarked system must do, implemented for skiff (HTTP/2 with the admin certificate) and for etcd
// itself (etcd3 client, keys and values as skiff stores them).
import { CompareResult, CompareTarget, Etcd3 } from 'etcd3';
import { setTimeout as sleep } from 'node:timers/promises';
import { expectStatus, H2Session, H2StatusError, type H2Response, type TlsIdentity } from './h2.ts';
import { configMapBody, podBody, storedConfigMap } from './objects.ts';

export interface ListResult {
  items: number;
  bytes: number;
  /** Time to the response headers, where the protocol shows it. */
  firstByteMs?: number;
}

export interface Watch {
  close(): void;
}

/** One client connection (an HTTP/2 session, or an etcd gRPC channel). */
export interface TargetClient {
  createConfigMap(namespace: string, name: string): Promise<void>;
  getConfigMap(namespace: string, name: string): Promise<void>;
  /** Lists every pod of the namespace (or one page of `limit`); items is counted only when `count` is set. */
  listPods(namespace: string, options: { limit?: number; count?: boolean }): Promise<ListResult>;
  /** Resolves once the watch is established; onAdded gets the name of each created ConfigMap. */
  watchConfigMaps(namespace: string, onAdded: (name: string) => void): Promise<Watch>;
  close(): Promise<void>;
}

export interface Target {
  readonly label: string;
  /**
   * Whether all watches share one connection. etcd clients multiplex watchers on one gRPC stream; one grpc-js client
   * per watcher makes the bench process itself the bottleneck (measured: about 2x fewer events/s, 2x the delay).
   */
  readonly sharedWatchConnection: boolean;
  connect(): Promise<TargetClient>;
}

export class UnexpectedAnswerError extends Error {
  override name = 'UnexpectedAnswerError';
}

// ---- skiff ---------------------------------------------------------------------------------------

export function skiffTarget(label: string, identity: TlsIdentity): Target {
  return { label, sharedWatchConnection: false, connect: async () => new SkiffClient(await H2Session.connect(identity)) };
}

export class SkiffClient implements TargetClient {
  constructor(readonly session: H2Session) {}

  async createConfigMap(namespace: string, name: string): Promise<void> {
    await expectStatus(this.session, 201, 'POST', `/api/v1/namespaces/${namespace}/configmaps`, configMapBody(name));
  }

  async createPod(namespace: string, name: string, index: number): Promise<void> {
    await expectStatus(this.session, 201, 'POST', `/api/v1/namespaces/${namespace}/pods`, podBody(name, index));
  }

  async ensureNamespace(name: string): Promise<void> {
    const body = Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
    const response = await this.session.request('POST', '/api/v1/namespaces', body);
    if (response.status !== 201 && response.status !== 409) throw new H2StatusError('POST /api/v1/namespaces', response.status, response.body.toString('utf8'));
  }

  /**
   * Waits until a (dry-run) create in the namespace is accepted: the server admits content only once the new
   * namespace has reached its watch cache.
   */
  async waitUntilWritable(namespace: string, signal: AbortSignal): Promise<void> {
    const path = `/api/v1/namespaces/${namespace}/configmaps?dryRun=All`;
    let last: H2Response | undefined;
    for (let attempt = 0; attempt < 100; attempt++) {
      signal.throwIfAborted();
      last = await this.session.request('POST', path, configMapBody('probe'));
      if (last.status === 201) return;
      await sleep(50);
    }
    throw new H2StatusError(`POST ${path}`, last?.status ?? 0, last?.body.toString('utf8') ?? '');
  }

  async getConfigMap(namespace: string, name: string): Promise<void> {
    await expectStatus(this.session, 200, 'GET', `/api/v1/namespaces/${namespace}/configmaps/${name}`);
  }

  async listPods(namespace: string, options: { limit?: number; count?: boolean }): Promise<ListResult> {
    const path = `/api/v1/namespaces/${namespace}/pods${options.limit ? `?limit=${options.limit}` : ''}`;
    const { body, headersMs } = await expectStatus(this.session, 200, 'GET', path);
    const items = options.count ? ((JSON.parse(body.toString('utf8')) as { items?: unknown[] }).items?.length ?? 0) : -1;
    return { items, bytes: body.length, firstByteMs: headersMs };
  }

  async listResourceVersion(path: string): Promise<string> {
    const { body } = await expectStatus(this.session, 200, 'GET', path);
    return String((JSON.parse(body.toString('utf8')) as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion ?? '');
  }

  async watchConfigMaps(namespace: string, onAdded: (name: string) => void): Promise<Watch> {
    const rv = await this.listResourceVersion(`/api/v1/namespaces/${namespace}/configmaps?limit=1`);
    const path = `/api/v1/namespaces/${namespace}/configmaps?watch=1&resourceVersion=${rv}`;
    const watch = this.session.stream(path, (line) => {
      const event = JSON.parse(line) as { type?: string; object?: { metadata?: { name?: string } } };
      if (event.type === 'ADDED' && event.object?.metadata?.name) onAdded(event.object.metadata.name);
    });
    const status = await watch.opened;
    if (status !== 200) {
      watch.close();
      throw new UnexpectedAnswerError(`GET ${path} → ${status}`);
    }
    return watch;
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

// ---- etcd direct -------------------------------------------------------------------------------------

/** Keys as skiff's etcd driver writes them. */
export const configMapKey = (namespace: string, name: string): string => `/registry/configmaps/${namespace}/${name}`;
export const podPrefix = (namespace: string): string => `/registry/pods/${namespace}/`;

export function etcdTarget(label: string, endpoint: string): Target {
  return { label, sharedWatchConnection: true, connect: async () => new EtcdClient(endpoint) };
}

export class EtcdClient implements TargetClient {
  readonly client: Etcd3;
  readonly #watchers: { cancel(): Promise<void> }[] = [];

  constructor(endpoint: string) {
    // Lists of 10,000 objects exceed gRPC's default 4 MiB message limit (skiff's driver lifts it the same way).
    this.client = new Etcd3({ hosts: [endpoint], grpcOptions: { 'grpc.max_receive_message_length': -1 } });
  }

  /** Create-if-absent, as the apiserver does: put only when the key's create_revision is 0. */
  async createConfigMap(namespace: string, name: string): Promise<void> {
    const key = Buffer.from(configMapKey(namespace, name));
    const response = await this.client.kv.txn({
      compare: [{ key, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }],
      success: [{ request_put: { key, value: storedConfigMap(namespace, name) } }],
    });
    if (!response.succeeded) throw new UnexpectedAnswerError(`etcd txn create ${key.toString()}: key exists`);
  }

  async getConfigMap(namespace: string, name: string): Promise<void> {
    const response = await this.client.kv.range({ key: Buffer.from(configMapKey(namespace, name)) });
    if (response.kvs.length !== 1) throw new UnexpectedAnswerError(`etcd range ${configMapKey(namespace, name)}: ${response.kvs.length} keys`);
  }

  async listPods(namespace: string, options: { limit?: number; count?: boolean }): Promise<ListResult> {
    const prefix = podPrefix(namespace);
    const response = await this.client.kv.range({ key: Buffer.from(prefix), range_end: Buffer.from(prefixEnd(prefix)), limit: options.limit ?? 0 });
    return { items: response.kvs.length, bytes: response.kvs.reduce((n, kv) => n + kv.key.length + kv.value.length, 0) };
  }

  async watchConfigMaps(namespace: string, onAdded: (name: string) => void): Promise<Watch> {
    const prefix = `/registry/configmaps/${namespace}/`;
    const watcher = await this.client.watch().prefix(prefix).create();
    watcher.on('put', (kv) => {
      if (kv.version === '1') onAdded(kv.key.toString('utf8').slice(prefix.length));
    });
    watcher.on('error', () => {});
    this.#watchers.push(watcher);
    return { close: () => void watcher.cancel().catch(() => {}) };
  }

  async deletePrefix(prefix: string): Promise<void> {
    await this.client.kv.deleteRange({ key: Buffer.from(prefix), range_end: Buffer.from(prefixEnd(prefix)) });
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#watchers.map((w) => w.cancel()));
    this.client.close();
  }
}

/** The end of etcd's key range for an ASCII prefix. */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}
