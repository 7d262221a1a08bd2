// `skiff up`: the flags of `skiff server` plus the node's. The control plane and nodes load only once the flags are good.
import { homedir, networkInterfaces } from 'node:os';
import { resolve } from 'node:path';
import { parseQuantity, quantityToNumber } from '../apiserver/quantity.ts';
import { DEFAULT_IMAGE_GC, type ImageGCPolicy } from '../kubelet/image-gc.ts';
import { DEFAULT_LOG_ROTATION, type LogRotationPolicy } from '../kubelet/log-rotation.ts';
import type { ProxyMode } from '../proxy/index.ts';
import { UsageError, type Command } from './command.ts';
import { checkPrerequisites, chooseRuntime, NFTABLES_PROXY_PREREQUISITES, type PrerequisiteReport, type RuntimeChoice } from './prerequisites.ts';
import { defaultAdvertiseAddress, defaultRouteInterface, parseDuration, tenthServiceIP, parseIP, parsePort, parseServerFlags, SERVER_USAGE, type ServerEnvironment, type ServerFlags } from './server-flags.ts';

export type UpRuntime = 'simulated' | 'cri';

export interface UpFlags {
  server: ServerFlags;
  runtime: UpRuntime;
  /** The local node's name; default the hostname. */
  nodeName?: string;
  simulatedNodes: number;
  /** Overrides of the simulated nodes' default capacity. */
  simulatedNodeCapacity: Record<string, string>;
  simulatedNodeLabels: Record<string, string>;
  simulatedStagesFile?: string;
  nodeMonitorGracePeriodMs?: number;
  nodeMonitorPeriodMs?: number;
  /** kubelet's --node-lease-duration-seconds; nodes renew their Lease every quarter of it. */
  nodeLeaseDurationSeconds?: number;
  /** An existing CRI socket (unix:///…) instead of Skiff's own containerd. */
  containerRuntimeEndpoint?: string;
  /** The node agent's HTTPS port for logs, exec, attach and port-forward (kubelet's 10250; 0 picks a free one). */
  kubeletPort: number;
  /** Nameservers pods with dnsPolicy ClusterFirst get (default: the tenth address of the service range). */
  clusterDNS: string[];
  clusterDomain: string;
  /** The Linux bridge pods attach to. */
  cniBridge: string;
  /** Run the Services proxy on this node (off with --disable-kube-proxy, as k3s). */
  kubeProxy: boolean;
  /** kube-proxy's --proxy-mode. */
  proxyMode: ProxyMode;
  /** kubelet's --container-log-max-size and --container-log-max-files. */
  logRotation: LogRotationPolicy;
  /** kubelet's --image-gc-high-threshold, --image-gc-low-threshold and --image-minimum-gc-age. */
  imageGC: ImageGCPolicy;
  /** Why the runtime is simulated when none was asked for. */
  runtimeNote?: string;
  /** Debian packages to install before starting (runtime cri, as root on Debian, some missing). */
  installPackages: string[];
  /** apt has no package lists, and apt may be used (root on Debian, runtime cri): install and image builds need them. */
  aptListsMissing: boolean;
}

const UP_OPTIONS = [
  'runtime',
  'node-name',
  'simulated-nodes',
  'simulated-node-capacity',
  'simulated-node-labels',
  'simulated-stages',
  'node-monitor-grace-period',
  'node-monitor-period',
  'node-lease-duration-seconds',
  'container-runtime-endpoint',
  'kubelet-port',
  'cluster-dns',
  'cluster-domain',
  'cni-bridge',
  'disable-kube-proxy',
  'proxy-mode',
  'container-log-max-size',
  'container-log-max-files',
  'image-gc-high-threshold',
  'image-gc-low-threshold',
  'image-minimum-gc-age',
] as const;
type UpOption = (typeof UP_OPTIONS)[number];

/** The `Flags:` lines of `skiff server --help`, without its own --help line. */
function serverFlagLines(): string {
  const lines = SERVER_USAGE.slice(SERVER_USAGE.indexOf('Flags:\n') + 'Flags:\n'.length).split('\n');
  return lines.filter((l) => l && !/^\s*-h, --help/.test(l)).join('\n');
}

export const UP_USAGE = `Run a whole cluster in the foreground: the control plane and this machine as a node, plus any
number of simulated nodes.

Usage:
  skiff up [flags]

Flags:
${serverFlagLines()}
      --runtime cri|simulated             what runs pods: cri (the default as root) runs real containers
                                          under Skiff's own containerd, installing Debian's containerd, runc,
                                          containernetworking-plugins, busybox-static, iptables, iproute2
                                          and conntrack first when missing; simulated (the default when not
                                          root, or missing packages cannot be installed) makes pods Running
                                          without containers, as kwok's nodes do
      --container-runtime-endpoint URL    with --runtime cri, use this CRI socket (unix:///…) instead
                                          of starting Skiff's own containerd
      --kubelet-port N                    the node agent's HTTPS port for logs/exec/port-forward (10250)
      --cluster-dns IP                    nameserver for pods (default: 10th address of the service range)
      --cluster-domain NAME               the cluster's DNS domain (default cluster.local)
      --cni-bridge NAME                   the Linux bridge pods attach to (default cni0)
      --disable-kube-proxy                do not run the Services proxy (iptables rules for Services)
      --proxy-mode iptables|nftables      how the Services proxy writes its rules (default iptables;
                                          nftables needs Debian's nftables package)
      --container-log-max-size QUANTITY   rotate a container's log file past this size (default 10Mi)
      --container-log-max-files N         log files kept per container, the live one included (default 5)
      --image-gc-high-threshold PERCENT   image disk usage that starts removing unused images (default 85)
      --image-gc-low-threshold PERCENT    image disk usage removal goes down to (default 80)
      --image-minimum-gc-age DURATION     how long an unused image is kept at least (default 2m)
      --node-name NAME                    this machine's node name (default: the hostname)
      --simulated-nodes N                 simulated nodes to add, named skiff-sim-0… (default 0)
      --simulated-node-capacity LIST      their capacity, e.g. cpu=32,memory=256Gi,pods=110 (the default)
      --simulated-node-labels LIST        labels for them, e.g. tier=batch,zone=a
      --simulated-stages FILE             pod and node lifecycle stages (YAML or JSON) replacing or
                                          adding to the built-in ones, by name
      --node-lease-duration-seconds N     nodes renew their Lease every N/4 seconds (default 40)
      --node-monitor-grace-period DUR     silence after which a node is marked unreachable (default 40s)
      --node-monitor-period DUR           how often node heartbeats are checked (default 5s)
                                          (beyond 1000 nodes, lease duration and grace period grow with
                                          the node count unless given: one process renews ~100 Leases/s)
  -h, --help                              help for up
`;

/** `skiff up`'s flags that take no value. */
const UP_SWITCHES = ['disable-kube-proxy'] as const;

/** Takes `skiff up`'s own flags out of `args`; the rest are `skiff server`'s. */
export function splitUpArgs(args: readonly string[]): { own: Partial<Record<UpOption, string>>; rest: string[] } {
  const own: Partial<Record<UpOption, string>> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const m = /^--([a-z-]+)(?:=([^]*))?$/.exec(arg);
    const name = m?.[1] as UpOption | undefined;
    if (!m || !name || !UP_OPTIONS.includes(name)) {
      rest.push(arg);
      continue;
    }
    let value = m[2];
    if ((UP_SWITCHES as readonly string[]).includes(name)) {
      if (value !== undefined && value !== 'true' && value !== 'false') throw new UsageError(`invalid argument "${value}" for "--${name}": want true or false`);
      own[name] = value ?? 'true';
      continue;
    }
    if (value === undefined) {
      value = args[i + 1];
      if (value === undefined) throw new UsageError(`flag needs an argument: --${name}`);
      i++;
    }
    own[name] = value;
  }
  return { own, rest };
}

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[KMGTPE]i?|[mkMGTPE]|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** `k=v,k=v` into a map, each pair checked by `check`. */
export function parseKeyValueList(value: string, flag: string, check: (k: string, v: string) => boolean, want: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!value.trim()) return out;
  for (const pair of value.split(',')) {
    const eq = pair.indexOf('=');
    const k = eq < 0 ? '' : pair.slice(0, eq).trim();
    const v = eq < 0 ? '' : pair.slice(eq + 1).trim();
    if (!k || !check(k, v)) throw new UsageError(`invalid argument "${value}" for "--${flag}": want ${want}`);
    out[k] = v;
  }
  return out;
}

export interface UpEnvironment extends ServerEnvironment {
  /** What this machine has of the packages real containers need; unknown: assume everything is there. */
  prerequisites?: PrerequisiteReport;
  /** The same for what `--proxy-mode nftables` adds (NFTABLES_PROXY_PREREQUISITES). */
  nftablesPrerequisites?: PrerequisiteReport;
}

/** With --proxy-mode nftables, what it adds that is missing, installed along with the rest (when anything can be). */
function nftablesPackages(mode: string | undefined, choice: RuntimeChoice, env: UpEnvironment): string[] {
  if (mode !== 'nftables' || choice.runtime !== 'cri' || !env.isRoot || env.prerequisites?.debian !== true) return [];
  return env.nftablesPrerequisites?.missing ?? [];
}

const isRuntime = (value: string): value is UpRuntime => value === 'simulated' || value === 'cri';

export function parseUpFlags(args: string[], env: UpEnvironment): UpFlags {
  const { own, rest } = splitUpArgs(args);
  const server = parseServerFlags(rest, env);
  const asked = own.runtime;
  if (asked !== undefined && !isRuntime(asked)) throw new UsageError(`invalid argument "${asked}" for "--runtime": want simulated or cri`);
  // Real containers when this machine can run them (installing what is missing), as k3s does; simulated pods
  // otherwise, and said why.
  const choice: RuntimeChoice = env.prerequisites
    ? chooseRuntime({ report: env.prerequisites, isRoot: env.isRoot, ...(asked ? { asked } : {}), externalRuntime: own['container-runtime-endpoint'] !== undefined })
    : { runtime: asked ?? 'cri', install: [] };
  const runtime = choice.runtime;
  const count = own['simulated-nodes'] ?? '0';
  if (!/^\d+$/.test(count) || Number(count) > 100_000) throw new UsageError(`invalid argument "${count}" for "--simulated-nodes": want a whole number up to 100000`);
  const flags: UpFlags = {
    server,
    runtime,
    simulatedNodes: Number(count),
    simulatedNodeCapacity: parseKeyValueList(own['simulated-node-capacity'] ?? '', 'simulated-node-capacity', (_k, v) => QUANTITY.test(v), 'RESOURCE=QUANTITY pairs such as cpu=32,memory=256Gi,pods=110'),
    simulatedNodeLabels: parseKeyValueList(own['simulated-node-labels'] ?? '', 'simulated-node-labels', (k, v) => QUALIFIED_NAME.test(k) && k.length <= 317 && LABEL_VALUE.test(v) && v.length <= 63, 'KEY=VALUE label pairs'),
    ...(choice.note !== undefined ? { runtimeNote: choice.note } : {}),
    installPackages: [...choice.install, ...nftablesPackages(own['proxy-mode'], choice, env)],
    aptListsMissing: runtime === 'cri' && env.isRoot && env.prerequisites?.debian === true && !env.prerequisites.aptLists,
    kubeletPort: parsePort(own['kubelet-port'] ?? '10250', 'kubelet-port', 0),
    clusterDNS: parseClusterDNS(own['cluster-dns'], server.serviceCIDR),
    clusterDomain: own['cluster-domain'] ?? 'cluster.local',
    cniBridge: checkInterfaceName(own['cni-bridge'] ?? 'cni0', 'cni-bridge'),
    kubeProxy: own['disable-kube-proxy'] !== 'true',
    proxyMode: parseProxyMode(own['proxy-mode']),
    logRotation: parseLogRotation(own['container-log-max-size'], own['container-log-max-files']),
    imageGC: parseImageGC(own['image-gc-high-threshold'], own['image-gc-low-threshold'], own['image-minimum-gc-age']),
  };
  if (!DNS_SUBDOMAIN.test(flags.clusterDomain)) throw new UsageError(`invalid argument "${flags.clusterDomain}" for "--cluster-domain": want a lower-case DNS name`);
  const endpoint = own['container-runtime-endpoint'];
  if (endpoint !== undefined) {
    parseRuntimeEndpoint(endpoint);
    if (runtime !== 'cri') throw new UsageError('--container-runtime-endpoint needs --runtime cri');
    flags.containerRuntimeEndpoint = endpoint;
  }
  checkPodCIDRRoom(flags);
  if (own['node-name'] !== undefined) {
    const name = own['node-name'];
    if (!DNS_SUBDOMAIN.test(name) || name.length > 253) throw new UsageError(`invalid argument "${name}" for "--node-name": want a lower-case DNS name`);
    flags.nodeName = name;
  }
  if (own['simulated-stages'] !== undefined) flags.simulatedStagesFile = resolve(env.cwd, own['simulated-stages']);
  if (own['node-monitor-grace-period'] !== undefined) flags.nodeMonitorGracePeriodMs = parseDuration(own['node-monitor-grace-period'], 'node-monitor-grace-period');
  if (own['node-monitor-period'] !== undefined) flags.nodeMonitorPeriodMs = parseDuration(own['node-monitor-period'], 'node-monitor-period');
  const lease = own['node-lease-duration-seconds'];
  if (lease !== undefined) {
    if (!/^\d+$/.test(lease) || Number(lease) < 1) throw new UsageError(`invalid argument "${lease}" for "--node-lease-duration-seconds": want a whole number of seconds`);
    flags.nodeLeaseDurationSeconds = Number(lease);
  }
  return flags;
}

/** kube-proxy's --proxy-mode: iptables (the default) or nftables. */
export function parseProxyMode(value: string | undefined): ProxyMode {
  if (value === undefined || value === 'iptables' || value === 'nftables') return value ?? 'iptables';
  throw new UsageError(`invalid argument "${value}" for "--proxy-mode": want iptables or nftables`);
}

/** kubelet's --container-log-max-size (a quantity, e.g. 10Mi) and --container-log-max-files (at least 2). */
export function parseLogRotation(maxSize: string | undefined, maxFiles: string | undefined): LogRotationPolicy {
  let maxSizeBytes = DEFAULT_LOG_ROTATION.maxSizeBytes;
  if (maxSize !== undefined) {
    try {
      maxSizeBytes = quantityToNumber(parseQuantity(maxSize));
    } catch {
      maxSizeBytes = Number.NaN;
    }
    if (!(maxSizeBytes > 0)) throw new UsageError(`invalid argument "${maxSize}" for "--container-log-max-size": want a positive quantity such as 10Mi`);
  }
  const files = maxFiles ?? String(DEFAULT_LOG_ROTATION.maxFiles);
  if (!/^\d+$/.test(files) || Number(files) < 2) throw new UsageError(`invalid argument "${files}" for "--container-log-max-files": want a whole number of at least 2`);
  return { maxSizeBytes, maxFiles: Number(files) };
}

/** kubelet's image garbage collection flags: two percentages, low below high, and a minimum age (0s allowed). */
export function parseImageGC(high: string | undefined, low: string | undefined, minAge: string | undefined): ImageGCPolicy {
  const percent = (value: string | undefined, flag: string, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) > 100) throw new UsageError(`invalid argument "${value}" for "--${flag}": want a percentage from 0 to 100`);
    return Number(value);
  };
  const highThresholdPercent = percent(high, 'image-gc-high-threshold', DEFAULT_IMAGE_GC.highThresholdPercent);
  const lowThresholdPercent = percent(low, 'image-gc-low-threshold', DEFAULT_IMAGE_GC.lowThresholdPercent);
  if (lowThresholdPercent >= highThresholdPercent) {
    throw new UsageError(`--image-gc-low-threshold (${lowThresholdPercent}) must be less than --image-gc-high-threshold (${highThresholdPercent})`);
  }
  const minAgeMs = minAge === undefined ? DEFAULT_IMAGE_GC.minAgeMs : /^0+(s|m|h|ms)?$/.test(minAge) ? 0 : parseDuration(minAge, 'image-minimum-gc-age');
  return { highThresholdPercent, lowThresholdPercent, minAgeMs };
}

/** A Linux interface name: 1 to 15 characters, no slash, colon or whitespace. */
export function checkInterfaceName(value: string, flag: string): string {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(value)) throw new UsageError(`invalid argument "${value}" for "--${flag}": want an interface name of at most 15 letters, digits, '.', '-' or '_'`);
  return value;
}

/** --cluster-dns: comma-separated nameservers, by default the tenth address of the service range. */
export function parseClusterDNS(value: string | undefined, serviceCIDR: string): string[] {
  return (value ?? tenthServiceIP(serviceCIDR)).split(',').map((ip) => parseIP(ip.trim(), 'cluster-dns'));
}

/** --container-runtime-endpoint: a unix socket, as unix:///path or /path. */
export function parseRuntimeEndpoint(value: string): string {
  if (!/^unix:\/\/\/.+/.test(value) && !value.startsWith('/')) {
    throw new UsageError(`invalid argument "${value}" for "--container-runtime-endpoint": want a unix socket such as unix:///run/containerd/containerd.sock`);
  }
  return value;
}

/** Every node needs a podCIDR: refuse a cluster CIDR too small for the nodes asked for, and say what would fit. */
export function checkPodCIDRRoom(flags: UpFlags): void {
  const nodes = flags.simulatedNodes + 1;
  const mask = flags.server.nodeCIDRMaskSize;
  for (const cidr of flags.server.clusterCIDR.split(',')) {
    const [address = '', prefixText = '0'] = cidr.trim().split('/');
    if (address.includes(':')) continue;
    const subnets = 2 ** Math.max(0, mask - Number(prefixText));
    if (nodes <= subnets) continue;
    const prefix = Math.max(8, mask - Math.ceil(Math.log2(nodes)));
    throw new UsageError(
      `${nodes} nodes need ${nodes} podCIDRs, but --cluster-cidr ${cidr.trim()} cut into /${mask}s (--node-cidr-mask-size) has ${subnets}; ` +
        `widen it, e.g. --cluster-cidr 10.0.0.0/${prefix}`,
    );
  }
}

/** Lease renewals one process sustains comfortably (each costs the API server ~3 ms). */
const LEASE_RENEWALS_PER_SECOND = 100;
const DEFAULT_LEASE_SECONDS = 40;

/**
 * Heartbeat timings for `nodes` nodes: upstream's (a 40 s Lease renewed every 10 s, 40 s of grace) up to 1000
 * nodes; beyond that both grow with the node count, so renewals stay near LEASE_RENEWALS_PER_SECOND. Given flags win.
 */
export function heartbeatTimings(flags: UpFlags, nodes: number): { leaseDurationSeconds: number; gracePeriodMs?: number; scaled: boolean } {
  const factor = Math.max(1, Math.ceil(nodes / ((LEASE_RENEWALS_PER_SECOND * DEFAULT_LEASE_SECONDS) / 4)));
  const leaseDurationSeconds = flags.nodeLeaseDurationSeconds ?? DEFAULT_LEASE_SECONDS * factor;
  const scaled = factor > 1 && flags.nodeLeaseDurationSeconds === undefined;
  const gracePeriodMs = flags.nodeMonitorGracePeriodMs ?? (scaled ? leaseDurationSeconds * 1000 : undefined);
  return { leaseDurationSeconds, ...(gracePeriodMs !== undefined ? { gracePeriodMs } : {}), scaled };
}

export const upCommand: Command = {
  name: 'up',
  summary: 'Run a whole cluster: control plane, this node and simulated nodes',
  usage: UP_USAGE,
  async run(args, io) {
    const isRoot = process.getuid?.() === 0;
    const flags = parseUpFlags(args, {
      prerequisites: checkPrerequisites(),
      nftablesPrerequisites: checkPrerequisites('/', NFTABLES_PROXY_PREREQUISITES),
      isRoot,
      homeDir: homedir(),
      cwd: process.cwd(),
      stderrIsTTY: process.stderr.isTTY === true,
    });
    if (flags.server.advertiseAddress === undefined) {
      const advertise = defaultAdvertiseAddress(flags.server.bindAddress, networkInterfaces(), defaultRouteInterface());
      if (advertise) flags.server.advertiseAddress = advertise;
    }
    const { runUp } = await import('./up.ts');
    return runUp(flags, io);
  },
};
