// The /etc/hosts kubelet writes for every pod (upstream's managedHostsFileContent / nodeHostsFileContent), and
// the pod's hostname and domain it is based on (GeneratePodHostNameAndDomain).
import type { HostAlias, Pod } from 'kubernetes-types/core/v1.d.ts';

export const MANAGED_HOSTS_HEADER = '# Kubernetes-managed hosts file.\n';
export const MANAGED_HOSTS_HEADER_HOST_NETWORK = '# Kubernetes-managed hosts file (host network).\n';
const HOSTNAME_MAX_LEN = 63;

/** The pod's short hostname (spec.hostname or its name, at most 63 characters) and, with a subdomain, its domain. */
export function podHostnameAndDomain(pod: Pod, clusterDomain: string): { hostname: string; domain: string } {
  const override = (pod.spec as { hostnameOverride?: string } | undefined)?.hostnameOverride;
  if (override) return { hostname: truncateHostname(override), domain: '' };
  const hostname = truncateHostname(pod.spec?.hostname || pod.metadata?.name || '');
  const subdomain = pod.spec?.subdomain;
  const domain = subdomain ? `${subdomain}.${pod.metadata?.namespace ?? ''}.svc.${clusterDomain}` : '';
  return { hostname, domain };
}

function truncateHostname(hostname: string): string {
  if (hostname.length <= HOSTNAME_MAX_LEN) return hostname;
  // A hostname must not end with '-' or '.'.
  return hostname.slice(0, HOSTNAME_MAX_LEN).replace(/[-.]+$/, '');
}

function hostAliasEntries(aliases: readonly HostAlias[] | undefined): string {
  if (!aliases?.length) return '';
  let out = '\n# Entries added by HostAliases.\n';
  for (const alias of aliases) out += `${alias.ip ?? ''}\t${(alias.hostnames ?? []).join('\t')}\n`;
  return out;
}

/** The hosts file of a pod on the pod network. */
export function managedHostsFileContent(podIPs: readonly string[], hostname: string, domain: string, aliases?: readonly HostAlias[]): string {
  let out = MANAGED_HOSTS_HEADER;
  out += '127.0.0.1\tlocalhost\n';
  out += '::1\tlocalhost ip6-localhost ip6-loopback\n';
  out += 'fe00::0\tip6-localnet\n';
  out += 'fe00::0\tip6-mcastprefix\n';
  out += 'fe00::1\tip6-allnodes\n';
  out += 'fe00::2\tip6-allrouters\n';
  for (const ip of podIPs) out += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return out + hostAliasEntries(aliases);
}

/** The hosts file of a hostNetwork pod: the node's own, plus the pod's aliases. */
export function hostNetworkHostsFileContent(nodeHosts: string, aliases?: readonly HostAlias[]): string {
  return MANAGED_HOSTS_HEADER_HOST_NETWORK + nodeHosts + hostAliasEntries(aliases);
}
