// The objects `kubectl delete -f` names, as delete's targets; problems reading the files are printed as kubectl does.
import { strs } from '../flags.ts';
import { readManifests, readOptions } from '../manifest.ts';
import { addSource, errorText } from '../apply-errors.ts';
import type { ResourceInfo } from '../discovery.ts';
import type { Session } from '../session.ts';
import type { Target } from './args.ts';

export type FileTarget = Target & { namespace?: string; source?: string };

/** Targets from -f, or undefined when no -f was given; `failed` when a file could not be read or mapped. */
export async function filenameTargets(session: Session): Promise<{ targets: FileTarget[]; types: ResourceInfo[]; failed: boolean } | undefined> {
  if (!strs(session.flags, 'filename').length) return undefined;
  const read = await readManifests(session, readOptions(session.flags));
  for (const err of read.errors) session.io.stderr(errorText(err));
  const targets = read.objects.map((m): FileTarget => ({ resource: m.resource, name: m.name, ...(m.namespace ? { namespace: m.namespace } : {}), source: m.source }));
  return { targets, types: [...new Set(targets.map((t) => t.resource))], failed: read.errors.length > 0 };
}

/** A delete error with the file it came from, as kubectl reports it. */
export function deleteError(target: FileTarget, err: unknown): unknown {
  return target.source ? addSource('deleting', target.source, err) : err;
}
