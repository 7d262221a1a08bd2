// Table columns for the networking.k8s.io API group.
import type { TableConvertor } from '../types.ts';
import { ageColumn, ageOf, arr, col, convertor, formatLabelSelector, loadBalancerIngress, nameColumn, nameOf, str } from './format.ts';

/** Up to three rule hosts, "*" when none has a host. */
export function formatIngressHosts(rules: unknown): string {
  const all = arr(rules);
  const max = 3;
  const list: string[] = [];
  let more = false;
  for (const rule of all) {
    if (list.length === max) more = true;
    if (!more && str(rule?.host) !== '') list.push(str(rule.host));
  }
  if (list.length === 0) return '*';
  return more ? `${list.join(',')} + ${all.length - max} more...` : list.join(',');
}

const ingresses = convertor(
  [
    nameColumn(),
    col('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    col('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    col('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    col('Ports', 'string', 'Ports of TLS configurations that open'),
    ageColumn(),
  ],
  (obj, now) => [
    nameOf(obj),
    typeof obj.spec?.ingressClassName === 'string' ? obj.spec.ingressClassName : '<none>',
    formatIngressHosts(obj.spec?.rules),
    loadBalancerIngress(obj.status?.loadBalancer),
    arr(obj.spec?.tls).length > 0 ? '80, 443' : '80',
    ageOf(obj, now),
  ],
);

const ingressClasses = convertor(
  [
    nameColumn(),
    col('Controller', 'string', 'Controller that is responsible for handling this class'),
    col('Parameters', 'string', 'A reference to a resource with additional parameters'),
    ageColumn(),
  ],
  (obj, now) => {
    const p = obj.spec?.parameters;
    let parameters = '<none>';
    if (p && typeof p === 'object') {
      parameters = str(p.kind);
      if (typeof p.apiGroup === 'string') parameters += `.${p.apiGroup}`;
      parameters += `/${str(p.name)}`;
    }
    return [nameOf(obj), str(obj.spec?.controller), parameters, ageOf(obj, now)];
  },
);

const networkPolicies = convertor(
  [nameColumn(), col('Pod-Selector', 'string', 'Selects the pods to which this NetworkPolicy object applies.'), ageColumn()],
  (obj, now) => [nameOf(obj), formatLabelSelector(obj.spec?.podSelector ?? {}), ageOf(obj, now)],
);

const serviceCIDRs = convertor(
  [nameColumn(), col('CIDRs', 'string', 'The IP blocks in CIDR notation from which Service cluster IPs are allocated.'), ageColumn()],
  (obj, now) => [nameOf(obj), arr(obj.spec?.cidrs).map(String).join(','), ageOf(obj, now)],
);

const ipAddresses = convertor(
  [nameColumn(), col('ParentRef', 'string', 'The object this IP address is allocated to.')],
  (obj, now) => {
    const ref = obj.spec?.parentRef;
    let parent = '<none>';
    if (ref && typeof ref === 'object') {
      const group = str(ref.group);
      const resource = str(ref.resource);
      parent = (group === '' ? resource : `${resource}.${group}`).toLowerCase();
      if (str(ref.namespace) !== '') parent += `/${str(ref.namespace)}`;
      parent += `/${str(ref.name)}`;
    }
    // upstream appends an age cell beyond its two columns; kept for identical rows
    return [nameOf(obj), parent, ageOf(obj, now)];
  },
);

export const tables: Record<string, TableConvertor> = {
  ingresses,
  ingressclasses: ingressClasses,
  networkpolicies: networkPolicies,
  servicecidrs: serviceCIDRs,
  ipaddresses: ipAddresses,
};
