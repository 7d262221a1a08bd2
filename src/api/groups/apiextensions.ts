// apiextensions.k8s.io/v1: CustomResourceDefinitions. The strategy lives in src/apiextensions/; the
// apiserver's CRD manager (src/apiserver/crds.ts) serves each Established definition's resources.
import type { ResourceType } from '../types.ts';
import { crdDefaults, crdPrepareForCreate, crdPrepareForUpdate, validateCRD, validateCRDUpdate } from '../../apiextensions/crd.ts';

export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

export const customResourceDefinitions: ResourceType = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  listKind: 'CustomResourceDefinitionList',
  plural: 'customresourcedefinitions',
  singular: 'customresourcedefinition',
  namespaced: false,
  shortNames: ['crd', 'crds'],
  categories: ['api-extensions'],
  verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: ['status'],
  schemaType: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
  storageResource: 'apiextensions.k8s.io/customresourcedefinitions',
  hasGeneration: true,
  defaults: crdDefaults,
  prepareForCreate(crd) {
    crdPrepareForCreate(crd);
    // Deleting a definition first deletes every object of it (upstream's finalizer).
    const meta = (crd.metadata ??= {});
    meta.finalizers = [...new Set([...(meta.finalizers ?? []), CRD_CLEANUP_FINALIZER])];
  },
  prepareForUpdate: crdPrepareForUpdate,
  validateCreate: validateCRD,
  validateUpdate: validateCRDUpdate,
};

export const resources: ResourceType[] = [customResourceDefinitions];
