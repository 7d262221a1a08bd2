// metav1.LabelSelector matching (matchLabels and matchExpressions In, NotIn, Exists, DoesNotExist).
import type { LabelSelector } from 'kubernetes-types/meta/v1.d.ts';

export type Labels = Readonly<Record<string, string>>;

/** An absent selector matches nothing; an empty one matches everything (as LabelSelectorAsSelector). */
export function matchesLabelSelector(sel: LabelSelector | undefined, labels: Labels): boolean {
  if (!sel) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (!Object.hasOwn(labels, k) || labels[k] !== v) return false;
  for (const r of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, r.key);
    const v = labels[r.key] ?? '';
    const values = r.values ?? [];
    switch (r.operator) {
      case 'In':
        if (!has || !values.includes(v)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(v)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** The selector with `key In (value)` added for each matchLabelKeys key the pod has. */
export function withMatchLabelKeys(sel: LabelSelector | undefined, keys: readonly string[] | undefined, podLabels: Labels): LabelSelector | undefined {
  if (!sel || !keys || keys.length === 0) return sel;
  const extra = keys.filter((k) => Object.hasOwn(podLabels, k)).map((k) => ({ key: k, operator: 'In', values: [podLabels[k] ?? ''] }));
  return { ...sel, matchExpressions: [...(sel.matchExpressions ?? []), ...extra] };
}
