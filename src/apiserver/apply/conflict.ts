// Apply conflicts as the 409 Status upstream returns (errors.NewApplyConflict).
import { StatusError } from '../status.ts';
import { pathToString, type Path } from './fieldpath.ts';
import { printManager } from './managedfields.ts';

export interface FieldConflict {
  /** The conflicting manager's identifier (JSON: manager, operation, apiVersion for updates, subresource). */
  manager: string;
  path: Path;
  /** The path as upstream prints it, e.g. ".spec.replicas". */
  field: string;
}

export function fieldConflict(manager: string, path: Path): FieldConflict {
  return { manager, path, field: pathToString(path) };
}

function conflictMessage(conflicts: readonly FieldConflict[]): string {
  if (conflicts.length === 1) {
    const c = conflicts[0] as FieldConflict;
    return `Apply failed with 1 conflict: conflict with ${printManager(c.manager)}: ${c.field}`;
  }
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const list = byManager.get(c.manager) ?? [];
    list.push(c.field);
    byManager.set(c.manager, list);
  }
  const lines: string[] = [];
  for (const manager of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${printManager(manager)}:`);
    for (const field of byManager.get(manager) ?? []) lines.push(`- ${field}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/** The 409 Conflict for an apply that conflicts, with one FieldManagerConflict cause per field. */
export function conflictStatus(conflicts: readonly FieldConflict[]): StatusError {
  return new StatusError(409, 'Conflict', conflictMessage(conflicts), {
    causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.manager)}`, field: c.field })),
  });
}
