// exec probes, as upstream's pkg/probe/exec over CRI ExecSync: exit 0 is a success, any other exit a failure whose
// message is the command's output; a command that outlives timeoutSeconds is a failure `command "…" timed out`; a
// runtime that cannot exec at all (container gone) gives unknown.
import type { Container, ExecAction } from 'kubernetes-types/core/v1.d.ts';
import { isCriError } from '../cri/errors.ts';
import type { ExecSyncResult } from '../runtime.ts';
import { deadline, MAX_OUTPUT_BYTES, type ProbeResult, type ProbeTarget } from './common.ts';

/**
 * `$(VAR)` in a command, expanded from the container's env values only (no valueFrom: upstream's
 * ExpandContainerCommandOnlyStatic); `$$` is a literal `$`; unknown references stay as written.
 */
export function expandCommand(command: readonly string[], container: Container | undefined): string[] {
  const env = new Map<string, string>();
  for (const e of container?.env ?? []) env.set(e.name, e.value ?? '');
  return command.map((arg) => arg.replace(/\$(\$|\(([^)]*)\))/g, (whole, inner: string, name: string | undefined) => (inner === '$' ? '$' : (env.get(name ?? '') ?? whole))));
}

/** stdout then stderr, cut at 10 KiB. */
export function combinedOutput(res: Pick<ExecSyncResult, 'stdout' | 'stderr'>, limit = MAX_OUTPUT_BYTES): string {
  return Buffer.concat([res.stdout, res.stderr]).subarray(0, limit).toString('utf8');
}

export function commandTimedOut(cmd: readonly string[]): string {
  return `command ${JSON.stringify(cmd.join(' '))} timed out`;
}

/** `work`, or a rejection as soon as `signal` aborts — a runtime that ignores the signal cannot hold a probe forever. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => {});
  if (signal.aborted) return Promise.reject(signal.reason);
  let onAbort = () => {};
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

export async function execProbe(action: ExecAction, target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  const cmd = expandCommand(action.command ?? [], target.container);
  const d = deadline(timeoutMs, signal);
  try {
    const res = await untilAborted(target.runtime.execSync(target.containerId, cmd, Math.max(1, Math.ceil(timeoutMs / 1000)), d.signal), d.signal);
    if (d.timedOut()) return { result: 'failure', message: commandTimedOut(cmd) };
    return { result: res.exitCode === 0 ? 'success' : 'failure', message: combinedOutput(res) };
  } catch (err) {
    if (d.timedOut() || isCriError(err, 'DeadlineExceeded')) return { result: 'failure', message: commandTimedOut(cmd) };
    if (d.signal.aborted) return { result: 'unknown', message: 'probe cancelled' };
    return { result: 'unknown', message: (err as Error).message };
  } finally {
    d.dispose();
  }
}
