// Priority: a new pod's spec.priority and spec.preemptionPolicy come from its PriorityClass (or the global default
// class, else 0 and PreemptLowerPriority); only one PriorityClass may be the global default.
import type { KObject } from '../../api/types.ts';
import type { AdmissionObjects } from './objects.ts';
import { forbidden, isResource, type AdmissionPlugin, type Attributes, type Operation } from './types.ts';

const PRIORITY_CLASSES = { group: 'scheduling.k8s.io', resource: 'priorityclasses' };
/** Priority of pods when no class is named and none is the global default. */
export const DEFAULT_PRIORITY = 0;

/** The global default class; if a race made several, the one with the lowest value (as upstream). */
export function defaultPriorityClass(classes: KObject[]): KObject | undefined {
  let best: KObject | undefined;
  for (const pc of classes) {
    if (pc['globalDefault'] !== true) continue;
    if (!best || Number(best['value'] ?? 0) > Number(pc['value'] ?? 0)) best = pc;
  }
  return best;
}

export class Priority implements AdmissionPlugin {
  readonly name = 'Priority';

  constructor(readonly objects: AdmissionObjects) {}

  handles(operation: Operation): boolean {
    return operation === 'CREATE' || operation === 'UPDATE' || operation === 'DELETE';
  }

  async admit(attrs: Attributes): Promise<void> {
    if (attrs.subresource || !isResource(attrs, '', 'pods') || !attrs.object) return;
    const spec = (attrs.object['spec'] ??= {}) as Record<string, any>;
    if (attrs.operation === 'UPDATE') {
      // Set on create; an update that leaves them out keeps them (validation forbids changing them).
      const old = (attrs.oldObject?.['spec'] ?? {}) as Record<string, any>;
      if (spec['priority'] === undefined && old['priority'] !== undefined) spec['priority'] = old['priority'];
      if (spec['preemptionPolicy'] === undefined && old['preemptionPolicy'] !== undefined) spec['preemptionPolicy'] = old['preemptionPolicy'];
      return;
    }
    if (attrs.operation !== 'CREATE') return;
    let priority: number;
    let policy: string | undefined;
    const className = typeof spec['priorityClassName'] === 'string' ? spec['priorityClassName'] : '';
    if (!className) {
      const pc = defaultPriorityClass(this.objects.list(PRIORITY_CLASSES, ''));
      if (pc) {
        spec['priorityClassName'] = pc.metadata?.name;
        priority = Number(pc['value'] ?? 0);
        policy = pc['preemptionPolicy'];
      } else {
        priority = DEFAULT_PRIORITY;
        policy = 'PreemptLowerPriority';
      }
    } else {
      const pc = this.objects.get(PRIORITY_CLASSES, '', className) ?? (await this.objects.getLive(PRIORITY_CLASSES, '', className));
      if (!pc) throw forbidden(attrs, `no PriorityClass with name ${className} was found`);
      priority = Number(pc['value'] ?? 0);
      policy = pc['preemptionPolicy'];
    }
    if (spec['priority'] !== undefined && spec['priority'] !== null && spec['priority'] !== priority) {
      throw forbidden(attrs, `the integer value of priority (${spec['priority']}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
    }
    spec['priority'] = priority;
    if (policy) {
      if (spec['preemptionPolicy'] && spec['preemptionPolicy'] !== policy) {
        throw forbidden(attrs, `the string value of PreemptionPolicy (${spec['preemptionPolicy']}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
      }
      spec['preemptionPolicy'] = policy;
    }
  }

  validate(attrs: Attributes): void {
    if (attrs.subresource || !isResource(attrs, PRIORITY_CLASSES.group, PRIORITY_CLASSES.resource) || !attrs.object) return;
    if (attrs.operation !== 'CREATE' && attrs.operation !== 'UPDATE') return;
    if (attrs.object['globalDefault'] !== true) return;
    const current = defaultPriorityClass(this.objects.list(PRIORITY_CLASSES, ''));
    if (!current) return;
    const name = attrs.object.metadata?.name;
    if (attrs.operation === 'CREATE' || current.metadata?.name !== name) {
      throw forbidden(attrs, `PriorityClass ${current.metadata?.name} is already marked as default. Only one default can exist`);
    }
  }
}

