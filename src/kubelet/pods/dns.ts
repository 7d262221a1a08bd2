// A pod's resolv.conf as kubelet's dns.Configurer builds it (pkg/kubelet/network/dns): ClusterFirst pods ask the
// cluster DNS and search their namespace's service domains, Default pods get the host's resolv.conf, None pods only
// their dnsConfig; dnsConfig is appended in every case, and the result is cut to the resolver's limits.
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import type { DNSConfig } from '../runtime.ts';

/** glibc's limits, as kubelet enforces them. */
export const MAX_DNS_NAMESERVERS = 3;
export const MAX_DNS_SEARCH_PATHS = 32;
export const MAX_DNS_SEARCH_LINE_CHARS = 2048;

export interface HostDNS {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface PodDNSOptions {
  clusterDNS: readonly string[];
  clusterDomain: string;
  /** The host's resolv.conf, parsed. */
  host: HostDNS;
}

export interface PodDNSResult {
  config: DNSConfig;
  /** Warnings kubelet records as events (reason DNSConfigForming or MissingClusterDNS). */
  warnings: { reason: 'DNSConfigForming' | 'MissingClusterDNS'; message: string }[];
}

/** nameserver, search/domain and options lines of a resolv.conf. */
export function parseResolvConf(text: string): HostDNS {
  const out: HostDNS = { servers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...fields] = line.split(/\s+/);
    if (key === 'nameserver' && fields[0]) out.servers.push(fields[0]);
    else if (key === 'search') out.searches = fields.map((f) => f.replace(/\.$/, '')).filter(Boolean);
    else if (key === 'domain' && fields[0]) out.searches = [fields[0].replace(/\.$/, '')];
    else if (key === 'options') out.options.push(...fields);
  }
  return out;
}

const omitDuplicates = (xs: readonly string[]) => [...new Set(xs)];

function mergeOptions(existing: readonly string[], added: readonly { name?: string; value?: string }[]): string[] {
  const options = new Map<string, string>();
  for (const op of existing) {
    const i = op.indexOf(':');
    if (i >= 0) options.set(op.slice(0, i), op.slice(i + 1));
    else options.set(op, '');
  }
  for (const op of added) options.set(op.name ?? '', op.value ?? '');
  return [...options].map(([name, value]) => (value ? `${name}:${value}` : name));
}

type DNSType = 'cluster' | 'host' | 'none';

function dnsType(pod: Pod): DNSType {
  switch (pod.spec?.dnsPolicy ?? 'ClusterFirst') {
    case 'None':
      return 'none';
    case 'ClusterFirstWithHostNet':
      return 'cluster';
    case 'ClusterFirst':
      return pod.spec?.hostNetwork ? 'host' : 'cluster';
    default:
      return 'host';
  }
}

export function podDNSConfig(pod: Pod, options: PodDNSOptions): PodDNSResult {
  const warnings: PodDNSResult['warnings'] = [];
  let config: DNSConfig = { servers: [...options.host.servers], searches: [...options.host.searches], options: [...options.host.options] };
  let type = dnsType(pod);
  if (type === 'none') config = { servers: [], searches: [], options: [] };
  if (type === 'cluster') {
    if (options.clusterDNS.length > 0) {
      const domain = options.clusterDomain;
      const ns = pod.metadata?.namespace ?? '';
      config.servers = [...options.clusterDNS];
      config.searches = domain ? omitDuplicates([`${ns}.svc.${domain}`, `svc.${domain}`, domain, ...config.searches]) : config.searches;
      config.options = ['ndots:5'];
    } else {
      const message = `kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.`;
      warnings.push({ reason: 'MissingClusterDNS', message: `pod: "${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${pod.metadata?.uid ?? ''})". ${message}` });
      type = 'host';
    }
  }
  const extra = pod.spec?.dnsConfig;
  if (extra) {
    config.servers = omitDuplicates([...config.servers, ...(extra.nameservers ?? [])]);
    config.searches = omitDuplicates([...config.searches, ...(extra.searches ?? [])]);
    config.options = mergeOptions(config.options, extra.options ?? []);
  }
  return { config: fitLimits(config, warnings), warnings };
}

function fitLimits(config: DNSConfig, warnings: PodDNSResult['warnings']): DNSConfig {
  let { servers, searches } = config;
  if (servers.length > MAX_DNS_NAMESERVERS) {
    servers = servers.slice(0, MAX_DNS_NAMESERVERS);
    warnings.push({ reason: 'DNSConfigForming', message: `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${servers.join(' ')}` });
  }
  const limited: string[] = [];
  let chars = 0;
  for (const s of searches) {
    if (limited.length >= MAX_DNS_SEARCH_PATHS || chars + s.length + (limited.length ? 1 : 0) > MAX_DNS_SEARCH_LINE_CHARS) break;
    chars += s.length + (limited.length ? 1 : 0);
    limited.push(s);
  }
  if (limited.length < searches.length) {
    searches = limited;
    warnings.push({ reason: 'DNSConfigForming', message: `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${searches.join(' ')}` });
  }
  return { servers, searches, options: config.options };
}

/** The pod's hostname and domain (GeneratePodHostNameAndDomain): spec.hostname or its name, cut to 63 characters. */
export function podHostnameAndDomain(pod: Pod, clusterDomain: string): { hostname: string; domain: string } {
  let hostname = pod.spec?.hostname || (pod.metadata?.name ?? '');
  if (hostname.length > 63) hostname = hostname.slice(0, 63).replace(/[-.]+$/, '');
  const subdomain = pod.spec?.subdomain;
  const domain = subdomain ? `${subdomain}.${pod.metadata?.namespace ?? ''}.svc.${clusterDomain}` : '';
  return { hostname, domain };
}
