// Table columns for the scheduling.k8s.io API group.
import type { TableConvertor } from '../types.ts';
import { ageColumn, ageOf, col, convertor, int, nameColumn, nameOf, str } from './format.ts';

const priorityClasses = convertor(
  [
    nameColumn(),
    col('Value', 'integer', 'The integer priority of pods that use this class.'),
    col('Global-Default', 'boolean', 'Whether this class is the default for pods without a priorityClassName.'),
    ageColumn(),
    col('PreemptionPolicy', 'string', 'Whether pods of this class may preempt lower-priority pods: Never or PreemptLowerPriority.'),
  ],
  (obj, now) => [nameOf(obj), int(obj.value), obj.globalDefault === true, ageOf(obj, now), str(obj.preemptionPolicy)],
);

export const tables: Record<string, TableConvertor> = { priorityclasses: priorityClasses };
