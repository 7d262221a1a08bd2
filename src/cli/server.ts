// `skiff server`: certificates, the API server, admin.conf; runs until SIGTERM or SIGINT.
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeKubeconfig } from '../adm/kubeconfig.ts';
import { ensurePKI } from '../adm/pki.ts';
import { startApiServer } from '../apiserver/server.ts';
import { Client } from '../client/client.ts';
import { httpsTransport } from '../client/transport.ts';
import { NamespaceController } from '../controllers/namespace.ts';
import { RootCAPublisher } from '../controllers/rootca.ts';
import { ServiceAccountController } from '../controllers/serviceaccount.ts';
import { createLogger } from '../log.ts';
import type { CliIO } from './command.ts';
import { localServerURL, servingHosts, type ServerFlags } from './server-flags.ts';

/** Repeats of the stopping signal within this time are duplicates, not a request to exit at once. */
const REPEAT_SIGNAL_GRACE_MS = 1000;

/** The reason passed to abort() when a signal asks the server to stop. */
export class ShutdownRequested extends Error {
  override name = 'ShutdownRequested';
  constructor(readonly signal: NodeJS.Signals) {
    super(`received ${signal}`);
  }
}

function portOf(url: string, fallback: number): number {
  try {
    const port = new URL(url).port;
    return port ? Number(port) : fallback;
  } catch {
    return fallback;
  }
}

export async function runServer(flags: ServerFlags, io: CliIO): Promise<number> {
  const log = createLogger('skiff', { format: flags.logFormat });
  const controller = new AbortController();
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      // A signal sent to both the process and its group arrives twice at once; only a later one means "hurry".
      if (Date.now() - firstSignalAt < REPEAT_SIGNAL_GRACE_MS) return;
      log.warn('second signal, exiting without waiting for shutdown', { signal });
      process.exit(1);
    }
    firstSignalAt = Date.now();
    log.info('shutting down', { signal });
    controller.abort(new ShutdownRequested(signal));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await mkdir(flags.dataDir, { recursive: true, mode: 0o700 });
    if (flags.datastoreEndpoint.startsWith('sqlite://')) await mkdir(join(flags.dataDir, 'db'), { recursive: true, mode: 0o700 });
    const pki = await ensurePKI(flags.dataDir, { hosts: servingHosts(flags, hostname()) });
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
        logger: createLogger('apiserver', { format: flags.logFormat }),
        compaction: flags.compaction,
      },
      controller.signal,
    );
    // Written once listening, so its port is the real one even with --secure-port 0.
    const kubeconfigPath = join(flags.dataDir, 'admin.conf');
    const url = localServerURL(flags.bindAddress, portOf(server.url, flags.securePort));
    await writeKubeconfig(kubeconfigPath, {
      server: url,
      caPem: pki.caCertPem,
      clientCertPem: pki.adminCertPem,
      clientKeyPem: pki.adminKeyPem,
    });
    io.stdout(`Skiff API server is running at ${url}; kubeconfig: ${kubeconfigPath}\n`);
    // Controllers talk to the API like any client (over loopback with the admin identity, for now).
    const transport = httpsTransport({ server: url, ca: pki.caCertPem, cert: pki.adminCertPem, key: pki.adminKeyPem });
    const client = new Client(transport);
    const logger = (name: string) => createLogger(name, { format: flags.logFormat });
    const controllers = Promise.all([
      new NamespaceController(client, logger('namespace-controller')).start(controller.signal),
      new ServiceAccountController(client, logger('serviceaccount-controller')).start(controller.signal),
      new RootCAPublisher(client, pki.caCertPem, logger('root-ca-cert-publisher')).start(controller.signal),
    ]);
    await server.closed;
    await controllers.catch((err: unknown) => log.error('controllers failed', { error: err }));
    await transport.close();
    log.info('stopped');
    return 0;
  } catch (err) {
    if (controller.signal.aborted && err === controller.signal.reason) return 0;
    log.error('server failed', { error: err });
    return 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
