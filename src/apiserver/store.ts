// The generic resource store: create, get, update, delete of one resource type against storage, with the
// type's strategy (defaults, validation, status handling) and upstream's metadata rules.
import type { Backend } from '../storage/backend.ts';
import { KeyExistsError, KeyNotFoundError, RevisionConflictError } from '../storage/backend.ts';
import type { FieldError, KObject, ResourceType, StrategyContext } from '../api/types.ts';
import { apiVersionOf, objectKey, storagePrefix } from '../api/registry.ts';
import type { CachedObject, ResourceCache } from './watchcache.ts';
import { cachedBuffer, decodeStored } from './watchcache.ts';
import { errors, type StatusError } from './status.ts';
import { clone, deepEqual, generateName, newUID, nowRFC3339 } from './objects.ts';
import { normalizeObject } from '../api/normalize.ts';
import { schemaType } from '../api/schema.ts';
import { updateManagedFields, type ApplySchema } from './apply/index.ts';
import { attributesFor, type Admission, type Attributes, type Operation } from './admission/types.ts';
import { requestUser } from './admission/request.ts';
import { defaultGarbageCollectionPolicy, deletionFinalizers, markAsDeleting } from './propagation.ts';

export interface WriteOptions {
  dryRun?: boolean;
  /** Who is writing, for managedFields: the request's fieldManager or its user agent (managerOrUserAgent). */
  manager?: string;
  /** The object already carries this write's managedFields (server-side apply computed them). */
  managedFieldsDone?: boolean;
}

/** The endpoint written: the object itself, its status, its scale (spec replicas), or a namespace's finalize (spec.finalizers). */
export type Subresource = '' | 'status' | 'scale' | 'finalize';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

export interface StoreContext {
  backend: Backend;
  strategy: StrategyContext;
  /** The namespaces cache. Not read here any more: the NamespaceLifecycle admission plugin checks namespaces. */
  namespaces: () => ResourceCache | undefined;
  /** Admission plugins every write passes (NamespaceLifecycle, LimitRanger, Priority, ResourceQuota …). */
  admission?: Admission;
  /** Called after a Service write lands, to release allocator holds. */
  afterServiceWrite?: (obj: KObject | undefined) => void;
}

const MAX_CONFLICT_RETRIES = 8;

const encoder = new TextEncoder();

/** Stored JSON: apiVersion, kind and metadata first (the watch cache relies on it), no resourceVersion. */
function encodeForStorage(obj: KObject): Uint8Array {
  const { apiVersion, kind, metadata, ...rest } = obj;
  const { resourceVersion: _rv, selfLink: _sl, ...meta } = metadata ?? {};
  return encoder.encode(JSON.stringify({ apiVersion, kind, metadata: meta, ...rest }));
}

export class ResourceStore {
  readonly prefix: string;
  readonly apiVersion: string;
  readonly hasStatus: boolean;
  readonly hasGeneration: boolean;

  constructor(
    readonly type: ResourceType,
    readonly cache: ResourceCache,
    readonly ctx: StoreContext,
  ) {
    this.prefix = storagePrefix(type);
    this.apiVersion = apiVersionOf(type);
    this.hasStatus = type.subresources?.includes('status') ?? false;
    this.hasGeneration = type.hasGeneration ?? this.hasStatus;
    this.#knownSchema = schemaType(type.schemaType) !== undefined;
  }

  /** Built-in kinds have a Go-derived schema (normalisation, managedFields); custom resources bring their own. */
  readonly #knownSchema: boolean;

  key(namespace: string, name: string): string {
    return objectKey(this.type, namespace, name);
  }

  #notFound(name: string): StatusError {
    return errors.notFound(this.type.plural, this.type.group, name);
  }

  async get(namespace: string, name: string): Promise<KObject> {
    const kv = await this.ctx.backend.get(this.key(namespace, name));
    if (!kv) throw this.#notFound(name);
    return this.#withTypeMeta(decodeStored(kv));
  }

  /** A stored object in this resource's version. */
  #withTypeMeta(obj: KObject): KObject {
    const out = this.type.convertFromStorage ? this.type.convertFromStorage(obj) : obj;
    out.apiVersion = this.apiVersion;
    out.kind = this.type.kind;
    return out;
  }

  /** A cached (stored) object as this resource's version shows it. */
  present(c: CachedObject): KObject {
    return this.type.convertFromStorage ? this.#withTypeMeta(clone(c.obj)) : c.obj;
  }

  /** JSON of a cached object in this resource's version (the cache's own bytes when no conversion is needed). */
  presentJson(c: CachedObject): Buffer {
    return this.type.convertFromStorage ? Buffer.from(JSON.stringify(this.present(c))) : cachedBuffer(c);
  }

  /** Record this write in metadata.managedFields (upstream's field manager), unless apply already did. */
  #trackFields(current: KObject | undefined, next: KObject, subresource: Subresource, opts: WriteOptions): KObject {
    const schema = (this.type.applySchema as ApplySchema | undefined) ?? (this.#knownSchema ? this.type.schemaType : undefined);
    if (opts.managedFieldsDone || !schema) return next;
    return updateManagedFields(schema, current, next, {
      manager: opts.manager ?? '',
      apiVersion: this.apiVersion,
      ...(subresource ? { subresource } : {}),
      resetFields: this.resetFields(subresource),
    });
  }

  get #statusWritableMetadata(): ReadonlyArray<'labels' | 'annotations'> {
    return this.type.statusWritableMetadata ?? ['labels', 'annotations'];
  }

  /** Fields a write to this endpoint may not change (upstream's ResetFieldsStrategy): owned by nobody. */
  resetFields(subresource: string): string[][] {
    if (subresource === 'status') {
      const writable = this.#statusWritableMetadata;
      return [['spec'], ...(['labels', 'annotations'] as const).filter((f) => !writable.includes(f)).map((f) => ['metadata', f])];
    }
    return this.hasStatus ? [['status']] : [];
  }

  /** What Go's encoder would leave out (empty omitempty maps, zero scalars, nulls) is left out. */
  #normalize(obj: KObject): void {
    if (this.#knownSchema) normalizeObject(this.type.schemaType, obj);
  }

  #encode(obj: KObject): Uint8Array {
    return encodeForStorage(this.type.convertToStorage ? this.type.convertToStorage(clone(obj)) : obj);
  }

  #invalid(obj: KObject, causes: FieldError[]): StatusError {
    return errors.invalid(this.type.kind, this.type.group, obj.metadata?.name ?? '', causes);
  }

  async create(namespace: string, input: KObject, opts: WriteOptions = {}): Promise<KObject> {
    const obj = clone(input);
    obj.apiVersion = this.apiVersion;
    obj.kind = this.type.kind;
    const meta = (obj.metadata ??= {});
    if (this.type.namespaced) {
      if (meta.namespace && meta.namespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace;
    } else delete meta.namespace;
    if (meta.resourceVersion) throw errors.badRequest('resourceVersion should not be set on objects to be created');
    if (!meta.name && meta.generateName) meta.name = generateName(meta.generateName);
    if (!meta.name) {
      throw this.#invalid(obj, [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'metadata.name: Required value: name or generateName is required' }]);
    }
    meta.uid = newUID();
    meta.creationTimestamp = nowRFC3339();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    if (this.hasGeneration) meta.generation = 1;
    else delete meta.generation;
    this.type.defaults?.(obj);
    obj.metadata = this.#trackFields(undefined, obj, '', opts).metadata!;
    const attrs = this.#attributes('CREATE', namespace, obj, undefined, '', opts);
    await this.ctx.admission?.admit(attrs);
    this.type.prepareForCreate?.(obj, this.ctx.strategy);
    this.#normalize(obj);
    const problems = this.type.validateCreate?.(obj) ?? [];
    if (problems.length) {
      this.ctx.afterServiceWrite?.(obj);
      throw this.#invalid(obj, problems);
    }
    try {
      await this.ctx.admission?.validate(attrs);
    } catch (err) {
      this.ctx.afterServiceWrite?.(obj);
      throw err;
    }
    if (opts.dryRun) {
      this.ctx.afterServiceWrite?.(obj);
      return obj;
    }
    try {
      const rev = await this.ctx.backend.create(this.key(namespace, meta.name), this.#encode(obj));
      obj.metadata.resourceVersion = String(rev);
      return obj;
    } catch (err) {
      if (err instanceof KeyExistsError) throw errors.alreadyExists(this.type.plural, this.type.group, meta.name);
      throw err;
    } finally {
      this.ctx.afterServiceWrite?.(obj);
    }
  }

  /** What admission plugins see of this write. */
  #attributes(operation: Operation, namespace: string, obj: KObject | undefined, old: KObject | undefined, subresource: Subresource, opts: WriteOptions): Attributes {
    const name = operation === 'CREATE' ? '' : (old ?? obj)?.metadata?.name;
    return attributesFor(this.type, operation, { namespace, name, object: obj, oldObject: old, subresource, dryRun: opts.dryRun, user: requestUser() });
  }

  /** Admission for a DELETE (e.g. the system namespaces may not be deleted); call before delete(). */
  async admitDelete(namespace: string, name: string, options: DeleteOptions = {}): Promise<void> {
    const admission = this.ctx.admission;
    if (!admission?.handles('DELETE')) return;
    const old = this.cache.items.get(this.key(namespace, name))?.obj;
    const attrs = attributesFor(this.type, 'DELETE', { namespace, name, oldObject: old, dryRun: options.dryRun?.includes('All'), user: requestUser() });
    await admission.admit(attrs);
    await admission.validate(attrs);
  }

  /**
   * Replace an object (PUT). With a resourceVersion in the body the write is conditional on it;
   * without one it applies to whatever is stored (upstream's unconditional update).
   */
  async update(namespace: string, name: string, input: KObject, subresource: '' | 'status', opts: WriteOptions = {}): Promise<KObject> {
    const wanted = input.metadata?.resourceVersion;
    if (input.metadata?.name && input.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${input.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (this.type.namespaced && input.metadata?.namespace && input.metadata.namespace !== namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const uid = input.metadata?.uid;
    return this.guaranteedUpdate(
      namespace,
      name,
      (current) => {
        // A uid in a PUT is a precondition, as upstream's defaultUpdatedObjectInfo makes it.
        if (uid && uid !== current.metadata?.uid) {
          throw errors.conflict(this.type.plural, this.type.group, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${current.metadata?.uid}`);
        }
        return input;
      },
      { ...opts, subresource, ...(wanted ? { expectedRV: wanted } : {}) },
    );
  }

  /**
   * Read-modify-write with retries on conflict. `mutate` gets the current object (a copy) and returns the
   * desired one; with expectedRV, a mismatch is a 409 Conflict instead of a retry.
   */
  async guaranteedUpdate(
    namespace: string,
    name: string,
    mutate: (current: KObject) => KObject | Promise<KObject>,
    opts: WriteOptions & { subresource?: Subresource; expectedRV?: string } = {},
  ): Promise<KObject> {
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.ctx.backend.get(key);
      if (!kv) throw this.#notFound(name);
      const current = this.#withTypeMeta(decodeStored(kv));
      if (opts.expectedRV !== undefined && opts.expectedRV !== String(kv.modRevision)) throw this.#conflict(name);
      const desired = clone(await mutate(clone(current)));
      const next = await this.#prepareUpdate(namespace, current, desired, opts.subresource ?? '', opts);
      if (deepEqual(stripVolatile(next), stripVolatile(current))) return current;
      if (opts.dryRun) return next;
      try {
        const oldMeta = current.metadata!;
        if (oldMeta.deletionTimestamp && !oldMeta.deletionGracePeriodSeconds && !(next.metadata?.finalizers?.length) && !this.#namespacePending(next)) {
          // The last finalizer is gone from an object being deleted with no grace left: it goes now (upstream's
          // ShouldDeleteDuringUpdate). A pod still in its grace period waits for its node.
          const { revision } = await this.ctx.backend.delete(key, kv.modRevision);
          next.metadata!.resourceVersion = String(revision);
          return next;
        }
        const rev = await this.ctx.backend.update(key, this.#encode(next), kv.modRevision);
        next.metadata!.resourceVersion = String(rev);
        return next;
      } catch (err) {
        if (err instanceof RevisionConflictError || err instanceof KeyNotFoundError) {
          if (opts.expectedRV !== undefined) throw this.#conflict(name);
          if (attempt < MAX_CONFLICT_RETRIES) continue;
          throw this.#conflict(name);
        }
        throw err;
      } finally {
        if (this.type.plural === 'services') this.ctx.afterServiceWrite?.(next);
      }
    }
  }

  #conflict(name: string): StatusError {
    return errors.conflict(this.type.plural, this.type.group, name, 'the object has been modified; please apply your changes to the latest version and try again');
  }

  async #prepareUpdate(namespace: string, current: KObject, desired: KObject, subresource: Subresource, opts: WriteOptions): Promise<KObject> {
    let next: KObject;
    if (subresource === 'status') {
      // The status subresource changes status only (and the managedFields of its writer).
      next = clone(current);
      if (desired['status'] === undefined) delete next['status'];
      else next['status'] = desired['status'];
      if (opts.managedFieldsDone && desired.metadata?.managedFields) next.metadata!.managedFields = desired.metadata.managedFields;
      for (const field of this.#statusWritableMetadata) {
        const value = desired.metadata?.[field];
        if (value === undefined) delete next.metadata![field];
        else next.metadata![field] = value;
      }
    } else if (subresource === 'finalize') {
      // A namespace's /finalize changes spec.finalizers only.
      next = clone(current);
      next['spec'] = { ...(next['spec'] ?? {}), finalizers: desired['spec']?.finalizers ?? [] };
    } else {
      next = desired;
      if (this.hasStatus) {
        if (current['status'] === undefined) delete next['status'];
        else next['status'] = clone(current['status']);
      }
    }
    next.apiVersion = this.apiVersion;
    next.kind = this.type.kind;
    let meta = (next.metadata ??= {});
    const old = current.metadata!;
    meta.name = old.name!;
    if (this.type.namespaced) meta.namespace = namespace;
    else delete meta.namespace;
    // A patch that changes the uid (client-go's adoption patches carry it as a guard) fails as immutable.
    if (meta.uid && meta.uid !== old.uid) {
      throw this.#invalid(next, [{ reason: 'FieldValueInvalid', field: 'metadata.uid', message: `metadata.uid: Invalid value: ${JSON.stringify(meta.uid)}: field is immutable` }]);
    }
    meta.uid = old.uid!;
    meta.creationTimestamp = old.creationTimestamp!;
    if (old.deletionTimestamp) meta.deletionTimestamp = old.deletionTimestamp;
    else delete meta.deletionTimestamp;
    if (old.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
    else delete meta.deletionGracePeriodSeconds;
    delete meta.generateName;
    if (old.generateName) meta.generateName = old.generateName;
    if (old.deletionTimestamp) {
      // Finalizers may be removed from an object being deleted, never added.
      const added = (meta.finalizers ?? []).filter((f) => !(old.finalizers ?? []).includes(f));
      if (added.length) {
        throw this.#invalid(next, [{ reason: 'FieldValueForbidden', field: 'metadata.finalizers', message: `metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}` }]);
      }
    }
    const mainResource = subresource === '' || subresource === 'scale';
    if (mainResource) this.type.defaults?.(next);
    next = this.#trackFields(current, next, subresource, opts);
    const attrs = this.#attributes('UPDATE', namespace, next, current, subresource, opts);
    await this.ctx.admission?.admit(attrs);
    if (mainResource) this.type.prepareForUpdate?.(next, current, this.ctx.strategy);
    this.#normalize(next);
    meta = next.metadata!;
    if (this.hasGeneration) {
      meta.generation = old.generation ?? 1;
      if (mainResource && !deepEqual(specOf(next), specOf(current))) meta.generation += 1;
    } else if (old.generation !== undefined) meta.generation = old.generation;
    else delete meta.generation;
    const problems = this.type.validateUpdate?.(next, current) ?? [];
    if (problems.length) throw this.#invalid(next, problems);
    await this.ctx.admission?.validate(attrs);
    return next;
  }

  /** Delete with upstream's graceful deletion and finalizer rules. Returns the object and whether it is gone. */
  async delete(namespace: string, name: string, options: DeleteOptions = {}): Promise<{ obj: KObject; deleted: boolean }> {
    const key = this.key(namespace, name);
    const dryRun = options.dryRun?.includes('All') ?? false;
    for (let attempt = 0; ; attempt++) {
      const kv = await this.ctx.backend.get(key);
      if (!kv) throw this.#notFound(name);
      const current = this.#withTypeMeta(decodeStored(kv));
      const meta = current.metadata!;
      const pre = options.preconditions;
      if (pre?.uid && pre.uid !== meta.uid) {
        throw errors.conflict(this.type.plural, this.type.group, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion) {
        throw errors.conflict(this.type.plural, this.type.group, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in meta: ${meta.resourceVersion}`);
      }
      const grace = this.#gracePeriod(current, options);
      // A graceful deletion under way that this request does not shorten: nothing changes, finalizers included.
      if (meta.deletionTimestamp && (meta.deletionGracePeriodSeconds ?? 0) > 0 && (meta.deletionGracePeriodSeconds ?? 0) <= grace) return { obj: current, deleted: false };
      // A namespace's own finalizers come first; the garbage collector's are settled once they are done.
      const gc = this.#namespacePending(current) ? undefined : deletionFinalizers(defaultGarbageCollectionPolicy(this.type), meta.finalizers ?? [], options);
      const pendingFinalizers = (gc ? gc.finalizers.length > 0 : (meta.finalizers?.length ?? 0) > 0) || this.#namespacePending(current);
      if (grace > 0 || pendingFinalizers) {
        // Graceful deletion, or finalizers to wait for: mark the object; its finalizers or its node finish the job.
        const next = clone(current);
        const nm = next.metadata!;
        const now = Date.now();
        if (grace > 0) {
          if (!nm.deletionTimestamp || grace < (nm.deletionGracePeriodSeconds ?? Infinity)) {
            nm.deletionTimestamp = nowRFC3339(now + grace * 1000);
            nm.deletionGracePeriodSeconds = grace;
          }
        } else markAsDeleting(nm, now, this.hasGeneration);
        if (gc?.changed) {
          if (gc.finalizers.length) nm.finalizers = gc.finalizers;
          else delete nm.finalizers;
        }
        if (this.type.plural === 'namespaces') next['status'] = { ...(next['status'] ?? {}), phase: 'Terminating' };
        if (deepEqual(next, current)) return { obj: current, deleted: false };
        if (dryRun) return { obj: next, deleted: false };
        try {
          const rev = await this.ctx.backend.update(key, this.#encode(next), kv.modRevision);
          nm.resourceVersion = String(rev);
          return { obj: next, deleted: false };
        } catch (err) {
          if ((err instanceof RevisionConflictError || err instanceof KeyNotFoundError) && attempt < MAX_CONFLICT_RETRIES) continue;
          throw err;
        }
      }
      if (dryRun) return { obj: current, deleted: true };
      try {
        const { revision } = await this.ctx.backend.delete(key, kv.modRevision);
        meta.resourceVersion = String(revision);
        return { obj: current, deleted: true };
      } catch (err) {
        if ((err instanceof RevisionConflictError || err instanceof KeyNotFoundError) && attempt < MAX_CONFLICT_RETRIES) continue;
        throw err;
      }
    }
  }

  /** Namespaces are finalized by the namespace controller through spec.finalizers. */
  #namespacePending(obj: KObject): boolean {
    return this.type.plural === 'namespaces' && ((obj['spec']?.finalizers as string[] | undefined)?.length ?? 0) > 0;
  }

  /** Seconds of grace: only pods have graceful deletion, and only once bound to a node and not finished. */
  #gracePeriod(obj: KObject, options: DeleteOptions): number {
    if (this.type.plural !== 'pods' || this.type.group !== '') return 0;
    const spec = obj['spec'] ?? {};
    const phase = obj['status']?.phase;
    if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
    const g = options.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, g);
  }
}

/** Everything but metadata and status: what a generation counts. */
function specOf(obj: KObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

/** Fields that change on every write and do not make an update meaningful. (A change of ownership alone is meaningful.) */
function stripVolatile(obj: KObject): KObject {
  const { resourceVersion: _rv, ...meta } = obj.metadata ?? {};
  return { ...obj, metadata: meta };
}
