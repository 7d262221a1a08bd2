// Which pod and container exec, attach, port-forward and cp talk to, chosen as kubectl chooses: `NAME` is a pod,
// `TYPE/NAME` is resolved through discovery and, when not a pod, stands for the most active pod its selector matches
// (polymorphichelpers.AttachablePodForObject); the container is -c, else the default-container annotation, else the
// first one (with a note when there were others). kubectl 1.35.2 is the reference throughout.
import type { Container, Pod } from 'kubernetes-types/core/v1.d.ts';
import { resourcePath } from '../discovery.ts';
import { tryParseGoDuration } from '../goduration.ts';
import type { Session } from '../session.ts';

type Fields = Record<string, any>;

export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/** A failure kubectl prints as `error: <message>`. */
export class PodSelectionError extends Error {
  override name = 'PodSelectionError';
}


/**
 * The --pod-running-timeout value in ms, or what kubectl says about it: a flag error for a value that is not a
 * duration (`See 'kubectl exec --help' for usage.`), a usage error for one not above zero.
 */
export function podRunningTimeout(value: string | undefined): number | { flag: string } | { usage: string } {
  if (value === undefined) return 60_000;
  const ms = tryParseGoDuration(value);
  if (ms === undefined) return { flag: `invalid argument "${value}" for "--pod-running-timeout" flag: time: invalid duration "${value}"` };
  if (ms <= 0) return { usage: '--pod-running-timeout must be higher than zero' };
  return ms;
}

// ---- label selectors, as metav1.LabelSelectorAsSelector prints them ----

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

export function selectorString(selector: LabelSelector | undefined): string {
  const parts: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) parts.push([k, `${k}=${v}`]);
  for (const e of selector?.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    if (e.operator === 'In') parts.push([e.key, `${e.key} in (${values})`]);
    else if (e.operator === 'NotIn') parts.push([e.key, `${e.key} notin (${values})`]);
    else if (e.operator === 'Exists') parts.push([e.key, e.key]);
    else if (e.operator === 'DoesNotExist') parts.push([e.key, `!${e.key}`]);
  }
  return parts
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map((p) => p[1])
    .join(',');
}

/** The pods an object stands for (SelectorsForObject), as a label selector string. */
export function selectorForObject(obj: Fields): string {
  const kind = String(obj['kind'] ?? '');
  const spec = obj['spec'] ?? {};
  const name = obj['metadata']?.name ?? '';
  switch (kind) {
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Deployment':
    case 'Job':
      return selectorString(spec.selector);
    case 'ReplicationController':
      return selectorString({ matchLabels: spec.selector ?? {} });
    case 'Service':
      if (!spec.selector || Object.keys(spec.selector).length === 0) throw new PodSelectionError(`cannot attach to *v1.Service: invalid service '${name}': Service is defined without a selector`);
      return selectorString({ matchLabels: spec.selector });
    default: {
      const version = String(obj['apiVersion'] ?? 'v1').split('/').pop();
      throw new PodSelectionError(`cannot attach to *${version}.${kind}: selector for *${version}.${kind} not implemented`);
    }
  }
}

// ---- the most active pod first (sort.Reverse(podutils.ActivePods)) ----

function isReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function readyTime(pod: Pod): number | undefined {
  const c = (pod.status?.conditions ?? []).find((x) => x.type === 'Ready' && x.status === 'True');
  return c?.lastTransitionTime ? Date.parse(c.lastTransitionTime) : undefined;
}

function maxRestarts(pod: Pod): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((s) => s.restartCount ?? 0));
}

/** t1 after t2, an unset time counting as after (upstream's afterOrZero). */
function afterOrZero(t1: number | undefined, t2: number | undefined): boolean {
  if (t1 === undefined || t2 === undefined) return t1 === undefined;
  return t1 > t2;
}

const time = (s: string | undefined) => (s ? Date.parse(s) : undefined);

/** ActivePods' Less: the less active pod first. */
export function lessActive(a: Pod, b: Pod): boolean {
  const an = a.spec?.nodeName ?? '';
  const bn = b.spec?.nodeName ?? '';
  if (an !== bn && (an === '' || bn === '')) return an === '';
  const rank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
  const ar = rank[a.status?.phase ?? ''] ?? 0;
  const br = rank[b.status?.phase ?? ''] ?? 0;
  if (ar !== br) return ar < br;
  if (isReady(a) !== isReady(b)) return !isReady(a);
  const ad = a.metadata?.deletionTimestamp;
  const bd = b.metadata?.deletionTimestamp;
  if (!!ad !== !!bd) return !!ad;
  if (ad && bd && ad !== bd) return Date.parse(ad) < Date.parse(bd);
  if (isReady(a) && isReady(b) && readyTime(a) !== readyTime(b)) return afterOrZero(readyTime(a), readyTime(b));
  if (maxRestarts(a) !== maxRestarts(b)) return maxRestarts(a) > maxRestarts(b);
  const ac = time(a.metadata?.creationTimestamp);
  const bc = time(b.metadata?.creationTimestamp);
  if (ac !== bc) return afterOrZero(ac, bc);
  return false;
}

/** The pod kubectl picks from several: the most active. */
export function mostActive(pods: readonly Pod[]): Pod | undefined {
  // A stable sort, reversed: among equals the later one wins, as Go's sort.Sort(sort.Reverse(...)) may order them.
  return [...pods].sort((a, b) => (lessActive(b, a) ? -1 : lessActive(a, b) ? 1 : 0))[0];
}

// ---- resolving what the user typed ----

export interface ResolvedPod {
  pod: Pod;
  /** The object named, when not a pod (a Service, for port-forward's port mapping). */
  object: Fields;
}

/** `NAME` (a pod) or `TYPE/NAME`, in the session's namespace; a non-pod object leads to its most active pod. */
export async function resolvePod(session: Session, typedName: string, timeoutMs: number): Promise<ResolvedPod> {
  const slash = typedName.indexOf('/');
  const typed = slash === -1 ? 'pods' : typedName.slice(0, slash);
  const name = slash === -1 ? typedName : typedName.slice(slash + 1);
  const info = await session.discovery().resolve(typed);
  const namespace = session.namespace;
  const rest = session.rest();
  const object = await rest.json<Fields>({ path: resourcePath(info, namespace, name) });
  if (object['kind'] === 'Pod') return { pod: object as Pod, object };
  const selector = selectorForObject(object);
  const podsPath = `/api/v1/namespaces/${encodeURIComponent(object['metadata']?.namespace ?? namespace)}/pods`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await rest.json<{ items?: Pod[] }>({ path: podsPath, query: { labelSelector: selector } });
    const pod = mostActive(list.items ?? []);
    if (pod) return { pod, object };
    // kubectl watches for the first pod to appear; polling gives the same answer.
    if (Date.now() >= deadline) throw new PodSelectionError('timed out waiting for the condition');
    await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, deadline - Date.now()))));
  }
}

/** Every container's name as kubectl lists them: containers, then ephemeral (ephem), then init (init). */
export function allContainerNames(pod: Pod): string {
  const spec = pod.spec;
  return [
    ...(spec?.containers ?? []).map((c) => c.name),
    ...(spec?.ephemeralContainers ?? []).map((c) => `${c.name} (ephem)`),
    ...(spec?.initContainers ?? []).map((c) => `${c.name} (init)`),
  ].join(', ');
}

export function findContainer(pod: Pod, name: string): Container | undefined {
  const spec = pod.spec;
  return [...(spec?.containers ?? []), ...(spec?.initContainers ?? []), ...((spec?.ephemeralContainers ?? []) as Container[])].find((c) => c.name === name);
}

/**
 * -c (which must exist), else the default-container annotation when it names a container, else the first container
 * (noting the choice unless quiet): kubectl 1.35's podcmd.FindOrDefaultContainerByName.
 */
export function findOrDefaultContainer(pod: Pod, name: string | undefined, quiet: boolean, warn: (text: string) => void): Container {
  if (name) {
    const found = findContainer(pod, name);
    if (!found) throw new PodSelectionError(`container ${name} not found in pod ${pod.metadata?.name ?? ''}`);
    return found;
  }
  const containers = pod.spec?.containers ?? [];
  if (containers.length === 0) throw new PodSelectionError(`pod ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''} does not have any containers`);
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  const fromAnnotation = annotated ? findContainer(pod, annotated) : undefined;
  if (fromAnnotation) return fromAnnotation;
  const first = containers[0]!;
  if (!quiet && (containers.length > 1 || (pod.spec?.initContainers ?? []).length > 0 || (pod.spec?.ephemeralContainers ?? []).length > 0)) {
    warn(`Defaulted container ${JSON.stringify(first.name)} out of: ${allContainerNames(pod)}\n`);
  }
  return first;
}
