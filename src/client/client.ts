// A resource-generic client in the shape of client-go's dynamic client: one set of verbs for every resource.
import { TransportError } from './errors.ts';
import type { Query, Transport, WatchEvent } from './transport.ts';

export interface GroupVersionResource {
  /** '' for the core group. */
  group: string;
  version: string;
  /** The plural, lower-case name: 'configmaps', 'deployments'. */
  resource: string;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

/** Any Kubernetes object: the client reads only its metadata. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

export interface ObjectList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  signal?: AbortSignal;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export interface WriteOptions {
  fieldManager?: string;
  dryRun?: 'All';
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
  signal?: AbortSignal;
}

export interface PatchOptions extends WriteOptions {
  /** Server-side apply only: take fields owned by other managers. */
  force?: boolean;
  subresource?: string;
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: 'All';
  signal?: AbortSignal;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export const patchContentTypes: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** The API path of a resource collection, or of one object (and its subresource) when `name` is given. */
export function resourcePath(gvr: GroupVersionResource, namespace?: string, name?: string, subresource?: string): string {
  let path = gvr.group ? `/apis/${gvr.group}/${gvr.version}` : `/api/${gvr.version}`;
  if (namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${gvr.resource}`;
  if (name !== undefined) {
    if (!name) throw new TypeError(`a ${gvr.resource} request needs a name`);
    path += `/${encodeURIComponent(name)}`;
    if (subresource) path += `/${subresource}`;
  }
  return path;
}

function writeQuery(options: WriteOptions | undefined): Query {
  return { fieldManager: options?.fieldManager, dryRun: options?.dryRun, fieldValidation: options?.fieldValidation };
}

function nameOf(obj: KubeObject, verb: string): string {
  const name = obj.metadata?.name;
  if (!name) throw new TypeError(`${verb} needs metadata.name`);
  return name;
}

/**
 * `namespace` is '' (or undefined) for cluster-scoped resources, and for lists and watches across all namespaces.
 * Failures reject with ApiError (a Status from the server) or TransportError.
 */
export class Client {
  constructor(readonly transport: Transport) {}

  async get<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, name: string, options: { signal?: AbortSignal } = {}): Promise<T> {
    return this.#send<T>('GET', resourcePath(gvr, namespace, name), {}, undefined, undefined, options.signal);
  }

  async list<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, options: ListOptions = {}): Promise<ObjectList<T>> {
    const { signal, ...query } = options;
    const list = await this.#send<ObjectList<T>>('GET', resourcePath(gvr, namespace), { ...query }, undefined, undefined, signal);
    list.items ??= [];
    list.metadata ??= {};
    return list;
  }

  async create<T extends KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, obj: T, options?: WriteOptions): Promise<T> {
    return this.#send<T>('POST', resourcePath(gvr, namespace), writeQuery(options), obj, undefined, options?.signal);
  }

  async update<T extends KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, obj: T, options?: WriteOptions): Promise<T> {
    return this.#send<T>('PUT', resourcePath(gvr, namespace, nameOf(obj, 'update')), writeQuery(options), obj, undefined, options?.signal);
  }

  async updateStatus<T extends KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, obj: T, options?: WriteOptions): Promise<T> {
    return this.#send<T>('PUT', resourcePath(gvr, namespace, nameOf(obj, 'updateStatus'), 'status'), writeQuery(options), obj, undefined, options?.signal);
  }

  /** `patch` is sent as JSON unless it is already a string (e.g. YAML for apply). Apply needs `fieldManager`. */
  async patch<T extends KubeObject = KubeObject>(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    options?: PatchOptions,
  ): Promise<T> {
    const query: Query = { ...writeQuery(options), force: options?.force };
    return this.#send<T>('PATCH', resourcePath(gvr, namespace, name, options?.subresource), query, patch, patchContentTypes[type], options?.signal);
  }

  /** Answers the object when its deletion is pending (finalizers, grace period), else a Success Status. */
  async delete(gvr: GroupVersionResource, namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<KubeObject> {
    const { signal, ...rest } = options;
    const body = Object.keys(rest).length ? { kind: 'DeleteOptions', apiVersion: 'v1', ...rest } : undefined;
    return this.#send<KubeObject>('DELETE', resourcePath(gvr, namespace, name), {}, body, undefined, signal);
  }

  /** Events until the server ends the watch or `signal` aborts; a refused watch throws ApiError on first iteration. */
  watch<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, options: WatchOptions, signal: AbortSignal): AsyncIterable<WatchEvent<T>> {
    return this.transport.watch(resourcePath(gvr, namespace), { ...options }, signal) as AsyncIterable<WatchEvent<T>>;
  }

  async #send<T>(method: string, path: string, query: Query, body: unknown, contentType: string | undefined, signal: AbortSignal | undefined): Promise<T> {
    const request: Parameters<Transport['request']>[0] = { method, path, query };
    if (body !== undefined) request.body = body;
    if (contentType) request.contentType = contentType;
    if (signal) request.signal = signal;
    const response = await this.transport.request(request);
    if (typeof response.body !== 'object' || response.body === null) {
      throw new TransportError(`${method} ${path}: the answer (${response.status}) is not a JSON object`);
    }
    return response.body as T;
  }
}
