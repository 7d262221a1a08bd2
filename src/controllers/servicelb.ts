// The built-in service load balancer, as k3s's servicelb: a LoadBalancer Service without a loadBalancerClass gets the
// addresses of the Ready nodes that run real pods as its ingress, and the node agents' proxies answer on them (the
// Service's ports on every node address). As with k3s, one address+port can serve one Service: a Service asking for a
// port an older LoadBalancer Service holds stays pending until that port is free.
import type { Node, Service, ServiceStatus } from 'kubernetes-types/core/v1.d.ts';
import type { Client, KubeObject } from '../client/client.ts';
import { isConflict, isNotFound } from '../client/errors.ts';
import type { EventRecorder } from '../client/events.ts';
import type { Informer } from '../client/informer.ts';
import { objectKey, splitKey } from '../client/informer.ts';
import { NODES, SERVICES } from '../client/resources.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import type { Logger } from '../log.ts';
import type { Controller, ControllerContext } from './controller.ts';

const FIELD_MANAGER = 'service-lb-controller';

const isOurs = (svc: Service) => svc.spec?.type === 'LoadBalancer' && !svc.spec.loadBalancerClass;

/** Nodes that can carry traffic: Ready, schedulable, and running real pods (simulated nodes have no addresses of their own). */
export function nodeIngressIPs(nodes: readonly Node[]): string[] {
  const ips = new Set<string>();
  for (const node of nodes) {
    if (node.spec?.unschedulable || node.metadata?.deletionTimestamp) continue;
    if (node.status?.nodeInfo?.containerRuntimeVersion?.startsWith('simulated://')) continue;
    if (node.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') continue;
    const addresses = node.status?.addresses ?? [];
    // k3s prefers a node's ExternalIP, then its InternalIP.
    const ip = addresses.find((a) => a.type === 'ExternalIP')?.address ?? addresses.find((a) => a.type === 'InternalIP')?.address;
    if (ip) ips.add(ip);
  }
  return [...ips].sort();
}

const portKeys = (svc: Service) => (svc.spec?.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`);
const olderFirst = (a: Service, b: Service) =>
  (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? '') || objectKey(a as KubeObject).localeCompare(objectKey(b as KubeObject));

/** The first port of `svc` an older LoadBalancer Service already holds, with that Service's key. */
export function portConflict(svc: Service, all: readonly Service[]): { port: string; holder: string } | undefined {
  const mine = new Set(portKeys(svc));
  for (const other of [...all].filter(isOurs).sort(olderFirst)) {
    if (other.metadata?.uid === svc.metadata?.uid) return undefined;
    const taken = portKeys(other).find((k) => mine.has(k));
    if (taken) return { port: taken, holder: objectKey(other as KubeObject) };
  }
  return undefined;
}

function sameIngress(status: ServiceStatus | undefined, ips: readonly string[]): boolean {
  const current = status?.loadBalancer?.ingress ?? [];
  return current.length === ips.length && current.every((i, n) => i.ip === ips[n] && i.ipMode === 'VIP' && !i.hostname && !i.ports);
}

export class ServiceLBController implements Controller {
  readonly #queue = new WorkQueue<string>();
  readonly #services: Informer;
  readonly #nodes: Informer;
  readonly #client: Client;
  readonly #recorder: EventRecorder;
  readonly #log: Logger;
  /** Services told about a port conflict, so the warning is not repeated on every resync. */
  readonly #warned = new Set<string>();

  constructor(ctx: ControllerContext) {
    this.#client = ctx.client;
    this.#recorder = ctx.recorder('service-lb-controller');
    this.#log = ctx.logger('service-lb-controller');
    this.#services = ctx.informers.informer(SERVICES);
    this.#nodes = ctx.informers.informer(NODES);
    const enqueue = (svc: KubeObject) => this.#queue.add(objectKey(svc));
    // Any LoadBalancer Service change can free or take a port another one waits for.
    const enqueueAll = () => {
      for (const svc of this.#services.lister.list() as Service[]) if (isOurs(svc) || svc.status?.loadBalancer?.ingress?.length) this.#queue.add(objectKey(svc as KubeObject));
    };
    this.#services.addEventHandler({
      onAdd: enqueue,
      onUpdate: (old, svc) => {
        enqueue(svc);
        if (isOurs(old as Service) || isOurs(svc as Service)) enqueueAll();
      },
      onDelete: (svc) => {
        if (isOurs(svc as Service)) enqueueAll();
      },
    });
    this.#nodes.addEventHandler({ onAdd: enqueueAll, onUpdate: (old, node) => nodeMatters(old as Node, node as Node) && enqueueAll(), onDelete: enqueueAll });
  }

  async start(signal: AbortSignal): Promise<void> {
    await Promise.all([this.#services.waitForSync(signal), this.#nodes.waitForSync(signal)]);
    await runWorkers(this.#queue, 1, (key) => this.sync(key), signal, { onError: (key, err) => this.#log.warn('service load balancer sync failed', { service: key, error: err }) });
  }

  async sync(key: string): Promise<void> {
    const svc = this.#services.lister.get(key) as Service | undefined;
    if (!svc || svc.metadata?.deletionTimestamp) return;
    let ips: string[] = [];
    if (isOurs(svc)) {
      const conflict = portConflict(svc, this.#services.lister.list() as Service[]);
      if (conflict) {
        if (svc.status?.loadBalancer?.ingress?.length || !this.#warned.has(key)) {
          this.#recorder.event(svc as KubeObject, 'Warning', 'SyncLoadBalancerFailed', `port ${conflict.port} is in use by the LoadBalancer Service ${conflict.holder}`);
          this.#warned.add(key);
        }
      } else {
        this.#warned.delete(key);
        ips = nodeIngressIPs(this.#nodes.lister.list() as Node[]);
      }
    } else if (!svc.status?.loadBalancer?.ingress?.length || svc.spec?.type === 'LoadBalancer') {
      return; // Not ours: another load balancer's, or nothing to clear.
    }
    if (sameIngress(svc.status, ips)) return;
    const [namespace] = splitKey(key);
    const status: ServiceStatus = { ...svc.status, loadBalancer: ips.length ? { ingress: ips.map((ip) => ({ ip, ipMode: 'VIP' })) } : {} };
    try {
      await this.#client.updateStatus(SERVICES, namespace, { ...(svc as KubeObject), status } as KubeObject, { fieldManager: FIELD_MANAGER });
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) return this.#queue.addRateLimited(key);
      throw err;
    }
    if (ips.length) this.#recorder.event(svc as KubeObject, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer');
  }
}

/** A node's change matters when it can change the ingress addresses. */
function nodeMatters(old: Node, node: Node): boolean {
  const ready = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  const addrs = (n: Node) => JSON.stringify(n.status?.addresses ?? []);
  return ready(old) !== ready(node) || addrs(old) !== addrs(node) || Boolean(old.spec?.unschedulable) !== Boolean(node.spec?.unschedulable);
}
