// ControllerRevisions, the template history DaemonSets and StatefulSets keep (upstream's pkg/controller/history and
// the DaemonSet's snapshots): data is a strategic merge patch replacing spec.template, names are `<owner>-<hash>`,
// revisions are numbered, and a name taken by different data bumps the owner's collisionCount.
import type { ControllerRevision } from 'kubernetes-types/apps/v1.d.ts';
import type { LabelSelector, OwnerReference } from 'kubernetes-types/meta/v1.d.ts';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.d.ts';
import type { Client, KubeObject } from '../client/client.ts';
import { isAlreadyExists, isConflict, isInvalid, isNotFound } from '../client/errors.ts';
import type { Lister } from '../client/informer.ts';
import { matchesLabelSelector } from '../api/labels.ts';
import { controllerRefOf, FIELD_MANAGER } from './podcontrol.ts';
import { CONTROLLER_REVISIONS } from '../client/resources.ts';

export type Revision = ControllerRevision & KubeObject;

/** apps/v1 ControllerRevisionHashLabelKey: on pods (and DaemonSet revisions), which revision they were made from. */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';
/** history.ControllerRevisionHashLabel: the hash of a (StatefulSet) revision's data. */
export const REVISION_DATA_HASH_LABEL = 'controller.kubernetes.io/hash';

/** Gives up on a revision name after this many collisions (upstream loops until it finds a free name). */
const MAX_COLLISIONS = 100;

export class RevisionCollisionError extends Error {
  override name = 'RevisionCollisionError';
}

/** Go's encoding/json for decoded JSON: map keys sorted, no spaces, <, >, & and U+2028/9 escaped. */
export function goJSON(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = sort((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  const escapes: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };
  return (JSON.stringify(sort(value)) ?? 'null').replace(/[<>&\u2028\u2029]/g, (c) => escapes[c]!);
}

/** 32-bit FNV-1 (`a` false, Go's fnv.New32) or FNV-1a (Go's fnv.New32a), continuing from `h`. */
export function fnv32(bytes: Uint8Array, a: boolean, h = 0x811c9dc5): number {
  for (const b of bytes) {
    if (a) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    else h = (Math.imul(h, 0x01000193) ^ b) >>> 0;
  }
  return h >>> 0;
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** apimachinery's rand.SafeEncodeString: digits mapped onto letters that spell no words. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const ch of s) out += ALPHANUMS[ch.codePointAt(0)! % ALPHANUMS.length];
  return out;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** history.HashControllerRevision: FNV-1 of the raw data, then the collision count in decimal. */
export function hashRevisionData(raw: string, collisionCount?: number): string {
  let h = fnv32(utf8(raw), false);
  if (collisionCount !== undefined) h = fnv32(utf8(String(collisionCount)), false, h);
  return safeEncodeString(String(h));
}

/**
 * controller.ComputeHash (DaemonSet revisions, Deployment's pod-template-hash): FNV-1a of the template, then the
 * collision count as 8 little-endian bytes. Upstream hashes a Go dump of the struct; Skiff hashes its Go JSON.
 */
export function computeTemplateHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv32(utf8(goJSON(template ?? {})), true);
  if (collisionCount !== undefined) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32(bytes, true, h);
  }
  return safeEncodeString(String(h));
}

/** history.ControllerRevisionName: the prefix cut to 223 bytes so the name fits 253. */
export function controllerRevisionName(prefix: string, hash: string): string {
  return `${prefix.length > 223 ? prefix.slice(0, 223) : prefix}-${hash}`;
}

/** Both controllers' getPatch: `{"spec":{"template":{…,"$patch":"replace"}}}` in Go's JSON. */
export function templatePatch(template: PodTemplateSpec | undefined): string {
  return goJSON({ spec: { template: { ...(template ?? {}), $patch: 'replace' } } });
}

/** The raw bytes upstream keeps in Data.Raw, as Go would print the stored object. */
export function revisionData(rev: Revision): string {
  return goJSON(rev.data ?? null);
}

/** The template a revision records (applying its replace patch to any owner gives this template). */
export function templateOfRevision(rev: Revision): PodTemplateSpec {
  const data = (rev.data ?? {}) as { spec?: { template?: Record<string, unknown> } };
  const { $patch: _ignored, ...template } = data.spec?.template ?? {};
  return JSON.parse(JSON.stringify(template)) as PodTemplateSpec;
}

/** history.NewControllerRevision: owned by `ref`, labelled with the template's labels and the data hash. */
export function newControllerRevision(
  owner: KubeObject,
  ref: OwnerReference,
  templateLabels: Readonly<Record<string, string>> | undefined,
  raw: string,
  revision: number,
  collisionCount: number,
): Revision {
  const hash = hashRevisionData(raw, collisionCount);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: controllerRevisionName(owner.metadata!.name!, hash),
      namespace: owner.metadata!.namespace!,
      labels: { ...templateLabels, [REVISION_DATA_HASH_LABEL]: hash },
      ownerReferences: [ref],
    },
    data: JSON.parse(raw) as object,
    revision,
  };
}

const created = (r: Revision) => Date.parse(String(r.metadata?.['creationTimestamp'] ?? '')) || 0;

/** history.SortControllerRevisions: by revision, then creation time, then name. Returns a new array. */
export function sortRevisions(revisions: readonly Revision[]): Revision[] {
  return [...revisions].sort((a, b) => a.revision - b.revision || created(a) - created(b) || (a.metadata!.name! < b.metadata!.name! ? -1 : a.metadata!.name! > b.metadata!.name! ? 1 : 0));
}

/** history.EqualRevision: differing data-hash labels mean different; otherwise the data decides. */
export function equalRevision(a: Revision | undefined, b: Revision | undefined): boolean {
  if (!a || !b) return a === b;
  const ha = a.metadata?.labels?.[REVISION_DATA_HASH_LABEL];
  const hb = b.metadata?.labels?.[REVISION_DATA_HASH_LABEL];
  if (ha !== undefined && hb !== undefined && ha !== hb) return false;
  return revisionData(a) === revisionData(b);
}

export function findEqualRevisions(revisions: readonly Revision[], needle: Revision): Revision[] {
  return revisions.filter((r) => equalRevision(r, needle));
}

/** One more than the highest revision number (1 for none). */
export function nextRevision(revisions: readonly Revision[]): number {
  return revisions.reduce((max, r) => Math.max(max, r.revision), 0) + 1;
}

/** A mutable collision count, carried back into the owner's status. */
export interface CollisionCount {
  value: number;
}

/** upstream's history.Interface over the API and a ControllerRevision lister. */
export class RevisionHistory {
  constructor(
    readonly client: Client,
    readonly lister: Lister<Revision>,
  ) {}

  /** Revisions in the owner's namespace matching `selector` that the owner controls or nobody does. */
  list(owner: KubeObject, selector: LabelSelector | undefined): Revision[] {
    const ns = owner.metadata?.namespace;
    const uid = owner.metadata?.uid;
    return this.lister.list((r) => {
      if (r.metadata?.namespace !== ns || !matchesLabelSelector(selector, r.metadata?.labels ?? {})) return false;
      const ref = controllerRefOf(r);
      return !ref || ref.uid === uid;
    });
  }

  /**
   * Creates `rev` under the owner's name and a hash of its data and the collision count; a name taken by other data
   * bumps the count and tries again, a name taken by the same data returns the existing revision.
   */
  async create(owner: KubeObject, rev: Revision, collisionCount: CollisionCount): Promise<Revision> {
    const raw = revisionData(rev);
    for (let i = 0; i < MAX_COLLISIONS; i++) {
      const hash = hashRevisionData(raw, collisionCount.value);
      const clone: Revision = { ...rev, metadata: { ...rev.metadata, name: controllerRevisionName(owner.metadata!.name!, hash), namespace: owner.metadata!.namespace! } };
      try {
        return await this.client.create<Revision>(CONTROLLER_REVISIONS, owner.metadata!.namespace, clone, { fieldManager: FIELD_MANAGER });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      const existing = await this.client.get<Revision>(CONTROLLER_REVISIONS, owner.metadata!.namespace, clone.metadata!.name!);
      if (revisionData(existing) === raw) return existing;
      collisionCount.value++;
    }
    throw new RevisionCollisionError(`no free ControllerRevision name for ${owner.metadata!.name} after ${MAX_COLLISIONS} collisions`);
  }

  /** Sets the revision number (a rollback to an older template makes it the newest), retrying on conflicts. */
  async updateRevision(rev: Revision, revision: number): Promise<Revision> {
    let current: Revision = rev;
    for (let attempt = 0; ; attempt++) {
      if (current.revision === revision) return current;
      try {
        return await this.client.update<Revision>(CONTROLLER_REVISIONS, current.metadata!.namespace, { ...current, revision }, { fieldManager: FIELD_MANAGER });
      } catch (err) {
        if (!isConflict(err) || attempt >= 4) throw err;
        current = await this.client.get<Revision>(CONTROLLER_REVISIONS, current.metadata!.namespace, current.metadata!.name!);
      }
    }
  }

  async delete(rev: Revision): Promise<void> {
    try {
      await this.client.delete(CONTROLLER_REVISIONS, rev.metadata!.namespace, rev.metadata!.name!);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Adds the owner's controller reference to an orphan revision. */
  async adopt(rev: Revision, ref: OwnerReference): Promise<Revision> {
    const patch = { metadata: { ownerReferences: [ref], uid: rev.metadata!.uid } };
    return this.client.patch<Revision>(CONTROLLER_REVISIONS, rev.metadata!.namespace, rev.metadata!.name!, 'strategic', patch, { fieldManager: FIELD_MANAGER });
  }

  /** Drops the owner's reference; a revision already gone or no longer owned is fine. */
  async release(rev: Revision, ownerUID: string): Promise<void> {
    const patch = { metadata: { ownerReferences: [{ $patch: 'delete', uid: ownerUID }], uid: rev.metadata!.uid } };
    try {
      await this.client.patch(CONTROLLER_REVISIONS, rev.metadata!.namespace, rev.metadata!.name!, 'strategic', patch, { fieldManager: FIELD_MANAGER });
    } catch (err) {
      if (!isNotFound(err) && !isInvalid(err)) throw err;
    }
  }
}

export { CONTROLLER_REVISIONS };
