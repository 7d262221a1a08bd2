// The pod network on one node: the CNI configuration Skiff writes for its containerd — a Linux bridge with
// host-local addresses from the node's podCIDR, and portmap for hostPort — the same plugins flannel's manifest chains (bridge + host-local + portmap), from Debian's
// containernetworking-plugins. containerd adds the loopback interface itself.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { formatIP, parseCIDR } from '../kubelet/ippool.ts';

/** The bridge pods attach to, as flannel and kubenet name it. */
export const DEFAULT_BRIDGE = 'cni0';
export const NETWORK_NAME = 'skiff';
export const CONFLIST_NAME = '10-skiff.conflist';

export interface CniConfigOptions {
  /** The node's pod CIDRs (spec.podCIDRs): one range per address family. */
  podCIDRs: readonly string[];
  /** Where host-local keeps its allocations (one file per address), so a node's IPs live under Skiff's data dir. */
  ipamDataDir: string;
  bridge?: string;
  /** Interface MTU; default: the bridge plugin's (the host's). */
  mtu?: number;
}

export class CniConfigError extends Error {
  override name = 'CniConfigError';
}

const isIPv6 = (cidr: string) => cidr.includes(':');

/** The conflist (CNI spec 1.0.0) for the node's pod CIDRs. */
export function cniConfList(options: CniConfigOptions): Record<string, unknown> {
  if (options.podCIDRs.length === 0) throw new CniConfigError('the node has no podCIDR yet: the pod network cannot be configured');
  for (const cidr of options.podCIDRs) {
    if (!/^[0-9a-fA-F.:]+\/\d{1,3}$/.test(cidr)) throw new CniConfigError(`podCIDR ${JSON.stringify(cidr)} is not a CIDR`);
  }
  const ranges = options.podCIDRs.map((subnet) => [{ subnet }]);
  const routes = options.podCIDRs.map((cidr) => ({ dst: isIPv6(cidr) ? '::/0' : '0.0.0.0/0' }));
  return {
    cniVersion: '1.0.0',
    name: NETWORK_NAME,
    plugins: [
      {
        type: 'bridge',
        bridge: options.bridge ?? DEFAULT_BRIDGE,
        isGateway: true,
        // Masquerade is one rule per node (masquerade.ts), not a chain per pod.
        ipMasq: false,
        // Lets a pod reach itself through a Service that picks its own endpoint.
        hairpinMode: true,
        ...(options.mtu ? { mtu: options.mtu } : {}),
        ipam: { type: 'host-local', ranges, routes, dataDir: options.ipamDataDir },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  };
}

/**
 * Writes the conflist into containerd's CNI conf dir, atomically (containerd watches the directory and must never
 * read half a file), and removes other configs there: containerd uses the first one it finds.
 * Returns whether anything changed.
 */
export function writeCniConfig(confDir: string, options: CniConfigOptions): boolean {
  const content = `${JSON.stringify(cniConfList(options), null, 2)}\n`;
  mkdirSync(confDir, { recursive: true });
  mkdirSync(options.ipamDataDir, { recursive: true, mode: 0o700 });
  const target = path.join(confDir, CONFLIST_NAME);
  let changed = false;
  for (const name of readdirSync(confDir)) {
    if (name !== CONFLIST_NAME && /\.(conf|conflist|json)$/.test(name)) {
      rmSync(path.join(confDir, name), { force: true });
      changed = true;
    }
  }
  if (existsSync(target) && readFileSync(target, 'utf8') === content) return changed;
  const tmp = path.join(confDir, `.${CONFLIST_NAME}.tmp`);
  writeFileSync(tmp, content, { mode: 0o644 });
  renameSync(tmp, target);
  return true;
}

/** The bridge's gateway address for a pod CIDR: its first address, as the bridge plugin assigns it. */
export function gatewayOf(cidr: string): string {
  const { base, family } = parseCIDR(cidr);
  return formatIP(base + 1n, family);
}

/**
 * A bridge left by an earlier cluster with another pod CIDR makes every sandbox fail ("cni0 already has an IP address
 * different from …"). With no pod attached it is removed, so the bridge plugin makes it afresh; with pods attached it
 * is left alone and the reason returned.
 */
export function removeStaleBridge(bridge: string, podCIDRs: readonly string[], sysNet = '/sys/class/net'): string | undefined {
  if (!existsSync(path.join(sysNet, bridge))) return undefined;
  let info: Array<{ addr_info?: Array<{ family: string; local: string; prefixlen: number }> }>;
  try {
    info = JSON.parse(execFileSync('ip', ['-j', 'addr', 'show', 'dev', bridge], { encoding: 'utf8' })) as typeof info;
  } catch {
    return undefined;
  }
  const want = new Set(podCIDRs.filter((c) => !c.includes(':')).map((c) => `${gatewayOf(c)}/${c.split('/')[1]}`));
  const have = (info[0]?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
  if (have.every((a) => want.has(a))) return undefined;
  const attached = readdirSync(path.join(sysNet, bridge, 'brif'));
  if (attached.length > 0) return `bridge ${bridge} has ${have.join(', ')}, not this node's ${[...want].join(', ')}, and ${attached.length} interfaces attached: remove them (or the bridge) first`;
  execFileSync('ip', ['link', 'delete', bridge]);
  return undefined;
}

/** The node's IP forwarding sysctls, which pods need to reach anything beyond the bridge (kubeadm's preflight checks them). */
export function enableForwarding(procSys = '/proc/sys'): string[] {
  const changed: string[] = [];
  for (const key of ['net/ipv4/ip_forward']) {
    const file = path.join(procSys, key);
    try {
      if (readFileSync(file, 'utf8').trim() !== '1') {
        writeFileSync(file, '1');
        changed.push(key.replaceAll('/', '.'));
      }
    } catch {
      // Not permitted (not root) or not present: the network works on one node without it.
    }
  }
  return changed;
}
