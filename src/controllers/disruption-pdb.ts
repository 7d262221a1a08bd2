// PodDisruptionBudget helpers shared by the disruption controller and the Eviction API (upstream's
// component-helpers/apps/poddisruptionbudget and the bits of apimachinery they lean on). Plain functions, no I/O.
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import type { Condition, LabelSelector } from 'kubernetes-types/meta/v1.d.ts';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.d.ts';
import { matchesLabelSelector } from '../api/labels.ts';

export const DISRUPTION_ALLOWED = 'DisruptionAllowed';
export const SUFFICIENT_PODS = 'SufficientPods';
export const INSUFFICIENT_PODS = 'InsufficientPods';
export const SYNC_FAILED = 'SyncFailed';
/** StatusCause reason of an eviction refused by a budget (policyv1.DisruptionBudgetCause). */
export const DISRUPTION_BUDGET_CAUSE = 'DisruptionBudget';

/** metav1.Time: RFC 3339 at whole seconds. */
export function metaTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function isPodReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** policy/v1 selection: a missing selector selects nothing, an empty one every pod of the namespace. */
export function pdbSelectsPod(pdb: PodDisruptionBudget, pod: Pod): boolean {
  return pdb.metadata?.namespace === pod.metadata?.namespace && matchesLabelSelector(pdb.spec?.selector, pod.metadata?.labels ?? {});
}

/** apimachinery's SetStatusCondition: the transition time moves only when the status does. */
export function setStatusCondition(conditions: Condition[], cond: Omit<Condition, 'lastTransitionTime'>, nowMs: number): Condition[] {
  const out = conditions.map((c) => ({ ...c }));
  const existing = out.find((c) => c.type === cond.type);
  if (!existing) {
    out.push({ ...cond, lastTransitionTime: metaTime(nowMs) });
    return out;
  }
  if (existing.status !== cond.status) {
    existing.status = cond.status;
    existing.lastTransitionTime = metaTime(nowMs);
  }
  existing.reason = cond.reason;
  existing.message = cond.message;
  if (cond.observedGeneration === undefined) delete existing.observedGeneration;
  else existing.observedGeneration = cond.observedGeneration;
  return out;
}

/** The DisruptionAllowed condition that matches status.disruptionsAllowed (pdbhelper.UpdateDisruptionAllowedCondition). */
export function updateDisruptionAllowedCondition(status: PodDisruptionBudgetStatus, nowMs: number): void {
  const allowed = status.disruptionsAllowed > 0;
  const cond: Omit<Condition, 'lastTransitionTime'> = {
    type: DISRUPTION_ALLOWED,
    status: allowed ? 'True' : 'False',
    reason: allowed ? SUFFICIENT_PODS : INSUFFICIENT_PODS,
    message: '',
  };
  if (status.observedGeneration !== undefined) cond.observedGeneration = status.observedGeneration;
  status.conditions = setStatusCondition(status.conditions ?? [], cond, nowMs);
}

export function conditionsAreUpToDate(pdb: PodDisruptionBudget): boolean {
  const status = pdb.status;
  const cond = status?.conditions?.find((c) => c.type === DISRUPTION_ALLOWED);
  if (!cond || (status?.observedGeneration ?? 0) !== (pdb.metadata?.generation ?? 0)) return false;
  if ((status?.disruptionsAllowed ?? 0) > 0) return cond.status === 'True' && cond.reason === SUFFICIENT_PODS;
  return cond.status === 'False' && cond.reason === INSUFFICIENT_PODS;
}

export class IntOrPercentError extends Error {
  override name = 'IntOrPercentError';
}

/** intstr.GetScaledValueFromIntOrPercent: an int as is, a percentage of `total` (rounded up or down). */
export function scaledValue(value: number | string, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  if (!value.endsWith('%')) throw new IntOrPercentError('invalid value for IntOrString: invalid type: string is not a percentage');
  const digits = value.slice(0, -1);
  if (!/^[+-]?\d+$/.test(digits)) throw new IntOrPercentError(`invalid value for IntOrString: invalid value "${value}": strconv.Atoi: parsing "${digits}": invalid syntax`);
  const exact = (Number(digits) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** Go's %v of a *metav1.LabelSelector (its generated String()), as upstream's event messages print it. */
export function goLabelSelectorString(sel: LabelSelector | undefined): string {
  if (!sel) return 'nil';
  const labels = Object.keys(sel.matchLabels ?? {})
    .sort()
    .map((k) => `${k}: ${sel.matchLabels![k]},`)
    .join('');
  const exprs = (sel.matchExpressions ?? []).map((r) => `LabelSelectorRequirement{Key:${r.key},Operator:${r.operator},Values:[${(r.values ?? []).join(' ')}],},`).join('');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`;
}
