// Table columns for the apiextensions.k8s.io API group: CRDs print only NAME and CREATED AT upstream.
import type { TableConvertor } from '../types.ts';
import { defaultTable } from './default.ts';

export const tables: Record<string, TableConvertor> = { customresourcedefinitions: defaultTable };
