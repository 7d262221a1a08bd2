// core/v1 Service: upstream's SetDefaults_Service, the service strategy (ClusterIP normalisation, fields that
// follow the type) and the REST layer's ClusterIP / NodePort allocation, plus ValidateService(Update).
import type { FieldError, KObject, ResourceType, ServiceAllocators, StrategyContext } from '../types.ts';
import {
  fieldError, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isIPv6, isValidPortName, isValidPortNum, nameIsDNS1035Label,
  path, semanticEqual, validateIP, validateLabels, validateObjectMeta, validateObjectMetaUpdate,
} from '../validation.ts';
import { isObj, list, spec, str, type Obj } from './common.ts';

const NONE = 'None';
const DEFAULT_CLIENT_IP_TIMEOUT = 10800;
const MAX_CLIENT_IP_TIMEOUT = 86400;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const TRAFFIC_DISTRIBUTIONS = ['PreferClose', 'PreferSameZone', 'PreferSameNode'];

const typeOf = (s: Obj): string => str(s['type']);
const clusterIPsOf = (s: Obj): string[] => (Array.isArray(s['clusterIPs']) ? (s['clusterIPs'] as unknown[]).map(str) : []);
const isHeadless = (s: Obj): boolean => {
  const ips = clusterIPsOf(s);
  return ips.length === 1 && ips[0] === NONE;
};
const needsClusterIP = (s: Obj): boolean => typeOf(s) !== 'ExternalName';
const needsNodePort = (s: Obj): boolean => typeOf(s) === 'NodePort' || (typeOf(s) === 'LoadBalancer' && s['allocateLoadBalancerNodePorts'] !== false);
const externallyAccessible = (s: Obj): boolean =>
  typeOf(s) === 'LoadBalancer' || typeOf(s) === 'NodePort' || (typeOf(s) === 'ClusterIP' && Array.isArray(s['externalIPs']) && s['externalIPs'].length > 0);
const needsHealthCheck = (s: Obj): boolean => typeOf(s) === 'LoadBalancer' && s['externalTrafficPolicy'] === 'Local';

// ---------------------------------------------------------------------------------------------
// Defaults.

export function defaultService(obj: KObject): void {
  const s = spec(obj);
  if (!s['sessionAffinity']) s['sessionAffinity'] = 'None';
  if (s['sessionAffinity'] === 'None') delete s['sessionAffinityConfig'];
  if (s['sessionAffinity'] === 'ClientIP') {
    const cfg = s['sessionAffinityConfig'];
    if (!isObj(cfg) || !isObj(cfg['clientIP']) || cfg['clientIP']['timeoutSeconds'] === undefined || cfg['clientIP']['timeoutSeconds'] === null) {
      s['sessionAffinityConfig'] = { clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_TIMEOUT } };
    }
  }
  if (!s['type']) s['type'] = 'ClusterIP';
  for (const p of list(s['ports'])) {
    if (!p['protocol']) p['protocol'] = 'TCP';
    if (p['targetPort'] === undefined || p['targetPort'] === null || p['targetPort'] === 0 || p['targetPort'] === '') p['targetPort'] = p['port'];
  }
  if (externallyAccessible(s) && !s['externalTrafficPolicy']) s['externalTrafficPolicy'] = 'Cluster';
  if ((s['internalTrafficPolicy'] === undefined || s['internalTrafficPolicy'] === null) && ['NodePort', 'LoadBalancer', 'ClusterIP'].includes(typeOf(s))) {
    s['internalTrafficPolicy'] = 'Cluster';
  }
  if (typeOf(s) === 'LoadBalancer') {
    if (s['allocateLoadBalancerNodePorts'] === undefined || s['allocateLoadBalancerNodePorts'] === null) s['allocateLoadBalancerNodePorts'] = true;
    const lb = isObj(obj['status']) && isObj(obj['status']['loadBalancer']) ? obj['status']['loadBalancer'] : undefined;
    for (const ing of list(lb?.['ingress'])) if (ing['ip'] && !ing['ipMode']) ing['ipMode'] = 'VIP';
  }
}

// ---------------------------------------------------------------------------------------------
// Strategy and allocation.

/** NormalizeClusterIPs: keep clusterIP and clusterIPs[0] in step (old is undefined on create). */
function normalizeClusterIPs(s: Obj, old: Obj | undefined): void {
  const ip = str(s['clusterIP']);
  if (!old) {
    if (ip && clusterIPsOf(s).length === 0) s['clusterIPs'] = [ip];
    return;
  }
  const sameIPs = semanticEqual(clusterIPsOf(s), clusterIPsOf(old));
  if (str(old['clusterIP']) && !ip && sameIPs) delete s['clusterIPs'];
  if (ip && ip !== str(old['clusterIP']) && sameIPs) {
    const ips = clusterIPsOf(s);
    s['clusterIPs'] = ips.length ? [ip, ...ips.slice(1)] : [ip];
  }
  if (ip && clusterIPsOf(s).length === 0) s['clusterIPs'] = [ip];
}

/** patchAllocatedValues: values the user omitted on update are taken from the stored object. */
function patchAllocatedValues(s: Obj, old: Obj): void {
  if (needsClusterIP(old) && needsClusterIP(s)) {
    if (!s['clusterIP'] && old['clusterIP']) s['clusterIP'] = old['clusterIP'];
    if (clusterIPsOf(s).length === 0 && clusterIPsOf(old).length > 0) s['clusterIPs'] = [...clusterIPsOf(old)];
  }
  if (needsNodePort(old) && needsNodePort(s)) {
    const usedNew = new Set(list(s['ports']).map((p) => Number(p['nodePort'] ?? 0)).filter(Boolean));
    const used = new Set(list(old['ports']).map((p) => Number(p['nodePort'] ?? 0)).filter((n) => n && usedNew.has(n)));
    const byName = new Map(list(old['ports']).map((p) => [str(p['name']), Number(p['nodePort'] ?? 0)]));
    for (const p of list(s['ports'])) {
      if (p['nodePort']) continue;
      const oldVal = byName.get(str(p['name'])) ?? 0;
      if (oldVal && !used.has(oldVal)) p['nodePort'] = oldVal;
    }
  }
  if (needsHealthCheck(old) && needsHealthCheck(s) && !s['healthCheckNodePort'] && old['healthCheckNodePort']) {
    s['healthCheckNodePort'] = old['healthCheckNodePort'];
  }
}

/** dropTypeDependentFields: values that belonged to the old type go when the user did not touch them. */
function dropTypeDependentFields(obj: KObject, s: Obj, old: Obj): void {
  if (needsClusterIP(old) && !needsClusterIP(s)) {
    if (semanticEqual(clusterIPsOf(s), clusterIPsOf(old)) && str(s['clusterIP']) === str(old['clusterIP'])) {
      delete s['clusterIP'];
      delete s['clusterIPs'];
    }
    if (semanticEqual(s['ipFamilies'], old['ipFamilies'])) delete s['ipFamilies'];
    if (semanticEqual(s['ipFamilyPolicy'], old['ipFamilyPolicy'])) delete s['ipFamilyPolicy'];
  }
  const nodePorts = (x: Obj): number[] => list(x['ports']).map((p) => Number(p['nodePort'] ?? 0));
  if (needsNodePort(old) && !needsNodePort(s) && semanticEqual(nodePorts(s), nodePorts(old))) {
    for (const p of list(s['ports'])) delete p['nodePort'];
  }
  if (needsHealthCheck(old) && !needsHealthCheck(s) && s['healthCheckNodePort'] === old['healthCheckNodePort']) delete s['healthCheckNodePort'];
  if (typeOf(old) === 'LoadBalancer' && typeOf(s) !== 'LoadBalancer') {
    if (typeof s['allocateLoadBalancerNodePorts'] === 'boolean' && s['allocateLoadBalancerNodePorts'] === old['allocateLoadBalancerNodePorts']) delete s['allocateLoadBalancerNodePorts'];
    if (s['loadBalancerClass'] === old['loadBalancerClass']) delete s['loadBalancerClass'];
  }
  if (externallyAccessible(old) && !externallyAccessible(s) && s['externalTrafficPolicy'] === old['externalTrafficPolicy']) delete s['externalTrafficPolicy'];
  if (typeOf(s) !== 'LoadBalancer' && isObj(obj['status'])) obj['status']['loadBalancer'] = {};
}

/** ipFamilies / ipFamilyPolicy as the allocator fills them on a single-stack (IPv4) cluster. */
function initIPFamilyFields(s: Obj): void {
  if (!needsClusterIP(s)) return;
  const headlessNoSelector = isHeadless(s) && Object.keys(isObj(s['selector']) ? s['selector'] : {}).length === 0;
  if (s['ipFamilyPolicy'] === undefined || s['ipFamilyPolicy'] === null) s['ipFamilyPolicy'] = headlessNoSelector ? 'RequireDualStack' : 'SingleStack';
  if (!Array.isArray(s['ipFamilies']) || s['ipFamilies'].length === 0) {
    const first = clusterIPsOf(s)[0];
    s['ipFamilies'] = [first && first !== NONE && isIPv6(first) ? 'IPv6' : 'IPv4'];
  }
}

/** Cluster IPs and node ports a Service holds. */
export function serviceAllocations(svc: KObject | undefined): { ips: string[]; nodePorts: number[] } {
  const s: Obj = svc && isObj(svc['spec']) ? svc['spec'] : {};
  const ips = clusterIPsOf(s).filter((ip) => ip && ip !== NONE);
  const nodePorts = list(s['ports']).map((p) => Number(p['nodePort'] ?? 0)).filter(Boolean);
  if (s['healthCheckNodePort']) nodePorts.push(Number(s['healthCheckNodePort']));
  return { ips, nodePorts: [...new Set(nodePorts)] };
}

/**
 * Allocates what the Service needs and does not hold yet (held = what `old` already has). On a failure
 * part-way, what this call took is released before the error propagates.
 */
function allocate(s: Obj, old: Obj | undefined, alloc: ServiceAllocators): void {
  const takenIPs: string[] = [];
  const takenPorts: number[] = [];
  const heldIPs = new Set(old ? clusterIPsOf(old) : []);
  const heldPorts = new Set(old ? serviceAllocations({ spec: old }).nodePorts : []);
  try {
    if (needsClusterIP(s) && !isHeadless(s)) {
      const wanted = str(s['clusterIP']);
      if (!wanted) {
        const ip = alloc.allocateClusterIP();
        takenIPs.push(ip);
        s['clusterIP'] = ip;
        s['clusterIPs'] = [ip];
      } else if (!heldIPs.has(wanted)) {
        takenIPs.push(alloc.allocateClusterIP(wanted));
      }
    }
    if (needsNodePort(s)) {
      const byServicePort = new Map<number, number>();
      for (const p of list(s['ports'])) {
        const requested = Number(p['nodePort'] ?? 0);
        const shared = byServicePort.get(Number(p['port']));
        let np = requested;
        if (!np && shared) np = shared;
        else if (!np) {
          np = alloc.allocateNodePort();
          takenPorts.push(np);
        } else if (!heldPorts.has(np) && !takenPorts.includes(np)) {
          takenPorts.push(alloc.allocateNodePort(np));
        }
        p['nodePort'] = np;
        byServicePort.set(Number(p['port']), np);
      }
    }
    if (needsHealthCheck(s)) {
      const requested = Number(s['healthCheckNodePort'] ?? 0);
      if (!requested) {
        const np = alloc.allocateNodePort();
        takenPorts.push(np);
        s['healthCheckNodePort'] = np;
      } else if (!heldPorts.has(requested) && !takenPorts.includes(requested)) {
        takenPorts.push(alloc.allocateNodePort(requested));
      }
    }
  } catch (err) {
    for (const ip of takenIPs) alloc.releaseClusterIP(ip);
    for (const np of takenPorts) alloc.releaseNodePort(np);
    throw err;
  }
}

export function prepareServiceForCreate(obj: KObject, ctx: StrategyContext): void {
  obj['status'] = { loadBalancer: {} };
  const s = spec(obj);
  normalizeClusterIPs(s, undefined);
  // Nothing is allocated for a Service that will be rejected anyway.
  const alloc = ctx.allocators;
  if (alloc && validateService(obj, true).length === 0) allocate(s, undefined, alloc);
  initIPFamilyFields(s);
}

export function prepareServiceForUpdate(obj: KObject, old: KObject, ctx: StrategyContext): void {
  obj['status'] = old['status'] === undefined ? { loadBalancer: {} } : structuredClone(old['status']);
  const s = spec(obj);
  const o: Obj = isObj(old['spec']) ? old['spec'] : {};
  patchAllocatedValues(s, o);
  normalizeClusterIPs(s, o);
  dropTypeDependentFields(obj, s, o);
  const alloc = ctx.allocators;
  if (alloc && validateServiceUpdate(obj, old, true).length === 0) allocate(s, o, alloc);
  initIPFamilyFields(s);
}

// ---------------------------------------------------------------------------------------------
// Validation.

/** An internal core.ServicePort as Go's json prints it (internal types carry no json tags). */
function internalServicePortKey(protocol: string, port: number): Obj {
  return { Name: '', Protocol: protocol, AppProtocol: null, Port: port, TargetPort: 0, NodePort: 0 };
}

function validateServicePort(p: Obj, requireName: boolean, names: Set<string>, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(p['name']);
  if (requireName && !name) errs.push(fieldError.required(`${field}.name`));
  else if (name) {
    errs.push(...isDNS1123Label(name).map((m) => fieldError.invalid(`${field}.name`, name, m)));
    if (names.has(name)) errs.push(fieldError.duplicate(`${field}.name`, name));
    else names.add(name);
  }
  for (const m of isValidPortNum(Number(p['port'] ?? 0))) errs.push(fieldError.invalid(`${field}.port`, Number(p['port'] ?? 0), m));
  const proto = str(p['protocol']);
  if (!proto) errs.push(fieldError.required(`${field}.protocol`));
  else if (!PROTOCOLS.includes(proto)) errs.push(fieldError.notSupported(`${field}.protocol`, proto, PROTOCOLS));
  const target = p['targetPort'];
  if (typeof target === 'string') errs.push(...isValidPortName(target).map((m) => fieldError.invalid(`${field}.targetPort`, target, m)));
  else errs.push(...isValidPortNum(Number(target ?? 0)).map((m) => fieldError.invalid(`${field}.targetPort`, Number(target ?? 0), m)));
  if (typeof p['appProtocol'] === 'string') errs.push(...isQualifiedName(p['appProtocol']).map((m) => fieldError.invalid(`${field}.appProtocol`, p['appProtocol'], m)));
  return errs;
}

function validateClusterIPsRelatedFields(s: Obj): FieldError[] {
  if (typeOf(s) === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const ip = str(s['clusterIP']);
  const ips = clusterIPsOf(s);
  if (ip) {
    if (!ips.length) errs.push(fieldError.required('spec.clusterIPs'));
    else if (ips[0] !== ip) errs.push(fieldError.invalid('spec.clusterIPs', ips, 'first value must match `clusterIP`'));
  } else if (ips.length) {
    errs.push(fieldError.invalid('spec.clusterIPs', ips, 'must be empty when `clusterIP` is not specified'));
  }
  const families: string[] = Array.isArray(s['ipFamilies']) ? (s['ipFamilies'] as unknown[]).map(str) : [];
  const seen = new Set<string>();
  families.forEach((f, i) => {
    if (f !== 'IPv4' && f !== 'IPv6') errs.push(fieldError.notSupported(path.index('spec.ipFamilies', i), f, ['IPv4', 'IPv6']));
    if (seen.has(f)) errs.push(fieldError.duplicate(path.index('spec.ipFamilies', i), f));
    seen.add(f);
  });
  const policy = s['ipFamilyPolicy'];
  if (policy !== undefined && policy !== null && !['PreferDualStack', 'RequireDualStack', 'SingleStack'].includes(str(policy))) {
    errs.push(fieldError.notSupported('spec.ipFamilyPolicy', policy, ['PreferDualStack', 'RequireDualStack', 'SingleStack']));
  }
  let invalidIPs = false;
  ips.forEach((addr, i) => {
    if (i === 0 && addr === NONE) {
      if (ips.length > 1) {
        invalidIPs = true;
        errs.push(fieldError.invalid('spec.clusterIPs', ips, "'None' must be the first and only value"));
      }
      return;
    }
    const e = validateIP(path.index('spec.clusterIPs', i), addr);
    if (e.length) invalidIPs = true;
    errs.push(...e);
  });
  if (ips.length > 2) errs.push(fieldError.invalid('spec.clusterIPs', ips, 'may only hold up to 2 values'));
  if (invalidIPs) return errs;
  if (ips.length > 1 && isIPv6(ips[0]!) === isIPv6(ips[1]!)) errs.push(fieldError.invalid('spec.clusterIPs', ips, 'may specify no more than one IP for each IP family'));
  if (!isHeadless(s)) {
    ips.forEach((addr, i) => {
      const fam = families[i];
      if (fam === 'IPv4' && isIPv6(addr)) errs.push(fieldError.invalid(path.index('spec.clusterIPs', i), addr, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (fam === 'IPv6' && !isIPv6(addr)) errs.push(fieldError.invalid(path.index('spec.clusterIPs', i), addr, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return errs;
}

/** What a single-stack IPv4 cluster cannot give (the allocator's own checks upstream). */
function validateSingleStack(s: Obj): FieldError[] {
  if (!needsClusterIP(s)) return [];
  const errs: FieldError[] = [];
  const headlessNoSelector = isHeadless(s) && Object.keys(isObj(s['selector']) ? s['selector'] : {}).length === 0;
  if (s['ipFamilyPolicy'] === 'RequireDualStack' && !headlessNoSelector) {
    errs.push(fieldError.invalid('spec.ipFamilyPolicy', 'RequireDualStack', 'this cluster is not configured for dual-stack services'));
  }
  const families: unknown[] = Array.isArray(s['ipFamilies']) ? s['ipFamilies'] : [];
  families.forEach((f, i) => {
    if (f === 'IPv6') errs.push(fieldError.invalid(path.index('spec.ipFamilies', i), 'IPv6', 'not configured on this cluster'));
  });
  return errs;
}

/** `beforeAllocation`: the allocator has not yet filled clusterIP, node ports or healthCheckNodePort. */
export function validateService(obj: KObject, beforeAllocation = false): FieldError[] {
  const s: Obj = isObj(obj['spec']) ? obj['spec'] : {};
  const errs = validateObjectMeta(obj.metadata, { namespaced: true, nameFn: nameIsDNS1035Label });
  const ann = obj.metadata?.annotations ?? {};
  const hints = ann['service.kubernetes.io/topology-aware-hints'];
  const mode = ann['service.kubernetes.io/topology-mode'];
  if (hints !== undefined && mode !== undefined && hints !== mode) {
    errs.push(fieldError.invalid('metadata.annotations[service.kubernetes.io/topology-mode]', mode, 'must match annotations[service.kubernetes.io/topology-aware-hints] when both are specified'));
  }
  const ports = list(s['ports']);
  const type = typeOf(s);
  if (!ports.length && !isHeadless(s) && type !== 'ExternalName') errs.push(fieldError.required('spec.ports'));
  if (type === 'LoadBalancer' && isHeadless(s)) errs.push(fieldError.invalid('spec.clusterIPs[0]', NONE, "may not be set to 'None' for LoadBalancer services"));
  if (type === 'NodePort' && isHeadless(s)) errs.push(fieldError.invalid('spec.clusterIPs[0]', NONE, "may not be set to 'None' for NodePort services"));
  if (type === 'ExternalName') {
    if (clusterIPsOf(s).length) errs.push(fieldError.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if (Array.isArray(s['ipFamilies']) && s['ipFamilies'].length) errs.push(fieldError.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (s['ipFamilyPolicy'] !== undefined && s['ipFamilyPolicy'] !== null) errs.push(fieldError.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    const cname = str(s['externalName']).replace(/\.$/, '');
    if (cname) errs.push(...isDNS1123Subdomain(cname).map((m) => fieldError.invalid('spec.externalName', cname, m)));
    else errs.push(fieldError.required('spec.externalName'));
  }
  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validateServicePort(p, ports.length > 1, names, path.index('spec.ports', i))));
  if (s['selector'] !== undefined && s['selector'] !== null) errs.push(...validateLabels(s['selector'], 'spec.selector'));
  const affinity = str(s['sessionAffinity']);
  if (!affinity) errs.push(fieldError.required('spec.sessionAffinity'));
  else if (affinity !== 'ClientIP' && affinity !== 'None') errs.push(fieldError.notSupported('spec.sessionAffinity', affinity, ['ClientIP', 'None']));
  if (affinity === 'ClientIP') {
    const cfg = s['sessionAffinityConfig'];
    const why = 'when session affinity type is ClientIP';
    if (!isObj(cfg)) errs.push(fieldError.required('spec.sessionAffinityConfig', why));
    else if (!isObj(cfg['clientIP'])) errs.push(fieldError.required('spec.sessionAffinityConfig.clientIP', why));
    else if (cfg['clientIP']['timeoutSeconds'] === undefined || cfg['clientIP']['timeoutSeconds'] === null) {
      errs.push(fieldError.required('spec.sessionAffinityConfig.clientIP.timeoutSeconds', why));
    } else {
      const t = Number(cfg['clientIP']['timeoutSeconds']);
      if (t <= 0 || t > MAX_CLIENT_IP_TIMEOUT) errs.push(fieldError.invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', t, `must be greater than 0 and less than ${MAX_CLIENT_IP_TIMEOUT}`));
    }
  } else if (affinity === 'None' && s['sessionAffinityConfig'] !== undefined && s['sessionAffinityConfig'] !== null) {
    errs.push(fieldError.forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }
  errs.push(...validateClusterIPsRelatedFields(s));
  (Array.isArray(s['externalIPs']) ? (s['externalIPs'] as unknown[]) : []).forEach((ip, i) => errs.push(...validateIP(path.index('spec.externalIPs', i), str(ip))));
  if (!type) errs.push(fieldError.required('spec.type'));
  else if (!SERVICE_TYPES.includes(type)) errs.push(fieldError.notSupported('spec.type', type, SERVICE_TYPES));
  if (type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (p['nodePort']) errs.push(fieldError.forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!p['nodePort']) return;
    const key = `${str(p['protocol'])}/${p['nodePort']}`;
    if (nodePorts.has(key)) errs.push(fieldError.duplicate(`spec.ports[${i}].nodePort`, Number(p['nodePort'])));
    nodePorts.add(key);
  });
  const portKeys = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${str(p['protocol'])}/${p['port']}`;
    if (portKeys.has(key)) errs.push(fieldError.duplicate(`spec.ports[${i}]`, internalServicePortKey(str(p['protocol']), Number(p['port'] ?? 0))));
    portKeys.add(key);
  });
  const ranges: unknown[] = Array.isArray(s['loadBalancerSourceRanges']) ? s['loadBalancerSourceRanges'] : [];
  if (ranges.length && type !== 'LoadBalancer') errs.push(fieldError.forbidden('spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
  if (s['allocateLoadBalancerNodePorts'] !== undefined && s['allocateLoadBalancerNodePorts'] !== null && type !== 'LoadBalancer') {
    errs.push(fieldError.forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (type === 'LoadBalancer' && (s['allocateLoadBalancerNodePorts'] === undefined || s['allocateLoadBalancerNodePorts'] === null)) {
    errs.push(fieldError.required('allocateLoadBalancerNodePorts'));
  }
  if (s['loadBalancerClass'] !== undefined && s['loadBalancerClass'] !== null) {
    if (type !== 'LoadBalancer') errs.push(fieldError.forbidden('spec.loadBalancerClass', 'may only be used when `type` is \'LoadBalancer\''));
    else for (const m of isQualifiedName(str(s['loadBalancerClass']))) errs.push(fieldError.invalid('spec.loadBalancerClass', s['loadBalancerClass'], m));
  }
  const etp = str(s['externalTrafficPolicy']);
  if (!externallyAccessible(s)) {
    if (etp) errs.push(fieldError.invalid('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'));
  } else if (!etp) errs.push(fieldError.required('spec.externalTrafficPolicy'));
  else if (etp !== 'Cluster' && etp !== 'Local') errs.push(fieldError.notSupported('spec.externalTrafficPolicy', etp, ['Cluster', 'Local']));
  const hc = Number(s['healthCheckNodePort'] ?? 0);
  if (!needsHealthCheck(s)) {
    if (hc) errs.push(fieldError.invalid('spec.healthCheckNodePort', hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  } else if (!hc) {
    if (!beforeAllocation) errs.push(fieldError.required('spec.healthCheckNodePort'));
  }
  else for (const m of isValidPortNum(hc)) errs.push(fieldError.invalid('spec.healthCheckNodePort', hc, m));
  const itp = s['internalTrafficPolicy'];
  if ((itp === undefined || itp === null) && ['NodePort', 'LoadBalancer', 'ClusterIP'].includes(type)) errs.push(fieldError.required('spec.internalTrafficPolicy'));
  if (itp !== undefined && itp !== null && itp !== 'Cluster' && itp !== 'Local') errs.push(fieldError.notSupported('spec.internalTrafficPolicy', itp, ['Cluster', 'Local']));
  const td = s['trafficDistribution'];
  if (td !== undefined && td !== null && !TRAFFIC_DISTRIBUTIONS.includes(str(td))) errs.push(fieldError.notSupported('spec.trafficDistribution', td, TRAFFIC_DISTRIBUTIONS));
  errs.push(...validateSingleStack(s));
  return errs;
}

function validateUpgradeDowngrade(s: Obj, o: Obj): FieldError[] {
  const errs: FieldError[] = [];
  if (typeOf(s) === 'ExternalName' || typeOf(o) === 'ExternalName') return errs;
  const newHeadless = isHeadless(s);
  const oldHeadless = isHeadless(o);
  const ips = clusterIPsOf(s);
  const oldIPs = clusterIPsOf(o);
  if (!(newHeadless && oldHeadless)) {
    if (oldIPs.length === ips.length) {
      oldIPs.forEach((ip, i) => {
        if (ip !== ips[i]) errs.push(fieldError.invalid(path.index('spec.clusterIPs', i), ips, 'may not change once set'));
      });
    } else if (oldIPs.length > ips.length) {
      if (!ips.length) errs.push(fieldError.invalid('spec.clusterIPs[0]', ips, 'primary clusterIP can not be unset'));
      if (oldIPs.length && ips.length && ips[0] !== oldIPs[0]) errs.push(fieldError.invalid('spec.clusterIPs[0]', ips, 'may not change once set'));
      if (ips.length === 1 && s['ipFamilyPolicy'] !== 'SingleStack') {
        errs.push(fieldError.invalid('spec.ipFamilyPolicy', s['ipFamilyPolicy'] ?? null, "must be set to 'SingleStack' when releasing the secondary clusterIP"));
      }
    } else if (oldIPs.length && ips[0] !== oldIPs[0]) {
      errs.push(fieldError.invalid('spec.clusterIPs[0]', ips, 'may not change once set'));
    }
  }
  if (newHeadless !== oldHeadless || newHeadless) return errs;
  const fams: string[] = Array.isArray(s['ipFamilies']) ? s['ipFamilies'].map(str) : [];
  const oldFams: string[] = Array.isArray(o['ipFamilies']) ? o['ipFamilies'].map(str) : [];
  if (fams.length === oldFams.length) {
    oldFams.forEach((f, i) => {
      if (f !== fams[i]) errs.push(fieldError.invalid('spec.ipFamilies[0]', fams, 'may not change once set'));
    });
  } else if (oldFams.length > fams.length) {
    if (!ips.length) errs.push(fieldError.invalid('spec.ipFamilies[0]', fams, 'primary ipFamily can not be unset'));
    if (fams.length && fams[0] !== oldFams[0]) errs.push(fieldError.invalid('spec.ipFamilies[0]', ips, 'may not change once set'));
    if (fams.length === 1 && s['ipFamilyPolicy'] !== 'SingleStack') {
      errs.push(fieldError.invalid('spec.ipFamilyPolicy', s['ipFamilyPolicy'] ?? null, "must be set to 'SingleStack' when releasing the secondary ipFamily"));
    }
  } else if (oldFams.length && fams.length && fams[0] !== oldFams[0]) {
    errs.push(fieldError.invalid('spec.ipFamilies[0]', ips, 'may not change once set'));
  }
  return errs;
}

export function validateServiceUpdate(obj: KObject, old: KObject, beforeAllocation = false): FieldError[] {
  const s: Obj = isObj(obj['spec']) ? obj['spec'] : {};
  const o: Obj = isObj(old['spec']) ? old['spec'] : {};
  const errs = beforeAllocation ? [] : validateObjectMetaUpdate(obj.metadata, old.metadata);
  errs.push(...validateUpgradeDowngrade(s, o));
  if (typeOf(o) === 'LoadBalancer' && typeOf(s) === 'LoadBalancer' && o['loadBalancerClass'] !== undefined && o['loadBalancerClass'] !== null && s['loadBalancerClass'] !== o['loadBalancerClass']) {
    errs.push(fieldError.invalid('spec.loadBalancerClass', s['loadBalancerClass'] ?? null, 'may not change once set'));
  }
  if (needsHealthCheck(o) && needsHealthCheck(s) && s['healthCheckNodePort'] !== o['healthCheckNodePort']) {
    errs.push(fieldError.forbidden('spec.healthCheckNodePort', 'field is immutable'));
  }
  errs.push(...validateService(obj, beforeAllocation));
  return errs;
}

export function serviceType(): Pick<ResourceType, 'defaults' | 'prepareForCreate' | 'prepareForUpdate' | 'validateCreate' | 'validateUpdate'> {
  return {
    defaults: defaultService,
    prepareForCreate: prepareServiceForCreate,
    prepareForUpdate: prepareServiceForUpdate,
    validateCreate: validateService,
    validateUpdate: (obj, old) => validateServiceUpdate(obj, old),
  };
}

/** The `kubernetes` Service a cluster starts with (clusterIP = first address of the service CIDR). */
export function kubernetesService(clusterIP: string, apiserverPort: number): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP',
      clusterIP,
      clusterIPs: [clusterIP],
      ipFamilies: [isIPv6(clusterIP) ? 'IPv6' : 'IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
      sessionAffinity: 'None',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: apiserverPort }],
    },
    status: { loadBalancer: {} },
  };
}

