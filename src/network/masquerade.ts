// Masquerade for pods leaving the node: one rule per pod CIDR in Skiff's own nat chain, instead of the bridge plugin's
// ipMasq (a chain and two rules per pod, written while the pod's sandbox starts — iptables calls that serialise pod
// starts and leak when a sandbox is not torn down). flannel does the same for its subnet.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const MASQUERADE_CHAIN = 'SKIFF-POSTROUTING';
const JUMP_COMMENT = 'skiff: masquerade pods leaving the node';

export class MasqueradeError extends Error {
  override name = 'MasqueradeError';
}

/** The iptables-restore input that (re)writes Skiff's chain: pod traffic not going back out of the bridge is masqueraded. */
export function masqueradeRules(podCIDRs: readonly string[], bridge: string): string {
  const v4 = podCIDRs.filter((c) => !c.includes(':'));
  return [
    '*nat',
    `:${MASQUERADE_CHAIN} - [0:0]`,
    ...v4.map((cidr) => `-A ${MASQUERADE_CHAIN} -s ${cidr} ! -o ${bridge} -m comment --comment "skiff: pods leaving the node" -j MASQUERADE`),
    'COMMIT',
    '',
  ].join('\n');
}

async function iptables(args: string[], input?: string): Promise<void> {
  const child = run(args[0] === 'restore' ? 'iptables-restore' : 'iptables', args[0] === 'restore' ? args.slice(1) : ['-w', '5', ...args]);
  if (input !== undefined) child.child.stdin?.end(input);
  await child;
}

/** Writes the chain and makes sure POSTROUTING jumps to it (once). Needs root. */
export async function ensurePodMasquerade(podCIDRs: readonly string[], bridge: string): Promise<void> {
  try {
    await iptables(['restore', '--noflush', '-w', '5'], masqueradeRules(podCIDRs, bridge));
    const jump = ['POSTROUTING', '-m', 'comment', '--comment', JUMP_COMMENT, '-j', MASQUERADE_CHAIN];
    try {
      await iptables(['-t', 'nat', '-C', ...jump]);
    } catch {
      await iptables(['-t', 'nat', '-A', ...jump]);
    }
  } catch (err) {
    throw new MasqueradeError(`cannot write the pod masquerade rules: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
