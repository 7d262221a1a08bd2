// `skiff killall`'s flags; the work (src/cli/killall.ts) loads once they are good.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, type Command } from './command.ts';
import { usageErrorFrom } from './server-flags.ts';
import { checkInterfaceName } from './up-flags.ts';

export const KILLALL_USAGE = `Stop every container, shim and containerd a Skiff node left running on this machine, unmount what they
mounted under the data dir, and remove empty pod network namespaces, the pod bridge and Skiff's masquerade chain
(as k3s-killall.sh does). Containers outlive \`skiff up\` and \`skiff agent\`, as they outlive a kubelet restart.

Usage:
  skiff killall [flags]

Flags:
  -d, --data-dir DIR                      the node's data dir (default /var/lib/skiff)
      --cni-bridge NAME                   the pod bridge to remove (default cni0)
  -h, --help                              help for killall
`;

export const killallCommand: Command = {
  name: 'killall',
  summary: 'Stop all containers of a Skiff node on this machine and clean up after them',
  usage: KILLALL_USAGE,
  async run(args, io) {
    let values: { 'data-dir'?: string; 'cni-bridge'?: string };
    try {
      ({ values } = parseArgs({ args, options: { 'data-dir': { type: 'string', short: 'd' }, 'cni-bridge': { type: 'string' } }, strict: true, allowPositionals: false }));
    } catch (err) {
      throw usageErrorFrom(err);
    }
    if (process.getuid?.() !== 0) throw new UsageError('skiff killall needs root: it stops containers and removes mounts and network devices');
    const dataDir = resolve(process.cwd(), values['data-dir'] ?? '/var/lib/skiff');
    const bridge = checkInterfaceName(values['cni-bridge'] ?? 'cni0', 'cni-bridge');
    const { killall } = await import('./killall.ts');
    await killall({ dataDir, bridge, log: (line) => io.stdout(line) });
    return 0;
  },
};
