// The shape of Skiff's resource registry. Each API group file (src/api/groups/<group>.ts) exports
// ResourceType entries; src/api/registry.ts collects them.

/** Any Kubernetes object as JSON. */
export type KObject = Record<string, any> & {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
};

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<Record<string, any>>;
  finalizers?: string[];
  managedFields?: Array<Record<string, any>>;
  [k: string]: unknown;
}

/** One field error, as upstream's field.Error; becomes a StatusCause. */
export interface FieldError {
  /** upstream's field.ErrorType reason string: FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, FieldValueDuplicate, FieldValueForbidden, FieldValueTooLong … */
  reason: string;
  /** Path as upstream prints it: "metadata.name", "spec.template.spec.containers[0].image". */
  field: string;
  /** The full message, as upstream's field.Error.Error() prints it, e.g. `spec.replicas: Invalid value: -1: must be greater than or equal to 0`. */
  message: string;
}

export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description: string;
  priority: number;
}

export interface TableConvertor {
  columns: TableColumn[];
  /** One row's cells for the object (same order as columns). `now` is for ages. */
  cells(obj: KObject, now: number): unknown[];
}

/** Context the registry hooks get: the cluster-wide allocators and settings. */
export interface StrategyContext {
  /** Allocates Service cluster IPs and node ports (src/apiserver keeps the state). */
  allocators?: ServiceAllocators;
  /** The requesting user, when known (CertificateSigningRequest records it in spec.username/uid/groups/extra). */
  user?: { username: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
}

export interface ServiceAllocators {
  allocateClusterIP(requested?: string): string;
  allocateNodePort(requested?: number): number;
  releaseClusterIP(ip: string): void;
  releaseNodePort(port: number): void;
}

export interface ResourceType {
  group: string; // "" for core
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  /** Subresources this resource serves (status, scale, binding, eviction, log, exec, attach, portforward, proxy, token, approval, finalize, ephemeralcontainers, resize). */
  subresources?: string[];
  /** Fully qualified schema/protobuf type name, e.g. "io.k8s.api.apps.v1.Deployment". */
  schemaType: string;
  /** Resource name used in the storage key /registry/<storageResource>/… (defaults to plural). */
  storageResource?: string;
  /** For /scale: where replicas and selector live. */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  /** Fills in upstream's defaults, in place. */
  defaults?(obj: KObject): void;
  /** Validation on create (obj already defaulted). */
  validateCreate?(obj: KObject): FieldError[];
  /** Validation on update (old = stored object). Includes immutability checks. */
  validateUpdate?(obj: KObject, old: KObject): FieldError[];
  /** Strategy hook before create: reset status, set generation … (after defaults). */
  prepareForCreate?(obj: KObject, ctx: StrategyContext): void;
  /** Strategy hook before a main-resource update (not /status). */
  prepareForUpdate?(obj: KObject, old: KObject, ctx: StrategyContext): void;
  /**
   * The metadata a /status write may change besides status (upstream's status strategies reset only spec for most
   * built-in kinds). Default: labels and annotations.
   */
  statusWritableMetadata?: ReadonlyArray<'labels' | 'annotations'>;
  /** Extra field-selector fields beyond metadata.name / metadata.namespace. */
  selectableFields?(obj: KObject): Record<string, string>;
  /** Whether the object's spec carries a generation (status subresource types). Default: true when it has a status subresource. */
  hasGeneration?: boolean;
  table?: TableConvertor;
  /**
   * Resources stored under another version's shape (autoscaling/v1 HPAs are stored as autoscaling/v2,
   * events.k8s.io/v1 Events as core/v1 Events, sharing storageResource): converts an object of this
   * version to the stored form before writing, and a stored object back to this version after reading.
   * Absent when this version is itself the stored form.
   */
  convertToStorage?(obj: KObject): KObject;
  convertFromStorage?(obj: KObject): KObject;
  /**
   * Custom resources: remove the fields their schema does not declare and return their paths (built-in
   * kinds are pruned by the Go-derived schema instead).
   */
  pruneUnknownFields?(obj: KObject): string[];
  /** Custom resources: the field schema (an apply atom) for managedFields and server-side apply. */
  applySchema?: unknown;
}
