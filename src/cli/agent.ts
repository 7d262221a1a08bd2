// `skiff agent`: this machine as a node of an existing Skiff cluster — Skiff's own containerd and the node agent —
// until SIGTERM or SIGINT. For now the agent reaches the API server with a kubeconfig (the join flow with bootstrap
// tokens comes with `skiff join`).
import { generateKeyPair } from 'node:crypto';
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import { createCertificate, derToPem, selfSigner } from '../adm/x509.ts';
import { Client } from '../client/client.ts';
import { KubeconfigError, loadKubeconfig } from '../client/kubeconfig.ts';
import { httpsTransport } from '../client/transport.ts';
import { hostCapacity, hostNodeInfo, type NodeConfig } from '../kubelet/node.ts';
import { createLogger } from '../log.ts';
import type { AgentFlags } from './agent-flags.ts';
import { UsageError, type CliIO } from './command.ts';
import { startCriNode } from './node-agent.ts';
import { runUntilSignalled } from './server.ts';

/** A self-signed serving certificate: without the cluster CA's key the agent cannot get one signed yet (the API server does not verify it by default, as upstream's). */
async function selfSignedServing(name: string, ips: string[]): Promise<{ certPem: string; keyPem: string }> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('ec', { namedCurve: 'prime256v1' });
  const subject = { commonName: `${name}@${Math.floor(Date.now() / 1000)}` };
  const now = Date.now();
  const der = createCertificate({
    subject,
    publicKey,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 86_400_000),
    isCA: false,
    keyUsage: ['digitalSignature', 'keyEncipherment'],
    extKeyUsage: ['serverAuth'],
    dnsNames: [name, 'localhost'],
    ipAddresses: ips,
    signer: selfSigner(subject, privateKey),
  });
  return { certPem: derToPem(der), keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

export async function runAgent(flags: AgentFlags, io: CliIO): Promise<number> {
  const log = createLogger('skiff', { format: flags.logFormat });
  const logger = (name: string) => createLogger(name, { format: flags.logFormat });
  let creds;
  try {
    creds = loadKubeconfig(flags.kubeconfig, flags.context);
  } catch (err) {
    if (err instanceof KubeconfigError) throw new UsageError(err.message);
    throw err;
  }
  if (!creds.certPem || !creds.keyPem || !creds.caPem) {
    throw new UsageError(`the kubeconfig ${flags.kubeconfig} must carry a client certificate and the cluster CA (tokens come with skiff join)`);
  }
  const transport = httpsTransport({ server: creds.server, ca: creds.caPem, cert: creds.certPem, key: creds.keyPem });
  const node: NodeConfig = {
    name: flags.nodeName,
    labels: { 'node.kubernetes.io/instance-type': 'skiff' },
    capacity: hostCapacity(flags.dataDir),
    addresses: [
      { type: 'InternalIP', address: flags.nodeIP },
      { type: 'Hostname', address: hostname() },
    ],
    nodeInfo: hostNodeInfo(''),
  };
  return runUntilSignalled(log, 'skiff agent', async (signal) => {
    try {
      const serving = await selfSignedServing(flags.nodeName, [flags.nodeIP, '127.0.0.1']);
      const started = await startCriNode(
        {
          client: new Client(transport),
          dataDir: flags.dataDir,
          ...(flags.containerRuntimeEndpoint ? { containerRuntimeEndpoint: flags.containerRuntimeEndpoint } : {}),
          node,
          serving,
          clientCAPem: creds.caPem!,
          kubeletPort: flags.kubeletPort,
          bridge: flags.cniBridge,
          clusterDNS: flags.clusterDNS,
          clusterDomain: flags.clusterDomain,
          logRotation: flags.logRotation,
          imageGC: flags.imageGC,
          logger,
          services: { proxy: flags.kubeProxy, proxyMode: flags.proxyMode, dns: true, ...(flags.clusterCIDR ? { clusterCIDR: flags.clusterCIDR } : {}) },
        },
        signal,
      );
      await started.agent.waitForRegistration(signal).then(
        () => io.stdout(`Node ${flags.nodeName} joined ${creds.server} (runtime cri).\n`),
        () => {},
      );
      await started.done;
    } finally {
      await transport.close();
    }
  });
}

