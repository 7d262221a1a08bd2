// The downward API's values as kubelet computes them, for downwardAPI volumes and env vars: pod fields
// (upstream's fieldpath.ExtractFieldPathAsString) and container resources with a divisor (resource.ExtractContainerResourceValue).
import type { Container, ObjectFieldSelector, Pod, ResourceFieldSelector } from 'kubernetes-types/core/v1.d.ts';
import { goQuote } from '../../api/goformat.ts';
import { isZeroQuantity, quantityFromJson, quantityMilliValue, quantityValue, type Quantity } from '../../apiserver/quantity.ts';

/** A field or resource the downward API cannot provide; the message is upstream's. */
export class FieldPathError extends Error {
  override name = 'FieldPathError';
}

/** Node resources that stand in for unset container limits (cpu, memory, ephemeral-storage), as quantity strings. */
export type ResourceList = Readonly<Record<string, string | number>>;

/** `k="v"` lines in key order, values quoted as Go's %q (upstream's fieldpath.FormatMap). */
export function formatMap(m: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(m![k]!)}`)
    .join('\n');
}

/** "metadata.labels['app']" → ['metadata.labels', 'app']; undefined when the path has no subscript. */
export function splitSubscriptedPath(fieldPath: string): [path: string, subscript: string] | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const inner = fieldPath.slice(0, -2);
  const at = inner.indexOf("['");
  if (at <= 0) return undefined;
  return [inner.slice(0, at), inner.slice(at + 2)];
}

const SUPPORTED_POD_FIELDS = new Set([
  'metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid',
  'spec.nodeName', 'spec.restartPolicy', 'spec.serviceAccountName', 'spec.schedulerName',
  'status.phase', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
]);

/** Checks the selector's apiVersion and path as upstream's ConvertDownwardAPIFieldLabel; returns the path. */
export function checkPodFieldSelector(selector: ObjectFieldSelector): string {
  const version = selector.apiVersion || 'v1';
  if (version !== 'v1') throw new FieldPathError(`unsupported pod version: ${version}`);
  const path = selector.fieldPath;
  const sub = splitSubscriptedPath(path);
  if (sub && (sub[0] === 'metadata.annotations' || sub[0] === 'metadata.labels')) return path;
  if (!SUPPORTED_POD_FIELDS.has(path)) throw new FieldPathError(`field label not supported: ${path}`);
  return path;
}

/** A metadata field of the pod as a string (upstream's ExtractFieldPathAsString). */
export function extractPodMetadataField(pod: Pod, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  const sub = splitSubscriptedPath(fieldPath);
  if (sub) {
    const [path, key] = sub;
    if (path === 'metadata.annotations') return meta.annotations?.[key] ?? '';
    if (path === 'metadata.labels') return meta.labels?.[key] ?? '';
    throw new FieldPathError(`fieldPath ${goQuote(fieldPath)} does not support subscript`);
  }
  switch (fieldPath) {
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
  }
  throw new FieldPathError(`unsupported fieldPath: ${fieldPath}`);
}

const DEFAULTED_LIMITS = ['cpu', 'memory', 'ephemeral-storage'] as const;

function quantity(v: unknown): Quantity | undefined {
  if (v === undefined) return undefined;
  try {
    return quantityFromJson(v);
  } catch {
    return undefined;
  }
}

/** A copy of the container whose unset (or zero) cpu, memory and ephemeral-storage limits are the node's allocatable (upstream's MergeContainerResourceLimits). */
export function withNodeLimits(container: Container, allocatable: ResourceList): Container {
  const limits: Record<string, string> = { ...(container.resources?.limits ?? {}) };
  for (const name of DEFAULTED_LIMITS) {
    const q = quantity(limits[name]);
    if ((!q || isZeroQuantity(q)) && allocatable[name] !== undefined) limits[name] = String(allocatable[name]);
  }
  return { ...container, resources: { ...(container.resources ?? {}), limits } };
}

function ceilDiv(a: bigint, b: bigint): bigint {
  if (b === 0n) return 0n;
  const q = a / b;
  return (a % b !== 0n && (a < 0n) === (b < 0n)) ? q + 1n : q;
}

/** A container resource in units of the divisor, rounded up (upstream's ExtractContainerResourceValue). */
export function containerResourceValue(selector: ResourceFieldSelector, container: Container): string {
  let divisor = quantity(selector.divisor);
  if (!divisor || isZeroQuantity(divisor)) divisor = quantityFromJson('1');
  const dot = selector.resource.indexOf('.');
  const kind = selector.resource.slice(0, dot);
  const name = selector.resource.slice(dot + 1);
  const list = kind === 'limits' ? container.resources?.limits : kind === 'requests' ? container.resources?.requests : undefined;
  const known = name === 'cpu' || name === 'memory' || name === 'ephemeral-storage' || name.startsWith('hugepages-');
  if (dot < 0 || (kind !== 'limits' && kind !== 'requests') || !known) {
    throw new FieldPathError(`unsupported container resource : ${selector.resource}`);
  }
  const value = quantity(list?.[name]) ?? quantityFromJson('0');
  if (name === 'cpu') return String(ceilDiv(quantityMilliValue(value), quantityMilliValue(divisor)));
  return String(ceilDiv(quantityValue(value), quantityValue(divisor)));
}

/** The named container (or init container) of the pod. */
export function findContainer(pod: Pod, name: string): Container {
  const found = pod.spec?.containers?.find((c) => c.name === name) ?? pod.spec?.initContainers?.find((c) => c.name === name);
  if (!found) throw new FieldPathError(`container ${name} not found`);
  return found;
}

/** A resourceFieldRef naming its container, with unset limits taken from the node (downwardAPI volumes). */
export function resourceValueByContainerName(selector: ResourceFieldSelector, pod: Pod, allocatable: ResourceList): string {
  return containerResourceValue(selector, withNodeLimits(findContainer(pod, selector.containerName ?? ''), allocatable));
}

/**
 * The memory the pod may use in all (upstream's pod cgroup limit): undefined unless every container and init
 * container declares a memory limit; else the larger of the containers' sum (with sidecars) and any one init container's.
 */
export function podMemoryLimit(pod: Pod): bigint | undefined {
  const limitOf = (c: Container) => {
    const q = quantity(c.resources?.limits?.['memory']);
    return q ? quantityValue(q) : undefined;
  };
  let sum = 0n;
  let initMax = 0n;
  let sidecars = 0n;
  for (const c of pod.spec?.initContainers ?? []) {
    const limit = limitOf(c);
    if (limit === undefined) return undefined;
    if (c.restartPolicy === 'Always') {
      sidecars += limit;
      continue;
    }
    if (sidecars + limit > initMax) initMax = sidecars + limit;
  }
  for (const c of pod.spec?.containers ?? []) {
    const limit = limitOf(c);
    if (limit === undefined) return undefined;
    sum += limit;
  }
  sum += sidecars;
  let total = sum > initMax ? sum : initMax;
  const overhead = quantity(pod.spec?.overhead?.['memory']);
  if (overhead) total += quantityValue(overhead);
  return total;
}

/** Downward API file contents keep their lines sorted (annotations and labels). */
export function sortLines(value: string): string {
  return value.split('\n').sort().join('\n');
}
