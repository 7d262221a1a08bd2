// kube-proxy's nftables mode (pkg/proxy/nftables/proxier.go), rendered as `nft -f` text: the `ip kube-proxy` table
// with its base chains, dispatch maps and helper chains, and for each service port its own chains (service-, local-,
// external-, firewall-, endpoint-…), affinity sets and the map elements that lead to them. Pure: text in, text out.
//
// Two deliberate differences from upstream:
// - NodePorts answer on 127.0.0.1 too when localhostNodePorts is set (upstream's nftables mode never does; Skiff's
//   iptables mode does, as upstream's iptables mode), guarded by the same anti-martian rule kubelet's KUBE-FIREWALL
//   chain holds in iptables mode.
// - Most service ports get no chain of their own (the "pick" layout): the dispatch maps send them to a shared chain per
//   protocol and endpoint count N (pick-cluster-tcp-N, pick-external-tcp-N, pick-nodeport-tcp-N…), which DNATs through
//   one lookup in a shared per-protocol map keyed by destination . port . (numgen random mod N); hairpin traffic is
//   masqueraded in nat-postrouting by a set of endpoint-address pairs (this node's endpoints only). A port's endpoints
//   are then only map elements: a one-Service change is a few element updates, no rule is added, and nft's cache and
//   the kernel's table validation stay small. On this kernel
//   (6.x) and nft 1.0.6, per-port chains, anonymous verdict maps and per-port named maps each cost time quadratic in
//   the number of Services (anonymous-set naming, set lookups by name, bind-time map walks). Ports with sessionAffinity
//   ClientIP, externalTrafficPolicy Local or loadBalancerSourceRanges keep upstream's per-port and per-endpoint chains.
import { hash16 } from './chains.ts';
import { cidrContains, externallyAccessible, type EndpointInfo, type ServicePortInfo } from './model.ts';
import { categorizeEndpoints, type NodeTopology } from './topology.ts';

export const NFT_TABLE = 'kube-proxy';
/** Every command's prefix for an object of our table. */
export const T = `ip ${NFT_TABLE}`;

export const SERVICES_CHAIN = 'services';
export const SERVICE_IPS_MAP = 'service-ips';
export const SERVICE_NODEPORTS_MAP = 'service-nodeports';
export const CLUSTER_IPS_SET = 'cluster-ips';
export const CLUSTER_IPS_CHECK_CHAIN = 'cluster-ips-check';
export const SERVICE_ENDPOINTS_CHECK_CHAIN = 'service-endpoints-check';
export const NODEPORT_ENDPOINTS_CHECK_CHAIN = 'nodeport-endpoints-check';
export const NO_ENDPOINT_SERVICES_MAP = 'no-endpoint-services';
export const NO_ENDPOINT_NODEPORTS_MAP = 'no-endpoint-nodeports';
export const REJECT_CHAIN = 'reject-chain';
export const FIREWALL_IPS_MAP = 'firewall-ips';
export const FIREWALL_CHECK_CHAIN = 'firewall-check';
export const MARK_MASQ_CHAIN = 'mark-for-masquerade';
export const MASQUERADING_CHAIN = 'masquerading';
/** Skiff's own: the anti-martian guard for NodePorts on 127.0.0.1. */
export const LOCALNET_CHECK_CHAIN = 'localnet-check';
/** Skiff's own (pick layout): "endpoint . endpoint" address pairs, for hairpin masquerade. */
export const HAIRPIN_SET = 'hairpin-endpoints';

/** The kinds of shared pick chain: which map they look in and when they masquerade. */
export type PickKind = 'cluster' | 'external' | 'nodeport';

/** The maps and sets whose elements belong to service ports. */
/**
 * Skiff's own (pick layout): endpoints by destination . port . index ("tcp-service-endpoints") or by NodePort . index
 * ("tcp-nodeport-endpoints"), one map per protocol: nft 1.0.6 cannot read back a map typed with `meta l4proto` and
 * `th dport` together ("conflicting protocols specified") once it is in the kernel.
 */
export const ENDPOINT_MAPS = [
  'tcp-service-endpoints',
  'udp-service-endpoints',
  'sctp-service-endpoints',
  'tcp-nodeport-endpoints',
  'udp-nodeport-endpoints',
  'sctp-nodeport-endpoints',
] as const;
export type EndpointMap = (typeof ENDPOINT_MAPS)[number];

export function isEndpointMap(c: ElementContainer): c is EndpointMap {
  return c.endsWith('-endpoints') && c !== HAIRPIN_SET;
}

export function endpointMap(kind: PickKind, protocol: string): EndpointMap {
  const proto = lowerProtocol(protocol);
  const byKey = kind === 'nodeport' ? 'nodeport' : 'service';
  return ENDPOINT_MAP_BY[byKey].get(proto) ?? (`${proto}-${byKey}-endpoints` as EndpointMap);
}

/** The endpoint maps by kind and protocol, made once (endpointMap runs for every port of a full sync). */
const ENDPOINT_MAP_BY = {
  service: new Map(ENDPOINT_MAPS.filter((m) => m.includes('-service-')).map((m) => [m.split('-')[0]!, m])),
  nodeport: new Map(ENDPOINT_MAPS.filter((m) => m.includes('-nodeport-')).map((m) => [m.split('-')[0]!, m])),
};

const LOWER_PROTOCOLS: Record<string, string> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };

/** "tcp" for "TCP": one string for every port, not a new one each (a full sync asks for 10,000). */
export function lowerProtocol(protocol: string): string {
  return LOWER_PROTOCOLS[protocol] ?? protocol.toLowerCase();
}

export const ELEMENT_CONTAINERS = [
  CLUSTER_IPS_SET,
  ...ENDPOINT_MAPS,
  HAIRPIN_SET,
  SERVICE_IPS_MAP,
  SERVICE_NODEPORTS_MAP,
  NO_ENDPOINT_SERVICES_MAP,
  NO_ENDPOINT_NODEPORTS_MAP,
  FIREWALL_IPS_MAP,
] as const;
export type ElementContainer = (typeof ELEMENT_CONTAINERS)[number];

/** Containers that are sets (the rest are maps). */
export function isSetContainer(c: ElementContainer): boolean {
  return c === CLUSTER_IPS_SET || c === HAIRPIN_SET;
}

export interface NftContext {
  /** The pod network; traffic from it counts as local (upstream's detect-local-mode ClusterCIDR). */
  clusterCIDR?: string | undefined;
  /** The service CIDRs: traffic to an unallocated address in them is dropped. None: no such rule. */
  serviceCIDRs: readonly string[];
  nodeIPs: readonly string[];
  masqueradeMark: string;
  masqueradeAll: boolean;
  localhostNodePorts: boolean;
  /** This node, for topology hints (none: hints are ignored). */
  topology?: NodeTopology;
}

/** One map or set element of a service port: the container, its key, and (for maps) what follows the key. */
export interface NftElement {
  container: ElementContainer;
  key: string;
  /** ` comment "…" : verdict` for maps, '' for sets. */
  value: string;
}

/**
 * A pick-layout port's endpoints in one endpoint map, kept as one group rather than an element each (a full sync of
 * 10,000 Services holds 100,000 of them): the elements "PREFIX . i : IPS[i] . PORTS[i]" for every index i.
 */
export interface NftEndpointGroup {
  container: EndpointMap;
  /** The key before the index: "ADDRESS . PORT", or "NODEPORT". */
  prefix: string;
  /** The endpoints' addresses and ports by index. */
  ips: readonly string[];
  ports: readonly number[];
}

/** The key of a group's element at `index`. */
export function groupKey(g: NftEndpointGroup, index: number): string {
  return `${g.prefix} . ${index}`;
}

/** The hairpin set's element for an endpoint address. */
export function hairpinKey(ip: string): string {
  return `${ip} . ${ip}`;
}

/** A group's elements, one by one (for text and tests). */
export function groupElements(g: NftEndpointGroup): NftElement[] {
  return g.ips.map((ip, i) => ({ container: g.container, key: groupKey(g, i), value: ` : ${ip} . ${g.ports[i]}` }));
}

export interface NftServicePort {
  svc: ServicePortInfo;
  /** The port's chains in write order, each with its rules (the text after `add rule ip kube-proxy CHAIN `). */
  chains: ReadonlyMap<string, string[]>;
  /** Affinity sets by name, with their timeout in seconds. */
  affinitySets: ReadonlyMap<string, number>;
  elements: NftElement[];
  /** Its endpoints in the pick layout's endpoint maps. */
  endpointGroups: NftEndpointGroup[];
  /** The endpoint addresses whose pairs belong in the hairpin set (pick layout; shared by every port using one). */
  hairpin: readonly string[];
  /** Shared pick chains the elements lead to (pick layout), by name, with their rules. */
  picks: ReadonlyMap<string, readonly string[]>;
  /** The chains' commands (add, flush, rules), joined once: what a sync writing this port sends. */
  text: string;
  ruleCount: number;
  /** Every endpoint of the port (usable or not). */
  totalEndpoints: number;
}

const CHAIN_NAME_BASE_MAX = 240;

/** upstream's hashAndTruncate: 8 base32 characters of sha256(name), a dash, the name; at most 240 characters. */
export function hashAndTruncate(name: string): string {
  const out = `${hash16(name).slice(0, 8)}-${name}`;
  return out.length > CHAIN_NAME_BASE_MAX ? `${out.slice(0, CHAIN_NAME_BASE_MAX - 3)}...` : out;
}

export interface NftServicePortNames {
  cluster: string;
  local: string;
  external: string;
  firewall: string;
}

/** "ns/name/proto/port" as upstream's servicePortChainNameBase spells it, hashed. */
export function nftServicePortChains(svc: Pick<ServicePortInfo, 'serviceKey' | 'portName' | 'protocol'>): NftServicePortNames {
  const base = hashAndTruncate(`${svc.serviceKey}/${svc.protocol.toLowerCase()}/${svc.portName}`);
  return { cluster: `service-${base}`, local: `local-${base}`, external: `external-${base}`, firewall: `firewall-${base}` };
}

/** The endpoint chain and affinity set names of one endpoint ("ip:port") of a service port. */
export function nftEndpointNames(svc: Pick<ServicePortInfo, 'serviceKey' | 'portName' | 'protocol'>, ep: Pick<EndpointInfo, 'ip' | 'port'>): { chain: string; affinitySet: string } {
  const base = hashAndTruncate(`${svc.serviceKey}/${svc.protocol.toLowerCase()}/${svc.portName}__${ep.ip}/${ep.port}`);
  return { chain: `endpoint-${base}`, affinitySet: `affinity-${base}` };
}

/** The shared chains pick-layout ports jump to (pick-cluster-tcp-3, …). */
export function isPickChain(chain: string): boolean {
  return chain.startsWith('pick-');
}

/** Per-service chains all hold a slash; the fixed ones never do (upstream's isServiceChainName). */
export function isNftServiceChain(chain: string): boolean {
  return chain.includes('/');
}

export function isAffinitySet(set: string): boolean {
  return set.startsWith('affinity-');
}

/** The key and value of an element as it is written inside `{ … }`. */
export function elementText(e: NftElement): string {
  return `${e.key}${e.value}`;
}

/** The rules of one service port given its endpoints (all of them, from every node). */
export function nftServicePort(svc: ServicePortInfo, endpoints: readonly EndpointInfo[], ctx: NftContext): NftServicePort {
  const proto = lowerProtocol(svc.protocol);
  const pickLayout = usesPickLayout(svc);
  // Pick-layout ports have no chains of their own: no names to hash.
  const names = pickLayout ? { cluster: '', local: '', external: '', firewall: '' } : nftServicePortChains(svc);
  const { cluster: clusterEndpoints, local: localEndpoints, reachable, hasAny: hasEndpoints } = categorizeEndpoints(endpoints, svc, ctx.topology);
  const accessible = externallyAccessible(svc);
  const usesClusterChain = clusterEndpoints.length > 0 && (!svc.internalPolicyLocal || accessible);
  const usesLocalChain = localEndpoints.length > 0 && (svc.internalPolicyLocal || (svc.externalPolicyLocal && accessible));

  let internalChain = names.cluster;
  let hasInternalEndpoints = hasEndpoints;
  if (svc.internalPolicyLocal) {
    internalChain = names.local;
    if (localEndpoints.length === 0) hasInternalEndpoints = false;
  }
  let externalPolicyChain = names.cluster;
  let hasExternalEndpoints = hasEndpoints;
  if (svc.externalPolicyLocal) {
    externalPolicyChain = names.local;
    if (localEndpoints.length === 0) hasExternalEndpoints = false;
  }
  const usesExternalChain = hasEndpoints && accessible;
  const usesFWChain = svc.loadBalancerVIPs.length > 0 && svc.loadBalancerSourceRanges.length > 0;

  let internalVerdict = '';
  let externalVerdict = '';
  if (!hasEndpoints) {
    internalVerdict = externalVerdict = `goto ${REJECT_CHAIN}`;
  } else {
    if (!hasInternalEndpoints) internalVerdict = 'drop';
    if (!hasExternalEndpoints) externalVerdict = 'drop';
  }

  const elements: NftElement[] = [];
  const comment = ` comment "${svc.name}"`;
  if (pickLayout) {
    const internalEndpoints = svc.internalPolicyLocal ? localEndpoints : clusterEndpoints;
    return pickServicePort(svc, { internalEndpoints, clusterEndpoints, reachable, hasEndpoints, hasInternalEndpoints, internalVerdict, externalVerdict }, ctx, endpoints.length);
  }
  const ipKey = (ip: string) => `${ip} . ${proto} . ${svc.port}`;
  const nodePortKey = `${proto} . ${svc.nodePort}`;
  const dispatch = (container: ElementContainer, key: string, verdict: string, withComment = false) =>
    elements.push({ container, key, value: `${withComment ? comment : ''} : ${verdict}` });

  elements.push({ container: CLUSTER_IPS_SET, key: svc.clusterIP, value: '' });
  if (hasInternalEndpoints) dispatch(SERVICE_IPS_MAP, ipKey(svc.clusterIP), `goto ${internalChain}`);
  else dispatch(NO_ENDPOINT_SERVICES_MAP, ipKey(svc.clusterIP), internalVerdict, true);

  for (const ip of svc.externalIPs) {
    if (hasEndpoints) dispatch(SERVICE_IPS_MAP, ipKey(ip), `goto ${names.external}`);
    if (!hasExternalEndpoints) dispatch(NO_ENDPOINT_SERVICES_MAP, ipKey(ip), externalVerdict, true);
  }
  for (const ip of svc.loadBalancerVIPs) {
    if (hasEndpoints) dispatch(SERVICE_IPS_MAP, ipKey(ip), `goto ${names.external}`);
    if (usesFWChain) dispatch(FIREWALL_IPS_MAP, ipKey(ip), `goto ${names.firewall}`, true);
  }
  if (!hasExternalEndpoints) for (const ip of svc.loadBalancerVIPs) dispatch(NO_ENDPOINT_SERVICES_MAP, ipKey(ip), externalVerdict, true);
  if (svc.nodePort !== 0) {
    if (hasEndpoints) dispatch(SERVICE_NODEPORTS_MAP, nodePortKey, `goto ${names.external}`);
    if (!hasExternalEndpoints) dispatch(NO_ENDPOINT_NODEPORTS_MAP, nodePortKey, externalVerdict, true);
  }

  const chains = new Map<string, string[]>();
  const rulesOf = (chain: string) => {
    let rules = chains.get(chain);
    if (!rules) chains.set(chain, (rules = []));
    return rules;
  };
  const affinitySets = new Map<string, number>();
  const epNames = new Map<string, { chain: string; affinitySet: string }>();
  for (const ep of reachable) {
    const n = nftEndpointNames(svc, ep);
    epNames.set(ep.endpoint, n);
    if (svc.sessionAffinityClientIP) affinitySets.set(n.affinitySet, svc.stickyMaxAgeSeconds);
  }

  const writeEndpointJumps = (chain: string, eps: readonly EndpointInfo[]) => {
    const rules = rulesOf(chain);
    if (chain === internalChain && hasInternalEndpoints) {
      if (ctx.masqueradeAll) rules.push(`ip daddr ${svc.clusterIP} jump ${MARK_MASQ_CHAIN}`);
      else if (ctx.clusterCIDR) rules.push(`ip daddr ${svc.clusterIP} ip saddr != ${ctx.clusterCIDR} jump ${MARK_MASQ_CHAIN}`);
    }
    if (svc.sessionAffinityClientIP) {
      for (const ep of eps) rules.push(`ip saddr @${epNames.get(ep.endpoint)!.affinitySet} goto ${epNames.get(ep.endpoint)!.chain}`);
    }
    const vmap = eps.map((ep, i) => `${i} : goto ${epNames.get(ep.endpoint)!.chain}`).join(' , ');
    rules.push(`numgen random mod ${eps.length} vmap { ${vmap} }`);
  };
  if (usesClusterChain) writeEndpointJumps(names.cluster, clusterEndpoints);
  if (usesLocalChain) writeEndpointJumps(names.local, localEndpoints);

  if (usesExternalChain) {
    const rules = rulesOf(names.external);
    if (!svc.externalPolicyLocal) {
      rules.push(`jump ${MARK_MASQ_CHAIN}`);
    } else {
      if (ctx.clusterCIDR) rules.push(`ip saddr ${ctx.clusterCIDR} goto ${names.cluster} comment "short-circuit pod traffic"`);
      rules.push(`fib saddr type local jump ${MARK_MASQ_CHAIN} comment "masquerade local traffic"`);
      rules.push(`fib saddr type local goto ${names.cluster} comment "short-circuit local traffic"`);
    }
    if (hasExternalEndpoints) rules.push(`goto ${externalPolicyChain}`);
  }

  if (usesFWChain) {
    const sources = [...svc.loadBalancerSourceRanges];
    if (ctx.nodeIPs.some((ip) => svc.loadBalancerSourceRanges.some((cidr) => cidrContains(cidr, ip)))) sources.push(...svc.loadBalancerVIPs);
    rulesOf(names.firewall).push(`ip saddr != { ${sources.join(', ')} } drop`);
  }

  for (const ep of reachable) {
    const n = epNames.get(ep.endpoint)!;
    const rules = rulesOf(n.chain);
    rules.push(`ip saddr ${ep.ip} jump ${MARK_MASQ_CHAIN}`);
    if (svc.sessionAffinityClientIP) rules.push(`update @${n.affinitySet} { ip saddr }`);
    rules.push(`meta l4proto ${proto} dnat to ${ep.endpoint}`);
  }

  // Endpoint chains first: the chains before them jump there, and nft wants a chain to exist before a jump to it.
  const ordered = new Map<string, string[]>();
  for (const [chain, rules] of chains) if (chain.startsWith('endpoint-')) ordered.set(chain, rules);
  for (const [chain, rules] of chains) if (!chain.startsWith('endpoint-')) ordered.set(chain, rules);
  const text: string[] = [];
  let ruleCount = 0;
  for (const [chain, rules] of ordered) {
    text.push(`add chain ${T} ${chain}`, `flush chain ${T} ${chain}`);
    for (const r of rules) text.push(`add rule ${T} ${chain} ${r}`);
    ruleCount += rules.length;
  }
  return { svc, chains: ordered, affinitySets, elements, endpointGroups: [], hairpin: [], picks: new Map(), text: text.join('\n'), ruleCount, totalEndpoints: endpoints.length };
}

/** Ports the pick layout serves: every one without per-client state, Local external policy or source ranges. */
export function usesPickLayout(svc: ServicePortInfo): boolean {
  const firewalled = svc.loadBalancerVIPs.length > 0 && svc.loadBalancerSourceRanges.length > 0;
  return !svc.sessionAffinityClientIP && !svc.externalPolicyLocal && !firewalled;
}

export function pickChainName(kind: PickKind, protocol: string, endpoints: number): string {
  return `pick-${kind}-${protocol.toLowerCase()}-${endpoints}`;
}

/**
 * A shared pick chain's rules: the masquerade upstream's service (cluster) or external chain does, then one DNAT to
 * the endpoint the lookup of destination (or NodePort) and a random index in 0..n-1 finds.
 */
export function pickChainRules(kind: PickKind, protocol: string, n: number, ctx: NftContext): string[] {
  const rules: string[] = [];
  if (kind !== 'cluster' || ctx.masqueradeAll) rules.push(`jump ${MARK_MASQ_CHAIN}`);
  else if (ctx.clusterCIDR) rules.push(`ip saddr != ${ctx.clusterCIDR} jump ${MARK_MASQ_CHAIN}`);
  const proto = protocol.toLowerCase();
  const key = kind === 'nodeport' ? `${proto} dport` : `ip daddr . ${proto} dport`;
  rules.push(`meta l4proto ${proto} dnat ip to ${key} . numgen random mod ${n} map @${endpointMap(kind, proto)}`);
  return rules;
}

interface PickInputs {
  internalEndpoints: readonly EndpointInfo[];
  clusterEndpoints: readonly EndpointInfo[];
  reachable: readonly EndpointInfo[];
  hasEndpoints: boolean;
  hasInternalEndpoints: boolean;
  internalVerdict: string;
  externalVerdict: string;
}

const NO_CHAINS: ReadonlyMap<string, string[]> = new Map();
const NO_SETS: ReadonlyMap<string, number> = new Map();

/**
 * What every pick-layout port holds is shared where it can be: a full sync of 10,000 Services keeps all of them, and
 * what it keeps, the garbage collector copies. Per context: the pick-chain maps (by their chains' names), each pick
 * chain's rules and its dispatch value (by chain).
 */
interface PickShared {
  picks: Map<string, ReadonlyMap<string, readonly string[]>>;
  chains: Map<string, { rules: readonly string[]; verdict: string }>;
}
const pickShared = new WeakMap<NftContext, PickShared>();

/** Fields joined into one key: join makes one flat string, a template a tree of pieces kept alive with the key. */
function joinFields(...fields: (string | number)[]): string {
  return fields.join(' . ');
}

/** What pickServicePort builds up for one port; its arrays are reused from port to port (what is kept is copied out). */
interface PickParts {
  shared: PickShared;
  ctx: NftContext;
  proto: string;
  elements: NftElement[];
  groups: NftEndpointGroup[];
  /** The pick chains used, by name. */
  chains: string[];
}
const pickParts: Omit<PickParts, 'shared' | 'ctx' | 'proto'> = { elements: [], groups: [], chains: [] };

/** A dispatch element leading to the shared pick chain for `eps`, and the port's endpoint group there. */
function addPick(parts: PickParts, kind: PickKind, eps: readonly EndpointInfo[], prefix: string, dispatchMap: ElementContainer, dispatchKey: string): void {
  const name = pickChainName(kind, parts.proto, eps.length);
  let chain = parts.shared.chains.get(name);
  if (!chain) parts.shared.chains.set(name, (chain = { rules: pickChainRules(kind, parts.proto, eps.length, parts.ctx), verdict: ` : goto ${name}` }));
  parts.chains.push(name);
  parts.elements.push({ container: dispatchMap, key: dispatchKey, value: chain.verdict });
  // Made to their length (map): arrays grown by push keep room for 17, and every group is kept.
  parts.groups.push({ container: endpointMap(kind, parts.proto), prefix, ips: eps.map((ep) => ep.ip), ports: eps.map((ep) => ep.port) });
}

/** An external IP or load-balancer VIP: to the external pick chain, or (`external` null) to no-endpoint-services. */
function addExternalIP(parts: PickParts, svc: ServicePortInfo, ip: string, external: readonly EndpointInfo[] | null, verdict: string): void {
  const key = joinFields(ip, parts.proto, svc.port);
  if (external) addPick(parts, 'external', external, joinFields(ip, svc.port), SERVICE_IPS_MAP, key);
  else parts.elements.push({ container: NO_ENDPOINT_SERVICES_MAP, key, value: noEndpointsValue(svc, verdict) });
}

const canHairpin = (ep: EndpointInfo) => ep.isLocal || ep.nodeName === '';

/** A no-endpoints map element's value: the port's name as comment, then reject or drop. */
function noEndpointsValue(svc: ServicePortInfo, verdict: string): string {
  return ` comment "${svc.name}" : ${verdict || 'drop'}`;
}

/** A port in the pick layout: elements only (dispatch, endpoints, hairpin pairs), and the pick chains they lead to. */
function pickServicePort(svc: ServicePortInfo, inputs: PickInputs, ctx: NftContext, totalEndpoints: number): NftServicePort {
  let shared = pickShared.get(ctx);
  if (!shared) pickShared.set(ctx, (shared = { picks: new Map(), chains: new Map() }));
  const proto = lowerProtocol(svc.protocol);
  const parts: PickParts = { shared, ctx, proto, ...pickParts };
  parts.elements.length = parts.groups.length = parts.chains.length = 0;
  parts.elements.push({ container: CLUSTER_IPS_SET, key: svc.clusterIP, value: '' });
  const external = inputs.clusterEndpoints;
  const externalReachable = inputs.hasEndpoints && external.length > 0;

  const clusterKey = joinFields(svc.clusterIP, proto, svc.port);
  if (inputs.hasInternalEndpoints && inputs.internalEndpoints.length > 0) {
    addPick(parts, 'cluster', inputs.internalEndpoints, joinFields(svc.clusterIP, svc.port), SERVICE_IPS_MAP, clusterKey);
  } else {
    parts.elements.push({ container: NO_ENDPOINT_SERVICES_MAP, key: clusterKey, value: noEndpointsValue(svc, inputs.internalVerdict) });
  }
  for (const ip of svc.externalIPs) addExternalIP(parts, svc, ip, externalReachable ? external : null, inputs.externalVerdict);
  for (const ip of svc.loadBalancerVIPs) addExternalIP(parts, svc, ip, externalReachable ? external : null, inputs.externalVerdict);
  if (svc.nodePort !== 0) {
    const key = joinFields(proto, svc.nodePort);
    if (externalReachable) addPick(parts, 'nodeport', external, String(svc.nodePort), SERVICE_NODEPORTS_MAP, key);
    else parts.elements.push({ container: NO_ENDPOINT_NODEPORTS_MAP, key, value: noEndpointsValue(svc, inputs.externalVerdict) });
  }
  // Only this node's endpoints (and those of no known node) can reach themselves through its rules: another node's
  // pod has its own node DNAT its ClusterIP traffic, and the external paths masquerade every client anyway.
  const hairpin = inputs.reachable.filter(canHairpin).map((ep) => ep.ip);
  const picksKey = parts.chains.length === 1 ? parts.chains[0]! : parts.chains.join(',');
  let picks = shared.picks.get(picksKey);
  if (!picks) shared.picks.set(picksKey, (picks = new Map(parts.chains.map((c) => [c, shared.chains.get(c)!.rules]))));
  // Copied out of the reused arrays, to their length: every port is kept.
  return { svc, chains: NO_CHAINS, affinitySets: NO_SETS, elements: parts.elements.slice(), endpointGroups: parts.groups.slice(), hairpin, picks, text: '', ruleCount: 0, totalEndpoints };
}

/** `add set` for an affinity set (idempotent while the timeout stays the same). */
export function affinitySetLine(name: string, timeoutSeconds: number): string {
  return `add set ${T} ${name} { type ipv4_addr ; flags dynamic,timeout ; timeout ${timeoutSeconds}s ; }`;
}

const BASE_CHAINS = [
  ['filter-prerouting-pre-dnat', 'filter', 'prerouting', -110],
  ['filter-output-pre-dnat', 'filter', 'output', -110],
  ['filter-forward', 'filter', 'forward', 0],
  ['filter-input', 'filter', 'input', 0],
  ['filter-output', 'filter', 'output', 0],
  ['nat-output', 'nat', 'output', -100],
  ['nat-postrouting', 'nat', 'postrouting', 100],
  ['nat-prerouting', 'nat', 'prerouting', -100],
] as const;

export const BASE_CHAIN_NAMES: readonly string[] = BASE_CHAINS.map(([name]) => name);

/**
 * The table, its base chains, helper chains, sets and maps, created (or kept) and their fixed rules rewritten: what
 * upstream's setupNFTables puts at the head of every full sync. Service port elements are not included.
 */
export function nftBaseScript(ctx: NftContext): string[] {
  const lines = [`add table ${T} { comment "rules for kube-proxy" ; }`];
  const ipv4 = 'ipv4_addr';
  lines.push(
    `add set ${T} ${CLUSTER_IPS_SET} { type ${ipv4} ; comment "Active ClusterIPs" ; }`,
    `add map ${T} ${FIREWALL_IPS_MAP} { type ${ipv4} . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }`,
    `add map ${T} ${NO_ENDPOINT_NODEPORTS_MAP} { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`,
    `add map ${T} ${NO_ENDPOINT_SERVICES_MAP} { type ${ipv4} . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`,
    `add map ${T} ${SERVICE_IPS_MAP} { type ${ipv4} . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`,
    `add map ${T} ${SERVICE_NODEPORTS_MAP} { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`,
    `add set ${T} ${HAIRPIN_SET} { type ${ipv4} . ${ipv4} ; comment "endpoint pairs: traffic an endpoint sends itself through a Service" ; }`,
  );
  for (const map of ENDPOINT_MAPS) {
    const [proto, kind] = map.split('-') as [string, string];
    const key = kind === 'nodeport' ? `${proto} dport` : `ip daddr . ${proto} dport`;
    lines.push(`add map ${T} ${map} { typeof ${key} . numgen random mod 1 : ip daddr . ${proto} dport ; comment "${proto} endpoints by ${kind === 'nodeport' ? 'NodePort' : 'service address, port'} and index" ; }`);
  }
  for (const [name, type, hook, priority] of BASE_CHAINS) lines.push(`add chain ${T} ${name} { type ${type} hook ${hook} priority ${priority} ; }`, `flush chain ${T} ${name}`);
  const regular = [CLUSTER_IPS_CHECK_CHAIN, FIREWALL_CHECK_CHAIN, MARK_MASQ_CHAIN, MASQUERADING_CHAIN, NODEPORT_ENDPOINTS_CHECK_CHAIN, SERVICES_CHAIN, SERVICE_ENDPOINTS_CHECK_CHAIN];
  if (ctx.localhostNodePorts) regular.push(LOCALNET_CHECK_CHAIN);
  for (const name of regular) lines.push(`add chain ${T} ${name}`, `flush chain ${T} ${name}`);
  lines.push(`add chain ${T} ${REJECT_CHAIN} { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }`, `flush chain ${T} ${REJECT_CHAIN}`);

  const rule = (chain: string, text: string) => lines.push(`add rule ${T} ${chain} ${text}`);
  rule(CLUSTER_IPS_CHECK_CHAIN, `ip daddr @${CLUSTER_IPS_SET} reject comment "Reject traffic to invalid ports of ClusterIPs"`);
  if (ctx.serviceCIDRs.length) rule(CLUSTER_IPS_CHECK_CHAIN, `ip daddr { ${ctx.serviceCIDRs.join(', ')} } drop comment "Drop traffic to unallocated ClusterIPs"`);
  rule('filter-prerouting-pre-dnat', `ct state new jump ${FIREWALL_CHECK_CHAIN}`);
  rule('filter-forward', `ct state new jump ${SERVICE_ENDPOINTS_CHECK_CHAIN}`);
  rule('filter-forward', `ct state new jump ${CLUSTER_IPS_CHECK_CHAIN}`);
  rule('filter-input', `ct state new jump ${NODEPORT_ENDPOINTS_CHECK_CHAIN}`);
  rule('filter-input', `ct state new jump ${SERVICE_ENDPOINTS_CHECK_CHAIN}`);
  if (ctx.localhostNodePorts) rule('filter-input', `jump ${LOCALNET_CHECK_CHAIN}`);
  rule('filter-output', `ct state new jump ${SERVICE_ENDPOINTS_CHECK_CHAIN}`);
  rule('filter-output-pre-dnat', `ct state new jump ${FIREWALL_CHECK_CHAIN}`);
  rule('filter-output', `ct state new jump ${CLUSTER_IPS_CHECK_CHAIN}`);
  if (ctx.localhostNodePorts) rule('filter-output', `jump ${LOCALNET_CHECK_CHAIN}`);
  rule(FIREWALL_CHECK_CHAIN, `ip daddr . meta l4proto . th dport vmap @${FIREWALL_IPS_MAP}`);
  if (ctx.localhostNodePorts) {
    // route_localnet=1 opens 127.0.0.0/8 to the network (https://issue.k8s.io/90259); this closes it again, letting
    // through only connections this table DNATed (NodePorts on 127.0.0.1) and their replies.
    rule(
      LOCALNET_CHECK_CHAIN,
      'ip daddr 127.0.0.0/8 ip saddr != 127.0.0.0/8 ct state != { established, related } ct status & dnat == 0 drop comment "block incoming localnet connections"',
    );
  }
  rule(MARK_MASQ_CHAIN, `mark set mark or ${ctx.masqueradeMark}`);
  rule(MASQUERADING_CHAIN, `mark and ${ctx.masqueradeMark} == 0 return`);
  rule(MASQUERADING_CHAIN, `mark set mark xor ${ctx.masqueradeMark}`);
  rule(MASQUERADING_CHAIN, 'masquerade fully-random');
  rule('nat-output', `jump ${SERVICES_CHAIN}`);
  rule('nat-postrouting', `ct status dnat ip saddr . ip daddr @${HAIRPIN_SET} jump ${MARK_MASQ_CHAIN} comment "hairpin"`);
  rule('nat-postrouting', `jump ${MASQUERADING_CHAIN}`);
  rule('nat-prerouting', `jump ${SERVICES_CHAIN}`);
  const notLocalhost = ctx.localhostNodePorts ? '' : ' ip daddr != 127.0.0.0/8';
  rule(NODEPORT_ENDPOINTS_CHECK_CHAIN, `fib daddr type local${notLocalhost} meta l4proto . th dport vmap @${NO_ENDPOINT_NODEPORTS_MAP}`);
  rule(REJECT_CHAIN, 'reject');
  rule(SERVICES_CHAIN, `ip daddr . meta l4proto . th dport vmap @${SERVICE_IPS_MAP}`);
  rule(SERVICES_CHAIN, `fib daddr type local${notLocalhost} meta l4proto . th dport vmap @${SERVICE_NODEPORTS_MAP}`);
  rule(SERVICE_ENDPOINTS_CHECK_CHAIN, `ip daddr . meta l4proto . th dport vmap @${NO_ENDPOINT_SERVICES_MAP}`);
  return lines;
}
