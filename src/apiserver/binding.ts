// pods/binding (and the legacy namespaced `bindings` collection): assign a pending pod to a node, as upstream's
// BindingREST does — straight against storage, without the pod strategy (spec.nodeName is otherwise immutable):
// spec.nodeName set, the binding's annotations copied, PodScheduled=True, status.nominatedNodeName cleared.
import type { KObject, ResourceType } from '../api/types.ts';
import { KeyNotFoundError, RevisionConflictError } from '../storage/backend.ts';
import { decodeObject, negotiate } from './codec.ts';
import type { Req, Res } from './http.ts';
import { readBody, sendJson } from './http.ts';
import { nowRFC3339 } from './objects.ts';
import { StatusError, errors } from './status.ts';
import type { ResourceStore } from './store.ts';
import { decodeStored } from './watchcache.ts';

const MAX_CONFLICT_RETRIES = 8;
const encoder = new TextEncoder();

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Is this the core/v1 `bindings` resource (POST /api/v1/namespaces/NS/bindings)? */
export function isLegacyBindings(type: ResourceType): boolean {
  return type.group === '' && type.plural === 'bindings';
}

/** upstream's ValidatePodBinding, answered as upstream does: a plain error, so a 500 without a reason. */
function validateBinding(binding: KObject): void {
  const target: Obj = isObj(binding['target']) ? binding['target'] : {};
  const problems: string[] = [];
  const kind = typeof target['kind'] === 'string' ? target['kind'] : '';
  if (kind !== '' && kind !== 'Node') problems.push(`target.kind: Unsupported value: ${JSON.stringify(kind)}: supported values: "Node", "<empty>"`);
  if (typeof target['name'] !== 'string' || target['name'] === '') problems.push('target.name: Required value');
  if (problems.length === 0) return;
  throw new StatusError(500, '', problems.length === 1 ? (problems[0] as string) : `[${problems.join(', ')}]`);
}

function checkTypeMeta(obj: KObject): void {
  if (obj.apiVersion !== undefined && obj.apiVersion !== 'v1') {
    throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (v1)`);
  }
  if (obj.kind !== undefined && obj.kind !== 'Binding') throw errors.badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (Binding)`);
}

function isDryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const v of values) if (v !== 'All') throw errors.badRequest(`Invalid dryRun value: ${JSON.stringify(v)}; the only supported value is "All"`);
  return values.includes('All');
}

/** The stored form: apiVersion, kind and metadata first, no resourceVersion (as the store writes it). */
function encodeStored(obj: KObject): Uint8Array {
  const { apiVersion, kind, metadata, ...rest } = obj;
  const { resourceVersion: _rv, selfLink: _sl, ...meta } = metadata ?? {};
  return encoder.encode(JSON.stringify({ apiVersion, kind, metadata: meta, ...rest }));
}

/** A failed storage precondition, worded as upstream's storage error wrapped in a Conflict on pods. */
function preconditionFailed(key: string, name: string, what: 'UID' | 'ResourceVersion', wanted: string, actual: string): StatusError {
  const detail = `Precondition failed: ${what} in precondition: ${wanted}, ${what} in object meta: ${actual}`;
  return errors.conflict('pods', '', name, `StorageError: invalid object, Code: 4, Key: ${key}, ResourceVersion: 0, AdditionalErrorMsg: ${detail}`);
}

/** upstream's UpdatePodCondition for PodScheduled=True. */
function setScheduled(status: Obj, generation: unknown): void {
  const conditions = Array.isArray(status['conditions']) ? (status['conditions'] as Obj[]) : [];
  const i = conditions.findIndex((c) => c['type'] === 'PodScheduled');
  const old = conditions[i];
  const condition: Obj = {
    type: 'PodScheduled',
    status: 'True',
    ...(typeof generation === 'number' ? { observedGeneration: generation } : {}),
    lastProbeTime: null,
    lastTransitionTime: old && old['status'] === 'True' && old['lastTransitionTime'] ? old['lastTransitionTime'] : nowRFC3339(),
  };
  if (i >= 0) conditions[i] = condition;
  else conditions.push(condition);
  status['conditions'] = conditions;
}

/** upstream's assignPod: read-modify-write of the stored pod, retried on a concurrent write. */
async function assignPod(pods: ResourceStore, namespace: string, name: string, binding: KObject, dryRun: boolean): Promise<void> {
  const key = pods.key(namespace, name);
  const backend = pods.ctx.backend;
  const meta = binding.metadata ?? {};
  const target = binding['target'] as Obj;
  const nodeName = target['name'] as string;
  const annotations: Obj = isObj(meta.annotations) ? meta.annotations : {};
  for (let attempt = 0; ; attempt++) {
    const kv = await backend.get(key);
    if (!kv) throw errors.notFound('pods', '', name);
    const pod = decodeStored(kv);
    const pm = (pod.metadata ??= {});
    if (meta.uid && meta.uid !== pm.uid) throw preconditionFailed(key, name, 'UID', meta.uid, pm.uid ?? '');
    if (meta.resourceVersion && meta.resourceVersion !== pm.resourceVersion) throw preconditionFailed(key, name, 'ResourceVersion', meta.resourceVersion, pm.resourceVersion ?? '');
    const spec: Obj = isObj(pod['spec']) ? pod['spec'] : (pod['spec'] = {});
    const conflict = (why: string) => errors.conflict('pods/binding', '', name, why);
    if (pm.deletionTimestamp) throw conflict(`pod ${name} is being deleted, cannot be assigned to a host`);
    if (spec['nodeName']) throw conflict(`pod ${name} is already assigned to node ${JSON.stringify(spec['nodeName'])}`);
    if (Array.isArray(spec['schedulingGates']) && spec['schedulingGates'].length > 0) throw conflict(`pod ${name} has non-empty .spec.schedulingGates`);
    spec['nodeName'] = nodeName;
    if (Object.keys(annotations).length > 0) pm.annotations = { ...pm.annotations, ...(annotations as Record<string, string>) };
    const status: Obj = isObj(pod['status']) ? pod['status'] : (pod['status'] = {});
    setScheduled(status, pm.generation);
    // Bound, it is no longer merely nominated anywhere (ClearingNominatedNodeNameAfterBinding, on since 1.35).
    delete status['nominatedNodeName'];
    if (dryRun) return;
    try {
      await backend.update(key, encodeStored(pod), kv.modRevision);
      return;
    } catch (err) {
      if (err instanceof KeyNotFoundError) throw errors.notFound('pods', '', name);
      if (err instanceof RevisionConflictError && attempt < MAX_CONFLICT_RETRIES) continue;
      if (err instanceof RevisionConflictError) {
        throw errors.conflict('pods', '', name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      throw err;
    }
  }
}

/**
 * POST …/pods/NAME/binding (`urlName` set) or POST …/namespaces/NS/bindings (the name from the body).
 * Answers 201 with a Success Status.
 */
export async function createBinding(pods: ResourceStore, namespace: string, urlName: string | undefined, query: URLSearchParams, req: Req, res: Res): Promise<void> {
  const format = negotiate(req.headers.accept, false).format;
  const dryRun = isDryRun(query);
  const { obj: binding } = decodeObject(await readBody(req), req.headers['content-type']);
  checkTypeMeta(binding);
  const meta = (binding.metadata ??= {});
  if (meta.namespace && meta.namespace !== namespace) throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  const name = urlName ?? meta.name ?? '';
  if (name !== (meta.name ?? '')) throw errors.badRequest('name in URL does not match name in Binding object');
  validateBinding(binding);
  if (!name) throw errors.badRequest('Name parameter required.');
  await assignPod(pods, namespace, name, binding, dryRun);
  sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }, format);
}
