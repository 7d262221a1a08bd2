// discovery.k8s.io/v1: EndpointSlices.
import type { FieldError, KObject, ResourceType } from '../types.ts';
import { setDefault } from '../defaults.ts';
import { fieldError, isDNS1123Label, isQualifiedName, isValidPortNum, nameIsDNSSubdomain, path, validateImmutable, validateIP } from '../validation.ts';
import { CRUD_VERBS, isObj, list, metaValidation, str } from './common.ts';

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const MAX_ENDPOINTS = 1000;
const MAX_PORTS = 20000;

function validateEndpointSlice(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const type = str(obj['addressType']);
  if (!type) errs.push(fieldError.required('addressType'));
  else if (!ADDRESS_TYPES.includes(type)) errs.push(fieldError.notSupported('addressType', type, ADDRESS_TYPES));
  const eps = list(obj['endpoints']);
  if (eps.length > MAX_ENDPOINTS) errs.push(fieldError.tooMany('endpoints', eps.length, MAX_ENDPOINTS));
  eps.forEach((ep, i) => {
    const p = path.index('endpoints', i);
    const addrs: unknown[] = Array.isArray(ep['addresses']) ? ep['addresses'] : [];
    if (!addrs.length) errs.push(fieldError.required(`${p}.addresses`, 'must contain at least 1 address'));
    else if (addrs.length > 100) errs.push(fieldError.tooMany(`${p}.addresses`, addrs.length, 100));
    addrs.forEach((a, j) => {
      const ap = path.index(`${p}.addresses`, j);
      if (type === 'IPv4' || type === 'IPv6') {
        const e = validateIP(ap, str(a));
        if (!e.length && (type === 'IPv6') !== str(a).includes(':')) errs.push(fieldError.invalid(ap, str(a), `must be an ${type} address`));
        errs.push(...e);
      } else if (type === 'FQDN') {
        for (const m of nameIsDNSSubdomain(str(a), false)) errs.push(fieldError.invalid(ap, str(a), m));
      }
    });
    if (ep['hostname']) errs.push(...isDNS1123Label(str(ep['hostname'])).map((m) => fieldError.invalid(`${p}.hostname`, ep['hostname'], m)));
    if (typeof ep['nodeName'] === 'string') for (const m of nameIsDNSSubdomain(ep['nodeName'], false)) errs.push(fieldError.invalid(`${p}.nodeName`, ep['nodeName'], m));
  });
  const ports = list(obj['ports']);
  if (ports.length > MAX_PORTS) errs.push(fieldError.tooMany('ports', ports.length, MAX_PORTS));
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = path.index('ports', i);
    const name = str(port['name']);
    if (name) errs.push(...isDNS1123Label(name).map((m) => fieldError.invalid(`${p}.name`, name, m)));
    if (names.has(name)) errs.push(fieldError.duplicate(`${p}.name`, name));
    names.add(name);
    if (port['port'] !== undefined && port['port'] !== null) for (const m of isValidPortNum(Number(port['port']))) errs.push(fieldError.invalid(`${p}.port`, Number(port['port']), m));
    const proto = str(port['protocol']);
    if (!['SCTP', 'TCP', 'UDP'].includes(proto)) errs.push(fieldError.notSupported(`${p}.protocol`, proto, ['SCTP', 'TCP', 'UDP']));
    if (typeof port['appProtocol'] === 'string') errs.push(...isQualifiedName(port['appProtocol']).map((m) => fieldError.invalid(`${p}.appProtocol`, port['appProtocol'], m)));
  });
  return errs;
}

const endpointSlices: ResourceType = {
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  listKind: 'EndpointSliceList',
  plural: 'endpointslices',
  singular: 'endpointslice',
  namespaced: true,
  verbs: CRUD_VERBS,
  schemaType: 'io.k8s.api.discovery.v1.EndpointSlice',
  storageResource: 'endpointslices',
  defaults(obj) {
    for (const p of list(obj['ports'])) {
      setDefault(p, 'name', '');
      setDefault(p, 'protocol', 'TCP');
    }
    for (const ep of list(obj['endpoints'])) if (!isObj(ep['conditions'])) ep['conditions'] = {};
  },
  ...metaValidation(true, nameIsDNSSubdomain, validateEndpointSlice, (obj, old) => validateImmutable(obj['addressType'], old['addressType'], 'addressType')),
};

export const resources: ResourceType[] = [endpointSlices];
