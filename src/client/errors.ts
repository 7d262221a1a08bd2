// Errors the client raises: ApiError for any answer carrying a Kubernetes Status, TransportError for the wire.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** The parts of a metav1.Status the client reads. */
export interface Status {
  kind?: 'Status';
  apiVersion?: string;
  status?: 'Success' | 'Failure';
  code: number;
  reason?: string;
  message?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
}

/** A request the API server refused; `status` is the Status it answered with (or one made up from the HTTP code). */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly code: number;
  readonly reason: string;
  constructor(
    readonly status: Status,
    options?: ErrorOptions,
  ) {
    super(status.message ?? `the server answered ${status.code}${status.reason ? ` (${status.reason})` : ''}`, options);
    this.code = status.code;
    this.reason = status.reason ?? '';
  }
}

/** The connection failed, closed mid-request, or the answer could not be read. */
export class TransportError extends Error {
  override name = 'TransportError';
}

export const clientErrors = { ApiError, TransportError } as const;

function isStatus(body: unknown): body is Status {
  return typeof body === 'object' && body !== null && (body as { kind?: unknown }).kind === 'Status' && typeof (body as { code?: unknown }).code === 'number';
}

const reasonByCode: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** The ApiError for a non-2xx answer, or for a watch ERROR event's object. */
export function apiErrorFrom(httpStatus: number, body: unknown): ApiError {
  if (isStatus(body)) return new ApiError(body.code ? body : { ...body, code: httpStatus });
  const text = typeof body === 'string' ? body.slice(0, 500) : undefined;
  const status: Status = { kind: 'Status', status: 'Failure', code: httpStatus };
  const reason = reasonByCode[httpStatus];
  if (reason) status.reason = reason;
  if (text) status.message = text;
  return new ApiError(status);
}

const reasonOf = (err: unknown): string | undefined => (err instanceof ApiError ? err.reason : undefined);
const codeOf = (err: unknown): number | undefined => (err instanceof ApiError ? err.code : undefined);

export const isNotFound = (err: unknown): boolean => reasonOf(err) === 'NotFound' || (codeOf(err) === 404 && !reasonOf(err));
export const isConflict = (err: unknown): boolean => reasonOf(err) === 'Conflict';
export const isAlreadyExists = (err: unknown): boolean => reasonOf(err) === 'AlreadyExists';
/** 410: the resourceVersion asked for (list, watch or continue token) has been compacted away. */
export const isGone = (err: unknown): boolean => codeOf(err) === 410 || reasonOf(err) === 'Expired' || reasonOf(err) === 'Gone';
export const isInvalid = (err: unknown): boolean => reasonOf(err) === 'Invalid';
