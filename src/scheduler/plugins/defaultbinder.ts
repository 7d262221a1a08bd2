// DefaultBinder: binds through the pods/binding subresource, as kube-scheduler does.
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import type { Client } from '../../client/client.ts';
import { resourcePath } from '../../client/client.ts';
import type { BindPlugin } from '../framework.ts';
import { errorStatus, success } from '../status.ts';

export const DEFAULT_BINDER = 'DefaultBinder';

const PODS = { group: '', version: 'v1', resource: 'pods' };

/** POST pods/NAME/binding; rejects with the API error. */
export async function postBinding(client: Client, pod: Pod, nodeName: string, signal?: AbortSignal): Promise<void> {
  const { name = '', namespace = '', uid } = pod.metadata ?? {};
  const body = {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name, namespace, ...(uid ? { uid } : {}) },
    target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
  };
  await client.transport.request({ method: 'POST', path: resourcePath(PODS, namespace, name, 'binding'), body, ...(signal ? { signal } : {}) });
}

export function newDefaultBinder(client: Client): BindPlugin {
  return {
    name: DEFAULT_BINDER,
    async bind(_state, pod, nodeName, signal) {
      try {
        await postBinding(client, pod, nodeName, signal);
        return success();
      } catch (err) {
        return errorStatus(err);
      }
    },
  };
}
