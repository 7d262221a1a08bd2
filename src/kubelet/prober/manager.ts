// The node agent's container probes, as upstream's prober manager and workers: one worker per container and probe
// kind, ticking every periodSeconds after initialDelaySeconds on a fixed grid (one probe in flight, missed ticks
// dropped), the first tick jittered while the agent is young. The startup probe holds back liveness and readiness
// until it succeeds; readiness is false until its first success and an unknown result keeps the last one; liveness
// and startup failing failureThreshold times in a row report the container unhealthy once and then wait for the
// container to be replaced. Every failed probe is a Warning `Unhealthy` event on the pod.
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.d.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { KubeObject } from '../../client/client.ts';
import { type Logger, silentLogger } from '../../log.ts';
import type { ContainerRuntime } from '../runtime.ts';
import type { ContainerProbes, ProbeKind, ProbeListener } from '../seams.ts';
import { TimerQueue } from '../timers.ts';
import type { ProbeResult, ProbeTarget } from './common.ts';
import { runProbe as runProbeOnce, type RunProbeOptions } from './probe.ts';
import { nextTick, type ProbeTimings, probeTimings, ResultRun } from './worker.ts';

/** upstream's maxProbeRetries: a probe that could not run (unknown) is tried this many times per tick. */
const MAX_ATTEMPTS = 3;

const KIND_TITLE: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

export interface ProbeManagerOptions {
  runtime: Pick<ContainerRuntime, 'execSync'>;
  listener: ProbeListener;
  /** Records on the pod with component `kubelet`. */
  recorder: Pick<EventRecorder, 'event'>;
  nodeName: string;
  logger?: Logger;
  /** How many milliseconds a spec second lasts (1000); tests shrink it so periodSeconds 1 is e.g. 50 ms. */
  secondMs?: number;
  /** Random number in [0, 1) for the first tick's jitter. */
  random?: () => number;
  /** Runs one probe; tests may count or script runs. */
  runProbe?: (probe: Probe, target: ProbeTarget, signal: AbortSignal, options: RunProbeOptions) => Promise<ProbeResult>;
  /** Aborting it stops every worker (same as stop()). */
  signal?: AbortSignal;
}

interface ContainerEntry {
  podUID: string;
  pod: Pod;
  container: Container;
  containerId: string;
  podIPs: readonly string[];
  fieldPath: string;
  /** undefined: no readiness probe. */
  ready: boolean | undefined;
  /** undefined: no startup probe. */
  started: boolean | undefined;
  workers: Worker[];
}

interface Worker {
  key: string;
  kind: ProbeKind;
  spec: Probe;
  timings: ProbeTimings;
  entry: ContainerEntry;
  run: ResultRun;
  /** The tick grid: ticks fall on gridStart + k·period. */
  gridStart: number;
  /** Waiting for startup (liveness, readiness), or done until the container is replaced (after unhealthy, startup success). */
  parked: boolean;
  inFlight: AbortController | undefined;
  stopped: boolean;
}

const containerKey = (podUID: string, name: string) => `${podUID}\x00${name}`;

export class ProbeManager implements ContainerProbes {
  readonly nodeName: string;
  readonly #runtime: Pick<ContainerRuntime, 'execSync'>;
  readonly #listener: ProbeListener;
  readonly #recorder: Pick<EventRecorder, 'event'>;
  readonly #log: Logger;
  readonly #secondMs: number;
  readonly #random: () => number;
  readonly #runProbe: NonNullable<ProbeManagerOptions['runProbe']>;
  readonly #startedAt = Date.now();
  readonly #containers = new Map<string, ContainerEntry>();
  readonly #workers = new Map<string, Worker>();
  readonly #timers = new TimerQueue((key) => this.#tick(key));
  readonly #stop = new AbortController();
  #nextWorkerId = 0;

  constructor(options: ProbeManagerOptions) {
    this.#runtime = options.runtime;
    this.#listener = options.listener;
    this.#recorder = options.recorder;
    this.#log = (options.logger ?? silentLogger()).child('prober');
    this.#secondMs = options.secondMs ?? 1000;
    this.#random = options.random ?? Math.random;
    this.#runProbe = options.runProbe ?? runProbeOnce;
    const signal = options.signal;
    if (signal?.aborted) this.stop();
    else signal?.addEventListener('abort', () => this.stop(), { once: true });
    this.nodeName = options.nodeName;
  }

  add(pod: Pod, container: Container, containerId: string, podIPs: readonly string[]): void {
    if (this.#stop.signal.aborted) return;
    const podUID = pod.metadata?.uid ?? '';
    const key = containerKey(podUID, container.name);
    const existing = this.#containers.get(key);
    if (existing?.containerId === containerId) {
      existing.pod = pod;
      existing.podIPs = [...podIPs];
      return;
    }
    if (existing) this.#removeEntry(key, existing);
    const probes: [ProbeKind, Probe | undefined][] = [
      ['startup', container.startupProbe],
      ['liveness', container.livenessProbe],
      ['readiness', container.readinessProbe],
    ];
    if (!probes.some(([, p]) => p)) return;
    const isInit = (pod.spec?.initContainers ?? []).some((c) => c.name === container.name);
    const entry: ContainerEntry = {
      podUID,
      pod,
      container,
      containerId,
      podIPs: [...podIPs],
      fieldPath: `spec.${isInit ? 'initContainers' : 'containers'}{${container.name}}`,
      ready: container.readinessProbe ? false : undefined,
      started: container.startupProbe ? false : undefined,
      workers: [],
    };
    this.#containers.set(key, entry);
    const now = Date.now();
    for (const [kind, spec] of probes) {
      if (!spec) continue;
      const timings = probeTimings(spec, this.#secondMs);
      // Probes of many containers seen right after the agent starts would all fire together; spread them over a period.
      const jitter = now - this.#startedAt < timings.periodMs ? this.#random() * timings.periodMs : 0;
      const worker: Worker = {
        key: `${this.#nextWorkerId++}`,
        kind,
        spec,
        timings,
        entry,
        run: new ResultRun(timings.successThreshold, timings.failureThreshold),
        gridStart: Math.max(now + timings.initialDelayMs, now + jitter),
        parked: kind !== 'startup' && entry.started === false,
        inFlight: undefined,
        stopped: false,
      };
      entry.workers.push(worker);
      this.#workers.set(worker.key, worker);
      if (!worker.parked) this.#timers.schedule(worker.key, worker.gridStart);
    }
  }

  remove(podUID: string, containerName: string): void {
    const key = containerKey(podUID, containerName);
    const entry = this.#containers.get(key);
    if (entry) this.#removeEntry(key, entry);
  }

  removePod(podUID: string): void {
    for (const [key, entry] of this.#containers) if (entry.podUID === podUID) this.#removeEntry(key, entry);
  }

  ready(podUID: string, containerName: string): boolean | undefined {
    return this.#containers.get(containerKey(podUID, containerName))?.ready;
  }

  started(podUID: string, containerName: string): boolean | undefined {
    return this.#containers.get(containerKey(podUID, containerName))?.started;
  }

  /** Stops every worker and cancels probes in flight; later add() calls are ignored. */
  stop(): void {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    this.#timers.stop();
    for (const [key, entry] of this.#containers) this.#removeEntry(key, entry);
  }

  /** How many workers exist and how many probes are running now (tests, metrics). */
  get stats(): { workers: number; inFlight: number } {
    let inFlight = 0;
    for (const w of this.#workers.values()) if (w.inFlight) inFlight++;
    return { workers: this.#workers.size, inFlight };
  }

  #removeEntry(key: string, entry: ContainerEntry): void {
    this.#containers.delete(key);
    for (const w of entry.workers) {
      w.stopped = true;
      w.inFlight?.abort();
      this.#timers.cancel(w.key);
      this.#workers.delete(w.key);
    }
  }

  #tick(key: string): void {
    const w = this.#workers.get(key);
    if (!w || w.stopped || w.parked || w.inFlight) return;
    const controller = new AbortController();
    w.inFlight = controller;
    this.#probe(w, controller.signal)
      .catch((err: unknown) => this.#log.error('probe worker failed', { kind: w.kind, container: w.entry.container.name, err }))
      .finally(() => {
        w.inFlight = undefined;
        if (!w.stopped && !w.parked) this.#timers.schedule(w.key, nextTick(w.gridStart, w.timings.periodMs, Date.now()));
      });
  }

  async #probe(w: Worker, signal: AbortSignal): Promise<void> {
    const entry = w.entry;
    const target: ProbeTarget = { podIPs: entry.podIPs, containerId: entry.containerId, runtime: this.#runtime, container: entry.container };
    let res: ProbeResult = { result: 'unknown', message: '' };
    for (let attempt = 0; attempt < MAX_ATTEMPTS && !signal.aborted; attempt++) {
      res = await this.#runProbe(w.spec, target, signal, { timeoutMs: w.timings.timeoutMs });
      if (res.result !== 'unknown') break;
    }
    if (w.stopped || signal.aborted) return;
    const title = KIND_TITLE[w.kind];
    if (res.result !== 'success') this.#log.debug('probe did not succeed', { pod: entry.pod.metadata?.name, container: entry.container.name, kind: w.kind, result: res.result, message: res.message });
    if (res.result === 'unknown') {
      // The probe could not run at all: say so, and keep the last result.
      this.#event(entry, 'Unhealthy', `${title} probe errored and resulted in unknown state: ${res.message}`);
      return;
    }
    if (res.result === 'failure') this.#event(entry, 'Unhealthy', `${title} probe failed: ${res.message}`);
    else if (res.warning) this.#event(entry, 'ProbeWarning', `${title} probe warning: ${res.message}`);
    const verdict = w.run.add(res.result);
    if (verdict) this.#apply(w, verdict, res.message);
  }

  #apply(w: Worker, verdict: 'success' | 'failure', message: string): void {
    const entry = w.entry;
    const name = entry.container.name;
    switch (w.kind) {
      case 'readiness': {
        const ready = verdict === 'success';
        if (entry.ready === ready) return;
        entry.ready = ready;
        this.#notify(() => this.#listener.changed(entry.podUID));
        return;
      }
      case 'liveness':
        if (verdict === 'success') return;
        // Wait for the container to be replaced; probing a container being killed only adds noise.
        w.parked = true;
        w.run.reset();
        this.#notify(() => this.#listener.unhealthy(entry.podUID, name, entry.containerId, 'liveness', message));
        return;
      case 'startup':
        w.parked = true;
        w.run.reset();
        if (verdict === 'failure') {
          this.#notify(() => this.#listener.unhealthy(entry.podUID, name, entry.containerId, 'startup', message));
          return;
        }
        entry.started = true;
        this.#releaseAfterStartup(entry);
        this.#notify(() => this.#listener.changed(entry.podUID));
        return;
    }
  }

  /** Liveness and readiness start once the startup probe has succeeded, at once if their initial delay is over. */
  #releaseAfterStartup(entry: ContainerEntry): void {
    const now = Date.now();
    for (const w of entry.workers) {
      if (w.kind === 'startup' || !w.parked || w.stopped) continue;
      w.parked = false;
      if (w.gridStart < now) w.gridStart = now;
      this.#timers.schedule(w.key, w.gridStart);
    }
  }

  #event(entry: ContainerEntry, reason: string, message: string): void {
    const ref = { apiVersion: 'v1', kind: 'Pod', metadata: entry.pod.metadata } as KubeObject;
    this.#recorder.event(ref, 'Warning', reason, message, entry.fieldPath);
  }

  #notify(call: () => void): void {
    try {
      call();
    } catch (err) {
      this.#log.error('probe listener failed', { err });
    }
  }
}
