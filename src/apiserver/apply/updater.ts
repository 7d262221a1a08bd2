// Ownership bookkeeping over field sets (upstream's merge.Updater): what an update takes from other
// managers, and what an apply merges, prunes and conflicts on. Managers are keyed by their identifier
// (see managedfields.ts). All managers are compared in the request's version: Skiff serves one shape
// per object.
import type { Path } from './fieldpath.ts';
import { FieldSet } from './fieldset.ts';
import type { Atom } from './schema.ts';
import { compare, ensureNamedFieldsAreMembers, merge, removeItems, toFieldSet, type Comparison } from './typed.ts';
import { valueEquals } from './value.ts';

export interface VersionedSet {
  readonly set: FieldSet;
  readonly apiVersion: string;
  readonly applied: boolean;
}

/** Manager identifier → the fields it owns. */
export type ManagedSets = Map<string, VersionedSet>;

export interface Conflict {
  /** The manager identifier (JSON), as upstream keeps it. */
  readonly manager: string;
  readonly path: Path;
}

export class ConflictsError extends Error {
  override name = 'ConflictsError';
  constructor(readonly conflicts: readonly Conflict[]) {
    super(`${conflicts.length} conflict(s)`);
  }
}

export interface UpdaterOptions {
  /** Paths whose changes nobody gains or loses ownership of here (the endpoint's reset fields). */
  ignore?: FieldSet | undefined;
}

function filtered(c: Comparison, ignore: FieldSet | undefined): Comparison {
  if (!ignore || ignore.empty) return c;
  return { added: c.added.recursiveDifference(ignore), modified: c.modified.recursiveDifference(ignore), removed: c.removed.recursiveDifference(ignore) };
}

/** Conflicts sorted by manager, each manager's paths in set order. */
function conflictsFrom(sets: Map<string, FieldSet>): Conflict[] {
  const out: Conflict[] = [];
  for (const manager of [...sets.keys()].sort()) for (const path of (sets.get(manager) as FieldSet).paths()) out.push({ manager, path });
  return out;
}

function diffManagers(
  atom: Atom,
  oldObj: unknown,
  newObj: unknown,
  managers: ManagedSets,
  workflow: string,
  force: boolean,
  opts: UpdaterOptions,
): Comparison {
  const cmp = filtered(compare(atom, oldObj, newObj), opts.ignore);
  const changed = cmp.modified.union(cmp.added);
  const conflicts = new Map<string, FieldSet>();
  for (const [manager, vs] of managers) {
    if (manager === workflow) continue;
    const c = vs.set.intersection(changed);
    if (!c.empty) conflicts.set(manager, c);
  }
  if (!force && conflicts.size > 0) throw new ConflictsError(conflictsFrom(conflicts));
  for (const [manager, vs] of managers) {
    if (manager === workflow) continue;
    let set = vs.set;
    const c = conflicts.get(manager);
    if (c) set = set.difference(c);
    if (!cmp.removed.empty) set = set.difference(cmp.removed);
    if (set !== vs.set) managers.set(manager, { ...vs, set });
  }
  for (const [manager, vs] of managers) if (vs.set.empty) managers.delete(manager);
  return cmp;
}

/**
 * A non-apply write: `manager` gains the fields this write changed and others lose them. Returns the new
 * manager sets (the input map is not changed).
 */
export function updateSets(atom: Atom, liveObj: unknown, newObj: unknown, apiVersion: string, input: ManagedSets, manager: string, opts: UpdaterOptions = {}): ManagedSets {
  const managers = new Map(input);
  const cmp = diffManagers(atom, liveObj, newObj, managers, manager, true, opts);
  const previous = managers.get(manager)?.set ?? new FieldSet();
  let set = previous.difference(cmp.removed).union(cmp.modified).union(cmp.added);
  if (opts.ignore && !opts.ignore.empty) set = set.recursiveDifference(opts.ignore);
  if (set.empty) managers.delete(manager);
  else managers.set(manager, { set, apiVersion, applied: false });
  return managers;
}

export interface ApplyOutcome {
  /** The merged object, or undefined when applying changed nothing. */
  object: unknown;
  managers: ManagedSets;
}

/** An apply: merge the configuration, prune what the manager stopped applying, take ownership (or throw ConflictsError). */
export function applySets(
  atom: Atom,
  liveObj: unknown,
  config: unknown,
  apiVersion: string,
  input: ManagedSets,
  manager: string,
  force: boolean,
  opts: UpdaterOptions = {},
): ApplyOutcome {
  const managers = new Map(input);
  let merged = merge(atom, liveObj, config);
  const lastSet = managers.get(manager);
  let set = toFieldSet(atom, config);
  if (opts.ignore && !opts.ignore.empty) set = set.recursiveDifference(opts.ignore);
  managers.set(manager, { set, apiVersion, applied: true });
  merged = prune(atom, merged, managers, lastSet);
  diffManagers(atom, liveObj, merged, managers, manager, force, opts);
  return { object: valueEquals(liveObj, merged) ? undefined : merged, managers };
}

// Removes what the manager applied last time and not this time, unless another manager (or this
// configuration) still owns it; fields others own only through updates of parents stay as well.
function prune(atom: Atom, merged: unknown, managers: ManagedSets, lastSet: VersionedSet | undefined): unknown {
  if (!lastSet || lastSet.set.empty) return merged;
  const named = (s: FieldSet) => ensureNamedFieldsAreMembers(s, atom);
  let pruned = removeItems(atom, merged, named(lastSet.set));

  let owned = new FieldSet();
  for (const vs of managers.values()) owned = owned.union(vs.set);
  const mergedSet = named(toFieldSet(atom, merged));
  pruned = removeItems(atom, merged, mergedSet.difference(named(toFieldSet(atom, pruned)).union(named(owned))));

  const prunedSet = named(toFieldSet(atom, pruned));
  return removeItems(atom, merged, mergedSet.difference(prunedSet).intersection(named(lastSet.set)));
}
