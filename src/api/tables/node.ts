// Table columns for the node.k8s.io API group.
import type { TableConvertor } from '../types.ts';
import { ageColumn, ageOf, col, convertor, nameColumn, nameOf, str } from './format.ts';

const runtimeClasses = convertor(
  [nameColumn(), col('Handler', 'string', 'The CRI handler that runs pods of this class.'), ageColumn()],
  (obj, now) => [nameOf(obj), str(obj.handler), ageOf(obj, now)],
);

export const tables: Record<string, TableConvertor> = { runtimeclasses: runtimeClasses };
