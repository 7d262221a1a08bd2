// networking.k8s.io/v1: Ingresses, IngressClasses, NetworkPolicies.
import type { FieldError, KObject, ResourceType } from '../types.ts';
import {
  fieldError, isDNS1123Subdomain, isValidPortName, isValidPortNum, nameIsDNSSubdomain, path, validateLabelSelector,
} from '../validation.ts';
import { builtinResource, isObj, list, metaValidation, specOrEmpty, statusHooks, str, type Obj } from './common.ts';

const base = builtinResource('networking.k8s.io', 'v1', 'networking');

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];

function validateBackend(b: unknown, field: string): FieldError[] {
  if (!isObj(b)) return [];
  const errs: FieldError[] = [];
  const hasService = isObj(b['service']);
  const hasResource = isObj(b['resource']);
  if (hasService && hasResource) errs.push(fieldError.invalid(field, '', 'cannot set both resource and service backends'));
  if (hasService) {
    const svc: Obj = b['service'];
    if (!svc['name']) errs.push(fieldError.required(`${field}.service.name`));
    else for (const m of isDNS1123Subdomain(str(svc['name']))) errs.push(fieldError.invalid(`${field}.service.name`, svc['name'], m));
    const port: Obj = isObj(svc['port']) ? svc['port'] : {};
    const hasName = !!port['name'];
    const hasNumber = port['number'] !== undefined && port['number'] !== null && port['number'] !== 0;
    if (hasName && hasNumber) errs.push(fieldError.invalid(`${field}.service.port`, port, 'cannot set both port name & port number'));
    else if (hasName) for (const m of isValidPortName(str(port['name']))) errs.push(fieldError.invalid(`${field}.service.port.name`, port['name'], m));
    else if (hasNumber) for (const m of isValidPortNum(Number(port['number']))) errs.push(fieldError.invalid(`${field}.service.port.number`, port['number'], m));
    else errs.push(fieldError.required(`${field}.service.port`, 'port name or number is required'));
  } else if (hasResource) {
    if (!b['resource']['kind']) errs.push(fieldError.required(`${field}.resource.kind`));
    if (!b['resource']['name']) errs.push(fieldError.required(`${field}.resource.name`));
  } else errs.push(fieldError.invalid(field, '', 'resource or service backend is required'));
  return errs;
}

function validateIngress(obj: KObject): FieldError[] {
  const s = specOrEmpty(obj);
  const errs: FieldError[] = [];
  const rules = list(s['rules']);
  if (!rules.length && !isObj(s['defaultBackend'])) errs.push(fieldError.invalid('spec.rules', [], 'either `defaultBackend` or `rules` must be specified'));
  if (isObj(s['defaultBackend'])) errs.push(...validateBackend(s['defaultBackend'], 'spec.defaultBackend'));
  rules.forEach((r, i) => {
    const p = path.index('spec.rules', i);
    const host = str(r['host']);
    if (host) {
      if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) errs.push(fieldError.invalid(`${p}.host`, host, 'must be a DNS name, not an IP address'));
      const h = host.startsWith('*.') ? host.slice(2) : host;
      if (host.includes('*') && !host.startsWith('*.')) errs.push(fieldError.invalid(`${p}.host`, host, "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
      else for (const m of isDNS1123Subdomain(h)) errs.push(fieldError.invalid(`${p}.host`, host, m));
    }
    if (!isObj(r['http'])) return;
    const paths = list(r['http']['paths']);
    if (!paths.length) errs.push(fieldError.required(`${p}.http.paths`));
    paths.forEach((hp, j) => {
      const pp = path.index(`${p}.http.paths`, j);
      const pt = str(hp['pathType']);
      if (!pt) errs.push(fieldError.required(`${pp}.pathType`, 'pathType must be specified'));
      else if (!PATH_TYPES.includes(pt)) errs.push(fieldError.notSupported(`${pp}.pathType`, pt, PATH_TYPES));
      const pathValue = str(hp['path']);
      if ((pt === 'Exact' || pt === 'Prefix') && !pathValue.startsWith('/')) errs.push(fieldError.invalid(`${pp}.path`, pathValue, "must be an absolute path"));
      if (pt === 'ImplementationSpecific' && pathValue && !pathValue.startsWith('/')) errs.push(fieldError.invalid(`${pp}.path`, pathValue, 'must be an absolute path'));
      errs.push(...validateBackend(hp['backend'], `${pp}.backend`));
    });
  });
  if (typeof s['ingressClassName'] === 'string') for (const m of nameIsDNSSubdomain(s['ingressClassName'], false)) errs.push(fieldError.invalid('spec.ingressClassName', s['ingressClassName'], m));
  list(s['tls']).forEach((t, i) => {
    (Array.isArray(t['hosts']) ? (t['hosts'] as unknown[]) : []).forEach((h, j) => {
      const host = str(h).replace(/^\*\./, '');
      for (const m of isDNS1123Subdomain(host)) errs.push(fieldError.invalid(path.index(`spec.tls[${i}].hosts`, j), str(h), m));
    });
  });
  return errs;
}

const ingresses: ResourceType = {
  ...base('Ingress', 'ingresses', 'ingress', true),
  shortNames: ['ing'],
  subresources: ['status'],
  ...statusHooks(() => ({ loadBalancer: {} })),
  ...metaValidation(true, nameIsDNSSubdomain, validateIngress),
};

function validateIngressClass(obj: KObject): FieldError[] {
  const s = specOrEmpty(obj);
  const errs: FieldError[] = [];
  const controller = str(s['controller']);
  if (!controller) errs.push(fieldError.required('spec.controller'));
  else {
    if (controller.length > 250) errs.push(fieldError.tooLong('spec.controller', 250));
    const parts = controller.split('/');
    if (parts.length < 2 || !parts[0] || !parts.slice(1).join('/')) errs.push(fieldError.invalid('spec.controller', controller, 'must be a domain-prefixed path (such as "acme.io/foo")'));
    else for (const m of isDNS1123Subdomain(parts[0]!)) errs.push(fieldError.invalid('spec.controller', parts[0], m));
  }
  const params = s['parameters'];
  if (isObj(params)) {
    if (!params['kind']) errs.push(fieldError.required('spec.parameters.kind'));
    if (!params['name']) errs.push(fieldError.required('spec.parameters.name'));
    const scope = str(params['scope']);
    if (scope === 'Cluster' && params['namespace']) errs.push(fieldError.forbidden('spec.parameters.namespace', "`parameters.scope` is set to 'Cluster'"));
    else if (scope === 'Namespace' && !params['namespace']) errs.push(fieldError.required('spec.parameters.namespace', "`parameters.scope` is set to 'Namespace'"));
    else if (scope && scope !== 'Cluster' && scope !== 'Namespace') errs.push(fieldError.notSupported('spec.parameters.scope', scope, ['Cluster', 'Namespace']));
  }
  return errs;
}

const ingressClasses: ResourceType = {
  ...base('IngressClass', 'ingressclasses', 'ingressclass', false),
  defaults(obj) {
    const params = specOrEmpty(obj)['parameters'];
    if (isObj(params) && (params['scope'] === undefined || params['scope'] === null)) params['scope'] = 'Cluster';
  },
  ...metaValidation(false, nameIsDNSSubdomain, validateIngressClass, (obj, old) =>
    str(specOrEmpty(obj)['controller']) === str(specOrEmpty(old)['controller']) ? [] : [fieldError.invalid('spec.controller', str(specOrEmpty(obj)['controller']), 'field is immutable')],
  ),
};

function validateNetworkPolicy(obj: KObject): FieldError[] {
  const s = specOrEmpty(obj);
  const errs = validateLabelSelector(s['podSelector'], 'spec.podSelector');
  const rules = (kind: 'ingress' | 'egress', peers: 'from' | 'to'): void => {
    list(s[kind]).forEach((r, i) => {
      const p = path.index(`spec.${kind}`, i);
      list(r['ports']).forEach((port, j) => {
        const pp = path.index(`${p}.ports`, j);
        const proto = port['protocol'];
        if (proto !== undefined && proto !== null && !['SCTP', 'TCP', 'UDP'].includes(str(proto))) errs.push(fieldError.notSupported(`${pp}.protocol`, proto, ['SCTP', 'TCP', 'UDP']));
        const pn = port['port'];
        if (typeof pn === 'number') for (const m of isValidPortNum(pn)) errs.push(fieldError.invalid(`${pp}.port`, pn, m));
        else if (typeof pn === 'string') for (const m of isValidPortName(pn)) errs.push(fieldError.invalid(`${pp}.port`, pn, m));
      });
      list(r[peers]).forEach((peer, j) => {
        const pp = path.index(`${p}.${peers}`, j);
        const n = ['podSelector', 'namespaceSelector', 'ipBlock'].filter((k) => peer[k] !== undefined && peer[k] !== null).length;
        if (n === 0) errs.push(fieldError.required(pp, 'must specify a peer'));
        if (isObj(peer['ipBlock']) && n > 1) errs.push(fieldError.forbidden(pp, 'may not specify both ipBlock and another peer'));
        errs.push(...validateLabelSelector(peer['podSelector'], `${pp}.podSelector`), ...validateLabelSelector(peer['namespaceSelector'], `${pp}.namespaceSelector`));
      });
    });
  };
  rules('ingress', 'from');
  rules('egress', 'to');
  const types: unknown[] = Array.isArray(s['policyTypes']) ? s['policyTypes'] : [];
  types.forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') errs.push(fieldError.notSupported(path.index('spec.policyTypes', i), t, ['Ingress', 'Egress']));
  });
  if (types.length > 2) errs.push(fieldError.invalid('spec.policyTypes', types, 'may not specify more than two policyTypes'));
  return errs;
}

const networkPolicies: ResourceType = {
  ...base('NetworkPolicy', 'networkpolicies', 'networkpolicy', true),
  listKind: 'NetworkPolicyList',
  shortNames: ['netpol'],
  defaults(obj) {
    const s = specOrEmpty(obj);
    if (!isObj(obj['spec'])) obj['spec'] = s;
    for (const kind of ['ingress', 'egress']) for (const r of list(s[kind])) for (const p of list(r['ports'])) if (!p['protocol']) p['protocol'] = 'TCP';
    if (!Array.isArray(s['policyTypes']) || !s['policyTypes'].length) {
      s['policyTypes'] = ['Ingress'];
      if (list(s['egress']).length) s['policyTypes'].push('Egress');
    }
    if (!isObj(s['podSelector'])) s['podSelector'] = {};
  },
  ...metaValidation(true, nameIsDNSSubdomain, validateNetworkPolicy),
};

export const resources: ResourceType[] = [ingressClasses, ingresses, networkPolicies];

