// The ReplicaSet controller (upstream's pkg/controller/replicaset): keeps spec.replicas active pods matching the
// selector — adopting orphans, releasing pods it no longer selects, creating in slow-start batches, deleting the
// least valuable pods first — and reports status. The same code runs ReplicationControllers (core/v1), as upstream's does.
import type { LabelSelector } from 'kubernetes-types/meta/v1.d.ts';
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.d.ts';
import { matchesLabelSelector } from '../api/labels.ts';
import type { Client, GroupVersionResource, KubeObject } from '../client/client.ts';
import { ApiError, isNotFound } from '../client/errors.ts';
import type { EventRecorder } from '../client/events.ts';
import { objectKey, splitKey, type Informer } from '../client/informer.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import type { Logger } from '../log.ts';
import type { Controller, ControllerContext } from './controller.ts';
import {
  claimObjects, controllerRefOf, FIELD_MANAGER, isNamespaceTerminating, isPodActive, isPodAvailable, isPodReady, isPodTerminating, newControllerRef,
  nextAvailabilityCheckMs, OwnerIndex, podFromTemplate, podReadyCondition, slowStartBatch, TrackingExpectations,
} from './podcontrol.ts';
import { podsToDelete } from './replicaset-ranking.ts';
import { PODS } from '../client/resources.ts';

/** Upstream's BurstReplicas: at most this many creations or deletions per sync. */
export const BURST_REPLICAS = 500;
const WORKERS = 5;

export type PodObject = Pod & KubeObject;

export interface ReplicaSetCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  terminatingReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicaSetCondition[];
}

export interface ReplicaSetObject extends KubeObject {
  spec?: { replicas?: number; minReadySeconds?: number; selector?: LabelSelector; template?: PodTemplateSpec };
  status?: ReplicaSetStatus;
}

/** What differs between ReplicaSets and ReplicationControllers. */
export interface ReplicaSetKind {
  gvr: GroupVersionResource;
  apiVersion: string;
  kind: string;
  /** The event source component. */
  component: string;
  selectorOf(obj: ReplicaSetObject): LabelSelector | undefined;
  /** Whether status carries terminatingReplicas (apps/v1 ReplicaSets only). */
  terminatingReplicas: boolean;
}

export const REPLICA_SET_KIND: ReplicaSetKind = {
  gvr: { group: 'apps', version: 'v1', resource: 'replicasets' },
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  component: 'replicaset-controller',
  selectorOf: (rs) => rs.spec?.selector,
  terminatingReplicas: true,
};

export const REPLICATION_CONTROLLER_KIND: ReplicaSetKind = {
  gvr: { group: '', version: 'v1', resource: 'replicationcontrollers' },
  apiVersion: 'v1',
  kind: 'ReplicationController',
  component: 'replication-controller',
  // An RC's selector is a plain map; the apiserver defaults it to the template's labels.
  selectorOf: (rc) => {
    const sel = rc.spec?.selector as Record<string, string> | undefined;
    return sel && Object.keys(sel).length ? { matchLabels: sel } : undefined;
  },
  terminatingReplicas: false,
};

const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const labelsOf = (obj: KubeObject): Record<string, string> => obj.metadata?.labels ?? {};
const sameLabels = (a: KubeObject, b: KubeObject): boolean => {
  const x = labelsOf(a);
  const y = labelsOf(b);
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => Object.hasOwn(y, k) && x[k] === y[k]);
};
const sameRef = (a: KubeObject, b: KubeObject): boolean => JSON.stringify(controllerRefOf(a) ?? null) === JSON.stringify(controllerRefOf(b) ?? null);

/** A selector that selects something: an empty one selects nothing here (as upstream's listers skip it). */
function selects(sel: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!sel || (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length)) return false;
  return matchesLabelSelector(sel, labels);
}

/** Counts over the active pods a ReplicaSet controls, for its status. */
interface PodCounts {
  fullyLabeled: number;
  ready: number;
  available: number;
}

/** Upstream's calculateStatus: counts over the active pods it controls, and the ReplicaFailure condition. */
export function calculateReplicaSetStatus(rs: ReplicaSetObject, active: readonly Pod[], terminating: readonly Pod[] | undefined, manageErr: unknown, now: number): ReplicaSetStatus {
  const templateLabels = Object.entries(rs.spec?.template?.metadata?.labels ?? {});
  const counts: PodCounts = { fullyLabeled: 0, ready: 0, available: 0 };
  for (const pod of active) {
    const labels = pod.metadata?.labels ?? {};
    if (templateLabels.every(([k, v]) => labels[k] === v)) counts.fullyLabeled++;
    if (isPodReady(pod)) {
      counts.ready++;
      if (isPodAvailable(pod, rs.spec?.minReadySeconds ?? 0, now)) counts.available++;
    }
  }
  return statusFromCounts(rs, active.length, counts, terminating?.length, manageErr, now);
}

function statusFromCounts(rs: ReplicaSetObject, activeCount: number, counts: PodCounts, terminatingCount: number | undefined, manageErr: unknown, now: number): ReplicaSetStatus {
  const { fullyLabeled, ready, available } = counts;
  let conditions = [...(rs.status?.conditions ?? [])];
  const failure = conditions.find((c) => c.type === 'ReplicaFailure');
  if (manageErr && !failure) {
    const diff = activeCount - (rs.spec?.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    const message = manageErr instanceof Error ? manageErr.message : String(manageErr);
    conditions.push({ type: 'ReplicaFailure', status: 'True', lastTransitionTime: rfc3339(now), reason, message });
  } else if (!manageErr && failure) {
    conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
  }
  const status: ReplicaSetStatus = { replicas: activeCount };
  if (fullyLabeled) status.fullyLabeledReplicas = fullyLabeled;
  if (ready) status.readyReplicas = ready;
  if (available) status.availableReplicas = available;
  if (terminatingCount !== undefined) status.terminatingReplicas = terminatingCount;
  if (rs.status?.observedGeneration) status.observedGeneration = rs.status.observedGeneration;
  if (conditions.length) status.conditions = conditions;
  return status;
}

function statusUnchanged(rs: ReplicaSetObject, next: ReplicaSetStatus): boolean {
  const cur = rs.status ?? { replicas: 0 };
  return (
    (cur.replicas ?? 0) === next.replicas &&
    (cur.fullyLabeledReplicas ?? 0) === (next.fullyLabeledReplicas ?? 0) &&
    (cur.readyReplicas ?? 0) === (next.readyReplicas ?? 0) &&
    (cur.availableReplicas ?? 0) === (next.availableReplicas ?? 0) &&
    cur.terminatingReplicas === next.terminatingReplicas &&
    (rs.metadata?.generation ?? 0) === (cur.observedGeneration ?? 0) &&
    JSON.stringify(cur.conditions ?? []) === JSON.stringify(next.conditions ?? [])
  );
}

/**
 * What a sync needs to know of a pod, worked out once per pod object: an informer replaces an object on every change
 * and never changes one, so a sync over a thousand pods reads these instead of the pods' conditions and labels.
 */
interface PodFacts {
  active: boolean;
  terminating: boolean;
  ready: boolean;
  /** When the Ready condition last changed (ms), NaN when unknown. */
  readySince: number;
  /** The selector (as JSON) the pod was last matched against, and whether it matched. */
  selectorKey?: string;
  selected?: boolean;
  /** The template labels (as JSON) the pod was last compared with, and whether it carries them all. */
  templateKey?: string;
  fullyLabeled?: boolean;
}

export class ReplicaSetController implements Controller {
  readonly #facts = new WeakMap<Pod, PodFacts>();
  readonly #queue = new WorkQueue<string>();
  readonly #sets: Informer<ReplicaSetObject>;
  readonly #pods: Informer<PodObject>;
  readonly #podIndex = new OwnerIndex<PodObject>();
  readonly expectations = new TrackingExpectations();
  readonly client: Client;
  readonly recorder: EventRecorder;
  readonly logger: Logger;

  constructor(
    ctx: ControllerContext,
    readonly kind: ReplicaSetKind = REPLICA_SET_KIND,
  ) {
    this.client = ctx.client;
    this.recorder = ctx.recorder(kind.component);
    this.logger = ctx.logger(kind.component);
    this.#sets = ctx.informers.informer<ReplicaSetObject>(kind.gvr);
    this.#pods = ctx.informers.informer<PodObject>(PODS);
    this.#sets.addEventHandler({
      onAdd: (rs) => this.#queue.add(objectKey(rs)),
      onUpdate: (old, cur) => {
        if (old.metadata?.uid !== cur.metadata?.uid) this.expectations.delete(objectKey(old));
        this.#queue.add(objectKey(cur));
      },
      onDelete: (rs) => {
        this.expectations.delete(objectKey(rs));
        this.#queue.add(objectKey(rs));
      },
    });
    this.#pods.addEventHandler({
      onAdd: (pod) => {
        this.#podIndex.set(objectKey(pod), pod);
        this.#addPod(pod);
      },
      onUpdate: (old, cur) => {
        this.#podIndex.set(objectKey(cur), cur);
        this.#updatePod(old, cur);
      },
      onDelete: (pod) => {
        this.#podIndex.remove(objectKey(pod));
        this.#deletePod(pod);
      },
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    await Promise.all([this.#sets.waitForSync(signal), this.#pods.waitForSync(signal)]);
    await runWorkers(this.#queue, WORKERS, (key) => this.sync(key), signal, {
      onError: (key, err) => this.logger.debug(`${this.kind.kind} sync failed`, { key, error: err }),
    });
  }

  /** The owner a controller reference names, if it is one of ours and still the same object. */
  #resolve(namespace: string | undefined, pod: KubeObject): ReplicaSetObject | undefined {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== this.kind.kind) return undefined;
    const rs = this.#sets.lister.get(`${namespace}/${ref.name}`);
    return rs?.metadata?.uid === ref.uid ? rs : undefined;
  }

  #selecting(pod: PodObject): ReplicaSetObject[] {
    const ns = pod.metadata?.namespace;
    return this.#sets.lister.list((rs) => rs.metadata?.namespace === ns && selects(this.kind.selectorOf(rs), labelsOf(pod)));
  }

  #addPod(pod: PodObject): void {
    if (pod.metadata?.deletionTimestamp) return this.#deletePod(pod);
    if (controllerRefOf(pod)) {
      const rs = this.#resolve(pod.metadata?.namespace, pod);
      if (!rs) return;
      const key = objectKey(rs);
      this.expectations.creationObserved(key);
      this.#queue.add(key);
      return;
    }
    for (const rs of this.#selecting(pod)) this.#queue.add(objectKey(rs));
  }

  #updatePod(old: PodObject, cur: PodObject): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    const labelChanged = !sameLabels(old, cur);
    if (cur.metadata?.deletionTimestamp) {
      // A graceful deletion: the replacement should start now, not when the kubelet finishes.
      this.#deletePod(cur);
      if (labelChanged) this.#deletePod(old);
      return;
    }
    const refChanged = !sameRef(old, cur);
    if (refChanged && controllerRefOf(old)) {
      const prev = this.#resolve(old.metadata?.namespace, old);
      if (prev) this.#queue.add(objectKey(prev));
    }
    if (controllerRefOf(cur)) {
      const rs = this.#resolve(cur.metadata?.namespace, cur);
      if (!rs) return;
      this.#queue.add(objectKey(rs));
      const minReady = rs.spec?.minReadySeconds ?? 0;
      // Look again once it has been ready for minReadySeconds (plus a second against clock skew).
      if (!isPodReady(old) && isPodReady(cur) && minReady > 0) this.#queue.addAfter(objectKey(rs), (minReady + 1) * 1000);
      return;
    }
    if (labelChanged || refChanged) for (const rs of this.#selecting(cur)) this.#queue.add(objectKey(rs));
  }

  #deletePod(pod: PodObject): void {
    const rs = this.#resolve(pod.metadata?.namespace, pod);
    if (!rs) return;
    const key = objectKey(rs);
    this.expectations.podDeletionObserved(key, objectKey(pod));
    this.#queue.add(key);
  }

  /** The object as the event recorder and adoption patches need it (list items may lack apiVersion and kind). */
  #typed(rs: ReplicaSetObject): ReplicaSetObject {
    return { ...rs, apiVersion: this.kind.apiVersion, kind: this.kind.kind };
  }

  async sync(key: string): Promise<void> {
    const rs = this.#sets.lister.get(key);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const [namespace] = splitKey(key);
    const needsSync = this.expectations.satisfied(key);
    const selector = this.kind.selectorOf(rs);
    const selectorKey = JSON.stringify(selector ?? null);
    const uid = rs.metadata!.uid!;
    const matches = (obj: KubeObject) => matchesLabelSelector(selector, labelsOf(obj));
    // The active pods it controls and still selects are claimed as they are; the ones it controls but no longer
    // selects (to release) and the namespace's active orphans (to adopt) go through claimObjects.
    const active: PodObject[] = [];
    const toClaim: PodObject[] = [];
    let terminatingCount = 0;
    for (const pod of this.#podIndex.ownedValues(uid)) {
      const facts = this.#factsOf(pod);
      if (facts.selectorKey !== selectorKey) {
        facts.selectorKey = selectorKey;
        facts.selected = matches(pod);
      }
      if (facts.active) (facts.selected ? active : toClaim).push(pod);
      else if (facts.terminating && facts.selected) terminatingCount++;
    }
    for (const pod of this.#podIndex.orphanValues(namespace)) if (this.#factsOf(pod).active) toClaim.push(pod);
    if (toClaim.length) {
      const ownerRef = newControllerRef(rs, this.kind.apiVersion, this.kind.kind);
      active.push(...(await claimObjects(toClaim, { client: this.client, gvr: PODS, owner: rs, ownerRef, matches })));
    }

    let manageErr: unknown;
    if (needsSync && !rs.metadata?.deletionTimestamp) {
      try {
        await this.#manageReplicas(key, active, rs);
      } catch (err) {
        manageErr = err;
      }
    }
    const now = Date.now();
    const status = statusFromCounts(rs, active.length, this.#count(rs, active, now), this.kind.terminatingReplicas ? terminatingCount : undefined, manageErr, now);
    const updated = await this.#updateStatus(rs, status);
    const minReady = updated.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && (updated.status?.readyReplicas ?? 0) !== (updated.status?.availableReplicas ?? 0)) {
      this.#queue.addAfter(key, nextAvailabilityCheckMs(active, minReady, now) ?? minReady * 1000);
    }
    if (manageErr) throw manageErr;
  }

  #factsOf(pod: Pod): PodFacts {
    let facts = this.#facts.get(pod);
    if (!facts) {
      const ready = podReadyCondition(pod);
      facts = {
        active: isPodActive(pod),
        terminating: isPodTerminating(pod),
        ready: ready?.status === 'True',
        readySince: ready?.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : Number.NaN,
      };
      this.#facts.set(pod, facts);
    }
    return facts;
  }

  /** calculateReplicaSetStatus's counts, from the pods' facts. */
  #count(rs: ReplicaSetObject, active: readonly PodObject[], now: number): PodCounts {
    const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
    const templateKey = JSON.stringify(templateLabels);
    const templateEntries = Object.entries(templateLabels);
    const minReadyMs = (rs.spec?.minReadySeconds ?? 0) * 1000;
    const counts: PodCounts = { fullyLabeled: 0, ready: 0, available: 0 };
    for (const pod of active) {
      const facts = this.#factsOf(pod);
      if (facts.templateKey !== templateKey) {
        const labels = labelsOf(pod);
        facts.templateKey = templateKey;
        facts.fullyLabeled = templateEntries.every(([k, v]) => labels[k] === v);
      }
      if (facts.fullyLabeled) counts.fullyLabeled++;
      if (!facts.ready) continue;
      counts.ready++;
      // isPodAvailable, with the Ready time parsed once.
      if (minReadyMs <= 0 || (!Number.isNaN(facts.readySince) && facts.readySince + minReadyMs <= now)) counts.available++;
    }
    return counts;
  }

  async #manageReplicas(key: string, pods: readonly PodObject[], rs: ReplicaSetObject): Promise<void> {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    if (diff < 0) {
      const count = Math.min(-diff, BURST_REPLICAS);
      this.expectations.expectCreations(key, count);
      const { successes, error } = await slowStartBatch(count, 1, async () => {
        try {
          await this.#createPod(rs);
        } catch (err) {
          // Every create fails in a namespace being deleted; that is not worth retrying.
          if (!isNamespaceTerminating(err)) throw err;
        }
      });
      // Pods never attempted (or failed) will not be seen by the informer.
      for (let i = successes; i < count; i++) this.expectations.creationObserved(key);
      if (error) throw error;
    } else if (diff > 0) {
      const count = Math.min(diff, BURST_REPLICAS);
      const victims = podsToDelete(pods, this.#relatedPods(rs), count);
      this.expectations.expectPodDeletions(key, victims.map((p) => objectKey(p as PodObject)));
      const errors: unknown[] = [];
      await Promise.all(
        victims.map(async (pod) => {
          try {
            await this.#deletePodOf(rs, pod);
          } catch (err) {
            this.expectations.podDeletionObserved(key, objectKey(pod as PodObject));
            if (!isNotFound(err)) errors.push(err);
          }
        }),
      );
      if (errors.length) throw errors[0];
    }
  }

  /** Pods of every ReplicaSet with the same controller as `rs` (for the doubled-up ranking). */
  #relatedPods(rs: ReplicaSetObject): PodObject[] {
    const owner = controllerRefOf(rs)?.uid;
    if (!owner) return [];
    const seen = new Set<string>();
    const out: PodObject[] = [];
    for (const related of this.#sets.lister.list((r) => r.metadata?.namespace === rs.metadata?.namespace && controllerRefOf(r)?.uid === owner)) {
      const sel = this.kind.selectorOf(related);
      for (const pod of this.#podIndex.owned(related.metadata!.uid!)) {
        const uid = pod.metadata?.uid ?? '';
        if (seen.has(uid) || !matchesLabelSelector(sel, labelsOf(pod))) continue;
        seen.add(uid);
        out.push(pod);
      }
    }
    return out;
  }

  async #createPod(rs: ReplicaSetObject): Promise<void> {
    const template = rs.spec?.template;
    const name = rs.metadata!.name!;
    const namespace = rs.metadata!.namespace!;
    if (!template || !Object.keys(template.metadata?.labels ?? {}).length) throw new PodCreateError('unable to create pods, no labels');
    // A generated name is the owner's name and a dash, unless that would be too long for a pod name.
    const prefix = `${name}-`.length <= 253 - 5 ? `${name}-` : name;
    const pod = podFromTemplate(template, namespace, newControllerRef(rs, this.kind.apiVersion, this.kind.kind), { generateName: prefix });
    let created: Pod;
    try {
      created = await this.client.create(PODS, namespace, pod as PodObject, { fieldManager: FIELD_MANAGER });
    } catch (err) {
      if (!isNamespaceTerminating(err)) this.recorder.event(this.#typed(rs), 'Warning', 'FailedCreate', `Error creating: ${errorText(err)}`);
      throw err;
    }
    this.recorder.event(this.#typed(rs), 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name}`);
  }

  async #deletePodOf(rs: ReplicaSetObject, pod: Pod): Promise<void> {
    const name = pod.metadata!.name!;
    try {
      await this.client.delete(PODS, pod.metadata!.namespace, name);
    } catch (err) {
      if (isNotFound(err)) throw err;
      this.recorder.event(this.#typed(rs), 'Warning', 'FailedDelete', `Error deleting: ${errorText(err)}`);
      throw new PodDeleteError(`unable to delete pods: ${errorText(err)}`, { cause: err });
    }
    this.recorder.event(this.#typed(rs), 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
  }

  /** Writes status unless nothing changed; one fresh read and retry on failure, as upstream. */
  async #updateStatus(rs: ReplicaSetObject, status: ReplicaSetStatus): Promise<ReplicaSetObject> {
    if (statusUnchanged(rs, status)) return rs;
    let current = rs;
    for (let attempt = 0; ; attempt++) {
      const next: ReplicaSetStatus = { ...status, observedGeneration: current.metadata?.generation ?? 0 };
      try {
        return await this.client.updateStatus<ReplicaSetObject>(this.kind.gvr, current.metadata!.namespace, { ...this.#typed(current), status: next }, { fieldManager: FIELD_MANAGER });
      } catch (err) {
        if (attempt >= 1) throw err;
        current = await this.client.get<ReplicaSetObject>(this.kind.gvr, rs.metadata!.namespace, rs.metadata!.name!);
        if (current.metadata?.uid !== rs.metadata?.uid) throw err;
      }
    }
  }
}

/** The ReplicationController manager: the ReplicaSet controller over core/v1 ReplicationControllers. */
export class ReplicationManager extends ReplicaSetController {
  constructor(ctx: ControllerContext) {
    super(ctx, REPLICATION_CONTROLLER_KIND);
  }
}

export class PodCreateError extends Error {
  override name = 'PodCreateError';
}
export class PodDeleteError extends Error {
  override name = 'PodDeleteError';
}

const errorText = (err: unknown): string => (err instanceof ApiError || err instanceof Error ? err.message : String(err));
