// Discovery documents: aggregated (apidiscovery.k8s.io/v2) and legacy (APIVersions, APIGroupList,
// APIResourceList), all derived from the registry.
import type { Registry } from '../api/registry.ts';
import type { ResourceType } from '../api/types.ts';

export const AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const AGGREGATED_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

interface SubresourceInfo {
  kind?: string; // default: the parent's kind
  group?: string;
  version?: string;
  verbs: string[];
}

// What each subresource speaks, as upstream's discovery lists it.
const SUBRESOURCES: Record<string, SubresourceInfo> = {
  status: { verbs: ['get', 'patch', 'update'] },
  scale: { kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] },
  binding: { kind: 'Binding', verbs: ['create'] },
  eviction: { kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
  log: { verbs: ['get'] },
  exec: { kind: 'PodExecOptions', verbs: ['create', 'get'] },
  attach: { kind: 'PodAttachOptions', verbs: ['create', 'get'] },
  portforward: { kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
  proxy: { verbs: ['create', 'delete', 'get', 'patch', 'update'] },
  ephemeralcontainers: { verbs: ['get', 'patch', 'update'] },
  resize: { verbs: ['get', 'patch', 'update'] },
  token: { kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] },
  finalize: { verbs: ['update'] },
  approval: { verbs: ['get', 'patch', 'update'] },
};

function proxyKind(t: ResourceType): string {
  return `${t.kind}ProxyOptions`;
}

function subresourceInfo(t: ResourceType, sub: string): Required<SubresourceInfo> {
  const s = SUBRESOURCES[sub] ?? { verbs: ['get'] };
  const kind = sub === 'proxy' ? proxyKind(t) : s.kind ?? t.kind;
  const sameGroup = !s.group;
  return { kind, group: sameGroup ? t.group : s.group!, version: sameGroup ? t.version : s.version!, verbs: s.verbs };
}

function aggregatedResource(t: ResourceType) {
  const r: Record<string, unknown> = {
    resource: t.plural,
    responseKind: { group: '', version: '', kind: t.kind },
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: t.verbs,
  };
  if (t.shortNames?.length) r['shortNames'] = t.shortNames;
  if (t.categories?.length) r['categories'] = t.categories;
  if (t.subresources?.length) {
    r['subresources'] = t.subresources.map((sub) => {
      const s = subresourceInfo(t, sub);
      // Upstream leaves group and version empty when they are the parent's.
      const same = s.group === t.group && s.version === t.version;
      return { subresource: sub, responseKind: { group: same ? '' : s.group, version: same ? '' : s.version, kind: s.kind }, verbs: s.verbs };
    });
  }
  return r;
}

/** The aggregated discovery document for /api (core) or /apis (every named group). */
export function aggregatedDiscovery(registry: Registry, core: boolean, apiVersion = 'apidiscovery.k8s.io/v2') {
  const items = registry.groups
    .filter((g) => (core ? g.name === '' : g.name !== ''))
    .map((g) => ({
      metadata: { name: g.name, creationTimestamp: null },
      versions: sortVersions(g.versions).map((v) => ({
        version: v,
        resources: registry
          .resources(g.name, v)
          .sort((a, b) => a.plural.localeCompare(b.plural))
          .map(aggregatedResource),
        freshness: 'Current',
      })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion, metadata: {}, items };
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first. */
export function sortVersions(versions: string[]): string[] {
  const rank = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    const stability = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stability, Number(m[1]), Number(m[3] ?? 0)];
  };
  return [...versions].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return rb[i]! - ra[i]!;
    return 0;
  });
}

export function legacyAPIVersions(serverAddress: string) {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupEntry(registry: Registry, name: string) {
  const g = registry.groups.find((x) => x.name === name);
  if (!g) return undefined;
  const versions = sortVersions(g.versions).map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions, preferredVersion: versions[0]! };
}

export function legacyAPIGroupList(registry: Registry) {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: registry.groups.filter((g) => g.name !== '').map((g) => groupEntry(registry, g.name)),
  };
}

export function legacyAPIGroup(registry: Registry, name: string) {
  const e = groupEntry(registry, name);
  return e ? { kind: 'APIGroup', apiVersion: 'v1', ...e } : undefined;
}

export function legacyAPIResourceList(registry: Registry, group: string, version: string) {
  const types = registry.resources(group, version);
  if (!types.length) return undefined;
  const resources: Array<Record<string, unknown>> = [];
  for (const t of types.sort((a, b) => a.plural.localeCompare(b.plural))) {
    const r: Record<string, unknown> = {
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
    };
    if (t.shortNames?.length) r['shortNames'] = t.shortNames;
    if (t.categories?.length) r['categories'] = t.categories;
    resources.push(r);
    for (const sub of t.subresources ?? []) {
      const s = subresourceInfo(t, sub);
      const e: Record<string, unknown> = { name: `${t.plural}/${sub}`, singularName: '', namespaced: t.namespaced, kind: s.kind, verbs: s.verbs };
      // Both or neither, as upstream: kubectl drain needs both to find the policy/v1 eviction subresource.
      if (s.group !== t.group || s.version !== t.version) {
        e['group'] = s.group;
        e['version'] = s.version;
      }
      resources.push(e);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}
