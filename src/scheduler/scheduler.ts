// The scheduler as a running component: informers feed the cache (nodes and bound pods) and the scheduling queue
// (pending pods); one loop pops a pod, runs the framework over the cache's snapshot, assumes the pod on the chosen
// node and sends the binding without waiting for it (upstream's binding cycle), then takes the next pod.
import type { Node, Pod } from 'kubernetes-types/core/v1.d.ts';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.d.ts';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.d.ts';
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { deepEqual } from '../apiserver/objects.ts';
import type { Client, KubeObject } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import type { EventRecorder } from '../client/events.ts';
import type { Informer } from '../client/informer.ts';
import type { Controller, ControllerContext } from '../controllers/controller.ts';
import type { Logger } from '../log.ts';
import { SchedulerCache } from './cache.ts';
import { isTerminal } from './cache.ts';
import { DEFAULT_SCORE_WEIGHTS, defaultPlugins } from './defaults.ts';
import { CycleState, FitError, Framework, SchedulingError } from './framework.ts';
import type { Plugin } from './framework.ts';
import { Nominator } from './nominator.ts';
import { conditionChange, observedGeneration, patchPodStatus } from './podstatus.ts';
import { withPriority } from './priority.ts';
import type { PriorityClasses } from './priority.ts';
import { SchedulingQueue } from './queue.ts';
import type { ClusterEvent, ClusterEventAction, QueuedPodInfo } from './queue.ts';
import { DEFAULT_BINDER, newDefaultBinder } from './plugins/defaultbinder.ts';
import { newDefaultPreemption, REASON_PREEMPTION_BY_SCHEDULER } from './plugins/defaultpreemption.ts';
import type { Candidate } from './plugins/defaultpreemption.ts';
import { NAMESPACES, NODES, PODS, POD_DISRUPTION_BUDGETS as PDBS, PRIORITY_CLASSES } from '../client/resources.ts';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';
const MAX_EVENT_MESSAGE = 1024;
/** The loop gives informer events and binding answers a turn at least this often. */
const YIELD_EVERY_MS = 5;

export interface SchedulerOptions {
  /** Pods whose spec.schedulerName is this (or empty, for the default) are ours. Default 'default-scheduler'. */
  schedulerName?: string;
  /** As upstream's percentageOfNodesToScore: 0 (default) is adaptive. */
  percentageOfNodesToScore?: number;
  /** Bindings sent and not yet answered, at most; the loop waits for one to finish beyond this. Default 64. */
  maxBindsInFlight?: number;
  random?: () => number;
}

/** Counters for benchmarks and logs; times are performance.now() milliseconds. */
export interface SchedulerStats {
  attempts: number;
  /** Milliseconds spent in scheduling cycles (filter, score, preemption), without the bindings. */
  cycleMs: number;
  bound: number;
  unschedulable: number;
  errors: number;
  firstAttemptAt: number;
  lastBoundAt: number;
}

function truncate(message: string): string {
  return message.length <= MAX_EVENT_MESSAGE ? message : `${message.slice(0, MAX_EVENT_MESSAGE - 4)} ...`;
}

/** A reference the event recorder can name (list items carry no kind). */
function podRef(pod: Pod): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: (pod.metadata ?? {}) as NonNullable<KubeObject['metadata']> };
}

function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/** Did anything but status and bookkeeping change (upstream's isPodUpdated)? */
function podUpdated(a: Pod, b: Pod): boolean {
  const strip = (p: Pod) => {
    const { resourceVersion: _rv, managedFields: _mf, generation: _g, finalizers: _f, ...meta } = p.metadata ?? {};
    return { meta, spec: p.spec };
  };
  return !deepEqual(strip(a), strip(b));
}

/** What changed on a node that may let pods in (upstream's nodeSchedulingPropertiesChange). */
export function nodeUpdateActions(old: Node, next: Node): ClusterEventAction[] {
  const out: ClusterEventAction[] = [];
  if (!deepEqual(old.status?.allocatable, next.status?.allocatable)) out.push('UpdateNodeAllocatable');
  if (!deepEqual(old.metadata?.labels, next.metadata?.labels)) out.push('UpdateNodeLabel');
  if (!deepEqual(old.spec?.taints, next.spec?.taints) || Boolean(old.spec?.unschedulable) !== Boolean(next.spec?.unschedulable)) out.push('UpdateNodeTaint');
  const statuses = (n: Node) => Object.fromEntries((n.status?.conditions ?? []).map((c) => [c.type, c.status]));
  if (!deepEqual(statuses(old), statuses(next))) out.push('UpdateNodeCondition');
  return out;
}

export class Scheduler implements Controller {
  readonly name: string;
  readonly stats: SchedulerStats = { attempts: 0, cycleMs: 0, bound: 0, unschedulable: 0, errors: 0, firstAttemptAt: 0, lastBoundAt: 0 };
  readonly #client: Client;
  readonly #logger: Logger;
  readonly #recorder: EventRecorder;
  readonly #pods: Informer<Pod & KubeObject>;
  readonly #nodes: Informer<Node & KubeObject>;
  readonly #namespaces: Informer;
  readonly #priorityClasses: Informer<PriorityClass & KubeObject>;
  readonly #pdbs: Informer<PodDisruptionBudget & KubeObject>;
  readonly #cache = new SchedulerCache();
  readonly #queue = new SchedulingQueue();
  readonly #nominator = new Nominator();
  readonly #framework: Framework;
  readonly #classes: PriorityClasses;
  readonly #maxBinds: number;
  /** Preemptors whose victims are still being evicted: they wait rather than preempt again. */
  readonly #preempting = new Set<string>();
  readonly #binds = new Set<Promise<void>>();
  #bindFinished: (() => void) | undefined;

  constructor(ctx: ControllerContext, opts: SchedulerOptions = {}) {
    this.name = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.#client = ctx.client;
    this.#logger = ctx.logger('scheduler');
    this.#recorder = ctx.recorder(this.name);
    this.#maxBinds = opts.maxBindsInFlight ?? 64;
    this.#pods = ctx.informers.informer(PODS);
    this.#nodes = ctx.informers.informer(NODES);
    this.#namespaces = ctx.informers.informer(NAMESPACES);
    this.#priorityClasses = ctx.informers.informer(PRIORITY_CLASSES);
    this.#pdbs = ctx.informers.informer(PDBS);
    const classes = this.#priorityClasses.lister;
    this.#classes = { get: (name) => classes.get(name), list: () => classes.list() };

    const preemption = newDefaultPreemption({
      filter: (state, pod, node) => this.#framework.runFilterWithNominatedPods(state, pod, node),
      preempt: (preemptor, candidate) => this.#preempt(preemptor, candidate),
      currentPod: (pod) => {
        const current = this.#pods.lister.get(podKey(pod));
        return current && current.metadata?.uid === pod.metadata?.uid ? withPriority(current, this.#classes) : undefined;
      },
      podDisruptionBudgets: () => this.#pdbs.lister.list(),
      ...(opts.random ? { random: opts.random } : {}),
    });
    const plugins: Plugin[] = [
      ...defaultPlugins({ interPodAffinity: { namespaceLabels: (ns) => this.#namespaces.lister.get(ns)?.metadata?.labels } }),
      preemption,
      newDefaultBinder(ctx.client),
    ];
    this.#framework = new Framework({
      plugins,
      scoreWeights: DEFAULT_SCORE_WEIGHTS,
      nominatedPods: (node) => this.#nominator.forNode(node),
      ...(opts.percentageOfNodesToScore !== undefined ? { percentageOfNodesToScore: opts.percentageOfNodesToScore } : {}),
      ...(opts.random ? { random: opts.random } : {}),
    });

    this.#nodes.addEventHandler({
      onAdd: (node) => {
        this.#cache.addNode(node);
        this.#move('Node', 'Add');
      },
      onUpdate: (old, node) => {
        if (old.metadata?.resourceVersion === node.metadata?.resourceVersion) return;
        this.#cache.updateNode(node);
        for (const action of nodeUpdateActions(old, node)) this.#move('Node', action);
      },
      onDelete: (node) => {
        this.#cache.removeNode(node);
        this.#move('Node', 'Delete');
      },
    });
    this.#pods.addEventHandler({
      onAdd: (pod) => this.#podAdded(pod),
      onUpdate: (old, pod) => this.#podUpdated(old, pod),
      onDelete: (pod) => this.#podDeleted(pod),
    });
  }

  /** Pending pods: in activeQ, waiting out a backoff, or parked as unschedulable. */
  pending(): { active: number; backoff: number; unschedulable: number } {
    return this.#queue.pending();
  }

  #responsible(pod: Pod): boolean {
    return (pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME) === this.name;
  }

  #move(resource: ClusterEvent['resource'], action: ClusterEventAction): void {
    if (this.#queue.pending().unschedulable === 0) return;
    this.#queue.moveAllToActiveOrBackoff({ resource, action });
  }

  #podAdded(pod: Pod): void {
    if (pod.spec?.nodeName) {
      this.#nominator.remove(pod);
      this.#cache.addPod(pod);
      this.#move('AssignedPod', 'Add');
      return;
    }
    if (!this.#responsible(pod) || isTerminal(pod)) return;
    const prioritized = withPriority(pod, this.#classes);
    if (pod.status?.nominatedNodeName) this.#nominator.set(prioritized, pod.status.nominatedNodeName);
    if (pod.spec?.schedulingGates?.length) return;
    this.#queue.add(prioritized);
  }

  #podUpdated(old: Pod, pod: Pod): void {
    if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
    if (pod.spec?.nodeName) {
      if (!old.spec?.nodeName) {
        // Bound (by us or anyone): it leaves the queue and counts on its node.
        this.#queue.delete(pod);
        this.#nominator.remove(pod);
        this.#cache.addPod(pod);
        this.#move('AssignedPod', 'Add');
        return;
      }
      if (isTerminal(pod)) {
        this.#cache.removePod(pod);
        this.#move('AssignedPod', 'Delete');
        return;
      }
      this.#cache.updatePod(pod);
      if (!deepEqual(old.metadata?.labels, pod.metadata?.labels) || !deepEqual(old.spec.containers, pod.spec.containers)) this.#move('AssignedPod', 'Update');
      return;
    }
    if (!this.#responsible(pod)) return;
    if (isTerminal(pod)) {
      this.#queue.delete(pod);
      this.#nominator.remove(pod);
      return;
    }
    const prioritized = withPriority(pod, this.#classes);
    if (this.#nominator.nodeOf(pod) !== (pod.status?.nominatedNodeName || undefined)) this.#nominator.set(prioritized, pod.status?.nominatedNodeName ?? '');
    if (pod.spec?.schedulingGates?.length) return;
    // Status-only changes (ours among them) do not send a parked pod round again; the loop reads the latest pod anyway.
    if (podUpdated(old, pod) || this.#queue.where(podKey(pod)) === undefined) this.#queue.update(prioritized);
  }

  #podDeleted(pod: Pod): void {
    this.#queue.delete(pod);
    this.#nominator.remove(pod);
    const held = pod.spec?.nodeName || this.#cache.isAssumed(pod);
    this.#cache.removePod(pod);
    if (held) this.#move('AssignedPod', 'Delete');
  }

  async start(outer: AbortSignal): Promise<void> {
    // Every binding in flight listens to the signal: one of our own, so that many may.
    const stop = new AbortController();
    setMaxListeners(0, stop.signal);
    const onAbort = () => stop.abort(outer.reason);
    if (outer.aborted) onAbort();
    else outer.addEventListener('abort', onAbort, { once: true });
    try {
      await this.#run(stop.signal);
    } finally {
      outer.removeEventListener('abort', onAbort);
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    try {
      await Promise.all([this.#pods, this.#nodes, this.#namespaces, this.#priorityClasses, this.#pdbs].map((i) => i.waitForSync(signal)));
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    const backoffTimer = setInterval(() => this.#queue.flushBackoffCompleted(), 1000);
    const leftoverTimer = setInterval(() => this.#queue.flushUnschedulableLeftover(), 30_000);
    try {
      await this.#loop(signal);
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      clearInterval(backoffTimer);
      clearInterval(leftoverTimer);
      this.#queue.close();
      await Promise.allSettled([...this.#binds]);
    }
  }

  async #loop(signal: AbortSignal): Promise<void> {
    let lastYield = performance.now();
    for (;;) {
      const info = await this.#queue.pop(signal);
      const started = performance.now();
      try {
        this.#scheduleOne(info, signal);
      } catch (err) {
        // A bug must not stop the scheduler: the pod is retried after a backoff.
        this.#logger.error('scheduling cycle failed', { pod: info.key, error: err });
        this.#queue.addUnschedulable(info, { error: true });
      }
      this.stats.cycleMs += performance.now() - started;
      while (this.#binds.size >= this.#maxBinds) {
        await new Promise<void>((resolve) => (this.#bindFinished = resolve));
        signal.throwIfAborted();
      }
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
        signal.throwIfAborted();
      }
    }
  }

  /** The scheduling cycle of one pod; the binding continues in the background. */
  #scheduleOne(info: QueuedPodInfo, signal: AbortSignal): void {
    const current = this.#pods.lister.get(info.key);
    // Gone, bound, being deleted, or assumed already (an update re-queued it while its binding was under way).
    if (!current || current.metadata?.uid !== info.pod.metadata?.uid || current.spec?.nodeName || current.metadata?.deletionTimestamp || this.#cache.isAssumed(current)) {
      this.#queue.done(info.key);
      return;
    }
    const pod = withPriority(current, this.#classes);
    info.pod = pod;
    if (this.#preempting.has(pod.metadata?.uid ?? '')) {
      this.#queue.addUnschedulable(info, { unschedulablePlugins: info.unschedulablePlugins });
      return;
    }
    if (this.stats.attempts++ === 0) this.stats.firstAttemptAt = performance.now();
    const state = new CycleState();
    const snapshot = this.#cache.snapshot();
    if (snapshot.nodes.length === 0) {
      this.#failed(info, pod, NO_NODES_AVAILABLE, { reason: 'Unschedulable', nominatedNodeName: '' });
      return;
    }
    let result;
    try {
      result = this.#framework.schedulePod(state, pod, snapshot);
      if (result instanceof FitError) {
        const post = this.#framework.runPostFilter(state, pod, result, snapshot);
        if (post.status.code === 'Error') this.#logger.warn('preemption failed', { pod: info.key, error: post.status.message });
        this.#failed(info, pod, result.message, {
          reason: 'Unschedulable',
          unschedulablePlugins: result.diagnosis.unschedulablePlugins,
          ...(post.nominatedNodeName !== undefined ? { nominatedNodeName: post.nominatedNodeName } : {}),
        });
        return;
      }
    } catch (err) {
      const message = err instanceof SchedulingError ? err.message : String((err as Error)?.message ?? err);
      this.#failed(info, pod, message, { reason: 'SchedulerError', error: true });
      return;
    }

    const nodeName = result.nodeName;
    const assumed: Pod = { ...pod, spec: { ...pod.spec!, nodeName } };
    this.#cache.assumePod(assumed, nodeName);
    this.#nominator.remove(pod);
    const reserved = this.#framework.runReserve(state, assumed, nodeName);
    const permit = reserved.isSuccess() ? this.#framework.runPermit(state, assumed, nodeName).status : reserved;
    if (!permit.isSuccess() && permit.code !== 'Wait') {
      if (reserved.isSuccess()) this.#framework.runUnreserve(state, assumed, nodeName);
      this.#cache.forgetPod(assumed);
      this.#failed(info, pod, permit.message, { reason: permit.isRejected() ? 'Unschedulable' : 'SchedulerError', error: !permit.isRejected(), unschedulablePlugins: new Set([permit.plugin]) });
      return;
    }
    const bind = this.#bind(info, state, assumed, nodeName, signal).finally(() => {
      this.#binds.delete(bind);
      const wake = this.#bindFinished;
      this.#bindFinished = undefined;
      wake?.();
    });
    this.#binds.add(bind);
  }

  /** upstream's binding cycle: PreBind, Bind, then the Scheduled event; on failure the pod is forgotten and retried. */
  async #bind(info: QueuedPodInfo, state: CycleState, assumed: Pod, nodeName: string, signal: AbortSignal): Promise<void> {
    let failure: string | undefined;
    try {
      const pre = await this.#framework.runPreBind(state, assumed, nodeName, signal);
      if (!pre.isSuccess()) failure = `running PreBind plugin "${pre.plugin}": ${pre.message}`;
      else {
        const bound = await this.#framework.runBind(state, assumed, nodeName, signal);
        if (!bound.isSuccess()) failure = `running Bind plugin "${bound.plugin || DEFAULT_BINDER}": ${bound.message}`;
      }
    } catch (err) {
      failure = String((err as Error)?.message ?? err);
    }
    if (signal.aborted) return;
    if (failure === undefined) {
      this.#queue.done(info.key);
      this.stats.bound++;
      this.stats.lastBoundAt = performance.now();
      const { namespace = '', name = '' } = assumed.metadata ?? {};
      this.#recorder.event(podRef(assumed), 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${nodeName}`);
      this.#framework.runPostBind(state, assumed, nodeName);
      return;
    }
    this.#framework.runUnreserve(state, assumed, nodeName);
    this.#cache.forgetPod(assumed);
    // The room it held is free again.
    this.#move('AssignedPod', 'Delete');
    this.#failed(info, info.pod, failure, { reason: 'SchedulerError', error: true, nominatedNodeName: '' });
  }

  /**
   * upstream's handleSchedulingFailure: back to the queue (unless gone or bound meanwhile), a FailedScheduling event,
   * and PodScheduled=False (with the nomination, when preemption made one) on the pod's status.
   */
  #failed(
    info: QueuedPodInfo,
    pod: Pod,
    message: string,
    opts: { reason: 'Unschedulable' | 'SchedulerError'; unschedulablePlugins?: ReadonlySet<string>; error?: boolean; nominatedNodeName?: string },
  ): void {
    if (opts.error) this.stats.errors++;
    else this.stats.unschedulable++;
    const current = this.#pods.lister.get(info.key);
    const live = current && current.metadata?.uid === pod.metadata?.uid ? current : undefined;
    if (live && !live.spec?.nodeName) {
      info.pod = withPriority(live, this.#classes);
      this.#queue.addUnschedulable(info, { ...(opts.unschedulablePlugins ? { unschedulablePlugins: opts.unschedulablePlugins } : {}), ...(opts.error ? { error: true } : {}) });
    } else this.#queue.done(info.key);
    if (opts.nominatedNodeName !== undefined) this.#nominator.set(pod, opts.nominatedNodeName);
    // Gone, or bound meanwhile (by someone else, or our own binding answered late): nothing to report on it.
    if (!live || live.spec?.nodeName) return;
    this.#recorder.event(podRef(pod), 'Warning', 'FailedScheduling', truncate(message));
    const condition = conditionChange(live, { type: 'PodScheduled', status: 'False', reason: opts.reason, message, ...observedGeneration(live) });
    patchPodStatus(this.#client, live, condition, opts.nominatedNodeName).catch((err: unknown) => {
      if (!isNotFound(err)) this.#logger.debug('pod status not updated', { pod: info.key, error: err });
    });
  }

  /** upstream's PreemptPod for each victim, in the background: DisruptionTarget, delete, a Preempted event. */
  #preempt(preemptor: Pod, candidate: Candidate): void {
    const uid = preemptor.metadata?.uid ?? '';
    this.#preempting.add(uid);
    const schedulerName = preemptor.spec?.schedulerName || DEFAULT_SCHEDULER_NAME;
    const evict = async (victim: Pod): Promise<void> => {
      if (victim.metadata?.deletionTimestamp) return;
      const condition = conditionChange(victim, {
        type: 'DisruptionTarget',
        status: 'True',
        reason: REASON_PREEMPTION_BY_SCHEDULER,
        message: `${schedulerName}: preempting to accommodate a higher priority pod`,
        ...observedGeneration(victim),
      });
      const { namespace = '', name = '' } = victim.metadata ?? {};
      try {
        await patchPodStatus(this.#client, victim, condition);
        await this.#client.delete(PODS, namespace, name);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      this.#recorder.event(podRef(victim), 'Normal', 'Preempted', `Preempted by pod ${uid} on node ${candidate.nodeName}`);
    };
    // Lower-priority pods nominated to that node may no longer fit there: their nomination goes.
    const priority = preemptor.spec?.priority ?? 0;
    const displaced = (this.#nominator.forNode(candidate.nodeName) ?? []).filter((pi) => (pi.pod.spec?.priority ?? 0) < priority).map((pi) => pi.pod);
    void (async () => {
      try {
        for (const p of displaced) {
          this.#nominator.remove(p);
          const live = this.#pods.lister.get(podKey(p));
          if (live) await patchPodStatus(this.#client, live, undefined, '').catch(() => {});
        }
        await Promise.all(candidate.victims.map(evict));
      } catch (err) {
        this.#logger.warn('preemption failed', { preemptor: podKey(preemptor), node: candidate.nodeName, error: err });
        // Let the preemptor try again rather than wait for an event that may not come.
        this.#move('AssignedPod', 'Delete');
      } finally {
        this.#preempting.delete(uid);
      }
    })();
  }
}
