// Quantities and persistent-volume pieces several describers share: canonical quantity strings, access modes as
// kubectl abbreviates them, storage classes from the beta annotation or the spec, and a claim's (template's) lines.
import { canonicalQuantity, compareQuantities, parseQuantity, quantityFromInt } from '../../apiserver/quantity.ts';
import { type DescribeWriter, printAnnotations, printLabels } from './writer.ts';

type Fields = Record<string, any>;

/** A quantity as resource.Quantity.String() prints it; "0" for a missing one. */
export function canonical(q: unknown): string {
  if (q === undefined || q === null || q === '') return '0';
  try {
    return canonicalQuantity(String(q));
  } catch {
    return String(q);
  }
}

export function isPositive(q: unknown): boolean {
  try {
    return compareQuantities(parseQuantity(String(q)), quantityFromInt(0)) > 0;
  } catch {
    return false;
  }
}

export function accessModes(modes: readonly string[] | undefined): string {
  const list = modes ?? [];
  const out: string[] = [];
  for (const [mode, short] of [['ReadWriteOnce', 'RWO'], ['ReadOnlyMany', 'ROX'], ['ReadWriteMany', 'RWX'], ['ReadWriteOncePod', 'RWOP']] as const) if (list.includes(mode)) out.push(short);
  return out.join(',');
}

const BETA_CLASS = 'volume.beta.kubernetes.io/storage-class';

export function storageClassOf(obj: Fields): string {
  const annotations = obj['metadata']?.annotations ?? {};
  if (BETA_CLASS in annotations) return annotations[BETA_CLASS];
  return obj['spec']?.storageClassName ?? '';
}

/** upstream's printPersistentVolumeClaim; `full` is false for an ephemeral volume's claim template. */
export function printClaim(w: DescribeWriter, pvc: Fields, full: boolean, age: (t: unknown) => string): void {
  const meta = pvc['metadata'] ?? {};
  const spec = pvc['spec'] ?? {};
  const status = pvc['status'] ?? {};
  if (full) {
    w.write(0, `Name:\t${meta.name ?? ''}\n`);
    w.write(0, `Namespace:\t${meta.namespace ?? ''}\n`);
  }
  w.write(0, `StorageClass:\t${storageClassOf(pvc)}\n`);
  if (full) w.write(0, meta.deletionTimestamp ? `Status:\tTerminating (lasts ${age(meta.deletionTimestamp)})\n` : `Status:\t${status.phase ?? ''}\n`);
  w.write(0, `Volume:\t${spec.volumeName ?? ''}\n`);
  printLabels(w, 'Labels', meta.labels);
  printAnnotations(w, 'Annotations', meta.annotations);
  if (full) w.write(0, `Finalizers:\t[${(meta.finalizers ?? []).join(' ')}]\n`);
  const bound = !!spec.volumeName;
  w.write(0, `Capacity:\t${bound ? canonical(status.capacity?.storage) : ''}\n`);
  w.write(0, `Access Modes:\t${bound ? accessModes(status.accessModes) : ''}\n`);
  if (spec.volumeMode) w.write(0, `VolumeMode:\t${spec.volumeMode}\n`);
  if (spec.dataSource) {
    w.write(0, 'DataSource:\n');
    if (spec.dataSource.apiGroup !== undefined) w.write(1, `APIGroup:\t${spec.dataSource.apiGroup}\n`);
    w.write(1, `Kind:\t${spec.dataSource.kind}\n`);
    w.write(1, `Name:\t${spec.dataSource.name}\n`);
  }
}
