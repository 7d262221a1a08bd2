// The revisions of a rollout as kubectl reads them: a Deployment's from its ReplicaSets' revision annotations, a
// DaemonSet's or StatefulSet's from its ControllerRevisions; the history table; and which revision `undo` goes back to.
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.d.ts';
import { alignTabs } from './printers/tabwriter.ts';

type Fields = Record<string, any>;

export const CHANGE_CAUSE = 'kubernetes.io/change-cause';
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const POD_TEMPLATE_HASH = 'pod-template-hash';

export interface Revision {
  revision: number;
  changeCause: string;
  /** The pod template of that revision. */
  template: PodTemplateSpec;
  /** The ReplicaSet or ControllerRevision holding it. */
  source: Fields;
}

const controlledBy = (obj: Fields, uid: string): boolean => (obj['metadata']?.ownerReferences ?? []).some((o: Fields) => o['controller'] === true && o['uid'] === uid);

/** A Deployment's revisions, from the ReplicaSets it controls (a missing revision annotation reads as 0, as upstream's). */
export function deploymentRevisions(deployment: Fields, replicaSets: Fields[]): Map<number, Revision> {
  const out = new Map<number, Revision>();
  for (const rs of replicaSets) {
    if (!controlledBy(rs, deployment['metadata']?.uid)) continue;
    const text = rs['metadata']?.annotations?.[REVISION_ANNOTATION];
    const revision = text === undefined ? 0 : Number(text);
    if (!Number.isInteger(revision)) continue;
    const template = structuredClone(rs['spec']?.template ?? {}) as PodTemplateSpec;
    const changeCause = rs['metadata']?.annotations?.[CHANGE_CAUSE] ?? '';
    if (changeCause) template.metadata = { ...template.metadata, annotations: { ...template.metadata?.annotations, [CHANGE_CAUSE]: changeCause } };
    out.set(revision, { revision, changeCause, template, source: rs });
  }
  return out;
}

/** A DaemonSet's or StatefulSet's revisions, from the ControllerRevisions it controls. */
export function controllerRevisions(owner: Fields, revisions: Fields[]): Map<number, Revision> {
  const out = new Map<number, Revision>();
  for (const cr of revisions) {
    if (!controlledBy(cr, owner['metadata']?.uid)) continue;
    const revision = Number(cr['revision'] ?? 0);
    out.set(revision, { revision, changeCause: cr['metadata']?.annotations?.[CHANGE_CAUSE] ?? '', template: revisionTemplate(owner, cr), source: cr });
  }
  return out;
}

/** The pod template a ControllerRevision records (its data patches spec.template, normally replacing it whole). */
export function revisionTemplate(owner: Fields, cr: Fields): PodTemplateSpec {
  const patched = cr['data']?.spec?.template as Fields | undefined;
  if (!patched) return structuredClone(owner['spec']?.template ?? {});
  const { $patch: _replace, ...template } = patched;
  return structuredClone(template) as PodTemplateSpec;
}

/** `REVISION  CHANGE-CAUSE` and a row a revision, oldest first (text/tabwriter with padding 2). */
export function historyTable(revisions: Map<number, Revision>): string {
  if (revisions.size === 0) return 'No rollout history found.';
  let text = 'REVISION\tCHANGE-CAUSE\n';
  for (const r of [...revisions.keys()].sort((a, b) => a - b)) text += `${r}\t${revisions.get(r)!.changeCause || '<none>'}\n`;
  return alignTabs(text, { minWidth: 0, padding: 2 });
}

/** Drops what Go's semantic equality does not tell apart from absence: null, empty maps and empty lists. */
function normalised(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalised);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = normalised((v as Record<string, unknown>)[k]);
      if (x === null || x === undefined) continue;
      if (Array.isArray(x) && x.length === 0) continue;
      if (typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 0) continue;
      out[k] = x;
    }
    return out;
  }
  return v;
}

export function withoutHash(template: PodTemplateSpec): PodTemplateSpec {
  const copy = structuredClone(template);
  if (copy.metadata?.labels) delete copy.metadata.labels[POD_TEMPLATE_HASH];
  return copy;
}

/** Two pod templates alike but for the pod-template-hash label. */
export function sameTemplate(a: PodTemplateSpec, b: PodTemplateSpec): boolean {
  return JSON.stringify(normalised(withoutHash(a))) === JSON.stringify(normalised(withoutHash(b)));
}

export class RevisionNotFoundError extends Error {
  override name = 'RevisionNotFoundError';
  constructor(revision: number) {
    super(`unable to find specified revision ${revision} in history`);
  }
}

/** The Deployment revision `undo` restores: `to` when given, else the newest but one. */
export function deploymentUndoTarget(name: string, revisions: Map<number, Revision>, to: number): Revision {
  if (to > 0) {
    const found = revisions.get(to);
    if (!found) throw new RevisionNotFoundError(to);
    return found;
  }
  const sorted = [...revisions.keys()].sort((a, b) => b - a);
  if (sorted.length < 2) throw new Error(`no rollout history found for deployment ${JSON.stringify(name)}`);
  return revisions.get(sorted[1]!)!;
}

/** The DaemonSet/StatefulSet revision `undo` restores. */
export function controllerUndoTarget(revisions: Map<number, Revision>, to: number): Revision {
  if (to === 0 && revisions.size <= 1) throw new Error('no last revision to roll back to');
  if (to === 0) return revisions.get([...revisions.keys()].sort((a, b) => b - a)[1]!)!;
  const found = revisions.get(to);
  if (!found) throw new RevisionNotFoundError(to);
  return found;
}

/** Annotations a rollback leaves as the Deployment has them rather than copying from the ReplicaSet. */
export const ROLLBACK_SKIPPED_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

/** The Deployment's annotations after rolling back to `rs`: its own skipped ones, the rest from the ReplicaSet. */
export function rollbackAnnotations(deployment: Fields, rs: Fields): Record<string, string> {
  const out: Record<string, string> = {};
  const own: Record<string, string> = deployment['metadata']?.annotations ?? {};
  for (const k of Object.keys(own)) if (ROLLBACK_SKIPPED_ANNOTATIONS.has(k)) out[k] = own[k]!;
  const theirs: Record<string, string> = rs['metadata']?.annotations ?? {};
  for (const k of Object.keys(theirs)) if (!ROLLBACK_SKIPPED_ANNOTATIONS.has(k)) out[k] = theirs[k]!;
  return out;
}
