// Errors that cross the API, as Kubernetes Status objects.
import type { FieldError } from '../api/types.ts';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** An error with a Kubernetes Status: thrown anywhere in the request path, written as the response. */
export class StatusError extends Error {
  override name = 'StatusError';
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  toStatus(): Status {
    const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, code: this.code };
    if (this.reason) s.reason = this.reason; // Go leaves an empty reason out
    if (this.details) s.details = withoutEmpty(this.details);
    return s;
  }
}

/** StatusDetails' string fields are omitempty in Go: an empty group (core) is left out. */
function withoutEmpty(d: StatusDetails): StatusDetails {
  const out: StatusDetails = {};
  for (const [k, v] of Object.entries(d) as Array<[keyof StatusDetails, never]>) if (v !== '' && v !== undefined) out[k] = v;
  return out;
}

/** "deployments.apps" or "pods": how upstream names a resource in messages. */
export function qualifiedResource(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const errors = {
  badRequest: (message: string) => new StatusError(400, 'BadRequest', message),
  unauthorized: () => new StatusError(401, 'Unauthorized', 'Unauthorized'),
  forbidden: (message: string, details?: StatusDetails) => new StatusError(403, 'Forbidden', message, details),
  notFound: (resource: string, group: string, name: string) =>
    new StatusError(404, 'NotFound', `${qualifiedResource(resource, group)} "${name}" not found`, { name, group, kind: resource }),
  alreadyExists: (resource: string, group: string, name: string) =>
    new StatusError(409, 'AlreadyExists', `${qualifiedResource(resource, group)} "${name}" already exists`, { name, group, kind: resource }),
  conflict: (resource: string, group: string, name: string, why: string) =>
    new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(resource, group)} "${name}": ${why}`, { name, group, kind: resource }),
  gone: (message: string) => new StatusError(410, 'Expired', message),
  tooLarge: (message = 'Request entity too large: limit is 3145728') => new StatusError(413, 'RequestEntityTooLarge', message),
  unsupportedMediaType: (contentType: string) =>
    new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`, undefined, { cause: contentType }),
  notAcceptable: (message: string) => new StatusError(406, 'NotAcceptable', message),
  methodNotSupported: (resource: string, group: string, verb: string) =>
    new StatusError(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${qualifiedResource(resource, group)}"`, { group, kind: resource }),
  /** 422 Invalid, message as upstream: `Deployment.apps "x" is invalid: [a, b]`. */
  invalid: (kind: string, group: string, name: string, causes: FieldError[]) => {
    const qualifiedKind = group ? `${kind}.${group}` : kind;
    const list = causes.map((c) => c.message);
    const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
    return new StatusError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${summary}`, {
      name,
      group,
      kind,
      // A cause's message is the error without its field path, which has its own member.
      causes: causes.map((c) => ({ reason: c.reason, message: c.message.startsWith(`${c.field}: `) ? c.message.slice(c.field.length + 2) : c.message, field: c.field })),
    });
  },
  internal: (message: string, cause?: unknown) =>
    new StatusError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] }, { cause }),
  timeout: (message: string) => new StatusError(504, 'Timeout', message),
};
