// Each node's DNS server is an endpoint of kube-dns: an EndpointSlice per node, named kube-dns-<node>, owned by the
// Node (so it goes with it) and kept by the node agent. kube-dns has internalTrafficPolicy Local, so pods ask the DNS
// server of their own node.
import type { Node } from 'kubernetes-types/core/v1.d.ts';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import { KUBE_DNS_SERVICE } from '../adm/addons.ts';
import type { Client, KubeObject } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import { ENDPOINT_SLICES, NODES } from '../client/resources.ts';

export const DNS_ENDPOINT_MANAGER = 'node-agent.skiff.io';

export function dnsEndpointSliceName(nodeName: string): string {
  return `kube-dns-${nodeName}`.slice(0, 253);
}

export function dnsEndpointSlice(node: Pick<Node, 'metadata'>, address: string, port: number): EndpointSlice {
  const nodeName = node.metadata!.name!;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: dnsEndpointSliceName(nodeName),
      namespace: KUBE_DNS_SERVICE.namespace,
      labels: { 'kubernetes.io/service-name': KUBE_DNS_SERVICE.name, 'endpointslice.kubernetes.io/managed-by': DNS_ENDPOINT_MANAGER },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: node.metadata!.uid! }],
    },
    addressType: address.includes(':') ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [address], conditions: { ready: true, serving: true, terminating: false }, nodeName }],
    ports: [
      { name: 'dns', port, protocol: 'UDP' },
      { name: 'dns-tcp', port, protocol: 'TCP' },
    ],
  };
}

/** Creates or replaces this node's kube-dns endpoint (the port changes when 53 was taken and another was picked). */
export async function publishDNSEndpoint(client: Client, nodeName: string, address: string, port: number, signal?: AbortSignal): Promise<void> {
  const node = (await client.get(NODES, undefined, nodeName, signal ? { signal } : {})) as Node;
  const want = dnsEndpointSlice(node, address, port) as unknown as KubeObject;
  const name = want.metadata!.name!;
  const { namespace } = KUBE_DNS_SERVICE;
  try {
    const current = await client.get(ENDPOINT_SLICES, namespace, name);
    await client.update(ENDPOINT_SLICES, namespace, { ...want, metadata: { ...want.metadata, resourceVersion: current.metadata!.resourceVersion! } }, { fieldManager: 'skiff-node-agent' });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await client.create(ENDPOINT_SLICES, namespace, want, { fieldManager: 'skiff-node-agent' });
  }
}

/** Removes this node's kube-dns endpoint when its DNS server stops (best effort: the Node's deletion removes it too). */
export async function withdrawDNSEndpoint(client: Client, nodeName: string): Promise<void> {
  await client.delete(ENDPOINT_SLICES, KUBE_DNS_SERVICE.namespace, dnsEndpointSliceName(nodeName)).catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
}
