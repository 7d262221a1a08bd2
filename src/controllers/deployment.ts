// The Deployment controller (upstream's pkg/controller/deployment): owns ReplicaSets by selector, one per pod template
// (named by the template's hash), and moves pods from the old ones to the new one by the Deployment's strategy.
// The steps live in deployment-sync, -rolling, -recreate, -rollback and -progress; this file is informers and dispatch.
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { matchesLabelSelector } from '../api/labels.ts';
import type { Client, KubeObject } from '../client/client.ts';
import type { EventRecorder } from '../client/events.ts';
import { objectKey, splitKey, type Informer } from '../client/informer.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import type { Logger } from '../log.ts';
import type { Controller, ControllerContext } from './controller.ts';
import { rolloutRecreate, type PodMap } from './deployment-recreate.ts';
import { rollback } from './deployment-rollback.ts';
import { rolloutRolling } from './deployment-rolling.ts';
import {
  checkPausedConditions, DEPLOYMENTS, isScalingEvent, REPLICASETS, sync, syncStatusOnly, typedDeployment, updateDeploymentStatus, type DeploymentContext,
} from './deployment-sync.ts';
import { rollbackToOf, type DeploymentObject } from './deployment-util.ts';
import { claimObjects, controllerRefOf, newControllerRef, OwnerIndex } from './podcontrol.ts';
import type { ReplicaSetObject } from './replicaset.ts';
import { PODS } from '../client/resources.ts';

/** Upstream gives up on a Deployment after this many failed syncs in a row (until its next change). */
const MAX_RETRIES = 15;
const WORKERS = 5;

type PodObject = Pod & KubeObject;

const labelsOf = (obj: KubeObject): Record<string, string> => obj.metadata?.labels ?? {};
const nonEmpty = (d: DeploymentObject): boolean => !!d.spec?.selector && (Object.keys(d.spec.selector.matchLabels ?? {}).length > 0 || (d.spec.selector.matchExpressions ?? []).length > 0);
const sameJSON = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export class DeploymentController implements Controller {
  readonly #queue = new WorkQueue<string>();
  readonly #deployments: Informer<DeploymentObject>;
  readonly #sets: Informer<ReplicaSetObject>;
  readonly #pods: Informer<PodObject>;
  readonly #podIndex = new OwnerIndex<PodObject>();
  readonly client: Client;
  readonly recorder: EventRecorder;
  readonly logger: Logger;
  readonly #dc: DeploymentContext;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.recorder = ctx.recorder('deployment-controller');
    this.logger = ctx.logger('deployment-controller');
    this.#deployments = ctx.informers.informer<DeploymentObject>(DEPLOYMENTS);
    this.#sets = ctx.informers.informer<ReplicaSetObject>(REPLICASETS);
    this.#pods = ctx.informers.informer<PodObject>(PODS);
    this.#dc = {
      client: this.client,
      recorder: this.recorder,
      logger: this.logger,
      now: () => Date.now(),
      replicaSet: (namespace, name) => this.#sets.lister.get(`${namespace}/${name}`),
      enqueueAfter: (d, ms) => this.#queue.addAfter(objectKey(d), ms),
      enqueueRateLimited: (d) => this.#queue.addRateLimited(objectKey(d)),
    };
    const enqueue = (d: DeploymentObject) => this.#queue.add(objectKey(d));
    this.#deployments.addEventHandler({ onAdd: enqueue, onUpdate: (_old, d) => enqueue(d), onDelete: enqueue });
    this.#sets.addEventHandler({ onAdd: (rs) => this.#addReplicaSet(rs), onUpdate: (old, cur) => this.#updateReplicaSet(old, cur), onDelete: (rs) => this.#deleteReplicaSet(rs) });
    this.#pods.addEventHandler({
      onAdd: (pod) => this.#podIndex.set(objectKey(pod), pod),
      onUpdate: (_old, pod) => this.#podIndex.set(objectKey(pod), pod),
      onDelete: (pod) => {
        this.#podIndex.remove(objectKey(pod));
        this.#deletePod(pod);
      },
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    await Promise.all([this.#deployments.waitForSync(signal), this.#sets.waitForSync(signal), this.#pods.waitForSync(signal)]);
    await runWorkers(this.#queue, WORKERS, (key) => this.sync(key), signal, {
      maxRetries: MAX_RETRIES,
      onError: (key, err) => this.logger.debug('deployment sync failed', { key, error: err }),
    });
  }

  #resolve(namespace: string | undefined, obj: KubeObject): DeploymentObject | undefined {
    const ref = controllerRefOf(obj);
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.#deployments.lister.get(`${namespace}/${ref.name}`);
    return d?.metadata?.uid === ref.uid ? d : undefined;
  }

  /** Deployments that could adopt an orphaned ReplicaSet. */
  #selecting(rs: ReplicaSetObject): DeploymentObject[] {
    const ns = rs.metadata?.namespace;
    return this.#deployments.lister.list((d) => d.metadata?.namespace === ns && nonEmpty(d) && matchesLabelSelector(d.spec?.selector, labelsOf(rs)));
  }

  #addReplicaSet(rs: ReplicaSetObject): void {
    if (rs.metadata?.['deletionTimestamp']) return this.#deleteReplicaSet(rs);
    if (controllerRefOf(rs)) {
      const d = this.#resolve(rs.metadata?.namespace, rs);
      if (d) this.#queue.add(objectKey(d));
      return;
    }
    for (const d of this.#selecting(rs)) this.#queue.add(objectKey(d));
  }

  #updateReplicaSet(old: ReplicaSetObject, cur: ReplicaSetObject): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    const refChanged = !sameJSON(controllerRefOf(old), controllerRefOf(cur));
    if (refChanged && controllerRefOf(old)) {
      const d = this.#resolve(old.metadata?.namespace, old);
      if (d) this.#queue.add(objectKey(d));
    }
    if (controllerRefOf(cur)) {
      const d = this.#resolve(cur.metadata?.namespace, cur);
      if (d) this.#queue.add(objectKey(d));
      return;
    }
    if (refChanged || !sameJSON(labelsOf(old), labelsOf(cur))) for (const d of this.#selecting(cur)) this.#queue.add(objectKey(d));
  }

  #deleteReplicaSet(rs: ReplicaSetObject): void {
    const d = this.#resolve(rs.metadata?.namespace, rs);
    if (d) this.#queue.add(objectKey(d));
  }

  /** A Recreate Deployment waits for its old pods to be gone: the last one going wakes it. */
  #deletePod(pod: PodObject): void {
    const ref = controllerRefOf(pod);
    if (ref?.kind !== 'ReplicaSet') return;
    const rs = this.#sets.lister.get(`${pod.metadata?.namespace}/${ref.name}`);
    if (!rs || rs.metadata?.uid !== ref.uid) return;
    const d = this.#resolve(rs.metadata?.namespace, rs);
    if (d?.spec?.strategy?.type !== 'Recreate') return;
    const owned = this.#sets.lister.list((r) => r.metadata?.namespace === d.metadata?.namespace && controllerRefOf(r)?.uid === d.metadata?.uid);
    let pods = 0;
    for (const list of this.#podMap(d, owned).values()) pods += list.length;
    if (pods === 0) this.#queue.add(objectKey(d));
  }

  /** The Deployment's ReplicaSets: those it controls and still selects, orphans it selects adopted, the rest released. */
  async #replicaSetsFor(d: DeploymentObject): Promise<ReplicaSetObject[]> {
    const ns = d.metadata?.namespace;
    const candidates = this.#sets.lister.list((rs) => rs.metadata?.namespace === ns);
    return claimObjects(candidates, {
      client: this.client,
      gvr: REPLICASETS,
      owner: d,
      ownerRef: newControllerRef(d, 'apps/v1', 'Deployment'),
      matches: (rs) => matchesLabelSelector(d.spec?.selector, labelsOf(rs)),
    });
  }

  #podMap(d: DeploymentObject, rsList: readonly ReplicaSetObject[]): PodMap {
    const map: PodMap = new Map();
    for (const rs of rsList) {
      const uid = rs.metadata!.uid!;
      map.set(uid, this.#podIndex.owned(uid).filter((p) => matchesLabelSelector(d.spec?.selector, labelsOf(p))));
    }
    return map;
  }

  async sync(key: string): Promise<void> {
    const cached = this.#deployments.lister.get(key);
    if (!cached) return;
    const d = JSON.parse(JSON.stringify(cached)) as DeploymentObject;
    const [namespace] = splitKey(key);
    d.metadata!.namespace ??= namespace;
    if (!nonEmpty(d)) {
      this.recorder.event(typedDeployment(d), 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) {
        d.status = { ...(d.status ?? {}), observedGeneration: d.metadata?.generation ?? 0 };
        await updateDeploymentStatus(this.#dc, d);
      }
      return;
    }
    const rsList = await this.#replicaSetsFor(d);
    if (d.metadata?.['deletionTimestamp']) return syncStatusOnly(this.#dc, d, rsList);
    await checkPausedConditions(this.#dc, d);
    if (d.spec?.paused) return sync(this.#dc, d, rsList);
    // Not re-entrant: the rollback annotation is cleared before anything else happens.
    if (rollbackToOf(d) !== undefined) return rollback(this.#dc, d, rsList);
    if (await isScalingEvent(this.#dc, d, rsList)) return sync(this.#dc, d, rsList);
    const strategy = d.spec?.strategy?.type ?? 'RollingUpdate';
    if (strategy === 'Recreate') return rolloutRecreate(this.#dc, d, rsList, this.#podMap(d, rsList));
    if (strategy === 'RollingUpdate') return rolloutRolling(this.#dc, d, rsList);
    throw new UnknownStrategyError(`unexpected deployment strategy type: ${strategy}`);
  }
}

export class UnknownStrategyError extends Error {
  override name = 'UnknownStrategyError';
}
