// Simulated nodes, kwok's way: one component plays any number of nodes. It registers each Node, renews each Lease,
// and moves the pods bound to its nodes through the lifecycle the stages describe — with one pod informer, one
// node informer, one timer for every deadline and one bounded pool of writers, so 5,000 nodes cost what one does.
import { createHash } from 'node:crypto';
import type { Lease } from 'kubernetes-types/coordination/v1.d.ts';
import type { Node, Pod } from 'kubernetes-types/core/v1.d.ts';
import type { Client, KubeObject } from '../client/client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../client/errors.ts';
import { EventRecorder } from '../client/events.ts';
import { InformerFactory } from '../client/factory.ts';
import { objectKey, type Informer } from '../client/informer.ts';
import { ItemExponentialRateLimiter, runWorkers, WorkQueue } from '../client/workqueue.ts';
import type { Logger } from '../log.ts';
import { formatIP, parseCIDR, PodIPExhaustedError, PodIPPool } from './ippool.ts';
import { DEFAULT_LEASE_DURATION_SECONDS, LEASES, newNodeLease, NODE_LEASE_NAMESPACE, RENEW_INTERVAL_FRACTION, renewedLease } from './lease.ts';
import { buildNode, simulatedNodeInfo, type NodeConfig } from './node.ts';
import { DEFAULT_STAGES } from './stages-default.ts';
import { compileStages, renderStage, selectStage, stageDelay, stageMatches, type CompiledStage, type Stage } from './stages.ts';
import type { EvalContext } from './template.ts';
import { TimerQueue } from './timers.ts';
import { NODES, PODS } from '../client/resources.ts';

const FIELD_MANAGER = 'kubelet';

/** A Node with this annotation set to "true" acts as if cut off: no heartbeats, no status, no pod changes. */
export const PAUSED_ANNOTATION = 'simulated.skiff.dev/paused';

/** A pod's IP cannot be given before its node has a podCIDR; the pod waits for the node's update. */
export class WaitingForPodCIDR extends Error {
  override name = 'WaitingForPodCIDR';
}

export interface SimulatedNodesOptions {
  client: Client;
  logger: Logger;
  nodes: readonly NodeConfig[];
  /** The lifecycle; default DEFAULT_STAGES. */
  stages?: readonly Stage[];
  /** Default 40 s. */
  leaseDurationSeconds?: number;
  /** Default a quarter of the lease duration (10 s); each renewal is jittered by up to 4%, as kubelet's is. */
  leaseRenewIntervalMs?: number;
  /** Writes in flight at once (default 16). */
  workers?: number;
  random?: () => number;
}

interface NodeState {
  config: NodeConfig;
  registered: boolean;
  uid?: string;
  lease?: Lease;
  pausedByCall: boolean;
  pausedByAnnotation: boolean;
  podCIDRs: string[];
  pool: PodIPPool | undefined;
  internalIPs: string[];
}

type Kind = 'node' | 'pod';

const isTerminal = (pod: Pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
const podIPsOf = (pod: Pod): string[] => (pod.status?.podIPs?.length ? pod.status.podIPs.map((p) => p.ip ?? '') : pod.status?.podIP ? [pod.status.podIP] : []);

export class SimulatedNodes {
  readonly #client: Client;
  readonly #log: Logger;
  readonly #random: () => number;
  readonly #leaseSeconds: number;
  readonly #renewMs: number;
  readonly #workers: number;
  readonly #podStages: CompiledStage[];
  readonly #nodeStages: CompiledStage[];
  readonly #nodes = new Map<string, NodeState>();
  readonly #podsByNode = new Map<string, Set<string>>();
  /** The stage each object waits for (its deadline is in #timers, or it is queued). */
  readonly #scheduled = new Map<string, CompiledStage>();
  /** The resourceVersion an object had when we last wrote it: until the informer shows a newer one, it is stale. */
  readonly #written = new Map<string, string>();
  readonly #queue = new WorkQueue<string>({ rateLimiter: new ItemExponentialRateLimiter<string>(100, 10_000) });
  /** Heartbeats have writers of their own, so a burst of registrations or pod changes never delays them. */
  readonly #leaseQueue = new WorkQueue<string>({ rateLimiter: new ItemExponentialRateLimiter<string>(200, 7_000) });
  readonly #timers = new TimerQueue((key) => this.#enqueue(key));
  readonly #recorders = new Map<string, EventRecorder>();
  #nodeInformer: Informer | undefined;
  #podInformer: Informer | undefined;
  #podsSynced = false;
  #registeredCount = 0;
  #registrationWaiters: Array<() => void> = [];

  constructor(readonly options: SimulatedNodesOptions) {
    this.#client = options.client;
    this.#log = options.logger;
    this.#random = options.random ?? Math.random;
    this.#leaseSeconds = options.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_SECONDS;
    this.#renewMs = options.leaseRenewIntervalMs ?? this.#leaseSeconds * 1000 * RENEW_INTERVAL_FRACTION;
    this.#workers = options.workers ?? 16;
    const stages = compileStages(options.stages ?? DEFAULT_STAGES);
    this.#podStages = stages.filter((s) => s.resource === 'Pod');
    this.#nodeStages = stages.filter((s) => s.resource === 'Node');
    for (const config of options.nodes) {
      if (this.#nodes.has(config.name)) throw new Error(`simulated node ${config.name} is given twice`);
      const internalIPs = config.addresses.filter((a) => a.type === 'InternalIP').map((a) => a.address);
      this.#nodes.set(config.name, { config, registered: false, pausedByCall: false, pausedByAnnotation: false, podCIDRs: [], pool: undefined, internalIPs });
    }
  }

  get nodeNames(): string[] {
    return [...this.#nodes.keys()];
  }

  /** Registers the nodes, then plays them until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    const factory = new InformerFactory(this.#client, (gvr, err) => this.#log.debug('informer error', { resource: gvr.resource, error: err }));
    this.#nodeInformer = factory.informer(NODES);
    this.#podInformer = factory.informer(PODS, { fieldSelector: 'spec.nodeName!=' });
    this.#nodeInformer.addEventHandler({
      onAdd: (n) => this.#onNode(n as Node),
      onUpdate: (_o, n) => this.#onNode(n as Node),
      onDelete: (n) => this.#onNodeDeleted(n as Node),
    });
    this.#podInformer.addEventHandler({
      onAdd: (p) => this.#onPod(p as Pod),
      onUpdate: (o, p) => {
        if ((o as Pod).metadata?.uid !== (p as Pod).metadata?.uid) this.#onPodDeleted(o as Pod);
        this.#onPod(p as Pod);
      },
      onDelete: (p) => this.#onPodDeleted(p as Pod),
    });
    const stop = () => this.#timers.stop();
    signal.addEventListener('abort', stop, { once: true });
    factory.start(signal);
    for (const name of this.#nodes.keys()) this.#queue.add(`register/${name}`);
    const podsSynced = this.#podInformer.waitForSync(signal).then(
      () => {
        // Pods are acted on only once every pod is known, so no address is given twice after a restart.
        this.#podsSynced = true;
        for (const pod of this.#podInformer!.lister.list()) this.#evaluatePod(pod as Pod);
      },
      () => {},
    );
    const onError = (key: string, err: unknown) => this.#log.debug('simulated node write failed; retrying', { key, error: err });
    try {
      await Promise.all([
        runWorkers(this.#queue, this.#workers, (key) => this.#sync(key), signal, { onError }),
        runWorkers(this.#leaseQueue, Math.max(1, Math.ceil(this.#workers / 2)), (key) => this.#sync(key), signal, { onError }),
      ]);
      await Promise.all([podsSynced, factory.stopped()]);
    } finally {
      signal.removeEventListener('abort', stop);
      this.#timers.stop();
    }
  }

  /** Resolves once every node has been registered (created, or found and updated). */
  waitForRegistration(signal?: AbortSignal): Promise<void> {
    if (this.#registeredCount >= this.#nodes.size) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal?.reason);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#registrationWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** Stops `node` heartbeating and acting, as if its kubelet were cut off from the API server. */
  pause(node: string): void {
    const st = this.#state(node);
    st.pausedByCall = true;
    this.#quiesce(node);
  }

  resume(node: string): void {
    const st = this.#state(node);
    st.pausedByCall = false;
    this.#wake(node);
  }

  isPaused(node: string): boolean {
    const st = this.#state(node);
    return st.pausedByCall || st.pausedByAnnotation;
  }

  #state(node: string): NodeState {
    const st = this.#nodes.get(node);
    if (!st) throw new Error(`${node} is not a simulated node`);
    return st;
  }

  #active(st: NodeState | undefined): st is NodeState {
    return !!st && st.registered && !st.pausedByCall && !st.pausedByAnnotation;
  }

  /** Cancels everything `node` had pending. */
  #quiesce(node: string): void {
    this.#cancel(`lease/${node}`);
    this.#cancel(`node/${node}`);
    for (const key of this.#podsByNode.get(node) ?? []) this.#cancel(`pod/${key}`);
  }

  /** After registration or a pause: heartbeat now and catch up on the node's and its pods' stages. */
  #wake(node: string): void {
    const st = this.#nodes.get(node);
    if (!this.#active(st)) return;
    this.#leaseQueue.add(`lease/${node}`);
    const obj = this.#nodeInformer?.lister.get(node);
    if (obj) this.#evaluate('node', `node/${node}`, obj as Node);
    for (const key of this.#podsByNode.get(node) ?? []) {
      const pod = this.#podInformer?.lister.get(key);
      if (pod) this.#evaluatePod(pod as Pod);
    }
  }

  #enqueue(key: string): void {
    if (key.startsWith('lease/')) this.#leaseQueue.add(key);
    else this.#queue.add(key);
  }

  #cancel(key: string): void {
    this.#scheduled.delete(key);
    this.#timers.cancel(key);
  }

  // -------------------------------------------------------------------------------------------------
  // Informer events

  #onNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const st = this.#nodes.get(name);
    if (!st) return;
    if (node.metadata?.uid) st.uid = node.metadata.uid;
    const cidrs = node.spec?.podCIDRs?.length ? node.spec.podCIDRs : node.spec?.podCIDR ? [node.spec.podCIDR] : [];
    if (cidrs.join(',') !== st.podCIDRs.join(',')) this.#setPodCIDRs(name, st, cidrs);
    const paused = node.metadata?.annotations?.[PAUSED_ANNOTATION] === 'true';
    if (paused !== st.pausedByAnnotation) {
      st.pausedByAnnotation = paused;
      if (paused) this.#quiesce(name);
      else this.#wake(name);
    }
    this.#evaluate('node', `node/${name}`, node);
  }

  #setPodCIDRs(name: string, st: NodeState, cidrs: string[]): void {
    st.podCIDRs = cidrs;
    try {
      st.pool = cidrs.length ? new PodIPPool(cidrs) : undefined;
    } catch (err) {
      this.#log.warn('node podCIDR unusable', { node: name, podCIDRs: cidrs, error: err });
      st.pool = undefined;
    }
    if (!st.pool) return;
    // Addresses already given (before a restart) stay taken; then pods waiting for an address get one.
    for (const key of this.#podsByNode.get(name) ?? []) {
      const pod = this.#podInformer?.lister.get(key) as Pod | undefined;
      if (pod?.metadata?.uid && !isTerminal(pod) && !pod.spec?.hostNetwork) st.pool.occupy(pod.metadata.uid, podIPsOf(pod));
    }
    for (const key of this.#podsByNode.get(name) ?? []) {
      const pod = this.#podInformer?.lister.get(key);
      if (pod) this.#evaluatePod(pod as Pod);
    }
  }

  #onNodeDeleted(node: Node): void {
    const name = node.metadata?.name ?? '';
    const st = this.#nodes.get(name);
    if (!st) return;
    // A kubelet whose Node was deleted stops reporting; it does not re-register until restarted.
    st.registered = false;
    delete st.lease;
    this.#quiesce(name);
    this.#written.delete(`node/${name}`);
  }

  #onPod(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || !this.#nodes.has(nodeName)) return;
    const key = objectKey(pod as KubeObject);
    let set = this.#podsByNode.get(nodeName);
    if (!set) this.#podsByNode.set(nodeName, (set = new Set()));
    set.add(key);
    const pool = this.#nodes.get(nodeName)?.pool;
    const uid = pod.metadata?.uid;
    if (pool && uid && !pod.spec?.hostNetwork) {
      // A finished pod's sandbox is gone, and its address with it.
      if (isTerminal(pod)) pool.release(uid);
      else pool.occupy(uid, podIPsOf(pod));
    }
    this.#evaluatePod(pod);
  }

  #onPodDeleted(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || !this.#nodes.has(nodeName)) return;
    const key = objectKey(pod as KubeObject);
    this.#podsByNode.get(nodeName)?.delete(key);
    if (pod.metadata?.uid) this.#nodes.get(nodeName)?.pool?.release(pod.metadata.uid);
    this.#cancel(`pod/${key}`);
    this.#written.delete(`pod/${key}`);
  }

  #evaluatePod(pod: Pod): void {
    if (!this.#podsSynced) return;
    const nodeName = pod.spec?.nodeName ?? '';
    if (!this.#nodes.has(nodeName)) return;
    this.#evaluate('pod', `pod/${objectKey(pod as KubeObject)}`, pod);
  }

  // -------------------------------------------------------------------------------------------------
  // Stages

  #nodeOf(kind: Kind, obj: Node | Pod): NodeState | undefined {
    return this.#nodes.get(kind === 'node' ? (obj.metadata?.name ?? '') : ((obj as Pod).spec?.nodeName ?? ''));
  }

  #context(kind: Kind, obj: Node | Pod, st: NodeState): EvalContext {
    const ctx: EvalContext = { now: new Date() };
    if (kind === 'pod') {
      const pod = obj as Pod;
      ctx.functions = {
        hostIPs: () => st.internalIPs,
        podIPs: () => {
          if (pod.spec?.hostNetwork) return st.internalIPs;
          if (!st.pool) throw new WaitingForPodCIDR(`node ${st.config.name} has no podCIDR yet`);
          return st.pool.allocate(pod.metadata?.uid ?? objectKey(pod as KubeObject));
        },
        containerID: (name) => `simulated://${createHash('sha256').update(`${pod.metadata?.uid ?? ''}/${String(name)}`).digest('hex')}`,
      };
    } else {
      ctx.functions = { hostIPs: () => st.internalIPs };
    }
    return ctx;
  }

  /** Finds the stage `obj` is in for and sets its deadline (keeping an earlier deadline for the same stage). */
  #evaluate(kind: Kind, key: string, obj: Node | Pod): void {
    const st = this.#nodeOf(kind, obj);
    if (!this.#active(st)) return this.#cancel(key);
    const rv = obj.metadata?.resourceVersion ?? '';
    const written = this.#written.get(key);
    if (written !== undefined) {
      if (written === rv) return;
      this.#written.delete(key);
    }
    const ctx = this.#context(kind, obj, st);
    const stage = selectStage(kind === 'pod' ? this.#podStages : this.#nodeStages, obj, ctx, this.#random);
    if (!stage) return this.#cancel(key);
    if (this.#scheduled.get(key) === stage) return;
    this.#scheduled.set(key, stage);
    const delay = stageDelay(stage, obj, ctx, this.#random);
    if (delay <= 0) {
      this.#timers.cancel(key);
      this.#queue.add(key);
    } else this.#timers.schedule(key, Date.now() + delay);
  }

  async #applyStage(kind: Kind, key: string): Promise<void> {
    const stage = this.#scheduled.get(key);
    if (!stage || this.#timers.dueAt(key) !== undefined) return;
    const objKey = key.slice(key.indexOf('/') + 1);
    const obj = (kind === 'node' ? this.#nodeInformer : this.#podInformer)?.lister.get(objKey) as Node | Pod | undefined;
    const st = obj && this.#nodeOf(kind, obj);
    if (!obj || !this.#active(st)) return this.#cancel(key);
    const ctx = this.#context(kind, obj, st);
    if (!stageMatches(stage, obj, ctx)) {
      this.#scheduled.delete(key);
      return this.#evaluate(kind, key, obj);
    }
    let outcome;
    try {
      outcome = renderStage(stage, obj, ctx);
    } catch (err) {
      this.#scheduled.delete(key);
      // The node's update with its podCIDR brings the pod back.
      if (err instanceof WaitingForPodCIDR) return;
      if (err instanceof PodIPExhaustedError) {
        // As a CNI plugin with a full range would: the sandbox fails, and the kubelet keeps trying.
        this.#recorder(st.config.name).event(obj as KubeObject, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${err.message}`);
        this.#scheduled.set(key, stage);
        throw err;
      }
      this.#log.warn('stage failed', { stage: stage.name, object: objKey, error: err });
      return;
    }
    this.#scheduled.delete(key);
    const rv = obj.metadata?.resourceVersion ?? '';
    this.#written.set(key, rv);
    if (outcome.event) this.#recorder(st.config.name).event(obj as KubeObject, outcome.event.type, outcome.event.reason, outcome.event.message);
    try {
      if (outcome.delete && kind === 'pod') {
        await this.#client.delete(PODS, obj.metadata?.namespace, obj.metadata?.name ?? '', {
          gracePeriodSeconds: 0,
          ...(obj.metadata?.uid ? { preconditions: { uid: obj.metadata.uid } } : {}),
        });
      } else if (outcome.status) {
        const gvr = kind === 'pod' ? PODS : NODES;
        const updated = await this.#client.patch(gvr, obj.metadata?.namespace, obj.metadata?.name ?? '', 'strategic', { status: outcome.status }, { subresource: 'status', fieldManager: FIELD_MANAGER });
        // Nothing changed: there will be no event, so nothing is stale.
        if (updated.metadata?.resourceVersion === rv) this.#written.delete(key);
      }
    } catch (err) {
      this.#written.delete(key);
      // Gone, or replaced by a new object of the same name: its own events take over.
      if (isNotFound(err) || (outcome.delete && isConflict(err))) return;
      this.#scheduled.set(key, stage);
      throw err;
    }
  }

  #recorder(node: string): EventRecorder {
    let r = this.#recorders.get(node);
    if (!r) {
      r = new EventRecorder(this.#client, { component: 'kubelet', host: node }, { onError: (err) => this.#log.debug('event not recorded', { node, error: err }) });
      this.#recorders.set(node, r);
    }
    return r;
  }

  // -------------------------------------------------------------------------------------------------
  // Registration and heartbeats

  async #sync(key: string): Promise<void> {
    const slash = key.indexOf('/');
    const what = key.slice(0, slash);
    const name = key.slice(slash + 1);
    switch (what) {
      case 'register':
        return this.#register(name);
      case 'lease':
        return this.#renewLease(name);
      case 'node':
        return this.#applyStage('node', key);
      case 'pod':
        return this.#applyStage('pod', key);
    }
  }

  async #register(name: string): Promise<void> {
    const st = this.#state(name);
    if (st.registered) return;
    const node = buildNode(st.config);
    let uid: string | undefined;
    try {
      const created = await this.#client.create(NODES, '', node as KubeObject, { fieldManager: FIELD_MANAGER });
      uid = created.metadata?.uid;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Registered before (a restart): bring labels and reported resources up to date, as kubelet does.
      const merged = await this.#client.patch(NODES, '', name, 'merge', { metadata: { labels: node.metadata?.labels ?? {} } }, { fieldManager: FIELD_MANAGER });
      uid = merged.metadata?.uid;
      const { capacity, allocatable, addresses, nodeInfo, daemonEndpoints } = node.status ?? {};
      await this.#client.patch(NODES, '', name, 'merge', { status: { capacity, allocatable, addresses, nodeInfo, daemonEndpoints } }, { subresource: 'status', fieldManager: FIELD_MANAGER });
    }
    if (uid) st.uid = uid;
    st.registered = true;
    this.#registeredCount++;
    if (this.#registeredCount >= this.#nodes.size) for (const wake of this.#registrationWaiters.splice(0)) wake();
    this.#log.debug('node registered', { node: name });
    this.#wake(name);
  }

  async #renewLease(name: string): Promise<void> {
    const st = this.#nodes.get(name);
    if (!this.#active(st)) return;
    const now = new Date();
    const first = !st.lease;
    try {
      if (st.lease) {
        st.lease = (await this.#client.update(LEASES, NODE_LEASE_NAMESPACE, renewedLease(st.lease, name, st.uid, this.#leaseSeconds, now) as KubeObject)) as Lease;
      } else {
        try {
          const current = (await this.#client.get(LEASES, NODE_LEASE_NAMESPACE, name)) as Lease;
          st.lease = (await this.#client.update(LEASES, NODE_LEASE_NAMESPACE, renewedLease(current, name, st.uid, this.#leaseSeconds, now) as KubeObject)) as Lease;
        } catch (err) {
          if (!isNotFound(err)) throw err;
          st.lease = (await this.#client.create(LEASES, NODE_LEASE_NAMESPACE, newNodeLease(name, st.uid, this.#leaseSeconds, now) as KubeObject)) as Lease;
        }
      }
    } catch (err) {
      // Someone else wrote it (or it went): read it afresh on the retry.
      delete st.lease;
      throw err;
    }
    if (!this.#active(st)) return;
    // The first renewal after registration lands anywhere in the interval, which spreads thousands of nodes out.
    const wait = first ? this.#renewMs * (0.5 + 0.5 * this.#random()) : this.#renewMs * (1 + 0.04 * this.#random());
    this.#timers.schedule(`lease/${name}`, Date.now() + wait);
  }
}

/** Where simulated nodes live: 198.18.0.0/15, the range set aside for benchmarking networks (RFC 2544). */
export const SIMULATED_NODE_ADDRESSES = '198.18.0.0/15';

export interface SimulatedNodeSetOptions {
  /** Names are `${prefix}${i}`; default 'skiff-sim-'. */
  prefix?: string;
  capacity: Record<string, string>;
  labels?: Record<string, string>;
  runtimeVersion: string;
}

/** `count` simulated nodes with distinct addresses from SIMULATED_NODE_ADDRESSES. */
export function simulatedNodeConfigs(count: number, opts: SimulatedNodeSetOptions): NodeConfig[] {
  const { base } = parseCIDR(SIMULATED_NODE_ADDRESSES);
  return Array.from({ length: count }, (_, i) => {
    const name = `${opts.prefix ?? 'skiff-sim-'}${i}`;
    return {
      name,
      labels: { 'node.kubernetes.io/instance-type': 'skiff-simulated', ...opts.labels },
      capacity: { ...opts.capacity },
      addresses: [
        { type: 'InternalIP', address: formatIP(base + BigInt(i + 1), 4) },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: simulatedNodeInfo(name, opts.runtimeVersion),
    };
  });
}
