// client-go's UntilWithSync for one named object, as kubectl's rollout status and wait use it: list it by
// metadata.name, hand each listed object to the condition as ADDED, then watch from the list's resourceVersion and
// hand every event over until the condition holds, the deadline passes or the condition throws. Each wait has a
// connection of its own (closed at the end), so a command can keep using its session while nothing is pending.
import { ApiError } from '../client/errors.ts';
import { RestClient } from './rest.ts';
import type { Session } from './session.ts';

type Fields = Record<string, any>;

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR' | 'BOOKMARK';
  object: Fields;
}

/** The deadline passed before the condition held. */
export class WatchTimeoutError extends Error {
  override name = 'WatchTimeoutError';
}

export interface UntilOptions {
  /** The collection's path (`/apis/apps/v1/namespaces/default/deployments`). */
  collection: string;
  name: string;
  /** Epoch milliseconds; none waits for ever. */
  deadline?: number;
  /** After the first list, whether the object exists; throwing stops the wait (kubectl's precondition). */
  precondition?: (exists: boolean) => boolean | void;
}

/** Resolves with the event the condition accepted (or undefined when the precondition ended the wait). */
export async function untilWithSync(session: Session, options: UntilOptions, condition: (event: WatchEvent) => boolean): Promise<WatchEvent | undefined> {
  const client = new RestClient(session.config(), session.command);
  const fieldSelector = `metadata.name=${options.name}`;
  let timer: NodeJS.Timeout | undefined;
  let finished = false;
  try {
    const work = (async (): Promise<WatchEvent | undefined> => {
      for (;;) {
        const list = await client.json<{ metadata?: { resourceVersion?: string }; items?: Fields[] }>({ path: options.collection, query: { fieldSelector } });
        for (const item of list.items ?? []) {
          const event: WatchEvent = { type: 'ADDED', object: item };
          if (condition(event)) return event;
        }
        if (options.precondition?.((list.items ?? []).length > 0)) return undefined;
        let resourceVersion = list.metadata?.resourceVersion ?? '';
        for (;;) {
          let accepted: WatchEvent | undefined;
          let failure: unknown;
          let buffered = '';
          const handle = (line: string) => {
            if (accepted || failure || !line.trim()) return;
            const event = JSON.parse(line) as WatchEvent;
            if (event.type === 'ERROR') {
              failure = new ApiError(event.object as never);
              return;
            }
            const rv = event.object?.['metadata']?.resourceVersion;
            if (rv) resourceVersion = rv;
            if (event.type === 'BOOKMARK') return;
            try {
              if (condition(event)) {
                accepted = event;
                client.close();
              }
            } catch (err) {
              failure = err;
              client.close();
            }
          };
          const stream = client.request({
            path: options.collection,
            query: { watch: 'true', fieldSelector, resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds: 300 },
            onData: (chunk) => {
              buffered += chunk.toString('utf8');
              let nl: number;
              while ((nl = buffered.indexOf('\n')) !== -1) {
                const line = buffered.slice(0, nl);
                buffered = buffered.slice(nl + 1);
                handle(line);
              }
            },
          });
          try {
            await stream;
          } catch (err) {
            if (!accepted && !failure && !finished) throw err;
          }
          if (buffered) handle(buffered);
          if (accepted) return accepted;
          if (failure) {
            // 410 Gone: the resourceVersion is too old; start again from a fresh list.
            if (failure instanceof ApiError && failure.code === 410) break;
            throw failure;
          }
          if (finished) return undefined;
        }
      }
    })();
    if (options.deadline === undefined) return await work;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new WatchTimeoutError('timed out waiting for the condition')), Math.max(0, options.deadline! - Date.now()));
    });
    work.catch(() => {});
    return await Promise.race([work, timeout]);
  } finally {
    finished = true;
    clearTimeout(timer);
    client.close();
  }
}
