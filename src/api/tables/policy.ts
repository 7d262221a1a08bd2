// Table columns for the policy API group.
import type { TableConvertor } from '../types.ts';
import { ageColumn, ageOf, col, convertor, int, intOrString, nameColumn, nameOf } from './format.ts';

function intOrNA(v: unknown): string {
  return v === undefined || v === null ? 'N/A' : intOrString(v);
}

const podDisruptionBudgets = convertor(
  [
    nameColumn(),
    col('Min Available', 'string', 'The minimum number of pods that must be available.'),
    col('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    col('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    ageColumn(),
  ],
  (obj, now) => [
    nameOf(obj),
    intOrNA(obj.spec?.minAvailable),
    intOrNA(obj.spec?.maxUnavailable),
    int(obj.status?.disruptionsAllowed),
    ageOf(obj, now),
  ],
);

export const tables: Record<string, TableConvertor> = { poddisruptionbudgets: podDisruptionBudgets };
