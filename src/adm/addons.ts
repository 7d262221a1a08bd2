// The cluster add-ons a fresh control plane installs, as kubeadm applies CoreDNS's Service after init. Skiff's DNS is
// not a Deployment: every node agent answers on its own address and publishes itself as an endpoint of kube-dns (see
// src/cli/node-services.ts), so the Service has no selector and keeps DNS traffic on the pod's own node.
import type { Service } from 'kubernetes-types/core/v1.d.ts';
import type { Client, KubeObject } from '../client/client.ts';
import { isAlreadyExists } from '../client/errors.ts';
import { SERVICES } from '../client/resources.ts';

export const KUBE_DNS_SERVICE = { namespace: 'kube-system', name: 'kube-dns' } as const;

/** kube-dns at the cluster DNS address: ports 53/UDP "dns" and 53/TCP "dns-tcp", as CoreDNS's Service has them. */
export function kubeDNSService(clusterIP: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      ...KUBE_DNS_SERVICE,
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'SkiffDNS' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP,
      clusterIPs: [clusterIP],
      internalTrafficPolicy: 'Local',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      ],
    },
  };
}

/** Creates kube-dns unless it exists (a Service someone changed is theirs to keep). Returns whether it was created. */
export async function ensureKubeDNSService(client: Client, clusterIP: string): Promise<boolean> {
  try {
    await client.create(SERVICES, KUBE_DNS_SERVICE.namespace, kubeDNSService(clusterIP) as KubeObject, { fieldManager: 'skiff' });
    return true;
  } catch (err) {
    if (isAlreadyExists(err)) return false;
    throw err;
  }
}
