// Test helpers: an in-memory AdmissionObjects and attributes for a write.
import type { KObject } from '../../api/types.ts';
import { StatusError } from '../status.ts';
import type { AdmissionObjects } from './objects.ts';
import type { Attributes, GroupResource, Operation } from './types.ts';

export class MemoryObjects implements AdmissionObjects {
  readonly items = new Map<string, KObject>();
  /** Objects storage has that the cache has not seen yet. */
  readonly liveOnly = new Map<string, KObject>();
  readonly statusWrites: KObject[] = [];
  /** Answer the next status writes with a 409, as if someone else wrote first. */
  conflicts = 0;
  #rv = 1;

  static key(gr: GroupResource, namespace: string, name: string): string {
    return `${gr.group}/${gr.resource}/${namespace}/${name}`;
  }

  put(gr: GroupResource, obj: KObject): KObject {
    const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.#rv) } };
    this.items.set(MemoryObjects.key(gr, obj.metadata?.namespace ?? '', obj.metadata!.name!), stored);
    return stored;
  }

  list(gr: GroupResource, namespace: string): KObject[] {
    const prefix = `${gr.group}/${gr.resource}/${namespace ? namespace + '/' : ''}`;
    return [...this.items].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v);
  }

  get(gr: GroupResource, namespace: string, name: string): KObject | undefined {
    return this.items.get(MemoryObjects.key(gr, namespace, name));
  }

  async getLive(gr: GroupResource, namespace: string, name: string): Promise<KObject | undefined> {
    const key = MemoryObjects.key(gr, namespace, name);
    return this.items.get(key) ?? this.liveOnly.get(key);
  }

  async listLive(gr: GroupResource, namespace: string): Promise<KObject[]> {
    const prefix = `${gr.group}/${gr.resource}/${namespace ? namespace + '/' : ''}`;
    return [...this.items, ...this.liveOnly].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v);
  }

  async updateStatus(gr: GroupResource, obj: KObject): Promise<KObject> {
    const key = MemoryObjects.key(gr, obj.metadata?.namespace ?? '', obj.metadata!.name!);
    const current = this.items.get(key);
    if (!current) throw new StatusError(404, 'NotFound', 'not found');
    if (this.conflicts > 0 || current.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
      this.conflicts = Math.max(0, this.conflicts - 1);
      throw new StatusError(409, 'Conflict', 'the object has been modified');
    }
    this.statusWrites.push(obj);
    return this.put(gr, { ...current, status: obj['status'] });
  }
}

export function attrs(
  resource: string,
  operation: Operation,
  object: KObject | undefined,
  more: Partial<Omit<Attributes, 'resource' | 'operation' | 'object'>> & { group?: string } = {},
): Attributes {
  const { group = '', ...rest } = more;
  const out: Attributes = {
    operation,
    resource: { group, version: 'v1', resource },
    kind: { group, version: 'v1', kind: '' },
    subresource: '',
    namespace: object?.metadata?.namespace ?? '',
    name: operation === 'CREATE' ? '' : (object?.metadata?.name ?? ''),
    dryRun: false,
    ...rest,
  };
  if (object) out.object = object;
  return out;
}

export function pod(name: string, containers: Array<{ name: string; requests?: Record<string, string>; limits?: Record<string, string> }>, spec: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns' },
    spec: {
      ...spec,
      containers: containers.map((c) => ({
        name: c.name,
        image: 'nginx',
        ...(c.requests || c.limits ? { resources: { ...(c.requests ? { requests: c.requests } : {}), ...(c.limits ? { limits: c.limits } : {}) } } : {}),
      })),
    },
  };
}

/** The StatusError a call threw (fails when it did not throw one). */
export async function statusErrorOf(fn: () => unknown): Promise<StatusError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error('expected a StatusError');
}
