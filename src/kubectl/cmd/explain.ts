// `kubectl explain TYPE[.field.path]`: the resource's schema from the server's /openapi/v3 document for its group
// version, rendered as kubectl 1.35's plaintext template renders it. plaintext-openapiv2 is left to the real kubectl.
import { bool, FallbackSignal, str, type FlagSpec } from '../flags.ts';
import type { DiscoveryData, ResourceInfo } from '../discovery.ts';
import type { KubectlCommand } from '../main.ts';
import type { Session } from '../session.ts';
import { renderPlaintext, type Gvr } from './explain-render.ts';

const flags: FlagSpec[] = [
  { name: 'recursive', type: 'bool' },
  { name: 'api-version', type: 'string' },
  { name: 'output', short: 'o', type: 'string' },
];

/** The RESTMapper's ResourcesFor a bare name: every served resource it names, preferred versions first. */
export function resourcesFor(data: DiscoveryData, typed: string): ResourceInfo[] {
  const name = typed.toLowerCase();
  const seen = new Set<string>();
  const out: ResourceInfo[] = [];
  const matching = data.resources.filter((r) => !r.resource.includes('/') && (r.resource === name || r.singular === name || r.shortNames.includes(name) || r.kind.toLowerCase() === name));
  // Exact plural or singular names beat short names, as the shortcut expander only rewrites names that are not resources.
  const exact = matching.filter((r) => r.resource === name || r.singular === name);
  for (const r of exact.length ? exact : matching) {
    const key = `${r.group}/${r.version}/${r.resource}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r);
  }
  return out;
}

/** SplitAndParseResourceRequestWithMatchingPrefix: the resource, then the field path after it. */
export function splitExplainArg(data: DiscoveryData, arg: string, matchPrefix: boolean): { resource: ResourceInfo; fields: string[] } | undefined {
  const trimmed = arg.endsWith('.') ? arg.slice(0, -1) : arg;
  const [first, ...rest] = trimmed.split('.');
  const candidates = resourcesFor(data, first!);
  if (!candidates.length) return undefined;
  if (matchPrefix) {
    for (const r of candidates) {
      const groupResource = r.group ? `${r.resource}.${r.group}` : r.resource;
      if (arg.startsWith(groupResource)) {
        return { resource: r, fields: arg.slice(groupResource.length).split('.').filter((f) => f !== '') };
      }
    }
  }
  return { resource: candidates[0]!, fields: rest };
}

/** Other groups' resources with the same short name: the RESTMapper warns that they lose. */
export function shortNameRivals(data: DiscoveryData, typed: string, chosen: ResourceInfo): string[] {
  const name = typed.toLowerCase();
  if (!chosen.shortNames.includes(name) || chosen.resource === name || chosen.singular === name) return [];
  const rivals = new Set<string>();
  for (const r of data.resources) {
    if (r.group === chosen.group || r.resource.includes('/') || !r.shortNames.includes(name)) continue;
    rivals.add(`${r.resource}.${r.group || ''}`.replace(/\.$/, ''));
  }
  return [...rivals];
}

async function groupVersionDocument(session: Session, gvr: Gvr): Promise<Record<string, any> | string> {
  const rest = session.rest();
  const index = await rest.json<{ paths?: Record<string, { serverRelativeURL?: string }> }>({ path: '/openapi/v3' });
  const key = gvr.group ? `apis/${gvr.group}/${gvr.version}` : `api/${gvr.version}`;
  const entry = index.paths?.[key];
  if (!entry?.serverRelativeURL) return `error: couldn't find resource for "${gvr.group}/${gvr.version}, Resource=${gvr.resource}"`;
  const url = new URL(entry.serverRelativeURL, 'http://server');
  return rest.json<Record<string, any>>({ path: url.pathname, query: Object.fromEntries(url.searchParams) });
}

export const explainCommand: KubectlCommand = {
  flags,
  async run(session, args) {
    const f = session.flags;
    const format = str(f, 'output') ?? 'plaintext';
    const recursive = bool(f, 'recursive');
    const fail = (message: string) => {
      session.io.stderr(`${message}\n`);
      return 1;
    };
    if (args.length === 0) return fail('error: You must specify the type of resource to explain. Use "kubectl api-resources" for a complete list of supported resources.');
    if (args.length > 1) return fail('error: We accept only this format: explain RESOURCE');
    const apiVersion = str(f, 'api-version') ?? '';
    const discovery = session.discovery();
    let split = splitExplainArg(await discovery.data(), args[0]!, apiVersion === '');
    if (!split) split = splitExplainArg(await discovery.refresh(), args[0]!, apiVersion === '');
    if (!split) return fail(`the server doesn't have a resource type "${args[0]!.split('.')[0]}"`);
    for (const other of shortNameRivals(await discovery.data(), args[0]!.split('.')[0]!, split.resource)) {
      session.io.stderr(`Warning: short name "${args[0]!.split('.')[0]}" could also match lower priority resource ${other}\n`);
    }
    const gvr: Gvr = { group: split.resource.group, version: split.resource.version, resource: split.resource.resource };
    if (apiVersion) {
      const slash = apiVersion.indexOf('/');
      if (apiVersion.split('/').length > 2) return fail(`error: unexpected GroupVersion string: ${apiVersion}`);
      gvr.group = slash === -1 ? '' : apiVersion.slice(0, slash);
      gvr.version = slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
    }
    if (format === 'plaintext-openapiv2') {
      // Only the answer for a kind the v2 document does not describe is Skiff's; rendering a v2 schema is not.
      const v2 = await session.rest().json<{ definitions?: Record<string, { 'x-kubernetes-group-version-kind'?: Array<Record<string, string>> }> }>({ path: '/openapi/v2', query: { timeout: '32s' } });
      const kind = split.resource.kind;
      const described = Object.values(v2.definitions ?? {}).some((d) => (d['x-kubernetes-group-version-kind'] ?? []).some((k) => k['group'] === gvr.group && k['version'] === gvr.version && k['kind'] === kind));
      if (described) throw new FallbackSignal('plaintext-openapiv2');
      return fail(`error: couldn't find resource for "${gvr.group}/${gvr.version}, Kind=${kind}"`);
    }
    const doc = await groupVersionDocument(session, gvr);
    if (typeof doc === 'string') return fail(doc);
    if (format !== 'plaintext') return fail(`error: unrecognized format: ${format}`);
    const { out, error } = renderPlaintext(doc, gvr, { fieldPath: split.fields, recursive, maxDepth: 0 });
    if (out) session.io.stdout(out);
    if (error) return fail(error);
    return 0;
  },
};
