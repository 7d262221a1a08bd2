// A pod's live sandbox on this node and its IPs, found through the CRI labels the pod workers put on it.
import type { ContainerRuntime } from '../runtime.ts';
import { CRI_LABELS } from '../seams.ts';
import { httpErrors } from './errors.ts';

export interface PodSandboxRef {
  id: string;
  uid: string;
  podIPs: string[];
}

export async function findPodSandbox(runtime: ContainerRuntime, namespace: string, pod: string): Promise<PodSandboxRef> {
  const ready = await runtime.listPodSandbox({ state: 'SANDBOX_READY', labelSelector: { [CRI_LABELS.podNamespace]: namespace, [CRI_LABELS.podName]: pod } });
  const newest = ready.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))[0];
  if (!newest) throw httpErrors.notFound('pod does not exist');
  const status = await runtime.podSandboxStatus(newest.id);
  const podIPs = status.network?.ip ? [status.network.ip, ...status.network.additionalIps] : [];
  return { id: newest.id, uid: newest.metadata.uid, podIPs };
}
