// A test double of the node agent for controller tests: every pod it sees (and `ready` accepts) is reported Running
// and Ready through the pods/status subresource. No node, no containers; pods need no spec.nodeName.
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import type { Client, GroupVersionResource, KubeObject } from '../../src/client/client.ts';
import { isNotFound } from '../../src/client/errors.ts';
import { Informer, objectKey, splitKey } from '../../src/client/informer.ts';
import { runWorkers, WorkQueue } from '../../src/client/workqueue.ts';

const PODS: GroupVersionResource = { group: '', version: 'v1', resource: 'pods' };
type PodObject = Pod & KubeObject;

export interface FakeKubeletOptions {
  /** Only pods of this namespace (default all). */
  namespace?: string;
  /** Which pods become ready (default all); the others are left Pending. */
  ready?: (pod: Pod) => boolean;
}

export interface FakeKubelet {
  stop(): Promise<void>;
}

const isReady = (pod: Pod) => pod.status?.phase === 'Running' && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

export function startFakeKubelet(client: Client, options: FakeKubeletOptions = {}): FakeKubelet {
  const abort = new AbortController();
  const informer = new Informer<PodObject>(client, PODS, options.namespace ? { namespace: options.namespace } : {});
  const queue = new WorkQueue<string>();
  const enqueue = (pod: PodObject) => {
    if (!pod.metadata?.deletionTimestamp && !isReady(pod)) queue.add(objectKey(pod));
  };
  informer.addEventHandler({ onAdd: enqueue, onUpdate: (_old, pod) => enqueue(pod) });

  const markReady = async (key: string) => {
    const pod = informer.lister.get(key);
    if (!pod || pod.metadata?.deletionTimestamp || isReady(pod) || (options.ready && !options.ready(pod))) return;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const condition = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: now });
    const status = {
      phase: 'Running',
      startTime: now,
      conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(condition),
      containerStatuses: (pod.spec?.containers ?? []).map((c) => ({ name: c.name, image: c.image ?? '', imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } })),
    };
    const [namespace, name] = splitKey(key);
    try {
      await client.patch(PODS, namespace, name, 'merge', { status }, { subresource: 'status' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  };

  const running = Promise.all([informer.start(abort.signal), runWorkers(queue, 4, markReady, abort.signal)]);
  return {
    async stop() {
      abort.abort();
      await running.catch(() => {});
    },
  };
}
