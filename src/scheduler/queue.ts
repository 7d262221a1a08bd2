// The scheduling queue: activeQ (highest priority first, then oldest), backoffQ (pods waiting out a
// per-pod exponential backoff, 1 s doubling to 10 s) and unschedulablePods (parked until a cluster event
// that may help them, or for at most 5 minutes).
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { KeyedHeap } from './heap.ts';

export interface Clock {
  /** Milliseconds; only differences matter. */
  now(): number;
}

export const realClock: Clock = { now: () => Date.now() };

export interface QueuedPodInfo {
  pod: Pod;
  readonly key: string;
  /** When the pod was (re-)added to a queue; orders equal priorities in activeQ. */
  timestamp: number;
  readonly initialAttemptTimestamp: number;
  /** Scheduling attempts so far (incremented by pop). */
  attempts: number;
  /** Plugins that rejected it last time; decides which cluster events may help. */
  unschedulablePlugins: Set<string>;
}

export type ClusterEventResource = 'Node' | 'Pod' | 'AssignedPod' | 'PersistentVolume' | 'PersistentVolumeClaim' | 'StorageClass' | 'CSINode';
export type ClusterEventAction = 'Add' | 'Update' | 'Delete' | 'UpdateNodeLabel' | 'UpdateNodeTaint' | 'UpdateNodeAllocatable' | 'UpdateNodeCondition';

export interface ClusterEvent {
  resource: ClusterEventResource;
  action: ClusterEventAction;
  /** For logs: e.g. "NodeAdd", "AssignedPodDelete". */
  label?: string;
}

/** Which events may make a pod rejected by each in-tree plugin schedulable (upstream's EventsToRegister, simplified). */
export const PLUGIN_EVENTS: Readonly<Record<string, readonly ClusterEvent[]>> = {
  NodeName: [{ resource: 'Node', action: 'Add' }],
  NodeUnschedulable: [{ resource: 'Node', action: 'Add' }, { resource: 'Node', action: 'UpdateNodeTaint' }, { resource: 'Node', action: 'Update' }],
  TaintToleration: [{ resource: 'Node', action: 'Add' }, { resource: 'Node', action: 'UpdateNodeTaint' }, { resource: 'Node', action: 'Update' }],
  NodeAffinity: [{ resource: 'Node', action: 'Add' }, { resource: 'Node', action: 'UpdateNodeLabel' }, { resource: 'Node', action: 'Update' }],
  NodePorts: [{ resource: 'Node', action: 'Add' }, { resource: 'AssignedPod', action: 'Delete' }],
  NodeResourcesFit: [
    { resource: 'Node', action: 'Add' },
    { resource: 'Node', action: 'UpdateNodeAllocatable' },
    { resource: 'Node', action: 'Update' },
    { resource: 'AssignedPod', action: 'Delete' },
    { resource: 'AssignedPod', action: 'Update' },
  ],
  PodTopologySpread: [{ resource: 'Node', action: 'Add' }, { resource: 'Node', action: 'UpdateNodeLabel' }, { resource: 'Node', action: 'Delete' }, { resource: 'AssignedPod', action: 'Add' }, { resource: 'AssignedPod', action: 'Update' }, { resource: 'AssignedPod', action: 'Delete' }],
  InterPodAffinity: [{ resource: 'Node', action: 'Add' }, { resource: 'Node', action: 'UpdateNodeLabel' }, { resource: 'AssignedPod', action: 'Add' }, { resource: 'AssignedPod', action: 'Update' }, { resource: 'AssignedPod', action: 'Delete' }],
};

/** True when the event may help a pod rejected by these plugins (unknown plugins or none: always). */
export function eventMayHelp(event: ClusterEvent, plugins: ReadonlySet<string>, table: Readonly<Record<string, readonly ClusterEvent[]>> = PLUGIN_EVENTS): boolean {
  if (plugins.size === 0) return true;
  for (const name of plugins) {
    const events = table[name];
    if (!events) return true;
    if (events.some((e) => e.resource === event.resource && e.action === event.action)) return true;
  }
  return false;
}

export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

function priority(pod: Pod): number {
  return pod.spec?.priority ?? 0;
}

export interface SchedulingQueueOptions {
  clock?: Clock;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a pod may stay parked as unschedulable before it is retried anyway. */
  maxUnschedulableMs?: number;
  eventTable?: Readonly<Record<string, readonly ClusterEvent[]>>;
}

export class QueueClosedError extends Error {
  override name = 'QueueClosedError';
}

export class SchedulingQueue {
  readonly #clock: Clock;
  readonly #initialBackoff: number;
  readonly #maxBackoff: number;
  readonly #maxUnschedulable: number;
  readonly #events: Readonly<Record<string, readonly ClusterEvent[]>>;
  readonly #active = new KeyedHeap<QueuedPodInfo>((a, b) => priority(a.pod) > priority(b.pod) || (priority(a.pod) === priority(b.pod) && a.timestamp < b.timestamp));
  readonly #backoff: KeyedHeap<QueuedPodInfo>;
  readonly #unschedulable = new Map<string, QueuedPodInfo>();
  /** Pods popped and not yet done, with the move-request cycle seen when popped. */
  readonly #inFlight = new Map<string, number>();
  /** Pods deleted while being scheduled: a failed attempt must not bring them back. */
  readonly #deletedInFlight = new Set<string>();
  #schedulingCycle = 0;
  #moveRequestCycle = -1;
  #waiters: (() => void)[] = [];
  #closed = false;

  constructor(opts: SchedulingQueueOptions = {}) {
    this.#clock = opts.clock ?? realClock;
    this.#initialBackoff = opts.initialBackoffMs ?? 1000;
    this.#maxBackoff = opts.maxBackoffMs ?? 10_000;
    this.#maxUnschedulable = opts.maxUnschedulableMs ?? 5 * 60_000;
    this.#events = opts.eventTable ?? PLUGIN_EVENTS;
    this.#backoff = new KeyedHeap((a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
  }

  /** 1 s, 2 s, 4 s, 8 s, then 10 s: doubling per attempt, capped. */
  backoffDuration(info: QueuedPodInfo): number {
    let d = this.#initialBackoff;
    for (let i = 1; i < info.attempts; i++) {
      d *= 2;
      if (d >= this.#maxBackoff) return this.#maxBackoff;
    }
    return Math.min(d, this.#maxBackoff);
  }

  backoffExpiry(info: QueuedPodInfo): number {
    return info.timestamp + this.backoffDuration(info);
  }

  #isBackingOff(info: QueuedPodInfo): boolean {
    return info.attempts > 0 && this.backoffExpiry(info) > this.#clock.now();
  }

  /** A new pending pod. */
  add(pod: Pod): void {
    const key = podKey(pod);
    const now = this.#clock.now();
    this.#backoff.delete(key);
    this.#unschedulable.delete(key);
    const old = this.#active.get(key);
    this.#active.set(key, old ? { ...old, pod } : { pod, key, timestamp: now, initialAttemptTimestamp: now, attempts: 0, unschedulablePlugins: new Set() });
    this.#wake();
  }

  /** The pod object changed: keep its place, but give a parked pod another chance. */
  update(pod: Pod): void {
    const key = podKey(pod);
    const inActive = this.#active.get(key);
    if (inActive) return this.#active.set(key, { ...inActive, pod });
    const inBackoff = this.#backoff.get(key);
    if (inBackoff) return this.#backoff.set(key, { ...inBackoff, pod });
    const parked = this.#unschedulable.get(key);
    if (parked) {
      this.#unschedulable.delete(key);
      this.#requeue({ ...parked, pod });
      return;
    }
    if (!this.#inFlight.has(key)) this.add(pod);
  }

  delete(pod: Pod): void {
    const key = podKey(pod);
    this.#active.delete(key);
    this.#backoff.delete(key);
    this.#unschedulable.delete(key);
    if (this.#inFlight.has(key)) this.#deletedInFlight.add(key);
  }

  /** The next pod to schedule, or undefined when activeQ is empty. Counts an attempt. */
  popNow(): QueuedPodInfo | undefined {
    const info = this.#active.pop();
    if (!info) return undefined;
    info.attempts++;
    this.#schedulingCycle++;
    this.#inFlight.set(info.key, this.#schedulingCycle);
    return info;
  }

  /** Waits for a pod in activeQ. Rejects with the signal's reason, or QueueClosedError after close(). */
  async pop(signal?: AbortSignal): Promise<QueuedPodInfo> {
    for (;;) {
      if (this.#closed) throw new QueueClosedError('scheduling queue is closed');
      signal?.throwIfAborted();
      const info = this.popNow();
      if (info) return info;
      await new Promise<void>((resolve, reject) => {
        const waiter = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(signal?.reason as Error);
        };
        this.#waiters.push(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  /** The pod was scheduled (or given up on): forget it is in flight. */
  done(key: string): void {
    this.#inFlight.delete(key);
    this.#deletedInFlight.delete(key);
  }

  /**
   * The attempt failed. The pod is parked as unschedulable, unless a cluster event arrived while it was
   * being scheduled (then it goes to backoff, since that event may have helped) or `error` is set
   * (a plugin error: retry after backoff).
   */
  addUnschedulable(info: QueuedPodInfo, opts: { unschedulablePlugins?: ReadonlySet<string>; error?: boolean } = {}): void {
    const cycle = this.#inFlight.get(info.key) ?? this.#schedulingCycle;
    this.#inFlight.delete(info.key);
    if (this.#deletedInFlight.delete(info.key)) return;
    info.timestamp = this.#clock.now();
    info.unschedulablePlugins = new Set(opts.unschedulablePlugins ?? []);
    if (this.#active.has(info.key) || this.#backoff.has(info.key)) return;
    if (opts.error || this.#moveRequestCycle >= cycle) this.#backoff.set(info.key, info);
    else this.#unschedulable.set(info.key, info);
  }

  #requeue(info: QueuedPodInfo): void {
    if (this.#isBackingOff(info)) this.#backoff.set(info.key, info);
    else {
      this.#active.set(info.key, info);
      this.#wake();
    }
  }

  /** A cluster event: parked pods it may help move to activeQ, or to backoffQ while their backoff lasts. */
  moveAllToActiveOrBackoff(event: ClusterEvent): number {
    let moved = 0;
    for (const [key, info] of this.#unschedulable) {
      if (!eventMayHelp(event, info.unschedulablePlugins, this.#events)) continue;
      this.#unschedulable.delete(key);
      this.#requeue(info);
      moved++;
    }
    this.#moveRequestCycle = this.#schedulingCycle;
    return moved;
  }

  /** Moves pods whose backoff has ended to activeQ; call about once a second. */
  flushBackoffCompleted(): number {
    let moved = 0;
    for (let top = this.#backoff.peek(); top && !this.#isBackingOff(top); top = this.#backoff.peek()) {
      this.#backoff.pop();
      this.#active.set(top.key, top);
      moved++;
    }
    if (moved > 0) this.#wake();
    return moved;
  }

  /** Retries pods parked longer than maxUnschedulableMs; call periodically (upstream: every 30 s). */
  flushUnschedulableLeftover(): number {
    const now = this.#clock.now();
    let moved = 0;
    for (const [key, info] of this.#unschedulable) {
      if (now - info.timestamp < this.#maxUnschedulable) continue;
      this.#unschedulable.delete(key);
      this.#requeue(info);
      moved++;
    }
    return moved;
  }

  pending(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.#active.size, backoff: this.#backoff.size, unschedulable: this.#unschedulable.size };
  }

  /** Where a pod is: 'active', 'backoff', 'unschedulable', or undefined. */
  where(key: string): 'active' | 'backoff' | 'unschedulable' | undefined {
    if (this.#active.has(key)) return 'active';
    if (this.#backoff.has(key)) return 'backoff';
    if (this.#unschedulable.has(key)) return 'unschedulable';
    return undefined;
  }

  close(): void {
    this.#closed = true;
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
