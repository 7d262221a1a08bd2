// The proxy's state and one sync in nftables mode: Services and EndpointSlices in; out, an `nft -f` script for tables,
// chains and rules, then the element changes as one nf_tables batch (nft-netlink.ts; as text in the same `nft -f`
// transaction when the netlink helper is missing). Like upstream's nftables proxier, a full sync rewrites the table's
// fixed part, every service chain and every map element; a partial sync writes only the chains of the Services that
// changed and the map/set elements that differ from what the kernel holds (kept incrementally: a sync looks only at the
// elements of the ports that changed; the hairpin set only grows between full syncs, see #elementDiffOps). Ports in
// the pick layout (nft-rules.ts) have no chains: their change is element updates, plus a shared pick chain the first
// time a new endpoint count appears. Chains no longer used are flushed at once and deleted a second later (upstream's
// staleChains: a kernel before 6.2 still counts a reference from a map element deleted in the same transaction).
import type { Service } from 'kubernetes-types/core/v1.d.ts';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import type { Logger } from '../log.ts';
import { StaleUDPCleaner, type Conntrack } from './conntrack.ts';
import { servicePortKey } from './model.ts';
import { ServiceTracker, type ServiceHealthCheck, type ServiceInputs } from './tracker.ts';
import type { Nftables } from './nft.ts';
import type { NftBatchOp } from './nft-netlink.ts';
import {
  affinitySetLine,
  ELEMENT_CONTAINERS,
  ENDPOINT_MAPS,
  groupKey,
  hairpinKey,
  HAIRPIN_SET,
  isEndpointMap,
  isAffinitySet,
  isNftServiceChain,
  isPickChain,
  nftBaseScript,
  nftServicePort,
  T,
  type ElementContainer,
  type EndpointMap,
  type NftContext,
  type NftEndpointGroup,
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


/**
 * What the ports want, per container: a value by key (the last port to want a key gives its value), and how many
 * ports beyond the first want the same key (shared addresses are), so the key goes only with the last.
 */
class Wanted<C extends string, V> {
  readonly #values: Map<C, Map<string, V>>;
  readonly #extraRefs = new Map<string, number>();

  constructor(containers: readonly C[]) {
    this.#values = new Map(containers.map((c) => [c, new Map()]));
  }

  of(container: C): ReadonlyMap<string, V> {
    return this.#values.get(container)!;
  }

  /** Adds a port's want; notes the key's value before in `touched`, when given. */
  acquire(container: C, key: string, value: V, touched: Map<C, Map<string, V | undefined>> | undefined): void {
    const values = this.#values.get(container)!;
    // Without `touched` (a full sync: 70,000 keys at 10,000 Services) the size tells whether the key was there: one
    // hash lookup instead of two.
    const size = values.size;
    if (touched) noteTouched(touched, container, key, values.get(key));
    values.set(key, value);
    if (values.size === size) {
      const ref = `${container} ${key}`;
      this.#extraRefs.set(ref, (this.#extraRefs.get(ref) ?? 0) + 1);
    }
  }

  release(container: C, key: string, touched: Map<C, Map<string, V | undefined>> | undefined): void {
    const values = this.#values.get(container)!;
    const have = values.get(key);
    if (touched) noteTouched(touched, container, key, have);
    if (have === undefined) return;
    const ref = `${container} ${key}`;
    const extra = this.#extraRefs.get(ref);
    if (extra === undefined) values.delete(key);
    else if (extra <= 1) this.#extraRefs.delete(ref);
    else this.#extraRefs.set(ref, extra - 1);
  }
}

/** Per container, the keys (or endpoint-group prefixes) a sync touched and their value before it (undefined: absent). */
interface Touched {
  elements: Map<ElementContainer, Map<string, string | undefined>>;
  groups: Map<EndpointMap, Map<string, NftEndpointGroup | undefined>>;
}

/** Records a key's value before this sync changed it (only the first time). */
function noteTouched<C, V>(touched: Map<C, Map<string, V | undefined>>, container: C, key: string, value: V | undefined): void {
  let keys = touched.get(container);
  if (!keys) touched.set(container, (keys = new Map()));
  if (!keys.has(key)) keys.set(key, value);
}

function hasChains(ports: ReadonlyMap<string, NftServicePort> | undefined): boolean {
  for (const p of ports?.values() ?? []) if (p.chains.size || p.affinitySets.size) return true;
  return false;
}

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
  /** The elements every port wants, kept up to date incrementally as ports change. */
  readonly #elements = new Wanted<ElementContainer, string>(ELEMENT_CONTAINERS);
  /** The endpoint groups every pick-layout port wants, by endpoint map and prefix. */
  readonly #groups = new Wanted<EndpointMap, NftEndpointGroup>(ENDPOINT_MAPS);
  /** The kernel holds #elements as of the last successful sync (false: unknown, the next sync flushes and refills). */
  #elementsKnown = false;
  /** Shared pick chains the kernel holds with their current rules (undefined: unknown). */
  #picks: Set<string> | undefined;
  /** Flushed chains waiting to be deleted, with when they were flushed. */
  readonly #staleChains = new Map<string, number>();
  #needFullSync = true;
  #zone = '';
  #totalEndpoints = 0;
  #servicePorts = 0;
  /** The ports with chains or affinity sets of their own (undefined: not looked for yet). */
  #portsWithChains: NftServicePort[] | undefined;
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
    this.#elementsKnown = false;
    this.#picks = undefined;
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

  #context(): NftContext {
    return {
      clusterCIDR: this.#opts.clusterCIDR,
      serviceCIDRs: this.#opts.serviceCIDRs ?? [],
      nodeIPs: this.#opts.nodeIPs,
      masqueradeMark: '0x4000',
      masqueradeAll: this.#opts.masqueradeAll ?? false,
      localhostNodePorts: this.#opts.localhostNodePorts ?? true,
      topology: { nodeName: this.#opts.nodeName, zone: this.#zone },
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
    await this.#opts.nftables.prepare?.();
    const staleDeleteMs = await this.#deleteStaleChains();
    // What chains and sets exist is read (when unknown) while the ports are computed: nft runs on another core.
    const listing = !this.#knownChains || !this.#knownSets ? this.#opts.nftables.listObjects() : undefined;
    listing?.catch(() => {}); // awaited below; this only keeps a failure from counting as unhandled meanwhile
    let computeStart = performance.now();

    const ctx = this.#context();
    const dirty = this.#tracker.takeChanged();
    const changed: NftServicePort[] = [];
    const previous = new Map<string, Map<string, NftServicePort> | undefined>();
    // A full sync refills every container: no need to note what changed.
    const touched: Touched | undefined = full ? undefined : { elements: new Map(), groups: new Map() };
    const hairpinAdds: string[] = [];
    const newPicks = new Map<string, readonly string[]>();
    // Ports share their pick maps: each is merged into newPicks once.
    const picksSeen = new Set<ReadonlyMap<string, readonly string[]>>();
    let pickPortsWritten = 0;
    for (let d = 0; d < dirty.length; d++) {
      const key = dirty[d]!;
      const old = this.#ports.get(key);
      // A full sync looks at every port anyway: only a port that was there needs remembering.
      if (old || !full) previous.set(key, old);
      this.#servicePorts -= old?.size ?? 0;
      old?.forEach((p) => this.#release(p, touched));
      const input = this.#inputs(key);
      const next = new Map<string, NftServicePort>();
      for (let i = 0; i < input.ports.length; i++) {
        const svc = input.ports[i]!;
        const portKey = servicePortKey(svc.name, svc.protocol);
        const port = nftServicePort(svc, input.endpoints.get(portKey) ?? [], ctx);
        next.set(portKey, port);
        this.#acquire(port, touched);
        const before = old?.get(portKey);
        if (touched) for (const ip of port.hairpin) if (!before?.hairpin.includes(ip)) hairpinAdds.push(ip);
        if (!picksSeen.has(port.picks)) {
          picksSeen.add(port.picks);
          for (const [chain, rules] of port.picks) newPicks.set(chain, rules);
        }
        if (port.picks.size) pickPortsWritten++;
        if (!before || before.text !== port.text || !sameAffinity(before.affinitySets, port.affinitySets)) {
          if (port.text || before?.text || port.affinitySets.size) changed.push(port);
        }
      }
      this.#servicePorts += next.size;
      if (next.size) this.#ports.set(key, next);
      else this.#ports.delete(key);
      this.#tracker.prune(key);
    }

    // Pick chains the kernel holds, on a full sync: the ones no port uses any more are let go as stale chains are.
    const kernelPicks = full ? new Set(this.#picks) : undefined;
    if (listing) {
      const t = performance.now();
      const { chains, sets } = await listing;
      this.#knownChains = new Set(chains.filter(isNftServiceChain));
      for (const chain of chains) if (isPickChain(chain)) kernelPicks?.add(chain);
      this.#knownSets = new Map(sets.filter(isAffinitySet).map((s) => [s, -1]));
      saveMs = performance.now() - t;
      computeStart += saveMs;
    }
    const knownChains = this.#knownChains!;
    const knownSets = this.#knownSets!;

    // What the kernel should hold once this sync is done.
    // Pick chains to write: every one in use on a full sync (or when unknown), else those first used now.
    const picksKnown = !full && this.#picks !== undefined;
    // Chains and sets in use: looked for across every port only when a port with any may have changed, so a change
    // to a pick-layout port costs nothing per Service.
    const lookAtAll = full || !picksKnown || this.#portsWithChains === undefined || [...previous].some(([key, old]) => hasChains(old) || hasChains(this.#ports.get(key)));
    const all: NftServicePort[] = [];
    if (lookAtAll) this.#forEachPort((p) => all.push(p));
    const activeChains = new Set<string>();
    const activeSets = new Map<string, number>();
    const allPicks = new Map<string, readonly string[]>();
    if (lookAtAll) {
      this.#portsWithChains = [];
      const seen = new Set<ReadonlyMap<string, readonly string[]>>();
      for (let i = 0; i < all.length; i++) {
        const p = all[i]!;
        if (p.chains.size || p.affinitySets.size) this.#portsWithChains.push(p);
        if (picksKnown || seen.has(p.picks)) continue;
        seen.add(p.picks);
        for (const [chain, rules] of p.picks) allPicks.set(chain, rules);
      }
    }
    for (const p of this.#portsWithChains!) {
      for (const chain of p.chains.keys()) activeChains.add(chain);
      for (const [set, timeout] of p.affinitySets) activeSets.set(set, timeout);
    }
    const picksToWrite = picksKnown ? [...newPicks].filter(([chain]) => !this.#picks!.has(chain)) : [...allPicks];

    const scripts: string[][] = [];
    let lines: string[] = [];
    const written = full ? all.filter((p) => p.text || p.affinitySets.size) : changed;
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
    for (const [chain, rules] of picksToWrite) {
      lines.push(`add chain ${T} ${chain}`, `flush chain ${T} ${chain}`, ...rules.map((r) => `add rule ${T} ${chain} ${r}`));
      natRules += rules.length;
      natChains++;
    }
    // The last transaction switches the elements over (written as netlink messages where nft.ts can): elements are
    // diffed against what the kernel holds (upstream's nftElementStorage), flushed and refilled only when that is
    // unknown, so a resync never empties the dispatch maps; then chains and sets no longer used are let go.
    const ops = touched && this.#elementsKnown ? this.#elementDiffOps(touched, hairpinAdds) : this.#elementRefillOps();
    const stale = [...knownChains].filter((c) => !activeChains.has(c) && !this.#staleChains.has(c));
    for (const chain of kernelPicks ?? []) if (!allPicks.has(chain) && !this.#staleChains.has(chain)) stale.push(chain);
    for (const chain of stale) ops.push({ op: 'flush chain', chain });
    const staleSets = [...knownSets.keys()].filter((s) => !activeSets.has(s));
    for (const set of staleSets) ops.push({ op: 'delete set', set });
    const texts = scripts.map((l) => `${l.join('\n')}\n`);
    const last = lines.length ? `${lines.join('\n')}\n` : '';
    const computed = performance.now();

    let transactions = texts.length;
    try {
      for (const text of texts) await this.#opts.nftables.run(text);
      if (last || ops.length) transactions += await this.#opts.nftables.apply(last, ops);
    } catch (err) {
      // What the kernel holds is unknown now: rewrite everything next time, looking again at what exists.
      this.requestFullSync();
      throw err;
    }
    const applied = performance.now();

    const now = performance.now();
    for (const chain of stale) this.#staleChains.set(chain, now);
    for (const chain of activeChains) this.#staleChains.delete(chain);
    for (const [chain] of picksToWrite) this.#staleChains.delete(chain);
    this.#knownChains = new Set([...activeChains, ...this.#staleChains.keys()]);
    this.#knownSets = activeSets;
    this.#elementsKnown = true;
    if (!picksKnown) this.#picks = new Set();
    for (const [chain] of picksToWrite) this.#picks!.add(chain);
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
      servicePorts: this.#servicePorts,
      endpoints: this.#totalEndpoints,
      portsWritten: written.length + pickPortsWritten,
      filterRules: 0,
      natRules,
      natChains,
      staleChains: stale.length,
      transactions,
      bytes: texts.reduce((n, t) => n + t.length, last.length),
    };
  }

  // Small methods with indexed loops for what runs once per port: sync() is too large for V8 to optimize early, and
  // its for-of loops allocate an iterator result per step until it does (a full sync of 10,000 Services: ~7 MB).

  /** Counts a port's elements and endpoint groups in. */
  #acquire(port: NftServicePort, touched: Touched | undefined): void {
    this.#totalEndpoints += port.totalEndpoints;
    const elements = port.elements;
    for (let i = 0; i < elements.length; i++) this.#elements.acquire(elements[i]!.container, elements[i]!.key, elements[i]!.value, touched?.elements);
    const groups = port.endpointGroups;
    for (let i = 0; i < groups.length; i++) this.#groups.acquire(groups[i]!.container, groups[i]!.prefix, groups[i]!, touched?.groups);
  }

  /** Counts a port's elements and endpoint groups out. */
  #release(port: NftServicePort, touched: Touched | undefined): void {
    this.#totalEndpoints -= port.totalEndpoints;
    const elements = port.elements;
    for (let i = 0; i < elements.length; i++) this.#elements.release(elements[i]!.container, elements[i]!.key, touched?.elements);
    const groups = port.endpointGroups;
    for (let i = 0; i < groups.length; i++) this.#groups.release(groups[i]!.container, groups[i]!.prefix, touched?.groups);
  }

  #forEachPort(f: (p: NftServicePort) => void): void {
    this.#ports.forEach((ports) => ports.forEach(f));
  }

  /** Every container flushed and refilled: for when what the kernel holds is unknown. */
  #elementRefillOps(): NftBatchOp[] {
    const ops: NftBatchOp[] = [];
    for (const container of ELEMENT_CONTAINERS) {
      ops.push({ op: 'flush', container });
      const elements = this.#elements.of(container);
      if (elements.size) {
        const pairs: [string, string][] = [];
        elements.forEach((value, key) => pairs.push([key, value]));
        ops.push({ op: 'add', container, elements: pairs });
      }
      if (isEndpointMap(container) && this.#groups.of(container).size) {
        const groups: NftEndpointGroup[] = [];
        this.#groups.of(container).forEach((g) => groups.push(g));
        ops.push({ op: 'add groups', container, groups });
      }
      if (container === HAIRPIN_SET) {
        const ips: string[] = [];
        this.#forEachPort((p) => {
          for (let i = 0; i < p.hairpin.length; i++) ips.push(p.hairpin[i]!);
        });
        // An address two ports share goes twice: adding an element that exists is no error.
        if (ips.length) ops.push({ op: 'add pairs', container, ips });
      }
    }
    return ops;
  }

  /**
   * The element ops for the keys this sync touched. A changed value is deleted and added again, as upstream does:
   * nft refuses to add a key that exists.
   *
   * The hairpin set's pairs are only added (`hairpinAdds`: the changed ports' new local endpoints) until the next full
   * sync refills it: counting who still wants each address would cost a full sync of 10,000 Services 40,000 more map
   * entries, and a pair left behind is harmless — traffic from an address DNATed back to that same address is hairpin
   * traffic whatever sent it there, and is masqueraded (pod addresses are this node's own).
   */
  #elementDiffOps(touched: Touched, hairpinAdds: readonly string[]): NftBatchOp[] {
    const ops: NftBatchOp[] = [];
    for (const container of ELEMENT_CONTAINERS) {
      const remove: [string, string][] = [];
      const add: [string, string][] = [];
      const now = this.#elements.of(container);
      for (const [key, before] of touched.elements.get(container) ?? []) {
        const after = now.get(key);
        if (before === after) continue;
        if (before !== undefined) remove.push([key, before]);
        if (after !== undefined) add.push([key, after]);
      }
      if (container === HAIRPIN_SET) for (const ip of new Set(hairpinAdds)) add.push([hairpinKey(ip), '']);
      // A group's elements by index: only the indices whose endpoint differs.
      for (const [prefix, before] of (isEndpointMap(container) && touched.groups.get(container)) || []) {
        const after = this.#groups.of(container as EndpointMap).get(prefix);
        const n = Math.max(before?.ips.length ?? 0, after?.ips.length ?? 0);
        for (let i = 0; i < n; i++) {
          const inBefore = before !== undefined && i < before.ips.length;
          const inAfter = after !== undefined && i < after.ips.length;
          if (inBefore && inAfter && before.ips[i] === after.ips[i] && before.ports[i] === after.ports[i]) continue;
          const key = groupKey((after ?? before)!, i);
          if (inBefore) remove.push([key, '']);
          if (inAfter) add.push([key, ` : ${after.ips[i]} . ${after.ports[i]}`]);
        }
      }
      if (remove.length) ops.push({ op: 'delete', container, elements: remove });
      if (add.length) ops.push({ op: 'add', container, elements: add });
    }
    return ops;
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
