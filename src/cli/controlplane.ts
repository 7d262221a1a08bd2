// The control plane in one process: certificates, the API server, admin.conf, and the controller manager — shared by
// `skiff server` and `skiff up`. Components other than the API server talk to it through the client, as separate
// processes would.
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ensureKubeDNSService } from '../adm/addons.ts';
import { writeKubeconfig } from '../adm/kubeconfig.ts';
import { ensurePKI, signClientCertificate, type PKI } from '../adm/pki.ts';
import { startApiServer } from '../apiserver/server.ts';
import { Client } from '../client/client.ts';
import { httpsTransport, type Transport } from '../client/transport.ts';
import type { ControllerConfig, ControllerFactory } from '../controllers/controller.ts';
import { controllerFactories } from '../controllers/index.ts';
import { runControllerManager } from '../controllers/manager.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { createLogger, type Logger } from '../log.ts';
import { localServerURL, servingHosts, tenthServiceIP, type ServerFlags } from './server-flags.ts';

export interface ControlPlane {
  /** The URL this machine's clients use (loopback when listening everywhere). */
  url: string;
  kubeconfigPath: string;
  pki: PKI;
  /** An admin client over loopback HTTPS, for components started beside the control plane. */
  client: Client;
  transport: Transport;
  logger(name: string): Logger;
  /** Settles once the API server has closed (after `signal` aborts) and the controllers have stopped. */
  closed: Promise<void>;
}

function portOf(url: string, fallback: number): number {
  try {
    const port = new URL(url).port;
    return port ? Number(port) : fallback;
  } catch {
    return fallback;
  }
}

export interface ControlPlaneOptions {
  /** Which controllers to run; default every one in controllers/index.ts. */
  controllers?: Record<string, ControllerFactory>;
  /** Run the scheduler beside the controllers, on their shared informers; default: when `controllers` is not given. */
  scheduler?: boolean;
  /** Controller settings beyond what the flags give (e.g. shorter node lifecycle periods). */
  controllerConfig?: Pick<ControllerConfig, 'nodeLifecycle'>;
  /** The kube-dns Service's address (default: the tenth of the service range); null, or --disable dns: none. */
  clusterDNS?: string | null;
}

/** Every controller, less the packaged ones --disable turns off. */
function enabledControllers(flags: ServerFlags): Record<string, ControllerFactory> {
  return Object.fromEntries(Object.entries(controllerFactories).filter(([name]) => !(name === 'servicelb' && flags.disable.has('servicelb'))));
}

export async function startControlPlane(flags: ServerFlags, signal: AbortSignal, opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const logger = (name: string) => createLogger(name, { format: flags.logFormat });
  await mkdir(flags.dataDir, { recursive: true, mode: 0o700 });
  if (flags.datastoreEndpoint.startsWith('sqlite://')) await mkdir(join(flags.dataDir, 'db'), { recursive: true, mode: 0o700 });
  const pki = await ensurePKI(flags.dataDir, { hosts: servingHosts(flags, hostname()) });
  // kubeadm's apiserver-kubelet-client: how the API server authenticates to node agents (logs, exec, port-forward).
  const kubeletClient = await signClientCertificate(pki, { commonName: 'kube-apiserver-kubelet-client', organizations: ['kubeadm:cluster-admins'] });
  const server = await startApiServer(
    {
      dataDir: flags.dataDir,
      securePort: flags.securePort,
      bindAddress: flags.bindAddress,
      ...(flags.advertiseAddress ? { advertiseAddress: flags.advertiseAddress } : {}),
      datastoreEndpoint: flags.datastoreEndpoint,
      serviceCIDR: flags.serviceCIDR,
      nodePortRange: flags.nodePortRange,
      tls: { caPem: pki.caCertPem, certPem: pki.serverCertPem, keyPem: pki.serverKeyPem },
      kubeletClient,
      serviceAccountKeys: { signingKeyPem: pki.saKeyPem, publicKeyPems: [pki.saPubPem] },
      logger: logger('apiserver'),
      compaction: flags.compaction,
    },
    signal,
  );
  // Written once listening, so its port is the real one even with --secure-port 0.
  const kubeconfigPath = join(flags.dataDir, 'admin.conf');
  const url = localServerURL(flags.bindAddress, portOf(server.url, flags.securePort));
  await writeKubeconfig(kubeconfigPath, { server: url, caPem: pki.caCertPem, clientCertPem: pki.adminCertPem, clientKeyPem: pki.adminKeyPem });
  const transport = httpsTransport({ server: url, ca: pki.caCertPem, cert: pki.adminCertPem, key: pki.adminKeyPem });
  const client = new Client(transport);
  const clusterDNS = flags.disable.has('dns') ? null : opts.clusterDNS === undefined ? tenthServiceIP(flags.serviceCIDR) : opts.clusterDNS;
  if (clusterDNS) {
    await ensureKubeDNSService(client, clusterDNS).catch((err: unknown) => logger('skiff').warn('the kube-dns Service could not be created', { clusterIP: clusterDNS, error: err }));
  }
  const controllers = runControllerManager(
    {
      client,
      logger,
      config: { caPem: pki.caCertPem, clusterCIDR: flags.clusterCIDR, nodeCIDRMaskSize: flags.nodeCIDRMaskSize, serviceCIDR: flags.serviceCIDR, ...opts.controllerConfig },
      controllers: { ...(opts.controllers ?? enabledControllers(flags)), ...((opts.scheduler ?? !opts.controllers) ? { scheduler: (ctx) => new Scheduler(ctx) } : {}) },
    },
    signal,
  ).catch((err: unknown) => logger('controller-manager').error('controller manager failed', { error: err }));
  const closed = (async () => {
    await server.closed;
    await controllers;
    await transport.close();
  })();
  return { url, kubeconfigPath, pki, client, transport, logger, closed };
}
