// kube-proxy's iptables chain names: fixed top-level chains, and per-service-port / per-endpoint chains named by a hash
// (iptables chain names are at most 28 characters), exactly as upstream computes them so rules read the same on a Skiff node.
import * as crypto from 'node:crypto';

export type Table = 'filter' | 'nat' | 'mangle';

export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES';
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
/** kubelet's anti-martian chain, which kube-proxy also writes when NodePorts answer on 127.0.0.1. */
export const KUBE_FIREWALL = 'KUBE-FIREWALL';
/** An empty chain in mangle, nat and filter whose disappearance means someone flushed the tables. */
export const KUBE_PROXY_CANARY = 'KUBE-PROXY-CANARY';

const SVC_PREFIX = 'KUBE-SVC-';
const SVL_PREFIX = 'KUBE-SVL-';
const FW_PREFIX = 'KUBE-FW-';
const EXT_PREFIX = 'KUBE-EXT-';
const SEP_PREFIX = 'KUBE-SEP-';
const SERVICE_CHAIN_PREFIXES = [SVC_PREFIX, SVL_PREFIX, SEP_PREFIX, FW_PREFIX, EXT_PREFIX];

/** The top-level chains kube-proxy fills on every full sync, per table, in upstream's order. */
export const FILTER_TOP_CHAINS = [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL] as const;
export const NAT_TOP_CHAINS = [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ] as const;

export interface JumpRule {
  table: Table;
  /** The built-in chain holding the jump. */
  from: string;
  to: string;
  comment: string;
  extraArgs: readonly string[];
}

const NEW_ONLY = ['-m', 'conntrack', '--ctstate', 'NEW'] as const;

/** The jumps from built-in chains into kube-proxy's chains (upstream's iptablesJumpChains), each prepended once. */
export const JUMP_RULES: readonly JumpRule[] = [
  { table: 'filter', to: KUBE_EXTERNAL_SERVICES, from: 'INPUT', comment: 'kubernetes externally-visible service portals', extraArgs: NEW_ONLY },
  { table: 'filter', to: KUBE_EXTERNAL_SERVICES, from: 'FORWARD', comment: 'kubernetes externally-visible service portals', extraArgs: NEW_ONLY },
  { table: 'filter', to: KUBE_NODEPORTS, from: 'INPUT', comment: 'kubernetes health check service ports', extraArgs: [] },
  { table: 'filter', to: KUBE_SERVICES, from: 'FORWARD', comment: 'kubernetes service portals', extraArgs: NEW_ONLY },
  { table: 'filter', to: KUBE_SERVICES, from: 'OUTPUT', comment: 'kubernetes service portals', extraArgs: NEW_ONLY },
  { table: 'filter', to: KUBE_FORWARD, from: 'FORWARD', comment: 'kubernetes forwarding rules', extraArgs: [] },
  { table: 'filter', to: KUBE_PROXY_FIREWALL, from: 'INPUT', comment: 'kubernetes load balancer firewall', extraArgs: NEW_ONLY },
  { table: 'filter', to: KUBE_PROXY_FIREWALL, from: 'OUTPUT', comment: 'kubernetes load balancer firewall', extraArgs: NEW_ONLY },
  { table: 'filter', to: KUBE_PROXY_FIREWALL, from: 'FORWARD', comment: 'kubernetes load balancer firewall', extraArgs: NEW_ONLY },
  { table: 'nat', to: KUBE_SERVICES, from: 'OUTPUT', comment: 'kubernetes service portals', extraArgs: [] },
  { table: 'nat', to: KUBE_SERVICES, from: 'PREROUTING', comment: 'kubernetes service portals', extraArgs: [] },
  { table: 'nat', to: KUBE_POSTROUTING, from: 'POSTROUTING', comment: 'kubernetes postrouting rules', extraArgs: [] },
];

/** kubelet's jumps to KUBE-FIREWALL (no comment), which kube-proxy ensures too when it writes that chain. */
export const KUBELET_JUMP_RULES: readonly JumpRule[] = [
  { table: 'filter', to: KUBE_FIREWALL, from: 'INPUT', comment: '', extraArgs: [] },
  { table: 'filter', to: KUBE_FIREWALL, from: 'OUTPUT', comment: '', extraArgs: [] },
];

/** A jump rule as an iptables-restore line ("-I PREROUTING -m comment --comment \"…\" -j KUBE-SERVICES"). */
export function jumpRuleLine(op: '-A' | '-I', jump: JumpRule): string {
  return [op, jump.from, ...jumpRuleArgs(jump).map((a) => (/\s/.test(a) ? `"${a}"` : a))].join(' ');
}

/** True if an `iptables -S` line is this jump rule (as kubelet or any kube-proxy version spells it). */
export function isJumpRule(line: string, jump: JumpRule): boolean {
  if (!line.startsWith(`-A ${jump.from} `) || !line.endsWith(` -j ${jump.to}`)) return false;
  if (!jump.comment) return !line.includes('--comment');
  return line.includes(`--comment "${jump.comment}"`) || line.includes(`--comment ${jump.comment} `);
}

/** The iptables arguments of a jump rule, as given to `iptables -C/-I/-D <from> …`. */
export function jumpRuleArgs(jump: JumpRule): string[] {
  return [...jump.extraArgs, ...(jump.comment ? ['-m', 'comment', '--comment', jump.comment] : []), '-j', jump.to];
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The first 16 characters of RFC 4648 base32 (Go's base32.StdEncoding) of sha256(input). */
export function hash16(input: string): string {
  // crypto.hash (Node ≥ 20.12) is a one-shot digest, much cheaper than a Hash object for 100,000 chain names.
  const digest = typeof crypto.hash === 'function' ? crypto.hash('sha256', input, 'buffer') : crypto.createHash('sha256').update(input).digest();
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of digest) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < 16) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= 16) break;
  }
  return out;
}

export interface ServicePortChains {
  /** KUBE-SVC-…: endpoints for Cluster traffic policy. */
  cluster: string;
  /** KUBE-SVL-…: this node's endpoints for Local traffic policy. */
  local: string;
  /** KUBE-EXT-…: where NodePort, externalIP and load-balancer traffic enters. */
  external: string;
  /** KUBE-FW-…: loadBalancerSourceRanges filtering. */
  firewall: string;
}

/** The chains of one service port; `portName` is upstream's ServicePortName string ("ns/name:port" or "ns/name"). */
export function servicePortChains(portName: string, protocol: string): ServicePortChains {
  const base = hash16(portName + protocol.toLowerCase());
  return { cluster: SVC_PREFIX + base, local: SVL_PREFIX + base, external: EXT_PREFIX + base, firewall: FW_PREFIX + base };
}

/** KUBE-SEP-… for one endpoint ("ip:port") of a service port. */
export function endpointChain(portName: string, protocol: string, endpoint: string): string {
  return SEP_PREFIX + hash16(portName + protocol.toLowerCase() + endpoint);
}

/** True for the per-service chains kube-proxy creates and deletes (never the top-level ones). */
export function isServiceChain(chain: string): boolean {
  return SERVICE_CHAIN_PREFIXES.some((p) => chain.startsWith(p));
}

/** The `:CHAIN - [0:0]` line that declares (and, with --noflush, empties) a chain in iptables-restore input. */
export function chainLine(chain: string): string {
  return `:${chain} - [0:0]`;
}
