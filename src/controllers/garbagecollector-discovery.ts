// What the garbage collector learns from discovery: the resources it can watch and delete (preferred versions that
// list, watch and delete), and a REST mapping from an owner reference's apiVersion and kind to its resource.
import { setMaxListeners } from 'node:events';
import type { Client, GroupVersionResource } from '../client/client.ts';

export interface DiscoveredResource {
  gvr: GroupVersionResource;
  /** 'v1', 'apps/v1'. */
  apiVersion: string;
  kind: string;
  namespaced: boolean;
}

export interface DiscoverySnapshot {
  /** Preferred-version resources that support list, watch and delete, by gvrKey. */
  deletable: Map<string, DiscoveredResource>;
  /** Every served version's resources, by kindKey(apiVersion, kind). */
  byKind: Map<string, DiscoveredResource>;
  /** Group versions whose resource lists could not be read this time. */
  failed: Set<string>;
}

interface APIResource {
  name: string;
  kind: string;
  namespaced: boolean;
  verbs?: string[];
}

interface APIResourceList {
  groupVersion: string;
  resources?: APIResource[];
}

interface APIGroupList {
  groups?: Array<{ name: string; versions?: Array<{ groupVersion: string }>; preferredVersion?: { groupVersion: string } }>;
}

export function gvrKey(gvr: GroupVersionResource): string {
  return `${gvr.group}/${gvr.version}/${gvr.resource}`;
}

export function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion}|${kind}`;
}

/** Reads legacy discovery: /api/v1, /apis, and every served group version. */
export async function discoverResources(client: Client, signal?: AbortSignal): Promise<DiscoverySnapshot> {
  // One signal of our own for the parallel requests, so that many listeners on it are expected.
  const local = signal ? AbortSignal.any([signal]) : undefined;
  const get = async <T>(path: string): Promise<T> => (await client.transport.request({ method: 'GET', path, ...(local ? { signal: local } : {}) })).body as T;
  const groups = await get<APIGroupList>('/apis');
  const versions: Array<{ groupVersion: string; preferred: boolean }> = [{ groupVersion: 'v1', preferred: true }];
  for (const g of groups.groups ?? []) {
    for (const v of g.versions ?? []) versions.push({ groupVersion: v.groupVersion, preferred: v.groupVersion === g.preferredVersion?.groupVersion });
  }
  if (local) setMaxListeners(versions.length + 10, local);
  const snapshot: DiscoverySnapshot = { deletable: new Map(), byKind: new Map(), failed: new Set() };
  const lists = await Promise.all(
    versions.map(async ({ groupVersion, preferred }) => {
      try {
        return { list: await get<APIResourceList>(groupVersion === 'v1' ? '/api/v1' : `/apis/${groupVersion}`), preferred };
      } catch (err) {
        if (signal?.aborted) throw err;
        snapshot.failed.add(groupVersion);
        return undefined;
      }
    }),
  );
  for (const entry of lists) {
    if (!entry) continue;
    const { list, preferred } = entry;
    const slash = list.groupVersion.indexOf('/');
    const group = slash < 0 ? '' : list.groupVersion.slice(0, slash);
    const version = slash < 0 ? list.groupVersion : list.groupVersion.slice(slash + 1);
    for (const r of list.resources ?? []) {
      if (r.name.includes('/')) continue;
      const resource: DiscoveredResource = { gvr: { group, version, resource: r.name }, apiVersion: list.groupVersion, kind: r.kind, namespaced: r.namespaced };
      snapshot.byKind.set(kindKey(list.groupVersion, r.kind), resource);
      const verbs = r.verbs ?? [];
      if (preferred && ['list', 'watch', 'delete'].every((v) => verbs.includes(v))) snapshot.deletable.set(gvrKey(resource.gvr), resource);
    }
  }
  return snapshot;
}
