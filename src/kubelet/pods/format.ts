// Small formatting helpers the pod workers share: how kubelet names a pod in messages, how Go prints durations, how
// the API prints times, and the object reference events carry.
import type { Container, Pod } from 'kubernetes-types/core/v1.d.ts';
import type { KubeObject } from '../../client/client.ts';

/** kubelet's format.Pod: `name_namespace(uid)`. */
export function podFullName(pod: Pod): string {
  const m = pod.metadata ?? {};
  return `${m.name ?? ''}_${m.namespace ?? ''}(${m.uid ?? ''})`;
}

/** The API's time format (metav1.Time): RFC 3339, whole seconds, UTC. */
export function apiTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** CRI timestamps are nanoseconds since the epoch. */
export function nanosToMs(ns: bigint): number {
  return Number(ns / 1_000_000n);
}

function trimFraction(n: number, digits: number): string {
  return n.toFixed(digits).replace(/\.?0+$/, '');
}

/** Go's time.Duration.String() for a whole number of milliseconds: "313ms", "1.393s", "2m40s", "1h0m0s". */
export function goDuration(ms: number): string {
  const whole = Math.max(0, Math.round(ms));
  if (whole === 0) return '0s';
  if (whole < 1000) return `${whole}ms`;
  const hours = Math.floor(whole / 3_600_000);
  const minutes = Math.floor((whole % 3_600_000) / 60_000);
  const seconds = trimFraction((whole % 60_000) / 1000, 3) || '0';
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** The Pod as events refer to it (lists leave kind and apiVersion out). */
export function podReference(pod: Pod): KubeObject {
  const m = pod.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: m.name ?? '', namespace: m.namespace ?? '', ...(m.uid && { uid: m.uid }) },
  };
}

/** kubelet's container fieldPath for events: spec.containers{name} or spec.initContainers{name}. */
export function containerFieldPath(pod: Pod, container: Container): string {
  const init = pod.spec?.initContainers?.some((c) => c.name === container.name) ?? false;
  return `${init ? 'spec.initContainers' : 'spec.containers'}{${container.name}}`;
}

/** The container of `pod` named `name`, init containers included. */
export function containerSpec(pod: Pod, name: string): Container | undefined {
  return pod.spec?.containers?.find((c) => c.name === name) ?? pod.spec?.initContainers?.find((c) => c.name === name);
}

/** An init container with restartPolicy Always runs beside the app containers (a sidecar). */
export function isSidecar(container: Container): boolean {
  return container.restartPolicy === 'Always';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
