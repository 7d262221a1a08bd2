// The admission seam (upstream's k8s.io/apiserver/pkg/admission): what a write looks like to a plugin, the two
// kinds of plugin, and the Forbidden error upstream's plugins answer with.
import type { KObject, ResourceType } from '../../api/types.ts';
import type { UserInfo } from '../authn.ts';
import { StatusError, qualifiedResource } from '../status.ts';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface GroupResource {
  group: string;
  resource: string;
}

export interface Attributes {
  operation: Operation;
  resource: GroupResource & { version: string };
  kind: { group: string; version: string; kind: string };
  /** '' for the object itself; 'status', 'scale', 'finalize' … */
  subresource: string;
  /** '' for cluster-scoped resources. */
  namespace: string;
  /** The name the request addresses ('' on create: the object's own name counts then). */
  name: string;
  /** The object being written; mutating plugins change it in place. Absent on DELETE. */
  object?: KObject;
  /** The stored object (UPDATE, DELETE). */
  oldObject?: KObject;
  user?: UserInfo;
  dryRun: boolean;
}

/** A plugin changes objects (admit), checks them (validate), or both; it only sees the operations it handles. */
export interface AdmissionPlugin {
  readonly name: string;
  handles(operation: Operation): boolean;
  admit?(attrs: Attributes): void | Promise<void>;
  validate?(attrs: Attributes): void | Promise<void>;
}

/** What the store calls: every mutating plugin in order, then (after the type's own validation) every validating one. */
export interface Admission {
  admit(attrs: Attributes): Promise<void>;
  validate(attrs: Attributes): Promise<void>;
  /** Whether any plugin takes part in `operation` at all (lets DELETE skip reading the object). */
  handles(operation: Operation): boolean;
}

export function attributesFor(
  type: ResourceType,
  operation: Operation,
  at: {
    namespace: string;
    name?: string | undefined;
    object?: KObject | undefined;
    oldObject?: KObject | undefined;
    subresource?: string | undefined;
    dryRun?: boolean | undefined;
    user?: UserInfo | undefined;
  },
): Attributes {
  const attrs: Attributes = {
    operation,
    resource: { group: type.group, version: type.version, resource: type.plural },
    kind: { group: type.group, version: type.version, kind: type.kind },
    subresource: at.subresource ?? '',
    namespace: type.namespaced ? at.namespace : '',
    name: at.name ?? '',
    dryRun: at.dryRun ?? false,
  };
  if (at.object) attrs.object = at.object;
  if (at.oldObject) attrs.oldObject = at.oldObject;
  if (at.user) attrs.user = at.user;
  return attrs;
}

export function isResource(attrs: Attributes, group: string, resource: string): boolean {
  return attrs.resource.group === group && attrs.resource.resource === resource;
}

/** The name upstream's messages use: the request's, else the object's, else its generateName, else "Unknown". */
export function nameOf(attrs: Attributes): string {
  if (attrs.name) return attrs.name;
  const meta = attrs.object?.metadata;
  return meta?.name || meta?.generateName || 'Unknown';
}

/** upstream's admission.NewForbidden: `pods "x" is forbidden: <why>`. */
export function forbidden(attrs: Attributes, why: string): StatusError {
  const name = nameOf(attrs);
  const { group, resource } = attrs.resource;
  return new StatusError(403, 'Forbidden', `${qualifiedResource(resource, group)} "${name}" is forbidden: ${why}`, { name, group, kind: resource });
}

/** upstream's utilerrors.NewAggregate(...).Error(): one message as is, several (deduplicated) in brackets. */
export function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}
