// core/v1 ("" group): discovery metadata, defaults, validation and strategy hooks.
import type { FieldError, KObject, ResourceType } from '../types.ts';
import { defaultPersistentVolumeClaimSpec, defaultPod, defaultPodTemplateSpec, setDefault } from '../defaults.ts';
import {
  FIELD_IMMUTABLE, fieldError, isConfigMapKey, isDNS1123Label, isQualifiedName, isValidLabelValue, isValidPortNum, nameIsDNSLabel,
  nameIsDNSSubdomain, path, semanticEqual, validateIP, validateImmutable, validateLabelName, validateLabelSelector,
  validateNonnegative, validateObjectMeta, validateObjectMetaUpdate,
} from '../validation.ts';
import { computeQOSClass, validatePodCreate, validatePodTemplateSpec, validatePodUpdate } from '../validation-pod.ts';
import { compareQuantity, parseQuantity, quantityString } from '../validation-quantity.ts';
import { builtinResource, boolField, CREATE_ONLY, isObj, list, metaValidation, spec, specOrEmpty, statusHooks, str, type Obj } from './common.ts';
import { serviceType } from './core-services.ts';

const MAX_SECRET_SIZE = 1024 * 1024;
const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const LABEL_METADATA_NAME = 'kubernetes.io/metadata.name';

const base = builtinResource('', 'v1', 'core');

/** Go prints map values with sorted keys. */
function sortedMap(m: unknown): unknown {
  if (!isObj(m)) return m ?? null;
  return Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]]));
}

// ---------------------------------------------------------------------------------------------
// Namespaces.

const namespaces: ResourceType = {
  ...base('Namespace', 'namespaces', 'namespace', false),
  shortNames: ['ns'],
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: ['finalize', 'status'],
  hasGeneration: false,
  defaults(obj) {
    const name = obj.metadata?.name;
    if (name) (obj.metadata!.labels ??= {})[LABEL_METADATA_NAME] = name;
    if (isObj(obj['status'])) setDefault(obj['status'], 'phase', 'Active');
  },
  prepareForCreate(obj) {
    obj['status'] = { phase: 'Active' };
    const s = spec(obj);
    const finalizers: string[] = Array.isArray(s['finalizers']) ? s['finalizers'] : [];
    if (!finalizers.includes('kubernetes')) s['finalizers'] = [...finalizers, 'kubernetes'];
  },
  prepareForUpdate(obj, old) {
    // spec.finalizers change only through /finalize; status only through /status.
    const oldSpec = specOrEmpty(old);
    const s = spec(obj);
    if (oldSpec['finalizers'] === undefined) delete s['finalizers'];
    else s['finalizers'] = structuredClone(oldSpec['finalizers']);
    if (old['status'] === undefined) delete obj['status'];
    else obj['status'] = structuredClone(old['status']);
    const name = obj.metadata?.name;
    if (name) (obj.metadata!.labels ??= {})[LABEL_METADATA_NAME] = name;
  },
  ...metaValidation(false, nameIsDNSLabel, (obj) => {
    const errs: FieldError[] = [];
    const finalizers: unknown[] = Array.isArray(specOrEmpty(obj)['finalizers']) ? specOrEmpty(obj)['finalizers'] : [];
    for (const f of finalizers.map(str)) {
      for (const m of isQualifiedName(f)) errs.push(fieldError.invalid('spec.finalizers', f, m));
      if (!f.includes('/') && !['kubernetes', 'orphan', 'foregroundDeletion'].includes(f)) {
        errs.push(fieldError.invalid('spec.finalizers', f, 'name is neither a standard finalizer name nor is it fully qualified'));
      }
    }
    return errs;
  }),
  selectableFields: (obj) => ({ 'status.phase': str(obj['status']?.phase), name: str(obj.metadata?.name) }),
};

// ---------------------------------------------------------------------------------------------
// Pods and pod templates.

const pods: ResourceType = {
  ...base('Pod', 'pods', 'pod', true),
  shortNames: ['po'],
  categories: ['all'],
  subresources: ['attach', 'binding', 'ephemeralcontainers', 'eviction', 'exec', 'log', 'portforward', 'proxy', 'resize', 'status'],
  defaults: defaultPod,
  prepareForCreate(obj) {
    const s = spec(obj);
    const status: Obj = { phase: 'Pending', qosClass: computeQOSClass(s) };
    if (list(s['schedulingGates']).length) {
      status['conditions'] = [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates', lastProbeTime: null, lastTransitionTime: null }];
    }
    obj['status'] = status;
  },
  prepareForUpdate(obj, old) {
    if (old['status'] === undefined) delete obj['status'];
    else obj['status'] = structuredClone(old['status']);
  },
  validateCreate: validatePodCreate,
  validateUpdate: validatePodUpdate,
  selectableFields(obj) {
    const s = specOrEmpty(obj);
    const st: Obj = isObj(obj['status']) ? obj['status'] : {};
    const podIPs = list(st['podIPs']);
    return {
      'spec.nodeName': str(s['nodeName']),
      'spec.restartPolicy': str(s['restartPolicy']),
      'spec.schedulerName': str(s['schedulerName']),
      'spec.serviceAccountName': str(s['serviceAccountName']),
      'spec.hostNetwork': boolField(s['hostNetwork']),
      'status.phase': str(st['phase']),
      'status.podIP': podIPs.length ? str(podIPs[0]!['ip']) : str(st['podIP']),
      'status.nominatedNodeName': str(st['nominatedNodeName']),
    };
  },
};

const podTemplates: ResourceType = {
  ...base('PodTemplate', 'podtemplates', 'podtemplate', true),
  defaults: (obj) => defaultPodTemplateSpec(obj['template'] ?? (obj['template'] = {})),
  ...metaValidation(true, nameIsDNSSubdomain, (obj) => validatePodTemplateSpec(obj['template'], 'template')),
};

const bindings: ResourceType = {
  ...base('Binding', 'bindings', 'binding', true),
  verbs: CREATE_ONLY,
  validateCreate(obj) {
    const errs: FieldError[] = [];
    const target: Obj = isObj(obj['target']) ? obj['target'] : {};
    if (target['kind'] && target['kind'] !== 'Node') errs.push(fieldError.notSupported('target.kind', target['kind'], ['Node', '<empty>']));
    if (!target['name']) errs.push(fieldError.required('target.name'));
    return errs;
  },
};

// ---------------------------------------------------------------------------------------------
// ReplicationControllers.

function validateRCSpec(obj: KObject): FieldError[] {
  const s = specOrEmpty(obj);
  const errs = validateNonnegative(s['minReadySeconds'], 'spec.minReadySeconds');
  const selector: Obj = isObj(s['selector']) ? s['selector'] : {};
  if (!Object.keys(selector).length) errs.push(fieldError.required('spec.selector'));
  errs.push(...validateNonnegative(s['replicas'], 'spec.replicas'));
  const tpl = s['template'];
  if (!isObj(tpl)) {
    errs.push(fieldError.required('spec.template'));
    return errs;
  }
  const labels: Obj = isObj(tpl['metadata']) && isObj(tpl['metadata']['labels']) ? tpl['metadata']['labels'] : {};
  if (Object.keys(selector).length && Object.entries(selector).some(([k, v]) => labels[k] !== v)) {
    errs.push(fieldError.invalid('spec.template.metadata.labels', sortedMap(labels), '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(tpl, 'spec.template'));
  const ts: Obj = isObj(tpl['spec']) ? tpl['spec'] : {};
  if (ts['restartPolicy'] !== 'Always') errs.push(fieldError.notSupported('spec.template.spec.restartPolicy', str(ts['restartPolicy']), ['Always']));
  if (ts['activeDeadlineSeconds'] !== undefined && ts['activeDeadlineSeconds'] !== null) {
    errs.push(fieldError.forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in ReplicationController is not Supported'));
  }
  return errs;
}

const replicationControllers: ResourceType = {
  ...base('ReplicationController', 'replicationcontrollers', 'replicationcontroller', true),
  shortNames: ['rc'],
  categories: ['all'],
  subresources: ['scale', 'status'],
  scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' },
  defaults(obj) {
    const s = spec(obj);
    const tpl = s['template'];
    const labels = isObj(tpl) && isObj(tpl['metadata']) && isObj(tpl['metadata']['labels']) ? tpl['metadata']['labels'] : undefined;
    if (labels) {
      if (!isObj(s['selector']) || !Object.keys(s['selector']).length) s['selector'] = { ...labels };
      const meta = (obj.metadata ??= {});
      if (!meta.labels || !Object.keys(meta.labels).length) meta.labels = { ...labels };
    }
    setDefault(s, 'replicas', 1);
    if (isObj(tpl)) defaultPodTemplateSpec(tpl);
  },
  ...statusHooks(() => ({ replicas: 0 })),
  ...metaValidation(true, nameIsDNSSubdomain, validateRCSpec),
  selectableFields: (obj) => ({ 'status.replicas': String(obj['status']?.replicas ?? 0) }),
};

// ---------------------------------------------------------------------------------------------
// Services and Endpoints.

const services: ResourceType = {
  ...base('Service', 'services', 'service', true),
  shortNames: ['svc'],
  categories: ['all'],
  subresources: ['proxy', 'status'],
  storageResource: 'services/specs',
  hasGeneration: false,
  ...serviceType(),
};

function validateEndpointSubsets(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  list(obj['subsets']).forEach((ss, i) => {
    const p = path.index('subsets', i);
    if (!list(ss['addresses']).length && !list(ss['notReadyAddresses']).length) errs.push(fieldError.required(p, 'must specify `addresses` or `notReadyAddresses`'));
    for (const kind of ['addresses', 'notReadyAddresses']) {
      list(ss[kind]).forEach((a, j) => {
        const ap = path.index(`${p}.${kind}`, j);
        const ip = str(a['ip']);
        errs.push(...validateIP(`${ap}.ip`, ip));
        if (a['hostname']) errs.push(...isDNS1123Label(str(a['hostname'])).map((m) => fieldError.invalid(`${ap}.hostname`, a['hostname'], m)));
        if (typeof a['nodeName'] === 'string') for (const m of nameIsDNSSubdomain(a['nodeName'], false)) errs.push(fieldError.invalid(`${ap}.nodeName`, a['nodeName'], m));
        if (/^(0\.0\.0\.0|::)$/.test(ip)) errs.push(fieldError.invalid(`${ap}.ip`, ip, `may not be unspecified (${ip})`));
        if (/^127\./.test(ip) || ip === '::1') errs.push(fieldError.invalid(`${ap}.ip`, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
        if (/^169\.254\./.test(ip) || /^fe80:/i.test(ip)) errs.push(fieldError.invalid(`${ap}.ip`, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
        if (/^224\.0\.0\./.test(ip) || /^ff02:/i.test(ip)) errs.push(fieldError.invalid(`${ap}.ip`, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
      });
    }
    const ports = list(ss['ports']);
    ports.forEach((port, j) => {
      const pp = path.index(`${p}.ports`, j);
      if (ports.length > 1 && !port['name']) errs.push(fieldError.required(`${pp}.name`));
      else if (port['name']) errs.push(...isDNS1123Label(str(port['name'])).map((m) => fieldError.invalid(`${pp}.name`, port['name'], m)));
      for (const m of isValidPortNum(Number(port['port'] ?? 0))) errs.push(fieldError.invalid(`${pp}.port`, Number(port['port'] ?? 0), m));
      if (!port['protocol']) errs.push(fieldError.required(`${pp}.protocol`));
      else if (!['SCTP', 'TCP', 'UDP'].includes(str(port['protocol']))) errs.push(fieldError.notSupported(`${pp}.protocol`, port['protocol'], ['SCTP', 'TCP', 'UDP']));
    });
  });
  return errs;
}

const endpoints: ResourceType = {
  ...base('Endpoints', 'endpoints', 'endpoints', true),
  listKind: 'EndpointsList',
  shortNames: ['ep'],
  defaults(obj) {
    for (const ss of list(obj['subsets'])) for (const p of list(ss['ports'])) if (!p['protocol']) p['protocol'] = 'TCP';
  },
  ...metaValidation(true, nameIsDNSSubdomain, validateEndpointSubsets),
};

// ---------------------------------------------------------------------------------------------
// ConfigMaps, Secrets, ServiceAccounts.

function validateConfigMap(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const data: Obj = isObj(obj['data']) ? obj['data'] : {};
  const binary: Obj = isObj(obj['binaryData']) ? obj['binaryData'] : {};
  let total = 0;
  for (const key of Object.keys(data).sort()) {
    for (const m of isConfigMapKey(key)) errs.push(fieldError.invalid(path.key('data', key), key, m));
    if (key in binary) errs.push(fieldError.invalid(path.key('data', key), key, 'duplicate of key present in binaryData'));
    total += Buffer.byteLength(str(data[key]), 'utf8');
  }
  for (const key of Object.keys(binary).sort()) {
    for (const m of isConfigMapKey(key)) errs.push(fieldError.invalid(path.key('binaryData', key), key, m));
    total += Buffer.from(str(binary[key]), 'base64').length;
  }
  if (total > MAX_SECRET_SIZE) errs.push(fieldError.tooLong('', MAX_SECRET_SIZE));
  return errs;
}

function validateImmutableData(obj: KObject, old: KObject, fields: string[]): FieldError[] {
  if (old['immutable'] !== true) return [];
  const errs: FieldError[] = [];
  if (obj['immutable'] !== true) errs.push(fieldError.forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) if (!semanticEqual(obj[f], old[f])) errs.push(fieldError.forbidden(f, 'field is immutable when `immutable` is set'));
  return errs;
}

const configMaps: ResourceType = {
  ...base('ConfigMap', 'configmaps', 'configmap', true),
  shortNames: ['cm'],
  ...metaValidation(true, nameIsDNSSubdomain, validateConfigMap, (obj, old) => validateImmutableData(obj, old, ['data', 'binaryData']), { updateFirst: true }),
};

function validateSecret(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const data: Obj = isObj(obj['data']) ? obj['data'] : {};
  let total = 0;
  for (const key of Object.keys(data).sort()) {
    for (const m of isConfigMapKey(key)) errs.push(fieldError.invalid(path.key('data', key), key, m));
    total += Buffer.from(str(data[key]), 'base64').length;
  }
  if (total > MAX_SECRET_SIZE) errs.push(fieldError.tooLong('data', MAX_SECRET_SIZE));
  const has = (k: string): boolean => k in data;
  switch (str(obj['type'])) {
    case 'kubernetes.io/service-account-token':
      if (!obj.metadata?.annotations?.['kubernetes.io/service-account.name']) errs.push(fieldError.required('metadata.annotations[kubernetes.io/service-account.name]'));
      break;
    case 'kubernetes.io/dockercfg':
      if (!has('.dockercfg')) errs.push(fieldError.required('data[.dockercfg]'));
      else if (!jsonObject(data['.dockercfg'])) errs.push(fieldError.invalid('data[.dockercfg]', '<secret contents redacted>', 'invalid character looking for beginning of value'));
      break;
    case 'kubernetes.io/dockerconfigjson':
      if (!has('.dockerconfigjson')) errs.push(fieldError.required('data[.dockerconfigjson]'));
      else if (!jsonObject(data['.dockerconfigjson'])) errs.push(fieldError.invalid('data[.dockerconfigjson]', '<secret contents redacted>', 'invalid character looking for beginning of value'));
      break;
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) errs.push(fieldError.required('data[username]'), fieldError.required('data[password]'));
      break;
    case 'kubernetes.io/ssh-auth':
      if (!str(data['ssh-privatekey'])) errs.push(fieldError.required('data[ssh-privatekey]'));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(fieldError.required('data[tls.crt]'));
      if (!has('tls.key')) errs.push(fieldError.required('data[tls.key]'));
      break;
  }
  return errs;
}

function jsonObject(b64: unknown): boolean {
  try {
    const v = JSON.parse(Buffer.from(str(b64), 'base64').toString('utf8'));
    return isObj(v);
  } catch {
    return false;
  }
}

const secrets: ResourceType = {
  ...base('Secret', 'secrets', 'secret', true),
  defaults(obj) {
    if (!obj['type']) obj['type'] = 'Opaque';
    // stringData is write-only: it is merged into data (and wins), as upstream's conversion does.
    if (isObj(obj['stringData'])) {
      const data: Obj = isObj(obj['data']) ? obj['data'] : (obj['data'] = {});
      for (const [k, v] of Object.entries(obj['stringData'])) data[k] = Buffer.from(str(v), 'utf8').toString('base64');
    }
    delete obj['stringData'];
  },
  ...metaValidation(
    true,
    nameIsDNSSubdomain,
    validateSecret,
    (obj, old) => [...validateImmutable(str(obj['type']), str(old['type']), 'type'), ...validateImmutableData(obj, old, ['data'])],
    { updateFirst: true },
  ),
  selectableFields: (obj) => ({ type: str(obj['type']) }),
};

const serviceAccounts: ResourceType = {
  ...base('ServiceAccount', 'serviceaccounts', 'serviceaccount', true),
  shortNames: ['sa'],
  subresources: ['token'],
  ...metaValidation(true, nameIsDNSSubdomain),
};

// ---------------------------------------------------------------------------------------------
// Nodes.

function validateTaints(taints: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const unique = new Map<string, Set<string>>();
  list(taints).forEach((t, i) => {
    const p = path.index(field, i);
    errs.push(...validateLabelName(str(t['key']), `${p}.key`));
    const vm = isValidLabelValue(str(t['value']));
    if (vm.length) errs.push(fieldError.invalid(`${p}.value`, str(t['value']), vm.join(';')));
    const effect = str(t['effect']);
    if (!effect) errs.push(fieldError.required(`${p}.effect`));
    else if (!['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(effect)) errs.push(fieldError.notSupported(`${p}.effect`, effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']));
    const keys = unique.get(effect) ?? new Set<string>();
    if (keys.has(str(t['key']))) {
      errs.push(fieldError.duplicate(p, t, 'taints must be unique by key and effect pair'));
      return;
    }
    keys.add(str(t['key']));
    unique.set(effect, keys);
  });
  return errs;
}

function validateCIDR(field: string, value: string): FieldError[] {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(value);
  if (!m || validateIP(field, m[1]!).length || Number(m[2]) > (m[1]!.includes(':') ? 128 : 32)) {
    return [fieldError.invalid(field, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
  }
  return [];
}

function validateNodeBody(obj: KObject): FieldError[] {
  const s = specOrEmpty(obj);
  // Upstream reports spec.taints under metadata.taints (it passes the metadata path).
  const errs = validateTaints(s['taints'], 'metadata.taints');
  const st: Obj = isObj(obj['status']) ? obj['status'] : {};
  for (const kind of ['capacity', 'allocatable']) {
    for (const [k, q] of Object.entries(isObj(st[kind]) ? st[kind] : {})) {
      if ((parseQuantity(q) ?? 0) < 0) errs.push(fieldError.invalid(`status.${kind}.${k}`, quantityString(q), 'must be greater than or equal to 0'));
    }
  }
  const cidrs: unknown[] = Array.isArray(s['podCIDRs']) ? s['podCIDRs'] : [];
  cidrs.forEach((c, i) => errs.push(...validateCIDR(path.index('spec.podCIDRs', i), str(c))));
  return errs;
}

function validateNodeUpdate(obj: KObject, old: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const s = specOrEmpty(obj);
  const o = specOrEmpty(old);
  const oldCIDRs: unknown[] = Array.isArray(o['podCIDRs']) ? o['podCIDRs'] : [];
  const newCIDRs: unknown[] = Array.isArray(s['podCIDRs']) ? s['podCIDRs'] : [];
  if (oldCIDRs.length && !semanticEqual(oldCIDRs, newCIDRs)) {
    errs.push(fieldError.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  if (o['providerID'] && o['providerID'] !== s['providerID']) errs.push(fieldError.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  if (str(s['externalID']) !== str(o['externalID'])) errs.push(fieldError.forbidden('spec.externalID', 'may not be updated'));
  return errs;
}

const nodes: ResourceType = {
  ...base('Node', 'nodes', 'node', false),
  shortNames: ['no'],
  subresources: ['proxy', 'status'],
  storageResource: 'minions',
  hasGeneration: false,
  defaults(obj) {
    const s = spec(obj);
    // v1 podCIDR mirrors podCIDRs[0].
    if ((!Array.isArray(s['podCIDRs']) || !s['podCIDRs'].length) && s['podCIDR']) s['podCIDRs'] = [s['podCIDR']];
    if (Array.isArray(s['podCIDRs']) && s['podCIDRs'].length) s['podCIDR'] = s['podCIDRs'][0];
    const st = obj['status'];
    if (isObj(st) && isObj(st['capacity']) && !isObj(st['allocatable'])) st['allocatable'] = { ...st['capacity'] };
  },
  prepareForUpdate(obj, old) {
    if (old['status'] === undefined) delete obj['status'];
    else obj['status'] = structuredClone(old['status']);
  },
  validateCreate: (obj) => [...validateObjectMeta(obj.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain }), ...validateNodeBody(obj)],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateNodeBody(obj), ...validateNodeUpdate(obj, old)],
  selectableFields: (obj) => ({ 'spec.unschedulable': boolField(specOrEmpty(obj)['unschedulable']) }),
};

// ---------------------------------------------------------------------------------------------
// Events (core/v1; events.k8s.io/v1 shares their storage and field selectors).

export function validateCoreEvent(obj: KObject): FieldError[] {
  const errs: FieldError[] = validateObjectMeta(obj.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const ns = str(obj.metadata?.namespace);
  const involved: Obj = isObj(obj['involvedObject']) ? obj['involvedObject'] : {};
  const involvedNS = str(involved['namespace']);
  if (!obj['eventTime']) {
    if (!involvedNS ? ns !== '' && ns !== 'default' : ns !== involvedNS) {
      errs.push(fieldError.invalid('involvedObject.namespace', involvedNS, 'does not match event.namespace'));
    }
  } else {
    if (!involvedNS && ns !== 'default' && ns !== 'kube-system') errs.push(fieldError.invalid('involvedObject.namespace', involvedNS, 'does not match event.namespace'));
    errs.push(...reportedEventErrors(obj, 'reportingComponent', 'message'));
  }
  return errs;
}

/**
 * The checks of a new-style event's reporter and text, shared by core/v1 (reportingComponent, message) and
 * events.k8s.io/v1 (reportingController, note), which name two of the fields differently.
 */
export function reportedEventErrors(obj: KObject, reporterField: string, textField: string): FieldError[] {
  const errs: FieldError[] = [];
  const reporter = str(obj[reporterField]);
  if (!reporter) errs.push(fieldError.required(reporterField));
  for (const m of isQualifiedName(reporter)) errs.push(fieldError.invalid(reporterField, reporter, m));
  for (const field of ['reportingInstance', 'action', 'reason']) {
    const value = str(obj[field]);
    if (!value) errs.push(fieldError.required(field));
    if (value.length > 128) errs.push(fieldError.invalid(field, '', 'can have at most 128 characters'));
  }
  if (str(obj[textField]).length > 1024) errs.push(fieldError.invalid(textField, '', 'can have at most 1024 characters'));
  return errs;
}

/** Field selectors of core Events, also served (by these names) for events.k8s.io. */
export function coreEventFields(obj: KObject): Record<string, string> {
  const io: Obj = isObj(obj['involvedObject']) ? obj['involvedObject'] : {};
  const source = str(isObj(obj['source']) ? obj['source']['component'] : '') || str(obj['reportingComponent']);
  return {
    'involvedObject.kind': str(io['kind']),
    'involvedObject.namespace': str(io['namespace']),
    'involvedObject.name': str(io['name']),
    'involvedObject.uid': str(io['uid']),
    'involvedObject.apiVersion': str(io['apiVersion']),
    'involvedObject.resourceVersion': str(io['resourceVersion']),
    'involvedObject.fieldPath': str(io['fieldPath']),
    reason: str(obj['reason']),
    reportingComponent: str(obj['reportingComponent']),
    source,
    type: str(obj['type']),
  };
}

const events: ResourceType = {
  ...base('Event', 'events', 'event', true),
  shortNames: ['ev'],
  storageResource: 'events',
  hasGeneration: false,
  validateCreate: validateCoreEvent,
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateCoreEvent(obj)],
  selectableFields: coreEventFields,
};

// ---------------------------------------------------------------------------------------------
// Persistent volumes and claims.

function validateAccessModes(modes: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const list_: string[] = Array.isArray(modes) ? modes.map(str) : [];
  let rwop = false;
  let other = false;
  for (const m of list_) {
    if (!ACCESS_MODES.includes(m)) errs.push(fieldError.notSupported(field, m, ACCESS_MODES));
    if (m === 'ReadWriteOncePod') rwop = true;
    else if (ACCESS_MODES.includes(m)) other = true;
  }
  if (rwop && other) errs.push(fieldError.forbidden(field, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

const PV_SOURCES = [
  'gcePersistentDisk', 'awsElasticBlockStore', 'hostPath', 'glusterfs', 'nfs', 'rbd', 'iscsi', 'cinder', 'cephfs', 'fc', 'flocker', 'flexVolume',
  'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'local', 'storageos', 'csi',
];

function validatePV(obj: KObject): FieldError[] {
  const s = specOrEmpty(obj);
  const errs: FieldError[] = [];
  if (!Array.isArray(s['accessModes']) || !s['accessModes'].length) errs.push(fieldError.required('spec.accessModes'));
  errs.push(...validateAccessModes(s['accessModes'], 'spec.accessModes'));
  const cap: Obj = isObj(s['capacity']) ? s['capacity'] : {};
  if (!Object.keys(cap).length) errs.push(fieldError.required('spec.capacity'));
  else if (!('storage' in cap) || Object.keys(cap).length > 1) errs.push(fieldError.notSupported('spec.capacity', sortedMap(cap), ['storage']));
  for (const [k, q] of Object.entries(cap)) {
    if (!((parseQuantity(q) ?? 0) > 0)) errs.push(fieldError.invalid(path.key('spec.capacity', k), quantityString(q), 'must be greater than zero'));
  }
  const policy = s['persistentVolumeReclaimPolicy'];
  if (policy && !['Delete', 'Recycle', 'Retain'].includes(str(policy))) errs.push(fieldError.notSupported('spec.persistentVolumeReclaimPolicy', policy, ['Delete', 'Recycle', 'Retain']));
  if (s['storageClassName']) for (const m of nameIsDNSSubdomain(str(s['storageClassName']), false)) errs.push(fieldError.invalid('spec.storageClassName', s['storageClassName'], m));
  if (s['volumeMode'] && !['Block', 'Filesystem'].includes(str(s['volumeMode']))) errs.push(fieldError.notSupported('spec.volumeMode', s['volumeMode'], ['Block', 'Filesystem']));
  const sources = PV_SOURCES.filter((k) => s[k] !== undefined && s[k] !== null);
  if (!sources.length) errs.push(fieldError.required('spec', 'must specify a volume type'));
  for (const extra of sources.slice(1)) errs.push(fieldError.forbidden(`spec.${extra}`, 'may not specify more than 1 volume type'));
  if (isObj(s['hostPath']) && !s['hostPath']['path']) errs.push(fieldError.required('spec.hostPath.path'));
  if (isObj(s['local']) && !s['local']['path']) errs.push(fieldError.required('spec.local.path'));
  if (isObj(s['csi'])) {
    if (!s['csi']['driver']) errs.push(fieldError.required('spec.csi.driver'));
    if (!s['csi']['volumeHandle']) errs.push(fieldError.required('spec.csi.volumeHandle'));
  }
  return errs;
}

const persistentVolumes: ResourceType = {
  ...base('PersistentVolume', 'persistentvolumes', 'persistentvolume', false),
  shortNames: ['pv'],
  subresources: ['status'],
  hasGeneration: false,
  defaults(obj) {
    const s = spec(obj);
    if (!s['persistentVolumeReclaimPolicy']) s['persistentVolumeReclaimPolicy'] = 'Retain';
    setDefault(s, 'volumeMode', 'Filesystem');
    if (isObj(obj['status'])) setDefault(obj['status'], 'phase', 'Pending');
  },
  ...statusHooks(() => ({ phase: 'Pending', lastPhaseTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') })),
  ...metaValidation(false, nameIsDNSSubdomain, validatePV),
};

function validatePVCSpec(s: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(s['accessModes']) || !s['accessModes'].length) errs.push(fieldError.required(`${field}.accessModes`, 'at least 1 access mode is required'));
  if (s['selector']) errs.push(...validateLabelSelector(s['selector'], `${field}.selector`));
  errs.push(...validateAccessModes(s['accessModes'], `${field}.accessModes`));
  const requests: Obj = isObj(s['resources']) && isObj(s['resources']['requests']) ? s['resources']['requests'] : {};
  const storageField = path.key(`${field}.resources`, 'storage');
  if (!('storage' in requests)) errs.push(fieldError.required(storageField));
  else if (!((parseQuantity(requests['storage']) ?? 0) > 0)) errs.push(fieldError.invalid(storageField, quantityString(requests['storage']), 'must be greater than zero'));
  if (s['storageClassName']) for (const m of nameIsDNSSubdomain(str(s['storageClassName']), false)) errs.push(fieldError.invalid(`${field}.storageClassName`, s['storageClassName'], m));
  if (s['volumeMode'] && !['Block', 'Filesystem'].includes(str(s['volumeMode']))) errs.push(fieldError.notSupported(`${field}.volumeMode`, s['volumeMode'], ['Block', 'Filesystem']));
  return errs;
}

function validatePVCUpdate(obj: KObject, old: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const s = structuredClone(specOrEmpty(obj));
  const o = structuredClone(specOrEmpty(old));
  if (!o['volumeName']) o['volumeName'] = s['volumeName'];
  const bound = obj['status']?.phase === 'Bound';
  const newReq = s['resources']?.requests?.storage;
  const oldReq = o['resources']?.requests?.storage;
  if (bound && isObj(s['resources']) && isObj(s['resources']['requests'])) s['resources']['requests']['storage'] = oldReq;
  if (bound) s['volumeAttributesClassName'] = o['volumeAttributesClassName'];
  if (!semanticEqual(s, o)) {
    errs.push(fieldError.forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  }
  if (newReq !== undefined && oldReq !== undefined && compareQuantity(newReq, oldReq) < 0) {
    const statusSize = old['status']?.capacity?.storage;
    if (statusSize === undefined || compareQuantity(newReq, statusSize) <= 0) {
      errs.push(fieldError.forbidden('spec.resources.requests.storage', 'field can not be less than status.capacity'));
    }
  }
  errs.push(...validateImmutable(specOrEmpty(obj)['volumeMode'], specOrEmpty(old)['volumeMode'], 'volumeMode'));
  return errs;
}

const persistentVolumeClaims: ResourceType = {
  ...base('PersistentVolumeClaim', 'persistentvolumeclaims', 'persistentvolumeclaim', true),
  shortNames: ['pvc'],
  subresources: ['status'],
  hasGeneration: false,
  defaults(obj) {
    defaultPersistentVolumeClaimSpec(spec(obj));
    if (isObj(obj['status'])) setDefault(obj['status'], 'phase', 'Pending');
  },
  ...statusHooks(() => ({ phase: 'Pending' })),
  ...metaValidation(true, nameIsDNSSubdomain, (obj) => validatePVCSpec(specOrEmpty(obj), 'spec'), validatePVCUpdate),
};

// ---------------------------------------------------------------------------------------------
// LimitRanges and ResourceQuotas.

const LIMIT_TYPES = ['Container', 'Pod', 'PersistentVolumeClaim'];

function defaultLimitRange(obj: KObject): void {
  for (const item of list(specOrEmpty(obj)['limits'])) {
    if (item['type'] !== 'Container') continue;
    const def: Obj = isObj(item['default']) ? item['default'] : (item['default'] = {});
    const req: Obj = isObj(item['defaultRequest']) ? item['defaultRequest'] : (item['defaultRequest'] = {});
    for (const [k, v] of Object.entries(isObj(item['max']) ? item['max'] : {})) if (!(k in def)) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (!(k in req)) req[k] = v;
    for (const [k, v] of Object.entries(isObj(item['min']) ? item['min'] : {})) if (!(k in req)) req[k] = v;
    if (!Object.keys(def).length) delete item['default'];
    if (!Object.keys(req).length) delete item['defaultRequest'];
  }
}

function validateLimitRange(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  list(specOrEmpty(obj)['limits']).forEach((item, i) => {
    const p = path.index('spec.limits', i);
    const type = str(item['type']);
    const typeErrs = isQualifiedName(type).map((m) => fieldError.invalid(`${p}.type`, type, m));
    if (!typeErrs.length && !type.includes('/') && !LIMIT_TYPES.includes(type)) typeErrs.push(fieldError.invalid(`${p}.type`, type, 'must be a standard limit type or fully qualified'));
    errs.push(...typeErrs);
    if (seen.has(type)) errs.push(fieldError.duplicate(`${p}.type`, type));
    seen.add(type);
    if (type === 'Pod') {
      if (isObj(item['default']) && Object.keys(item['default']).length) errs.push(fieldError.forbidden(`${p}.default`, "may not be specified when `type` is 'Pod'"));
      if (isObj(item['defaultRequest']) && Object.keys(item['defaultRequest']).length) errs.push(fieldError.forbidden(`${p}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
    }
    const min: Obj = isObj(item['min']) ? item['min'] : {};
    const max: Obj = isObj(item['max']) ? item['max'] : {};
    for (const k of Object.keys(min)) {
      if (k in max && compareQuantity(min[k], max[k]) > 0) {
        errs.push(fieldError.invalid(path.key(`${p}.min`, k), quantityString(min[k]), `min value ${quantityString(min[k])} is greater than max value ${quantityString(max[k])}`));
      }
    }
    if (type === 'PersistentVolumeClaim' && !('storage' in min) && !('storage' in max)) {
      errs.push(fieldError.required(`${p}.limits`, 'either minimum or maximum storage value is required, but neither was provided'));
    }
  });
  return errs;
}

const limitRanges: ResourceType = {
  ...base('LimitRange', 'limitranges', 'limitrange', true),
  shortNames: ['limits'],
  defaults: defaultLimitRange,
  ...metaValidation(true, nameIsDNSSubdomain, validateLimitRange),
};

function validateQuotaResources(m: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, q] of Object.entries(isObj(m) ? m : {})) {
    const p = path.key(field, k);
    errs.push(...isQualifiedName(k).map((msg) => fieldError.invalid(p, k, msg)));
    const v = parseQuantity(q);
    if (v === undefined || v < 0) errs.push(fieldError.invalid(p, quantityString(q), 'must be greater than or equal to 0'));
  }
  return errs;
}

const resourceQuotas: ResourceType = {
  ...base('ResourceQuota', 'resourcequotas', 'resourcequota', true),
  shortNames: ['quota'],
  subresources: ['status'],
  hasGeneration: false,
  ...statusHooks(() => ({})),
  ...metaValidation(true, nameIsDNSSubdomain, (obj) => validateQuotaResources(specOrEmpty(obj)['hard'], 'spec.hard'), (obj, old) => {
    const scopes = (x: KObject): string[] => (Array.isArray(specOrEmpty(x)['scopes']) ? (specOrEmpty(x)['scopes'] as string[]).map(str).sort() : []);
    return semanticEqual(scopes(obj), scopes(old)) ? [] : [fieldError.invalid('spec.scopes', specOrEmpty(obj)['scopes'] ?? null, FIELD_IMMUTABLE)];
  }),
};

export const resources: ResourceType[] = [
  bindings,
  configMaps,
  endpoints,
  events,
  limitRanges,
  namespaces,
  nodes,
  persistentVolumeClaims,
  persistentVolumes,
  pods,
  podTemplates,
  replicationControllers,
  resourceQuotas,
  secrets,
  serviceAccounts,
  services,
];

