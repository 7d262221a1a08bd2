// `kubectl api-resources`: the server's preferred version of every resource, filtered by group, scope, verbs and
// categories, sorted by group (or name or kind), as a table, names, JSON or YAML.
import { bool, FallbackSignal, str, strs, type FlagSpec } from '../flags.ts';
import type { DiscoveryData, ResourceInfo } from '../discovery.ts';
import type { KubectlCommand } from '../main.ts';
import { toGoJson } from '../printers/output.ts';
import { alignTabs } from '../printers/tabwriter.ts';

const flags: FlagSpec[] = [
  { name: 'output', short: 'o', type: 'string' },
  { name: 'no-headers', type: 'bool' },
  { name: 'api-group', type: 'string' },
  { name: 'namespaced', type: 'bool' },
  { name: 'verbs', type: 'strings' },
  { name: 'sort-by', type: 'string' },
  { name: 'cached', type: 'bool' },
  { name: 'categories', type: 'strings' },
];

export interface ApiResourceFilter {
  apiGroup?: string;
  namespaced?: boolean;
  verbs: string[];
  categories: string[];
  sortBy: '' | 'name' | 'kind';
}

/** ServerPreferredResources: per group, each resource once, from the first (preferred) version that serves it. */
export function preferredResources(data: DiscoveryData): ResourceInfo[] {
  const seen = new Set<string>();
  const out: ResourceInfo[] = [];
  for (const r of data.resources) {
    if (r.resource.includes('/')) continue;
    const key = `${r.group}/${r.resource}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r);
  }
  return out;
}

const goCompare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The filters and kubectl's stable sort: by group (or name or kind), ties broken by name. */
export function selectResources(all: ResourceInfo[], f: ApiResourceFilter): ResourceInfo[] {
  const picked = all.filter(
    (r) =>
      r.verbs.length > 0 &&
      (f.apiGroup === undefined || r.group === f.apiGroup) &&
      (f.namespaced === undefined || r.namespaced === f.namespaced) &&
      f.verbs.every((v) => r.verbs.includes(v)) &&
      f.categories.every((c) => r.categories.includes(c)),
  );
  const key = (r: ResourceInfo) => (f.sortBy === 'name' ? r.resource : f.sortBy === 'kind' ? r.kind : r.group);
  return picked
    .map((r, i) => ({ r, i }))
    .sort((x, y) => goCompare(key(x.r), key(y.r)) || goCompare(x.r.resource, y.r.resource) || x.i - y.i)
    .map((x) => x.r);
}

/** metav1.APIResource as Go encodes it (struct field order, empty fields left out). */
function apiResourceJson(r: ResourceInfo): Record<string, unknown> {
  const o: Record<string, unknown> = { name: r.resource, singularName: r.singular, namespaced: r.namespaced };
  if (r.group) o['group'] = r.group;
  if (r.version) o['version'] = r.version;
  o['kind'] = r.kind;
  o['verbs'] = r.verbs;
  if (r.shortNames.length) o['shortNames'] = r.shortNames;
  if (r.categories.length) o['categories'] = r.categories;
  return o;
}

export function formatApiResources(resources: ResourceInfo[], output: string, noHeaders: boolean): string {
  if (output === 'name') return resources.map((r) => (r.group ? `${r.resource}.${r.group}\n` : `${r.resource}\n`)).join('');
  const wide = output === 'wide';
  let text = '';
  if (!noHeaders) text += wide ? 'NAME\tSHORTNAMES\tAPIVERSION\tNAMESPACED\tKIND\tVERBS\tCATEGORIES\n' : 'NAME\tSHORTNAMES\tAPIVERSION\tNAMESPACED\tKIND\n';
  for (const r of resources) {
    const cells = [r.resource, r.shortNames.join(','), r.group ? `${r.group}/${r.version}` : r.version, String(r.namespaced), r.kind];
    if (wide) cells.push(r.verbs.join(','), r.categories.join(','));
    text += `${cells.join('\t')}\n`;
  }
  return alignTabs(text);
}

export const apiResourcesCommand: KubectlCommand = {
  flags,
  async run(session, args) {
    const f = session.flags;
    const output = str(f, 'output') ?? '';
    if (args.length) {
      session.io.stderr(`error: unexpected arguments: [${args.join(' ')}]\nSee 'kubectl api-resources -h' for help and examples\n`);
      return 1;
    }
    if (output === 'kyaml') throw new FallbackSignal('kyaml');
    if (!['', 'wide', 'name', 'json', 'yaml'].includes(output)) {
      throw new Error(`unable to match a printer suitable for the output format "${output}", allowed formats are: json,kyaml,name,wide,yaml`);
    }
    const sortBy = str(f, 'sort-by') ?? '';
    if (sortBy !== '' && sortBy !== 'name' && sortBy !== 'kind') throw new Error('--sort-by accepts only name or kind');
    const discovery = session.discovery();
    const data = bool(f, 'cached') ? await discovery.data() : await discovery.refresh();
    const filter: ApiResourceFilter = { verbs: strs(f, 'verbs'), categories: strs(f, 'categories'), sortBy };
    const group = str(f, 'api-group');
    if (group !== undefined) filter.apiGroup = group;
    if (f.has('namespaced')) filter.namespaced = bool(f, 'namespaced');
    const resources = selectResources(preferredResources(data), filter);
    if (output === 'json' || output === 'yaml') {
      const list = { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: '', resources: resources.length ? resources.map(apiResourceJson) : null };
      session.io.stdout(output === 'json' ? `${toGoJson(list, false)}\n` : (await import('../printers/yaml.ts')).toGoYaml(list));
      return 0;
    }
    const text = formatApiResources(resources, output, bool(f, 'no-headers'));
    if (text) session.io.stdout(text);
    return 0;
  },
};
