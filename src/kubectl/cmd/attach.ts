// `kubectl attach (POD | TYPE/NAME) [-c CONTAINER] [-i] [-t]`: joins the streams of a container's running process
// through pods/attach, as kubectl 1.35 does: the container's own TTY setting decides, the two notices on stderr,
// and how to resume afterwards.
import { bool, str } from '../flags.ts';
import type { KubectlCommand } from '../main.ts';
import { STREAM_FLAGS } from './exec.ts';

export const attachCommand: KubectlCommand = {
  flags: STREAM_FLAGS,
  async run(session, args) {
    const { findOrDefaultContainer, podRunningTimeout, resolvePod } = await import('../stream/pods.ts');
    const { execute, reportStreamError, timeoutError } = await import('../stream/executor.ts');
    const { setupTerminal } = await import('../stream/terminal.ts');
    const f = session.flags;
    const timeout = podRunningTimeout(str(f, 'pod-running-timeout'));
    const badTimeout = timeoutError(session, 'attach', timeout);
    if (badTimeout !== undefined || typeof timeout !== 'number') return badTimeout ?? 1;
    if (args.length === 0) {
      session.io.stderr('error: at least 1 argument is required for attach\n');
      return 1;
    }
    if (args.length > 2) {
      session.io.stderr(`error: expected POD, TYPE/NAME, or TYPE NAME, (at most 2 arguments) saw ${args.length}: [${args.join(' ')}]\n`);
      return 1;
    }
    const quiet = bool(f, 'quiet');
    const warn = (t: string) => session.io.stderr(t);
    try {
      const { pod } = await resolvePod(session, args.length === 2 ? `${args[0]}/${args[1]}` : args[0]!, timeout);
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') {
        session.io.stderr(`error: cannot attach a container in a completed pod; current phase is ${phase}\n`);
        return 1;
      }
      let container;
      try {
        container = findOrDefaultContainer(pod, str(f, 'container'), quiet, warn);
      } catch (err) {
        session.io.stderr(`error: cannot attach to the container: ${(err as Error).message}\n`);
        return 1;
      }
      let tty = bool(f, 'tty');
      if (tty && !container.tty) {
        tty = false;
        if (!quiet) warn(`error: Unable to use a TTY - container ${container.name} did not allocate one\n`);
      } else if (!tty && container.tty) tty = true;
      const stdinWanted = bool(f, 'stdin');
      const terminal = setupTerminal({ stdin: stdinWanted, tty, quiet, warn, nudgeSize: true });
      const stdin = terminal.stdin;
      if (!quiet) {
        warn('All commands and output from this session will be recorded in container logs, including credentials and sensitive information passed through the command prompt.\n');
        warn("If you don't see a command prompt, try pressing enter.\n");
      }
      const query: Array<[string, string]> = [['container', container.name]];
      if (!terminal.tty) query.push(['stderr', 'true']);
      if (stdin) query.push(['stdin', 'true']);
      query.push(['stdout', 'true']);
      if (terminal.tty) query.push(['tty', 'true']);
      const ns = encodeURIComponent(pod.metadata?.namespace ?? session.namespace);
      const name = encodeURIComponent(pod.metadata?.name ?? '');
      try {
        await execute(
          { config: session.config(), path: `/api/v1/namespaces/${ns}/pods/${name}/attach`, query, command: 'attach' },
          { stdin, stdout: process.stdout, stderr: terminal.tty ? undefined : process.stderr, tty: terminal.tty, sizes: terminal.sizes },
        );
      } finally {
        terminal.restore();
      }
      if (!quiet && stdin && terminal.tty && pod.spec?.restartPolicy === 'Always') {
        const ephemeral = (pod.spec.ephemeralContainers ?? []).some((c) => c.name === container.name);
        const again = `kubectl attach ${pod.metadata?.name ?? ''} -c ${container.name} -i -t`;
        session.io.stdout(
          ephemeral
            ? `Session ended, the ephemeral container will not be restarted but may be reattached using '${again}' if it is still running\n`
            : `Session ended, resume using '${again}' command when the pod is running\n`,
        );
      }
      return 0;
    } catch (err) {
      return reportStreamError(session, err);
    }
  },
};
