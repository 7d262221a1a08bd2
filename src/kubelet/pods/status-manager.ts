// Writes pod statuses to the API as kubelet's status manager does: through pods/status, only when something changed,
// guarded by the pod's UID, and finally deletes a pod whose containers and volumes are gone (grace 0, UID precondition).
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.d.ts';
import type { Client, KubeObject } from '../../client/client.ts';
import { isConflict, isInvalid, isNotFound } from '../../client/errors.ts';
import { PODS } from '../../client/resources.ts';

const FIELD_MANAGER = 'kubelet';

/** Top-level status fields kubelet owns: the ones it leaves out are removed. */
const KUBELET_FIELDS = [
  'phase',
  'reason',
  'message',
  'conditions',
  'hostIP',
  'hostIPs',
  'podIP',
  'podIPs',
  'startTime',
  'containerStatuses',
  'initContainerStatuses',
  'qosClass',
  'observedGeneration',
] as const;

/** JSON with sorted keys and without nulls, for comparing what was written with what is there. */
export function canonicalJSON(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJSON).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJSON(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Whether resourceVersion `a` is older than `b` (Skiff's are numbers; anything else is never older). */
function olderThan(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) < BigInt(b);
}

interface Written {
  resourceVersion: string;
  status: PodStatus;
  canonical: string;
}

export class StatusManager {
  readonly #written = new Map<string, Written>();

  constructor(readonly client: Client) {}

  /** The pod's status as kubelet knows it: what it wrote last, unless the API has something newer. */
  currentStatus(pod: Pod): PodStatus {
    const written = this.#written.get(pod.metadata?.uid ?? '');
    if (written && !olderThan(written.resourceVersion, pod.metadata?.resourceVersion)) return written.status;
    return pod.status ?? {};
  }

  /** Writes `status` unless it is what the pod has; returns whether it wrote. NotFound (the pod is gone) is not an error. */
  async setStatus(pod: Pod, status: PodStatus, signal?: AbortSignal): Promise<boolean> {
    const uid = pod.metadata?.uid ?? '';
    const canonical = canonicalJSON(status);
    const written = this.#written.get(uid);
    const current = written && !olderThan(written.resourceVersion, pod.metadata?.resourceVersion) ? written.canonical : canonicalJSON(pod.status ?? {});
    if (canonical === current) return false;
    // The fields other writers own (nominatedNodeName, resourceClaimStatuses …) stay as they are.
    const body: Record<string, unknown> = { ...pod.status };
    for (const field of KUBELET_FIELDS) delete body[field];
    Object.assign(body, status);
    let updated: KubeObject;
    try {
      // The UID test refuses the write when the name now belongs to another pod.
      updated = await this.client.patch(
        PODS,
        pod.metadata?.namespace,
        pod.metadata?.name ?? '',
        'json',
        [
          { op: 'test', path: '/metadata/uid', value: uid },
          { op: 'replace', path: '/status', value: body },
        ],
        { subresource: 'status', fieldManager: FIELD_MANAGER, ...(signal && { signal }) },
      );
    } catch (err) {
      if (isNotFound(err) || (isInvalid(err) && !(await this.#stillOurs(pod, signal)))) return false;
      throw err;
    }
    this.#written.set(uid, { resourceVersion: updated.metadata?.resourceVersion ?? '', status: structuredClone(status), canonical });
    return true;
  }

  /** After a refused write: whether the name still belongs to this pod (a failed UID test refuses with a bare 422). */
  async #stillOurs(pod: Pod, signal: AbortSignal | undefined): Promise<boolean> {
    try {
      const current = await this.client.get(PODS, pod.metadata?.namespace, pod.metadata?.name ?? '', signal ? { signal } : {});
      return current.metadata?.uid === pod.metadata?.uid;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Deletes the pod for good once kubelet has cleaned up after it (the status manager's final step). */
  async deletePod(pod: Pod, signal?: AbortSignal): Promise<void> {
    const uid = pod.metadata?.uid;
    try {
      await this.client.delete(PODS, pod.metadata?.namespace, pod.metadata?.name ?? '', {
        gracePeriodSeconds: 0,
        ...(uid && { preconditions: { uid } }),
        ...(signal && { signal }),
      });
    } catch (err) {
      // Gone already, or the name now belongs to another pod.
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  forget(uid: string): void {
    this.#written.delete(uid);
  }
}
