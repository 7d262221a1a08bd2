// Following a watch for `get -w` and `events -w`: the server's newline-delimited events, one callback each, until the
// server closes the stream (0), --request-timeout passes (0), or SIGINT arrives (1, as kubectl's interrupt handler
// exits).
import { str } from '../flags.ts';
import { tryParseGoDuration } from '../goduration.ts';
import type { RestRequest } from '../rest.ts';
import type { Session } from '../session.ts';

export interface WatchEvent {
  type: string;
  object: Record<string, any>;
}

/** client-go's --request-timeout: a bare integer is seconds, else a Go duration (`500ms`, `2s`, `1m30s`); 0 is none. */
export function parseRequestTimeout(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const ms = tryParseGoDuration(value);
  if (ms === undefined || ms < 0) throw new Error(`invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)`);
  return ms;
}

/** Streams a watch request; resolves with the exit code kubectl would end with. */
export async function streamWatch(session: Session, req: RestRequest, onEvent: (e: WatchEvent) => void): Promise<number> {
  const rest = session.rest();
  const timeoutMs = parseRequestTimeout(str(session.flags, 'request-timeout'));
  let interrupted = false;
  let timedOut = false;
  const stop = () => rest.close();
  const onSignal = () => {
    interrupted = true;
    stop();
  };
  process.once('SIGINT', onSignal);
  const timer =
    timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          stop();
        }, timeoutMs)
      : undefined;
  let pending = '';
  const feed = (text: string) => {
    pending += text;
    for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line) onEvent(JSON.parse(line) as WatchEvent);
    }
  };
  try {
    await rest.request({ ...req, query: { ...req.query, watch: 'true' }, onData: (chunk) => feed(chunk.toString('utf8')) });
    feed('\n');
  } catch (err) {
    // A stream cut by the timeout or the interrupt ends the watch quietly, as kubectl's does.
    if (!interrupted && !timedOut) throw err;
  } finally {
    if (timer) clearTimeout(timer);
    process.removeListener('SIGINT', onSignal);
  }
  return interrupted ? 1 : 0;
}
