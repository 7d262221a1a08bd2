// Server-side Table printing: the columns and cells kube-apiserver returns for
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`, per API group and resource.
import type { TableConvertor } from '../types.ts';
import { tables as admissionregistration } from './admissionregistration.ts';
import { tables as apiextensions } from './apiextensions.ts';
import { tables as apps } from './apps.ts';
import { tables as autoscaling } from './autoscaling.ts';
import { tables as batch } from './batch.ts';
import { tables as certificates } from './certificates.ts';
import { tables as coordination } from './coordination.ts';
import { tables as core } from './core.ts';
import { defaultTable } from './default.ts';
import { tables as discovery } from './discovery.ts';
import { tables as events } from './events.ts';
import { tables as networking } from './networking.ts';
import { tables as node } from './node.ts';
import { tables as policy } from './policy.ts';
import { tables as rbac } from './rbac.ts';
import { tables as scheduling } from './scheduling.ts';
import { tables as storage } from './storage.ts';

export { defaultTable } from './default.ts';
export { humanDuration, translateTimestampSince } from './duration.ts';

/** Tables by API group name ("" for core) and resource plural. */
export const tablesByGroup: Readonly<Record<string, Record<string, TableConvertor>>> = {
  '': core,
  apps,
  batch,
  autoscaling,
  policy,
  'coordination.k8s.io': coordination,
  'discovery.k8s.io': discovery,
  'events.k8s.io': events,
  'rbac.authorization.k8s.io': rbac,
  'scheduling.k8s.io': scheduling,
  'networking.k8s.io': networking,
  'storage.k8s.io': storage,
  'certificates.k8s.io': certificates,
  'apiextensions.k8s.io': apiextensions,
  'admissionregistration.k8s.io': admissionregistration,
  'node.k8s.io': node,
};

/** The table for a resource; resources without a printer get the default NAME / CREATED AT table. */
export function tableFor(group: string, plural: string): TableConvertor {
  const groupTables = Object.hasOwn(tablesByGroup, group) ? tablesByGroup[group] : undefined;
  if (groupTables && Object.hasOwn(groupTables, plural)) return groupTables[plural] ?? defaultTable;
  return defaultTable;
}
