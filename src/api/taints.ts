// Taints and tolerations as upstream's core/v1 helpers define them (shared by the scheduler and the controllers).
import type { Taint, Toleration } from 'kubernetes-types/core/v1.d.ts';

/** Toleration.ToleratesTaint: effect and key must match when set; Exists matches any value, Equal (or empty) the same value. */
export function toleratesTaint(tol: Toleration, taint: Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.key && tol.key !== taint.key) return false;
  switch (tol.operator ?? '') {
    case 'Exists':
      return true;
    case '':
    case 'Equal':
      return (tol.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

export function tolerated(taint: Taint, tolerations: readonly Toleration[]): boolean {
  return tolerations.some((t) => toleratesTaint(t, taint));
}
