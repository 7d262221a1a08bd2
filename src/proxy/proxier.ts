// kube-proxy for one node, in iptables mode (RuleSyncer) or nftables mode (NftSyncer): informers on Services and
// EndpointSlices feed the syncer, and syncs
// run coalesced — at most one every minSyncPeriodMs (upstream's minSyncPeriod), at least one every syncPeriodMs, with a
// full rewrite every fullSyncPeriodMs or as soon as the canary chains show that someone flushed the tables.
//
// Skiff's minSyncPeriod defaults to 100 ms where upstream's is 1 s: a partial sync here writes only the changed
// Service's chains (a few ms on a small node), so coalescing a burst of EndpointSlice updates (a rollout, a scale-up)
// needs only a short window, and `kubectl expose` followed by a request should not wait a second.
import type { AddressInfo } from 'node:net';
import type { Node, Service } from 'kubernetes-types/core/v1.d.ts';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import type { Client } from '../client/client.ts';
import { InformerFactory } from '../client/factory.ts';
import { ENDPOINT_SLICES, NODES, SERVICES } from '../client/resources.ts';
import type { Logger } from '../log.ts';
import { KUBE_PROXY_CANARY } from './chains.ts';
import { ExecConntrack, type Conntrack } from './conntrack.ts';
import { ProxyHealth, serveProxyHealth, ServiceHealthServers } from './health.ts';
import { CommandNotFoundError } from './host.ts';
import { ProxyMetrics, serveProxyMetrics } from './metrics.ts';
import type { Iptables } from './iptables.ts';
import type { Nftables } from './nft.ts';
import { BASE_CHAIN_NAMES } from './nft-rules.ts';
import { NftSyncer } from './nft-syncer.ts';
import { ExecSysctl, type Sysctl } from './sysctl.ts';
import { RuleSyncer, type SyncResult } from './syncer.ts';
import type { ServiceHealthCheck } from './tracker.ts';

/** What the Proxier needs of a backend's syncer (RuleSyncer for iptables, NftSyncer for nftables). */
export interface ProxySyncer {
  readonly pending: boolean;
  requestFullSync(): void;
  updateService(svc: Service): void;
  deleteService(svc: Service): void;
  updateEndpointSlice(slice: EndpointSlice): void;
  deleteEndpointSlice(slice: EndpointSlice): void;
  /** The Services load balancers health-check on this node, with its ready endpoints of each. */
  healthChecks(): ServiceHealthCheck[];
  /** This node's topology.kubernetes.io/zone label ('' when none), for zone hints. */
  setNodeZone(zone: string): void;
  sync(): Promise<SyncResult>;
}

export type ProxyMode = 'iptables' | 'nftables';

export interface ProxierOptions {
  client: Client;
  nodeName: string;
  nodeIPs: readonly string[];
  /** The pod network (e.g. 10.244.0.0/16): traffic from elsewhere to a ClusterIP is masqueraded. */
  clusterCIDR?: string | undefined;
  /** Which backend writes the rules. Default 'iptables'. */
  mode?: ProxyMode;
  /** The iptables seam: required in iptables mode. */
  iptables?: Iptables;
  /** The nftables seam: required in nftables mode. */
  nftables?: Nftables;
  /** nftables mode: traffic to an address in these with no Service behind it is dropped, as upstream. */
  serviceCIDRs?: readonly string[];
  logger: Logger;
  /** Least time between two syncs. Default 100 ms. */
  minSyncPeriodMs?: number;
  /** Most time between two syncs (and between canary checks). Default 30 s. */
  syncPeriodMs?: number;
  /** Most time between two full rewrites. Default 1 hour (upstream's FullSyncPeriod). */
  fullSyncPeriodMs?: number;
  /** NodePorts on 127.0.0.1 too (sets net.ipv4.conf.all.route_localnet=1). Default true, as upstream. */
  localhostNodePorts?: boolean;
  masqueradeAll?: boolean;
  /** Default: the conntrack tool in the iptables seam's network namespace; null to never clear UDP flows. */
  conntrack?: Conntrack | null;
  /** Default: the sysctl tool in the iptables seam's network namespace; null to leave kernel settings alone. */
  sysctl?: Sysctl | null;
  /** See syncer.ts. Default 1000. */
  maxChainsPerTransaction?: number;
  /** Serve /healthz and /livez here (host:port; kube-proxy's --healthz-bind-address). Default: not served. */
  healthzBindAddress?: string;
  /** Serve /metrics, /proxyMode and /healthz here (host:port; kube-proxy's --metrics-bind-address). Default: not served. */
  metricsBindAddress?: string;
  /** Where Services' health checks listen on their healthCheckNodePort. Default: every address (0.0.0.0). */
  healthCheckAddresses?: readonly string[];
}

export interface ProxierMetrics {
  syncs: number;
  fullSyncs: number;
  failures: number;
  lastSync?: SyncResult;
  lastError?: string;
}

const RETRY_START_MS = 1000;
const DEFAULT_SYNC_PERIOD_MS = 30_000;
const ZONE_LABEL = 'topology.kubernetes.io/zone';

export class Proxier {
  readonly #opts: ProxierOptions;
  readonly #log: Logger;
  #syncer: ProxySyncer | undefined;
  #wake: (() => void) | undefined;
  #firstSync: Promise<void>;
  #resolveFirstSync!: () => void;
  readonly metrics: ProxierMetrics = { syncs: 0, fullSyncs: 0, failures: 0 };
  readonly health: ProxyHealth;
  /** What /metrics shows. */
  readonly syncMetrics = new ProxyMetrics();
  readonly #serviceHealth: ServiceHealthServers;
  #healthz: AddressInfo | undefined;
  #metricsAddress: AddressInfo | undefined;

  constructor(opts: ProxierOptions) {
    this.#opts = opts;
    this.#log = opts.logger;
    this.#firstSync = new Promise((resolve) => (this.#resolveFirstSync = resolve));
    // Upstream's health timeout: twice the sync period.
    this.health = new ProxyHealth(2 * (opts.syncPeriodMs ?? DEFAULT_SYNC_PERIOD_MS));
    this.#serviceHealth = new ServiceHealthServers({ addresses: opts.healthCheckAddresses ?? ['0.0.0.0'], health: this.health, logger: opts.logger });
  }

  /** Where /healthz is served, once start() has opened it. */
  get healthzAddress(): AddressInfo | undefined {
    return this.#healthz;
  }

  /** Where /metrics is served, once start() has opened it. */
  get metricsAddress(): AddressInfo | undefined {
    return this.#metricsAddress;
  }

  /** The health-check ports open now, by Service ("namespace/name"). */
  get healthCheckPorts(): Map<string, number> {
    return this.#serviceHealth.ports;
  }

  /** Resolves once the rules for every Service known at start are in place. */
  waitForFirstSync(signal?: AbortSignal): Promise<void> {
    if (!signal) return this.#firstSync;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      void this.#firstSync.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** Runs until `signal` aborts. The rules stay in place afterwards (cleanupProxyRules removes them). */
  async start(signal: AbortSignal): Promise<void> {
    const syncer = await this.#prepare();
    this.#syncer = syncer;
    const factory = new InformerFactory(this.#opts.client, (gvr, err) => this.#log.debug('informer error', { resource: gvr.resource, error: err }));
    const services = factory.informer(SERVICES);
    const slices = factory.informer(ENDPOINT_SLICES);
    const kick = () => {
      this.health.queuedUpdate();
      this.#wake?.();
    };
    const serviceChanged = () => (this.syncMetrics.serviceChanged(), kick());
    const endpointsChanged = () => (this.syncMetrics.endpointsChanged(), kick());
    services.addEventHandler({
      onAdd: (s) => (syncer.updateService(s as Service), serviceChanged()),
      onUpdate: (_old, s) => (syncer.updateService(s as Service), serviceChanged()),
      onDelete: (s) => (syncer.deleteService(s as Service), serviceChanged()),
    });
    slices.addEventHandler({
      onAdd: (s) => (syncer.updateEndpointSlice(s as unknown as EndpointSlice), endpointsChanged()),
      onUpdate: (_old, s) => (syncer.updateEndpointSlice(s as unknown as EndpointSlice), endpointsChanged()),
      onDelete: (s) => (syncer.deleteEndpointSlice(s as unknown as EndpointSlice), endpointsChanged()),
    });
    // This node's own object: /healthz turns 503 once it is being deleted (upstream's NodeEligibleHandler), and its
    // zone decides which endpoints zone-hinted Services use (upstream's NodeTopologyConfig).
    const nodes = factory.informer(NODES, { fieldSelector: `metadata.name=${this.#opts.nodeName}` });
    const nodeChanged = (node: Node | undefined) => {
      this.health.syncNode(node);
      syncer.setNodeZone(node?.metadata?.labels?.[ZONE_LABEL] ?? '');
      this.#wake?.();
    };
    nodes.addEventHandler({
      onAdd: (n) => nodeChanged(n as Node),
      onUpdate: (_old, n) => nodeChanged(n as Node),
      onDelete: () => nodeChanged(undefined),
    });
    factory.start(signal);
    const healthz = await this.#serve('the proxy health checks (/healthz, /livez)', this.#opts.healthzBindAddress, (a) => serveProxyHealth(this.health, a));
    this.#healthz = healthz?.address;
    const metricsServer = await this.#serve('the proxy metrics (/metrics, /proxyMode)', this.#opts.metricsBindAddress, (a) => serveProxyMetrics(this.syncMetrics, this.#opts.mode ?? 'iptables', a));
    this.#metricsAddress = metricsServer?.address;
    try {
      await factory.waitForSync(signal);
      await this.#loop(syncer, signal);
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      await healthz?.close();
      await metricsServer?.close();
      await this.#serviceHealth.close();
      await factory.stopped();
      if (this.#opts.mode === 'nftables') this.#opts.nftables?.close?.();
    }
  }

  /** Opens one of the proxy's HTTP servers when given an address; a taken port is logged, not fatal (as upstream). */
  async #serve<T>(what: string, address: string | undefined, serve: (address: string) => Promise<T>): Promise<T | undefined> {
    if (!address) return undefined;
    try {
      return await serve(address);
    } catch (err) {
      this.#log.warn(`cannot serve ${what}`, { address, error: err });
      return undefined;
    }
  }

  /** Kernel settings upstream's NewProxier checks or sets, and the syncer configured accordingly. */
  async #prepare(): Promise<ProxySyncer> {
    const netns = this.#seam().netns;
    const sysctl = this.#opts.sysctl === undefined ? new ExecSysctl(netns) : this.#opts.sysctl;
    let localhostNodePorts = this.#opts.localhostNodePorts ?? true;
    let conntrackTCPLiberal = false;
    if (sysctl) {
      try {
        ({ localhostNodePorts, conntrackTCPLiberal } = await this.#checkKernel(sysctl, localhostNodePorts));
      } catch (err) {
        if (!(err instanceof CommandNotFoundError)) throw err;
        this.#log.warn('sysctl is not installed: kernel settings left as they are', { error: err.message });
      }
    }
    const conntrack = this.#opts.conntrack === undefined ? new ExecConntrack(netns) : this.#opts.conntrack;
    if (this.#opts.mode === 'nftables') {
      return new NftSyncer({
        nftables: this.#opts.nftables!,
        nodeName: this.#opts.nodeName,
        nodeIPs: this.#opts.nodeIPs,
        clusterCIDR: this.#opts.clusterCIDR,
        serviceCIDRs: this.#opts.serviceCIDRs ?? [],
        logger: this.#log,
        conntrack,
        masqueradeAll: this.#opts.masqueradeAll ?? false,
        localhostNodePorts,
      });
    }
    return new RuleSyncer({
      iptables: this.#opts.iptables!,
      nodeName: this.#opts.nodeName,
      nodeIPs: this.#opts.nodeIPs,
      clusterCIDR: this.#opts.clusterCIDR,
      logger: this.#log,
      conntrack,
      masqueradeAll: this.#opts.masqueradeAll ?? false,
      localhostNodePorts,
      conntrackTCPLiberal,
      maxChainsPerTransaction: this.#opts.maxChainsPerTransaction ?? 1000,
    });
  }

  /** upstream's NewProxier checks: route_localnet for NodePorts on 127.0.0.1, bridge netfilter, liberal TCP tracking. */
  async #checkKernel(sysctl: Sysctl, wantLocalhostNodePorts: boolean): Promise<{ localhostNodePorts: boolean; conntrackTCPLiberal: boolean }> {
    let localhostNodePorts = wantLocalhostNodePorts;
    if (localhostNodePorts) {
      try {
        await sysctl.set('net.ipv4.conf.all.route_localnet', 1);
        this.#log.info('set net.ipv4.conf.all.route_localnet=1 so NodePorts answer on 127.0.0.1');
      } catch (err) {
        if (err instanceof CommandNotFoundError) throw err;
        this.#log.warn('cannot set route_localnet: NodePorts will not answer on 127.0.0.1', { error: err });
        localhostNodePorts = false;
      }
    }
    if ((await sysctl.get('net.bridge.bridge-nf-call-iptables')) !== 1) {
      this.#log.info('Missing br-netfilter module or unset sysctl br-nf-call-iptables, proxy may not work as intended');
    }
    const conntrackTCPLiberal = ((await sysctl.get('net.netfilter.nf_conntrack_tcp_be_liberal')) ?? 0) !== 0;
    return { localhostNodePorts, conntrackTCPLiberal };
  }

  /** The seam of the chosen backend (which also names the network namespace). */
  #seam(): Iptables | Nftables {
    const seam = this.#opts.mode === 'nftables' ? this.#opts.nftables : this.#opts.iptables;
    if (!seam) throw new TypeError(`Proxier in ${this.#opts.mode ?? 'iptables'} mode needs the ${this.#opts.mode ?? 'iptables'} option`);
    return seam;
  }

  async #loop(syncer: ProxySyncer, signal: AbortSignal): Promise<void> {
    const minPeriod = this.#opts.minSyncPeriodMs ?? 100;
    const period = this.#opts.syncPeriodMs ?? DEFAULT_SYNC_PERIOD_MS;
    const fullPeriod = this.#opts.fullSyncPeriodMs ?? 3_600_000;
    let lastStart = -Infinity;
    let lastFull = performance.now();
    let nextPeriodic = performance.now() + period;
    let retryAt = 0;
    let retryDelay = RETRY_START_MS;
    while (!signal.aborted) {
      const now = performance.now();
      const periodic = now >= nextPeriodic;
      if (!syncer.pending && !periodic) {
        await this.#sleep(nextPeriodic - now, signal);
        continue;
      }
      const earliest = Math.max(lastStart + minPeriod, retryAt);
      if (now < earliest) {
        await this.#sleep(earliest - now, signal, false);
        continue;
      }
      if (periodic) {
        nextPeriodic = now + period;
        if (now - lastFull >= fullPeriod || !(await this.#canaryPresent())) syncer.requestFullSync();
      }
      lastStart = performance.now();
      try {
        const result = await syncer.sync();
        this.metrics.syncs++;
        if (result.full) {
          this.metrics.fullSyncs++;
          lastFull = performance.now();
        }
        this.metrics.lastSync = result;
        retryAt = 0;
        retryDelay = RETRY_START_MS;
        this.health.updated();
        this.syncMetrics.synced(result.full, result.totalMs);
        await this.#serviceHealth.sync(syncer.healthChecks());
        if (this.metrics.syncs === 1) this.#log.info('proxy rules in place', { servicePorts: result.servicePorts, endpoints: result.endpoints, ms: Math.round(result.totalMs) });
        else this.#log.debug('synced proxy rules', { ...result });
        this.#resolveFirstSync();
      } catch (err) {
        if (signal.aborted) return;
        this.metrics.failures++;
        this.syncMetrics.syncFailed();
        this.metrics.lastError = err instanceof Error ? err.message : String(err);
        this.#log.error('proxy rule sync failed; retrying with a full sync', { error: err, retryInMs: retryDelay });
        retryAt = performance.now() + retryDelay;
        retryDelay = Math.min(retryDelay * 2, period);
      }
    }
  }

  async #canaryPresent(): Promise<boolean> {
    try {
      if (this.#opts.mode === 'nftables') return await this.#opts.nftables!.chainExists(BASE_CHAIN_NAMES.at(-1)!);
      const ipt = this.#opts.iptables!;
      return (await ipt.chainExists('mangle', KUBE_PROXY_CANARY)) && (await ipt.chainExists('nat', KUBE_PROXY_CANARY));
    } catch (err) {
      this.#log.warn('cannot check the canary chains', { error: err });
      return true;
    }
  }

  /** Sleeps up to `ms`, waking early on a change (when `wakeOnChange`) or abort. */
  #sleep(ms: number, signal: AbortSignal, wakeOnChange = true): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal.addEventListener('abort', done, { once: true });
      if (wakeOnChange) this.#wake = done;
    });
  }
}
