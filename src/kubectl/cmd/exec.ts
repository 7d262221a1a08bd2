// `kubectl exec (POD | TYPE/NAME) [-c CONTAINER] [-i] [-t] [-q] -- COMMAND [args...]`: runs a command in a container
// through the pods/exec subresource, as kubectl 1.35 does (WebSocket v5.channel.k8s.io, SPDY if refused). The remote
// exit code becomes kubectl's (`command terminated with exit code N`). -f/--filename is left to the real kubectl.
import type { Writable } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { bool, str } from '../flags.ts';
import type { KubectlCommand } from '../main.ts';
import type { Session } from '../session.ts';

export const STREAM_FLAGS = [
  { name: 'container', short: 'c', type: 'string' },
  { name: 'stdin', short: 'i', type: 'bool' },
  { name: 'tty', short: 't', type: 'bool' },
  { name: 'quiet', short: 'q', type: 'bool' },
  { name: 'pod-running-timeout', type: 'string' },
] as const;

export interface ExecOptions {
  pod: Pod;
  /** -c; empty: the default container. */
  container: string;
  command: string[];
  stdin: boolean;
  tty: boolean;
  quiet: boolean;
  /** Where the remote stdout and stderr go, and kubectl's own notes (kubectl's Out and ErrOut). */
  stdout: Writable;
  stderr: Writable;
}

/** kubectl's ExecOptions.Run once the pod is known (shared with cp); failures are thrown for reportStreamError. */
export async function runExec(session: Session, o: ExecOptions): Promise<void> {
  const { findOrDefaultContainer, PodSelectionError } = await import('../stream/pods.ts');
  const { setupTerminal } = await import('../stream/terminal.ts');
  const { execute } = await import('../stream/executor.ts');
  const pod = o.pod;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') throw new PodSelectionError(`cannot exec into a container in a completed pod; current phase is ${phase}`);
  // A -c naming no container is left to the server to refuse, as kubectl 1.35 does.
  const container = o.container || findOrDefaultContainer(pod, undefined, o.quiet, (t) => o.stderr.write(t)).name;

  const terminal = setupTerminal({ stdin: o.stdin, tty: o.tty, quiet: o.quiet, warn: (t) => o.stderr.write(t) });
  const stderr = terminal.tty ? undefined : o.stderr;
  const query: Array<[string, string]> = [];
  for (const c of o.command) query.push(['command', c]);
  query.push(['container', container]);
  if (stderr) query.push(['stderr', 'true']);
  if (terminal.stdin) query.push(['stdin', 'true']);
  query.push(['stdout', 'true']);
  if (terminal.tty) query.push(['tty', 'true']);
  const ns = encodeURIComponent(pod.metadata?.namespace ?? session.namespace);
  const name = encodeURIComponent(pod.metadata?.name ?? '');
  try {
    await execute(
      { config: session.config(), path: `/api/v1/namespaces/${ns}/pods/${name}/exec`, query, command: 'exec' },
      { stdin: terminal.stdin, stdout: o.stdout, stderr, tty: terminal.tty, sizes: terminal.sizes },
    );
  } finally {
    terminal.restore();
  }
}

export const execCommand: KubectlCommand = {
  flags: STREAM_FLAGS,
  unsupported: ['filename', 'f'],
  async run(session, args) {
    const { podRunningTimeout, resolvePod } = await import('../stream/pods.ts');
    const { reportStreamError, timeoutError, usageError } = await import('../stream/executor.ts');
    const f = session.flags;
    const atDash = session.argsLenAtDash;
    let resource = '';
    let command: string[] = [];
    if (args.length > 0 && atDash !== 0) resource = args[0]!;
    if (atDash > -1) command = args.slice(atDash);
    else if (args.length > 1) return usageError(session, 'exec', 'exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead');
    const timeout = podRunningTimeout(str(f, 'pod-running-timeout'));
    const badTimeout = timeoutError(session, 'exec', timeout);
    if (badTimeout !== undefined || typeof timeout !== 'number') return badTimeout ?? 1;
    if (!resource) {
      session.io.stderr('error: pod, type/name or --filename must be specified\n');
      return 1;
    }
    if (command.length === 0) {
      session.io.stderr('error: you must specify at least one command for the container\n');
      return 1;
    }
    try {
      const { pod } = await resolvePod(session, resource, timeout);
      await runExec(session, {
        pod,
        container: str(f, 'container') ?? '',
        command,
        stdin: bool(f, 'stdin'),
        tty: bool(f, 'tty'),
        quiet: bool(f, 'quiet'),
        stdout: process.stdout,
        stderr: process.stderr,
      });
      return 0;
    } catch (err) {
      return reportStreamError(session, err);
    }
  },
};
