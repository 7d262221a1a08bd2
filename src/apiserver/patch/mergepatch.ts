// JSON merge patch (RFC 7386): application/merge-patch+json.

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// defineProperty keeps a "__proto__" key an ordinary property, as JSON.parse makes it.
function setOwn(obj: Record<string, unknown>, k: string, value: unknown): void {
  Object.defineProperty(obj, k, { value, enumerable: true, writable: true, configurable: true });
}

/** A deep copy of a JSON value (plain objects, arrays, scalars). */
export function cloneJson<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(cloneJson) as T;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) setOwn(out, k, cloneJson((v as Record<string, unknown>)[k]));
  return out as T;
}

/** A copy of `v` without the null members of any object in it, arrays included (null array elements stay). */
function pruneNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pruneNulls);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) if (v[k] !== null) setOwn(out, k, pruneNulls(v[k]));
  return out;
}

export interface MergePatchOptions {
  /**
   * Behave as kube-apiserver's library (evanphx/json-patch v4) does where it departs from RFC 7386: a patch
   * value taken over whole (its target member is missing or not an object, or the patch is an array) also
   * loses the null members of objects inside its arrays, e.g. {"a":[{"b":null}]} sets a to [{}].
   */
  kubernetes?: boolean;
}

function merge(target: unknown, patch: unknown, kubernetes: boolean): unknown {
  if (!isObject(patch)) return kubernetes && !isObject(target) ? pruneNulls(patch) : cloneJson(patch);
  const base = isObject(target) ? target : {};
  const out: Record<string, unknown> = {};
  // Members keep the target's order; new ones follow in the patch's order.
  for (const k of Object.keys(base)) {
    if (!Object.hasOwn(patch, k)) setOwn(out, k, cloneJson(base[k]));
    else if (patch[k] !== null) setOwn(out, k, merge(base[k], patch[k], kubernetes));
  }
  for (const k of Object.keys(patch)) {
    if (patch[k] !== null && !Object.hasOwn(base, k)) setOwn(out, k, merge(undefined, patch[k], kubernetes));
  }
  return out;
}

/**
 * Applies a JSON merge patch to `target`, per RFC 7386: a null member deletes, an object member merges
 * recursively, anything else (arrays included) replaces; a patch that is not an object replaces the whole
 * document. Neither input is modified, and the result shares no objects with them.
 */
export function applyMergePatch(target: unknown, patch: unknown, options: MergePatchOptions = {}): unknown {
  const kubernetes = options.kubernetes === true;
  // The library prunes a whole-document array patch even over an object document.
  if (kubernetes && Array.isArray(patch)) return pruneNulls(patch);
  return merge(target, patch, kubernetes);
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/**
 * Why kube-apiserver refuses a merge patch body before applying it (answer 400 BadRequest with this message),
 * or undefined. Under Strict and Warn (the server's default) the body must be an object; under Ignore the
 * patch library still refuses null and scalars.
 */
export function mergePatchBodyError(patch: unknown, fieldValidation: 'Strict' | 'Warn' | 'Ignore' = 'Warn'): string | undefined {
  if (fieldValidation !== 'Ignore' && patch !== null && !isObject(patch)) {
    return `error decoding patch: json: cannot unmarshal ${jsonKind(patch)} into Go value of type map[string]interface {}`;
  }
  if (patch === null || (!isObject(patch) && !Array.isArray(patch))) return 'Invalid JSON Patch';
  return undefined;
}
