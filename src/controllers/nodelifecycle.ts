// The node lifecycle controller (kube-controller-manager's 'node-lifecycle'): watches Node status and Lease
// heartbeats; a node silent for the grace period gets its conditions set to Unknown ("Kubelet stopped posting node
// status."), its pods marked not ready, and — rate limited per zone — the NoExecute taint unreachable (Ready
// Unknown) or not-ready (Ready False), which the taint eviction controller acts on. NoSchedule taints follow the
// node's conditions, and they all go when the node is Ready again.
import type { Lease } from 'kubernetes-types/coordination/v1.d.ts';
import type { Node, NodeCondition, NodeStatus, Pod } from 'kubernetes-types/core/v1.d.ts';
import type { Client, KubeObject } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import type { EventRecorder } from '../client/events.ts';
import { objectKey, type Informer } from '../client/informer.ts';
import { abortableSleep } from '../client/sleep.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import type { Logger } from '../log.ts';
import type { Controller, ControllerContext } from './controller.ts';
import { RateLimitedTimedQueue } from './nodelifecycle-queue.ts';
import {
  CONDITION_TAINT_KEYS,
  CONDITION_TAINTS,
  LEASES,
  metaTime,
  NODE_LEASE_NAMESPACE,
  nodeCondition,
  NODES,
  NOT_READY_NO_EXECUTE,
  PODS,
  recordNodeEvent,
  recordNodeStatusChange,
  swapNodeTaints,
  TAINT_UNSCHEDULABLE,
  taintExists,
  taintMatches,
  UNREACHABLE_NO_EXECUTE,
  zoneKey,
} from './nodelifecycle-util.ts';

/** kube-controller-manager's defaults. */
export const NODE_LIFECYCLE_DEFAULTS = {
  monitorPeriodMs: 5_000,
  monitorGracePeriodMs: 40_000,
  startupGracePeriodMs: 60_000,
  evictionRate: 0.1,
  secondaryEvictionRate: 0.01,
  largeClusterSizeThreshold: 50,
  unhealthyZoneThreshold: 0.55,
} as const;

/** How often queued nodes are offered their NoExecute taint (upstream's NodeEvictionPeriod). */
const TAINTING_PASS_MS = 100;
/** upstream NodeHealthUpdateRetry and retrySleepTime. */
const HEALTH_UPDATE_RETRIES = 5;
const HEALTH_RETRY_SLEEP_MS = 20;
const EXCLUDE_DISRUPTION_LABEL = 'node.kubernetes.io/exclude-disruption';
/** Conditions the kubelet owns, which go Unknown when it falls silent (NetworkUnavailable belongs to the network). */
const KUBELET_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];
/** Beta labels kept equal to their stable counterparts. */
const LABEL_RECONCILE: Array<[primary: string, secondary: string]> = [
  ['kubernetes.io/os', 'beta.kubernetes.io/os'],
  ['kubernetes.io/arch', 'beta.kubernetes.io/arch'],
];

type ZoneState = 'Initial' | 'Normal' | 'FullDisruption' | 'PartialDisruption';

interface NodeHealth {
  /** Local time the node was last seen alive (a new heartbeat in its status, or a renewed Lease). */
  probeTimestamp: number;
  readyTransitionTimestamp: number;
  status: Node['status'];
  lease?: Lease;
}

const renewMs = (lease: Lease | undefined) => (lease?.spec?.renewTime ? Date.parse(lease.spec.renewTime) : NaN);

export class NodeLifecycleController implements Controller {
  readonly client: Client;
  readonly logger: Logger;
  readonly #recorder: EventRecorder;
  readonly #nodes: Informer;
  readonly #leases: Informer;
  readonly #pods: Informer;
  readonly #monitorPeriodMs: number;
  readonly #gracePeriodMs: number;
  readonly #startupGracePeriodMs: number;
  readonly #evictionRate: number;
  readonly #secondaryEvictionRate: number;
  readonly #largeClusterThreshold: number;
  readonly #unhealthyZoneThreshold: number;
  readonly #health = new Map<string, NodeHealth>();
  readonly #known = new Map<string, Node>();
  readonly #zoneStates = new Map<string, ZoneState>();
  readonly #tainters = new Map<string, RateLimitedTimedQueue>();
  readonly #nodesToRetry = new Set<string>();
  readonly #podsByNode = new Map<string, Set<string>>();
  readonly #nodeQueue = new WorkQueue<string>();
  readonly #podQueue = new WorkQueue<string>();

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.logger = ctx.logger('node-lifecycle-controller');
    this.#recorder = ctx.recorder('node-controller');
    const cfg = { ...NODE_LIFECYCLE_DEFAULTS, ...ctx.config.nodeLifecycle };
    this.#monitorPeriodMs = cfg.monitorPeriodMs;
    this.#gracePeriodMs = cfg.monitorGracePeriodMs;
    this.#startupGracePeriodMs = cfg.startupGracePeriodMs;
    this.#evictionRate = cfg.evictionRate;
    this.#secondaryEvictionRate = cfg.secondaryEvictionRate;
    this.#largeClusterThreshold = cfg.largeClusterSizeThreshold;
    this.#unhealthyZoneThreshold = cfg.unhealthyZoneThreshold;
    this.#nodes = ctx.informers.informer(NODES);
    this.#leases = ctx.informers.informer(LEASES, { namespace: NODE_LEASE_NAMESPACE });
    this.#pods = ctx.informers.informer(PODS);
    this.#nodes.addEventHandler({
      onAdd: (n) => this.#nodeQueue.add(n.metadata!.name!),
      onUpdate: (_o, n) => this.#nodeQueue.add(n.metadata!.name!),
    });
    this.#pods.addEventHandler({
      onAdd: (p) => this.#podUpdated(undefined, p as Pod),
      onUpdate: (o, p) => this.#podUpdated(o as Pod, p as Pod),
      onDelete: (p) => this.#podDeleted(p as Pod),
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    await Promise.all([this.#nodes.waitForSync(signal), this.#leases.waitForSync(signal), this.#pods.waitForSync(signal)]);
    const onError = (what: string) => (key: string, err: unknown) => this.logger.warn(`${what} failed`, { key, error: err });
    await Promise.all([
      runWorkers(this.#nodeQueue, 8, (name) => this.#nodeProcessingPass(name), signal, { onError: onError('node taint and label pass'), maxRetries: 5 }),
      runWorkers(this.#podQueue, 4, (key) => this.#processPod(key), signal, { onError: onError('pod pass') }),
      this.#every(TAINTING_PASS_MS, signal, () => this.#noExecuteTaintingPass()),
      this.#every(this.#monitorPeriodMs, signal, () => this.monitorNodeHealth()),
    ]);
  }

  async #every(periodMs: number, signal: AbortSignal, fn: () => Promise<void>): Promise<void> {
    while (!signal.aborted) {
      try {
        await fn();
      } catch (err) {
        if (!signal.aborted) this.logger.warn('node lifecycle pass failed', { error: err });
      }
      await abortableSleep(periodMs, signal).catch(() => {});
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Pods

  #podUpdated(old: Pod | undefined, pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const key = objectKey(pod as KubeObject);
    let set = this.#podsByNode.get(nodeName);
    if (!set) this.#podsByNode.set(nodeName, (set = new Set()));
    set.add(key);
    if (!old || old.spec?.nodeName !== nodeName) this.#podQueue.add(key);
  }

  #podDeleted(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (nodeName) this.#podsByNode.get(nodeName)?.delete(objectKey(pod as KubeObject));
  }

  #podsOn(node: string): Pod[] {
    const out: Pod[] = [];
    for (const key of this.#podsByNode.get(node) ?? []) {
      const pod = this.#pods.lister.get(key) as Pod | undefined;
      if (pod?.spec?.nodeName === node) out.push(pod);
    }
    return out;
  }

  /** A pod newly bound to a node that is not ready is marked not ready at once. */
  async #processPod(key: string): Promise<void> {
    const pod = this.#pods.lister.get(key) as Pod | undefined;
    const nodeName = pod?.spec?.nodeName;
    if (!pod || !nodeName) return;
    const health = this.#health.get(nodeName);
    if (!health || !this.#nodes.lister.get(nodeName)) return;
    const ready = health.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready && ready.status !== 'True') await this.#markPodsNotReady([pod], nodeName);
  }

  /** upstream MarkPodsNotReady: each pod's Ready condition goes False, with a NodeNotReady event. */
  async #markPodsNotReady(pods: Pod[], nodeName: string): Promise<void> {
    const errors: unknown[] = [];
    for (const pod of pods) {
      if (pod.spec?.nodeName !== nodeName) continue;
      const conditions = pod.status?.conditions ?? [];
      const i = conditions.findIndex((c) => c.type === 'Ready');
      if (i < 0 || conditions[i]!.status === 'False') continue;
      const next = structuredClone(pod);
      next.status!.conditions![i] = { ...conditions[i]!, status: 'False', lastTransitionTime: metaTime() };
      try {
        await this.client.updateStatus(PODS, pod.metadata?.namespace, next as KubeObject, { fieldManager: 'kube-controller-manager' });
      } catch (err) {
        if (isNotFound(err)) continue;
        errors.push(err);
        continue;
      }
      this.#recorder.event(pod as KubeObject, 'Warning', 'NodeNotReady', 'Node is not ready');
    }
    if (errors.length) throw new AggregateError(errors, `could not mark ${errors.length} pod(s) on ${nodeName} not ready`);
  }

  // -------------------------------------------------------------------------------------------------
  // NoSchedule taints from conditions, and label reconciliation (on every node change)

  async #nodeProcessingPass(name: string): Promise<void> {
    const node = this.#nodes.lister.get(name) as Node | undefined;
    if (!node) return;
    const wanted: Array<{ key: string; effect: string }> = [];
    for (const c of node.status?.conditions ?? []) {
      const key = CONDITION_TAINTS[c.type]?.[c.status];
      if (key) wanted.push({ key, effect: 'NoSchedule' });
    }
    if (node.spec?.unschedulable) wanted.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
    const present = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoSchedule' && (t.key === TAINT_UNSCHEDULABLE || CONDITION_TAINT_KEYS.has(t.key)));
    const add = wanted.filter((w) => !present.some((p) => taintMatches(p, w)));
    const remove = present.filter((p) => !wanted.some((w) => taintMatches(p, w)));
    if (add.length || remove.length) await swapNodeTaints(this.client, this.#nodes.lister, name, add, remove);

    const labels = node.metadata?.labels ?? {};
    const fix: Record<string, string> = {};
    for (const [primary, secondary] of LABEL_RECONCILE) {
      const value = labels[primary];
      if (value !== undefined && labels[secondary] !== value) fix[secondary] = value;
    }
    if (Object.keys(fix).length) {
      try {
        await this.client.patch(NODES, '', name, 'merge', { metadata: { labels: fix } }, { fieldManager: 'kube-controller-manager' });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Health

  /** One pass over every node: heartbeats checked, conditions set Unknown after the grace period, taints queued. */
  async monitorNodeHealth(): Promise<void> {
    const nodes = this.#nodes.lister.list() as Node[];
    const names = new Set<string>();
    for (const node of nodes) {
      const name = node.metadata?.name ?? '';
      names.add(name);
      if (!this.#known.has(name)) {
        recordNodeEvent(this.#recorder, node, 'Normal', 'RegisteredNode', `Registered Node ${name} in Controller`);
        this.#known.set(name, node);
        this.#addZone(node);
        await this.#markNodeAsReachable(node).catch((err: unknown) => this.logger.warn('could not remove taints from node', { node: name, error: err }));
      } else this.#addZone(node);
    }
    for (const [name, node] of this.#known) {
      if (names.has(name)) continue;
      recordNodeEvent(this.#recorder, node, 'Normal', 'RemovingNode', `Removing Node ${name} from Controller`);
      this.#known.delete(name);
      this.#health.delete(name);
      this.#nodesToRetry.delete(name);
    }

    const zoneConditions = new Map<string, Array<NodeCondition | undefined>>();
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < nodes.length; i = next++) await this.#checkNode(nodes[i]!, zoneConditions);
    };
    await Promise.all(Array.from({ length: Math.min(8, nodes.length) }, worker));
    this.#handleDisruption(zoneConditions, nodes);
  }

  async #checkNode(listed: Node, zoneConditions: Map<string, Array<NodeCondition | undefined>>): Promise<void> {
    const name = listed.metadata?.name ?? '';
    let node = listed;
    let result: { observed: NodeCondition; current: NodeCondition | undefined } | undefined;
    for (let attempt = 0; attempt < HEALTH_UPDATE_RETRIES && !result; attempt++) {
      try {
        result = await this.#tryUpdateNodeHealth(node);
      } catch (err) {
        if (isNotFound(err)) return;
        await abortableSleep(HEALTH_RETRY_SLEEP_MS);
        try {
          node = (await this.client.get(NODES, '', name)) as Node;
        } catch (getErr) {
          if (isNotFound(getErr)) return;
          this.logger.warn('could not read node to retry its health update', { node: name, error: getErr });
          return;
        }
      }
    }
    if (!result) {
      this.logger.warn('could not update node health; no pods will be evicted from it', { node: name });
      return;
    }
    const { observed, current } = result;
    if (node.metadata?.labels?.[EXCLUDE_DISRUPTION_LABEL] === undefined) {
      const zone = zoneKey(node);
      const list = zoneConditions.get(zone) ?? [];
      list.push(current);
      zoneConditions.set(zone, list);
    }
    if (!current) return;
    await this.#processTaintBaseEviction(node, observed);
    const needsRetry = this.#nodesToRetry.has(name);
    const wentDown = current.status !== 'True' && observed.status === 'True';
    if (wentDown) recordNodeStatusChange(this.#recorder, node, 'NodeNotReady');
    if (wentDown || (needsRetry && observed.status !== 'True')) {
      try {
        await this.#markPodsNotReady(this.#podsOn(name), name);
      } catch (err) {
        this.logger.warn('could not mark all pods not ready; will retry', { node: name, error: err });
        this.#nodesToRetry.add(name);
        return;
      }
    }
    this.#nodesToRetry.delete(name);
  }

  /** upstream tryUpdateNodeHealth: returns the Ready condition as the node had it and as it is now. */
  async #tryUpdateNodeHealth(node: Node): Promise<{ observed: NodeCondition; current: NodeCondition | undefined }> {
    const name = node.metadata?.name ?? '';
    const now = Date.now();
    let health = this.#health.get(name);
    const created = Date.parse(node.metadata?.creationTimestamp ?? '') || now;
    let current = nodeCondition(node, 'Ready');
    let observed: NodeCondition;
    let gracePeriod: number;
    if (!current) {
      // Never posted: judge it from its creation, with the longer startup grace period.
      observed = { type: 'Ready', status: 'Unknown', lastHeartbeatTime: node.metadata?.creationTimestamp, lastTransitionTime: node.metadata?.creationTimestamp } as NodeCondition;
      gracePeriod = this.#startupGracePeriodMs;
      if (health) health.status = node.status;
      else health = { status: node.status, probeTimestamp: created, readyTransitionTimestamp: created };
    } else {
      observed = { ...current };
      gracePeriod = this.#gracePeriodMs;
    }
    const saved = health?.status?.conditions?.find((c) => c.type === 'Ready');
    const savedLease = health?.lease;
    if (!health) {
      health = { status: node.status, probeTimestamp: now, readyTransitionTimestamp: now };
    } else if ((!saved && current) || (saved && !current)) {
      health = { status: node.status, probeTimestamp: now, readyTransitionTimestamp: now };
    } else if (saved && current && saved.lastHeartbeatTime !== current.lastHeartbeatTime) {
      const transition = saved.lastTransitionTime !== current.lastTransitionTime ? now : health.readyTransitionTimestamp;
      health = { status: node.status, probeTimestamp: now, readyTransitionTimestamp: transition };
    }
    // A renewed Lease is a heartbeat too.
    const lease = this.#leases.lister.get(`${NODE_LEASE_NAMESPACE}/${name}`) as Lease | undefined;
    if (lease && (!savedLease || renewMs(savedLease) < renewMs(lease))) {
      health.lease = lease;
      health.probeTimestamp = now;
    }
    this.#health.set(name, health);

    if (now > health.probeTimestamp + gracePeriod) {
      const status: NodeStatus = structuredClone(node.status ?? {});
      const next: Node = { ...node, status };
      const conditions = (status.conditions ??= []);
      const stamp = metaTime(now);
      for (const type of KUBELET_CONDITIONS) {
        const c = conditions.find((x) => x.type === type);
        if (!c) {
          conditions.push({ type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: node.metadata?.creationTimestamp, lastTransitionTime: stamp } as NodeCondition);
        } else if (c.status !== 'Unknown') {
          c.status = 'Unknown';
          c.reason = 'NodeStatusUnknown';
          c.message = 'Kubelet stopped posting node status.';
          c.lastTransitionTime = stamp;
        }
      }
      current = nodeCondition(next, 'Ready');
      if (!sameCondition(current, observed)) {
        await this.client.updateStatus(NODES, '', next as KubeObject, { fieldManager: 'kube-controller-manager' });
        this.logger.info("node hasn't been updated: conditions set Unknown", { node: name, silentMs: now - health.probeTimestamp, gracePeriodMs: gracePeriod });
        const updated: NodeHealth = { status, probeTimestamp: health.probeTimestamp, readyTransitionTimestamp: Date.now() };
        if (lease) updated.lease = lease;
        this.#health.set(name, updated);
      }
    }
    return { observed, current };
  }

  // -------------------------------------------------------------------------------------------------
  // NoExecute taints

  #tainter(node: Node): RateLimitedTimedQueue {
    this.#addZone(node);
    return this.#tainters.get(zoneKey(node))!;
  }

  #addZone(node: Node): void {
    const zone = zoneKey(node);
    if (this.#zoneStates.has(zone)) return;
    this.#zoneStates.set(zone, 'Initial');
    this.#tainters.set(zone, new RateLimitedTimedQueue(this.#evictionRate));
  }

  async #processTaintBaseEviction(node: Node, observed: NodeCondition): Promise<void> {
    const name = node.metadata?.name ?? '';
    const taints = node.spec?.taints;
    switch (observed.status) {
      case 'False':
        // Unreachable and not-ready mirror Ready Unknown and False: one replaces the other at once.
        if (taintExists(taints, UNREACHABLE_NO_EXECUTE)) await swapNodeTaints(this.client, this.#nodes.lister, name, [NOT_READY_NO_EXECUTE], [UNREACHABLE_NO_EXECUTE]);
        else this.#markNodeForTainting(node, 'False');
        break;
      case 'Unknown':
        if (taintExists(taints, NOT_READY_NO_EXECUTE)) await swapNodeTaints(this.client, this.#nodes.lister, name, [UNREACHABLE_NO_EXECUTE], [NOT_READY_NO_EXECUTE]);
        else this.#markNodeForTainting(node, 'Unknown');
        break;
      case 'True':
        await this.#markNodeAsReachable(node);
        break;
    }
  }

  #markNodeForTainting(node: Node, status: 'False' | 'Unknown'): void {
    const name = node.metadata?.name ?? '';
    const tainter = this.#tainter(node);
    const wanted = status === 'False' ? NOT_READY_NO_EXECUTE : UNREACHABLE_NO_EXECUTE;
    if (!taintExists(node.spec?.taints, wanted)) tainter.remove(name);
    tainter.add(name, node.metadata?.uid ?? '');
  }

  async #markNodeAsReachable(node: Node): Promise<void> {
    const name = node.metadata?.name ?? '';
    const remove = [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE].filter((t) => taintExists(node.spec?.taints, t));
    if (remove.length) await swapNodeTaints(this.client, this.#nodes.lister, name, [], remove);
    this.#tainter(node).remove(name);
  }

  async #noExecuteTaintingPass(): Promise<void> {
    for (const tainter of this.#tainters.values()) {
      await tainter.try(async (name) => {
        const node = this.#nodes.lister.get(name) as Node | undefined;
        if (!node) return { done: true };
        const ready = nodeCondition(node, 'Ready');
        if (!ready) return { done: false, retryAfterMs: 50 };
        let add;
        let remove;
        if (ready.status === 'False') [add, remove] = [NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE];
        else if (ready.status === 'Unknown') [add, remove] = [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE];
        else return { done: true };
        try {
          const ok = await swapNodeTaints(this.client, this.#nodes.lister, name, [add], [remove]);
          return ok ? { done: true } : { done: false, retryAfterMs: 0 };
        } catch (err) {
          this.logger.warn('could not taint node', { node: name, error: err });
          return { done: false, retryAfterMs: 0 };
        }
      });
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Zones

  #computeZoneState(conditions: Array<NodeCondition | undefined>): [unhealthy: number, state: ZoneState] {
    let ready = 0;
    let notReady = 0;
    for (const c of conditions) {
      if (c?.status === 'True') ready++;
      else notReady++;
    }
    if (ready === 0 && notReady > 0) return [notReady, 'FullDisruption'];
    if (notReady > 2 && notReady / (notReady + ready) >= this.#unhealthyZoneThreshold) return [notReady, 'PartialDisruption'];
    return [notReady, 'Normal'];
  }

  #setLimiterInZone(zone: string, size: number, state: ZoneState): void {
    const tainter = this.#tainters.get(zone);
    if (!tainter) return;
    if (state === 'Normal' || state === 'FullDisruption') tainter.swapLimiter(this.#evictionRate);
    else if (state === 'PartialDisruption') tainter.swapLimiter(size > this.#largeClusterThreshold ? this.#secondaryEvictionRate : 0);
  }

  /** upstream handleDisruption: slower (or no) tainting in disrupted zones; none at all when every zone is down. */
  #handleDisruption(zoneConditions: Map<string, Array<NodeCondition | undefined>>, nodes: Node[]): void {
    const newStates = new Map<string, ZoneState>();
    let allAreFullyDisrupted = true;
    for (const [zone, conditions] of zoneConditions) {
      const [, state] = this.#computeZoneState(conditions);
      if (state !== 'FullDisruption') allAreFullyDisrupted = false;
      newStates.set(zone, state);
      if (!this.#zoneStates.has(zone)) this.#zoneStates.set(zone, 'Initial');
    }
    let allWasFullyDisrupted = true;
    for (const [zone, state] of [...this.#zoneStates]) {
      if (!zoneConditions.has(zone)) {
        this.#zoneStates.delete(zone);
        continue;
      }
      if (state !== 'FullDisruption') {
        allWasFullyDisrupted = false;
        break;
      }
    }
    if (allAreFullyDisrupted && allWasFullyDisrupted) return;
    if (allAreFullyDisrupted) {
      this.logger.info('Controller detected that all Nodes are not-Ready. Entering master disruption mode');
      for (const node of nodes) {
        void this.#markNodeAsReachable(node).catch((err: unknown) => this.logger.warn('could not remove taints from node', { node: node.metadata?.name, error: err }));
      }
      for (const zone of this.#zoneStates.keys()) {
        this.#tainters.get(zone)?.swapLimiter(0);
        this.#zoneStates.set(zone, 'FullDisruption');
      }
      return;
    }
    if (allWasFullyDisrupted) {
      this.logger.info('Controller detected that some Nodes are Ready. Exiting master disruption mode');
      const now = Date.now();
      for (const node of nodes) {
        const h = this.#health.get(node.metadata?.name ?? '');
        if (h) Object.assign(h, { probeTimestamp: now, readyTransitionTimestamp: now });
      }
      for (const zone of this.#zoneStates.keys()) {
        const state = newStates.get(zone) ?? 'Normal';
        this.#setLimiterInZone(zone, zoneConditions.get(zone)?.length ?? 0, state);
        this.#zoneStates.set(zone, state);
      }
      return;
    }
    for (const [zone, state] of this.#zoneStates) {
      const next = newStates.get(zone) ?? state;
      if (next === state) continue;
      this.logger.info('Controller detected that zone is now in new state', { zone, newState: next });
      this.#setLimiterInZone(zone, zoneConditions.get(zone)?.length ?? 0, next);
      this.#zoneStates.set(zone, next);
    }
  }
}

function sameCondition(a: NodeCondition | undefined, b: NodeCondition | undefined): boolean {
  if (!a || !b) return a === b;
  return a.status === b.status && a.reason === b.reason && a.message === b.message && a.lastTransitionTime === b.lastTransitionTime && a.lastHeartbeatTime === b.lastHeartbeatTime;
}

