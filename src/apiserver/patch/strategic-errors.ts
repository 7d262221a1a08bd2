// Strategic merge patch failures, with the messages and HTTP answers of upstream's apiserver.
//
// Upstream's PATCH handler (interpretStrategicMergePatchError) turns a few sentinel errors of
// k8s.io/apimachinery/pkg/util/mergepatch into 400 BadRequest (message kept) or 422 (generic message),
// and passes every other error through, which the response writer reports as 500 with no reason.
import { StatusError } from '../status.ts';
import { sprintS, sprintV, goTypeOf } from './strategic-gofmt.ts';

/** The sentinel messages, as upstream's mergepatch package spells them. */
export const SMP_MESSAGES = {
  badJSONDoc: 'invalid JSON document',
  noListOfLists: 'lists of lists are not supported',
  badPrimitiveList: 'invalid patch format of primitive list',
  badRetainKeys: 'invalid patch format of retainKeys',
  badSetElementOrder: 'invalid patch format of setElementOrder list',
  patchContentNotMatchRetainKeys: "patch content doesn't match retainKeys list",
  unsupported: 'strategic merge patch format is not supported',
} as const;

/** What upstream's errors.NewGenericServerResponse writes for a 422 (the original text is not shown). */
const GENERIC_422 = 'the server rejected our request due to an error in our request';

/** What upstream's WithPanicRecovery filter answers (text/plain, 500) when a handler panics. */
export const PANIC_MESSAGE = 'This request caused apiserver to panic. Look in the logs for details.';

export type SmpStatusCode = 400 | 422 | 500;

export class StrategicMergePatchError extends Error {
  override name = 'StrategicMergePatchError';
  /**
   * @param message upstream's error text.
   * @param code the HTTP status upstream's PATCH handler answers with.
   * @param reason the Status reason: "BadRequest", "Invalid", or "" (upstream's StatusReasonUnknown, omitted from JSON).
   * @param goPanic upstream would have panicked here (its handler then answers 500).
   */
  constructor(
    message: string,
    readonly code: SmpStatusCode,
    readonly reason: 'BadRequest' | 'Invalid' | '',
    readonly goPanic = false,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /**
   * The Status the API server answers with. A 422 carries upstream's generic message and empty details.
   * For a panic, upstream's panic filter writes PANIC_MESSAGE as text/plain with 500; this gives it as a Status.
   */
  toStatusError(): StatusError {
    if (this.code === 422) return new StatusError(422, 'Invalid', GENERIC_422, {}, { cause: this });
    if (this.goPanic) return new StatusError(500, 'InternalError', PANIC_MESSAGE, undefined, { cause: this });
    return new StatusError(this.code, this.reason, this.message, undefined, { cause: this });
  }
}

export function badRequest(message: string): StrategicMergePatchError {
  return new StrategicMergePatchError(message, 400, 'BadRequest');
}

export function unprocessable(message: string): StrategicMergePatchError {
  return new StrategicMergePatchError(message, 422, 'Invalid');
}

/** Any error upstream does not map to a status: 500. */
export function failure(message: string): StrategicMergePatchError {
  return new StrategicMergePatchError(message, 500, '');
}

export function goPanic(message: string): StrategicMergePatchError {
  return new StrategicMergePatchError(`runtime error: ${message}`, 500, '', true);
}

export function errNoMergeKey(m: Record<string, unknown>, key: string): StrategicMergePatchError {
  return failure(`map: ${sprintV(m)} does not contain declared merge key: ${key}`);
}

/** mergepatch.ErrBadArgType: `expected` is the Go type name wanted. */
export function errBadArgType(expected: string, actual: unknown): StrategicMergePatchError {
  return failure(`expected a ${expected}, but received a ${goTypeOf(actual) ?? '%!s(<nil>)'}`);
}

export function errBadPatchType(directive: unknown, m: Record<string, unknown>): StrategicMergePatchError {
  return failure(`unknown patch type: ${sprintS(directive)} in map: ${sprintV(m)}`);
}
