// Reading container logs in the CRI format, as the kubelet serves them: each file line is
// `<RFC3339Nano time> <stdout|stderr> <P|F> <content>`, P marking a piece of a longer line. tailLines, sinceTime,
// limitBytes and timestamps behave as in kubelet's kuberuntime/logs; follow keeps reading while the container runs.
import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';

export type LogStream = 'stdout' | 'stderr';

export interface CriLogLine {
  /** The timestamp as written, e.g. 2024-05-01T10:00:00.123456789Z. */
  time: string;
  /** Nanoseconds since the epoch. */
  ns: bigint;
  stream: LogStream;
  /** A partial line (tag P): its content has no newline and the next entry continues it. */
  partial: boolean;
  /** The content; a full line (tag F) keeps its trailing newline. */
  content: Buffer;
}

const TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** RFC3339 with up to nine fraction digits → nanoseconds since the epoch; undefined when malformed. */
export function parseTimestampNs(text: string): bigint | undefined {
  const m = TIME.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** Go's RFC3339NanoFixed in the timestamp's own zone: always nine fraction digits. */
export function fixedNanoTimestamp(text: string): string {
  const m = TIME.exec(text);
  if (!m) return text;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}${m[3]}`;
}

/** One file line (without or with its newline) → the entry; undefined when it is not in the CRI format. */
export function parseCriLogLine(line: Buffer): CriLogLine | undefined {
  const s1 = line.indexOf(0x20);
  if (s1 < 0) return undefined;
  const time = line.toString('latin1', 0, s1);
  const ns = parseTimestampNs(time);
  if (ns === undefined) return undefined;
  const s2 = line.indexOf(0x20, s1 + 1);
  if (s2 < 0) return undefined;
  const stream = line.toString('latin1', s1 + 1, s2);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const s3 = line.indexOf(0x20, s2 + 1);
  if (s3 < 0) return undefined;
  // Tags are colon-separated, the first one is P or F (kept forward compatible as upstream does).
  const partial = line.toString('latin1', s2 + 1, s3).split(':')[0] === 'P';
  let content = line.subarray(s3 + 1);
  if (partial && content.at(-1) === 0x0a) content = content.subarray(0, -1);
  return { time, ns, stream, partial, content };
}

export interface LogReadOptions {
  /** Lines from the end to start at; undefined: the whole file. Without follow, also how many entries to write. */
  tailLines?: number;
  /** Stop after this many bytes of output. */
  limitBytes?: number;
  /** Skip entries older than this (nanoseconds since the epoch). */
  sinceNs?: bigint;
  timestamps?: boolean;
  follow?: boolean;
  /** Only this stream (upstream's `stream` option); default both. */
  stream?: LogStream;
}

export interface LogFollowHooks {
  /** Whether the container writing the file still runs: following ends at the end of the file once it does not. */
  isRunning(): Promise<boolean>;
  /** How often to look again without a file event (upstream: 1 s). */
  pollMs?: number;
}

const BLOCK = 64 * 1024;
const NEWLINE = 0x0a;

/** Where the last `n` lines start (upstream's tail.FindTailLineStartIndex: a last line without newline is not counted). */
export async function tailStartOffset(file: FileHandle, n: number): Promise<number> {
  const { size } = await file.stat();
  if (n < 0 || size === 0) return 0;
  let count = 0;
  let pos = size;
  while (pos > 0) {
    const start = Math.max(0, pos - BLOCK);
    const buf = Buffer.alloc(pos - start);
    await file.read(buf, 0, buf.length, start);
    for (let i = buf.length - 1; i >= 0; i--) {
      if (buf[i] !== NEWLINE) continue;
      count++;
      // The (n+1)th newline from the end closes the line before the ones we want.
      if (count > n) return start + i + 1;
    }
    pos = start;
  }
  return 0;
}

/** Whether `path` is now another file than the one open (a rotation renamed it away). */
async function replaced(file: FileHandle, path: string): Promise<boolean> {
  try {
    const [open, current] = await Promise.all([file.stat(), stat(path)]);
    return open.ino !== current.ino || open.dev !== current.dev;
  } catch {
    return false; // not there (yet): keep reading what is open
  }
}

class WriteLimitReached extends Error {
  override name = 'WriteLimitReached';
}

/**
 * Writes a CRI log file's entries to `write` (awaited, for backpressure) as the kubelet does. Resolves when done:
 * at the end of the file, at the tail or byte limit, or — following — once the container has stopped and the file is
 * read to its end, or when `signal` aborts.
 */
export async function readCriLog(path: string, opts: LogReadOptions, write: (chunk: Buffer) => Promise<void>, hooks?: LogFollowHooks, signal?: AbortSignal): Promise<void> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (err) {
    // Upstream's wording: it resolves symlinks first.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`failed to try resolving symlinks in path "${path}": lstat ${path}: no such file or directory`, { cause: err });
    throw err;
  }
  let watcher: FSWatcher | undefined;
  try {
    let position = await tailStartOffset(file, opts.tailLines ?? -1);
    const follow = opts.follow === true && hooks !== undefined;
    const limited = opts.tailLines !== undefined && opts.tailLines >= 0 && !follow;
    let remainingLines = opts.tailLines ?? 0;
    let remainingBytes = opts.limitBytes ?? Number.POSITIVE_INFINITY;
    let pending = Buffer.alloc(0);

    const emit = async (line: Buffer): Promise<void> => {
      const entry = parseCriLogLine(line);
      if (!entry) return; // upstream logs and skips lines it cannot parse
      if (limited) remainingLines--;
      if (opts.sinceNs !== undefined && entry.ns < opts.sinceNs) return;
      if (opts.stream && entry.stream !== opts.stream) return;
      let out = opts.timestamps ? Buffer.concat([Buffer.from(`${fixedNanoTimestamp(entry.time)} `), entry.content]) : entry.content;
      if (out.length > remainingBytes) out = out.subarray(0, remainingBytes);
      remainingBytes -= out.length;
      if (out.length > 0) await write(out);
      if (remainingBytes <= 0) throw new WriteLimitReached();
    };

    // Reads what the file has now; returns false once the tail limit is reached.
    const drain = async (): Promise<boolean> => {
      const buf = Buffer.alloc(BLOCK);
      for (;;) {
        if (limited && remainingLines <= 0) return false;
        if (signal?.aborted) return false;
        const { bytesRead } = await file.read(buf, 0, BLOCK, position);
        if (bytesRead === 0) return true;
        position += bytesRead;
        pending = pending.length ? Buffer.concat([pending, buf.subarray(0, bytesRead)]) : Buffer.from(buf.subarray(0, bytesRead));
        let start = 0;
        for (let nl = pending.indexOf(NEWLINE, start); nl >= 0; nl = pending.indexOf(NEWLINE, start)) {
          if (limited && remainingLines <= 0) return false;
          await emit(pending.subarray(start, nl + 1));
          start = nl + 1;
        }
        pending = pending.subarray(start);
      }
    };

    try {
      if (!follow) {
        if ((await drain()) && pending.length > 0) await emit(pending); // an incomplete last line is written too
        return;
      }
      let changed = false;
      let wake: (() => void) | undefined;
      const watchFile = () => {
        const w = watch(path, () => {
          changed = true;
          wake?.();
        });
        w.on('error', () => {}); // the file went away: the running check ends the loop
        return w;
      };
      watcher = watchFile();
      for (;;) {
        if (!(await drain())) return;
        // Rotated (log-rotation.ts renamed it and the runtime opened a new one): what the old file got since the
        // last read first, then on in the new file.
        if (await replaced(file, path)) {
          if (!(await drain())) return;
          await file.close();
          file = await open(path, 'r');
          position = 0;
          watcher.close();
          watcher = watchFile();
          continue;
        }
        const running = await hooks.isRunning();
        if (!running) {
          // The container has stopped: whatever it wrote last is in the file now.
          await drain();
          return;
        }
        if (!changed) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(done, hooks.pollMs ?? 1000);
            function done() {
              clearTimeout(timer);
              signal?.removeEventListener('abort', done);
              wake = undefined;
              resolve();
            }
            wake = done;
            signal?.addEventListener('abort', done, { once: true });
          });
        }
        changed = false;
        if (signal?.aborted) return;
      }
    } catch (err) {
      if (err instanceof WriteLimitReached) return;
      throw err;
    }
  } finally {
    watcher?.close();
    await file.close();
  }
}
