// Latency recording and percentiles for the benchmarks.

export interface Summary {
  count: number;
  errors: number;
  /** Successful operations per second over the measured window. */
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  firstError?: string;
}

/** Nearest-rank percentile of an ascending-sorted array (q in 0..1); NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Collects latencies (ms) and failures of one measured operation. */
export class Recorder {
  readonly latencies: number[] = [];
  errors = 0;
  firstError: string | undefined;

  ok(latencyMs: number): void {
    this.latencies.push(latencyMs);
  }

  fail(error: unknown, count = 1): void {
    this.errors += count;
    this.firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }

  summarize(windowMs: number): Summary {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const sum = sorted.reduce((a, b) => a + b, 0);
    const summary: Summary = {
      count: sorted.length,
      errors: this.errors,
      opsPerSec: windowMs > 0 ? (sorted.length * 1000) / windowMs : Number.NaN,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      maxMs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
      meanMs: sorted.length ? sum / sorted.length : Number.NaN,
    };
    if (this.firstError !== undefined) summary.firstError = this.firstError;
    return summary;
  }
}
