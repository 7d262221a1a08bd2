// The arithmetic of one probe worker, kept apart from its timers and I/O: the probe's timings with upstream's
// defaults, the run of equal results that must reach a threshold before it counts, and the tick grid that keeps a
// worker from drifting.
import type { Probe } from 'kubernetes-types/core/v1.d.ts';
import { DEFAULT_TIMEOUT_SECONDS } from './common.ts';

export interface ProbeTimings {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

/** upstream's defaults: period 10 s, timeout 1 s, success 1, failure 3. `secondMs` is how long a second lasts. */
export function probeTimings(spec: Probe, secondMs = 1000): ProbeTimings {
  const positive = (v: number | undefined, dflt: number) => (v !== undefined && v > 0 ? v : dflt);
  return {
    initialDelayMs: Math.max(0, spec.initialDelaySeconds ?? 0) * secondMs,
    periodMs: positive(spec.periodSeconds, 10) * secondMs,
    timeoutMs: positive(spec.timeoutSeconds, DEFAULT_TIMEOUT_SECONDS) * secondMs,
    successThreshold: positive(spec.successThreshold, 1),
    failureThreshold: positive(spec.failureThreshold, 3),
  };
}

export type Verdict = 'success' | 'failure';

/** Counts how many times in a row the same result came; a result counts once its run reaches its threshold. */
export class ResultRun {
  #last: Verdict | undefined;
  #run = 0;

  constructor(
    readonly successThreshold: number,
    readonly failureThreshold: number,
  ) {}

  /** The result to act on, or undefined while its run is below the threshold. */
  add(result: Verdict): Verdict | undefined {
    if (result === this.#last) this.#run++;
    else {
      this.#last = result;
      this.#run = 1;
    }
    return this.#run >= (result === 'success' ? this.successThreshold : this.failureThreshold) ? result : undefined;
  }

  reset(): void {
    this.#last = undefined;
    this.#run = 0;
  }
}

/** The first tick of the grid `start + k·period` that is later than `now`. */
export function nextTick(start: number, periodMs: number, now: number): number {
  if (start > now) return start;
  return start + (Math.floor((now - start) / periodMs) + 1) * periodMs;
}
