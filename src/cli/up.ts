// `skiff up`: the control plane, this machine as a node, and any number of simulated nodes, in one process, until
// SIGTERM or SIGINT. The nodes talk to the API server over their own connection, as a separate node agent would.
import { hostname } from 'node:os';
import { Client } from '../client/client.ts';
import { httpsTransport } from '../client/transport.ts';
import { DEFAULT_SIMULATED_CAPACITY, defaultNodeName, hostCapacity, hostNodeInfo, type NodeConfig } from '../kubelet/node.ts';
import { DEFAULT_STAGES } from '../kubelet/stages-default.ts';
import { compileStages, loadStagesFile, mergeStages, type Stage } from '../kubelet/stages.ts';
import { SimulatedNodes, simulatedNodeConfigs } from '../kubelet/simulated.ts';
import { createLogger } from '../log.ts';
import type { CliIO } from './command.ts';
import { startControlPlane } from './controlplane.ts';
import { startCriNode } from './node-agent.ts';
import { runUntilSignalled } from './server.ts';
import { heartbeatTimings, type UpFlags } from './up-flags.ts';
import { SKIFF_VERSION } from './version.ts';

export class NodeNameConflictError extends Error {
  override name = 'NodeNameConflictError';
}

/** This machine as a node: its own capacity and address, a control-plane node that takes workloads (like k3s's). */
export function localNodeConfig(flags: UpFlags): NodeConfig {
  const name = flags.nodeName ?? defaultNodeName();
  const { advertiseAddress, bindAddress } = flags.server;
  const ip = advertiseAddress ?? (bindAddress === '0.0.0.0' || bindAddress === '::' ? '127.0.0.1' : bindAddress);
  return {
    name,
    labels: { 'node-role.kubernetes.io/control-plane': 'true', 'node.kubernetes.io/instance-type': 'skiff' },
    capacity: hostCapacity(flags.server.dataDir),
    addresses: [
      { type: 'InternalIP', address: ip },
      { type: 'Hostname', address: hostname() },
    ],
    nodeInfo: hostNodeInfo(flags.runtime === 'cri' ? '' : `simulated://${SKIFF_VERSION}`),
  };
}

export function nodeConfigs(flags: UpFlags): NodeConfig[] {
  const local = localNodeConfig(flags);
  const simulated = simulatedNodeConfigs(flags.simulatedNodes, {
    capacity: { ...DEFAULT_SIMULATED_CAPACITY, ...flags.simulatedNodeCapacity },
    labels: flags.simulatedNodeLabels,
    runtimeVersion: SKIFF_VERSION,
  });
  if (simulated.some((n) => n.name === local.name)) throw new NodeNameConflictError(`the node name ${local.name} is taken by a simulated node; choose another with --node-name`);
  return [local, ...simulated];
}

async function stagesFor(flags: UpFlags): Promise<readonly Stage[]> {
  const stages = flags.simulatedStagesFile ? mergeStages(DEFAULT_STAGES, await loadStagesFile(flags.simulatedStagesFile)) : DEFAULT_STAGES;
  compileStages(stages);
  return stages;
}

export async function runUp(flags: UpFlags, io: CliIO): Promise<number> {
  const log = createLogger('skiff', { format: flags.server.logFormat });
  return runUntilSignalled(log, 'skiff up', async (signal) => {
    // Everything that can be wrong with the input is found before anything starts.
    const stages = await stagesFor(flags);
    const nodes = nodeConfigs(flags);
    const heartbeat = heartbeatTimings(flags, nodes.length);
    if (heartbeat.scaled) {
      log.info('many nodes: longer heartbeats than upstream defaults', {
        nodes: nodes.length,
        leaseDurationSeconds: heartbeat.leaseDurationSeconds,
        nodeMonitorGracePeriod: `${(heartbeat.gracePeriodMs ?? 0) / 1000}s`,
      });
    }
    const nodeLifecycle = {
      ...(heartbeat.gracePeriodMs !== undefined ? { monitorGracePeriodMs: heartbeat.gracePeriodMs } : {}),
      ...(flags.nodeMonitorPeriodMs !== undefined ? { monitorPeriodMs: flags.nodeMonitorPeriodMs } : {}),
    };
    // One stop for everything: a signal, or the nodes failing, shuts the control plane down too.
    const stop = new AbortController();
    const forward = () => stop.abort(signal.reason);
    if (signal.aborted) forward();
    else signal.addEventListener('abort', forward, { once: true });
    let failure: unknown;
    const plane = await startControlPlane(flags.server, stop.signal, { controllerConfig: { nodeLifecycle } });
    const transport = httpsTransport({ server: plane.url, ca: plane.pki.caCertPem, cert: plane.pki.adminCertPem, key: plane.pki.adminKeyPem });
    try {
      const client = new Client(transport);
      const [local, ...simulated] = nodes;
      const runs: Array<Promise<void>> = [];
      const registered: Array<Promise<void>> = [];
      const fail = (err: unknown) => {
        failure ??= err;
        stop.abort(err);
      };
      if (flags.runtime === 'cri') {
        const node = await startCriNode(
          {
            client,
            dataDir: flags.server.dataDir,
            ...(flags.containerRuntimeEndpoint ? { containerRuntimeEndpoint: flags.containerRuntimeEndpoint } : {}),
            node: local!,
            pki: plane.pki,
            clientCAPem: plane.pki.caCertPem,
            kubeletPort: flags.kubeletPort,
            bridge: flags.cniBridge,
            clusterDNS: flags.clusterDNS,
            clusterDomain: flags.clusterDomain,
            leaseDurationSeconds: heartbeat.leaseDurationSeconds,
            logger: plane.logger,
          },
          stop.signal,
        );
        runs.push(node.done.catch(fail));
        registered.push(node.agent.waitForRegistration(stop.signal));
      }
      const fleetNodes = flags.runtime === 'cri' ? simulated : nodes;
      if (fleetNodes.length) {
        const fleet = new SimulatedNodes({ client, logger: plane.logger('kubelet'), nodes: fleetNodes, stages, leaseDurationSeconds: heartbeat.leaseDurationSeconds });
        runs.push(fleet.start(stop.signal).catch(fail));
        registered.push(fleet.waitForRegistration(stop.signal));
      }
      try {
        await Promise.all(registered);
        const extra = simulated.length;
        io.stdout(
          `Skiff is up at ${plane.url}: node ${local!.name}${extra ? ` and ${extra} simulated node${extra === 1 ? '' : 's'}` : ''} (runtime ${flags.runtime}).\n` +
            (flags.runtimeNote ? `Note: ${flags.runtimeNote}.\n` : '') +
            `Kubeconfig: ${plane.kubeconfigPath}\n\n` +
            `Next:\n  export KUBECONFIG=${plane.kubeconfigPath}\n  kubectl get nodes\n  kubectl create deployment nginx --image=nginx --replicas=3\n`,
        );
      } catch (err) {
        if (!stop.signal.aborted) throw err;
      }
      await Promise.all(runs);
    } finally {
      stop.abort();
      await plane.closed;
      await transport.close();
      signal.removeEventListener('abort', forward);
    }
    if (failure) throw failure;
  });
}
