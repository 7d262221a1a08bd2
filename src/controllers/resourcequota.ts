// The resourcequota controller: every ResourceQuota's status.hard mirrors its spec.hard and status.used is what its
// namespace really uses, recomputed when a quota changes, when tracked objects go away or stop counting (a pod that
// finished), and every few minutes. Admission charges new objects as they come; this is where usage goes back down.
import type { Client, KubeObject } from '../client/client.ts';
import { isConflict, isNotFound } from '../client/errors.ts';
import { objectKey, type Informer } from '../client/informer.ts';
import type { InformerFactory } from '../client/factory.ts';
import { abortableSleep } from '../client/sleep.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import type { KObject } from '../api/types.ts';
import type { Logger } from '../log.ts';
import { calculateUsage, EvaluatorRegistry, podCountsAgainstQuota } from '../apiserver/admission/quota.ts';
import type { GroupResource } from '../apiserver/admission/types.ts';
import { equals, mask, resourceList, resourceListToJson } from '../apiserver/admission/resources.ts';
import type { Controller, ControllerContext } from './controller.ts';
import { RESOURCE_QUOTAS } from '../client/resources.ts';

/** upstream's --resource-quota-sync-period default. */
export const RESYNC_PERIOD_MS = 5 * 60_000;
const FIELD_MANAGER = 'kube-controller-manager';

type Obj = Record<string, any>;
const grKey = (gr: GroupResource) => `${gr.group}/${gr.resource}`;

/** Did an update change what the object costs in a way admission does not charge (upstream's replenishment checks)? */
function needsRecount(gr: GroupResource, old: KObject, cur: KObject): boolean {
  if (gr.group !== '') return false;
  if (gr.resource === 'pods') return podCountsAgainstQuota(old) && !podCountsAgainstQuota(cur);
  if (gr.resource === 'services') {
    const billed = (svc: KObject) => (['NodePort', 'LoadBalancer'].includes(svc['spec']?.type) ? svc['spec'].type : '');
    return billed(old) !== billed(cur);
  }
  if (gr.resource === 'persistentvolumeclaims') return JSON.stringify(old['status']?.allocatedResources?.storage) !== JSON.stringify(cur['status']?.allocatedResources?.storage);
  return false;
}

export class ResourceQuotaController implements Controller {
  readonly #queue = new WorkQueue<string>();
  readonly #quotas: Informer;
  readonly #registry = new EvaluatorRegistry();
  /** Informers of the resources quotas count, by group/resource: started when a quota first needs one. */
  readonly #tracked = new Map<string, Informer>();
  readonly #versions = new Map<string, string>();
  readonly #informers: InformerFactory;
  readonly client: Client;
  readonly logger: Logger;

  constructor(
    ctx: ControllerContext,
    readonly resyncPeriodMs = RESYNC_PERIOD_MS,
  ) {
    this.client = ctx.client;
    this.logger = ctx.logger('resourcequota-controller');
    this.#informers = ctx.informers;
    this.#quotas = ctx.informers.informer(RESOURCE_QUOTAS);
    const enqueue = (q: KubeObject) => this.#queue.add(objectKey(q));
    this.#quotas.addEventHandler({
      onAdd: enqueue,
      // Only spec changes (or a status someone else rewrote) need a recount.
      onUpdate: (old, cur) => {
        if (JSON.stringify((old as Obj)['spec']) !== JSON.stringify((cur as Obj)['spec']) || !this.#statusCurrent(cur as KObject)) enqueue(cur);
      },
    });
  }

  /** Whether status.hard is spec.hard and every hard resource has a usage. */
  #statusCurrent(q: KObject): boolean {
    const hard = resourceList(q['spec']?.hard);
    const used = resourceList(q['status']?.used);
    return equals(hard, resourceList(q['status']?.hard)) && [...hard.keys()].every((k) => used.has(k));
  }

  #track(gr: GroupResource, version: string): Informer {
    let inf = this.#tracked.get(grKey(gr));
    if (inf) return inf;
    inf = this.#informers.informer({ group: gr.group, version, resource: gr.resource });
    const replenish = (obj: KubeObject) => this.#replenish(gr, obj.metadata?.namespace ?? '');
    inf.addEventHandler({
      onUpdate: (old, cur) => {
        if (needsRecount(gr, old as KObject, cur as KObject)) replenish(cur);
      },
      onDelete: replenish,
    });
    this.#tracked.set(grKey(gr), inf);
    return inf;
  }

  /** Recount the namespace's quotas that track the resource. */
  #replenish(gr: GroupResource, namespace: string): void {
    if (!namespace) return;
    const e = this.#registry.get(gr);
    if (!e) return;
    for (const q of this.#quotas.lister.list((o) => o.metadata?.namespace === namespace)) {
      const hard = Object.keys((q as Obj)['status']?.hard ?? {});
      if (e.matchingResources(hard).length) this.#queue.add(objectKey(q));
    }
  }

  async start(signal: AbortSignal): Promise<void> {
    await this.#quotas.waitForSync(signal);
    await Promise.all([
      runWorkers(this.#queue, 2, (key) => this.sync(key, signal), signal, { onError: (key, err) => this.logger.warn('resource quota sync failed', { quota: key, error: err }) }),
      this.#resyncLoop(signal),
    ]);
  }

  async #resyncLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await abortableSleep(this.resyncPeriodMs, signal);
      } catch {
        return;
      }
      for (const q of this.#quotas.lister.list()) this.#queue.add(objectKey(q));
    }
  }

  async sync(key: string, signal: AbortSignal): Promise<void> {
    const quota = this.#quotas.lister.get(key) as KObject | undefined;
    if (!quota) return;
    const namespace = quota.metadata!.namespace!;
    const hard = resourceList(quota['spec']?.hard);
    const counted = await calculateUsage(quota, hard, this.#registry, (gr) => this.#objectsOf(gr, namespace, signal));
    // Resources nothing counts keep what they had; only hard resources are reported.
    const used = mask(new Map([...resourceList(quota['status']?.used), ...counted]), hard.keys());
    if (equals(hard, resourceList(quota['status']?.hard)) && equals(used, resourceList(quota['status']?.used))) return;
    const next: KObject = { ...quota, status: { hard: quota['spec']?.hard ?? {}, used: resourceListToJson(used) } };
    try {
      await this.client.updateStatus(RESOURCE_QUOTAS, namespace, next, { fieldManager: FIELD_MANAGER });
    } catch (err) {
      // Admission charged it meanwhile, or it went: the informer brings the new state and the key back.
      if (isNotFound(err)) return;
      if (isConflict(err)) {
        this.#queue.addAfter(key, 100);
        return;
      }
      throw err;
    }
  }

  /** The namespace's objects of a resource, from its informer. */
  async #objectsOf(gr: GroupResource, namespace: string, signal: AbortSignal): Promise<KObject[]> {
    let inf = this.#tracked.get(grKey(gr));
    if (!inf) {
      const version = await this.#servedVersion(gr);
      if (!version) return [];
      inf = this.#track(gr, version);
    }
    await inf.waitForSync(signal);
    return inf.lister.list((o) => o.metadata?.namespace === namespace) as KObject[];
  }

  /** The preferred version a resource is served at (from discovery); undefined when it is not served. */
  async #servedVersion(gr: GroupResource): Promise<string | undefined> {
    const key = grKey(gr);
    if (this.#versions.has(key)) return this.#versions.get(key);
    try {
      let version = 'v1';
      if (gr.group) {
        const group = await this.client.transport.request({ method: 'GET', path: `/apis/${gr.group}` });
        version = ((group.body as Obj)['preferredVersion']?.version as string | undefined) ?? '';
      }
      const list = await this.client.transport.request({ method: 'GET', path: gr.group ? `/apis/${gr.group}/${version}` : '/api/v1' });
      const served = ((list.body as Obj)['resources'] as Obj[] | undefined)?.some((r) => r['name'] === gr.resource && (r['verbs'] as string[] | undefined)?.includes('list'));
      if (!served) return undefined;
      this.#versions.set(key, version);
      return version;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}

