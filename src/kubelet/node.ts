// The Node object a node agent registers: kubelet's default labels and annotations, capacity, addresses and
// nodeInfo. Shared by simulated nodes and (later) the CRI node agent.
import { createHash } from 'node:crypto';
import { readFileSync, statfsSync } from 'node:fs';
import { cpus, hostname, release, totalmem } from 'node:os';
import type { Node, NodeAddress, NodeSystemInfo, Taint } from 'kubernetes-types/core/v1.d.ts';
import { versionInfo } from '../apiserver/version.ts';

export interface NodeConfig {
  name: string;
  /** Added to (and overriding) kubelet's default labels. */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  /** Resource quantities, e.g. { cpu: '32', memory: '256Gi', pods: '110' }. */
  capacity: Record<string, string>;
  /** Default: the capacity. */
  allocatable?: Record<string, string>;
  addresses: NodeAddress[];
  nodeInfo: NodeSystemInfo;
}

/** What simulated nodes report unless told otherwise. */
export const DEFAULT_SIMULATED_CAPACITY: Readonly<Record<string, string>> = {
  cpu: '32',
  memory: '256Gi',
  pods: '110',
  'ephemeral-storage': '100Gi',
  'hugepages-1Gi': '0',
  'hugepages-2Mi': '0',
};

/** kubelet's --max-pods default. */
export const DEFAULT_MAX_PODS = '110';

/** Go's GOARCH for this Node.js process's architecture. */
export function goArch(arch: string = process.arch): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };
  return map[arch] ?? arch;
}

/** The labels kubelet puts on its Node (stable and beta os/arch, hostname). */
export function defaultNodeLabels(hostnameLabel: string, os = 'linux', arch = goArch()): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': os,
    'kubernetes.io/arch': arch,
    'kubernetes.io/hostname': hostnameLabel,
    'kubernetes.io/os': os,
  };
}

/** The kubelet version nodes report: the same as the API server's. */
export function kubeletVersion(): string {
  return versionInfo().gitVersion;
}

export function buildNode(cfg: NodeConfig): Node {
  const node: Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: cfg.name,
      labels: { ...defaultNodeLabels(cfg.name, cfg.nodeInfo.operatingSystem, cfg.nodeInfo.architecture), ...cfg.labels },
      annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true', ...cfg.annotations },
    },
    spec: {},
    status: {
      capacity: { ...cfg.capacity },
      allocatable: { ...(cfg.allocatable ?? cfg.capacity) },
      addresses: cfg.addresses.map((a) => ({ ...a })),
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: { ...cfg.nodeInfo },
    },
  };
  if (cfg.taints?.length) node.spec!.taints = cfg.taints.map((t) => ({ ...t }));
  if (cfg.unschedulable) node.spec!.unschedulable = true;
  return node;
}

/** A stable, made-up 32-hex-digit id (machine-id style) for a simulated node. */
export function fakeMachineID(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 32);
}

/** nodeInfo of a simulated node: what kwok reports, in Skiff's words. */
export function simulatedNodeInfo(name: string, runtimeVersion: string, arch = goArch()): NodeSystemInfo {
  const id = fakeMachineID(name);
  return {
    architecture: arch,
    bootID: '',
    containerRuntimeVersion: `simulated://${runtimeVersion}`,
    kernelVersion: '',
    kubeProxyVersion: '',
    kubeletVersion: kubeletVersion(),
    machineID: id,
    operatingSystem: 'linux',
    osImage: 'Skiff simulated node',
    systemUUID: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`,
  };
}

function readTrimmed(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/** This machine as kubelet describes it (cadvisor's machine info and /etc/os-release). */
export function hostNodeInfo(containerRuntimeVersion: string): NodeSystemInfo {
  const osRelease = readTrimmed('/etc/os-release');
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1] ?? '';
  return {
    architecture: goArch(),
    bootID: readTrimmed('/proc/sys/kernel/random/boot_id'),
    containerRuntimeVersion,
    kernelVersion: release(),
    kubeProxyVersion: '',
    kubeletVersion: kubeletVersion(),
    machineID: readTrimmed('/etc/machine-id'),
    operatingSystem: process.platform === 'win32' ? 'windows' : 'linux',
    osImage: pretty,
    systemUUID: readTrimmed('/sys/class/dmi/id/product_uuid').toLowerCase(),
  };
}

/** This machine's capacity: its CPUs, memory, the disk under `dataDir`, and kubelet's default pod limit. */
export function hostCapacity(dataDir = '/'): Record<string, string> {
  let storage = '100Gi';
  try {
    const fs = statfsSync(dataDir);
    storage = `${Math.floor((fs.blocks * fs.bsize) / 1024)}Ki`;
  } catch {
    // keep the default
  }
  return {
    cpu: String(cpus().length || 1),
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    pods: DEFAULT_MAX_PODS,
    'ephemeral-storage': storage,
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
  };
}

/** The node name kubelet derives from the hostname (lower-cased). */
export function defaultNodeName(host: string = hostname()): string {
  return host.trim().toLowerCase();
}
