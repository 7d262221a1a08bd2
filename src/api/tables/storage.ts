// Table columns for the storage.k8s.io API group.
import type { KObject, TableConvertor } from '../types.ts';
import { ageColumn, ageOf, arr, col, convertor, nameColumn, nameOf, str } from './format.ts';
import { canonicalQuantity } from './quantity.ts';

const DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
const BETA_DEFAULT_CLASS = 'storageclass.beta.kubernetes.io/is-default-class';

export function isDefaultStorageClass(obj: KObject): boolean {
  const annotations = obj.metadata?.annotations ?? {};
  return annotations[DEFAULT_CLASS] === 'true' || annotations[BETA_DEFAULT_CLASS] === 'true';
}

const storageClasses = convertor(
  [
    nameColumn(),
    col('Provisioner', 'string', 'The volume plugin used for provisioning PersistentVolumes.'),
    col('ReclaimPolicy', 'string', 'The reclaim policy of dynamically provisioned volumes: Delete or Retain.'),
    col('VolumeBindingMode', 'string', 'When volumes are provisioned and bound: Immediate or WaitForFirstConsumer.'),
    col('AllowVolumeExpansion', 'string', 'Whether the storage class allows volume expansion.'),
    ageColumn(),
  ],
  (obj, now) => [
    isDefaultStorageClass(obj) ? `${nameOf(obj)} (default)` : nameOf(obj),
    str(obj.provisioner),
    typeof obj.reclaimPolicy === 'string' ? obj.reclaimPolicy : 'Delete',
    typeof obj.volumeBindingMode === 'string' ? obj.volumeBindingMode : 'Immediate',
    obj.allowVolumeExpansion === true,
    ageOf(obj, now),
  ],
);

const volumeAttributesClasses = convertor(
  [nameColumn(), col('DriverName', 'string', 'The name of the CSI driver this class applies to.'), ageColumn()],
  (obj, now) => {
    const isDefault = obj.metadata?.annotations?.['volumeattributesclass.alpha.kubernetes.io/is-default-class'] === 'true';
    return [isDefault ? `${nameOf(obj)} (default)` : nameOf(obj), str(obj.driverName), ageOf(obj, now)];
  },
);

function boolOr(v: unknown, fallback: boolean): boolean {
  return typeof v === 'boolean' ? v : fallback;
}

const csiDrivers = convertor(
  [
    nameColumn(),
    col('AttachRequired', 'boolean', 'Whether the driver requires an attach operation.'),
    col('PodInfoOnMount', 'boolean', 'Whether the driver requires pod information during mount.'),
    col('StorageCapacity', 'boolean', 'Whether the driver reports storage capacity.'),
    col('TokenRequests', 'string', 'Audiences of service account tokens passed to the driver.'),
    col('RequiresRepublish', 'boolean', 'Whether NodePublishVolume is called periodically to remount.'),
    col('Modes', 'string', 'The volume lifecycle modes the driver supports.'),
    ageColumn(),
  ],
  (obj, now) => {
    const spec = obj.spec ?? {};
    const modes = arr(spec.volumeLifecycleModes).map(String).join(',');
    const tokenRequests = Array.isArray(spec.tokenRequests) ? spec.tokenRequests.map((t: any) => str(t?.audience)).join(',') : '<unset>';
    return [
      nameOf(obj),
      boolOr(spec.attachRequired, true),
      boolOr(spec.podInfoOnMount, false),
      boolOr(spec.storageCapacity, false),
      tokenRequests,
      boolOr(spec.requiresRepublish, false),
      modes === '' ? '<none>' : modes,
      ageOf(obj, now),
    ];
  },
);

const csiNodes = convertor(
  [nameColumn(), col('Drivers', 'integer', 'Drivers indicates the number of CSI drivers registered on the node'), ageColumn()],
  (obj, now) => [nameOf(obj), arr(obj.spec?.drivers).length, ageOf(obj, now)],
);

const volumeAttachments = convertor(
  [
    nameColumn(),
    col('Attacher', 'string', 'The name of the volume driver that must handle this request.', { format: 'name' }),
    col('PV', 'string', 'The name of the persistent volume to attach.'),
    col('Node', 'string', 'The node that the volume should be attached to.'),
    col('Attached', 'boolean', 'Whether the attach operation succeeded.'),
    ageColumn(),
  ],
  (obj, now) => [
    nameOf(obj),
    str(obj.spec?.attacher),
    str(obj.spec?.source?.persistentVolumeName),
    str(obj.spec?.nodeName),
    obj.status?.attached === true,
    ageOf(obj, now),
  ],
);

const csiStorageCapacities = convertor(
  [
    nameColumn(),
    col('StorageClassName', 'string', 'The StorageClass this capacity applies to.'),
    col('Capacity', 'string', 'The capacity available for new volumes of this storage class.'),
  ],
  (obj) => [
    nameOf(obj),
    str(obj.storageClassName),
    obj.capacity === undefined || obj.capacity === null ? '<unset>' : canonicalQuantity(obj.capacity),
  ],
);

export const tables: Record<string, TableConvertor> = {
  storageclasses: storageClasses,
  volumeattributesclasses: volumeAttributesClasses,
  csidrivers: csiDrivers,
  csinodes: csiNodes,
  volumeattachments: volumeAttachments,
  csistoragecapacities: csiStorageCapacities,
};
