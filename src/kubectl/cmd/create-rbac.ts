// `kubectl create role|clusterrole|rolebinding|clusterrolebinding|serviceaccount NAME`.
import { str } from '../flags.ts';
import { resolveResource, type DiscoveryData } from '../discovery.ts';
import type { CreateContext } from './create-common.ts';
import { CommandError, PlainError, generator, keyValueArray, list, meta, type Obj } from './create-common.ts';

const RBAC = 'rbac.authorization.k8s.io';
const target = (resource: string, kind: string, namespaced: boolean) => ({ group: RBAC, version: 'v1', resource, kind, namespaced });

const RESOURCE_VERBS = ['*', 'get', 'delete', 'list', 'create', 'update', 'patch', 'watch', 'proxy', 'deletecollection', 'use', 'bind', 'escalate', 'impersonate'];
const NON_RESOURCE_VERBS = ['*', 'get', 'post', 'put', 'delete', 'patch', 'head', 'options'];
/** Verbs that only make sense on some resources. */
const SPECIAL_VERBS: Record<string, Array<[group: string, resource: string]>> = {
  use: [
    ['policy', 'podsecuritypolicies'],
    ['extensions', 'podsecuritypolicies'],
  ],
  bind: [
    [RBAC, 'roles'],
    [RBAC, 'clusterroles'],
  ],
  escalate: [
    [RBAC, 'roles'],
    [RBAC, 'clusterroles'],
  ],
  impersonate: [
    ['', 'users'],
    ['', 'serviceaccounts'],
    ['', 'groups'],
    ['authentication.k8s.io', 'userextras'],
  ],
};

interface ResourceOption {
  resource: string;
  group: string;
  subresource: string;
}

const unique = (xs: string[]) => [...new Set(xs)];

/** `--verb` deduplicated, `*` alone when present. */
export function parseVerbs(verbs: string[]): string[] {
  return verbs.includes('*') ? ['*'] : unique(verbs);
}

/** `--resource=pods,deployments.apps,pods/log`: resource.group/subresource; a bare `*` stands alone. */
export function parseResources(specs: string[]): ResourceOption[] {
  const out: ResourceOption[] = [];
  for (const spec of specs) {
    const slash = spec.indexOf('/');
    const head = slash === -1 ? spec : spec.slice(0, slash);
    const dot = head.indexOf('.');
    const r: ResourceOption = { resource: dot === -1 ? head : head.slice(0, dot), group: dot === -1 ? '' : head.slice(dot + 1), subresource: slash === -1 ? '' : spec.slice(slash + 1) };
    if (r.resource === '*' && dot === -1 && slash === -1) return [r];
    out.push(r);
  }
  return out;
}

function mapResource(data: DiscoveryData, r: ResourceOption): { group: string; resource: string } | undefined {
  const found = resolveResource(data, r.group ? `${r.resource}.${r.group}` : r.resource);
  return found && (found.resource === r.resource || found.singular === r.resource || found.shortNames.includes(r.resource)) ? { group: found.group, resource: found.resource } : undefined;
}

function validateResources(data: DiscoveryData, verbs: string[], resources: ResourceOption[]): void {
  for (const r of resources) {
    if (!r.resource) throw new CommandError('resource must be specified if apiGroup/subresource specified');
    if (r.resource === '*') return;
    const mapped = mapResource(data, r);
    const gr = mapped ?? { group: r.group, resource: r.resource };
    let ok = mapped !== undefined;
    for (const v of verbs) {
      const special = SPECIAL_VERBS[v];
      if (!special) continue;
      if (!special.some(([g, res]) => g === gr.group && res === gr.resource)) throw new CommandError(`can not perform '${v}' on '${gr.resource}' in group '${gr.group}'`);
      ok = true;
    }
    if (!ok) throw new PlainError(`the server doesn't have a resource type "${r.group ? `${r.resource}.${r.group}` : r.resource}"`);
  }
}

/** One rule per API group (groups sorted), then one for the non-resource URLs. */
export function policyRules(data: DiscoveryData, verbs: string[], resources: ResourceOption[], resourceNames: string[], nonResourceURLs: string[]): Obj[] {
  const byGroup = new Map<string, string[]>();
  for (const r of resources) {
    const mapped = mapResource(data, r) ?? { group: r.group, resource: r.resource };
    const name = r.subresource ? `${mapped.resource}/${r.subresource}` : mapped.resource;
    const list = byGroup.get(mapped.group) ?? [];
    if (!list.includes(name)) list.push(name);
    byGroup.set(mapped.group, list);
  }
  const rules: Obj[] = [...byGroup.keys()].sort().map((g) => {
    const rule: Obj = { verbs, apiGroups: [g], resources: byGroup.get(g) };
    if (resourceNames.length) rule['resourceNames'] = resourceNames;
    return rule;
  });
  if (nonResourceURLs.length) rules.push({ verbs, nonResourceURLs });
  return rules;
}

const ruleFlags = [
  { name: 'verb', type: 'strings' as const },
  { name: 'resource', type: 'strings' as const },
  { name: 'resource-name', type: 'array' as const },
];

function warnVerbs(ctx: CreateContext, verbs: string[]): void {
  for (const v of verbs) if (!RESOURCE_VERBS.includes(v)) ctx.session.io.stderr(`Warning: '${v}' is not a standard resource verb\n`);
}

export const createRole = generator({
  use: 'create role',
  flags: ruleFlags,
  async build(ctx) {
    const verbs = parseVerbs(list(ctx.flags, 'verb'));
    const resources = parseResources(list(ctx.flags, 'resource'));
    const names = unique(list(ctx.flags, 'resource-name'));
    if (!verbs.length) throw new CommandError('at least one verb must be specified');
    warnVerbs(ctx, verbs);
    if (!resources.length) throw new CommandError('at least one resource must be specified');
    const data = await ctx.session.discovery().data();
    validateResources(data, verbs, resources);
    const obj: Obj = { kind: 'Role', apiVersion: `${RBAC}/v1`, metadata: meta(ctx.name, ctx.enforceNamespace ? ctx.namespace : undefined), rules: policyRules(data, verbs, resources, names, []) };
    return { obj, target: target('roles', 'Role', true) };
  },
});

export const createClusterRole = generator({
  use: 'create clusterrole',
  flags: [...ruleFlags, { name: 'non-resource-url', type: 'strings' }, { name: 'aggregation-rule', type: 'strings' }],
  async build(ctx) {
    const verbs = parseVerbs(list(ctx.flags, 'verb'));
    const resources = parseResources(list(ctx.flags, 'resource'));
    const names = unique(list(ctx.flags, 'resource-name'));
    const urls = unique(list(ctx.flags, 'non-resource-url'));
    const aggregation = Object.fromEntries(
      keyValueArray(ctx.flags, 'aggregation-rule')
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const)
        .sort(([a], [b]) => (a < b ? -1 : 1)),
    );
    const tgt = target('clusterroles', 'ClusterRole', false);
    if (Object.keys(aggregation).length) {
      if (urls.length || verbs.length || resources.length || names.length) throw new CommandError('aggregation rule must be specified without nonResourceURLs, verbs, resources or resourceNames');
      return { obj: { kind: 'ClusterRole', apiVersion: `${RBAC}/v1`, metadata: meta(ctx.name), rules: null, aggregationRule: { clusterRoleSelectors: [{ matchLabels: aggregation }] } }, target: tgt };
    }
    if (!verbs.length) throw new CommandError('at least one verb must be specified');
    if (!resources.length && !urls.length) throw new CommandError('one of resource or nonResourceURL must be specified');
    const data = await ctx.session.discovery().data();
    if (resources.length) {
      warnVerbs(ctx, verbs);
      validateResources(data, verbs, resources);
    }
    if (urls.length) {
      for (const v of verbs) if (!NON_RESOURCE_VERBS.includes(v)) throw new CommandError(`invalid verb: '${v}' for nonResourceURL`);
      for (const u of urls) {
        if (u === '*') continue;
        if (!u.startsWith('/')) throw new CommandError('nonResourceURL should start with /');
        if (u.slice(0, -1).includes('*')) throw new CommandError("nonResourceURL only supports wildcard matches when '*' is at the end");
      }
    }
    return { obj: { kind: 'ClusterRole', apiVersion: `${RBAC}/v1`, metadata: meta(ctx.name), rules: policyRules(data, verbs, resources, names, urls) }, target: tgt };
  },
});

/** Users, groups, then service accounts (`namespace:name`), as kubectl orders subjects. */
export function subjects(users: string[], groups: string[], serviceAccounts: string[]): Obj[] {
  const out: Obj[] = [];
  for (const name of users) out.push({ kind: 'User', apiGroup: RBAC, name });
  for (const name of groups) out.push({ kind: 'Group', apiGroup: RBAC, name });
  for (const sa of serviceAccounts) {
    const parts = sa.split(':');
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw new CommandError('serviceaccount must be <namespace>:<name>');
    out.push({ kind: 'ServiceAccount', name: parts[1], namespace: parts[0] });
  }
  return out;
}

const bindingFlags = [
  { name: 'clusterrole', type: 'string' as const },
  { name: 'user', type: 'array' as const },
  { name: 'group', type: 'array' as const },
  { name: 'serviceaccount', type: 'array' as const },
];

function binding(kind: 'RoleBinding' | 'ClusterRoleBinding', metadata: Obj, roleKind: string, roleName: string, ctx: CreateContext): Obj {
  const obj: Obj = { kind, apiVersion: `${RBAC}/v1`, metadata };
  const subs = subjects(list(ctx.flags, 'user'), list(ctx.flags, 'group'), list(ctx.flags, 'serviceaccount'));
  if (subs.length) obj['subjects'] = subs;
  obj['roleRef'] = { apiGroup: RBAC, kind: roleKind, name: roleName };
  return obj;
}

export const createRoleBinding = generator({
  use: 'create rolebinding',
  flags: [...bindingFlags, { name: 'role', type: 'string' }],
  build(ctx) {
    const clusterRole = str(ctx.flags, 'clusterrole') ?? '';
    const role = str(ctx.flags, 'role') ?? '';
    if (!clusterRole === !role) throw new CommandError('exactly one of clusterrole or role must be specified');
    const obj = binding('RoleBinding', meta(ctx.name, ctx.enforceNamespace ? ctx.namespace : undefined), role ? 'Role' : 'ClusterRole', role || clusterRole, ctx);
    return { obj, target: target('rolebindings', 'RoleBinding', true), failure: 'failed to create rolebinding: ' };
  },
});

export const createClusterRoleBinding = generator({
  use: 'create clusterrolebinding',
  flags: bindingFlags,
  required: ['clusterrole'],
  build(ctx) {
    const obj = binding('ClusterRoleBinding', meta(ctx.name), 'ClusterRole', str(ctx.flags, 'clusterrole') ?? '', ctx);
    return { obj, target: target('clusterrolebindings', 'ClusterRoleBinding', false), failure: 'failed to create clusterrolebinding: ' };
  },
});

export const createServiceAccount = generator({
  use: 'create serviceaccount',
  flags: [],
  build(ctx) {
    const obj: Obj = { kind: 'ServiceAccount', apiVersion: 'v1', metadata: meta(ctx.name, ctx.enforceNamespace ? ctx.namespace : undefined) };
    return { obj, target: { group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true }, failure: 'failed to create serviceaccount: ' };
  },
});
