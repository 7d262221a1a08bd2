// Test fixtures for the endpoints, EndpointSlice and disruption tests (and the eviction API's): with no scheduler or
// node agent running, pods are created already bound to a Node and given their status through /status by hand.
import type { Container, Pod } from 'kubernetes-types/core/v1.d.ts';
import type { Client, KubeObject } from '../client/client.ts';
import { gvr } from '../../test/support/cluster.ts';

export type TestPod = Pod & KubeObject;

export interface TestPodOptions {
  labels?: Record<string, string>;
  node?: string;
  ports?: Container['ports'];
  ownerReferences?: Array<Record<string, unknown>>;
  hostname?: string;
  subdomain?: string;
  terminationGracePeriodSeconds?: number;
}

export interface TestPodStatus {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  ready?: boolean;
  ip?: string;
  /** When the Ready condition last changed (default now). */
  readySince?: string;
}

export async function createNamespace(client: Client, name: string): Promise<void> {
  await client.create(gvr.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

export async function createNode(client: Client, name: string, labels: Record<string, string> = {}): Promise<KubeObject> {
  return client.create(gvr.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } } });
}

const stamp = (ms = Date.now()) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** A pod bound to `node` (default node-1), optionally with a status written at once. */
export async function createPod(client: Client, namespace: string, name: string, options: TestPodOptions = {}, status?: TestPodStatus): Promise<TestPod> {
  const pod: TestPod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: options.labels ?? { app: 'web' }, ...(options.ownerReferences ? { ownerReferences: options.ownerReferences as never } : {}) },
    spec: {
      nodeName: options.node ?? 'node-1',
      containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', ...(options.ports ? { ports: options.ports } : {}) }],
      ...(options.hostname ? { hostname: options.hostname } : {}),
      ...(options.subdomain ? { subdomain: options.subdomain } : {}),
      ...(options.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: options.terminationGracePeriodSeconds } : {}),
    },
  };
  const created = await client.create(gvr.pods, namespace, pod);
  return status ? setPodStatus(client, created, status) : created;
}

/** Writes phase, the Ready condition and the pod IP through the status subresource. */
export async function setPodStatus(client: Client, pod: TestPod, s: TestPodStatus): Promise<TestPod> {
  const current = await client.get<TestPod>(gvr.pods, pod.metadata!.namespace, pod.metadata!.name!);
  const ready = s.ready ?? true;
  const status: Pod['status'] = {
    ...current.status,
    phase: s.phase ?? 'Running',
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: stamp() },
      { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: s.readySince ?? stamp() },
    ],
  };
  if (s.ip) {
    status.podIP = s.ip;
    status.podIPs = [{ ip: s.ip }];
  }
  return client.updateStatus(gvr.pods, current.metadata!.namespace, { ...current, status });
}
