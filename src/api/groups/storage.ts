// storage.k8s.io/v1: StorageClasses, VolumeAttachments, CSIDrivers, CSINodes.
import type { FieldError, KObject, ResourceType } from '../types.ts';
import { ensureObj, setDefault } from '../defaults.ts';
import { fieldError, isDNS1123Subdomain, isQualifiedName, nameIsDNSSubdomain, path, semanticEqual, validateImmutable } from '../validation.ts';
import { builtinResource, isObj, list, metaValidation, specOrEmpty, statusHooks, str } from './common.ts';

const resource = builtinResource('storage.k8s.io', 'v1', 'storage');
const base = (kind: string, plural: string, singular: string) => resource(kind, plural, singular, false);

function validateCSIDriverName(name: string, field: string): FieldError[] {
  if (!name) return [fieldError.required(field)];
  const errs: FieldError[] = [];
  if (name.length > 63) errs.push(fieldError.tooLong(field, 63));
  for (const m of isDNS1123Subdomain(name.toLowerCase())) errs.push(fieldError.invalid(field, name, m));
  return errs;
}

function validateStorageClass(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const prov = str(obj['provisioner']);
  if (!prov) errs.push(fieldError.required('provisioner'));
  else {
    if (prov.length > 63) errs.push(fieldError.tooLong('provisioner', 63));
    for (const m of isQualifiedName(prov.toLowerCase())) errs.push(fieldError.invalid('provisioner', prov, m));
  }
  const params = isObj(obj['parameters']) ? obj['parameters'] : {};
  let size = 0;
  for (const [k, v] of Object.entries(params)) {
    if (!k) errs.push(fieldError.invalid('parameters', k, 'field can not be empty.'));
    size += k.length + str(v).length;
  }
  if (size > 256 * 1024) errs.push(fieldError.tooLong('parameters', 256 * 1024));
  const rp = obj['reclaimPolicy'];
  if (rp !== undefined && rp !== null && rp !== 'Delete' && rp !== 'Retain') errs.push(fieldError.notSupported('reclaimPolicy', rp, ['Delete', 'Retain']));
  const vbm = obj['volumeBindingMode'];
  if (vbm === undefined || vbm === null) errs.push(fieldError.required('volumeBindingMode'));
  else if (vbm !== 'Immediate' && vbm !== 'WaitForFirstConsumer') errs.push(fieldError.notSupported('volumeBindingMode', vbm, ['Immediate', 'WaitForFirstConsumer']));
  return errs;
}

const storageClasses: ResourceType = {
  ...base('StorageClass', 'storageclasses', 'storageclass'),
  shortNames: ['sc'],
  defaults(obj) {
    setDefault(obj, 'reclaimPolicy', 'Delete');
    setDefault(obj, 'volumeBindingMode', 'Immediate');
  },
  ...metaValidation(false, nameIsDNSSubdomain, validateStorageClass, (obj, old) => {
    const errs: FieldError[] = [];
    if (!semanticEqual(obj['parameters'], old['parameters'])) errs.push(fieldError.forbidden('parameters', 'updates to parameters are forbidden.'));
    if (obj['provisioner'] !== old['provisioner']) errs.push(fieldError.forbidden('provisioner', 'updates to provisioner are forbidden.'));
    if (obj['reclaimPolicy'] !== old['reclaimPolicy']) errs.push(fieldError.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
    errs.push(...validateImmutable(obj['volumeBindingMode'], old['volumeBindingMode'], 'volumeBindingMode'));
    return errs;
  }),
};

function validateVolumeAttachment(obj: KObject): FieldError[] {
  const s = specOrEmpty(obj);
  const errs = validateCSIDriverName(str(s['attacher']), 'spec.attacher');
  const src = isObj(s['source']) ? s['source'] : {};
  const n = ['persistentVolumeName', 'inlineVolumeSpec'].filter((k) => src[k] !== undefined && src[k] !== null).length;
  if (n !== 1) errs.push(fieldError.required('spec.source', 'must specify exactly one of inlineVolumeSpec and persistentVolumeName'));
  if (!s['nodeName']) errs.push(fieldError.required('spec.nodeName'));
  else for (const m of nameIsDNSSubdomain(str(s['nodeName']), false)) errs.push(fieldError.invalid('spec.nodeName', s['nodeName'], m));
  return errs;
}

const volumeAttachments: ResourceType = {
  ...base('VolumeAttachment', 'volumeattachments', 'volumeattachment'),
  subresources: ['status'],
  hasGeneration: false,
  ...statusHooks(() => ({ attached: false })),
  ...metaValidation(false, nameIsDNSSubdomain, validateVolumeAttachment, (obj, old) => validateImmutable(specOrEmpty(obj), specOrEmpty(old), 'spec')),
};

function validateCSIDriver(obj: KObject): FieldError[] {
  const s = specOrEmpty(obj);
  const errs = validateCSIDriverName(str(obj.metadata?.name), 'name');
  for (const k of ['attachRequired', 'podInfoOnMount', 'storageCapacity', 'requiresRepublish']) {
    if (s[k] === undefined || s[k] === null) errs.push(fieldError.required(`spec.${k}`));
  }
  const fsg = s['fsGroupPolicy'];
  if (fsg !== undefined && fsg !== null && !['File', 'None', 'ReadWriteOnceWithFSType'].includes(str(fsg))) {
    errs.push(fieldError.notSupported('spec.fsGroupPolicy', fsg, ['File', 'None', 'ReadWriteOnceWithFSType']));
  }
  const modes: unknown[] = Array.isArray(s['volumeLifecycleModes']) ? s['volumeLifecycleModes'] : [];
  modes.forEach((m, i) => {
    if (m !== 'Persistent' && m !== 'Ephemeral') errs.push(fieldError.notSupported(path.index('spec.volumeLifecycleModes', i), m, ['Ephemeral', 'Persistent']));
  });
  return errs;
}

const csiDrivers: ResourceType = {
  ...base('CSIDriver', 'csidrivers', 'csidriver'),
  defaults(obj) {
    const s = ensureObj(obj, 'spec');
    setDefault(s, 'attachRequired', true);
    setDefault(s, 'podInfoOnMount', false);
    setDefault(s, 'storageCapacity', false);
    setDefault(s, 'fsGroupPolicy', 'ReadWriteOnceWithFSType');
    if (!Array.isArray(s['volumeLifecycleModes']) || !s['volumeLifecycleModes'].length) s['volumeLifecycleModes'] = ['Persistent'];
    setDefault(s, 'requiresRepublish', false);
    setDefault(s, 'seLinuxMount', false);
  },
  ...metaValidation(false, nameIsDNSSubdomain, validateCSIDriver, (obj, old) => {
    const errs: FieldError[] = [];
    for (const k of ['attachRequired', 'volumeLifecycleModes']) errs.push(...validateImmutable(specOrEmpty(obj)[k], specOrEmpty(old)[k], `spec.${k}`));
    return errs;
  }),
};

function validateCSINode(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  list(specOrEmpty(obj)['drivers']).forEach((d, i) => {
    const p = path.index('spec.drivers', i);
    const name = str(d['name']);
    errs.push(...validateCSIDriverName(name, `${p}.name`));
    if (seen.has(name)) errs.push(fieldError.duplicate(`${p}.name`, name));
    seen.add(name);
    if (!d['nodeID']) errs.push(fieldError.required(`${p}.nodeID`, 'nodeID of the driver must be set'));
    else if (str(d['nodeID']).length > 192) errs.push(fieldError.tooLong(`${p}.nodeID`, 192));
  });
  return errs;
}

const csiNodes: ResourceType = {
  ...base('CSINode', 'csinodes', 'csinode'),
  ...metaValidation(false, nameIsDNSSubdomain, validateCSINode),
};

export const resources: ResourceType[] = [csiDrivers, csiNodes, storageClasses, volumeAttachments];
