// Node maintenance as kubectl 1.35 does it: `cordon`, `uncordon`, `drain` (evictions through the pods/eviction
// subresource, or deletions with --disable-eviction, then waiting for the pods to be gone) and `taint`. Dry runs
// and output formats are left to the real kubectl.
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1.d.ts';
import { ApiError } from '../../client/errors.ts';
import { bool, duration, FallbackSignal, str, type FlagSpec } from '../flags.ts';
import { ResourceNotFoundError } from '../discovery.ts';
import type { KubectlCommand } from '../main.ts';
import type { Session } from '../session.ts';
import { PlainError, reportErrors, usageError } from '../visit.ts';

const NODES = '/api/v1/nodes';
const nodePath = (name: string) => `${NODES}/${encodeURIComponent(name)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The nodes named, or selected by -l; a missing one stops the command before anything changes. */
async function nodesFor(session: Session, command: string, args: string[]): Promise<Node[] | number> {
  const selector = str(session.flags, 'selector');
  if (args.length === 0 && !session.flags.has('selector')) return usageError(session, command, `USAGE: ${command} NODE [flags]`);
  if (args.length > 0 && selector) return usageError(session, command, 'cannot specify both a node name and a --selector option');
  if (args.some((a) => a.includes('/'))) throw new FallbackSignal('TYPE/NAME node arguments');
  const rest = session.rest();
  if (args.length === 0) return (await rest.json<{ items?: Node[] }>({ path: NODES, query: { labelSelector: selector } })).items ?? [];
  const nodes: Node[] = [];
  for (const name of args) nodes.push(await rest.json<Node>({ path: nodePath(name) }));
  return nodes;
}

/** Sets spec.unschedulable on each node, printing kubectl's lines; failures are reported but do not fail the command. */
async function cordonOrUncordon(session: Session, nodes: Node[], desired: boolean): Promise<void> {
  const verb = desired ? 'cordon' : 'uncordon';
  for (const node of nodes) {
    const name = node.metadata?.name ?? '';
    if ((node.spec?.unschedulable ?? false) === desired) {
      session.io.stdout(`node/${name} already ${verb}ed\n`);
      continue;
    }
    try {
      await session.rest().request({
        method: 'PATCH',
        path: nodePath(name),
        contentType: 'application/strategic-merge-patch+json',
        body: { spec: { unschedulable: desired ? true : null } },
      });
      session.io.stdout(`node/${name} ${verb}ed\n`);
    } catch (err) {
      session.io.stderr(`error: unable to ${verb} node ${JSON.stringify(name)}: ${(err as Error).message}\n`);
    }
  }
}

const selectorFlag: FlagSpec = { name: 'selector', short: 'l', type: 'string' };

function cordonLike(desired: boolean): KubectlCommand {
  const command = desired ? 'cordon' : 'uncordon';
  return {
    flags: [selectorFlag],
    unsupported: ['dry-run'],
    async run(session, args) {
      const nodes = await nodesFor(session, command, args);
      if (typeof nodes === 'number') return nodes;
      await cordonOrUncordon(session, nodes, desired);
      return 0;
    },
  };
}

export const cordonCommand = cordonLike(true);
export const uncordonCommand = cordonLike(false);

interface DrainSettings {
  gracePeriod: number;
  /** Milliseconds; Infinity when --timeout is 0. */
  timeout: number;
  skipSeconds: number;
  disableEviction: boolean;
}

/** Go's %v of a time.Duration: `2s`, `1m0s`, `1h30m0s`, `500ms`. */
export function goDurationString(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}

class PodGoneWaitError extends Error {
  override name = 'PodGoneWaitError';
}

/** Polls (every second, as kubectl) until each pod is gone or replaced; prints `pod/x evicted|deleted` as they go. */
async function waitForDelete(session: Session, pods: Pod[], verb: string, deadline: number, skipSeconds: number): Promise<Pod[]> {
  const { shouldSkipDeleted } = await import('../drain.ts');
  let pending = pods;
  for (;;) {
    const still: Pod[] = [];
    for (const pod of pending) {
      const ns = pod.metadata?.namespace ?? '';
      const name = pod.metadata?.name ?? '';
      let current: Pod | undefined;
      try {
        current = await session.rest().json<Pod>({ path: `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}` });
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
      if (!current || current.metadata?.uid !== pod.metadata?.uid) {
        session.io.stdout(`pod/${name} ${verb}\n`);
        continue;
      }
      if (shouldSkipDeleted(current, skipSeconds)) {
        session.io.stdout(`pod ${JSON.stringify(name)} has DeletionTimestamp older than ${skipSeconds} seconds, skipping\n`);
        continue;
      }
      still.push(pod);
    }
    pending = still;
    if (pending.length === 0) return [];
    if (Date.now() + 1000 > deadline) {
      await sleep(Math.max(0, deadline - Date.now()));
      throw new PodGoneWaitError('context deadline exceeded');
    }
    await sleep(1000);
  }
}

function evictionBody(pod: Pod, gracePeriod: number): Record<string, unknown> {
  return {
    apiVersion: 'policy/v1',
    kind: 'Eviction',
    metadata: { name: pod.metadata?.name, namespace: pod.metadata?.namespace },
    deleteOptions: gracePeriod >= 0 ? { gracePeriodSeconds: gracePeriod } : {},
  };
}

/** Evicts one pod (retrying while a disruption budget refuses), then waits for it to go. */
async function evictOne(session: Session, pod: Pod, settings: DrainSettings, deadline: number): Promise<void> {
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const base = `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}`;
  let active = pod;
  for (;;) {
    session.io.stdout(`evicting pod ${ns}/${name}\n`);
    if (Date.now() >= deadline) throw new Error(`error when evicting pods/${JSON.stringify(name)} -n ${JSON.stringify(ns)}: global timeout reached: ${goDurationString(settings.timeout)}`);
    try {
      await session.rest().request({ method: 'POST', path: `${base}/eviction`, body: evictionBody(active, settings.gracePeriod) });
      break;
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return;
      if (err instanceof ApiError && err.code === 429) {
        session.io.stderr(`error when evicting pods/${JSON.stringify(name)} -n ${JSON.stringify(ns)} (will retry after 5s): ${err.message}\n`);
        await sleep(5000);
      } else if (err instanceof ApiError && err.code === 403 && err.status.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) {
        if (active.metadata?.deletionTimestamp) break;
        session.io.stderr(`error when evicting pod ${JSON.stringify(name)} from terminating namespace ${JSON.stringify(ns)} (will retry after 5s): ${err.message}\n`);
        await sleep(5000);
      } else throw new Error(`error when evicting pods/${JSON.stringify(name)} -n ${JSON.stringify(ns)}: ${(err as Error).message}`, { cause: err });
    }
    try {
      active = await session.rest().json<Pod>({ path: base });
    } catch {
      // keep the pod as last seen
    }
  }
  try {
    await waitForDelete(session, [active], 'evicted', deadline, settings.skipSeconds);
  } catch (err) {
    throw new Error(`error when waiting for pod ${JSON.stringify(pod.metadata?.name ?? '')} in namespace ${JSON.stringify(ns)} to terminate: ${(err as Error).message}`, { cause: err });
  }
}

/** Errors of a Go aggregate: one as itself, several as `[a, b]`. */
const aggregate = (errors: string[]): string => (errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]`);

async function deleteOrEvict(session: Session, pods: Pod[], settings: DrainSettings): Promise<void> {
  if (pods.length === 0) return;
  const deadline = Number.isFinite(settings.timeout) ? Date.now() + settings.timeout : Number.MAX_SAFE_INTEGER;
  if (!settings.disableEviction) {
    const results = await Promise.allSettled(pods.map((pod) => evictOne(session, pod, settings, deadline)));
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
    if (errors.length) throw new Error(aggregate(errors));
    return;
  }
  for (const pod of pods) {
    const ns = pod.metadata?.namespace ?? '';
    try {
      await session.rest().request({
        method: 'DELETE',
        path: `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod.metadata?.name ?? '')}`,
        body: settings.gracePeriod >= 0 ? { gracePeriodSeconds: settings.gracePeriod } : {},
      });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }
  await waitForDelete(session, pods, 'deleted', deadline, settings.skipSeconds);
}

export const drainCommand: KubectlCommand = {
  flags: [
    selectorFlag,
    { name: 'force', type: 'bool' },
    { name: 'ignore-daemonsets', type: 'bool' },
    { name: 'delete-emptydir-data', type: 'bool' },
    { name: 'grace-period', type: 'int' },
    { name: 'timeout', type: 'duration' },
    { name: 'pod-selector', type: 'string' },
    { name: 'disable-eviction', type: 'bool' },
    { name: 'skip-wait-for-delete-timeout', type: 'int' },
    { name: 'chunk-size', type: 'int' },
  ],
  unsupported: ['dry-run'],
  async run(session, args) {
    const f = session.flags;
    const timeout = duration(f, 'timeout', 0);
    const settings: DrainSettings = {
      gracePeriod: Number(str(f, 'grace-period') ?? -1),
      timeout: timeout === 0 ? Infinity : timeout,
      skipSeconds: Number(str(f, 'skip-wait-for-delete-timeout') ?? 0),
      disableEviction: bool(f, 'disable-eviction'),
    };
    const nodes = await nodesFor(session, 'drain', args);
    if (typeof nodes === 'number') return nodes;
    await cordonOrUncordon(session, nodes, true);
    const drain = await import('../drain.ts');
    const options = { force: bool(f, 'force'), ignoreDaemonSets: bool(f, 'ignore-daemonsets'), deleteEmptyDirData: bool(f, 'delete-emptydir-data'), skipWaitForDeleteTimeoutSeconds: settings.skipSeconds };
    const rest = session.rest();
    const listPods = async (node: string) => {
      const list = await rest.json<{ items?: Pod[] }>({ path: '/api/v1/pods', query: { labelSelector: str(f, 'pod-selector'), fieldSelector: `spec.nodeName=${node}` } });
      return drain.filterPods(list.items ?? [], options, async (namespace, name) => {
        try {
          await rest.request({ path: `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/daemonsets/${encodeURIComponent(name)}` });
          return undefined;
        } catch (err) {
          return { message: (err as Error).message, notFound: err instanceof ApiError && err.code === 404 };
        }
      });
    };
    const fatal: string[] = [];
    const remaining: string[] = [];
    for (const node of nodes) {
      const name = node.metadata?.name ?? '';
      let failure: string | undefined;
      const verdicts = await listPods(name);
      const errors = drain.drainErrors(verdicts);
      if (errors.length) failure = aggregate(errors);
      else {
        const warnings = drain.drainWarnings(verdicts);
        if (warnings) session.io.stderr(`Warning: ${warnings}\n`);
        try {
          await deleteOrEvict(session, drain.podsToDelete(verdicts), settings);
        } catch (err) {
          failure = (err as Error).message;
          const pending = drain.podsToDelete(await listPods(name));
          if (pending.length) {
            session.io.stderr(`There are pending pods in node ${JSON.stringify(name)} when an error occurred: ${failure}\n`);
            for (const p of pending) session.io.stderr(`pod/${p.metadata?.name ?? ''}\n`);
          }
        }
      }
      if (failure === undefined) {
        session.io.stdout(`node/${name} drained\n`);
        continue;
      }
      session.io.stderr(`error: unable to drain node ${JSON.stringify(name)} due to error: ${failure}, continuing command...\n`);
      fatal.push(failure);
      remaining.push(name);
    }
    if (remaining.length) session.io.stderr(`There are pending nodes to be drained:\n${remaining.map((n) => ` ${n}\n`).join('')}`);
    return reportErrors(
      session,
      fatal.map((m) => new PlainError(m)),
      true,
    );
  },
};

export const taintCommand: KubectlCommand = {
  flags: [selectorFlag, { name: 'overwrite', type: 'bool' }, { name: 'all', type: 'bool' }, { name: 'field-manager', type: 'string' }],
  unsupported: ['dry-run', 'validate', 'output', 'o', 'template', 'show-managed-fields', 'allow-missing-template-keys'],
  async run(session, args) {
    const f = session.flags;
    const resources: string[] = [];
    const specs: string[] = [];
    for (const s of args) {
      const isTaint = s.includes('=') || s.includes(':') || s.endsWith('-');
      if (isTaint) specs.push(s);
      else if (specs.length > 0) throw new Error(`all resources must be specified before taint changes: ${s}`);
      else resources.push(s);
    }
    if (resources.length < 1) throw new Error('one or more resources must be specified as <resource> <name>');
    if (specs.length < 1) throw new Error('at least one taint update is required');
    const taints = await import('../taints.ts');
    let parsed: { add: Taint[]; remove: Taint[] };
    try {
      parsed = taints.parseTaints(specs);
    } catch (err) {
      if (err instanceof taints.TaintSpecError) return usageError(session, 'taint', err.message);
      throw err;
    }
    const typed = resources[0]!.toLowerCase();
    if (typed.includes('/')) throw new FallbackSignal('TYPE/NAME taint arguments');
    let kind: string;
    try {
      kind = (await session.discovery().resolve(typed)).kind;
    } catch (err) {
      if (err instanceof ResourceNotFoundError) return reportErrors(session, [new PlainError(err.message)]);
      throw err;
    }
    if (kind !== 'Node') throw new Error(`invalid resource type ${typed}, only node types are supported`);
    const conflicts = taints.conflicts(parsed.add, parsed.remove);
    if (conflicts.length) throw new Error(`can not both modify and remove the following taint(s) in the same command: ${conflicts.join(', ')}`);
    const all = bool(f, 'all');
    const selector = str(f, 'selector') ?? '';
    if (all && selector) throw new Error("setting 'all' parameter with a non empty selector is prohibited");
    if (!all && !selector && resources.length < 2) throw new Error("at least one resource name must be specified since 'all' parameter is not set");
    const rest = session.rest();
    const errors: unknown[] = [];
    let nodes: Node[] = [];
    if (all || selector) nodes = (await rest.json<{ items?: Node[] }>({ path: NODES, query: { labelSelector: selector } })).items ?? [];
    else {
      for (const name of resources.slice(1)) {
        try {
          nodes.push(await rest.json<Node>({ path: nodePath(name) }));
        } catch (err) {
          errors.push(err);
        }
      }
    }
    const overwrite = bool(f, 'overwrite');
    for (const node of nodes) {
      const name = node.metadata?.name ?? '';
      try {
        const current = node.spec?.taints ?? [];
        if (!overwrite) {
          const exists = taints.existing(current, parsed.add);
          if (exists) throw new Error(`node ${name} already has ${exists} taint(s) with same effect(s) and --overwrite is false`);
        }
        const { operation, taints: next } = taints.reorganize(current, overwrite, parsed.add, parsed.remove);
        const same = JSON.stringify(next) === JSON.stringify(current);
        await rest.request({
          method: 'PATCH',
          path: nodePath(name),
          contentType: 'application/strategic-merge-patch+json',
          body: same ? {} : { spec: { taints: next.length ? next : null } },
          query: { fieldManager: str(f, 'field-manager') ?? 'kubectl-taint' },
        });
        session.io.stdout(`node/${name} ${operation}\n`);
      } catch (err) {
        errors.push(err);
      }
    }
    return reportErrors(session, errors);
  },
};
