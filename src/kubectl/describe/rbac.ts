// Describers for Roles and ClusterRoles (rules broken down to one verb each, then compacted, as kubectl shows them)
// and for RoleBindings and ClusterRoleBindings.
import { type Describer, type Fields, tabbed } from './context.ts';
import { goList, printAnnotations, printLabels } from './writer.ts';

interface Rule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

const rule = (r: Partial<Rule>): Rule => ({ verbs: [], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: [], ...r });

/** One rule per group, resource, verb and resource name; one per URL and verb. */
function breakdown(r: Fields): Rule[] {
  const out: Rule[] = [];
  const verbs: string[] = r['verbs'] ?? [];
  const names: string[] = r['resourceNames'] ?? [];
  for (const group of r['apiGroups'] ?? []) {
    for (const resource of r['resources'] ?? []) {
      for (const verb of verbs) {
        if (names.length) for (const name of names) out.push(rule({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] }));
        else out.push(rule({ apiGroups: [group], resources: [resource], verbs: [verb] }));
      }
    }
  }
  for (const url of r['nonResourceURLs'] ?? []) for (const verb of verbs) out.push(rule({ nonResourceURLs: [url], verbs: [verb] }));
  return out;
}

/** Rules for one group, resource and (at most one) name merged into one with all their verbs. */
function compact(rules: Rule[]): Rule[] {
  const out: Rule[] = [];
  const simple = new Map<string, Rule>();
  for (const r of rules) {
    const isSimple = r.resourceNames.length <= 1 && r.nonResourceURLs.length === 0 && r.apiGroups.length === 1 && r.resources.length === 1;
    if (!isSimple) {
      out.push(r);
      continue;
    }
    const key = JSON.stringify([r.apiGroups[0], r.resources[0], r.resourceNames.length > 0, r.resourceNames[0] ?? '']);
    const existing = simple.get(key);
    if (!existing) simple.set(key, { ...r, verbs: [...r.verbs] });
    else for (const v of r.verbs) if (!existing.verbs.includes(v)) existing.verbs.push(v);
  }
  return [...out, ...simple.values()];
}

/** PolicyRule.String(), the key kubectl sorts rules by. */
const ruleString = (r: Rule) =>
  `&PolicyRule{Verbs:${goList(r.verbs)},APIGroups:${goList(r.apiGroups)},Resources:${goList(r.resources)},ResourceNames:${goList(r.resourceNames)},NonResourceURLs:${goList(r.nonResourceURLs)},}`;

function resourceWithGroup(resources: string[], groups: string[]): string {
  if (resources.length === 0) return '';
  const [resource, sub] = resources[0]!.split(/\/(.*)/s);
  let out = resource!;
  if (groups.length && groups[0]) out += `.${groups[0]}`;
  if (sub !== undefined) out += `/${sub}`;
  return out;
}

export const describeRole: Describer = async (_ctx, { obj }) => {
  const rules = compact(((obj['rules'] ?? []) as Fields[]).flatMap(breakdown));
  const keyed = rules.map((r, i) => ({ r, k: ruleString(r), i })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i));
  return tabbed((w) => {
    const meta = obj['metadata'] ?? {};
    w.write(0, `Name:\t${meta.name ?? ''}\n`);
    printLabels(w, 'Labels', meta.labels);
    printAnnotations(w, 'Annotations', meta.annotations);
    w.write(0, 'PolicyRule:\n');
    w.write(1, 'Resources\tNon-Resource URLs\tResource Names\tVerbs\n');
    w.write(1, '---------\t-----------------\t--------------\t-----\n');
    for (const { r } of keyed) w.write(1, `${resourceWithGroup(r.resources, r.apiGroups)}\t${goList(r.nonResourceURLs)}\t${goList(r.resourceNames)}\t${goList(r.verbs)}\n`);
  });
};

export const describeBinding: Describer = async (_ctx, { obj }) =>
  tabbed((w) => {
    const meta = obj['metadata'] ?? {};
    w.write(0, `Name:\t${meta.name ?? ''}\n`);
    printLabels(w, 'Labels', meta.labels);
    printAnnotations(w, 'Annotations', meta.annotations);
    w.write(0, 'Role:\n');
    w.write(1, `Kind:\t${obj['roleRef']?.kind ?? ''}\n`);
    w.write(1, `Name:\t${obj['roleRef']?.name ?? ''}\n`);
    w.write(0, 'Subjects:\n');
    w.write(1, 'Kind\tName\tNamespace\n');
    w.write(1, '----\t----\t---------\n');
    for (const s of obj['subjects'] ?? []) w.write(1, `${s.kind ?? ''}\t${s.name ?? ''}\t${s.namespace ?? ''}\n`);
  });
