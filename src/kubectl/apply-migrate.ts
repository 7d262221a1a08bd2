// Moving an object from client-side to server-side apply (client-go's csaupgrade): the fields the client-side apply
// managers own (Update entries that own the last-applied annotation) are handed to the server-side apply manager, so
// that a later server-side apply can remove what the manifest dropped.

const LAST_APPLIED_PATH_KEY = 'f:kubectl.kubernetes.io/last-applied-configuration';

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: FieldSet;
  subresource?: string;
}

export type FieldSet = { [key: string]: FieldSet };

/** The managers of `operation` entries whose fields include the last-applied annotation (FindFieldsOwners). */
export function lastAppliedOwners(entries: readonly ManagedFieldsEntry[], operation: 'Apply' | 'Update'): ManagedFieldsEntry[] {
  return entries.filter((e) => e.operation === operation && e.fieldsV1?.['f:metadata']?.['f:annotations']?.[LAST_APPLIED_PATH_KEY] !== undefined);
}

function rank(key: string): number {
  if (key === '.') return 0;
  const prefix = key.slice(0, 2);
  return prefix === 'f:' ? 1 : prefix === 'k:' ? 2 : prefix === 'v:' ? 3 : prefix === 'i:' ? 4 : 5;
}

/** The union of two field sets, children in structured-merge-diff's order. */
export function unionFields(a: FieldSet | undefined, b: FieldSet | undefined): FieldSet {
  const keys = [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])].sort((x, y) => rank(x) - rank(y) || (x < y ? -1 : x > y ? 1 : 0));
  const out: FieldSet = {};
  for (const k of keys) out[k] = unionFields(a?.[k], b?.[k]);
  return out;
}

const isCsa = (name: string) => (e: ManagedFieldsEntry) => e.manager === name && e.operation === 'Update' && !e.subresource;

function upgraded(entries: ManagedFieldsEntry[], csaName: string, ssaName: string): ManagedFieldsEntry[] {
  const copy = entries.map((e) => ({ ...e }));
  let target = copy.findIndex((e) => e.manager === ssaName && e.operation === 'Apply' && !e.subresource);
  if (target < 0) {
    target = copy.findIndex(isCsa(csaName));
    if (target < 0) return copy;
    copy[target] = { ...copy[target]!, operation: 'Apply', manager: ssaName };
  }
  const ssa = copy[target]!;
  const csa = copy.find((e) => isCsa(csaName)(e) && e.apiVersion === ssa.apiVersion);
  copy[target] = { ...ssa, fieldsV1: csa ? unionFields(ssa.fieldsV1, csa.fieldsV1) : unionFields(ssa.fieldsV1, undefined) };
  return copy.filter((e) => !isCsa(csaName)(e));
}

/** The JSON patch that upgrades the managed fields, or undefined when there is nothing to change (UpgradeManagedFieldsPatch). */
export function upgradeManagedFieldsPatch(entries: ManagedFieldsEntry[], resourceVersion: string, csaNames: ReadonlySet<string>, ssaName: string): unknown[] | undefined {
  let result = entries;
  for (const name of csaNames) result = upgraded(result, name, ssaName);
  if (JSON.stringify(result) === JSON.stringify(entries)) return undefined;
  return [
    { op: 'replace', path: '/metadata/managedFields', value: result },
    { op: 'replace', path: '/metadata/resourceVersion', value: resourceVersion },
  ];
}
