// JSON Patch (RFC 6902): application/json-patch+json, with the behaviour kube-apiserver gets from
// gopkg.in/evanphx/json-patch.v4 where that library is more lenient than the RFC:
//  - "replace" of a missing object member adds it; "copy" from a missing object member copies null;
//  - "test" treats a missing member and a null member alike; an op without "value" uses null;
//  - array indices may be negative (counted from the end) and are read as Go's strconv.Atoi reads them;
//  - "add"/"remove" on the whole document ("") fail; "replace" and "test" of "" work on the whole document.
// Errors carry the Status kube-apiserver answers with (handlers/patch.go).
import { StatusError } from '../status.ts';
import { cloneJson } from './mergepatch.ts';

/** One operation as decoded from the request body; fields are read as the upstream library reads them. */
export type JsonPatchOperation = Readonly<Record<string, unknown>>;

/** upstream's maxJSONPatchOperations. */
export const maxJsonPatchOperations = 10000;
/** upstream's default JSONPatchMaxCopyBytes: the most that "copy" operations may add to a document. */
export const defaultCopySizeLimit = 3 * 1024 * 1024;

/** kube-apiserver's message for every failure while applying a JSON patch (422, details {}). */
export const applyFailedMessage = 'the server rejected our request due to an error in our request';

/**
 * A JSON patch that kube-apiserver would reject. `message` is the library's own wording (for logs);
 * `code`, `reason` and `statusMessage` are what the server answers.
 */
export class JsonPatchError extends Error {
  override name = 'JsonPatchError';
  constructor(
    readonly code: 400 | 413 | 422,
    readonly reason: 'BadRequest' | 'RequestEntityTooLarge' | 'Invalid',
    readonly statusMessage: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  toStatusError(): StatusError {
    // NewGenericServerResponse leaves an empty details object on 422.
    return new StatusError(this.code, this.reason, this.statusMessage, this.code === 422 ? {} : undefined, { cause: this });
  }
}

const badRequest = (message: string) => new JsonPatchError(400, 'BadRequest', message, message);
const applyFailed = (detail: string) => new JsonPatchError(422, 'Invalid', applyFailedMessage, detail);

function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // string | number
}

const knownFields = new Set(['op', 'path', 'from', 'value']);

export interface DecodedJsonPatch {
  operations: JsonPatchOperation[];
  /** Strict-decoding findings (`json patch unknown field "x"`): warnings under Warn, an error under Strict. */
  strictErrors: string[];
}

/**
 * Checks a parsed request body the way kube-apiserver decodes a JSON patch, for the given fieldValidation
 * (its default is Warn). Throws JsonPatchError 400 for a body of the wrong shape and 413 for more than
 * 10000 operations.
 */
export function decodeJsonPatch(body: unknown, fieldValidation: 'Strict' | 'Warn' | 'Ignore' = 'Warn'): DecodedJsonPatch {
  const strictErrors: string[] = [];
  if (fieldValidation !== 'Ignore') {
    // sigs.k8s.io/json into []jsonPatchOp{Op, Path, From string; Value interface{}}: the first type error wins.
    let typeError: string | undefined;
    if (body !== null && !Array.isArray(body)) {
      typeError = `json: cannot unmarshal ${jsonKind(body)} into Go value of type []handlers.jsonPatchOp`;
    } else if (Array.isArray(body)) {
      for (const op of body) {
        if (op === null) continue;
        if (typeof op !== 'object' || Array.isArray(op)) {
          typeError ??= `json: cannot unmarshal ${jsonKind(op)} into Go value of type handlers.jsonPatchOp`;
          continue;
        }
        for (const [k, v] of Object.entries(op as Record<string, unknown>)) {
          if (!knownFields.has(k)) {
            const msg = `json patch unknown field ${JSON.stringify(k)}`;
            if (!strictErrors.includes(msg)) strictErrors.push(msg);
          } else if (k !== 'value' && v !== null && typeof v !== 'string') {
            typeError ??= `json: cannot unmarshal ${jsonKind(v)} into Go struct field jsonPatchOp.${k} of type string`;
          }
        }
      }
    }
    if (typeError !== undefined) throw badRequest(`error decoding patch: ${typeError}`);
  }
  // jsonpatch.DecodePatch into []map[string]*json.RawMessage.
  if (body === null) return { operations: [], strictErrors };
  if (!Array.isArray(body)) throw badRequest(`json: cannot unmarshal ${jsonKind(body)} into Go value of type jsonpatch.Patch`);
  for (const op of body) {
    if (op !== null && (typeof op !== 'object' || Array.isArray(op))) {
      throw badRequest(`json: cannot unmarshal ${jsonKind(op)} into Go value of type jsonpatch.Operation`);
    }
  }
  if (body.length > maxJsonPatchOperations) {
    const detail = `The allowed maximum operations in a JSON patch is ${maxJsonPatchOperations}, got ${body.length}`;
    throw new JsonPatchError(413, 'RequestEntityTooLarge', `Request entity too large: ${detail}`, detail);
  }
  return { operations: body.map((op) => (op ?? {}) as JsonPatchOperation), strictErrors };
}

// --- applying ---

type Container = Record<string, unknown> | unknown[];

function isContainer(v: unknown): v is Container {
  return typeof v === 'object' && v !== null;
}

const missing = 'missing value';
const invalidIndex = 'invalid index referenced';

/** Go's strconv.Atoi, with its error text. */
function atoi(s: string): number {
  const bad = () => new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  let i = s[0] === '+' || s[0] === '-' ? 1 : 0;
  if (i === s.length) throw bad();
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) throw bad();
  }
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}

const indexError = (idx: number) => new Error(`Unable to access invalid index: ${idx}: ${invalidIndex}`);

function decodeToken(t: string): string {
  return t.includes('~') ? t.replace(/~[01]/g, (m) => (m === '~1' ? '/' : '~')) : t;
}

/** The member's value, or undefined for a missing object member (arrays check the index). */
function getChild(c: Container, key: string): unknown {
  if (!Array.isArray(c)) return Object.hasOwn(c, key) ? c[key] : undefined;
  let idx = atoi(key);
  if (idx < 0) {
    if (idx < -c.length) throw indexError(idx);
    idx += c.length;
  }
  if (idx >= c.length) throw indexError(idx);
  return c[idx];
}

function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function addChild(c: Container, key: string, value: unknown): void {
  if (!Array.isArray(c)) {
    setOwn(c, key, value);
    return;
  }
  if (key === '-') {
    c.push(value);
    return;
  }
  let idx: number;
  try {
    idx = atoi(key);
  } catch (e) {
    throw new Error(`value was not a proper array index: '${key}': ${(e as Error).message}`);
  }
  const size = c.length + 1;
  if (idx >= size || idx < -size) throw indexError(idx);
  if (idx < 0) idx += size;
  c.splice(idx, 0, value);
}

function removeChild(c: Container, key: string): void {
  if (!Array.isArray(c)) {
    if (!Object.hasOwn(c, key)) throw new Error(`Unable to remove nonexistent key: ${key}: ${missing}`);
    delete c[key];
    return;
  }
  let idx = atoi(key);
  if (idx >= c.length || idx < -c.length) throw indexError(idx);
  if (idx < 0) idx += c.length;
  c.splice(idx, 1);
}

function replaceChild(c: Container, key: string, value: unknown): void {
  if (!Array.isArray(c)) {
    setOwn(c, key, value);
    return;
  }
  let idx = atoi(key);
  if (idx < 0) idx += c.length; // getChild has checked the range
  c[idx] = value;
}

/** The container holding the pointer's last token, and that token; undefined when the path does not lead anywhere. */
function findParent(doc: Container, path: string): { parent: Container; key: string } | undefined {
  const tokens = path.split('/');
  if (tokens.length < 2) return undefined;
  let cur: Container = doc;
  // As upstream, the first token (before the first "/") is ignored rather than checked to be empty.
  for (let i = 1; i < tokens.length - 1; i++) {
    let next: unknown;
    try {
      next = getChild(cur, decodeToken(tokens[i]!));
    } catch {
      return undefined;
    }
    if (!isContainer(next)) return undefined;
    cur = next;
  }
  return { parent: cur, key: decodeToken(tokens[tokens.length - 1]!) };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!isContainer(a) || !isContainer(b) || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ak = Object.keys(a);
  const bo = b as Record<string, unknown>;
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => Object.hasOwn(bo, k) && deepEqual((a as Record<string, unknown>)[k], bo[k]));
}

function stringField(op: JsonPatchOperation, name: 'path' | 'from'): string | undefined {
  const v = op[name];
  return typeof v === 'string' ? v : undefined;
}

export interface ApplyJsonPatchOptions {
  /** Most bytes "copy" operations may add in total (upstream's AccumulatedCopySizeLimit); 0 for no limit. */
  copySizeLimit?: number;
}

/**
 * Applies JSON patch operations to a document and returns the patched copy; inputs are not modified.
 * Throws JsonPatchError (422, `applyFailedMessage`) when an operation does not apply, e.g. a failed "test"
 * or a path whose parent is missing.
 */
export function applyJsonPatch(doc: unknown, operations: readonly JsonPatchOperation[], options: ApplyJsonPatchOptions = {}): unknown {
  if (!isContainer(doc)) throw applyFailed('json: cannot unmarshal the document: it is not an object or array');
  const limit = options.copySizeLimit ?? defaultCopySizeLimit;
  let root: Container = cloneJson(doc);
  let copied = 0;

  for (const raw of operations) {
    // A null operation decodes to an empty one upstream.
    const op: JsonPatchOperation = typeof raw === 'object' && raw !== null ? raw : {};
    const kind = typeof op.op === 'string' ? op.op : 'unknown';
    const path = stringField(op, 'path');
    // A missing "value" is applied as null (upstream keeps a nil node).
    const value = () => (op.value === undefined ? null : cloneJson(op.value));
    switch (kind) {
      case 'add': {
        if (path === undefined) throw applyFailed(`add operation failed to decode path: ${missing}`);
        const at = findParent(root, path);
        if (!at) throw applyFailed(`add operation does not apply: doc is missing path: "${path}": ${missing}`);
        try {
          addChild(at.parent, at.key, value());
        } catch (e) {
          throw applyFailed(`error in add for path: '${path}': ${(e as Error).message}`);
        }
        break;
      }
      case 'remove': {
        if (path === undefined) throw applyFailed(`remove operation failed to decode path: ${missing}`);
        const at = findParent(root, path);
        if (!at) throw applyFailed(`remove operation does not apply: doc is missing path: "${path}": ${missing}`);
        try {
          removeChild(at.parent, at.key);
        } catch (e) {
          throw applyFailed(`error in remove for path: '${path}': ${(e as Error).message}`);
        }
        break;
      }
      case 'replace': {
        if (path === undefined) throw applyFailed(`replace operation failed to decode path: ${missing}`);
        if (path === '') {
          if (!isContainer(op.value)) throw applyFailed('replace operation value must be object or array');
          root = value() as Container;
          break;
        }
        const at = findParent(root, path);
        if (!at) throw applyFailed(`replace operation does not apply: doc is missing path: ${path}: ${missing}`);
        try {
          getChild(at.parent, at.key);
        } catch {
          throw applyFailed(`replace operation does not apply: doc is missing key: ${path}: ${missing}`);
        }
        replaceChild(at.parent, at.key, value());
        break;
      }
      case 'move': {
        const from = stringField(op, 'from');
        if (from === undefined) throw applyFailed(`move operation failed to decode from: operation, missing from field: ${missing}`);
        const src = findParent(root, from);
        if (!src) throw applyFailed(`move operation does not apply: doc is missing from path: ${from}: ${missing}`);
        let moved: unknown;
        try {
          moved = getChild(src.parent, src.key);
          removeChild(src.parent, src.key);
        } catch (e) {
          throw applyFailed(`error in move for path: '${src.key}': ${(e as Error).message}`);
        }
        if (path === undefined) throw applyFailed(`move operation failed to decode path: operation missing path field: ${missing}`);
        const dst = findParent(root, path);
        if (!dst) throw applyFailed(`move operation does not apply: doc is missing destination path: ${path}: ${missing}`);
        try {
          addChild(dst.parent, dst.key, moved);
        } catch (e) {
          throw applyFailed(`error in move for path: '${path}': ${(e as Error).message}`);
        }
        break;
      }
      case 'test': {
        if (path === undefined) throw applyFailed(`test operation failed to decode path: operation missing path field: ${missing}`);
        const failed = () => applyFailed(`testing value ${path} failed: test failed`);
        if (path === '') {
          if (!deepEqual(root, op.value)) throw failed();
          break;
        }
        const at = findParent(root, path);
        if (!at) throw applyFailed(`test operation does not apply: is missing path: ${path}: ${missing}`);
        let current: unknown;
        try {
          current = getChild(at.parent, at.key);
        } catch (e) {
          throw applyFailed(`error in test for path: '${path}': ${(e as Error).message}`);
        }
        if (current === undefined || current === null) {
          if (op.value !== undefined && op.value !== null) throw failed();
        } else if (!deepEqual(current, op.value)) {
          throw failed();
        }
        break;
      }
      case 'copy': {
        const from = stringField(op, 'from');
        if (from === undefined) throw applyFailed(`copy operation failed to decode from: operation, missing from field: ${missing}`);
        const src = findParent(root, from);
        if (!src) throw applyFailed(`copy operation does not apply: doc is missing from path: ${from}: ${missing}`);
        let original: unknown;
        try {
          original = getChild(src.parent, src.key);
        } catch (e) {
          throw applyFailed(`error in copy for from: '${from}': ${(e as Error).message}`);
        }
        if (path === undefined) throw applyFailed(`copy operation failed to decode path: ${missing}`);
        const dst = findParent(root, path);
        if (!dst) throw applyFailed(`copy operation does not apply: doc is missing destination path: ${path}: ${missing}`);
        const copy = original === undefined ? null : cloneJson(original);
        if (original !== undefined && original !== null) copied += Buffer.byteLength(JSON.stringify(original));
        if (limit > 0 && copied > limit) {
          throw applyFailed(`Unable to complete the copy, the accumulated size increase of copy is ${copied}, exceeding the limit ${limit}`);
        }
        try {
          addChild(dst.parent, dst.key, copy);
        } catch (e) {
          throw applyFailed(`error while adding value during copy: ${(e as Error).message}`);
        }
        break;
      }
      default:
        throw applyFailed(`Unexpected kind: ${kind}`);
    }
  }
  return root;
}
