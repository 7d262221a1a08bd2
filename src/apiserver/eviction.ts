// POST /api/v1/namespaces/NS/pods/NAME/eviction (upstream's pkg/registry/core/pod/storage/eviction.go): delete a pod
// unless that would break its PodDisruptionBudget. An allowed eviction takes one disruption off the budget's status
// (recording the pod in status.disruptedPods) before the pod is deleted with the Eviction's deleteOptions.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.d.ts';
import type { Registry } from '../api/registry.ts';
import type { KObject, ResourceType } from '../api/types.ts';
import { DISRUPTION_BUDGET_CAUSE, isPodReady, metaTime, pdbSelectsPod, updateDisruptionAllowedCondition } from '../controllers/disruption-pdb.ts';
import { managerOrUserAgent } from './apply/index.ts';
import { decodeObject, negotiate } from './codec.ts';
import type { Req, Res } from './http.ts';
import { readBody, sendJson } from './http.ts';
import { StatusError, errors } from './status.ts';
import type { DeleteOptions, ResourceStore } from './store.ts';
import type { WatchCache } from './watchcache.ts';

/** What the eviction handler needs of the API server (a subset of the handlers' ApiContext). */
export interface EvictionContext {
  registry: Registry;
  stores: Map<ResourceType, ResourceStore>;
  watchCache: WatchCache;
}

/** The eviction handler refuses once a budget has this many evictions its controller has not yet seen through. */
export const MAX_DISRUPTED_POD_SIZE = 2000;
/** upstream's EvictionsRetry: 20 tries, 500 ms apart, on conflicts. */
const RETRY_STEPS = 20;
const RETRY_DELAY_MS = 500;
/** The writer the budget's status update is recorded under (upstream writes it through its loopback client). */
const PDB_MANAGER = 'kube-apiserver';
const CANNOT_EVICT = "Cannot evict pod as it would violate the pod's disruption budget.";

type PDB = PodDisruptionBudget & KObject;

const isConflict = (err: unknown): boolean => err instanceof StatusError && err.code === 409;

function tooManyRequests(message: string, retryAfterSeconds: number): StatusError {
  return new StatusError(429, 'TooManyRequests', CANNOT_EVICT, retryAfterSeconds > 0 ? { causes: [{ reason: DISRUPTION_BUDGET_CAUSE, message }], retryAfterSeconds } : { causes: [{ reason: DISRUPTION_BUDGET_CAUSE, message }] });
}

/** The budget's status lags its spec: try again shortly. */
function budgetBeingProcessed(pdbName: string): StatusError {
  return tooManyRequests(`The disruption budget ${pdbName} is still being processed by the server.`, 10);
}

function forbiddenBudget(pdbName: string, why: string): StatusError {
  return errors.forbidden(`poddisruptionbudget.policy "${pdbName}" is forbidden: ${why}`, { name: pdbName, group: 'policy', kind: 'poddisruptionbudget' });
}

/** Terminal, pending and already terminating pods go without consulting any budget. */
function canIgnorePDB(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata?.deletionTimestamp;
}

/** Pods that could still become ready are deleted only at the version the decision was made on. */
function shouldEnforceResourceVersion(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return !(phase === 'Succeeded' || phase === 'Failed' || pod.metadata?.deletionTimestamp);
}

const resourceVersionUnset = (opts: DeleteOptions): boolean => !opts.preconditions?.resourceVersion;

function withResourceVersion(opts: DeleteOptions, rv: string | undefined): DeleteOptions {
  return { ...opts, preconditions: { ...(opts.preconditions ?? {}), ...(rv ? { resourceVersion: rv } : {}) } };
}

function queryDryRun(query: URLSearchParams): string[] {
  const values = query.getAll('dryRun');
  for (const v of values) if (v !== 'All') throw errors.badRequest(`Invalid dryRun value: ${JSON.stringify(v)}; the only supported value is "All"`);
  return values;
}

/** The Eviction's deleteOptions with the request's dryRun folded in (they must agree when both are given). */
function evictionDeleteOptions(eviction: KObject, dryRun: string[]): DeleteOptions {
  const given = (eviction['deleteOptions'] ?? undefined) as Record<string, any> | undefined;
  const opts: DeleteOptions = {};
  if (given) {
    // As upstream's delete path: a negative grace period means one second.
    if (typeof given['gracePeriodSeconds'] === 'number') opts.gracePeriodSeconds = given['gracePeriodSeconds'] < 0 ? 1 : given['gracePeriodSeconds'];
    if (given['propagationPolicy']) opts.propagationPolicy = given['propagationPolicy'];
    if (typeof given['orphanDependents'] === 'boolean') opts.orphanDependents = given['orphanDependents'];
    const pre = given['preconditions'];
    if (pre && (pre.uid || pre.resourceVersion)) opts.preconditions = { ...(pre.uid ? { uid: pre.uid } : {}), ...(pre.resourceVersion ? { resourceVersion: pre.resourceVersion } : {}) };
  }
  const bodyDryRun = Array.isArray(given?.['dryRun']) ? (given['dryRun'] as string[]) : [];
  if (bodyDryRun.length && dryRun.length && JSON.stringify(bodyDryRun) !== JSON.stringify(dryRun)) {
    throw errors.internal(`Non-matching dry-run options in request and content: [${dryRun.join(' ')}] and [${bodyDryRun.join(' ')}]`);
  }
  const effective = bodyDryRun.length ? bodyDryRun : dryRun;
  for (const v of effective) if (v !== 'All') throw errors.badRequest(`Invalid dryRun value: ${JSON.stringify(v)}; the only supported value is "All"`);
  if (effective.length) opts.dryRun = effective;
  return opts;
}

function checkEvictionTypeMeta(obj: KObject): void {
  if (obj.apiVersion !== undefined && obj.apiVersion !== 'policy/v1' && obj.apiVersion !== 'policy/v1beta1') {
    throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (policy/v1)`);
  }
  if (obj.kind !== undefined && obj.kind !== 'Eviction') throw errors.badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (Eviction)`);
}

export async function handleEviction(ctx: EvictionContext, pods: ResourceStore, namespace: string, name: string, verb: string, query: URLSearchParams, req: Req, res: Res): Promise<void> {
  if (verb !== 'create') throw errors.methodNotSupported('pods/eviction', '', verb);
  const eviction = decodeObject(await readBody(req), req.headers['content-type']).obj;
  checkEvictionTypeMeta(eviction);
  const options = evictionDeleteOptions(eviction, queryDryRun(query));
  if (eviction.metadata?.namespace && eviction.metadata.namespace !== namespace) {
    throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (eviction.metadata?.name !== name) throw errors.badRequest('name in URL does not match name in Eviction object');
  const manager = managerOrUserAgent(query.get('fieldManager') ?? undefined, req.headers['user-agent']);
  const status = await evict(ctx, pods, namespace, name, options, manager);
  sendJson(res, status.code, status, negotiate(req.headers.accept, false).format);
}

interface EvictionStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  code: number;
}

const SUCCESS: EvictionStatus = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };

async function evict(ctx: EvictionContext, pods: ResourceStore, namespace: string, name: string, original: DeleteOptions, manager: string): Promise<EvictionStatus> {
  const dryRun = original.dryRun?.includes('All') ?? false;
  // Pods whose budget does not matter are simply deleted (retrying conflicts unless the caller pinned a version).
  let pod: Pod & KObject;
  for (let attempt = 1; ; attempt++) {
    try {
      pod = (await pods.get(namespace, name)) as Pod & KObject;
      if (!canIgnorePDB(pod)) break;
      const opts = shouldEnforceResourceVersion(pod) && resourceVersionUnset(original) ? withResourceVersion(original, pod.metadata?.resourceVersion) : original;
      await markAndDelete(pods, namespace, name, pod, opts, manager);
      return SUCCESS;
    } catch (err) {
      if (!isConflict(err) || !resourceVersionUnset(original) || attempt >= RETRY_STEPS) throw err;
      await sleep(RETRY_DELAY_MS);
    }
  }

  const pdbs = await budgetsFor(ctx, pod);
  if (pdbs.length > 1) {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.', code: 500 };
  }
  let deleteOptions = original;
  let unhealthyDeletion = false;
  const pdb = pdbs[0];
  if (pdb) {
    const s = pdb.status;
    const unhealthyMayGo =
      !isPodReady(pod) && (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow' || ((s?.currentHealthy ?? 0) >= (s?.desiredHealthy ?? 0) && (s?.desiredHealthy ?? 0) > 0));
    if (unhealthyMayGo) {
      // A pod that is not healthy does not count against the budget, as long as it does not turn ready meanwhile.
      unhealthyDeletion = true;
      deleteOptions = withResourceVersion(original, pod.metadata?.resourceVersion);
    } else await checkAndDecrement(ctx, pdb, pod.metadata?.name ?? '', dryRun);
  }
  try {
    await markAndDelete(pods, namespace, name, pod, deleteOptions, manager);
  } catch (err) {
    if (isConflict(err) && unhealthyDeletion && resourceVersionUnset(original)) throw budgetBeingProcessed(pdb!.metadata?.name ?? '');
    throw err;
  }
  return SUCCESS;
}

/** The budgets in the pod's namespace whose (non-empty) selector matches it, read consistently. */
async function budgetsFor(ctx: EvictionContext, pod: Pod): Promise<PDB[]> {
  const store = pdbStore(ctx);
  await ctx.watchCache.sync();
  const namespace = pod.metadata?.namespace ?? '';
  return store.cache
    .list(`${store.prefix}${namespace}/`, () => true)
    .items.map((c) => store.present(c) as PDB)
    .filter((pdb) => {
      const sel = pdb.spec?.selector;
      // A budget with an empty selector protects nothing here.
      const empty = !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
      return !empty && pdbSelectsPod(pdb, pod);
    });
}

function pdbStore(ctx: EvictionContext): ResourceStore {
  const type = ctx.registry.get('policy', 'v1', 'poddisruptionbudgets');
  const store = type && ctx.stores.get(type);
  if (!store) throw errors.internal('the poddisruptionbudgets resource is not served');
  return store;
}

/** Throws (429, 403) unless the budget allows one more disruption; returns the status with that disruption taken. */
function decrement(pdb: PDB, podName: string, dryRun: boolean, now: number): PodDisruptionBudgetStatus {
  const name = pdb.metadata?.name ?? '';
  const status: PodDisruptionBudgetStatus = structuredClone(pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 });
  if ((status.observedGeneration ?? 0) < (pdb.metadata?.generation ?? 0)) throw budgetBeingProcessed(name);
  if (status.disruptionsAllowed < 0) throw forbiddenBudget(name, 'pdb disruptions allowed is negative');
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_POD_SIZE) throw forbiddenBudget(name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  if (status.disruptionsAllowed === 0) {
    throw tooManyRequests(`The disruption budget ${name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`, 0);
  }
  status.disruptionsAllowed--;
  if (status.disruptionsAllowed === 0) updateDisruptionAllowedCondition(status, now);
  if (!dryRun) status.disruptedPods = { ...(status.disruptedPods ?? {}), [podName]: metaTime(now) };
  return status;
}

/** Verify-and-decrement against the stored budget; storage conflicts are retried on a fresh read. */
async function checkAndDecrement(ctx: EvictionContext, pdb: PDB, podName: string, dryRun: boolean): Promise<void> {
  const store = pdbStore(ctx);
  const namespace = pdb.metadata?.namespace ?? '';
  const name = pdb.metadata?.name ?? '';
  if (dryRun) {
    decrement((await store.get(namespace, name)) as PDB, podName, true, Date.now());
    return;
  }
  try {
    await store.guaranteedUpdate(namespace, name, (current) => ({ ...current, status: decrement(current as PDB, podName, false, Date.now()) }), { subresource: 'status', manager: PDB_MANAGER });
  } catch (err) {
    if (isConflict(err)) throw new StatusError(504, 'Timeout', `Timeout: couldn't update PodDisruptionBudget "${name}" due to conflicts`, { retryAfterSeconds: 10 });
    throw err;
  }
}

/** Records why the pod goes (DisruptionTarget condition), then deletes it with the eviction's options. */
async function markAndDelete(pods: ResourceStore, namespace: string, name: string, pod: Pod, options: DeleteOptions, manager: string): Promise<void> {
  let opts = options;
  const dryRun = options.dryRun?.includes('All') ?? false;
  // A pod already terminating keeps its status as it is: the deletion under way is not this eviction's.
  if (!dryRun && !pod.metadata?.deletionTimestamp) {
    const updated = await pods.guaranteedUpdate(
      namespace,
      name,
      (latest) => {
        const pre = options.preconditions;
        if (pre?.uid && pre.uid !== latest.metadata?.uid) {
          throw errors.conflict('Pod', '', name, `the UID in the precondition (${pre.uid}) does not match the UID in record (${latest.metadata?.uid}). The object might have been deleted and then recreated`);
        }
        if (pre?.resourceVersion && pre.resourceVersion !== latest.metadata?.resourceVersion) {
          throw errors.conflict('Pod', '', name, `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${latest.metadata?.resourceVersion}). The object might have been modified`);
        }
        return withDisruptionTarget(latest);
      },
      { subresource: 'status', manager },
    );
    // The condition write moved the pod on: a pinned version moves with it.
    if (!resourceVersionUnset(opts)) opts = withResourceVersion(opts, updated.metadata?.resourceVersion);
  }
  await pods.delete(namespace, name, opts);
}

/** The pod with condition DisruptionTarget=True (reason EvictionByEvictionAPI), as upstream's UpdatePodCondition sets it. */
function withDisruptionTarget(pod: KObject): KObject {
  const status = (pod['status'] ??= {}) as { conditions?: Array<Record<string, unknown>> };
  const conditions = status.conditions ?? [];
  const old = conditions.find((c) => c['type'] === 'DisruptionTarget');
  const cond: Record<string, unknown> = {
    type: 'DisruptionTarget',
    status: 'True',
    lastProbeTime: null,
    lastTransitionTime: old && old['status'] === 'True' ? old['lastTransitionTime'] : metaTime(Date.now()),
    reason: 'EvictionByEvictionAPI',
    message: 'Eviction API: evicting',
  };
  status.conditions = old ? conditions.map((c) => (c === old ? cond : c)) : [...conditions, cond];
  return pod;
}
