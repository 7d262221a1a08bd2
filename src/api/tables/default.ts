// The table every resource without its own printer gets: NAME and CREATED AT (an RFC 3339 date, not an age).
import type { KObject, TableConvertor } from '../types.ts';
import { parseTimestamp } from './duration.ts';
import { col, CREATION_DESCRIPTION, nameColumn, nameOf } from './format.ts';

/** RFC 3339 in UTC without fractional seconds; Go's zero time when missing. */
export function formatCreatedAt(ts: unknown): string {
  const ms = parseTimestamp(ts);
  if (ms === undefined) return '0001-01-01T00:00:00Z';
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export const defaultTable: TableConvertor = {
  columns: [nameColumn(), col('Created At', 'date', CREATION_DESCRIPTION)],
  cells: (obj: KObject) => [nameOf(obj), formatCreatedAt(obj.metadata?.creationTimestamp)],
};
