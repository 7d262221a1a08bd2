// The proxy's state and one sync: Services and EndpointSlices in, iptables rules out. Keeps each service port's rules
// from the last sync, recomputes only the Services that changed, and writes only what differs (upstream's
// MinimizeIPTablesRestore partial sync), with a full rewrite on start, after a failure, and when asked.
import type { Service } from 'kubernetes-types/core/v1.d.ts';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import type { Logger } from '../log.ts';
import { isJumpRule, isServiceChain, JUMP_RULES, jumpRuleLine, KUBELET_JUMP_RULES, type JumpRule } from './chains.ts';
import { StaleUDPCleaner, type Conntrack } from './conntrack.ts';
import { chainsInDump, type Iptables } from './iptables.ts';
import { servicePortKey } from './model.ts';
import { ServiceTracker, type ServiceHealthCheck, type ServiceInputs } from './tracker.ts';
import { restoreInput } from './restore.ts';
import { fixedRules, servicePortRules, type RuleContext, type ServicePortRules, type TopLevelLines } from './rules.ts';

/** Past this many endpoints in all, rules lose their per-endpoint comments (upstream's largeClusterEndpointsThreshold). */
export const LARGE_CLUSTER_ENDPOINTS = 1000;

export interface RuleSyncerOptions {
  iptables: Iptables;
  nodeName: string;
  nodeIPs: readonly string[];
  clusterCIDR?: string | undefined;
  logger: Logger;
  /** Stale UDP flows are cleared through it; null to skip that. */
  conntrack?: Conntrack | null;
  masqueradeAll?: boolean;
  /** NodePorts on 127.0.0.1 too (needs route_localnet=1). Default true, as upstream. */
  localhostNodePorts?: boolean;
  conntrackTCPLiberal?: boolean;
  /**
   * Chains per nat transaction while the tables are not yet in use (see restore.ts). Default 1000. Once the built-in
   * chains jump into ours, every transaction costs the kernel a walk of every rule they reach (~0.3 s at 10,000
   * Services × 10 endpoints), so fewer, larger ones (4×) are cheaper despite iptables-nft's quadratic cost.
   */
  maxChainsPerTransaction?: number;
}

export interface SyncResult {
  full: boolean;
  /** Computing rules and the restore input. */
  computeMs: number;
  /** iptables-restore. */
  restoreMs: number;
  /** Listing the built-in chains to find missing jumps into ours: full syncs only. */
  jumpsMs: number;
  /** iptables-save of nat to find chains left by an earlier run: the first sync only. */
  saveMs: number;
  totalMs: number;
  servicePorts: number;
  endpoints: number;
  /** Service ports whose chains were written. */
  portsWritten: number;
  filterRules: number;
  natRules: number;
  natChains: number;
  staleChains: number;
  transactions: number;
  bytes: number;
}



function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((l, i) => l === b[i]);
}

function sameTop(a: TopLevelLines, b: TopLevelLines, keys: readonly (keyof TopLevelLines)[]): boolean {
  return keys.every((k) => sameLines(a[k], b[k]));
}

const NAT_TOP_KEYS = ['natServices', 'natNodePorts'] as const;
const FILTER_TOP_KEYS = ['filterServices', 'filterExternal', 'filterNodePorts', 'filterFirewall'] as const;

export class RuleSyncer {
  readonly #opts: RuleSyncerOptions;
  readonly #log: Logger;
  readonly #tracker = new ServiceTracker();
  /** Port rules from the last successful computation, by service key, then by servicePortKey. */
  readonly #rules = new Map<string, Map<string, ServicePortRules>>();
  /** nat service chains believed to exist in the kernel (undefined: not known yet; read them with iptables-save). */
  #knownChains: Set<string> | undefined;
  #needFullSync = true;
  #zone = '';
  #largeClusterMode = false;
  #totalEndpoints = 0;
  readonly #udpCleaner: StaleUDPCleaner;

  constructor(opts: RuleSyncerOptions) {
    this.#opts = opts;
    this.#log = opts.logger;
    this.#udpCleaner = new StaleUDPCleaner(opts.conntrack ?? null, opts.logger);
  }

  /** True when a sync has something to do. */
  get pending(): boolean {
    return this.#needFullSync || this.#tracker.hasChanges;
  }

  requestFullSync(): void {
    this.#needFullSync = true;
  }

  updateService(svc: Service): void {
    this.#tracker.updateService(svc);
  }

  deleteService(svc: Service): void {
    this.#tracker.deleteService(svc);
  }

  updateEndpointSlice(slice: EndpointSlice): void {
    this.#tracker.updateEndpointSlice(slice);
  }

  deleteEndpointSlice(slice: EndpointSlice): void {
    this.#tracker.deleteEndpointSlice(slice);
  }

  /** This node's zone label: Services with zone hints follow it, so a change recomputes and rewrites everything. */
  setNodeZone(zone: string): void {
    if (zone === this.#zone) return;
    this.#zone = zone;
    this.#tracker.markAllChanged();
    this.#needFullSync = true;
  }

  healthChecks(): ServiceHealthCheck[] {
    return this.#tracker.healthChecks(this.#opts.nodeName);
  }

  #context(): RuleContext {
    return {
      clusterCIDR: this.#opts.clusterCIDR,
      nodeIPs: this.#opts.nodeIPs,
      masqueradeMark: '0x4000',
      masqueradeAll: this.#opts.masqueradeAll ?? false,
      localhostNodePorts: this.#opts.localhostNodePorts ?? true,
      largeClusterMode: this.#largeClusterMode,
      conntrackTCPLiberal: this.#opts.conntrackTCPLiberal ?? false,
      randomFully: true,
      topology: { nodeName: this.#opts.nodeName, zone: this.#zone },
    };
  }

  #inputs(key: string): ServiceInputs {
    return this.#tracker.inputs(key, this.#opts.nodeName);
  }

  /** Computes and applies the rules. Rejects (and schedules a full sync) if iptables-restore fails. */
  async sync(): Promise<SyncResult> {
    const start = performance.now();
    let full = this.#needFullSync;

    // The changed Services' ports and endpoints; the endpoint total decides large-cluster mode, as upstream.
    const dirty = this.#tracker.takeChanged();
    const inputs = new Map<string, ServiceInputs>();
    let total = this.#totalEndpoints;
    for (const key of dirty) {
      for (const p of this.#rules.get(key)?.values() ?? []) total -= p.totalEndpoints;
      const input = this.#inputs(key);
      inputs.set(key, input);
      for (const svc of input.ports) total += input.endpoints.get(servicePortKey(svc.name, svc.protocol))?.length ?? 0;
    }
    if (total > LARGE_CLUSTER_ENDPOINTS !== this.#largeClusterMode) {
      // Every chain's comments change: rewrite everything.
      this.#largeClusterMode = !this.#largeClusterMode;
      full = true;
      for (const key of this.#rules.keys()) if (!inputs.has(key)) inputs.set(key, this.#inputs(key));
    }
    this.#totalEndpoints = total;
    const ctx = this.#context();
    const changed: ServicePortRules[] = [];
    const stale = new Set<string>();
    let writeFilter = false;
    let writeNatTop = false;
    const previous = new Map<string, Map<string, ServicePortRules> | undefined>();
    for (const [key, input] of inputs) {
      const old = this.#rules.get(key);
      previous.set(key, old);
      const next = new Map<string, ServicePortRules>();
      for (const svc of input.ports) {
        const portKey = servicePortKey(svc.name, svc.protocol);
        next.set(portKey, servicePortRules(svc, input.endpoints.get(portKey) ?? [], ctx));
      }
      if (next.size) this.#rules.set(key, next);
      else this.#rules.delete(key);
      this.#tracker.prune(key);
      const keep = new Set<string>();
      for (const [portKey, rules] of next) {
        for (const chain of rules.natChainNames) keep.add(chain);
        const before = old?.get(portKey);
        if (!before || before.natText !== rules.natText) changed.push(rules);
        if (before ? !sameTop(before, rules, NAT_TOP_KEYS) : NAT_TOP_KEYS.some((k) => rules[k].length > 0)) writeNatTop = true;
        if (before ? !sameTop(before, rules, FILTER_TOP_KEYS) : FILTER_TOP_KEYS.some((k) => rules[k].length > 0)) writeFilter = true;
      }
      for (const [portKey, rules] of old ?? []) {
        for (const chain of rules.natChainNames) if (!keep.has(chain)) stale.add(chain);
        if (!next.has(portKey)) {
          writeNatTop ||= rules.natServices.length + rules.natNodePorts.length > 0;
          writeFilter ||= FILTER_TOP_KEYS.some((k) => rules[k].length > 0);
        }
      }
    }

    const all: ServicePortRules[] = [];
    for (const ports of this.#rules.values()) for (const p of ports.values()) all.push(p);
    const active = new Set<string>();
    let saveMs = 0;
    if (full) {
      for (const p of all) for (const chain of p.natChainNames) active.add(chain);
      if (!this.#knownChains) {
        const t = performance.now();
        this.#knownChains = new Set(chainsInDump(await this.#opts.iptables.save('nat')).filter(isServiceChain));
        saveMs = performance.now() - t;
      }
      stale.clear();
      for (const chain of this.#knownChains) if (!active.has(chain)) stale.add(chain);
    }
    let jumps: { filter: string[]; nat: string[] } | undefined;
    let jumpsMs = 0;
    if (full) {
      const t = performance.now();
      jumps = await this.#missingJumps(ctx.localhostNodePorts);
      jumpsMs = performance.now() - t;
    }
    const input = restoreInput({
      full,
      fixed: fixedRules(ctx),
      ports: all,
      changed: full ? all : changed,
      writeFilter: full || writeFilter,
      writeNatTop: full || writeNatTop,
      stale: [...stale],
      maxChainsPerTransaction: (this.#opts.maxChainsPerTransaction ?? 1000) * ((this.#knownChains?.size ?? 0) > 0 ? 4 : 1),
      ...(jumps ? { jumps } : {}),
    });
    const computed = performance.now();

    try {
      if (input.text) await this.#opts.iptables.restore(input.text);
    } catch (err) {
      // What was written is unknown now: rewrite everything next time, deleting whatever this sync may have created.
      this.#needFullSync = true;
      for (const p of full ? all : changed) for (const chain of p.natChainNames) this.#knownChains?.add(chain);
      throw err;
    }
    const restored = performance.now();

    if (full) this.#knownChains = active;
    else if (this.#knownChains) {
      for (const chain of stale) this.#knownChains.delete(chain);
      for (const p of changed) for (const chain of p.natChainNames) this.#knownChains.add(chain);
    }
    this.#needFullSync = false;

    await this.#udpCleaner.afterSync(dirty, previous, this.#rules, (key) => this.#inputs(key).endpoints);

    const end = performance.now();
    return {
      full,
      computeMs: computed - start - saveMs - jumpsMs,
      restoreMs: restored - computed,
      jumpsMs,
      saveMs,
      totalMs: end - start,
      servicePorts: all.length,
      endpoints: this.#totalEndpoints,
      portsWritten: full ? all.length : changed.length,
      filterRules: input.filterRules,
      natRules: input.natRules,
      natChains: input.natChains,
      staleChains: stale.size,
      transactions: input.transactions,
      bytes: input.text.length,
    };
  }

  /**
   * The jumps from the built-in chains into ours that are missing, as restore lines (upstream ensures them with
   * EnsureRule/Prepend on every full sync): one `iptables -S` per built-in chain.
   */
  async #missingJumps(localhostNodePorts: boolean): Promise<{ filter: string[]; nat: string[] }> {
    const jumps: readonly JumpRule[] = localhostNodePorts ? [...JUMP_RULES, ...KUBELET_JUMP_RULES] : JUMP_RULES;
    const groups = new Map<string, JumpRule[]>();
    for (const j of jumps) {
      const k = `${j.table} ${j.from}`;
      groups.set(k, [...(groups.get(k) ?? []), j]);
    }
    const missing = await Promise.all(
      [...groups.values()].map(async (group) => {
        const present = await this.#opts.iptables.listRules(group[0]!.table, group[0]!.from);
        return group.filter((j) => !present.some((line) => isJumpRule(line, j)));
      }),
    );
    // Inserted one after another at the top, the last ends up first, as with upstream's successive prepends.
    const lines = missing.flat();
    return {
      filter: lines.filter((j) => j.table === 'filter').map((j) => jumpRuleLine('-I', j)),
      nat: lines.filter((j) => j.table === 'nat').map((j) => jumpRuleLine('-I', j)),
    };
  }
}
