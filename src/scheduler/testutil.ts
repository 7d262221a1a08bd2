// Hand-made Node and Pod objects for the scheduler's tests.
import type { Container, Node, Pod, Taint } from 'kubernetes-types/core/v1.d.ts';

export function makeNode(name: string, opts: { cpu?: string; memory?: string; pods?: string; labels?: Record<string, string>; taints?: Taint[]; unschedulable?: boolean; extra?: Record<string, string> } = {}): Node {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...opts.labels } },
    spec: { ...(opts.taints ? { taints: opts.taints } : {}), ...(opts.unschedulable ? { unschedulable: true } : {}) },
    status: { allocatable: { cpu: opts.cpu ?? '4', memory: opts.memory ?? '8Gi', pods: opts.pods ?? '110', 'ephemeral-storage': '100Gi', ...opts.extra } },
  };
}

export function container(requests: Record<string, string> = {}, extra: Partial<Container> = {}): Container {
  return { name: 'c', image: 'nginx', resources: { requests }, ...extra };
}

export function makePod(name: string, requests: Record<string, string> = {}, spec: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return { metadata: { name, namespace: 'default', uid: `uid-${name}` }, spec: { containers: [container(requests)], ...spec } };
}

/** A pod already bound to a node. */
export function boundPod(name: string, nodeName: string, requests: Record<string, string> = {}, spec: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return makePod(name, requests, { nodeName, ...spec });
}
