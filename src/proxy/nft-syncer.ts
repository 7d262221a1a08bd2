// The proxy's state and one sync in nftables mode: Services and EndpointSlices in, one `nft -f` transaction out. Like
// upstream's nftables proxier, a full sync rewrites the table's fixed part, every service chain and every map element;
// a partial sync writes only the chains of the Services that changed and the map/set elements that differ from what
// the kernel holds. Chains no longer used are flushed at once and deleted a second later (upstream's staleChains: a
// kernel before 6.2 still counts a reference from a map element deleted in the same transaction).
import type { Service } from 'kubernetes-types/core/v1.d.ts';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import type { Logger } from '../log.ts';
import { StaleUDPCleaner, type Conntrack } from './conntrack.ts';
import { servicePortKey } from './model.ts';
import { ServiceTracker, type ServiceInputs } from './tracker.ts';
import type { Nftables } from './nft.ts';
import {
  affinitySetLine,
  ELEMENT_CONTAINERS,
  elementText,
  isAffinitySet,
  isNftServiceChain,
  nftBaseScript,
  nftServicePort,
  T,
  type ElementContainer,
  type NftContext,
  type NftServicePort,
} from './nft-rules.ts';
import type { SyncResult } from './syncer.ts';

export interface NftSyncerOptions {
  nftables: Nftables;
  nodeName: string;
  nodeIPs: readonly string[];
  clusterCIDR?: string | undefined;
  /** Traffic to an address in these with no Service behind it is dropped (upstream's "unallocated ClusterIPs" rule). */
  serviceCIDRs?: readonly string[];
  logger: Logger;
  conntrack?: Conntrack | null;
  masqueradeAll?: boolean;
  /** NodePorts on 127.0.0.1 too (needs route_localnet=1). Default true, as Skiff's iptables mode. */
  localhostNodePorts?: boolean;
  /** How long a chain stays flushed before it is deleted. Default 1000 ms, as upstream. */
  staleChainDelayMs?: number;
  /**
   * Most service chains per `nft -f` transaction (default 5000). nft 1.0.6 takes time quadratic in the chains one
   * transaction adds (1,000 Services × 11 chains: 1.5 s; 3,000: 8.5 s), so a large write is split, ordered so every
   * state in between is consistent: chains first (nothing reaches them yet), then one last transaction switching the
   * map elements over and flushing what went stale. Upstream writes one transaction.
   */
  maxChainsPerTransaction?: number;
}


type Elements = Map<ElementContainer, Map<string, string>>;

/** Elements per `add element` command: one command per element would cost nft far more parsing. */
const ELEMENTS_PER_COMMAND = 2000;

function sameAffinity(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

export class NftSyncer {
  readonly #opts: NftSyncerOptions;
  readonly #log: Logger;
  readonly #tracker = new ServiceTracker();
  readonly #ports = new Map<string, Map<string, NftServicePort>>();
  /** Service chains believed to exist in the kernel (undefined: not read yet). */
  #knownChains: Set<string> | undefined;
  /** Affinity sets believed to exist, with their timeouts. */
  #knownSets: Map<string, number> | undefined;
  /** The elements the kernel holds, by container (undefined: unknown, so the next sync flushes and refills). */
  #elements: Elements | undefined;
  /** Flushed chains waiting to be deleted, with when they were flushed. */
  readonly #staleChains = new Map<string, number>();
  #needFullSync = true;
  #totalEndpoints = 0;
  readonly #udpCleaner: StaleUDPCleaner;

  constructor(opts: NftSyncerOptions) {
    this.#opts = opts;
    this.#log = opts.logger;
    this.#udpCleaner = new StaleUDPCleaner(opts.conntrack ?? null, opts.logger);
  }

  get pending(): boolean {
    return this.#needFullSync || this.#tracker.hasChanges;
  }

  /** Rewrites everything next time, reading the kernel's chains again and refilling the maps (in one transaction). */
  requestFullSync(): void {
    this.#needFullSync = true;
    this.#knownChains = undefined;
    this.#knownSets = undefined;
    this.#elements = undefined;
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

  #context(): NftContext {
    return {
      clusterCIDR: this.#opts.clusterCIDR,
      serviceCIDRs: this.#opts.serviceCIDRs ?? [],
      nodeIPs: this.#opts.nodeIPs,
      masqueradeMark: '0x4000',
      masqueradeAll: this.#opts.masqueradeAll ?? false,
      localhostNodePorts: this.#opts.localhostNodePorts ?? true,
    };
  }

  #inputs(key: string): ServiceInputs {
    return this.#tracker.inputs(key, this.#opts.nodeName);
  }

  /** Computes and applies the rules. Rejects (and schedules a full sync) if nft fails. */
  async sync(): Promise<SyncResult> {
    const start = performance.now();
    const full = this.#needFullSync;
    let saveMs = 0;
    if (!this.#knownChains || !this.#knownSets) {
      const t = performance.now();
      const [chains, sets] = await Promise.all([this.#opts.nftables.listChains(), this.#opts.nftables.listSets()]);
      this.#knownChains = new Set(chains.filter(isNftServiceChain));
      this.#knownSets = new Map(sets.filter(isAffinitySet).map((s) => [s, -1]));
      saveMs = performance.now() - t;
    }
    const staleDeleteMs = await this.#deleteStaleChains();
    const computeStart = performance.now();

    const ctx = this.#context();
    const dirty = this.#tracker.takeChanged();
    const changed: NftServicePort[] = [];
    const previous = new Map<string, Map<string, NftServicePort> | undefined>();
    for (const key of dirty) {
      const old = this.#ports.get(key);
      previous.set(key, old);
      for (const p of old?.values() ?? []) this.#totalEndpoints -= p.totalEndpoints;
      const input = this.#inputs(key);
      const next = new Map<string, NftServicePort>();
      for (const svc of input.ports) {
        const portKey = servicePortKey(svc.name, svc.protocol);
        const port = nftServicePort(svc, input.endpoints.get(portKey) ?? [], ctx);
        next.set(portKey, port);
        this.#totalEndpoints += port.totalEndpoints;
        const before = old?.get(portKey);
        if (!before || before.text !== port.text || !sameAffinity(before.affinitySets, port.affinitySets)) changed.push(port);
      }
      if (next.size) this.#ports.set(key, next);
      else this.#ports.delete(key);
      this.#tracker.prune(key);
    }

    // What the kernel should hold once this sync is done.
    const all: NftServicePort[] = [];
    for (const ports of this.#ports.values()) for (const p of ports.values()) all.push(p);
    const activeChains = new Set<string>();
    const activeSets = new Map<string, number>();
    const wanted: Elements = new Map(ELEMENT_CONTAINERS.map((c) => [c, new Map<string, string>()]));
    for (const p of all) {
      for (const chain of p.chains.keys()) activeChains.add(chain);
      for (const [set, timeout] of p.affinitySets) activeSets.set(set, timeout);
      for (const e of p.elements) wanted.get(e.container)!.set(e.key, e.value);
    }

    const scripts: string[][] = [];
    let lines: string[] = [];
    const written = full ? all : changed;
    if (full) lines.push(...nftBaseScript(ctx));
    const perTransaction = this.#opts.maxChainsPerTransaction ?? 5000;
    let natRules = 0;
    let natChains = 0;
    let chainsInScript = 0;
    for (const p of written) {
      if (chainsInScript > 0 && chainsInScript + p.chains.size > perTransaction) {
        scripts.push(lines);
        lines = [];
        chainsInScript = 0;
      }
      for (const [set, timeout] of p.affinitySets) lines.push(affinitySetLine(set, timeout));
      if (p.text) lines.push(p.text);
      natRules += p.ruleCount;
      natChains += p.chains.size;
      chainsInScript += p.chains.size;
    }
    if (scripts.length && lines.length) {
      scripts.push(lines);
      lines = [];
    }
    // Elements are diffed against what the kernel holds (upstream's nftElementStorage); flushed and refilled only
    // when that is unknown, so a resync never empties the dispatch maps.
    lines.push(...this.#elementLines(this.#elements, wanted));
    const stale = [...this.#knownChains].filter((c) => !activeChains.has(c) && !this.#staleChains.has(c));
    for (const chain of stale) lines.push(`flush chain ${T} ${chain}`);
    const staleSets = [...this.#knownSets.keys()].filter((s) => !activeSets.has(s));
    for (const set of staleSets) lines.push(`delete set ${T} ${set}`);
    if (lines.length) scripts.push(lines);
    const texts = scripts.map((l) => `${l.join('\n')}\n`);
    const computed = performance.now();

    try {
      for (const text of texts) await this.#opts.nftables.run(text);
    } catch (err) {
      // What the kernel holds is unknown now: rewrite everything next time, looking again at what exists.
      this.#needFullSync = true;
      this.#knownChains = undefined;
      this.#knownSets = undefined;
      this.#elements = undefined;
      throw err;
    }
    const applied = performance.now();

    const now = performance.now();
    for (const chain of stale) this.#staleChains.set(chain, now);
    for (const chain of activeChains) this.#staleChains.delete(chain);
    this.#knownChains = new Set([...activeChains, ...this.#staleChains.keys()]);
    this.#knownSets = activeSets;
    this.#elements = wanted;
    this.#needFullSync = false;

    await this.#udpCleaner.afterSync(dirty, previous, this.#ports, (key) => this.#inputs(key).endpoints);

    const end = performance.now();
    return {
      full,
      computeMs: computed - computeStart,
      restoreMs: applied - computed + staleDeleteMs,
      jumpsMs: 0,
      saveMs,
      totalMs: end - start,
      servicePorts: all.length,
      endpoints: this.#totalEndpoints,
      portsWritten: written.length,
      filterRules: 0,
      natRules,
      natChains,
      staleChains: stale.length,
      transactions: texts.length,
      bytes: texts.reduce((n, t) => n + t.length, 0),
    };
  }

  /**
   * The element commands that turn `have` into `want`; with `have` undefined, every container is flushed and refilled.
   * A changed value is deleted and added again, as upstream does: nft refuses to add a key that exists.
   */
  #elementLines(have: Elements | undefined, want: Elements): string[] {
    const lines: string[] = [];
    const batch = (verb: 'add' | 'delete', container: string, items: string[]) => {
      for (let i = 0; i < items.length; i += ELEMENTS_PER_COMMAND) {
        lines.push(`${verb} element ${T} ${container} { ${items.slice(i, i + ELEMENTS_PER_COMMAND).join(', ')} }`);
      }
    };
    for (const container of ELEMENT_CONTAINERS) {
      const w = want.get(container)!;
      if (!have) {
        lines.push(`flush ${container === 'cluster-ips' ? 'set' : 'map'} ${T} ${container}`);
        batch('add', container, [...w].map(([key, value]) => elementText({ container, key, value })));
        continue;
      }
      const h = have.get(container) ?? new Map<string, string>();
      const remove: string[] = [];
      const add: string[] = [];
      for (const [key, value] of h) {
        const next = w.get(key);
        if (next === undefined || next !== value) remove.push(key);
      }
      for (const [key, value] of w) if (h.get(key) !== value) add.push(elementText({ container, key, value }));
      batch('delete', container, remove);
      batch('add', container, add);
    }
    return lines;
  }

  /** Deletes the chains flushed at least staleChainDelayMs ago, in a transaction of their own; resolves with its time. */
  async #deleteStaleChains(): Promise<number> {
    const delay = this.#opts.staleChainDelayMs ?? 1000;
    const cutoff = performance.now() - delay;
    const due = [...this.#staleChains].filter(([, at]) => at <= cutoff).map(([c]) => c);
    if (!due.length) return 0;
    const t = performance.now();
    for (const c of due) this.#staleChains.delete(c);
    try {
      await this.#opts.nftables.run(due.map((c) => `delete chain ${T} ${c}`).join('\n') + '\n');
      for (const c of due) this.#knownChains?.delete(c);
    } catch (err) {
      // Still there: the next full sync finds them again (they stay in knownChains and are flushed once more).
      this.#log.warn('cannot delete stale nftables chains; will retry', { chains: due.length, error: err });
    }
    return performance.now() - t;
  }
}
