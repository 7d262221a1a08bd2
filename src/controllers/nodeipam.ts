// The node IPAM controller (upstream 'node-ipam', RangeAllocator): every Node gets spec.podCIDR(s) out of
// --cluster-cidr, one /--node-cidr-mask-size subnet per family. Subnets already on Nodes are read first, so a restart
// never hands one out twice; the Service range is never given; a deleted Node's subnet goes back to the pool.
import type { Node } from 'kubernetes-types/core/v1.d.ts';
import type { Client } from '../client/client.ts';
import { isInvalid, isNotFound } from '../client/errors.ts';
import type { EventRecorder } from '../client/events.ts';
import type { Informer } from '../client/informer.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import type { Logger } from '../log.ts';
import type { Controller, ControllerContext } from './controller.ts';
import { CIDRRangeFullError, CIDRSet } from './nodeipam-cidrset.ts';
import { NODES, recordNodeStatusChange } from './nodelifecycle-util.ts';

/** upstream's --node-cidr-mask-size-ipv6 default. */
const DEFAULT_IPV6_MASK = 64;

const podCIDRsOf = (node: Node): string[] => (node.spec?.podCIDRs?.length ? node.spec.podCIDRs : node.spec?.podCIDR ? [node.spec.podCIDR] : []);

export class NodeIPAMController implements Controller {
  readonly client: Client;
  readonly logger: Logger;
  readonly #recorder: EventRecorder;
  readonly #nodes: Informer;
  readonly #sets: CIDRSet[];
  readonly #queue = new WorkQueue<string>();
  /** What this controller patched onto a node, until the informer shows it there. */
  readonly #assigned = new Map<string, string[]>();
  #occupiedExisting = false;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.logger = ctx.logger('node-ipam-controller');
    this.#recorder = ctx.recorder('cidrAllocator');
    this.#sets = ctx.config.clusterCIDR
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean)
      .map((cidr) => {
        const v6 = cidr.includes(':');
        const mask = v6 ? (ctx.config.nodeCIDRMaskSize > DEFAULT_IPV6_MASK ? ctx.config.nodeCIDRMaskSize : DEFAULT_IPV6_MASK) : ctx.config.nodeCIDRMaskSize;
        return new CIDRSet(cidr, mask);
      });
    // Service ClusterIPs must never be pod addresses.
    for (const svc of (ctx.config.serviceCIDR ?? '').split(',').map((c) => c.trim()).filter(Boolean)) {
      for (const set of this.#sets) if (set.family === (svc.includes(':') ? 6 : 4)) set.occupy(svc);
    }
    this.#nodes = ctx.informers.informer(NODES);
    this.#nodes.addEventHandler({
      onAdd: (n) => this.#queue.add(n.metadata!.name!),
      onUpdate: (_o, n) => {
        if (!podCIDRsOf(n as Node).length) this.#queue.add(n.metadata!.name!);
        else this.#assigned.delete(n.metadata!.name!);
      },
      onDelete: (n) => this.#released(n as Node),
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    await this.#nodes.waitForSync(signal);
    this.#occupyExisting();
    await runWorkers(this.#queue, 4, (name) => this.sync(name), signal, {
      onError: (name, err) => this.logger.warn('podCIDR assignment failed', { node: name, error: err }),
    });
  }

  /** Every subnet already on a Node is taken before any is handed out. */
  #occupyExisting(): void {
    for (const node of this.#nodes.lister.list() as Node[]) this.#occupy(node);
    this.#occupiedExisting = true;
  }

  #occupy(node: Node): void {
    podCIDRsOf(node).forEach((cidr, i) => {
      const set = this.#sets[i];
      if (!set || !set.occupy(cidr)) this.logger.warn('node podCIDR is outside the cluster CIDR', { node: node.metadata?.name, podCIDR: cidr });
    });
  }

  #released(node: Node): void {
    const name = node.metadata?.name ?? '';
    const cidrs = podCIDRsOf(node);
    const pending = this.#assigned.get(name);
    this.#assigned.delete(name);
    for (const [i, cidr] of (cidrs.length ? cidrs : (pending ?? [])).entries()) this.#sets[i]?.release(cidr);
    // Room again: nodes that found the range full get another try.
    for (const other of this.#nodes.lister.list() as Node[]) if (!podCIDRsOf(other).length) this.#queue.add(other.metadata!.name!);
  }

  async sync(name: string): Promise<void> {
    if (!this.#occupiedExisting) return;
    const node = this.#nodes.lister.get(name) as Node | undefined;
    if (!node) return;
    if (podCIDRsOf(node).length) {
      this.#occupy(node);
      return;
    }
    if (this.#assigned.has(name)) return;
    const cidrs: string[] = [];
    try {
      for (const set of this.#sets) cidrs.push(set.allocateNext());
    } catch (err) {
      cidrs.forEach((c, i) => this.#sets[i]!.release(c));
      if (!(err instanceof CIDRRangeFullError)) throw err;
      recordNodeStatusChange(this.#recorder, node, 'CIDRNotAvailable');
      this.logger.warn('no podCIDR left for node', { node: name, clusterCIDR: this.#sets.map((s) => s.clusterCIDR).join(',') });
      return;
    }
    this.#assigned.set(name, cidrs);
    try {
      await this.client.patch(NODES, '', name, 'merge', { spec: { podCIDR: cidrs[0], podCIDRs: cidrs } }, { fieldManager: 'kube-controller-manager' });
      this.logger.info('Set Node PodCIDR', { node: name, podCIDRs: cidrs });
    } catch (err) {
      this.#assigned.delete(name);
      cidrs.forEach((c, i) => this.#sets[i]!.release(c));
      // Gone, or someone set a podCIDR meanwhile (and the change is refused): the informer brings that one.
      if (isNotFound(err) || isInvalid(err)) return;
      recordNodeStatusChange(this.#recorder, node, 'CIDRAssignmentFailed');
      throw err;
    }
  }
}

