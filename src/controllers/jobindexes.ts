// Completion indexes of Indexed Jobs: the interval lists behind status.completedIndexes ("1,3-5,7"), and the pod's index.
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { JOB_COMPLETION_INDEX } from './jobutil.ts';

export interface Interval {
  first: number;
  last: number;
}

/** Sorted, non-overlapping, non-adjacent intervals. */
export type Intervals = readonly Interval[];

/** The pod's completion index, or -1 when it has none (or an unreadable one). */
export function completionIndex(pod: Pod): number {
  const v = pod.metadata?.annotations?.[JOB_COMPLETION_INDEX];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return -1;
  const i = Number(v);
  return Number.isSafeInteger(i) && i >= 0 ? i : -1;
}

/** Reads "1,3-5" keeping indexes below `completions`; unreadable parts are skipped, as upstream does. */
export function parseIntervals(text: string | undefined, completions: number): Interval[] {
  if (!text) return [];
  const out: Interval[] = [];
  for (const part of text.split(',')) {
    const bounds = part.split('-');
    const first = Number(bounds[0]);
    if (!/^\d+$/.test(bounds[0] ?? '') || !Number.isSafeInteger(first)) continue;
    if (first >= completions) break;
    let last = first;
    if (bounds.length > 1) {
      if (!/^\d+$/.test(bounds[1] ?? '')) continue;
      last = Math.min(Number(bounds[1]), completions - 1);
    }
    const prev = out[out.length - 1];
    if (prev && prev.last === first - 1) prev.last = last;
    else out.push({ first, last });
  }
  return out;
}

export function mergeIntervals(a: Intervals, b: Intervals): Interval[] {
  const out: Interval[] = [];
  const push = (iv: Interval) => {
    const prev = out[out.length - 1];
    if (!prev || iv.first > prev.last + 1) out.push({ ...iv });
    else if (prev.last < iv.last) prev.last = iv.last;
  };
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) push(a[i]!.first < b[j]!.first ? a[i++]! : b[j++]!);
  while (i < a.length) push(a[i++]!);
  while (j < b.length) push(b[j++]!);
  return out;
}

/** The intervals with `indexes` (ascending) added. */
export function withIndexes(iv: Intervals, indexes: readonly number[]): Interval[] {
  return mergeIntervals(
    iv,
    indexes.map((i) => ({ first: i, last: i })),
  );
}

export function totalOf(iv: Intervals): number {
  return iv.reduce((n, x) => n + x.last - x.first + 1, 0);
}

export function hasIndex(iv: Intervals, ix: number): boolean {
  let lo = 0;
  let hi = iv.length;
  while (hi > lo) {
    const mid = lo + ((hi - lo) >> 1);
    if (iv[mid]!.last >= ix) hi = mid;
    else lo = mid + 1;
  }
  return hi < iv.length && iv[hi]!.first <= ix;
}

/** Upstream's text: two adjacent indexes are written "3,4", longer runs "3-5". */
export function formatIntervals(iv: Intervals): string {
  return iv.map(({ first, last }) => (last === first ? `${first}` : last === first + 1 ? `${first},${last}` : `${first}-${last}`)).join(',');
}

/** The first `count` indexes below `completions` outside `taken`. */
export function firstPendingIndexes(taken: Intervals, count: number, completions: number): number[] {
  const out: number[] = [];
  let candidate = 0;
  for (const iv of taken) {
    for (; candidate < completions && out.length < count && candidate < iv.first; candidate++) out.push(candidate);
    if (candidate < iv.last + 1) candidate = iv.last + 1;
  }
  for (; candidate < completions && out.length < count; candidate++) out.push(candidate);
  return out;
}

export function sortedIndexes(pods: readonly Pod[]): number[] {
  const set = new Set<number>();
  for (const p of pods) {
    const ix = completionIndex(p);
    if (ix >= 0) set.add(ix);
  }
  return [...set].sort((a, b) => a - b);
}

/** Upstream's podGenerateNameWithIndex: `<job>-<index>-`, the job name cut so the whole stays within 58 characters. */
export function generateNameWithIndex(jobName: string, index: number): string {
  const suffix = `-${index}-`;
  const prefix = jobName + suffix;
  return prefix.length > 58 ? jobName.slice(0, 58 - suffix.length) + suffix : prefix;
}
