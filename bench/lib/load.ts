// Load shapes: an open loop that sends on a fixed schedule, and a closed loop of concurrent workers.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export interface OpenLoopResult {
  /** From the first scheduled send to the last completion. */
  windowMs: number;
  sent: number;
  /** How late the loop fired, at worst (the client's own lag). */
  maxSendLagMs: number;
}

/**
 * Fires op(i, scheduledAt) at `ratePerSec` for `durationMs`, never waiting for earlier operations: an operation due
 * while the loop was busy is sent at once and keeps its scheduled time, so latency measured from scheduledAt includes
 * any queueing (no coordinated omission).
 */
export async function openLoop(
  options: { ratePerSec: number; durationMs: number; signal?: AbortSignal },
  op: (i: number, scheduledAt: number) => Promise<void>,
): Promise<OpenLoopResult> {
  const total = Math.round((options.ratePerSec * options.durationMs) / 1000);
  const intervalMs = 1000 / options.ratePerSec;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  let maxSendLagMs = 0;
  for (let i = 0; i < total; i++) {
    options.signal?.throwIfAborted();
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    maxSendLagMs = Math.max(maxSendLagMs, performance.now() - due);
    pending.push(op(i, due));
  }
  await Promise.all(pending);
  return { windowMs: performance.now() - start, sent: total, maxSendLagMs };
}

/** Runs `workers` loops of op(worker, iteration) back to back until `durationMs` has passed (or maxOps each). */
export async function closedLoop(
  options: { workers: number; durationMs: number; maxOpsPerWorker?: number; signal?: AbortSignal },
  op: (worker: number, iteration: number) => Promise<void>,
): Promise<{ windowMs: number }> {
  const start = performance.now();
  const deadline = start + options.durationMs;
  const limit = options.maxOpsPerWorker ?? 1_000_000;
  const loops = Array.from({ length: options.workers }, async (_, worker) => {
    for (let i = 0; i < limit && performance.now() < deadline; i++) {
      options.signal?.throwIfAborted();
      await op(worker, i);
    }
  });
  await Promise.all(loops);
  return { windowMs: performance.now() - start };
}

/** Runs op over items with at most `concurrency` in flight. */
export async function forEachConcurrent<T>(items: readonly T[], concurrency: number, op: (item: T, index: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      signal?.throwIfAborted();
      const index = next++;
      await op(items[index]!, index);
    }
  });
  await Promise.all(lanes);
}
