// Running exec/attach against the API server as kubectl's FallbackExecutor does (WebSocket, then SPDY when the
// WebSocket upgrade is refused), and turning what went wrong into kubectl's last words and exit code.
import { ApiError } from '../../client/errors.ts';
import { describeError } from '../rest.ts';
import type { Session } from '../session.ts';
import { dialWebSocket, SpdyUpgradeError, upgradeSpdy, UpgradeFailureError, type StreamTarget } from './dial.ts';
import { PodSelectionError } from './pods.ts';
import { ExitCodeError, RemoteCommandError, SPDY_PROTOCOLS, streamSpdy, streamWebSocket, WEBSOCKET_PROTOCOLS, type RemoteCommandStreams } from './remotecommand.ts';

export async function execute(target: StreamTarget, streams: RemoteCommandStreams): Promise<void> {
  let dialed;
  try {
    dialed = await dialWebSocket(target, WEBSOCKET_PROTOCOLS);
  } catch (err) {
    if (!(err instanceof UpgradeFailureError)) throw new RemoteCommandError(`error sending request: ${(err as Error).message}`, { cause: err });
    const { socket, head } = await upgradeSpdy(target, SPDY_PROTOCOLS);
    return streamSpdy(socket, head, streams);
  }
  return streamWebSocket(dialed.ws, streams);
}

/** kubectl's CheckErr for the errors these commands meet: the message on stderr, and the exit code. */
export function reportStreamError(session: Session, err: unknown): number {
  if (err instanceof ExitCodeError) {
    session.io.stderr(`${err.message}\n`);
    return err.code;
  }
  if (err instanceof RemoteCommandError || err instanceof SpdyUpgradeError || err instanceof PodSelectionError) {
    session.io.stderr(`error: ${err.message}\n`);
    return 1;
  }
  if (err instanceof ApiError && !err.reason) {
    session.io.stderr(`Error from server: ${err.status.message ?? err.message}\n`);
    return 1;
  }
  if (err instanceof ApiError) {
    session.io.stderr(`${describeError(err)}\n`);
    return 1;
  }
  throw err;
}

/** A usage error (cmdutil.UsageErrorf): the message and the help hint, exit 1. */
export function usageError(session: Session, verb: string, message: string): number {
  session.io.stderr(`error: ${message}\nSee 'kubectl ${verb} -h' for help and examples\n`);
  return 1;
}

/** A bad --pod-running-timeout, worded as kubectl words it; undefined when the value is good. */
export function timeoutError(session: Session, verb: string, timeout: number | { flag: string } | { usage: string }): number | undefined {
  if (typeof timeout === 'number') return undefined;
  if ('usage' in timeout) return usageError(session, verb, timeout.usage);
  session.io.stderr(`error: ${timeout.flag}\nSee 'kubectl ${verb} --help' for usage.\n`);
  return 1;
}
