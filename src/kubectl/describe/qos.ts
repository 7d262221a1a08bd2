// kubectl's QoS class of a pod: status.qosClass when the server set it, else computed from cpu and memory requests
// and limits (of the pod when it sets pod-level resources, else of all its containers).
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import { addQuantities, compareQuantities, parseQuantity, type Quantity, quantityFromInt } from '../../apiserver/quantity.ts';

type ResourceList = Record<string, string> | undefined;
interface Requirements {
  requests?: ResourceList;
  limits?: ResourceList;
}

const QOS_RESOURCES = new Set(['cpu', 'memory']);
const ZERO = quantityFromInt(0);

function positive(list: ResourceList): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  for (const [name, value] of Object.entries(list ?? {})) {
    if (!QOS_RESOURCES.has(name)) continue;
    const q = parseQuantity(String(value));
    if (compareQuantities(q, ZERO) > 0) out.set(name, q);
  }
  return out;
}

function addAll(total: Map<string, Quantity>, list: Map<string, Quantity>): void {
  for (const [k, v] of list) total.set(k, total.has(k) ? addQuantities(v, total.get(k)!) : v);
}

export function podQOS(pod: Pod): string {
  if (pod.status?.qosClass) return pod.status.qosClass;
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const spec = pod.spec as (Pod['spec'] & { resources?: Requirements }) | undefined;
  const sources: Requirements[] = spec?.resources ? [spec.resources] : [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].map((c) => c.resources ?? {});
  for (const r of sources) {
    addAll(requests, positive(r.requests));
    const lim = positive(r.limits);
    addAll(limits, lim);
    if (!lim.has('cpu') || !lim.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (!lim || compareQuantities(lim, req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
