// `skiff server`: the control plane (API server and controllers); runs until SIGTERM or SIGINT.
import { createLogger, type Logger } from '../log.ts';
import type { CliIO } from './command.ts';
import { startControlPlane } from './controlplane.ts';
import type { ServerFlags } from './server-flags.ts';

/** Repeats of the stopping signal within this time are duplicates, not a request to exit at once. */
const REPEAT_SIGNAL_GRACE_MS = 1000;

/** The reason passed to abort() when a signal asks the server to stop. */
export class ShutdownRequested extends Error {
  override name = 'ShutdownRequested';
  constructor(readonly signal: NodeJS.Signals) {
    super(`received ${signal}`);
  }
}

/**
 * Runs `body` until SIGTERM or SIGINT: the first signal aborts `body`'s signal (with ShutdownRequested), a later one
 * exits at once. Resolves to the exit code: 0 when `body` finishes or is stopped by a signal, 1 when it fails.
 */
export async function runUntilSignalled(log: Logger, what: string, body: (signal: AbortSignal) => Promise<void>): Promise<number> {
  const controller = new AbortController();
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      // A signal sent to both the process and its group arrives twice at once; only a later one means "hurry".
      if (Date.now() - firstSignalAt < REPEAT_SIGNAL_GRACE_MS) return;
      log.warn('second signal, exiting without waiting for shutdown', { signal });
      process.exit(1);
    }
    firstSignalAt = Date.now();
    log.info('shutting down', { signal });
    controller.abort(new ShutdownRequested(signal));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await body(controller.signal);
    log.info('stopped');
    return 0;
  } catch (err) {
    if (controller.signal.aborted && err === controller.signal.reason) return 0;
    log.error(`${what} failed`, { error: err });
    return 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

export async function runServer(flags: ServerFlags, io: CliIO): Promise<number> {
  const log = createLogger('skiff', { format: flags.logFormat });
  return runUntilSignalled(log, 'server', async (signal) => {
    const plane = await startControlPlane(flags, signal);
    io.stdout(`Skiff API server is running at ${plane.url}; kubeconfig: ${plane.kubeconfigPath}\n`);
    await plane.closed;
  });
}
