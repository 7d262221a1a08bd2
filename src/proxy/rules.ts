// The rules of one service port, as upstream's syncProxyRules writes them (pkg/proxy/iptables/proxier.go): the capture
// rules it adds to the top-level chains, and its own chains (KUBE-SVC/SVL/EXT/FW/SEP) with their rules in order.
// Pure: text in, text out; every line is an iptables-restore "-A CHAIN …" line.
import {
  chainLine,
  endpointChain,
  KUBE_EXTERNAL_SERVICES,
  KUBE_FIREWALL,
  KUBE_FORWARD,
  KUBE_MARK_MASQ,
  KUBE_NODEPORTS,
  KUBE_POSTROUTING,
  KUBE_PROXY_FIREWALL,
  KUBE_SERVICES,
  servicePortChains,
  type ServicePortChains,
} from './chains.ts';
import { cidrContains, externallyAccessible, type EndpointInfo, type ServicePortInfo } from './model.ts';
import { categorizeEndpoints, type NodeTopology } from './topology.ts';

export interface RuleContext {
  /** The pod network; traffic from it counts as local (upstream's detect-local-mode ClusterCIDR). */
  clusterCIDR?: string | undefined;
  /** The node's own addresses (for loadBalancerSourceRanges that include the node). */
  nodeIPs: readonly string[];
  /** Mark for traffic needing SNAT: 0x4000 (bit 14, upstream's default). */
  masqueradeMark: string;
  masqueradeAll: boolean;
  /** NodePorts answer on 127.0.0.1 too (route_localnet=1), as upstream's default. */
  localhostNodePorts: boolean;
  /** Drop per-endpoint comments once there are more than 1000 endpoints, as upstream does, to keep the rules small. */
  largeClusterMode: boolean;
  /** nf_conntrack_tcp_be_liberal is set, so INVALID packets need no DROP rule. */
  conntrackTCPLiberal: boolean;
  /** MASQUERADE --random-fully (iptables ≥ 1.6.2). */
  randomFully: boolean;
  /** This node, for topology hints (none: hints are ignored). */
  topology?: NodeTopology;
}

/** Lines a service port adds to the top-level chains, by table and chain. */
export interface TopLevelLines {
  natServices: string[];
  natNodePorts: string[];
  filterServices: string[];
  filterExternal: string[];
  filterNodePorts: string[];
  filterFirewall: string[];
}

export interface ServicePortRules extends TopLevelLines {
  svc: ServicePortInfo;
  chains: ServicePortChains;
  /** The port's own nat chains, in write order (endpoint chains before the chains that jump to them). */
  natChainNames: string[];
  /**
   * Those chains as iptables-restore lines, each declared and then filled (parseNatChains reads them back). Kept as one
   * string: at 10,000 Services a sync holds 330,000 rules, and one string per port costs far less memory and GC.
   */
  natText: string;
  natRuleCount: number;
  /** Endpoints written as KUBE-SEP chains. */
  endpointCount: number;
  /** Every endpoint of the port, usable or not (what upstream counts for large-cluster mode). */
  totalEndpoints: number;
  noLocalEndpointsInternal: boolean;
  noLocalEndpointsExternal: boolean;
}

const q = (s: string) => `"${s}"`;

const probabilities: string[] = [];

/** upstream's "%0.10f" of 1/n, cached as upstream does (formatting floats is not free at 100,000 rules). */
function probability(n: number): string {
  return (probabilities[n] ??= (1 / n).toFixed(10));
}

function ifLocal(ctx: RuleContext): string | undefined {
  return ctx.clusterCIDR ? `-s ${ctx.clusterCIDR}` : undefined;
}

function ifNotLocal(ctx: RuleContext): string | undefined {
  return ctx.clusterCIDR ? `! -s ${ctx.clusterCIDR}` : undefined;
}

/** The rules of one service port given its endpoints (all of them, from every node). */
export function servicePortRules(svc: ServicePortInfo, endpoints: readonly EndpointInfo[], ctx: RuleContext): ServicePortRules {
  const proto = svc.protocol.toLowerCase();
  const name = svc.name;
  const chains = servicePortChains(name, svc.protocol);
  const { cluster: clusterEndpoints, local: localEndpoints, reachable, hasAny: hasEndpoints } = categorizeEndpoints(endpoints, svc, ctx.topology);
  const accessible = externallyAccessible(svc);
  const usesClusterChain = clusterEndpoints.length > 0 && (!svc.internalPolicyLocal || accessible);
  const usesLocalChain = localEndpoints.length > 0 && (svc.internalPolicyLocal || (svc.externalPolicyLocal && accessible));

  let internalChain = chains.cluster;
  let hasInternalEndpoints = hasEndpoints;
  if (svc.internalPolicyLocal) {
    internalChain = chains.local;
    if (localEndpoints.length === 0) hasInternalEndpoints = false;
  }
  let externalPolicyChain = chains.cluster;
  let hasExternalEndpoints = hasEndpoints;
  if (svc.externalPolicyLocal) {
    externalPolicyChain = chains.local;
    if (localEndpoints.length === 0) hasExternalEndpoints = false;
  }
  const externalChain = chains.external;
  const usesExternalChain = hasEndpoints && accessible;
  const usesFWChain = hasEndpoints && svc.loadBalancerVIPs.length > 0 && svc.loadBalancerSourceRanges.length > 0;
  const loadBalancerChain = usesFWChain ? chains.firewall : externalChain;

  let internalFilterTarget = '';
  let internalFilterComment = '';
  let externalFilterTarget = '';
  let externalFilterComment = '';
  if (!hasEndpoints) {
    internalFilterTarget = externalFilterTarget = 'REJECT';
    internalFilterComment = externalFilterComment = q(`${name} has no endpoints`);
  } else {
    if (!hasInternalEndpoints) {
      internalFilterTarget = 'DROP';
      internalFilterComment = q(`${name} has no local endpoints`);
    }
    if (!hasExternalEndpoints) {
      externalFilterTarget = 'DROP';
      externalFilterComment = q(`${name} has no local endpoints`);
    }
  }

  const out: ServicePortRules = {
    svc,
    chains,
    natChainNames: [],
    natText: '',
    natRuleCount: 0,
    natServices: [],
    natNodePorts: [],
    filterServices: [],
    filterExternal: [],
    filterNodePorts: [],
    filterFirewall: [],
    endpointCount: 0,
    totalEndpoints: endpoints.length,
    noLocalEndpointsInternal: hasEndpoints && !hasInternalEndpoints,
    noLocalEndpointsExternal: hasEndpoints && !hasExternalEndpoints,
  };
  const match = (ip: string, port: number) => `-m ${proto} -p ${proto} -d ${ip} --dport ${port}`;

  // Capture the cluster IP.
  if (hasInternalEndpoints) {
    out.natServices.push(`-A ${KUBE_SERVICES} -m comment --comment ${q(`${name} cluster IP`)} ${match(svc.clusterIP, svc.port)} -j ${internalChain}`);
  } else {
    out.filterServices.push(`-A ${KUBE_SERVICES} -m comment --comment ${internalFilterComment} ${match(svc.clusterIP, svc.port)} -j ${internalFilterTarget}`);
  }

  // Capture external IPs.
  for (const ip of svc.externalIPs) {
    if (hasEndpoints) out.natServices.push(`-A ${KUBE_SERVICES} -m comment --comment ${q(`${name} external IP`)} ${match(ip, svc.port)} -j ${externalChain}`);
    if (!hasExternalEndpoints) {
      out.filterExternal.push(`-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${externalFilterComment} ${match(ip, svc.port)} -j ${externalFilterTarget}`);
    }
  }

  // Capture load-balancer ingress IPs.
  for (const ip of svc.loadBalancerVIPs) {
    if (hasEndpoints) out.natServices.push(`-A ${KUBE_SERVICES} -m comment --comment ${q(`${name} loadbalancer IP`)} ${match(ip, svc.port)} -j ${loadBalancerChain}`);
    if (usesFWChain) {
      out.filterFirewall.push(
        `-A ${KUBE_PROXY_FIREWALL} -m comment --comment ${q(`${name} traffic not accepted by ${chains.firewall}`)} ${match(ip, svc.port)} -j DROP`,
      );
    }
  }
  if (!hasExternalEndpoints) {
    for (const ip of svc.loadBalancerVIPs) {
      out.filterExternal.push(`-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${externalFilterComment} ${match(ip, svc.port)} -j ${externalFilterTarget}`);
    }
  }

  // Capture node ports.
  if (svc.nodePort !== 0) {
    if (hasEndpoints) out.natNodePorts.push(`-A ${KUBE_NODEPORTS} -m comment --comment ${name} -m ${proto} -p ${proto} --dport ${svc.nodePort} -j ${externalChain}`);
    if (!hasExternalEndpoints) {
      out.filterExternal.push(
        `-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${externalFilterComment} -m addrtype --dst-type LOCAL -m ${proto} -p ${proto} --dport ${svc.nodePort} -j ${externalFilterTarget}`,
      );
    }
  }

  // Health check node ports are accepted whether or not this node has endpoints.
  if (svc.healthCheckNodePort !== 0) {
    out.filterNodePorts.push(
      `-A ${KUBE_NODEPORTS} -m comment --comment ${q(`${name} health check node port`)} -m tcp -p tcp --dport ${svc.healthCheckNodePort} -j ACCEPT`,
    );
  }

  const natChains = new Map<string, string[]>();
  const chainRules = (chain: string): string[] => {
    let rules = natChains.get(chain);
    if (!rules) natChains.set(chain, (rules = []));
    return rules;
  };
  const endpointRules: Array<[string, string[]]> = [];
  const sepOf = new Map<string, string>();

  // Endpoint chains come first in write order: the service chains jump to them.
  for (const ep of reachable) {
    const sep = endpointChain(name, svc.protocol, ep.endpoint);
    sepOf.set(ep.endpoint, sep);
    const comment = ctx.largeClusterMode ? '' : ` -m comment --comment ${name}`;
    const affinity = svc.sessionAffinityClientIP ? ` -m recent --name ${sep} --set` : '';
    endpointRules.push([
      sep,
      [`-A ${sep}${comment} -s ${ep.ip} -j ${KUBE_MARK_MASQ}`, `-A ${sep}${comment}${affinity} -m ${proto} -p ${proto} -j DNAT --to-destination ${ep.endpoint}`],
    ]);
  }
  out.endpointCount = endpointRules.length;

  // Internal traffic: masquerade what comes from off the cluster (or everything with masqueradeAll).
  const internalMasq: string[] = [];
  if (hasInternalEndpoints) {
    const base = `-A ${internalChain} -m comment --comment ${q(`${name} cluster IP`)} ${match(svc.clusterIP, svc.port)}`;
    if (ctx.masqueradeAll) internalMasq.push(`${base} -j ${KUBE_MARK_MASQ}`);
    else if (ifNotLocal(ctx)) internalMasq.push(`${base} ${ifNotLocal(ctx)} -j ${KUBE_MARK_MASQ}`);
  }

  const writeEndpointJumps = (chain: string, eps: readonly EndpointInfo[]) => {
    const rules = chainRules(chain);
    if (chain === internalChain) rules.push(...internalMasq);
    const comment = (ep: EndpointInfo) => (ctx.largeClusterMode ? '' : ` -m comment --comment ${q(`${name} -> ${ep.endpoint}`)}`);
    if (svc.sessionAffinityClientIP) {
      for (const ep of eps) {
        const sep = sepOf.get(ep.endpoint)!;
        rules.push(`-A ${chain}${comment(ep)} -m recent --name ${sep} --rcheck --seconds ${svc.stickyMaxAgeSeconds} --reap -j ${sep}`);
      }
    }
    eps.forEach((ep, i) => {
      const sep = sepOf.get(ep.endpoint)!;
      const stat = i < eps.length - 1 ? ` -m statistic --mode random --probability ${probability(eps.length - i)}` : '';
      rules.push(`-A ${chain}${comment(ep)}${stat} -j ${sep}`);
    });
  };
  if (usesClusterChain) writeEndpointJumps(chains.cluster, clusterEndpoints);
  if (usesLocalChain) writeEndpointJumps(chains.local, localEndpoints);

  // External traffic: NodePort, external IPs and load-balancer IPs.
  if (usesExternalChain) {
    const rules = chainRules(externalChain);
    if (!svc.externalPolicyLocal) {
      rules.push(`-A ${externalChain} -m comment --comment ${q(`masquerade traffic for ${name} external destinations`)} -j ${KUBE_MARK_MASQ}`);
    } else {
      const local = ifLocal(ctx);
      if (local) rules.push(`-A ${externalChain} -m comment --comment ${q(`pod traffic for ${name} external destinations`)} ${local} -j ${chains.cluster}`);
      rules.push(`-A ${externalChain} -m comment --comment ${q(`masquerade LOCAL traffic for ${name} external destinations`)} -m addrtype --src-type LOCAL -j ${KUBE_MARK_MASQ}`);
      rules.push(`-A ${externalChain} -m comment --comment ${q(`route LOCAL traffic for ${name} external destinations`)} -m addrtype --src-type LOCAL -j ${chains.cluster}`);
    }
    if (hasExternalEndpoints) rules.push(`-A ${externalChain} -j ${externalPolicyChain}`);
  }

  // loadBalancerSourceRanges.
  if (usesFWChain) {
    const rules = chainRules(chains.firewall);
    const head = `-A ${chains.firewall} -m comment --comment ${q(`${name} loadbalancer IP`)}`;
    let allowFromNode = false;
    for (const cidr of svc.loadBalancerSourceRanges) {
      rules.push(`${head} -s ${cidr} -j ${externalChain}`);
      if (ctx.nodeIPs.some((ip) => cidrContains(cidr, ip))) allowFromNode = true;
    }
    if (allowFromNode) for (const ip of svc.loadBalancerVIPs) rules.push(`${head} -s ${ip} -j ${externalChain}`);
    rules.push(`-A ${chains.firewall} -m comment --comment ${q(`other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL`)}`);
  }

  // Order the port's chains so that every chain is written after the chains it jumps to.
  const ordered: Array<[string, string[]]> = [...endpointRules];
  for (const chain of [chains.cluster, chains.local, chains.external, chains.firewall]) {
    const rules = natChains.get(chain);
    if (rules) ordered.push([chain, rules]);
  }
  const text: string[] = [];
  for (const [chain, rules] of ordered) {
    out.natChainNames.push(chain);
    text.push(chainLine(chain));
    for (const r of rules) text.push(r);
    out.natRuleCount += rules.length;
  }
  out.natText = text.join('\n');
  return out;
}

/** The chains and rules (each a whole "-A CHAIN …" line) of a port's natText, in order. */
export function parseNatChains(natText: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of natText ? natText.split('\n') : []) {
    if (line.startsWith(':')) out.set(line.slice(1, line.indexOf(' ')), (current = []));
    else current?.push(line);
  }
  return out;
}

/** The fixed rules of the top-level chains (those not belonging to any service). */
export interface FixedRules {
  filterChains: string[];
  filter: string[];
  natChains: string[];
  nat: string[];
  /** The last rule of nat KUBE-SERVICES: anything addressed to this node goes on to KUBE-NODEPORTS. */
  natServicesLast: string;
}

export function fixedRules(ctx: RuleContext): FixedRules {
  const mark = ctx.masqueradeMark;
  const filterChains = [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL];
  const filter: string[] = [];
  if (ctx.localhostNodePorts) {
    // route_localnet=1 opens 127.0.0.0/8 to the network (https://issue.k8s.io/90259); this closes it again.
    filterChains.push(KUBE_FIREWALL);
    filter.push(
      `-A ${KUBE_FIREWALL} -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
    );
  }
  if (!ctx.conntrackTCPLiberal) filter.push(`-A ${KUBE_FORWARD} -m conntrack --ctstate INVALID -j DROP`);
  filter.push(`-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`);
  filter.push(`-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
  const nat = [
    `-A ${KUBE_POSTROUTING} -m mark ! --mark ${mark}/${mark} -j RETURN`,
    `-A ${KUBE_POSTROUTING} -j MARK --xor-mark ${mark}`,
    `-A ${KUBE_POSTROUTING} -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${ctx.randomFully ? ' --random-fully' : ''}`,
    `-A ${KUBE_MARK_MASQ} -j MARK --or-mark ${mark}`,
  ];
  const localhost = ctx.localhostNodePorts ? '' : ' ! -d 127.0.0.0/8';
  return {
    filterChains,
    filter,
    natChains: [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ],
    nat,
    natServicesLast: `-A ${KUBE_SERVICES} -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL${localhost} -j ${KUBE_NODEPORTS}`,
  };
}
