// This machine as a real node: Skiff's own containerd (or a given CRI socket), the images a sandbox and the quick
// start need, and the node agent — shared by `skiff up --runtime cri` and `skiff agent`.
import { hostname } from 'node:os';
import { signServingCertificate, type PKI } from '../adm/pki.ts';
import type { Client } from '../client/client.ts';
import { NodeAgent } from '../kubelet/agent.ts';
import { DEFAULT_SANDBOX_IMAGE } from '../kubelet/containerd-config.ts';
import { importImageArchive, pauseImageArchive } from '../kubelet/containerd-images.ts';
import { ContainerdSupervisor } from '../kubelet/containerd.ts';
import { hostNodeInfo, type NodeConfig } from '../kubelet/node.ts';
import { CriRuntime } from '../kubelet/runtime-cri.ts';
import type { Logger } from '../log.ts';
import { ensureBuiltinImages } from '../registry/ensure.ts';
import { removeMirrorHosts, writeMirrorHosts } from '../registry/hosts.ts';
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
  logger(name: string): Logger;
}

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
async function prepareImages(supervisor: ContainerdSupervisor, runtime: CriRuntime, opts: CriNodeOptions, signal: AbortSignal): Promise<ContainerdImageSource> {
  const log = opts.logger('kubelet');
  if (!(await runtime.imageStatus({ image: DEFAULT_SANDBOX_IMAGE }, signal))) {
    await importImageArchive(supervisor.paths.socket, pauseImageArchive(DEFAULT_SANDBOX_IMAGE), signal);
    log.info('sandbox image built from busybox-static', { image: DEFAULT_SANDBOX_IMAGE });
  }
  const t0 = Date.now();
  try {
    const ensured = await ensureBuiltinImages({ dataDir: opts.dataDir, endpoint: supervisor.paths.socket, signal });
    const imported = ensured.filter((e) => e.action === 'imported').map((e) => e.name);
    if (imported.length) log.info('images prepared', { imported, built: ensured.filter((e) => e.built).map((e) => e.name), ms: Date.now() - t0 });
  } catch (err) {
    if (signal.aborted) throw err;
    log.warn('the built-in images could not be prepared; pods using them will not start until they are (skiff image build)', { error: err });
  }
  const source = new ContainerdImageSource({ endpoint: supervisor.endpoint, root: supervisor.paths.root });
  const mirror = await startRegistryMirror({ source, logger: opts.logger('registry-mirror') }, signal);
  writeMirrorHosts(supervisor.paths.registryConfigDir, mirror.url);
  return source;
}

export async function startCriNode(opts: CriNodeOptions, signal: AbortSignal): Promise<CriNode> {
  let supervisor: ContainerdSupervisor | undefined;
  let endpoint = opts.containerRuntimeEndpoint;
  if (!endpoint) {
    const containerdLog = opts.logger('containerd');
    supervisor = new ContainerdSupervisor({ dataDir: opts.dataDir, log: (message) => containerdLog.info(message) });
    await supervisor.start(signal);
    endpoint = supervisor.endpoint;
  }
  const runtime = new CriRuntime({ endpoint });
  const version = await runtime.version(signal);
  const mirrorSource = supervisor ? await prepareImages(supervisor, runtime, opts, signal) : undefined;
  const node: NodeConfig = { ...opts.node, nodeInfo: hostNodeInfo(`${version.runtimeName}://${version.runtimeVersion.replace(/^v/, '')}`) };
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
    cniConfDir: supervisor ? supervisor.paths.cniConfDir : '/etc/cni/net.d',
    ...(opts.bridge ? { bridge: opts.bridge } : {}),
    clusterDNS: opts.clusterDNS,
    clusterDomain: opts.clusterDomain,
    server: { host: '0.0.0.0', port: opts.kubeletPort, certPem: serving.certPem, keyPem: serving.keyPem, clientCAPem: opts.clientCAPem },
    logger: opts.logger,
    ...(opts.leaseDurationSeconds !== undefined ? { leaseDurationSeconds: opts.leaseDurationSeconds } : {}),
  });
  const done = (async () => {
    try {
      await agent.start(signal);
    } finally {
      // A mirror that no longer runs would turn every pull into "connection refused".
      if (supervisor) removeMirrorHosts(supervisor.paths.registryConfigDir);
      mirrorSource?.close();
      await runtime.close();
      await supervisor?.stopped();
    }
  })();
  return { agent, runtime, done };
}
