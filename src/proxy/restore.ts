// iptables-restore input for one sync: the filter table, then the nat table, as upstream writes it — on a partial sync
// only the chains of the service ports that changed (and the top-level chains if their content changed), with stale
// chains flushed and deleted (`-X`).
//
// Two things here exist for iptables-nft (1.8.9–1.8.11), whose restore is quadratic in the number of distinct chain
// names one table transaction touches (it keeps them in a sorted linked list): 10,000 Services × 10 endpoints in one
// transaction took ~290 s on this machine, against ~10 s split in transactions of ~1,000 chains. So a large nat write is
// split into several `*nat … COMMIT` transactions (iptables-restore commits each table section on its own anyway,
// which is all the atomicity upstream gets: filter and nat are separate transactions there too), ordered so that every
// state in between is consistent: endpoint chains before the service chains that jump to them, each service's chains
// swapped as one unit, the top-level chains (the only entry points) next to last, and stale chains deleted last.
import { chainLine, KUBE_MARK_MASQ, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_PROXY_CANARY, KUBE_SERVICES } from './chains.ts';
import type { FixedRules, ServicePortRules } from './rules.ts';

export interface RestorePlan {
  /** Rewrite everything (and ensure the canary chains). */
  full: boolean;
  fixed: FixedRules;
  /** Every current service port, for the top-level chains. */
  ports: readonly ServicePortRules[];
  /** The ports whose own chains are written; every port on a full sync. */
  changed: readonly ServicePortRules[];
  /** Write the filter table (always on a full sync). */
  writeFilter: boolean;
  /** Rewrite nat KUBE-SERVICES and KUBE-NODEPORTS (always on a full sync). */
  writeNatTop: boolean;
  /** nat service chains to flush and delete. */
  stale: readonly string[];
  /** Most chains per nat transaction before the write is split (see above). */
  maxChainsPerTransaction: number;
  /** "-I <built-in chain> …" lines adding missing jumps into our chains, written once those chains exist. */
  jumps?: { filter: readonly string[]; nat: readonly string[] };
}

export interface RestoreInput {
  text: string;
  filterRules: number;
  natRules: number;
  natChains: number;
  /** `*table … COMMIT` sections, each its own kernel transaction. */
  transactions: number;
}

const byClusterChainDescending = (a: ServicePortRules, b: ServicePortRules) =>
  a.chains.cluster < b.chains.cluster ? 1 : a.chains.cluster > b.chains.cluster ? -1 : 0;

/** The filter table: every top-level chain rewritten (it holds no per-service chains). */
function filterSection(fixed: FixedRules, ports: readonly ServicePortRules[], canary: boolean): { lines: string[]; rules: number } {
  const lines = ['*filter', ...fixed.filterChains.map(chainLine)];
  if (canary) lines.push(chainLine(KUBE_PROXY_CANARY));
  const forward = fixed.filter.filter((l) => l.startsWith('-A KUBE-FORWARD '));
  const before = fixed.filter.filter((l) => !l.startsWith('-A KUBE-FORWARD '));
  let rules = fixed.filter.length;
  lines.push(...before);
  const sorted = [...ports].sort(byClusterChainDescending);
  for (const key of ['filterServices', 'filterExternal', 'filterNodePorts', 'filterFirewall'] as const) {
    for (const p of sorted) {
      for (const l of p[key]) lines.push(l);
      rules += p[key].length;
    }
  }
  lines.push(...forward, 'COMMIT');
  return { lines, rules };
}

/** nat KUBE-SERVICES and KUBE-NODEPORTS, declared (emptied) and refilled. */
function natTopLines(fixed: FixedRules, ports: readonly ServicePortRules[]): string[] {
  const sorted = [...ports].sort(byClusterChainDescending);
  const lines = [chainLine(KUBE_SERVICES), chainLine(KUBE_NODEPORTS)];
  for (const p of sorted) for (const l of p.natServices) lines.push(l);
  for (const p of sorted) for (const l of p.natNodePorts) lines.push(l);
  lines.push(fixed.natServicesLast);
  return lines;
}

function staleLines(stale: readonly string[]): string[] {
  const sorted = [...stale].sort().reverse();
  return [...sorted.map(chainLine), ...sorted.map((c) => `-X ${c}`)];
}

/** A nat transaction being assembled from whole lines and per-port blocks (joined once, at the end). */
class NatSection {
  readonly parts: string[] = ['*nat'];
  rules = 0;
  chains = 0;

  lines(lines: readonly string[]): void {
    if (!lines.length) return;
    this.parts.push(lines.join('\n'));
    for (const l of lines) {
      if (l.startsWith('-A ')) this.rules++;
      else if (l.startsWith(':')) this.chains++;
    }
  }

  port(p: ServicePortRules): void {
    if (!p.natText) return;
    this.parts.push(p.natText);
    this.rules += p.natRuleCount;
    this.chains += p.natChainNames.length;
  }
}

export function restoreInput(plan: RestorePlan): RestoreInput {
  const out: string[] = [];
  let transactions = 0;
  let filterRules = 0;
  let natRules = 0;
  let natChains = 0;

  if (plan.full) {
    out.push('*mangle', chainLine(KUBE_PROXY_CANARY), 'COMMIT');
    transactions++;
  }
  if (plan.full || plan.writeFilter) {
    const filter = filterSection(plan.fixed, plan.ports, plan.full);
    if (plan.jumps?.filter.length) filter.lines.splice(filter.lines.length - 1, 0, ...plan.jumps.filter);
    out.push(filter.lines.join('\n'));
    filterRules = filter.rules;
    transactions++;
  }

  const changed = [...plan.changed].sort(byClusterChainDescending);
  const totalChains = changed.reduce((n, p) => n + p.natChainNames.length, 0);
  const fixedNat = plan.full ? [chainLine(KUBE_POSTROUTING), chainLine(KUBE_MARK_MASQ), ...plan.fixed.nat] : [];
  const top = plan.full || plan.writeNatTop ? natTopLines(plan.fixed, plan.ports) : [];
  const tail = [...(plan.full ? [chainLine(KUBE_PROXY_CANARY)] : []), ...staleLines(plan.stale), ...(plan.jumps?.nat ?? [])];
  const flush = (section: NatSection) => {
    if (section.parts.length === 1) return;
    out.push(...section.parts, 'COMMIT');
    natRules += section.rules;
    natChains += section.chains;
    transactions++;
  };

  if (totalChains <= plan.maxChainsPerTransaction) {
    const section = new NatSection();
    section.lines(fixedNat);
    for (const p of changed) section.port(p);
    section.lines(top);
    section.lines(tail);
    flush(section);
  } else {
    let section = new NatSection();
    section.lines(fixedNat);
    let chains = 0;
    for (const p of changed) {
      if (chains > 0 && chains + p.natChainNames.length > plan.maxChainsPerTransaction) {
        flush(section);
        section = new NatSection();
        chains = 0;
      }
      section.port(p);
      chains += p.natChainNames.length;
    }
    flush(section);
    const last = new NatSection();
    last.lines(top);
    last.lines(tail);
    flush(last);
  }
  return { text: out.length ? out.join('\n') + '\n' : '', filterRules, natRules, natChains, transactions };
}
