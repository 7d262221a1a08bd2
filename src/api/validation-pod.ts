// Pod spec validation (pkg/apis/core/validation's ValidatePodSpec and friends), for Pods and for the pod
// templates of workloads. Messages and field paths as upstream prints them.
import type { FieldError, KObject } from './types.ts';
import {
  fieldError, goQuote, inclusiveRangeError, isConfigMapKey, isDNS1123Label, isHTTPHeaderName, isQualifiedName, isRelaxedEnvVarName,
  isValidLabelValue, isValidPortName, isValidPortNum, nameIsDNSSubdomain, path, semanticEqual, validateAnnotations, validateIP,
  validateLabelName, validateLabels, validateLabelSelector, validateNonnegative, validateObjectMeta, validateObjectMetaUpdate,
} from './validation.ts';
import { volumeSourceNames } from './defaults.ts';
import { compareQuantity, parseQuantity, quantityString } from './validation-quantity.ts';

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map((x) => (isObj(x) ? x : {})) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

export interface PodSpecOptions {
  /** The spec belongs to a Pod (not a template): hostPort rules and pod-only checks. */
  isPod: boolean;
  /** The pod's metadata (for generic ephemeral volume names). */
  podName?: string;
}

const FILE_MODE_MSG = 'must be a number between 0 and 0777 (octal), both inclusive';
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const ENV_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'];
const RESOURCE_FIELD_PATHS = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];
const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const INTEGER_RESOURCES = new Set(['pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers', 'count/pods']);

// ---------------------------------------------------------------------------------------------
// Volumes.

function validateKeyToPaths(items: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  list(items).forEach((kp, i) => {
    const p = path.index(field, i);
    if (!kp['key']) errs.push(fieldError.required(`${p}.key`));
    if (!kp['path']) errs.push(fieldError.required(`${p}.path`));
    else errs.push(...validateLocalNonReservedPath(str(kp['path']), `${p}.path`));
    errs.push(...validateFileMode(kp['mode'], `${p}.mode`));
  });
  return errs;
}

function validateFileMode(mode: unknown, field: string): FieldError[] {
  if (typeof mode !== 'number') return [];
  return mode > 0o777 || mode < 0 ? [fieldError.invalid(field, mode, FILE_MODE_MSG)] : [];
}

function validateLocalDescendingPath(p: string, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith('/')) errs.push(fieldError.invalid(field, p, 'must be a relative path'));
  errs.push(...validatePathNoBacksteps(p, field));
  return errs;
}

function validatePathNoBacksteps(p: string, field: string): FieldError[] {
  return p.split(/[\\/]/).includes('..') ? [fieldError.invalid(field, p, "must not contain '..'")] : [];
}

function validateLocalNonReservedPath(p: string, field: string): FieldError[] {
  const errs = validateLocalDescendingPath(p, field);
  if (p.startsWith('..')) errs.push(fieldError.invalid(field, p, "must not start with '..'"));
  return errs;
}

function validateVolumeSource(v: Obj, field: string, name: string, opts: PodSpecOptions): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  for (const src of volumeSourceNames) {
    const s = v[src];
    if (s === undefined || s === null) continue;
    const p = `${field}.${src}`;
    if (count > 0) {
      errs.push(fieldError.forbidden(p, 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    const o: Obj = isObj(s) ? s : {};
    switch (src) {
      case 'emptyDir':
        if (o['sizeLimit'] !== undefined && (parseQuantity(o['sizeLimit']) ?? 0) < 0) errs.push(fieldError.forbidden(`${p}.sizeLimit`, 'SizeLimit field must be a valid resource quantity'));
        break;
      case 'hostPath':
        if (!o['path']) errs.push(fieldError.required(`${p}.path`));
        else {
          errs.push(...validatePathNoBacksteps(str(o['path']), `${p}.path`));
          const types = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
          if (o['type'] !== undefined && o['type'] !== null && !types.includes(str(o['type']))) errs.push(fieldError.notSupported(`${p}.type`, o['type'], types));
        }
        break;
      case 'secret':
        if (!o['secretName']) errs.push(fieldError.required(`${p}.secretName`));
        errs.push(...validateFileMode(o['defaultMode'], `${p}.defaultMode`));
        errs.push(...validateKeyToPaths(o['items'], `${p}.items`));
        break;
      case 'configMap':
        if (!o['name']) errs.push(fieldError.required(`${p}.name`));
        errs.push(...validateFileMode(o['defaultMode'], `${p}.defaultMode`));
        errs.push(...validateKeyToPaths(o['items'], `${p}.items`));
        break;
      case 'persistentVolumeClaim':
        if (!o['claimName']) errs.push(fieldError.required(`${p}.claimName`));
        break;
      case 'nfs':
        if (!o['server']) errs.push(fieldError.required(`${p}.server`));
        if (!o['path']) errs.push(fieldError.required(`${p}.path`));
        else if (!str(o['path']).startsWith('/')) errs.push(fieldError.invalid(`${p}.path`, o['path'], 'must be an absolute path'));
        break;
      case 'downwardAPI':
        errs.push(...validateFileMode(o['defaultMode'], `${p}.defaultMode`));
        break;
      case 'projected':
        errs.push(...validateFileMode(o['defaultMode'], `${p}.defaultMode`));
        break;
      case 'csi':
        if (!o['driver']) errs.push(fieldError.required(`${p}.driver`));
        break;
      case 'ephemeral':
        if (!isObj(o['volumeClaimTemplate'])) errs.push(fieldError.required(`${p}.volumeClaimTemplate`));
        else if (opts.podName && name) {
          const pvcName = `${opts.podName}-${name}`;
          for (const m of nameIsDNSSubdomain(pvcName, false)) errs.push(fieldError.invalid(`${field}.name`, name, `PVC name ${goQuote(pvcName)}: ${m}`));
        }
        break;
      case 'image':
        if (!o['reference']) errs.push(fieldError.required(`${p}.reference`));
        break;
    }
  }
  if (count === 0) errs.push(fieldError.required(field, 'must specify a volume type'));
  return errs;
}

export function validateVolumes(volumes: unknown, field: string, opts: PodSpecOptions): { errs: FieldError[]; names: Map<string, Obj> } {
  const errs: FieldError[] = [];
  const names = new Map<string, Obj>();
  list(volumes).forEach((v, i) => {
    const p = path.index(field, i);
    const name = str(v['name']);
    const el = validateVolumeSource(v, p, name, opts);
    if (!name) el.push(fieldError.required(`${p}.name`));
    else el.push(...isDNS1123Label(name).map((m) => fieldError.invalid(`${p}.name`, name, m)));
    if (names.has(name)) el.push(fieldError.duplicate(`${p}.name`, name));
    if (el.length === 0) names.set(name, v);
    else errs.push(...el);
  });
  return { errs, names };
}

// ---------------------------------------------------------------------------------------------
// Containers.

function validateContainerPorts(ports: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  list(ports).forEach((port, i) => {
    const p = path.index(field, i);
    const name = str(port['name']);
    if (name) {
      const msgs = isValidPortName(name);
      if (msgs.length) for (const m of msgs) errs.push(fieldError.invalid(`${p}.name`, name, m));
      else if (seen.has(name)) errs.push(fieldError.duplicate(`${p}.name`, name));
      else seen.add(name);
    }
    if (!port['containerPort']) errs.push(fieldError.required(`${p}.containerPort`));
    else for (const m of isValidPortNum(port['containerPort'])) errs.push(fieldError.invalid(`${p}.containerPort`, port['containerPort'], m));
    if (port['hostPort']) for (const m of isValidPortNum(port['hostPort'])) errs.push(fieldError.invalid(`${p}.hostPort`, port['hostPort'], m));
    if (!port['protocol']) errs.push(fieldError.required(`${p}.protocol`));
    else if (!PROTOCOLS.includes(str(port['protocol']))) errs.push(fieldError.notSupported(`${p}.protocol`, port['protocol'], PROTOCOLS));
  });
  return errs;
}

function validateKeySelector(sel: Obj, field: string): FieldError[] {
  const errs = nameIsDNSSubdomain(str(sel['name']), false).map((m) => fieldError.invalid(`${field}.name`, str(sel['name']), m));
  if (!sel['key']) errs.push(fieldError.required(`${field}.key`));
  else for (const m of isConfigMapKey(str(sel['key']))) errs.push(fieldError.invalid(`${field}.key`, sel['key'], m));
  return errs;
}

function validateEnv(env: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  list(env).forEach((ev, i) => {
    const p = path.index(field, i);
    const name = str(ev['name']);
    if (!name) errs.push(fieldError.required(`${p}.name`));
    else for (const m of isRelaxedEnvVarName(name)) errs.push(fieldError.invalid(`${p}.name`, name, m));
    const from = ev['valueFrom'];
    if (!isObj(from)) return;
    const fp = `${p}.valueFrom`;
    let sources = 0;
    if (isObj(from['fieldRef'])) {
      sources++;
      const ref = from['fieldRef'];
      if (!ref['apiVersion']) errs.push(fieldError.required(`${fp}.fieldRef.apiVersion`));
      else if (!ref['fieldPath']) errs.push(fieldError.required(`${fp}.fieldRef.fieldPath`));
      else {
        const fieldPath = str(ref['fieldPath']);
        const sub = /^(metadata\.(?:annotations|labels))\['(.*)'\]$/.exec(fieldPath);
        if (sub) {
          const key = sub[1] === 'metadata.annotations' ? sub[2]!.toLowerCase() : sub[2]!;
          for (const m of isQualifiedName(key)) errs.push(fieldError.invalid(`${fp}.fieldRef`, key, m));
        } else if (!ENV_FIELD_PATHS.includes(fieldPath) && fieldPath !== 'metadata.labels' && fieldPath !== 'metadata.annotations') {
          errs.push(fieldError.notSupported(`${fp}.fieldRef.fieldPath`, fieldPath, ENV_FIELD_PATHS));
        }
      }
    }
    if (isObj(from['resourceFieldRef'])) {
      sources++;
      const res = str(from['resourceFieldRef']['resource']);
      if (!res) errs.push(fieldError.required(`${fp}.resourceFieldRef.resource`));
      else if (!RESOURCE_FIELD_PATHS.includes(res) && !/^(requests|limits)\.hugepages-/.test(res)) {
        errs.push(fieldError.notSupported(`${fp}.resourceFieldRef.resource`, res, RESOURCE_FIELD_PATHS));
      }
    }
    if (isObj(from['configMapKeyRef'])) {
      sources++;
      errs.push(...validateKeySelector(from['configMapKeyRef'], `${fp}.configMapKeyRef`));
    }
    if (isObj(from['secretKeyRef'])) {
      sources++;
      errs.push(...validateKeySelector(from['secretKeyRef'], `${fp}.secretKeyRef`));
    }
    if (sources === 0) errs.push(fieldError.invalid(fp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (ev['value']) errs.push(fieldError.invalid(fp, '', 'may not be specified when `value` is not empty'));
    else if (sources > 1) errs.push(fieldError.invalid(fp, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateEnvFrom(envFrom: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  list(envFrom).forEach((ev, i) => {
    const p = path.index(field, i);
    if (ev['prefix']) for (const m of isRelaxedEnvVarName(str(ev['prefix']))) errs.push(fieldError.invalid(`${p}.prefix`, ev['prefix'], m));
    let sources = 0;
    for (const kind of ['configMapRef', 'secretRef']) {
      const ref = ev[kind];
      if (!isObj(ref)) continue;
      sources++;
      if (!ref['name']) errs.push(fieldError.required(`${p}.${kind}.name`));
      else for (const m of nameIsDNSSubdomain(str(ref['name']), true)) errs.push(fieldError.invalid(`${p}.${kind}.name`, ref['name'], m));
    }
    if (sources === 0) errs.push(fieldError.invalid(field, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (sources > 1) errs.push(fieldError.invalid(field, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateVolumeMounts(mounts: unknown, volumes: Map<string, Obj>, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const points = new Set<string>();
  list(mounts).forEach((m, i) => {
    const p = path.index(field, i);
    const name = str(m['name']);
    const mountPath = str(m['mountPath']);
    if (!name) errs.push(fieldError.required(`${p}.name`));
    if (!volumes.has(name)) errs.push(fieldError.notFound(`${p}.name`, name));
    if (!mountPath) errs.push(fieldError.required(`${p}.mountPath`));
    if (points.has(mountPath)) errs.push(fieldError.invalid(`${p}.mountPath`, mountPath, 'must be unique'));
    points.add(mountPath);
    if (m['subPath']) errs.push(...validateLocalDescendingPath(str(m['subPath']), `${field}.subPath`));
    if (m['subPathExpr']) {
      if (m['subPath']) errs.push(fieldError.invalid(`${p}.subPathExpr`, m['subPathExpr'], 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...validateLocalDescendingPath(str(m['subPathExpr']), `${field}.subPathExpr`));
    }
  });
  return errs;
}

function validateResourceName(name: string, field: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => fieldError.invalid(field, name, m));
  if (errs.length) return errs;
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !name.startsWith('hugepages-')) errs.push(fieldError.invalid(field, name, 'must be a standard resource for containers'));
  } else if (!name.includes('kubernetes.io/') && name.startsWith('requests.')) {
    errs.push(fieldError.invalid(field, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

function validateQuantityValue(name: string, q: unknown, field: string): FieldError[] {
  const v = parseQuantity(q);
  if (v === undefined) return [fieldError.invalid(field, q, 'quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'')];
  const errs: FieldError[] = [];
  if (v < 0) errs.push(fieldError.invalid(field, quantityString(q), 'must be greater than or equal to 0'));
  if (INTEGER_RESOURCES.has(name) && !Number.isInteger(v)) errs.push(fieldError.invalid(field, quantityString(q), 'must be an integer'));
  return errs;
}

const overcommitAllowed = (name: string): boolean => STANDARD_CONTAINER_RESOURCES.has(name) || name.includes('kubernetes.io/') && !name.startsWith('hugepages-');

export function validateResourceRequirements(res: unknown, field: string): FieldError[] {
  if (!isObj(res)) return [];
  const errs: FieldError[] = [];
  const limits: Obj = isObj(res['limits']) ? res['limits'] : {};
  const requests: Obj = isObj(res['requests']) ? res['requests'] : {};
  for (const [name, q] of Object.entries(limits)) {
    const p = path.key(`${field}.limits`, name);
    errs.push(...validateResourceName(name, p), ...validateQuantityValue(name, q, p));
  }
  for (const [name, q] of Object.entries(requests)) {
    const p = path.key(`${field}.requests`, name);
    errs.push(...validateResourceName(name, p), ...validateQuantityValue(name, q, p));
    if (name in limits) {
      const cmp = compareQuantity(q, limits[name]);
      if (cmp !== 0 && !overcommitAllowed(name)) {
        errs.push(fieldError.invalid(`${field}.requests`, quantityString(q), `must be equal to ${name} limit of ${quantityString(limits[name])}`));
      } else if (cmp > 0) {
        errs.push(fieldError.invalid(`${field}.requests`, quantityString(q), `must be less than or equal to ${name} limit of ${quantityString(limits[name])}`));
      }
    } else if (!overcommitAllowed(name)) {
      errs.push(fieldError.required(`${field}.limits`, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}

function validatePortNumOrName(port: unknown, field: string): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => fieldError.invalid(field, port, m));
  if (typeof port === 'string') return isValidPortName(port).map((m) => fieldError.invalid(field, port, m));
  return isValidPortNum(0).map((m) => fieldError.invalid(field, 0, m));
}

function validateHandler(h: Obj, field: string, isProbe: boolean, gracePeriod: number | undefined): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  const kinds = isProbe ? ['exec', 'httpGet', 'tcpSocket', 'grpc'] : ['exec', 'httpGet', 'tcpSocket', 'sleep'];
  for (const kind of kinds) {
    const a = h[kind];
    if (!isObj(a)) continue;
    const p = `${field}.${kind}`;
    if (n > 0) {
      errs.push(fieldError.forbidden(p, 'may not specify more than 1 handler type'));
      continue;
    }
    n++;
    if (kind === 'exec' && !(Array.isArray(a['command']) && a['command'].length)) errs.push(fieldError.required(`${p}.command`));
    if (kind === 'httpGet') {
      if (!a['path']) errs.push(fieldError.required(`${p}.path`));
      errs.push(...validatePortNumOrName(a['port'], `${p}.port`));
      if (!['HTTP', 'HTTPS'].includes(str(a['scheme']))) errs.push(fieldError.notSupported(`${p}.scheme`, str(a['scheme']), ['HTTP', 'HTTPS']));
      for (const hdr of list(a['httpHeaders'])) for (const m of isHTTPHeaderName(str(hdr['name']))) errs.push(fieldError.invalid(`${p}.httpHeaders`, str(hdr['name']), m));
    }
    if (kind === 'tcpSocket') errs.push(...validatePortNumOrName(a['port'], `${p}.port`));
    if (kind === 'grpc') errs.push(...validatePortNumOrName(typeof a['port'] === 'number' ? a['port'] : 0, `${p}.port`));
    if (kind === 'sleep' && gracePeriod !== undefined) {
      const s = Number(a['seconds'] ?? 0);
      if (s < 0 || s > gracePeriod) errs.push(fieldError.invalid(p, s, `must be non-negative and less than terminationGracePeriodSeconds (${gracePeriod})`));
    }
  }
  if (n === 0) errs.push(fieldError.required(field, 'must specify a handler type'));
  return errs;
}

function validateProbe(probe: unknown, field: string, kind: 'liveness' | 'readiness' | 'startup', gracePeriod: number | undefined): FieldError[] {
  if (!isObj(probe)) return [];
  const errs = validateHandler(probe, field, true, gracePeriod);
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) errs.push(...validateNonnegative(probe[k], `${field}.${k}`));
  const tgps = probe['terminationGracePeriodSeconds'];
  if (typeof tgps === 'number' && tgps <= 0) errs.push(fieldError.invalid(`${field}.terminationGracePeriodSeconds`, tgps, 'must be greater than 0'));
  if (kind !== 'readiness' && (probe['successThreshold'] ?? 0) !== 1) errs.push(fieldError.invalid(`${field}.successThreshold`, probe['successThreshold'] ?? 0, 'must be 1'));
  if (kind === 'readiness' && tgps !== undefined && tgps !== null) errs.push(fieldError.invalid(`${field}.terminationGracePeriodSeconds`, tgps, 'must not be set for readinessProbes'));
  return errs;
}

function validateLifecycle(lc: unknown, field: string, gracePeriod: number | undefined): FieldError[] {
  if (!isObj(lc)) return [];
  const errs: FieldError[] = [];
  if (isObj(lc['postStart'])) errs.push(...validateHandler(lc['postStart'], `${field}.postStart`, false, gracePeriod));
  if (isObj(lc['preStop'])) errs.push(...validateHandler(lc['preStop'], `${field}.preStop`, false, gracePeriod));
  return errs;
}

function validateSecurityContext(sc: unknown, field: string): FieldError[] {
  if (!isObj(sc)) return [];
  const errs: FieldError[] = [];
  for (const k of ['runAsUser', 'runAsGroup']) {
    const v = sc[k];
    if (typeof v === 'number' && (v < 0 || v > 2147483647)) errs.push(fieldError.invalid(`${field}.${k}`, v, inclusiveRangeError(0, 2147483647)));
  }
  if (sc['allowPrivilegeEscalation'] === false && sc['privileged'] === true) {
    errs.push(fieldError.invalid(field, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
  }
  return errs;
}

function validateContainerCommon(c: Obj, volumes: Map<string, Obj>, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c['name']);
  if (!name) errs.push(fieldError.required(`${p}.name`));
  else errs.push(...isDNS1123Label(name).map((m) => fieldError.invalid(`${p}.name`, name, m)));
  if (!c['image']) errs.push(fieldError.required(`${p}.image`));
  const tmp = str(c['terminationMessagePolicy']);
  if (!tmp) errs.push(fieldError.required(`${p}.terminationMessagePolicy`));
  else if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError') errs.push(fieldError.notSupported(`${p}.terminationMessagePolicy`, tmp, ['File', 'FallbackToLogsOnError']));
  errs.push(...validateContainerPorts(c['ports'], `${p}.ports`));
  errs.push(...validateEnv(c['env'], `${p}.env`));
  errs.push(...validateEnvFrom(c['envFrom'], `${p}.envFrom`));
  errs.push(...validateVolumeMounts(c['volumeMounts'], volumes, `${p}.volumeMounts`));
  const pull = str(c['imagePullPolicy']);
  if (!pull) errs.push(fieldError.required(`${p}.imagePullPolicy`));
  else if (!PULL_POLICIES.includes(pull)) errs.push(fieldError.notSupported(`${p}.imagePullPolicy`, pull, PULL_POLICIES));
  errs.push(...validateResourceRequirements(c['resources'], `${p}.resources`));
  errs.push(...validateSecurityContext(c['securityContext'], `${p}.securityContext`));
  return errs;
}

function hostPortConflicts(containers: Obj[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((c, ci) => {
    list(c['ports']).forEach((port, pi) => {
      if (!port['hostPort']) return;
      const key = `${str(port['protocol'])}/${str(port['hostIP'])}/${port['hostPort']}`;
      if (seen.has(key)) errs.push(fieldError.duplicate(`${field}[${ci}].ports[${pi}].hostPort`, key));
      else seen.add(key);
    });
  });
  return errs;
}

function validateContainers(containers: unknown, volumes: Map<string, Obj>, field: string, gracePeriod: number | undefined): FieldError[] {
  const cs = list(containers);
  if (!cs.length) return [fieldError.required(field)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  cs.forEach((c, i) => {
    const p = path.index(field, i);
    errs.push(...validateContainerCommon(c, volumes, p));
    const name = str(c['name']);
    if (names.has(name)) errs.push(fieldError.duplicate(`${p}.name`, name));
    else names.add(name);
    errs.push(...validateLifecycle(c['lifecycle'], `${p}.lifecycle`, gracePeriod));
    errs.push(...validateProbe(c['livenessProbe'], `${p}.livenessProbe`, 'liveness', gracePeriod));
    errs.push(...validateProbe(c['readinessProbe'], `${p}.readinessProbe`, 'readiness', gracePeriod));
    errs.push(...validateProbe(c['startupProbe'], `${p}.startupProbe`, 'startup', gracePeriod));
    if (c['restartPolicy'] !== undefined && c['restartPolicy'] !== null) errs.push(fieldError.forbidden(`${p}.restartPolicy`, 'may not be set for non-init containers'));
  });
  errs.push(...hostPortConflicts(cs, field));
  return errs;
}

function validateInitContainers(containers: unknown, regular: unknown, volumes: Map<string, Obj>, field: string, gracePeriod: number | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set(list(regular).map((c) => str(c['name'])));
  list(containers).forEach((c, i) => {
    const p = path.index(field, i);
    errs.push(...validateContainerCommon(c, volumes, p));
    const rp = c['restartPolicy'];
    const sidecar = rp === 'Always';
    if (rp !== undefined && rp !== null && !sidecar) errs.push(fieldError.notSupported(`${p}.restartPolicy`, rp, ['Always']));
    const name = str(c['name']);
    if (names.has(name)) errs.push(fieldError.duplicate(`${p}.name`, name));
    else if (name) names.add(name);
    errs.push(...hostPortConflicts([c], field));
    if (sidecar) {
      errs.push(...validateLifecycle(c['lifecycle'], `${p}.lifecycle`, gracePeriod));
      errs.push(...validateProbe(c['livenessProbe'], `${p}.livenessProbe`, 'liveness', gracePeriod));
      errs.push(...validateProbe(c['readinessProbe'], `${p}.readinessProbe`, 'readiness', gracePeriod));
      errs.push(...validateProbe(c['startupProbe'], `${p}.startupProbe`, 'startup', gracePeriod));
    } else {
      for (const k of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (c[k] !== undefined && c[k] !== null) errs.push(fieldError.forbidden(`${p}.${k}`, 'may not be set for init containers without restartPolicy=Always'));
      }
    }
  });
  return errs;
}

function validateTolerations(tolerations: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  list(tolerations).forEach((t, i) => {
    const p = path.index(field, i);
    const key = str(t['key']);
    const op = str(t['operator']);
    const effect = str(t['effect']);
    if (key) errs.push(...validateLabelName(key, `${p}.key`));
    if (!key && op !== 'Exists') errs.push(fieldError.invalid(`${p}.operator`, op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (t['tolerationSeconds'] !== undefined && t['tolerationSeconds'] !== null && effect !== 'NoExecute') {
      errs.push(fieldError.invalid(`${p}.effect`, effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (op === '' || op === 'Equal') {
      const m = isValidLabelValue(str(t['value']));
      if (m.length) errs.push(fieldError.invalid(`${p}.operator`, str(t['value']), m.join(';')));
    } else if (op === 'Exists') {
      if (t['value']) errs.push(fieldError.invalid(`${p}.operator`, str(t['value']), "value must be empty when `operator` is 'Exists'"));
    } else errs.push(fieldError.notSupported(`${p}.operator`, op, ['Equal', 'Exists']));
    if (effect && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(effect)) {
      errs.push(fieldError.notSupported(`${p}.effect`, effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']));
    }
  });
  return errs;
}

function validateTopologySpread(constraints: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const cs = list(constraints);
  cs.forEach((c, i) => {
    const p = path.index(field, i);
    if (!(Number(c['maxSkew']) > 0)) errs.push(fieldError.invalid(`${p}.maxSkew`, c['maxSkew'] ?? 0, 'must be greater than zero'));
    if (!c['topologyKey']) errs.push(fieldError.required(`${p}.topologyKey`, 'can not be empty'));
    const w = str(c['whenUnsatisfiable']);
    if (w !== 'DoNotSchedule' && w !== 'ScheduleAnyway') errs.push(fieldError.notSupported(`${p}.whenUnsatisfiable`, w, ['DoNotSchedule', 'ScheduleAnyway']));
    const dup = cs.slice(i + 1).find((o) => o['topologyKey'] === c['topologyKey'] && o['whenUnsatisfiable'] === c['whenUnsatisfiable']);
    if (dup) errs.push(fieldError.duplicate(`${p}.{topologyKey, whenUnsatisfiable}`, `{${str(c['topologyKey'])}, ${w}}`));
    errs.push(...validateLabelSelector(c['labelSelector'], `${p}.labelSelector`));
  });
  return errs;
}

/** ValidatePodSpec: `field` is "spec" for a Pod, "spec.template.spec" for a workload's template. */
export function validatePodSpec(spec: Obj | undefined, field: string, opts: PodSpecOptions): FieldError[] {
  const s: Obj = spec ?? {};
  const errs: FieldError[] = [];
  const grace = typeof s['terminationGracePeriodSeconds'] === 'number' ? (s['terminationGracePeriodSeconds'] as number) : undefined;
  if (s['terminationGracePeriodSeconds'] === undefined || s['terminationGracePeriodSeconds'] === null) errs.push(fieldError.required(`${field}.terminationGracePeriodSeconds`));
  const { errs: volErrs, names: volumes } = validateVolumes(s['volumes'], `${field}.volumes`, opts);
  errs.push(...volErrs);
  errs.push(...validateContainers(s['containers'], volumes, `${field}.containers`, grace));
  errs.push(...validateInitContainers(s['initContainers'], s['containers'], volumes, `${field}.initContainers`, grace));
  if (s['hostNetwork'] === true) {
    list(s['containers']).forEach((c, i) => {
      list(c['ports']).forEach((port, j) => {
        const hp = Number(port['hostPort'] ?? 0);
        const cp = Number(port['containerPort'] ?? 0);
        if ((opts.isPod || hp !== 0) && hp !== cp) {
          errs.push(fieldError.invalid(`${field}.containers[${i}].ports[${j}].hostPort`, hp, 'must match `containerPort` when `hostNetwork` is true'));
        }
      });
    });
  }
  const rp = str(s['restartPolicy']);
  if (!rp) errs.push(fieldError.required(`${field}.restartPolicy`));
  else if (!RESTART_POLICIES.includes(rp)) errs.push(fieldError.notSupported(`${field}.restartPolicy`, rp, RESTART_POLICIES));
  const dns = str(s['dnsPolicy']);
  if (!dns) errs.push(fieldError.required(`${field}.dnsPolicy`));
  else if (!DNS_POLICIES.includes(dns)) errs.push(fieldError.notSupported(`${field}.dnsPolicy`, dns, DNS_POLICIES));
  errs.push(...validateLabels(s['nodeSelector'], `${field}.nodeSelector`));
  errs.push(...validateSecurityContext(s['securityContext'], `${field}.securityContext`));
  list(s['imagePullSecrets']).forEach((ref, i) => {
    if (Object.keys(ref).some((k) => k !== 'name')) errs.push(fieldError.invalid(path.index(`${field}.imagePullSecrets`, i), ref, 'only name may be set'));
  });
  if (dns === 'None') {
    const cfg = s['dnsConfig'];
    if (!isObj(cfg)) errs.push(fieldError.required(`${field}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None'));
    else if (!(Array.isArray(cfg['nameservers']) && cfg['nameservers'].length)) {
      errs.push(fieldError.required(`${field}.dnsConfig.nameservers`, 'must provide at least one DNS nameserver when `dnsPolicy` is None'));
    }
  }
  if (isObj(s['dnsConfig'])) {
    const ns = Array.isArray(s['dnsConfig']['nameservers']) ? (s['dnsConfig']['nameservers'] as unknown[]) : [];
    if (ns.length > 3) errs.push(fieldError.invalid(`${field}.dnsConfig.nameservers`, ns, 'must not have more than 3 nameservers'));
    ns.forEach((ip, i) => errs.push(...validateIP(path.index(`${field}.dnsConfig.nameservers`, i), str(ip))));
  }
  list(s['readinessGates']).forEach((g, i) => {
    for (const m of isQualifiedName(str(g['conditionType']))) errs.push(fieldError.invalid(`${path.index(`${field}.readinessGates`, i)}.conditionType`, str(g['conditionType']), m));
  });
  const gates = new Set<string>();
  list(s['schedulingGates']).forEach((g, i) => {
    const p = path.index(`${field}.schedulingGates`, i);
    const name = str(g['name']);
    for (const m of isQualifiedName(name)) errs.push(fieldError.invalid(p, name, m));
    if (gates.has(name)) errs.push(fieldError.duplicate(p, name));
    gates.add(name);
  });
  errs.push(...validateTopologySpread(s['topologySpreadConstraints'], `${field}.topologySpreadConstraints`));
  for (const [k, fn] of [['serviceAccountName', nameIsDNSSubdomain], ['nodeName', nameIsDNSSubdomain]] as const) {
    if (s[k]) for (const m of fn(str(s[k]), false)) errs.push(fieldError.invalid(`${field}.${k}`, s[k], m));
  }
  const ads = s['activeDeadlineSeconds'];
  if (typeof ads === 'number' && (ads < 1 || ads > 2147483647)) errs.push(fieldError.invalid(`${field}.activeDeadlineSeconds`, ads, inclusiveRangeError(1, 2147483647)));
  for (const k of ['hostname', 'subdomain']) if (s[k]) errs.push(...isDNS1123Label(str(s[k])).map((m) => fieldError.invalid(`${field}.${k}`, s[k], m)));
  errs.push(...validateTolerations(s['tolerations'], `${field}.tolerations`));
  list(s['hostAliases']).forEach((a, i) => {
    const p = path.index(`${field}.hostAliases`, i);
    errs.push(...validateIP(`${p}.ip`, str(a['ip'])));
    (Array.isArray(a['hostnames']) ? a['hostnames'] : []).forEach((h: unknown, j: number) => {
      for (const m of nameIsDNSSubdomain(str(h), false)) errs.push(fieldError.invalid(path.index(`${p}.hostnames`, j), str(h), m));
    });
  });
  if (s['priorityClassName']) for (const m of nameIsDNSSubdomain(str(s['priorityClassName']), false)) errs.push(fieldError.invalid(`${field}.priorityClassName`, s['priorityClassName'], m));
  if (typeof s['runtimeClassName'] === 'string') for (const m of nameIsDNSSubdomain(s['runtimeClassName'], false)) errs.push(fieldError.invalid(`${field}.runtimeClassName`, s['runtimeClassName'], m));
  if (s['preemptionPolicy'] !== undefined && s['preemptionPolicy'] !== null) {
    const pp = str(s['preemptionPolicy']);
    if (!pp) errs.push(fieldError.required(`${field}.preemptionPolicy`));
    else if (pp !== 'PreemptLowerPriority' && pp !== 'Never') errs.push(fieldError.notSupported(`${field}.preemptionPolicy`, pp, ['PreemptLowerPriority', 'Never']));
  }
  if (isObj(s['os'])) {
    const os = str(s['os']['name']);
    if (!os) errs.push(fieldError.required(`${field}.os.name`, 'cannot be empty'));
    else if (os !== 'linux' && os !== 'windows') errs.push(fieldError.notSupported(`${field}.os`, os, ['linux', 'windows']));
  }
  return errs;
}

/** ValidatePodTemplateSpec (upstream reports the template's labels at `<field>.labels`, not metadata.labels). */
export function validatePodTemplateSpec(template: unknown, field: string): FieldError[] {
  if (!isObj(template)) return [fieldError.required(field)];
  const meta: Obj = isObj(template['metadata']) ? template['metadata'] : {};
  const errs = [...validateLabels(meta['labels'], `${field}.labels`), ...validateAnnotations(meta['annotations'], `${field}.annotations`)];
  errs.push(...validatePodSpec(template['spec'], `${field}.spec`, { isPod: false }));
  if (isObj(template['spec']) && list(template['spec']['ephemeralContainers']).length) {
    errs.push(fieldError.forbidden(`${field}.spec.ephemeralContainers`, 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Pods.

function validatePodMetadataAndSpec(pod: KObject): FieldError[] {
  const spec: Obj = isObj(pod['spec']) ? pod['spec'] : {};
  const errs = validateObjectMeta(pod.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const mirror = pod.metadata?.annotations?.['kubernetes.io/config.mirror'];
  if (mirror !== undefined && !spec['nodeName']) {
    errs.push(fieldError.invalid('metadata.annotations[kubernetes.io/config.mirror]', mirror, 'must set spec.nodeName if mirror pod annotation is set'));
  }
  const cost = pod.metadata?.annotations?.['controller.kubernetes.io/pod-deletion-cost'];
  if (cost !== undefined && !/^[+-]?\d+$/.test(cost.trim()) || (cost !== undefined && Math.abs(Number(cost)) > 2147483648)) {
    errs.push(fieldError.invalid('metadata.annotations[controller.kubernetes.io/pod-deletion-cost]', cost, 'must be a 32bit integer'));
  }
  errs.push(...validatePodSpec(spec, 'spec', { isPod: true, ...(pod.metadata?.name ? { podName: pod.metadata.name } : {}) }));
  if (!spec['serviceAccountName']) {
    list(spec['volumes']).forEach((v, vi) => {
      if (!isObj(v['projected'])) return;
      list(v['projected']['sources']).forEach((src, si) => {
        if (isObj(src['serviceAccountToken'])) {
          errs.push(fieldError.forbidden(`spec.volumes[${vi}].projected.sources[${si}].serviceAccountToken`, 'must not be specified when serviceAccountName is not set'));
        }
      });
    });
  }
  for (const kind of ['containers', 'initContainers']) {
    list(spec[kind]).forEach((c, i) => {
      const image = str(c['image']);
      if (image.length !== image.trim().length) errs.push(fieldError.invalid(`spec.${kind}[${i}].image`, image, 'must not have leading or trailing whitespace'));
    });
  }
  return errs;
}

export function validatePodCreate(pod: KObject): FieldError[] {
  const spec: Obj = isObj(pod['spec']) ? pod['spec'] : {};
  const errs = validatePodMetadataAndSpec(pod);
  if (list(spec['ephemeralContainers']).length) errs.push(fieldError.forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  if (spec['nodeName'] && list(spec['schedulingGates']).length) errs.push(fieldError.forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
  return errs;
}

const UPDATABLE_POD_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

/** A short listing of what differs (upstream prints a go-cmp diff here; Skiff lists the changed paths). */
function describeDiff(a: unknown, b: unknown, at = 'spec'): string[] {
  if (semanticEqual(a, b)) return [];
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => describeDiff(a[k], b[k], `${at}.${k}`));
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) return a.flatMap((x, i) => describeDiff(x, b[i], `${at}[${i}]`));
  return [`  ${at}: ${JSON.stringify(a ?? null)} -> ${JSON.stringify(b ?? null)}`];
}

export function validatePodUpdate(pod: KObject, old: KObject): FieldError[] {
  const errs = [...validateObjectMetaUpdate(pod.metadata, old.metadata), ...validatePodMetadataAndSpec(pod)];
  for (const k of ['kubernetes.io/config.mirror']) {
    const before = old.metadata?.annotations?.[k];
    const after = pod.metadata?.annotations?.[k];
    if (before !== undefined && before !== after) errs.push(fieldError.forbidden(`metadata.annotations[${k}]`, 'may not remove or update mirror pod annotation'));
    if (before === undefined && after !== undefined) errs.push(fieldError.forbidden(`metadata.annotations[${k}]`, 'may not add mirror pod annotation'));
  }
  const spec: Obj = isObj(pod['spec']) ? pod['spec'] : {};
  const oldSpec: Obj = isObj(old['spec']) ? old['spec'] : {};
  for (const kind of ['containers', 'initContainers']) {
    const now = list(spec[kind]);
    const before = list(oldSpec[kind]);
    if (now.length !== before.length) {
      errs.push(fieldError.forbidden(`spec.${kind}`, 'pod updates may not add or remove containers'));
      return errs;
    }
    now.forEach((c, i) => {
      if (!c['image']) errs.push(fieldError.required(`spec.${kind}[${i}].image`));
    });
  }
  const ads = spec['activeDeadlineSeconds'];
  const oldAds = oldSpec['activeDeadlineSeconds'];
  if (typeof ads === 'number') {
    if (ads < 0 || ads > 2147483647) {
      errs.push(fieldError.invalid('spec.activeDeadlineSeconds', ads, inclusiveRangeError(0, 2147483647)));
      return errs;
    }
    if (typeof oldAds === 'number' && oldAds < ads) {
      errs.push(fieldError.invalid('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (typeof oldAds === 'number') {
    errs.push(fieldError.invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  // Tolerations: only additions (tolerationSeconds of existing ones may change).
  const newTols = list(spec['tolerations']);
  for (const t of list(oldSpec['tolerations'])) {
    const found = newTols.some((n) => semanticEqual({ ...t, tolerationSeconds: n['tolerationSeconds'] }, n));
    if (!found) {
      errs.push(fieldError.forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
      break;
    }
  }
  // Scheduling gates: only removals.
  const oldGates = new Set(list(oldSpec['schedulingGates']).map((g) => str(g['name'])));
  list(spec['schedulingGates']).forEach((g, i) => {
    if (!oldGates.has(str(g['name']))) {
      errs.push(fieldError.forbidden(`spec.schedulingGates[${i}].name`, `only deletion is allowed, but found new scheduling gate '${str(g['name'])}'`));
    }
  });
  if (semanticEqual(spec, oldSpec)) return errs;
  const munged: Obj = structuredClone(spec);
  for (const kind of ['containers', 'initContainers']) {
    const before = list(oldSpec[kind]);
    if (Array.isArray(munged[kind])) munged[kind] = list(munged[kind]).map((c, i) => ({ ...c, image: before[i]?.['image'] }));
  }
  if (oldAds === undefined || oldAds === null) delete munged['activeDeadlineSeconds'];
  else munged['activeDeadlineSeconds'] = oldAds;
  for (const k of ['schedulingGates', 'tolerations']) {
    if (oldSpec[k] === undefined) delete munged[k];
    else munged[k] = oldSpec[k];
  }
  const oldGrace = oldSpec['terminationGracePeriodSeconds'];
  if (typeof oldGrace === 'number' && oldGrace < 0 && munged['terminationGracePeriodSeconds'] === 1) munged['terminationGracePeriodSeconds'] = oldGrace;
  if (oldGates.size > 0) {
    // A gated pod may gain node selector terms and node affinity.
    munged['nodeSelector'] = oldSpec['nodeSelector'];
    if (isObj(munged['affinity'])) munged['affinity'] = { ...munged['affinity'], nodeAffinity: isObj(oldSpec['affinity']) ? oldSpec['affinity']['nodeAffinity'] : undefined };
  }
  if (!semanticEqual(munged, oldSpec)) {
    const diff = describeDiff(oldSpec, munged).join('\n');
    errs.push(fieldError.forbidden('spec', `pod updates may not change fields other than ${UPDATABLE_POD_FIELDS.join(',')}\n${diff}`));
  }
  return errs;
}

/** Pod QoS class from requests and limits (v1 qos.ComputePodQOS). */
export function computeQOSClass(spec: Obj | undefined): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const s: Obj = spec ?? {};
  const supported = ['cpu', 'memory'];
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  const podLevel = isObj(s['resources']) && (isObj(s['resources']['requests']) || isObj(s['resources']['limits']));
  const sources = podLevel ? [s['resources'] as Obj] : [...list(s['containers']), ...list(s['initContainers'])].map((c) => (isObj(c['resources']) ? c['resources'] : {}));
  for (const res of sources) {
    const req: Obj = isObj(res['requests']) ? res['requests'] : {};
    const lim: Obj = isObj(res['limits']) ? res['limits'] : {};
    for (const [k, q] of Object.entries(req)) {
      const v = parseQuantity(q) ?? 0;
      if (supported.includes(k) && v !== 0) requests.set(k, (requests.get(k) ?? 0) + v);
    }
    const found = new Set<string>();
    for (const [k, q] of Object.entries(lim)) {
      const v = parseQuantity(q) ?? 0;
      if (supported.includes(k) && v !== 0) {
        found.add(k);
        limits.set(k, (limits.get(k) ?? 0) + v);
      }
    }
    if (!supported.every((k) => found.has(k))) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [k, v] of requests) if (limits.get(k) !== v) guaranteed = false;
  }
  return guaranteed && limits.size === requests.size ? 'Guaranteed' : 'Burstable';
}
