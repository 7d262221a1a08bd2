// What makes Services work on a node, beside the node agent: the Services proxy (kube-proxy's iptables mode) and the
// node's cluster DNS server, published as this node's endpoint of kube-dns.
import { setTimeout as sleep } from 'node:timers/promises';
import { KUBE_DNS_SERVICE } from '../adm/addons.ts';
import type { Client } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import { SERVICES } from '../client/resources.ts';
import type { HttpsTransportOptions } from '../client/transport.ts';
import { ClusterDNS, DnsListenError } from '../dns/index.ts';
import type { Logger } from '../log.ts';
import { hostProxier, runProxierOnWorker, type HostProxySettings, type ProxyMode } from '../proxy/index.ts';
import { publishDNSEndpoint, withdrawDNSEndpoint } from './dns-endpoint.ts';

export interface NodeServicesOptions {
  client: Client;
  nodeName: string;
  /** The node's own addresses: DNS listens on the first; NodePorts answer on all local ones anyway. */
  nodeIPs: string[];
  /** The pod network, when known: traffic from outside it to a ClusterIP is masqueraded (kube-proxy --cluster-cidr). */
  clusterCIDR?: string;
  clusterDomain: string;
  /** The cluster DNS addresses pods are given (never forwarded to, which would loop). */
  clusterDNS: readonly string[];
  proxy: boolean;
  /** kube-proxy's --proxy-mode: iptables (the default) or nftables. */
  proxyMode?: ProxyMode;
  /** The Service ranges (nftables mode drops traffic to unallocated ClusterIPs in them, as upstream). */
  serviceCIDRs?: readonly string[];
  /**
   * Run the proxy on a worker thread of its own, connecting to the API server with these credentials (host-proxier.ts
   * says why `skiff up` does). Default: in this thread, through `client`.
   */
  proxyConnection?: HttpsTransportOptions;
  dns: boolean;
  /** The DNS port to try first (53); another is picked when it is taken. */
  dnsPort?: number;
  logger(name: string): Logger;
}

async function kubeDNSExists(client: Client, signal: AbortSignal): Promise<boolean> {
  try {
    await client.get(SERVICES, KUBE_DNS_SERVICE.namespace, KUBE_DNS_SERVICE.name, { signal });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Retries publishing (the API server may be restarting) with backoff up to 10 s, until done or stopped. */
async function publishUntilDone(publish: () => Promise<void>, log: Logger, signal: AbortSignal): Promise<void> {
  for (let delay = 200; ; delay = Math.min(delay * 2, 10_000)) {
    try {
      return await publish();
    } catch (err) {
      if (signal.aborted) throw err;
      log.warn('publishing this node as a kube-dns endpoint failed; retrying', { error: err, retryInMs: delay });
      await sleep(delay, undefined, { signal });
    }
  }
}

/** Starts the proxy and DNS; resolves once both are serving. `done` settles after `signal` aborts and both stopped. */
export async function startNodeServices(opts: NodeServicesOptions, signal: AbortSignal): Promise<{ done: Promise<void> }> {
  const runs: Array<Promise<void>> = [];
  if (opts.proxy) {
    const settings: HostProxySettings = { nodeName: opts.nodeName, nodeIPs: opts.nodeIPs, clusterCIDR: opts.clusterCIDR, mode: opts.proxyMode, serviceCIDRs: opts.serviceCIDRs };
    const proxyLog = opts.logger('proxy');
    const run = opts.proxyConnection ? runProxierOnWorker(settings, opts.proxyConnection, proxyLog, signal) : hostProxier(settings, opts.client, proxyLog).start(signal);
    runs.push(run.catch((err: unknown) => proxyLog.error('the Services proxy stopped', { error: err })));
  }
  const log = opts.logger('dns');
  const address = opts.nodeIPs[0];
  if (opts.dns && address && (await kubeDNSExists(opts.client, signal))) {
    // Names outside the cluster go to the host's resolvers (/etc/resolv.conf), never back to a cluster address.
    const dnsOptions = { client: opts.client, clusterDomain: opts.clusterDomain, clusterDNSAddresses: [...opts.clusterDNS], logger: log };
    let server = new ClusterDNS({ ...dnsOptions, listen: { address, port: opts.dnsPort ?? 53 } });
    let listening: { address: string; port: number };
    try {
      listening = await server.start(signal);
    } catch (err) {
      if (!(err instanceof DnsListenError) || (err.code !== 'EADDRINUSE' && err.code !== 'EACCES')) throw err;
      log.warn(`port ${err.port} on ${address} is taken; DNS listens on another and kube-dns points there`, { error: err.code });
      server = new ClusterDNS({ ...dnsOptions, listen: { address, port: 0 } });
      listening = await server.start(signal);
    }
    await server.waitForSync(signal);
    await publishUntilDone(() => publishDNSEndpoint(opts.client, opts.nodeName, listening.address, listening.port, signal), log, signal);
    log.info('cluster DNS serving', { address: listening.address, port: listening.port, upstreams: server.upstreams });
    runs.push(
      server.stopped().then(() => withdrawDNSEndpoint(opts.client, opts.nodeName).catch((err: unknown) => log.debug('kube-dns endpoint not withdrawn', { error: err }))),
    );
  } else if (opts.dns) {
    log.info('no kube-dns Service in kube-system: this node serves no cluster DNS');
  }
  return { done: Promise.all(runs).then(() => undefined) };
}
