// What `kubectl auth can-i --list` does with a SelfSubjectRulesReview's rules: break them into single-verb rules,
// merge the simple ones back per resource, sort by the rule's Go String() form and print a four-column table.

export interface PolicyRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

export interface RulesReviewStatus {
  resourceRules?: Array<{ verbs?: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }>;
  nonResourceRules?: Array<{ verbs?: string[]; nonResourceURLs?: string[] }>;
  incomplete?: boolean;
  evaluationError?: string;
}

const rule = (p: Partial<PolicyRule>): PolicyRule => ({ verbs: [], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: [], ...p });

export function rulesFromStatus(status: RulesReviewStatus): PolicyRule[] {
  return [
    ...(status.resourceRules ?? []).map((r) => rule({ verbs: r.verbs ?? [], apiGroups: r.apiGroups ?? [], resources: r.resources ?? [], resourceNames: r.resourceNames ?? [] })),
    ...(status.nonResourceRules ?? []).map((r) => rule({ verbs: r.verbs ?? [], nonResourceURLs: r.nonResourceURLs ?? [] })),
  ];
}

/** rbac BreakdownRule: one verb, one resource, at most one name per rule. */
export function breakdownRule(r: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of r.apiGroups) {
    for (const resource of r.resources) {
      for (const verb of r.verbs) {
        if (r.resourceNames.length) for (const name of r.resourceNames) out.push(rule({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] }));
        else out.push(rule({ apiGroups: [group], resources: [resource], verbs: [verb] }));
      }
    }
  }
  for (const url of r.nonResourceURLs) for (const verb of r.verbs) out.push(rule({ nonResourceURLs: [url], verbs: [verb] }));
  return out;
}

/** rbac CompactRules: single-resource rules that differ only by verb become one rule. */
export function compactRules(rules: PolicyRule[]): PolicyRule[] {
  const compacted: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const r of rules) {
    const isSimple = r.resourceNames.length <= 1 && r.nonResourceURLs.length === 0 && r.apiGroups.length === 1 && r.resources.length === 1;
    if (!isSimple) {
      compacted.push(r);
      continue;
    }
    const key = JSON.stringify([r.apiGroups[0], r.resources[0], r.resourceNames.length > 0, r.resourceNames[0] ?? '']);
    const existing = simple.get(key);
    if (!existing) simple.set(key, { ...r, verbs: [...r.verbs] });
    else for (const v of r.verbs) if (!existing.verbs.includes(v)) existing.verbs.push(v);
  }
  return [...compacted, ...simple.values()];
}

const goList = (l: string[]) => `[${l.join(' ')}]`;

/** The generated PolicyRule.String(), kubectl's sort key. */
export function ruleString(r: PolicyRule): string {
  return `&PolicyRule{Verbs:${goList(r.verbs)},APIGroups:${goList(r.apiGroups)},Resources:${goList(r.resources)},ResourceNames:${goList(r.resourceNames)},NonResourceURLs:${goList(r.nonResourceURLs)},}`;
}

/** describe.CombineResourceGroup: `pods`, `deployments.apps`, `deployments.apps/scale`. */
export function combineResourceGroup(resources: string[], groups: string[]): string {
  if (!resources.length) return '';
  const [resource, sub] = resources[0]!.split(/\/(.*)/s, 2);
  let out = resource!;
  if (groups.length && groups[0]) out += `.${groups[0]}`;
  if (sub !== undefined) out += `/${sub}`;
  return out;
}

/** The tab-separated rows (header first unless `noHeaders`), ready for alignTabs. */
export function accessTable(status: RulesReviewStatus, noHeaders: boolean): string {
  const rules = compactRules(rulesFromStatus(status).flatMap(breakdownRule))
    .map((r, i) => ({ r, key: ruleString(r), i }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i))
    .map((x) => x.r);
  let text = noHeaders ? '' : 'Resources\tNon-Resource URLs\tResource Names\tVerbs\n';
  for (const r of rules) text += `${combineResourceGroup(r.resources, r.apiGroups)}\t${goList(r.nonResourceURLs)}\t${goList(r.resourceNames)}\t${goList(r.verbs)}\n`;
  return text;
}
