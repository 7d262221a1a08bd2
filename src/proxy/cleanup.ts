// Removing everything the proxy wrote (upstream's CleanupLeftovers, for `skiff killall` as k3s-killall.sh does):
// the jumps from the built-in chains, then every KUBE-* chain of the proxy's in nat, filter and mangle.
import {
  chainLine,
  isServiceChain,
  JUMP_RULES,
  jumpRuleArgs,
  KUBE_EXTERNAL_SERVICES,
  KUBE_FIREWALL,
  KUBE_FORWARD,
  KUBE_MARK_MASQ,
  KUBE_NODEPORTS,
  KUBE_POSTROUTING,
  KUBE_PROXY_CANARY,
  KUBE_PROXY_FIREWALL,
  KUBE_SERVICES,
  KUBELET_JUMP_RULES,
  type Table,
} from './chains.ts';
import { chainsInDump, type Iptables } from './iptables.ts';

const TOP_CHAINS: Record<Table, readonly string[]> = {
  nat: [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ, KUBE_PROXY_CANARY],
  filter: [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL, KUBE_FIREWALL, KUBE_PROXY_CANARY],
  mangle: [KUBE_PROXY_CANARY],
};

/** Chains per transaction: iptables-nft's restore slows down quadratically with the chain names one touches. */
const CHAINS_PER_TRANSACTION = 2000;

export class CleanupError extends Error {
  override name = 'CleanupError';
}

/** The restore input that empties and then deletes `chains` of `table`, in transactions of bounded size. */
export function deleteChainsInput(table: Table, chains: readonly string[], perTransaction = CHAINS_PER_TRANSACTION): string {
  const sorted = [...chains].sort().reverse();
  const out: string[] = [];
  // Empty every chain first, so no chain still jumps to one being deleted.
  for (let i = 0; i < sorted.length; i += perTransaction) out.push(`*${table}`, ...sorted.slice(i, i + perTransaction).map(chainLine), 'COMMIT');
  for (let i = 0; i < sorted.length; i += perTransaction) out.push(`*${table}`, ...sorted.slice(i, i + perTransaction).map((c) => `-X ${c}`), 'COMMIT');
  return out.length ? out.join('\n') + '\n' : '';
}

/** Removes every chain and jump rule the proxy made. Resolves with the number of chains deleted. */
export async function cleanupProxyRules(iptables: Iptables): Promise<number> {
  const errors: unknown[] = [];
  for (const jump of [...JUMP_RULES, ...KUBELET_JUMP_RULES]) {
    try {
      // A rule may have been added twice (by two proxies, or by kubelet and the proxy): remove every copy.
      while (await iptables.deleteRule(jump.table, jump.from, jumpRuleArgs(jump)));
    } catch (err) {
      errors.push(err);
    }
  }
  let deleted = 0;
  for (const table of ['nat', 'filter', 'mangle'] as const) {
    try {
      const existing = chainsInDump(await iptables.save(table));
      const ours = existing.filter((c) => TOP_CHAINS[table].includes(c) || (table === 'nat' && isServiceChain(c)));
      const input = deleteChainsInput(table, ours);
      if (input) await iptables.restore(input);
      deleted += ours.length;
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length) throw new CleanupError(`could not remove all of the proxy's iptables rules (${errors.length} errors)`, { cause: errors[0] });
  return deleted;
}
