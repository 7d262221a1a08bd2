// `skiff agent`'s flags and usage; the agent itself loads (src/cli/agent.ts) only once they are good.
import { homedir, networkInterfaces } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultNodeName } from '../kubelet/node.ts';
import { UsageError, type Command } from './command.ts';
import { checkCIDR, defaultAdvertiseAddress, defaultRouteInterface, parseIP, parseLogFormat, parsePort, usageErrorFrom } from './server-flags.ts';
import type { ImageGCPolicy } from '../kubelet/image-gc.ts';
import type { LogRotationPolicy } from '../kubelet/log-rotation.ts';
import type { ProxyMode } from '../proxy/index.ts';
import { checkInterfaceName, parseClusterDNS, parseImageGC, parseLogRotation, parseProxyMode, parseRuntimeEndpoint } from './up-flags.ts';

export const AGENT_USAGE = `Run this machine as a node of a Skiff cluster: Skiff's own containerd and the node agent, in the foreground.

Usage:
  skiff agent --kubeconfig FILE [flags]

Flags:
      --kubeconfig FILE                   how to reach the API server (a client certificate; e.g. the
                                          server's admin.conf for now)
      --context NAME                      the kubeconfig context (default: its current-context)
      --data-dir DIR                      where containerd and the agent keep their state
                                          (default /var/lib/skiff as root, else ~/.skiff)
      --node-name NAME                    the node's name (default: the hostname)
      --node-ip IP                        the node's InternalIP (default: the default route's address)
      --container-runtime-endpoint URL    an existing CRI socket (unix:///…) instead of Skiff's containerd
      --kubelet-port N                    HTTPS port for logs/exec/port-forward (default 10250)
      --cluster-dns IP                    nameserver for pods (default 10.96.0.10)
      --cluster-domain NAME               the cluster's DNS domain (default cluster.local)
      --cni-bridge NAME                   the Linux bridge pods attach to (default cni0)
      --cluster-cidr CIDR                 the pod network, for the Services proxy's masquerading
                                          (default: this node's podCIDR)
      --disable-kube-proxy                do not run the Services proxy (iptables rules for Services)
      --proxy-mode iptables|nftables      how the Services proxy writes its rules (default iptables)
      --container-log-max-size QUANTITY   rotate a container's log file past this size (default 10Mi)
      --container-log-max-files N         log files kept per container, the live one included (default 5)
      --image-gc-high-threshold PERCENT   image disk usage that starts removing unused images (default 85)
      --image-gc-low-threshold PERCENT    image disk usage removal goes down to (default 80)
      --image-minimum-gc-age DURATION     how long an unused image is kept at least (default 2m)
      --log-format text|json              (default text on a terminal, else json)
  -h, --help                              help for agent
`;

const OPTIONS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  'data-dir': { type: 'string' },
  'node-name': { type: 'string' },
  'node-ip': { type: 'string' },
  'container-runtime-endpoint': { type: 'string' },
  'kubelet-port': { type: 'string' },
  'cluster-dns': { type: 'string' },
  'cluster-domain': { type: 'string' },
  'cni-bridge': { type: 'string' },
  'cluster-cidr': { type: 'string' },
  'disable-kube-proxy': { type: 'boolean' },
  'proxy-mode': { type: 'string' },
  'container-log-max-size': { type: 'string' },
  'container-log-max-files': { type: 'string' },
  'image-gc-high-threshold': { type: 'string' },
  'image-gc-low-threshold': { type: 'string' },
  'image-minimum-gc-age': { type: 'string' },
  'log-format': { type: 'string' },
} as const;

export interface AgentFlags {
  kubeconfig: string;
  context?: string;
  dataDir: string;
  nodeName: string;
  nodeIP: string;
  containerRuntimeEndpoint?: string;
  kubeletPort: number;
  clusterDNS: string[];
  clusterDomain: string;
  cniBridge: string;
  clusterCIDR?: string;
  kubeProxy: boolean;
  proxyMode: ProxyMode;
  /** kubelet's --container-log-max-size and --container-log-max-files. */
  logRotation: LogRotationPolicy;
  /** kubelet's --image-gc-high-threshold, --image-gc-low-threshold and --image-minimum-gc-age. */
  imageGC: ImageGCPolicy;
  logFormat: 'text' | 'json';
}

export function parseAgentFlags(args: string[], env: { isRoot: boolean; homeDir: string; cwd: string; stderrIsTTY: boolean; defaultIP?: string }): AgentFlags {
  let values: { [K in Exclude<keyof typeof OPTIONS, 'disable-kube-proxy'>]?: string } & { 'disable-kube-proxy'?: boolean };
  try {
    ({ values } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw usageErrorFrom(err);
  }
  if (!values.kubeconfig) throw new UsageError('skiff agent needs --kubeconfig FILE to reach the API server');
  const endpoint = values['container-runtime-endpoint'];
  return {
    kubeconfig: resolve(env.cwd, values.kubeconfig),
    ...(values.context ? { context: values.context } : {}),
    dataDir: resolve(env.cwd, values['data-dir'] ?? (env.isRoot ? '/var/lib/skiff' : resolve(env.homeDir, '.skiff'))),
    nodeName: values['node-name'] ?? defaultNodeName(),
    nodeIP: parseIP(values['node-ip'] ?? env.defaultIP ?? '127.0.0.1', 'node-ip'),
    ...(endpoint ? { containerRuntimeEndpoint: parseRuntimeEndpoint(endpoint) } : {}),
    kubeletPort: parsePort(values['kubelet-port'] ?? '10250', 'kubelet-port', 0),
    clusterDNS: parseClusterDNS(values['cluster-dns'], '10.96.0.0/12'),
    clusterDomain: values['cluster-domain'] ?? 'cluster.local',
    cniBridge: checkInterfaceName(values['cni-bridge'] ?? 'cni0', 'cni-bridge'),
    ...(values['cluster-cidr'] ? { clusterCIDR: checkCIDR(values['cluster-cidr'], 'cluster-cidr') } : {}),
    kubeProxy: values['disable-kube-proxy'] !== true,
    proxyMode: parseProxyMode(values['proxy-mode']),
    logRotation: parseLogRotation(values['container-log-max-size'], values['container-log-max-files']),
    imageGC: parseImageGC(values['image-gc-high-threshold'], values['image-gc-low-threshold'], values['image-minimum-gc-age']),
    logFormat: parseLogFormat(values['log-format'], env.stderrIsTTY),
  };
}

export const agentCommand: Command = {
  name: 'agent',
  summary: 'Run this machine as a node of a Skiff cluster (containerd and the node agent)',
  usage: AGENT_USAGE,
  async run(args, io) {
    const flags = parseAgentFlags(args, {
      isRoot: process.getuid?.() === 0,
      homeDir: homedir(),
      cwd: process.cwd(),
      stderrIsTTY: process.stderr.isTTY === true,
      ...(() => {
        const ip = defaultAdvertiseAddress('0.0.0.0', networkInterfaces(), defaultRouteInterface());
        return ip ? { defaultIP: ip } : {};
      })(),
    });
    const { runAgent } = await import('./agent.ts');
    return runAgent(flags, io);
  },
};
