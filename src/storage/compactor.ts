// Periodic compaction, for any driver: every interval, drop history older than the newest keepRevisions revisions.
// Defaults follow upstream (the apiserver compacts every 5 minutes) and kine (keeps the last 1000 revisions).
import type { Backend } from './backend.ts';
import { createLogger } from '../log.ts';

export interface CompactorOptions {
  signal: AbortSignal;
  /** Time between compactions. Default 5 minutes. */
  intervalMs?: number;
  /** Revisions kept below the current one. Default 1000. */
  keepRevisions?: number;
  /** A compaction failed; the compactor tries again next interval. Default: logged as storage.compactor. */
  onError?: (err: unknown) => void;
  /** A compaction finished. */
  onCompacted?: (revision: number) => void;
}

export const defaultCompactIntervalMs = 5 * 60 * 1000;
export const defaultKeepRevisions = 1000;

/** Compacts to currentRevision - keepRevisions when that is past the compacted revision; returns the revision or undefined. */
export async function compactOnce(backend: Backend, keepRevisions = defaultKeepRevisions): Promise<number | undefined> {
  const target = (await backend.currentRevision()) - keepRevisions;
  if (target <= 0 || target <= (await backend.compactedRevision())) return undefined;
  await backend.compact(target);
  return target;
}

/** Runs until the signal aborts; the promise then resolves. */
export async function startCompactor(backend: Backend, options: CompactorOptions): Promise<void> {
  const { signal, intervalMs = defaultCompactIntervalMs, keepRevisions = defaultKeepRevisions } = options;
  const log = options.onError ? undefined : createLogger('storage.compactor');
  const onError = options.onError ?? ((err: unknown) => log?.error('compaction failed', { error: err }));
  while (await sleep(intervalMs, signal)) {
    try {
      const revision = await compactOnce(backend, keepRevisions);
      if (revision !== undefined) options.onCompacted?.(revision);
    } catch (err) {
      if (signal.aborted) return;
      onError(err);
    }
  }
}

/** Resolves true after ms, or false as soon as the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (completed: boolean): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(completed);
    };
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
