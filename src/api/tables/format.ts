// Shared pieces of the table printers: column definitions and the cell formatters many kinds use.
import type { KObject, TableColumn, TableConvertor } from '../types.ts';
import { translateTimestampSince } from './duration.ts';

export const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
export const CREATION_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

type ColumnType = TableColumn['type'];

/** A column definition; `format` is always present (upstream serializes "" for none). */
export function col(name: string, type: ColumnType, description: string, opts: { priority?: number; format?: string } = {}): TableColumn {
  return { name, type, format: opts.format ?? '', description, priority: opts.priority ?? 0 };
}

/** A priority-1 column: shown by `kubectl get -o wide`. */
export function wide(name: string, type: ColumnType, description: string): TableColumn {
  return col(name, type, description, { priority: 1 });
}

export const nameColumn = (): TableColumn => col('Name', 'string', NAME_DESCRIPTION, { format: 'name' });
export const ageColumn = (): TableColumn => col('Age', 'string', CREATION_DESCRIPTION);
export const containersColumn = (priority = 1): TableColumn =>
  col('Containers', 'string', 'Names of each container in the template.', { priority });
export const imagesColumn = (priority = 1): TableColumn =>
  col('Images', 'string', 'Images referenced by each container in the template.', { priority });

export function convertor(columns: TableColumn[], cells: (obj: KObject, now: number) => unknown[]): TableConvertor {
  return { columns, cells };
}

export const nameOf = (obj: KObject): string => obj.metadata?.name ?? '';
export const ageOf = (obj: KObject, now: number): string => translateTimestampSince(obj.metadata?.creationTimestamp, now);

/** Array field or empty. */
export function arr(v: unknown): any[] {
  return Array.isArray(v) ? v : [];
}

/** Number of keys of a map field. */
export function count(v: unknown): number {
  return v && typeof v === 'object' ? Object.keys(v).length : 0;
}

export function int(v: unknown, fallback = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : fallback;
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** "a=b,c=d" sorted, or "<none>". */
export function formatLabels(labels: unknown): string {
  const s = labelSetString(labels);
  return s === '' ? '<none>' : s;
}

function labelSetString(labels: unknown): string {
  if (!labels || typeof labels !== 'object') return '';
  return Object.entries(labels as Record<string, unknown>)
    .map(([k, v]) => `${k}=${String(v)}`)
    .sort(compareStrings)
    .join(',');
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const OPERATORS: Record<string, string> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * A LabelSelector as a selector string ("app=web,tier in (a,b)"), "" for an empty or missing selector,
 * undefined when it is invalid.
 */
export function labelSelectorString(selector: unknown): string | undefined {
  if (!selector || typeof selector !== 'object') return '';
  const sel = selector as { matchLabels?: Record<string, unknown>; matchExpressions?: unknown };
  const reqs: Array<{ key: string; text: string }> = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key, text: `${key}=${String(value)}` });
  for (const expr of arr(sel.matchExpressions)) {
    const key = str(expr?.key);
    const values = arr(expr?.values).map(String);
    const op = OPERATORS[str(expr?.operator)];
    if (op === undefined) return undefined;
    if (op === 'exists' || op === '!') {
      if (values.length > 0) return undefined;
      reqs.push({ key, text: op === '!' ? `!${key}` : key });
      continue;
    }
    if (values.length === 0) return undefined;
    const shown = values.length === 1 ? values : [...values].sort(compareStrings);
    reqs.push({ key, text: `${key} ${op} (${shown.join(',')})` });
  }
  // stable sort by key, as the selector keeps its requirements ordered by key
  return reqs
    .map((r, i) => ({ ...r, i }))
    .sort((a, b) => compareStrings(a.key, b.key) || a.i - b.i)
    .map((r) => r.text)
    .join(',');
}

/** A LabelSelector for display: "<none>" when empty or missing, "<error>" when invalid. */
export function formatLabelSelector(selector: unknown): string {
  const s = labelSelectorString(selector);
  if (s === undefined) return '<error>';
  return s === '' ? '<none>' : s;
}

/** Container names and images, each joined with ",". */
export function containerCells(containers: unknown): [string, string] {
  const list = arr(containers);
  return [list.map((c) => str(c?.name)).join(','), list.map((c) => str(c?.image)).join(',')];
}

/** "a,b,c + 2 more..." for lists cut at `max`; "<unset>" when empty. */
export function listWithMore(list: string[], more: boolean, total: number, max: number): string {
  const joined = list.join(',');
  if (more) return `${joined} + ${total - max} more...`;
  return joined === '' ? '<unset>' : joined;
}

/** An IntOrString value as text. */
export function intOrString(v: unknown): string {
  if (typeof v === 'number') return String(Math.trunc(v));
  return str(v);
}

/** "True"/"False" for a bool pointer, "<unset>" when missing. */
export function boolPtr(v: unknown): string {
  if (typeof v !== 'boolean') return '<unset>';
  return v ? 'True' : 'False';
}

/** Load-balancer ingress points: unique IPs (or hostnames when no IP), sorted, joined with ",". */
export function loadBalancerIngress(status: unknown): string {
  const seen = new Set<string>();
  for (const ing of arr((status as { ingress?: unknown } | undefined)?.ingress)) {
    const ip = str(ing?.ip);
    const host = str(ing?.hostname);
    if (ip !== '') seen.add(ip);
    else if (host !== '') seen.add(host);
  }
  return [...seen].sort(compareStrings).join(',');
}

/** Host and port as Go's net.JoinHostPort joins them (IPv6 in brackets). */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
