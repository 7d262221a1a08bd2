// The disruption controller (upstream's 'disruption'): keeps every PodDisruptionBudget's status current — how many
// selected pods are expected and healthy, how many must stay healthy, and so how many disruptions (evictions) are
// allowed now — which the Eviction API reads. It also resets DisruptionTarget conditions left on pods whose eviction
// never turned into a deletion.
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import type { Condition, OwnerReference } from 'kubernetes-types/meta/v1.d.ts';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.d.ts';
import type { Client, KubeObject } from '../client/client.ts';
import { resourcePath } from '../client/client.ts';
import type { EventRecorder } from '../client/events.ts';
import { isConflict, isNotFound } from '../client/errors.ts';
import { objectKey, type Informer } from '../client/informer.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import type { Logger } from '../log.ts';
import type { Controller, ControllerContext } from './controller.ts';
import {
  conditionsAreUpToDate,
  goLabelSelectorString,
  isPodReady,
  metaTime,
  pdbSelectsPod,
  scaledValue,
  setStatusCondition,
  SYNC_FAILED,
  DISRUPTION_ALLOWED,
  updateDisruptionAllowedCondition,
} from './disruption-pdb.ts';
import { DEPLOYMENTS, PODS, POD_DISRUPTION_BUDGETS as PDBS, REPLICASETS, REPLICATION_CONTROLLERS as RCS, STATEFULSETS } from '../client/resources.ts';

type PodObject = Pod & KubeObject;
type PDBObject = PodDisruptionBudget & KubeObject;
/** Deployments, ReplicaSets, StatefulSets and ReplicationControllers: only their replicas matter here. */
type Workload = KubeObject & { spec?: { replicas?: number } };

/** How long an eviction's entry in status.disruptedPods counts before the pod is assumed not to be deleted after all. */
export const DELETION_TIMEOUT_MS = 2 * 60_000;
/** How long a DisruptionTarget condition may sit on a pod that is not being deleted. */
export const STALE_POD_DISRUPTION_TIMEOUT_MS = 2 * 60_000;
const FIELD_MANAGER = 'kube-controller-manager';
const DISRUPTION_TARGET = 'DisruptionTarget';
/** Conditions the kubelet sets are never stale (the pod may take long to terminate). */
const TERMINATION_BY_KUBELET = 'TerminationByKubelet';
const DISCOVERY_TTL_MS = 60_000;

export class DisruptionSyncError extends Error {
  override name = 'DisruptionSyncError';
}

interface ControllerScale {
  uid: string;
  scale: number;
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return ((obj.metadata?.['ownerReferences'] ?? []) as OwnerReference[]).find((r) => r.controller === true);
}

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

function isKind(ref: OwnerReference, kind: string, groups: string[]): boolean {
  return ref.kind === kind && groups.includes(groupOf(ref.apiVersion));
}

const timeOf = (t: string | undefined): number => (t ? Date.parse(t) || 0 : 0);

export class DisruptionController implements Controller {
  readonly #queue = new WorkQueue<string>();
  readonly #staleQueue = new WorkQueue<string>();
  readonly #pods: Informer<PodObject>;
  readonly #pdbs: Informer<PDBObject>;
  readonly #rcs: Informer<Workload>;
  readonly #replicaSets: Informer<Workload>;
  readonly #deployments: Informer<Workload>;
  readonly #statefulSets: Informer<Workload>;
  readonly #discovery = new Map<string, { at: number; resources: ApiResource[] }>();
  readonly client: Client;
  readonly logger: Logger;
  readonly recorder: EventRecorder;
  readonly now: () => number;

  constructor(ctx: ControllerContext, options: { now?: () => number } = {}) {
    this.client = ctx.client;
    this.logger = ctx.logger('disruption-controller');
    this.recorder = ctx.recorder('controllermanager');
    this.now = options.now ?? Date.now;
    this.#pods = ctx.informers.informer<PodObject>(PODS);
    this.#pdbs = ctx.informers.informer<PDBObject>(PDBS);
    this.#rcs = ctx.informers.informer<Workload>(RCS);
    this.#replicaSets = ctx.informers.informer<Workload>(REPLICASETS);
    this.#deployments = ctx.informers.informer<Workload>(DEPLOYMENTS);
    this.#statefulSets = ctx.informers.informer<Workload>(STATEFULSETS);

    const enqueuePdb = (pdb: PDBObject) => this.#queue.add(objectKey(pdb));
    this.#pdbs.addEventHandler({ onAdd: enqueuePdb, onUpdate: (_o, pdb) => enqueuePdb(pdb), onDelete: enqueuePdb });
    const onPod = (pod: PodObject, deleted: boolean) => {
      const pdb = this.#pdbForPod(pod);
      if (pdb) enqueuePdb(pdb);
      if (deleted) return;
      const stale = this.#staleDisruptionCondition(pod);
      if (stale.has) this.#staleQueue.addAfter(objectKey(pod), stale.cleanAfterMs);
    };
    this.#pods.addEventHandler({ onAdd: (pod) => onPod(pod, false), onUpdate: (_o, pod) => onPod(pod, false), onDelete: (pod) => onPod(pod, true) });
  }

  async start(signal: AbortSignal): Promise<void> {
    await Promise.all([this.#pods, this.#pdbs, this.#rcs, this.#replicaSets, this.#deployments, this.#statefulSets].map((i) => i.waitForSync(signal)));
    await Promise.all([
      runWorkers(this.#queue, 1, (key) => this.sync(key), signal, { onError: (key, err) => this.logger.info('syncing PodDisruptionBudget failed, requeuing', { pdb: key, error: err }) }),
      runWorkers(this.#staleQueue, 1, (key) => this.syncStalePodDisruption(key), signal, {
        onError: (key, err) => this.logger.info('clearing DisruptionTarget condition failed, requeuing', { pod: key, error: err }),
      }),
    ]);
  }

  /** The first budget selecting the pod; a pod with several gets a warning (the eviction API refuses to evict it). */
  #pdbForPod(pod: PodObject): PDBObject | undefined {
    if (Object.keys(pod.metadata?.labels ?? {}).length === 0) return undefined;
    const pdbs = this.#pdbs.lister.list((pdb) => pdbSelectsPod(pdb, pod));
    if (pdbs.length > 1) {
      const msg = `Pod "${pod.metadata?.namespace}"/"${pod.metadata?.name}" matches multiple PodDisruptionBudgets.  Chose "${pdbs[0]!.metadata?.name}" arbitrarily.`;
      this.logger.info(msg);
      this.recorder.event(pod, 'Warning', 'MultiplePodDisruptionBudgets', msg);
    }
    return pdbs[0];
  }

  async sync(key: string): Promise<void> {
    const pdb = this.#pdbs.lister.get(key);
    if (!pdb) return;
    try {
      await this.#trySync(key, pdb);
    } catch (err) {
      // A conflict only means a newer budget is on its way: retry without failing safe.
      if (isConflict(err)) throw err;
      this.logger.warn('failed to sync PodDisruptionBudget', { pdb: key, error: err });
      await this.#failSafe(pdb, err);
    }
  }

  async #trySync(key: string, pdb: PDBObject): Promise<void> {
    const pods = this.#pods.lister.list((pod) => pdbSelectsPod(pdb, pod));
    if (pods.length === 0) this.recorder.event(pdb, 'Normal', 'NoPods', 'No matching pods found');
    let expected: { expectedCount: number; desiredHealthy: number; unmanagedPods: string[] };
    try {
      expected = await this.#expectedPodCount(pdb, pods);
    } catch (err) {
      this.recorder.event(pdb, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${(err as Error).message}`);
      throw err;
    }
    if (expected.unmanagedPods.length) {
      this.recorder.event(
        pdb,
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${goLabelSelectorString(pdb.spec?.selector)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }
    const now = this.now();
    const { disruptedPods, recheckAt } = this.#buildDisruptedPodMap(pods, pdb, now);
    const currentHealthy = countHealthyPods(pods, disruptedPods, now);
    await this.#updateStatus(pdb, currentHealthy, expected.desiredHealthy, expected.expectedCount, disruptedPods);
    if (recheckAt !== undefined) this.#queue.addAfter(key, recheckAt - now);
  }

  /** upstream's getExpectedPodCount: what minAvailable / maxUnavailable mean for these pods. */
  async #expectedPodCount(pdb: PDBObject, pods: PodObject[]): Promise<{ expectedCount: number; desiredHealthy: number; unmanagedPods: string[] }> {
    const spec = pdb.spec ?? {};
    if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
      const { expectedCount, unmanagedPods } = await this.#expectedScale(pods);
      const maxUnavailable = scaledValue(spec.maxUnavailable, expectedCount, true);
      return { expectedCount, desiredHealthy: Math.max(0, expectedCount - maxUnavailable), unmanagedPods };
    }
    if (spec.minAvailable !== undefined && spec.minAvailable !== null) {
      if (typeof spec.minAvailable === 'number') return { expectedCount: pods.length, desiredHealthy: spec.minAvailable, unmanagedPods: [] };
      const { expectedCount, unmanagedPods } = await this.#expectedScale(pods);
      return { expectedCount, desiredHealthy: scaledValue(spec.minAvailable, expectedCount, true), unmanagedPods };
    }
    return { expectedCount: 0, desiredHealthy: 0, unmanagedPods: [] };
  }

  /** The sum of the scales of the pods' controllers (pods without one are reported, not counted). */
  async #expectedScale(pods: PodObject[]): Promise<{ expectedCount: number; unmanagedPods: string[] }> {
    const scales = new Map<string, number>();
    const unmanagedPods: string[] = [];
    for (const pod of pods) {
      const ref = controllerRefOf(pod);
      if (!ref) {
        unmanagedPods.push(pod.metadata?.name ?? '');
        continue;
      }
      if (scales.has(ref.uid)) continue;
      const found = await this.#findController(ref, pod.metadata?.namespace ?? '');
      if (!found) throw new DisruptionSyncError(`found no controllers for pod "${pod.metadata?.name}"`);
      scales.set(found.uid, found.scale);
    }
    let expectedCount = 0;
    for (const n of scales.values()) expectedCount += n;
    return { expectedCount, unmanagedPods };
  }

  /** upstream's finders, in order: ReplicationController, Deployment (through its ReplicaSet), ReplicaSet, StatefulSet, any /scale. */
  async #findController(ref: OwnerReference, namespace: string): Promise<ControllerScale | undefined> {
    const get = (informer: Informer<Workload>, name: string, uid: string) => {
      const obj = informer.lister.get(`${namespace}/${name}`);
      return obj && obj.metadata?.uid === uid ? obj : undefined;
    };
    const scaleOf = (obj: Workload): ControllerScale => ({ uid: obj.metadata!.uid!, scale: obj.spec?.replicas ?? 1 });
    if (isKind(ref, 'ReplicationController', [''])) {
      const rc = get(this.#rcs, ref.name, ref.uid);
      if (rc) return scaleOf(rc);
    }
    if (isKind(ref, 'ReplicaSet', ['apps', 'extensions'])) {
      const rs = get(this.#replicaSets, ref.name, ref.uid);
      if (rs) {
        const owner = controllerRefOf(rs);
        if (owner && owner.kind === 'Deployment') {
          if (!isKind(owner, 'Deployment', ['apps', 'extensions'])) return undefined;
          const deployment = get(this.#deployments, owner.name, owner.uid);
          return deployment ? scaleOf(deployment) : undefined;
        }
        return scaleOf(rs);
      }
    }
    if (isKind(ref, 'StatefulSet', ['apps'])) {
      const ss = get(this.#statefulSets, ref.name, ref.uid);
      if (ss) return scaleOf(ss);
    }
    return this.#scaleController(ref, namespace);
  }

  async #scaleController(ref: OwnerReference, namespace: string): Promise<ControllerScale | undefined> {
    const group = groupOf(ref.apiVersion);
    const version = ref.apiVersion.slice(ref.apiVersion.indexOf('/') + 1);
    const resources = await this.#resources(ref.apiVersion);
    const resource = resources.find((r) => r.kind === ref.kind && !r.name.includes('/'));
    if (!resource) throw new DisruptionSyncError(`no matches for kind "${ref.kind}" in version "${ref.apiVersion}"`);
    const gvr = { group, version, resource: resource.name };
    try {
      const { body } = await this.client.transport.request({ method: 'GET', path: resourcePath(gvr, resource.namespaced ? namespace : undefined, ref.name, 'scale') });
      const scale = body as { metadata?: { uid?: string }; spec?: { replicas?: number } };
      if (scale.metadata?.uid !== ref.uid) return undefined;
      return { uid: ref.uid, scale: scale.spec?.replicas ?? 0 };
    } catch (err) {
      if (!isNotFound(err)) throw err;
      // Gone, or no /scale at all: only the latter is an error.
      if (!resources.some((r) => r.name === `${resource.name}/scale` && r.kind === 'Scale')) {
        throw new DisruptionSyncError(`${resource.name}${group ? `.${group}` : ''} does not implement the scale subresource`);
      }
      return undefined;
    }
  }

  async #resources(groupVersion: string): Promise<ApiResource[]> {
    const cached = this.#discovery.get(groupVersion);
    if (cached && this.now() - cached.at < DISCOVERY_TTL_MS) return cached.resources;
    const path = groupVersion.includes('/') ? `/apis/${groupVersion}` : `/api/${groupVersion}`;
    let resources: ApiResource[] = [];
    try {
      const { body } = await this.client.transport.request({ method: 'GET', path });
      resources = ((body as { resources?: ApiResource[] }).resources ?? []).map((r) => ({ name: r.name, kind: r.kind, namespaced: r.namespaced }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.#discovery.set(groupVersion, { at: this.now(), resources });
    return resources;
  }

  /** Entries of status.disruptedPods still pending (neither deleted nor timed out), and when the earliest times out. */
  #buildDisruptedPodMap(pods: PodObject[], pdb: PDBObject, now: number): { disruptedPods: Record<string, string>; recheckAt: number | undefined } {
    const recorded = pdb.status?.disruptedPods ?? {};
    const disruptedPods: Record<string, string> = {};
    let recheckAt: number | undefined;
    for (const pod of pods) {
      if (pod.metadata?.deletionTimestamp) continue;
      const name = pod.metadata?.name ?? '';
      const at = recorded[name];
      if (at === undefined) continue;
      const expectedDeletion = timeOf(at) + DELETION_TIMEOUT_MS;
      if (expectedDeletion < now) {
        this.recorder.event(pod, 'Warning', 'NotDeleted', `Pod was expected by PDB ${pdb.metadata?.namespace}/${pdb.metadata?.namespace} to be deleted but it wasn't`);
        continue;
      }
      if (recheckAt === undefined || expectedDeletion < recheckAt) recheckAt = expectedDeletion;
      disruptedPods[name] = at;
    }
    return { disruptedPods, recheckAt };
  }

  async #updateStatus(pdb: PDBObject, currentHealthy: number, desiredHealthy: number, expectedPods: number, disruptedPods: Record<string, string>): Promise<void> {
    // No disruptions while no pods are expected: a budget whose first pods just appeared stays safe.
    let disruptionsAllowed = currentHealthy - desiredHealthy;
    if (expectedPods <= 0 || disruptionsAllowed <= 0) disruptionsAllowed = 0;
    const s = pdb.status;
    const generation = pdb.metadata?.generation ?? 0;
    if (
      s &&
      s.currentHealthy === currentHealthy &&
      s.desiredHealthy === desiredHealthy &&
      s.expectedPods === expectedPods &&
      s.disruptionsAllowed === disruptionsAllowed &&
      sameDisruptedPods(s.disruptedPods, disruptedPods) &&
      (s.observedGeneration ?? 0) === generation &&
      conditionsAreUpToDate(pdb)
    ) {
      return;
    }
    const status: PodDisruptionBudgetStatus = { currentHealthy, desiredHealthy, expectedPods, disruptionsAllowed, observedGeneration: generation };
    if (Object.keys(disruptedPods).length) status.disruptedPods = disruptedPods;
    if (s?.conditions) status.conditions = s.conditions;
    updateDisruptionAllowedCondition(status, this.now());
    await this.#writeStatus(pdb, status);
  }

  /** When the status cannot be worked out, at least allow no disruptions. */
  async #failSafe(pdb: PDBObject, err: unknown): Promise<void> {
    const status: PodDisruptionBudgetStatus = { ...structuredClone(pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0 }), disruptionsAllowed: 0 };
    const cond: Omit<Condition, 'lastTransitionTime'> = {
      type: DISRUPTION_ALLOWED,
      status: 'False',
      reason: SYNC_FAILED,
      message: err instanceof Error ? err.message : String(err),
    };
    if (status.observedGeneration !== undefined) cond.observedGeneration = status.observedGeneration;
    status.conditions = setStatusCondition(status.conditions ?? [], cond, this.now());
    await this.#writeStatus(pdb, status);
  }

  async #writeStatus(pdb: PDBObject, status: PodDisruptionBudgetStatus): Promise<void> {
    await this.client.updateStatus(PDBS, pdb.metadata?.namespace, { ...pdb, status }, { fieldManager: FIELD_MANAGER });
  }

  /** A DisruptionTarget=True condition on a pod not being deleted goes stale after a while; when to clean it up. */
  #staleDisruptionCondition(pod: PodObject): { has: boolean; cleanAfterMs: number } {
    if (pod.metadata?.deletionTimestamp) return { has: false, cleanAfterMs: 0 };
    const cond = pod.status?.conditions?.find((c) => c.type === DISRUPTION_TARGET);
    const phase = pod.status?.phase;
    if (!cond || cond.status !== 'True' || cond.reason === TERMINATION_BY_KUBELET || phase === 'Succeeded' || phase === 'Failed') return { has: false, cleanAfterMs: 0 };
    return { has: true, cleanAfterMs: Math.max(0, STALE_POD_DISRUPTION_TIMEOUT_MS - (this.now() - timeOf(cond.lastTransitionTime))) };
  }

  async syncStalePodDisruption(key: string): Promise<void> {
    const pod = this.#pods.lister.get(key);
    if (!pod) return;
    const stale = this.#staleDisruptionCondition(pod);
    if (!stale.has) return;
    if (stale.cleanAfterMs > 0) {
      this.#staleQueue.addAfter(key, stale.cleanAfterMs);
      return;
    }
    const conditions = (pod.status?.conditions ?? []).map((c) => (c.type === DISRUPTION_TARGET ? { type: DISRUPTION_TARGET, status: 'False', lastProbeTime: null, lastTransitionTime: metaTime(this.now()) } : c));
    await this.client.updateStatus(PODS, pod.metadata?.namespace, { ...pod, status: { ...pod.status, conditions } }, { fieldManager: FIELD_MANAGER });
    this.logger.debug('reset stale DisruptionTarget condition to False', { pod: key });
  }
}

/** Ready pods, leaving out those being deleted and those an eviction is about to delete. */
function countHealthyPods(pods: PodObject[], disruptedPods: Record<string, string>, now: number): number {
  let healthy = 0;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const at = disruptedPods[pod.metadata?.name ?? ''];
    if (at !== undefined && timeOf(at) + DELETION_TIMEOUT_MS > now) continue;
    if (isPodReady(pod)) healthy++;
  }
  return healthy;
}

function sameDisruptedPods(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b).length && ka.every((k) => timeOf(a![k]) === timeOf(b[k]));
}

