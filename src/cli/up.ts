// `skiff up`: the control plane, this machine as a node, and any number of simulated nodes, in one process, until
// SIGTERM or SIGINT. The nodes talk to the API server over their own connection, as a separate node agent would.
import { hostname } from 'node:os';
import { Client } from '../client/client.ts';
import { httpsTransport } from '../client/transport.ts';
import type { NodeAgent } from '../kubelet/agent.ts';
import { DEFAULT_SIMULATED_CAPACITY, defaultNodeName, hostCapacity, hostNodeInfo, type NodeConfig } from '../kubelet/node.ts';
import { DEFAULT_STAGES } from '../kubelet/stages-default.ts';
import { compileStages, loadStagesFile, mergeStages, type Stage } from '../kubelet/stages.ts';
import { SimulatedNodes, simulatedNodeConfigs } from '../kubelet/simulated.ts';
import { createLogger, type Logger } from '../log.ts';
import { lastBuild } from '../registry/build.ts';
import { nginxRecipe } from '../registry/nginx.ts';
import type { CliIO } from './command.ts';
import type { ControlPlane, startControlPlane as StartControlPlane } from './controlplane.ts';
import { defaultAdminKubeconfig } from './kubectl.ts';
import { startCriNode, startCriRuntime, type CriRuntimeStart, type StepRunner } from './node-agent.ts';
import { checkPrerequisites, installPackages, NFTABLES_PROXY_PREREQUISITES, PackageInstallError } from './prerequisites.ts';
import { Progress } from './progress.ts';
import { heartbeatTimings, type UpFlags } from './up-flags.ts';
import { SKIFF_VERSION } from './version.ts';

/** How long `skiff up` waits for its node to report Ready before printing the banner anyway. */
const READY_WAIT_MS = 60_000;

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

export class NodeNotReadyError extends Error {
  override name = 'NodeNotReadyError';
}

/** What `skiff up` prints once the cluster is up: where the kubeconfig is, and the tutorial's commands. */
export function upBanner(o: {
  url: string;
  kubeconfigPath: string;
  nodeName: string;
  nodeIP: string;
  runtime: UpFlags['runtime'];
  simulatedNodes: number;
  runtimeNote?: string;
  seconds: number;
  /** The admin.conf `skiff kubectl` reads when KUBECONFIG is not set. */
  defaultKubeconfig: string;
}): string {
  const extra = o.simulatedNodes ? ` and ${o.simulatedNodes} simulated node${o.simulatedNodes === 1 ? '' : 's'}` : '';
  const own = o.kubeconfigPath === o.defaultKubeconfig;
  const lines = [
    `Skiff is up at ${o.url} after ${o.seconds.toFixed(1)} s: node ${o.nodeName}${extra} (runtime ${o.runtime}).`,
    ...(o.runtimeNote ? [`Note: ${o.runtimeNote}.`] : []),
    `Kubeconfig: ${o.kubeconfigPath}`,
    '',
    'Next:',
    // skiff kubectl reads the default data dir's admin.conf unless KUBECONFIG says otherwise.
    ...(own ? [] : [`  export KUBECONFIG=${o.kubeconfigPath}`]),
    '  skiff kubectl create deployment nginx --image=nginx',
    '  skiff kubectl expose deployment nginx --port=80 --type=NodePort',
    '  skiff kubectl get pod,svc',
    o.runtime === 'cri'
      ? `  curl http://${o.nodeIP}:<nodePort>/     # <nodePort>: the 3xxxx port in service/nginx's PORT(S), e.g. 80:31234/TCP`
      : '  (pods are simulated: they run no containers, so nothing answers on the NodePort)',
    ...(own ? ['', `Any other kubectl: export KUBECONFIG=${o.kubeconfigPath}`] : []),
    '',
  ];
  return lines.join('\n');
}

/** Installs what the real-container node lacks, and apt's package lists when the nginx image still has to be built. */
async function installPrerequisites(flags: UpFlags, progress: Progress): Promise<void> {
  const packages = flags.installPackages;
  const update = flags.aptListsMissing && (packages.length > 0 || !lastBuild(nginxRecipe, flags.server.dataDir));
  if (!packages.length && !update) return;
  if (!packages.length) {
    // Only the nginx image build needs the lists; without them it fails later with its own message, not fatally.
    await progress
      .step("updating apt's package lists (the nginx image is built from Debian's packages)", (s) => installPackages([], { update: true, onStatus: (t) => s.update(t) }))
      .catch((err: unknown) => progress.line(`  ${err instanceof Error ? err.message : String(err)}`));
    return;
  }
  await progress.step(`installing Debian packages: ${packages.join(' ')}`, (s) => installPackages(packages, { update, onStatus: (t) => s.update(t) }));
  const still = [...checkPrerequisites().missing, ...checkPrerequisites('/', NFTABLES_PROXY_PREREQUISITES).missing].filter((name) => packages.includes(name));
  if (still.length) throw new PackageInstallError(`apt-get installed ${packages.join(' ')}, but the files of ${still.join(', ')} are still missing`);
}

function whenReady(agent: NodeAgent, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new NodeNotReadyError(`not Ready after ${READY_WAIT_MS / 1000} s`)), READY_WAIT_MS);
    agent.waitForReady(signal).then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

export async function runUp(flags: UpFlags, io: CliIO): Promise<number> {
  const log = createLogger('skiff', { format: flags.server.logFormat });
  const progress = new Progress({ stream: process.stderr, tty: process.stderr.isTTY === true, interceptWrites: true });
  // One stop for everything: a signal, or the nodes failing, shuts the control plane and containerd down.
  const stop = new AbortController();
  try {
    // Everything that can be wrong with the input is found before anything starts.
    const stages = await stagesFor(flags);
    const nodes = nodeConfigs(flags);
    // An install failure is the command's error.
    await installPrerequisites(flags, progress);
    const step: StepRunner = (label, work, summary) => progress.step(label, () => work(), summary);
    const logger = (name: string) => createLogger(name, { format: flags.server.logFormat });
    // The container runtime needs no API server: containerd starts and its images are checked while the rest of
    // Skiff (API server, controllers, storage drivers: most of its code) loads and the control plane starts.
    const criStart =
      flags.runtime === 'cri'
        ? startCriRuntime({ dataDir: flags.server.dataDir, ...(flags.containerRuntimeEndpoint ? { containerRuntimeEndpoint: flags.containerRuntimeEndpoint } : {}), logger, step }, stop.signal)
        : undefined;
    criStart?.catch(() => {});
    const loaded = await Promise.all([import('./server.ts'), import('./controlplane.ts')]).catch(async (err: unknown) => {
      stop.abort(err);
      await criStart?.then((cri) => cri.close(), () => {});
      throw err;
    });
    const [{ runUntilSignalled }, { startControlPlane }] = loaded;
    return await runUntilSignalled(log, 'skiff up', (signal) => upUntil({ flags, io, progress, log, stages, nodes, stop, step, criStart, startControlPlane }, signal));
  } finally {
    progress.close();
  }
}

interface UpStart {
  flags: UpFlags;
  io: CliIO;
  progress: Progress;
  log: Logger;
  stages: readonly Stage[];
  nodes: NodeConfig[];
  stop: AbortController;
  step: StepRunner;
  /** Skiff's containerd starting (runtime cri). */
  criStart: Promise<CriRuntimeStart> | undefined;
  startControlPlane: typeof StartControlPlane;
}

async function upUntil(start: UpStart, signal: AbortSignal): Promise<void> {
  const { flags, io, progress, log, stages, nodes, stop, step, criStart, startControlPlane } = start;
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
  const forward = () => stop.abort(signal.reason);
  if (signal.aborted) forward();
  else signal.addEventListener('abort', forward, { once: true });
  let criHandedOver = false;
  let failure: unknown;
  let plane: ControlPlane | undefined;
  let transport: ReturnType<typeof httpsTransport> | undefined;
  try {
    plane = await progress.step('starting the control plane', () => startControlPlane(flags.server, stop.signal, { controllerConfig: { nodeLifecycle }, clusterDNS: flags.clusterDNS[0] ?? null }), (p) => p.url);
    const { pki } = plane;
    const connection = { server: plane.url, ca: pki.caCertPem, cert: pki.adminCertPem, key: pki.adminKeyPem };
    transport = httpsTransport(connection);
    const client = new Client(transport);
    const [local, ...simulated] = nodes;
    const runs: Array<Promise<void>> = [];
    const ready: Array<Promise<void>> = [];
    const fail = (err: unknown) => {
      failure ??= err;
      stop.abort(err);
    };
    if (criStart) {
      const cri = await criStart;
      criHandedOver = true;
      const node = await startCriNode(
        {
          client,
          dataDir: flags.server.dataDir,
          ...(flags.containerRuntimeEndpoint ? { containerRuntimeEndpoint: flags.containerRuntimeEndpoint } : {}),
          node: local!,
          pki,
          clientCAPem: pki.caCertPem,
          kubeletPort: flags.kubeletPort,
          bridge: flags.cniBridge,
          clusterDNS: flags.clusterDNS,
          clusterDomain: flags.clusterDomain,
          leaseDurationSeconds: heartbeat.leaseDurationSeconds,
          logRotation: flags.logRotation,
          imageGC: flags.imageGC,
          logger: plane.logger,
          step,
          services: {
            proxy: flags.kubeProxy,
            proxyMode: flags.proxyMode,
            dns: !flags.server.disable.has('dns'),
            clusterCIDR: flags.server.clusterCIDR,
            serviceCIDRs: flags.server.serviceCIDR.split(','),
            // On a thread of its own: this process's heap is tuned for the API server (src/proxy/host-proxier.ts).
            proxyConnection: connection,
          },
        },
        stop.signal,
        cri,
      );
      runs.push(node.done.catch(fail));
      ready.push(
        (async () => {
          await progress.step(`registering node ${local!.name}`, () => node.agent.waitForRegistration(stop.signal));
          await progress.step(`waiting for node ${local!.name} to be Ready`, () => whenReady(node.agent, stop.signal)).catch((err: unknown) => {
            if (!(err instanceof NodeNotReadyError)) throw err;
            progress.line(`  node ${local!.name} is ${err.message}: see the log for why; carrying on`);
          });
        })(),
      );
    }
    const fleetNodes = flags.runtime === 'cri' ? simulated : nodes;
    if (fleetNodes.length) {
      const fleet = new SimulatedNodes({ client, logger: plane.logger('kubelet'), nodes: fleetNodes, stages, leaseDurationSeconds: heartbeat.leaseDurationSeconds });
      runs.push(fleet.start(stop.signal).catch(fail));
      const label = flags.runtime === 'cri' ? `registering ${fleetNodes.length} simulated node${fleetNodes.length === 1 ? '' : 's'}` : `registering node ${local!.name}${simulated.length ? ` and ${simulated.length} simulated node${simulated.length === 1 ? '' : 's'}` : ''} (pods simulated)`;
      ready.push(progress.step(label, () => fleet.waitForRegistration(stop.signal)));
    }
    try {
      await Promise.all(ready);
      progress.close();
      io.stdout(
        upBanner({
          url: plane.url,
          kubeconfigPath: plane.kubeconfigPath,
          nodeName: local!.name,
          nodeIP: local!.addresses.find((a) => a.type === 'InternalIP')?.address ?? '127.0.0.1',
          runtime: flags.runtime,
          simulatedNodes: simulated.length,
          ...(flags.runtimeNote ? { runtimeNote: flags.runtimeNote } : {}),
          seconds: process.uptime(),
          defaultKubeconfig: defaultAdminKubeconfig(),
        }),
      );
    } catch (err) {
      if (!stop.signal.aborted) throw err;
    }
    await Promise.all(runs);
  } finally {
    stop.abort();
    if (!criHandedOver) await criStart?.then((cri) => cri.close(), () => {});
    await plane?.closed;
    await transport?.close();
    signal.removeEventListener('abort', forward);
  }
  if (failure) throw failure;
}
