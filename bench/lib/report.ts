// Text tables for the benchmark report.
import type { Summary } from './stats.ts';

export interface Column {
  title: string;
  width: number;
  /** Left-aligned when true (the row label). */
  left?: boolean;
}

export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (columns[i]?.left ? cell.padEnd(columns[i].width) : cell.padStart(columns[i]?.width ?? 0))).join('  ').trimEnd();
  const header = line(columns.map((c) => c.title));
  return [header, '-'.repeat(header.length), ...rows.map(line)].join('\n');
}

export function fmt(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return '-';
  return value.toFixed(digits);
}

/** Rows of a Summary table for targets in order, with each p99 as a multiple of the baseline's p99. */
export function summaryTable(order: readonly string[], byTarget: Readonly<Record<string, Summary>>, baseline: string, throughputTitle = 'ops/s'): string {
  const base = byTarget[baseline];
  const columns: Column[] = [
    { title: 'target', width: 13, left: true },
    { title: throughputTitle, width: 10 },
    { title: 'p50 ms', width: 9 },
    { title: 'p99 ms', width: 9 },
    { title: 'max ms', width: 9 },
    { title: 'p99 vs etcd', width: 11 },
    { title: 'errors', width: 6 },
  ];
  const rows = order
    .filter((label) => byTarget[label])
    .map((label) => {
      const s = byTarget[label]!;
      // A ratio of a negative delay (an event seen before the create's response) would mean nothing.
      const ratio = base && base.p99Ms > 0 && s.p99Ms > 0 ? s.p99Ms / base.p99Ms : Number.NaN;
      return [label, fmt(s.opsPerSec, 1), fmt(s.p50Ms), fmt(s.p99Ms), fmt(s.maxMs), Number.isFinite(ratio) ? `${fmt(ratio)}x` : '-', String(s.errors)];
    });
  return formatTable(columns, rows);
}
