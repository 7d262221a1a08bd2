// What kubectl's describers write with: lines indented two spaces a level, cells separated by tabs and aligned as
// text/tabwriter (minwidth 0, padding 2) between flushes, kubectl's shared sections (labels, annotations, events),
// and FallbackSignal for anything a describer here does not model, so the real kubectl prints it instead.
import { FallbackSignal } from '../flags.ts';
import { alignTabs } from '../printers/tabwriter.ts';
import { age } from '../printers/duration.ts';

type Fields = Record<string, any>;

export class DescribeWriter {
  #done = '';
  #pending = '';

  /** Writes `text` indented `level` steps, escaped as kubectl escapes terminal control (ESC as ^[, CR as \\r). */
  write(level: number, text: string): void {
    this.#pending += ('  '.repeat(level) + text).replace(/\x1b/g, '^[').replace(/\r/g, '\\r');
  }

  /** Aligns what was written so far on its own (kubectl flushes its tabwriter before the events table). */
  flush(): void {
    this.#done += alignTabs(this.#pending, { minWidth: 0, padding: 2 });
    this.#pending = '';
  }

  toString(): string {
    this.flush();
    return this.#done;
  }
}

/** Stops describing: the object has something this describer does not print as kubectl would. */
export function unsupported(what: string): never {
  throw new FallbackSignal(`describe: ${what}`);
}

/** Go's time.RFC1123Z in the local zone: `Mon, 02 Jan 2006 15:04:05 -0700`. */
export function rfc1123z(timestamp: unknown): string {
  if (typeof timestamp !== 'string' || !timestamp) unsupported('a zero time');
  const d = new Date(timestamp);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const zone = `${offset < 0 ? '-' : '+'}${two(Math.floor(Math.abs(offset) / 60))}${two(Math.abs(offset) % 60)}`;
  return `${days[d.getDay()]}, ${two(d.getDate())} ${months[d.getMonth()]} ${d.getFullYear()} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${zone}`;
}

const sortedKeys = (o: Record<string, unknown> | undefined) => Object.keys(o ?? {}).sort();

export function printLabels(w: DescribeWriter, title: string, labels: Record<string, string> | undefined): void {
  const keys = sortedKeys(labels);
  if (keys.length === 0) return w.write(0, `${title}:\t<none>\n`);
  keys.forEach((k, i) => w.write(0, `${i === 0 ? `${title}:` : ''}\t${k}=${labels![k]}\n`));
}

const MAX_ANNOTATION_LEN = 140;

export function printAnnotations(w: DescribeWriter, title: string, annotations: Record<string, string> | undefined): void {
  const keys = sortedKeys(annotations).filter((k) => k !== 'kubectl.kubernetes.io/last-applied-configuration');
  if (keys.length === 0) return w.write(0, `${title}:\t<none>\n`);
  keys.forEach((k, i) => {
    const prefix = i === 0 ? `${title}:\t` : '\t';
    const value = annotations![k]!.replace(/\n$/, '');
    if (value.length + k.length + 2 > MAX_ANNOTATION_LEN || value.includes('\n')) {
      w.write(0, `${prefix}${k}:\n`);
      for (const s of value.split('\n')) w.write(0, `\t  ${s.length > MAX_ANNOTATION_LEN - 2 ? `${s.slice(0, MAX_ANNOTATION_LEN - 2)}...` : s}\n`);
    } else w.write(0, `${prefix}${k}: ${value}\n`);
  });
}

/** kubectl's Events section: `<none>`, or a table of the object's events, oldest last-seen first. */
export function printEvents(w: DescribeWriter, events: Fields[] | undefined): void {
  if (events === undefined) return;
  if (events.length === 0) return w.write(0, 'Events:\t<none>\n');
  w.flush();
  const time = (e: Fields) => Date.parse(e['lastTimestamp'] ?? '') || 0;
  // Go's sort.Sort keeps equal elements in order only up to 12 (insertion sort); beyond, its pdqsort may reorder them.
  if (events.length > 12 && new Set(events.map(time)).size !== events.length) unsupported('many events with equal times');
  const sorted = events.map((e, i) => ({ e, i })).sort((a, b) => time(a.e) - time(b.e) || a.i - b.i);
  w.write(0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  w.write(1, '----\t------\t----\t----\t-------\n');
  for (const { e } of sorted) {
    const first = e['eventTime'] ? age(e['eventTime']) : age(e['firstTimestamp']);
    let interval: string;
    if (e['series']) interval = `${age(e['series'].lastObservedTime)} (x${e['series'].count} over ${first})`;
    else if ((e['count'] ?? 0) > 1) interval = `${age(e['lastTimestamp'])} (x${e['count']} over ${first})`;
    else interval = first;
    const source = e['source']?.component || e['reportingComponent'] || '';
    let message = String(e['message'] ?? '').trim();
    if (e['involvedObject']?.fieldPath) message = `${e['involvedObject'].fieldPath}: ${message}`;
    w.write(1, `${e['type'] ?? ''}\t${e['reason'] ?? ''}\t${interval}\t${source}\t${message}\n`);
  }
}

/** Go's `%v` of a string slice: `[a b]`. */
export function goList(list: readonly unknown[] | undefined): string {
  return `[${(list ?? []).map(String).join(' ')}]`;
}

/** Go's sort.Slice: insertion sort (stable) up to 12 elements; beyond that equal keys could come out in another order. */
export function goSortSlice<T>(list: readonly T[], key: (x: T) => string): T[] {
  if (list.length > 12) {
    const keys = list.map(key);
    if (new Set(keys).size !== keys.length) unsupported('a long list with equal sort keys');
  }
  return list.map((x, i) => ({ x, k: key(x), i })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i)).map((e) => e.x);
}

/** `Title:\tfirst\n\tsecond\n` or `Title:\t<none>\n`, as kubectl's multi-line printers lay out lists. */
export function printMultiline(w: DescribeWriter, title: string, lines: readonly string[]): void {
  if (lines.length === 0) return w.write(0, `${title}:\t<none>\n`);
  lines.forEach((l, i) => w.write(0, `${i === 0 ? `${title}:` : ''}\t${l}\n`));
}

/** kubectl's printBoolPtr: True, False or <unset>. */
export function boolPtr(v: unknown): string {
  return v === true ? 'True' : v === false ? 'False' : '<unset>';
}

/** An IntOrString as Go prints it. */
export function intOrString(v: unknown): string {
  return v === undefined || v === null ? '' : String(v);
}
