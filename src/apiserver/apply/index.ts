// Server-side apply: field sets (FieldsV1), managedFields bookkeeping, and apply with conflicts,
// following upstream's structured-merge-diff and k8s.io/apimachinery's managedfields.
export { conflictStatus, type FieldConflict } from './conflict.ts';
export {
  applyObject,
  fieldsOf,
  LAST_APPLIED_ANNOTATION,
  managerOrUserAgent,
  nowRFC3339,
  updateManagedFields,
  type ApplyOptions,
  type ApplyResult,
  type ApplySchema,
  type WriteOptions,
} from './fieldmanager.ts';
export { fieldPath, pathToString, type Path, type PathElement } from './fieldpath.ts';
export { FieldSet, fromFieldsV1, toFieldsV1 } from './fieldset.ts';
export { decodeManagedFields, encodeManagedFields, printManager, type ManagedFieldsEntry } from './managedfields.ts';
export { atomForCustomResource, atomForOpenAPI, atomForType, type Atom } from './schema.ts';
