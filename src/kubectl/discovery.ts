// API discovery for Skiff's kubectl: the aggregated /api and /apis documents, cached on disk for six hours as kubectl
// caches discovery, and kubectl's rules for turning what a user typed (po, pods, Pod, deployments.apps,
// deployment.v1.apps) into a resource.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ACCEPT_DISCOVERY, type RestClient } from './rest.ts';

export interface ResourceInfo {
  group: string;
  version: string;
  /** The plural: pods, deployments. */
  resource: string;
  kind: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  verbs: string[];
  categories: string[];
}

export interface DiscoveryData {
  /** Group versions in the server's order, preferred version first within a group (`v1`, `apps/v1`). */
  groupVersions: string[];
  /** Every top-level resource, core group first, in discovery order. */
  resources: ResourceInfo[];
}

export class ResourceNotFoundError extends Error {
  override name = 'ResourceNotFoundError';
  constructor(readonly typed: string) {
    super(`the server doesn't have a resource type "${typed}"`);
  }
}

const CACHE_TTL_MS = 6 * 60 * 60 * 1000;

/** kubectl's cache directory: --cache-dir, else $KUBECACHEDIR, else ~/.kube/cache. */
export function cacheDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag ?? env['KUBECACHEDIR'] ?? join(env['HOME'] ?? homedir(), '.kube', 'cache');
}

/** One directory per server, named as kubectl names it (host and port, other characters replaced). */
export function discoveryCachePath(dir: string, host: string): string {
  return join(dir, 'discovery', host.replace(/[^\w/.]/g, '_'), 'skiff-discovery.json');
}

interface AggregatedList {
  kind?: string;
  items?: Array<{
    metadata?: { name?: string };
    versions?: Array<{
      version: string;
      resources?: Array<{
        resource: string;
        responseKind?: { kind?: string };
        scope?: string;
        singularResource?: string;
        shortNames?: string[];
        categories?: string[];
        verbs?: string[];
      }>;
    }>;
  }>;
}

/** Flattens aggregated discovery documents (for /api then /apis). */
export function parseAggregated(lists: AggregatedList[]): DiscoveryData {
  const data: DiscoveryData = { groupVersions: [], resources: [] };
  for (const list of lists) {
    for (const group of list.items ?? []) {
      const name = group.metadata?.name ?? '';
      for (const v of group.versions ?? []) {
        data.groupVersions.push(name ? `${name}/${v.version}` : v.version);
        for (const r of v.resources ?? []) {
          data.resources.push({
            group: name,
            version: v.version,
            resource: r.resource,
            kind: r.responseKind?.kind ?? '',
            singular: r.singularResource ?? (r.responseKind?.kind ?? '').toLowerCase(),
            shortNames: r.shortNames ?? [],
            namespaced: r.scope === 'Namespaced',
            verbs: r.verbs ?? [],
            categories: r.categories ?? [],
          });
        }
      }
    }
  }
  return data;
}

export class Discovery {
  #data: DiscoveryData | undefined;
  #fresh = false;

  constructor(
    readonly rest: RestClient,
    readonly cacheFile: string | undefined,
    readonly now: () => number = Date.now,
  ) {}

  /** The cached document when younger than six hours, else a fresh one. */
  async data(): Promise<DiscoveryData> {
    if (this.#data) return this.#data;
    if (this.cacheFile) {
      try {
        const cached = JSON.parse(readFileSync(this.cacheFile, 'utf8')) as { fetchedAt: number; data: DiscoveryData };
        if (this.now() - cached.fetchedAt < CACHE_TTL_MS && Array.isArray(cached.data?.resources)) return (this.#data = cached.data);
      } catch {
        // no usable cache
      }
    }
    return this.refresh();
  }

  /** Fetches discovery from the server and rewrites the cache. */
  async refresh(): Promise<DiscoveryData> {
    const fetch = (path: string) => this.rest.json<AggregatedList>({ path, accept: ACCEPT_DISCOVERY, query: { timeout: '32s' } });
    const [core, groups] = await Promise.all([fetch('/api'), fetch('/apis')]);
    const data = parseAggregated([core, groups]);
    this.#data = data;
    this.#fresh = true;
    if (this.cacheFile) {
      try {
        mkdirSync(join(this.cacheFile, '..'), { recursive: true });
        const temporary = `${this.cacheFile}.${process.pid}.tmp`;
        writeFileSync(temporary, JSON.stringify({ fetchedAt: this.now(), data }));
        renameSync(temporary, this.cacheFile);
      } catch {
        // a read-only home still works, only slower
      }
    }
    return data;
  }

  /** Resolves a typed resource name; a miss against the cache refetches discovery once, as kubectl does. */
  async resolve(typed: string): Promise<ResourceInfo> {
    const found = resolveResource(await this.data(), typed);
    if (found) return found;
    if (!this.#fresh) {
      const again = resolveResource(await this.refresh(), typed);
      if (again) return again;
    }
    throw new ResourceNotFoundError(typed);
  }
}

const VERSION = /^v\d+(?:(?:alpha|beta)\d+)?$/;

function matches(r: ResourceInfo, name: string): boolean {
  return r.resource === name || r.singular === name || r.kind.toLowerCase() === name || r.shortNames.includes(name);
}

/**
 * kubectl's order: `resource.version.group` when the middle part is a served version, then `resource.group`,
 * where the resource may be a plural, singular, short name or kind; the first match in discovery order wins.
 */
export function resolveResource(data: DiscoveryData, typed: string): ResourceInfo | undefined {
  const lower = typed.toLowerCase();
  const dot = lower.indexOf('.');
  const attempts: Array<{ name: string; group?: string; version?: string }> = [];
  if (dot === -1) attempts.push({ name: lower });
  else {
    const [name, ...rest] = lower.split('.');
    if (rest.length >= 2 && VERSION.test(rest[0]!)) attempts.push({ name: name!, version: rest[0]!, group: rest.slice(1).join('.') });
    attempts.push({ name: name!, group: rest.join('.') });
  }
  for (const a of attempts) {
    const candidates = data.resources.filter((r) => !r.resource.includes('/') && matches(r, a.name) && (a.group === undefined || r.group === a.group) && (a.version === undefined || r.version === a.version));
    // Exact plural names beat other spellings, as the RESTMapper tries resources before kinds.
    const best = candidates.find((r) => r.resource === a.name) ?? candidates[0];
    if (best) return best;
  }
  return undefined;
}

/** kubectl's spelling of a type in messages and -o name: `pod`, `deployment.apps`. */
export function kindString(r: Pick<ResourceInfo, 'kind' | 'group'>): string {
  return r.group ? `${r.kind.toLowerCase()}.${r.group}` : r.kind.toLowerCase();
}

/** kubectl's spelling of a resource in server errors: `pods`, `deployments.apps`. */
export function resourceString(r: Pick<ResourceInfo, 'resource' | 'group'>): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

export function resourcePath(r: Pick<ResourceInfo, 'group' | 'version' | 'resource' | 'namespaced'>, namespace: string | undefined, name?: string, subresource?: string): string {
  let path = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  if (r.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${r.resource}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}
