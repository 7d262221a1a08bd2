// A pod's priority. The Priority admission plugin fills spec.priority from spec.priorityClassName; until every pod
// carries it, the scheduler looks the class up itself (and the global default for pods naming none).
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.d.ts';

const SYSTEM_CLUSTER_CRITICAL = 2_000_000_000;
const BUILTIN: Readonly<Record<string, number>> = {
  'system-cluster-critical': SYSTEM_CLUSTER_CRITICAL,
  'system-node-critical': SYSTEM_CLUSTER_CRITICAL + 1000,
};

export interface PriorityClasses {
  get(name: string): PriorityClass | undefined;
  list(): readonly PriorityClass[];
}

/** The priority admission would have given: the named class's value, else the smallest global default, else 0. */
export function resolvePriority(pod: Pod, classes: PriorityClasses): number {
  const name = pod.spec?.priorityClassName;
  if (name) return classes.get(name)?.value ?? BUILTIN[name] ?? 0;
  let value: number | undefined;
  for (const pc of classes.list()) if (pc.globalDefault && (value === undefined || pc.value < value)) value = pc.value;
  return value ?? 0;
}

/** The pod itself when spec.priority is set, else a shallow copy carrying the resolved priority. */
export function withPriority(pod: Pod, classes: PriorityClasses): Pod {
  if (typeof pod.spec?.priority === 'number' || !pod.spec) return pod;
  const priority = resolvePriority(pod, classes);
  return priority === 0 && !pod.spec.priorityClassName ? pod : { ...pod, spec: { ...pod.spec, priority } };
}
