// The taint eviction controller (upstream 'taint-eviction-controller', once the node lifecycle controller's taint
// manager): a pod on a node with a NoExecute taint it does not tolerate is deleted at once; one that tolerates it for
// tolerationSeconds is deleted when they are up, unless the taint goes first. Each deletion is announced with a
// TaintManagerEviction event and a DisruptionTarget condition on the pod.
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.d.ts';
import type { Client, KubeObject } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import type { EventRecorder } from '../client/events.ts';
import { objectKey, splitKey, type Informer } from '../client/informer.ts';
import { abortableSleep } from '../client/sleep.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import type { Logger } from '../log.ts';
import type { Controller, ControllerContext } from './controller.ts';
import { matchingTolerations, metaTime, minTolerationMs, NODES, PODS } from './nodelifecycle-util.ts';

const DELETE_RETRIES = 5;

interface Work {
  createdAt: number;
  timer?: NodeJS.Timeout;
  /** Deleted already: kept so that later updates of the terminating pod do not delete it again. */
  done?: boolean;
}

const noExecute = (taints: readonly Taint[] | undefined) => (taints ?? []).filter((t) => t.effect === 'NoExecute');
const sameTaints = (a: readonly Taint[], b: readonly Taint[]) => JSON.stringify(a) === JSON.stringify(b);
const sameTolerations = (a: readonly Toleration[] | undefined, b: readonly Toleration[] | undefined) => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

export class TaintEvictionController implements Controller {
  readonly client: Client;
  readonly logger: Logger;
  readonly #recorder: EventRecorder;
  readonly #nodes: Informer;
  readonly #pods: Informer;
  readonly #tainted = new Map<string, Taint[]>();
  readonly #podsByNode = new Map<string, Set<string>>();
  readonly #work = new Map<string, Work>();
  readonly #nodeQueue = new WorkQueue<string>();
  readonly #podQueue = new WorkQueue<string>();
  #signal: AbortSignal | undefined;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.logger = ctx.logger('taint-eviction-controller');
    this.#recorder = ctx.recorder('taint-eviction-controller');
    this.#nodes = ctx.informers.informer(NODES);
    this.#pods = ctx.informers.informer(PODS);
    this.#nodes.addEventHandler({
      onAdd: (n) => this.#nodeQueue.add(n.metadata!.name!),
      onUpdate: (o, n) => {
        if (!sameTaints(noExecute((o as Node).spec?.taints), noExecute((n as Node).spec?.taints))) this.#nodeQueue.add(n.metadata!.name!);
      },
      onDelete: (n) => this.#nodeQueue.add(n.metadata!.name!),
    });
    this.#pods.addEventHandler({
      onAdd: (p) => this.#podChanged(undefined, p as Pod),
      onUpdate: (o, p) => this.#podChanged(o as Pod, p as Pod),
      onDelete: (p) => this.#podChanged(p as Pod, undefined),
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    await Promise.all([this.#nodes.waitForSync(signal), this.#pods.waitForSync(signal)]);
    const stop = () => {
      for (const w of this.#work.values()) clearTimeout(w.timer);
    };
    signal.addEventListener('abort', stop, { once: true });
    const onError = (key: string, err: unknown) => this.logger.warn('taint eviction pass failed', { key, error: err });
    try {
      await Promise.all([
        runWorkers(this.#nodeQueue, 4, async (name) => this.#handleNode(name), signal, { onError, maxRetries: 5 }),
        runWorkers(this.#podQueue, 4, async (key) => this.#handlePod(key), signal, { onError, maxRetries: 5 }),
      ]);
    } finally {
      signal.removeEventListener('abort', stop);
      stop();
    }
  }

  #podChanged(old: Pod | undefined, pod: Pod | undefined): void {
    const any = (pod ?? old)!;
    const key = objectKey(any as KubeObject);
    const oldNode = old?.spec?.nodeName;
    const newNode = pod?.spec?.nodeName;
    if (oldNode && oldNode !== newNode) this.#podsByNode.get(oldNode)?.delete(key);
    if (newNode && pod) {
      let set = this.#podsByNode.get(newNode);
      if (!set) this.#podsByNode.set(newNode, (set = new Set()));
      set.add(key);
    }
    if (old && pod && oldNode === newNode && sameTolerations(old.spec?.tolerations, pod.spec?.tolerations)) return;
    this.#podQueue.add(key);
  }

  #handleNode(name: string): void {
    const node = this.#nodes.lister.get(name) as Node | undefined;
    if (!node) {
      this.#tainted.delete(name);
      return;
    }
    const taints = noExecute(node.spec?.taints);
    if (taints.length) this.#tainted.set(name, taints);
    else this.#tainted.delete(name);
    const keys = [...(this.#podsByNode.get(name) ?? [])];
    const now = Date.now();
    for (const key of keys) {
      const pod = this.#pods.lister.get(key) as Pod | undefined;
      if (pod?.spec?.nodeName !== name) continue;
      if (!taints.length) this.#cancelWork(key);
      else this.#processPodOnNode(key, pod.spec?.tolerations ?? [], taints, now);
    }
  }

  #handlePod(key: string): void {
    const pod = this.#pods.lister.get(key) as Pod | undefined;
    if (!pod) {
      this.#cancelWork(key);
      this.#work.delete(key);
      return;
    }
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const taints = this.#tainted.get(nodeName);
    if (!taints) return;
    this.#processPodOnNode(key, pod.spec?.tolerations ?? [], taints, Date.now());
  }

  #processPodOnNode(key: string, tolerations: readonly Toleration[], taints: readonly Taint[], now: number): void {
    if (!taints.length) return this.#cancelWork(key);
    const { all, used } = matchingTolerations(taints, tolerations);
    if (!all) {
      this.#cancelWork(key);
      return this.#addWork(key, now, now);
    }
    const wait = minTolerationMs(used);
    if (wait < 0) return this.#cancelWork(key);
    // An eviction already scheduled counts from when it was scheduled, so it is never later than a new one would be.
    if (this.#work.has(key)) return;
    this.#addWork(key, now, now + wait);
  }

  #addWork(key: string, createdAt: number, fireAt: number): void {
    if (this.#work.has(key) || this.#signal?.aborted) return;
    const work: Work = { createdAt };
    work.timer = setTimeout(() => void this.#evict(key, work), Math.max(0, fireAt - Date.now()));
    this.#work.set(key, work);
  }

  /** Cancels a pending eviction, saying so with an event. */
  #cancelWork(key: string): void {
    const work = this.#work.get(key);
    if (!work || work.done) return;
    clearTimeout(work.timer);
    this.#work.delete(key);
    const [namespace, name] = splitKey(key);
    this.#recorder.event(podRef(namespace, name), 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
  }

  async #evict(key: string, work: Work): Promise<void> {
    if (this.#work.get(key) !== work) return;
    delete work.timer;
    work.done = true;
    const [namespace, name] = splitKey(key);
    this.logger.info('Deleting pod', { controller: 'taint-eviction-controller', pod: key });
    this.#recorder.event(podRef(namespace, name), 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    let lastError: unknown;
    for (let attempt = 0; attempt < DELETE_RETRIES && !this.#signal?.aborted; attempt++) {
      try {
        await this.#addConditionAndDelete(namespace, name);
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        lastError = err;
        await abortableSleep(10);
      }
    }
    // Failed: forget it, so that the next change of the pod or node tries again.
    if (this.#work.get(key) === work) this.#work.delete(key);
    if (lastError) this.logger.warn('could not delete pod', { pod: key, error: lastError });
  }

  async #addConditionAndDelete(namespace: string, name: string): Promise<void> {
    const pod = (await this.client.get(PODS, namespace, name)) as Pod;
    const current = pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
    const reason = 'DeletionByTaintManager';
    const message = 'Taint manager: deleting due to NoExecute taint';
    if (current?.status !== 'True' || current.reason !== reason || current.message !== message) {
      const condition = { type: 'DisruptionTarget', status: 'True', reason, message, lastProbeTime: null, lastTransitionTime: current?.status === 'True' ? current.lastTransitionTime : metaTime() };
      await this.client.patch(PODS, namespace, name, 'strategic', { metadata: { uid: pod.metadata?.uid }, status: { conditions: [condition] } }, { subresource: 'status', fieldManager: 'kube-controller-manager' });
    }
    await this.client.delete(PODS, namespace, name);
  }
}

function podRef(namespace: string, name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace } };
}
