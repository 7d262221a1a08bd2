// This machine as a real node: Skiff's own containerd (or a given CRI socket), the images a sandbox and the quick
// start need, and the node agent — shared by `skiff up --runtime cri` and `skiff agent`.
import { hostname } from 'node:os';
import { signServingCertificate, type PKI } from '../adm/pki.ts';
import type { Client } from '../client/client.ts';
import type { HttpsTransportOptions } from '../client/transport.ts';
import { NodeAgent } from '../kubelet/agent.ts';
import { DEFAULT_SANDBOX_IMAGE } from '../kubelet/containerd-config.ts';
import { importImageArchive, pauseImageArchive } from '../kubelet/containerd-images.ts';
import { ContainerdSupervisor } from '../kubelet/containerd.ts';
import type { ImageGCPolicy } from '../kubelet/image-gc.ts';
import type { LogRotationPolicy } from '../kubelet/log-rotation.ts';
import { hostNodeInfo, type NodeConfig } from '../kubelet/node.ts';
import { CriRuntime } from '../kubelet/runtime-cri.ts';
import type { Logger } from '../log.ts';
import { ensureBuiltinImages } from '../registry/ensure.ts';
import { removeMirrorHosts, writeMirrorHosts } from '../registry/hosts.ts';
import type { ProxyMode } from '../proxy/index.ts';
import { startNodeServices } from './node-services.ts';
import { ContainerdImageSource } from '../registry/mirror-containerd.ts';
import { startRegistryMirror } from '../registry/mirror.ts';

export interface CriNodeOptions {
  client: Client;
  dataDir: string;
  /** An existing CRI socket; default: start Skiff's own containerd under the data dir. */
  containerRuntimeEndpoint?: string;
  node: NodeConfig;
  /** The agent's serving certificate, or the cluster CA (with its key) to sign one. */
  serving?: { certPem: string; keyPem: string };
  pki?: Pick<PKI, 'caCertPem' | 'caKeyPem'>;
  /** Only clients with certificates from this CA (the API server) may call the agent. */
  clientCAPem: string;
  kubeletPort: number;
  /** The bridge pods attach to (default cni0). */
  bridge?: string;
  clusterDNS: string[];
  clusterDomain: string;
  leaseDurationSeconds?: number;
  /** kubelet's --container-log-max-size and --container-log-max-files (default 10Mi and 5). */
  logRotation?: LogRotationPolicy;
  /** kubelet's image garbage collection thresholds (default 85% / 80%, 2m). */
  imageGC?: ImageGCPolicy;
  logger(name: string): Logger;
  /** The Services proxy and cluster DNS on this node (off: another kube-proxy or DNS serves it, or a test shares the host). */
  services?: { proxy: boolean; proxyMode?: ProxyMode; dns: boolean; clusterCIDR?: string; serviceCIDRs?: string[]; proxyConnection?: HttpsTransportOptions };
  /** Runs each start-up step (starting containerd, preparing images), e.g. to show progress; default: just runs it. */
  step?: StepRunner;
}

export type StepRunner = <T>(label: string, work: () => Promise<T>, summary?: (result: T) => string | undefined) => Promise<T>;

export interface CriNode {
  agent: NodeAgent;
  runtime: CriRuntime;
  /** Settles when the agent and containerd have stopped (after the signal aborted). */
  done: Promise<void>;
}

/**
 * Skiff's own containerd gets the sandbox image, the quick start's images (built offline from Debian packages, cached)
 * and the registry mirror that serves them, so imagePullPolicy Always works offline; anything else falls through to
 * the real registry, as upstream. A failed build is logged, not fatal: pods then say how to provide the image.
 */
async function prepareImages(supervisor: ContainerdSupervisor, runtime: CriRuntime, opts: Pick<CriNodeOptions, 'dataDir' | 'logger'>, signal: AbortSignal): Promise<{ source: ContainerdImageSource; summary: string }> {
  const log = opts.logger('kubelet');
  const done = { built: [] as string[], imported: [] as string[], found: [] as string[], failed: [] as string[] };
  if (!(await runtime.imageStatus({ image: DEFAULT_SANDBOX_IMAGE }, signal))) {
    await importImageArchive(supervisor.paths.socket, pauseImageArchive(DEFAULT_SANDBOX_IMAGE), signal);
    log.info('sandbox image built from busybox-static', { image: DEFAULT_SANDBOX_IMAGE });
    done.built.push('pause');
  } else done.found.push('pause');
  const t0 = Date.now();
  try {
    const ensured = await ensureBuiltinImages({ dataDir: opts.dataDir, endpoint: supervisor.paths.socket, signal });
    const imported = ensured.filter((e) => e.action === 'imported').map((e) => e.name);
    if (imported.length) log.info('images prepared', { imported, built: ensured.filter((e) => e.built).map((e) => e.name), ms: Date.now() - t0 });
    for (const e of ensured) (e.action === 'present' ? done.found : e.built ? done.built : done.imported).push(e.name);
  } catch (err) {
    if (signal.aborted) throw err;
    log.warn('the built-in images could not be prepared; pods using them will not start until they are (skiff image build)', { error: err });
    done.failed.push('busybox and nginx could not be prepared (see the log)');
  }
  const source = new ContainerdImageSource({ endpoint: supervisor.endpoint, root: supervisor.paths.root });
  const mirror = await startRegistryMirror({ source, logger: opts.logger('registry-mirror') }, signal);
  writeMirrorHosts(supervisor.paths.registryConfigDir, mirror.url);
  const summary = [
    done.built.length ? `built ${done.built.join(', ')}` : '',
    done.imported.length ? `imported ${done.imported.join(', ')} from the image cache` : '',
    done.found.length ? `found ${done.found.join(', ')}` : '',
    ...done.failed,
  ];
  return { source, summary: summary.filter(Boolean).join('; ') };
}

/** The part of a node's start that needs no API server: the container runtime, its images and registry mirror. */
export interface CriRuntimeStart {
  runtime: CriRuntime;
  /** runtimeName://version, for the Node's nodeInfo. */
  runtimeVersion: string;
  cniConfDir: string;
  /** Stops what was started; call once the start signal has aborted. */
  close(): Promise<void>;
}

/** Starts Skiff's own containerd (or connects to the given CRI socket) and prepares its images. */
export async function startCriRuntime(opts: Pick<CriNodeOptions, 'dataDir' | 'containerRuntimeEndpoint' | 'logger' | 'step'>, signal: AbortSignal): Promise<CriRuntimeStart> {
  const step: StepRunner = opts.step ?? ((_label, work) => work());
  const containerdLog = opts.logger('containerd');
  const own = opts.containerRuntimeEndpoint ? undefined : new ContainerdSupervisor({ dataDir: opts.dataDir, log: (message) => containerdLog.info(message) });
  if (own) await step('starting containerd', () => own.start(signal));
  const runtime = new CriRuntime({ endpoint: own?.endpoint ?? opts.containerRuntimeEndpoint! });
  const version = await runtime.version(signal);
  const mirrorSource = own ? (await step('preparing images', () => prepareImages(own, runtime, opts, signal), (r) => r.summary)).source : undefined;
  return {
    runtime,
    runtimeVersion: `${version.runtimeName}://${version.runtimeVersion.replace(/^v/, '')}`,
    cniConfDir: own ? own.paths.cniConfDir : '/etc/cni/net.d',
    async close() {
      // A mirror that no longer runs would turn every pull into "connection refused".
      if (own) removeMirrorHosts(own.paths.registryConfigDir);
      mirrorSource?.close();
      await runtime.close();
      await own?.stopped();
    },
  };
}

/** The proxy and DNS run beside the agent once its Node exists (kube-dns endpoints are owned by it); they never stop the node. */
async function startServicesOnceRegistered(agent: NodeAgent, node: NodeConfig, ips: string[], opts: CriNodeOptions, signal: AbortSignal): Promise<void> {
  const wanted = opts.services ?? { proxy: true, dns: true };
  if (!wanted.proxy && !wanted.dns) return;
  const log = opts.logger('skiff');
  try {
    await agent.waitForRegistration(signal);
    const started = await startNodeServices(
      {
        client: opts.client,
        nodeName: node.name,
        nodeIPs: ips,
        ...(wanted.clusterCIDR ? { clusterCIDR: wanted.clusterCIDR } : {}),
        ...(wanted.proxyMode ? { proxyMode: wanted.proxyMode } : {}),
        ...(wanted.serviceCIDRs ? { serviceCIDRs: wanted.serviceCIDRs } : {}),
        ...(wanted.proxyConnection ? { proxyConnection: wanted.proxyConnection } : {}),
        clusterDomain: opts.clusterDomain,
        clusterDNS: opts.clusterDNS,
        proxy: wanted.proxy,
        dns: wanted.dns,
        logger: opts.logger,
      },
      signal,
    );
    await started.done;
  } catch (err) {
    if (!signal.aborted) log.error('Services on this node (proxy, DNS) failed', { error: err });
  }
}

/** `started`: the runtime startCriRuntime already started (e.g. while the control plane was starting). */
export async function startCriNode(opts: CriNodeOptions, signal: AbortSignal, started?: CriRuntimeStart): Promise<CriNode> {
  const cri = started ?? (await startCriRuntime(opts, signal));
  const { runtime } = cri;
  const node: NodeConfig = { ...opts.node, nodeInfo: hostNodeInfo(cri.runtimeVersion) };
  const ips = node.addresses.filter((a) => a.type === 'InternalIP').map((a) => a.address);
  const serving =
    opts.serving ??
    (opts.pki ? await signServingCertificate(opts.pki, { commonName: `system:node:${node.name}`, organizations: ['system:nodes'], hosts: [...ips, node.name, hostname(), 'localhost', '127.0.0.1'] }) : undefined);
  if (!serving) throw new TypeError('startCriNode needs a serving certificate or the CA to sign one');
  const agent = new NodeAgent({
    client: opts.client,
    runtime,
    node,
    dataDir: opts.dataDir,
    cniConfDir: cri.cniConfDir,
    ...(opts.bridge ? { bridge: opts.bridge } : {}),
    clusterDNS: opts.clusterDNS,
    clusterDomain: opts.clusterDomain,
    server: { host: '0.0.0.0', port: opts.kubeletPort, certPem: serving.certPem, keyPem: serving.keyPem, clientCAPem: opts.clientCAPem },
    logger: opts.logger,
    ...(opts.leaseDurationSeconds !== undefined ? { leaseDurationSeconds: opts.leaseDurationSeconds } : {}),
    ...(opts.logRotation ? { logRotation: opts.logRotation } : {}),
    ...(opts.imageGC ? { imageGC: opts.imageGC } : {}),
  });
  const services = startServicesOnceRegistered(agent, node, ips, opts, signal);
  const done = (async () => {
    try {
      await agent.start(signal);
    } finally {
      await services;
      await cri.close();
    }
  })();
  return { agent, runtime, done };
}
