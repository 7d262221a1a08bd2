// The resource registry: every served resource, looked up by group/version/plural or by kind.
import { allResourceTypes } from './groups/index.ts';
import { tableFor } from './tables/index.ts';
import type { ResourceType, TableConvertor } from './types.ts';

export interface GroupVersion {
  group: string;
  version: string;
}

export class Registry {
  readonly #byPath = new Map<string, ResourceType>();
  readonly #byKind = new Map<string, ResourceType>();
  readonly #tables = new Map<ResourceType, TableConvertor>();
  /** Groups in discovery order, each with its versions (preferred first). */
  readonly groups: Array<{ name: string; versions: string[] }> = [];

  constructor(types: ResourceType[]) {
    for (const t of types) this.add(t);
  }

  add(t: ResourceType): void {
    this.#byPath.set(pathKey(t.group, t.version, t.plural), t);
    this.#byKind.set(pathKey(t.group, t.version, t.kind), t);
    let g = this.groups.find((x) => x.name === t.group);
    if (!g) {
      g = { name: t.group, versions: [] };
      this.groups.push(g);
    }
    if (!g.versions.includes(t.version)) g.versions.push(t.version);
  }

  /** Stop serving a resource (its CustomResourceDefinition changed or went away). */
  remove(t: ResourceType): void {
    if (this.#byPath.get(pathKey(t.group, t.version, t.plural)) !== t) return;
    this.#byPath.delete(pathKey(t.group, t.version, t.plural));
    this.#byKind.delete(pathKey(t.group, t.version, t.kind));
    this.#tables.delete(t);
    const g = this.groups.find((x) => x.name === t.group);
    if (!g || this.resources(t.group, t.version).length) return;
    g.versions = g.versions.filter((v) => v !== t.version);
    if (!g.versions.length) this.groups.splice(this.groups.indexOf(g), 1);
  }

  get(group: string, version: string, plural: string): ResourceType | undefined {
    return this.#byPath.get(pathKey(group, version, plural));
  }

  byKind(group: string, version: string, kind: string): ResourceType | undefined {
    return this.#byKind.get(pathKey(group, version, kind));
  }

  resources(group: string, version: string): ResourceType[] {
    return [...this.#byPath.values()].filter((t) => t.group === group && t.version === version);
  }

  all(): ResourceType[] {
    return [...this.#byPath.values()];
  }

  table(t: ResourceType): TableConvertor {
    let table = this.#tables.get(t);
    if (!table) {
      table = t.table ?? tableFor(t.group, t.plural);
      this.#tables.set(t, table);
    }
    return table;
  }
}

function pathKey(group: string, version: string, name: string): string {
  return `${group}/${version}/${name}`;
}

export function apiVersionOf(t: GroupVersion): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

/** The storage key prefix of a resource: /registry/<resource>/ (upstream's layout). */
export function storagePrefix(t: ResourceType): string {
  return `/registry/${t.storageResource ?? (t.group && !isBuiltinGroup(t.group) ? `${t.group}/${t.plural}` : t.plural)}/`;
}

function isBuiltinGroup(group: string): boolean {
  return !group.includes('.') || group.endsWith('.k8s.io');
}

export function objectKey(t: ResourceType, namespace: string | undefined, name: string): string {
  return t.namespaced ? `${storagePrefix(t)}${namespace}/${name}` : `${storagePrefix(t)}${name}`;
}

export function newRegistry(): Registry {
  return new Registry(allResourceTypes);
}
