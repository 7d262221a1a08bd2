// `kubectl create namespace|priorityclass|quota|poddisruptionbudget NAME`.
import { bool, FallbackSignal, str } from '../flags.ts';
import { CommandError, generator, meta, type Obj } from './create-common.ts';

export const createNamespace = generator({
  use: 'create namespace',
  flags: [],
  build(ctx) {
    const obj: Obj = { kind: 'Namespace', apiVersion: 'v1', metadata: meta(ctx.name), spec: {}, status: {} };
    return { obj, target: { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false } };
  },
});

export const createPriorityClass = generator({
  use: 'create priorityclass',
  flags: [
    { name: 'value', type: 'int' },
    { name: 'global-default', type: 'bool' },
    { name: 'description', type: 'string' },
    { name: 'preemption-policy', type: 'string' },
  ],
  build(ctx) {
    const obj: Obj = { kind: 'PriorityClass', apiVersion: 'scheduling.k8s.io/v1', metadata: meta(ctx.name), value: Number(str(ctx.flags, 'value') ?? '0') };
    if (bool(ctx.flags, 'global-default')) obj['globalDefault'] = true;
    const description = str(ctx.flags, 'description');
    if (description) obj['description'] = description;
    obj['preemptionPolicy'] = str(ctx.flags, 'preemption-policy') ?? 'PreemptLowerPriority';
    return { obj, target: { group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses', kind: 'PriorityClass', namespaced: false }, failure: 'failed to create priorityclass: ' };
  },
});

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;

/** `--hard=cpu=1,pods=2` as kubectl's populateResourceListV1 reads it (keys sorted, as a Go map prints). */
export function parseHard(spec: string): Record<string, string> | undefined {
  if (!spec) return undefined;
  const out: Record<string, string> = {};
  for (const statement of spec.split(',')) {
    const parts = statement.split('=');
    if (parts.length !== 2) throw new CommandError(`Invalid argument syntax ${statement}, expected <resource>=<value>`);
    if (!QUANTITY.test(parts[1]!)) throw new CommandError('quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'');
    out[parts[0]!] = parts[1]!;
  }
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]!]));
}

export const createQuota = generator({
  use: 'create quota',
  flags: [
    { name: 'hard', type: 'string' },
    { name: 'scopes', type: 'string' },
  ],
  build(ctx) {
    const spec: Obj = {};
    const hard = parseHard(str(ctx.flags, 'hard') ?? '');
    if (hard) spec['hard'] = hard;
    const scopes = str(ctx.flags, 'scopes') ?? '';
    if (scopes) {
      const list = scopes.split(',');
      if (list.includes('')) throw new CommandError('invalid resource quota scope ""');
      spec['scopes'] = list;
    }
    const obj: Obj = { kind: 'ResourceQuota', apiVersion: 'v1', metadata: meta(ctx.name, ctx.enforceNamespace ? ctx.namespace : undefined), spec, status: {} };
    return { obj, target: { group: '', version: 'v1', resource: 'resourcequotas', kind: 'ResourceQuota', namespaced: true }, failure: 'failed to create quota: ' };
  },
});

/** An equality-only label selector (`a=b,c==d`) as metav1.ParseToLabelSelector makes it. */
export function equalitySelector(text: string): Obj {
  const matchLabels: Record<string, string> = {};
  for (const term of text.split(',')) {
    const m = /^\s*([^=!\s]+)\s*==?\s*([^=!\s]*)\s*$/.exec(term);
    if (!m) throw new FallbackSignal('set-based selector');
    matchLabels[m[1]!] = m[2]!;
  }
  return { matchLabels: Object.fromEntries(Object.keys(matchLabels).sort().map((k) => [k, matchLabels[k]!])) };
}

const intOrPercent = (s: string) => (/^\d+$/.test(s) ? Number(s) : s);

export const createPodDisruptionBudget = generator({
  use: 'create poddisruptionbudget',
  flags: [
    { name: 'min-available', type: 'string' },
    { name: 'max-unavailable', type: 'string' },
    { name: 'selector', type: 'string' },
  ],
  build(ctx) {
    const selector = str(ctx.flags, 'selector') ?? '';
    const min = str(ctx.flags, 'min-available') ?? '';
    const max = str(ctx.flags, 'max-unavailable') ?? '';
    if (!selector) throw new CommandError('a selector must be specified');
    if (!min && !max) throw new CommandError('one of min-available or max-unavailable must be specified');
    if (min && max) throw new CommandError('min-available and max-unavailable cannot be both specified');
    if (min && !/^[0-9]+%?$/.test(min)) throw new CommandError('invalid format specified for min-available');
    if (max && !/^[0-9]+%?$/.test(max)) throw new CommandError('invalid format specified for max-unavailable');
    const spec: Obj = {};
    if (min) spec['minAvailable'] = intOrPercent(min);
    spec['selector'] = equalitySelector(selector);
    if (max) spec['maxUnavailable'] = intOrPercent(max);
    const obj: Obj = {
      kind: 'PodDisruptionBudget',
      apiVersion: 'policy/v1',
      metadata: meta(ctx.name, ctx.enforceNamespace ? ctx.namespace : undefined),
      spec,
      status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 },
    };
    return { obj, target: { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', namespaced: true }, failure: 'failed to create poddisruptionbudgets: ' };
  },
});
