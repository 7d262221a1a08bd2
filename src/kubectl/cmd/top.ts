// `kubectl top node|pod`. Skiff serves no Metrics API (metrics.k8s.io), so this says what kubectl 1.35 says when the
// API is missing, after the same argument checks; a cluster that does serve it is left to the real kubectl.
import { FallbackSignal, str, type FlagSpec } from '../flags.ts';
import type { KubectlCommand } from '../main.ts';
import type { Session } from '../session.ts';
import { usageError } from '../visit.ts';

const METRICS_VERSIONS = ['v1beta1'];

/** Whether the server lists metrics.k8s.io in a version kubectl can read (its ServerGroups check). */
async function metricsAvailable(session: Session): Promise<boolean> {
  const groups = await session.rest().json<{ groups?: Array<{ name?: string; versions?: Array<{ version?: string }> }> }>({ path: '/apis' });
  return (groups.groups ?? []).some((g) => g.name === 'metrics.k8s.io' && (g.versions ?? []).some((v) => METRICS_VERSIONS.includes(v.version ?? '')));
}

function topSubcommand(kind: 'node' | 'pod'): KubectlCommand {
  const flags: FlagSpec[] = [
    { name: 'selector', short: 'l', type: 'string' },
    { name: 'sort-by', type: 'string' },
    { name: 'no-headers', type: 'bool' },
    { name: 'use-protocol-buffers', type: 'bool' },
    { name: 'show-swap', type: 'bool' },
    ...(kind === 'node'
      ? [{ name: 'show-capacity', type: 'bool' } as const]
      : [{ name: 'field-selector', type: 'string' } as const, { name: 'containers', type: 'bool' } as const, { name: 'all-namespaces', short: 'A', type: 'bool' } as const, { name: 'sum', type: 'bool' } as const]),
  ];
  return {
    flags,
    async run(session, args) {
      if (args.length > 1) return usageError(session, `top ${kind}`, `${kind} [NAME | -l label]`);
      const sortBy = str(session.flags, 'sort-by');
      if (sortBy && sortBy !== 'cpu' && sortBy !== 'memory') throw new Error('--sort-by accepts only cpu or memory');
      const selectors = kind === 'node' ? session.flags.has('selector') && !!str(session.flags, 'selector') : !!str(session.flags, 'selector') || !!str(session.flags, 'field-selector');
      if (args.length === 1 && selectors) throw new Error(kind === 'node' ? 'only one of NAME or --selector can be provided' : 'only one of NAME or selector can be provided');
      if (await metricsAvailable(session)) throw new FallbackSignal('a Metrics API is served');
      throw new Error('Metrics API not available');
    },
  };
}

const node = topSubcommand('node');
const pod = topSubcommand('pod');

export const topCommand: KubectlCommand = {
  flags: [],
  async run() {
    throw new FallbackSignal('top without a sub-command');
  },
  sub: { node, nodes: node, no: node, pod, pods: pod, po: pod },
};
