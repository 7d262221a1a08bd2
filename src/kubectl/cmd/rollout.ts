// `kubectl rollout status|history|undo|restart|pause|resume` for Deployments, DaemonSets and StatefulSets, with
// kubectl 1.35's messages. -f/-k, -o and dry runs are left to the real kubectl.
import { bool, duration, FallbackSignal, str, type FlagSpec } from '../flags.ts';
import { kindString, resourcePath, type ResourceInfo } from '../discovery.ts';
import type { KubectlCommand } from '../main.ts';
import type { Revision } from '../rollout-history.ts';
import type { Session } from '../session.ts';
import { findObjects, reportErrors, type Visited } from '../visit.ts';

type Fields = Record<string, any>;

const FILE_FLAGS = ['filename', 'f', 'recursive', 'R', 'kustomize', 'k'];
const PRINT_FLAGS = ['output', 'o', 'template', 'show-managed-fields', 'allow-missing-template-keys'];
const selectorFlag: FlagSpec = { name: 'selector', short: 'l', type: 'string' };

/** kubectl's GroupKind.String(): `Service`, `ReplicaSet.apps`. */
const groupKind = (r: ResourceInfo): string => (r.group ? `${r.kind}.${r.group}` : r.kind);
/** Go's %v of a GroupKind: `{ Service}`, `{networking.k8s.io Ingress}`. */
const groupKindValue = (r: ResourceInfo): string => `{${r.group} ${r.kind}}`;

/** Kinds kubectl's apps visitor knows (others fail before any viewer is chosen). */
function visitable(r: ResourceInfo): boolean {
  const g = r.group;
  const apps = g === 'apps' || g === 'extensions';
  return (
    (apps && ['DaemonSet', 'Deployment', 'ReplicaSet'].includes(r.kind)) ||
    (g === 'batch' && (r.kind === 'Job' || r.kind === 'CronJob')) ||
    ((g === '' || g === 'core') && (r.kind === 'Pod' || r.kind === 'ReplicationController')) ||
    (g === 'apps' && r.kind === 'StatefulSet')
  );
}

type Workload = 'Deployment' | 'DaemonSet' | 'StatefulSet';

function workloadKind(r: ResourceInfo): Workload | undefined {
  if (r.group === 'apps' && (r.kind === 'Deployment' || r.kind === 'DaemonSet' || r.kind === 'StatefulSet')) return r.kind;
  return undefined;
}

const requireResources = (args: string[]): void => {
  if (args.length === 0) throw new Error('required resource not specified');
};

async function targets(session: Session, args: string[]): Promise<{ objects: Visited[]; errors: unknown[] }> {
  return findObjects(session, args, { selector: str(session.flags, 'selector'), allowEmptySelector: true });
}

function noneFound(session: Session): number {
  session.io.stderr(`No resources found in ${session.namespace} namespace.\n`);
  return 0;
}

const statusCommand: KubectlCommand = {
  flags: [selectorFlag, { name: 'watch', short: 'w', type: 'bool' }, { name: 'revision', type: 'int' }, { name: 'timeout', type: 'duration' }],
  unsupported: FILE_FLAGS,
  async run(session, args) {
    const f = session.flags;
    const timeout = duration(f, 'timeout', 0);
    requireResources(args);
    const revision = Number(str(f, 'revision') ?? 0);
    if (revision < 0) throw new Error(`revision must be a positive integer: ${revision}`);
    const watch = bool(f, 'watch', true);
    const { objects, errors } = await targets(session, args);
    if (objects.length === 0 && errors.length === 0) return noneFound(session);
    const { rolloutStatus } = await import('../rollout-status.ts');
    const { untilWithSync, WatchTimeoutError } = await import('../watch.ts');
    for (const o of objects) {
      const kind = workloadKind(o.resource);
      if (!kind) {
        errors.push(new Error(`no status viewer has been implemented for ${groupKind(o.resource)}`));
        continue;
      }
      const deadline = timeout > 0 ? Date.now() + timeout : undefined;
      try {
        await untilWithSync(session, { collection: resourcePath(o.resource, o.namespace), name: o.name, ...(deadline ? { deadline } : {}) }, (event) => {
          if (event.type === 'DELETED') throw new Error('object has been deleted');
          if (event.type !== 'ADDED' && event.type !== 'MODIFIED') throw new Error(`internal error: unexpected event ${event.type}`);
          const status = rolloutStatus(kind, event.object, revision);
          session.io.stdout(status.message);
          return status.done || !watch;
        });
      } catch (err) {
        errors.push(err instanceof WatchTimeoutError ? new Error('timed out waiting for the condition') : err);
      }
    }
    return reportErrors(session, errors);
  },
};

/** The revisions of a workload, by kind. */
async function revisionsOf(session: Session, o: Visited): Promise<{ revisions: Map<number, Revision>; owner: Fields }> {
  const history = await import('../rollout-history.ts');
  const rest = session.rest();
  const kind = workloadKind(o.resource)!;
  const appsPath = (resource: string, name?: string) => `/apis/apps/v1/namespaces/${encodeURIComponent(o.namespace ?? '')}/${resource}${name ? `/${encodeURIComponent(name)}` : ''}`;
  const plural = kind === 'Deployment' ? 'deployments' : kind === 'DaemonSet' ? 'daemonsets' : 'statefulsets';
  let owner: Fields;
  try {
    owner = await rest.json<Fields>({ path: appsPath(plural, o.name) });
  } catch (err) {
    throw new Error(`failed to retrieve ${kind} ${o.name}: ${(err as Error).message}`, { cause: err });
  }
  if (kind === 'Deployment') {
    const list = await rest.json<{ items?: Fields[] }>({ path: appsPath('replicasets'), query: { labelSelector: selectorString(owner['spec']?.selector) } });
    return { revisions: history.deploymentRevisions(owner, list.items ?? []), owner };
  }
  const list = await rest.json<{ items?: Fields[] }>({ path: appsPath('controllerrevisions'), query: { labelSelector: selectorString(owner['spec']?.selector) } });
  return { revisions: history.controllerRevisions(owner, list.items ?? []), owner };
}

/** A LabelSelector as the `labelSelector` query parameter. */
function selectorString(selector: Fields | undefined): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(selector?.['matchLabels'] ?? {})) parts.push(`${k}=${v}`);
  for (const e of selector?.['matchExpressions'] ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

const historyCommand: KubectlCommand = {
  flags: [selectorFlag, { name: 'revision', type: 'int' }],
  unsupported: [...FILE_FLAGS, ...PRINT_FLAGS],
  async run(session, args) {
    requireResources(args);
    const revision = Number(str(session.flags, 'revision') ?? 0);
    if (revision < 0) throw new Error(`revision must be a positive integer: ${revision}`);
    const { objects, errors } = await targets(session, args);
    const history = await import('../rollout-history.ts');
    const { describePodTemplate } = await import('../podtemplate.ts');
    for (const o of objects) {
      try {
        if (!visitable(o.resource)) throw new Error(`error retrieving history for ${JSON.stringify(groupKind(o.resource))}, no visitor method exists for ${groupKindValue(o.resource)}`);
        if (!workloadKind(o.resource)) throw new Error(`no history viewer has been implemented for ${JSON.stringify(groupKind(o.resource))}`);
        const { revisions } = await revisionsOf(session, o);
        let text: string;
        if (revisions.size === 0) text = 'No rollout history found.';
        else if (revision > 0) {
          const found = revisions.get(revision);
          if (!found) throw new Error('unable to find the specified revision');
          text = describePodTemplate(found.template);
        } else text = history.historyTable(revisions);
        session.io.stdout(`${kindString(o.resource)}/${o.name} ${revision > 0 ? `with revision #${revision}` : ''}\n${text}\n`);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length) return reportErrors(session, errors);
    return 0;
  },
};

const undoCommand: KubectlCommand = {
  flags: [selectorFlag, { name: 'to-revision', type: 'int' }],
  unsupported: [...FILE_FLAGS, ...PRINT_FLAGS, 'dry-run'],
  async run(session, args) {
    requireResources(args);
    const to = Number(str(session.flags, 'to-revision') ?? 0);
    const { objects, errors } = await targets(session, args);
    const history = await import('../rollout-history.ts');
    const rest = session.rest();
    for (const o of objects) {
      try {
        if (!visitable(o.resource)) throw new Error(`error retrieving rollbacker for ${JSON.stringify(groupKind(o.resource))}, no visitor method exists for ${groupKindValue(o.resource)}`);
        const kind = workloadKind(o.resource);
        if (!kind) throw new Error(`no rollbacker has been implemented for ${JSON.stringify(groupKind(o.resource))}`);
        if (to < 0) throw new history.RevisionNotFoundError(to);
        const { revisions, owner } = await revisionsOf(session, o);
        const path = resourcePath(o.resource, o.namespace, o.name);
        let result = 'rolled back';
        if (kind === 'Deployment') {
          const target = history.deploymentUndoTarget(o.name, revisions, to);
          if (owner['spec']?.paused) throw new Error("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again");
          const template = target.source['spec']?.template ?? {};
          if (history.sameTemplate(template, owner['spec']?.template ?? {})) result = `skipped rollback (current template already matches revision ${to})`;
          else {
            const patch = [
              { op: 'replace', path: '/spec/template', value: history.withoutHash(template) },
              { op: 'replace', path: '/metadata/annotations', value: history.rollbackAnnotations(owner, target.source) },
            ];
            try {
              await rest.request({ method: 'PATCH', path, contentType: 'application/json-patch+json', body: patch });
            } catch (err) {
              throw new Error(`failed restoring revision ${to}: ${(err as Error).message}`, { cause: err });
            }
          }
        } else {
          const target = history.controllerUndoTarget(revisions, to);
          if (history.sameTemplate(target.template, owner['spec']?.template ?? {})) result = `skipped rollback (current template already matches revision ${to})`;
          else {
            try {
              await rest.request({ method: 'PATCH', path, contentType: 'application/strategic-merge-patch+json', body: target.source['data'] });
            } catch (err) {
              throw new Error(`failed restoring revision ${to}: ${(err as Error).message}`, { cause: err });
            }
          }
        }
        session.io.stdout(`${kindString(o.resource)}/${o.name} ${result}\n`);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length) return reportErrors(session, errors);
    return 0;
  },
};

/**
 * pause, resume and restart: each computes a change of the object (or refuses with a message kubectl prefixes with
 * the resource and name) and sends it as a strategic merge patch under field manager kubectl-rollout.
 */
function patchCommand(verb: 'pause' | 'resume' | 'restart', change: (o: Visited) => Fields | 'unchanged'): KubectlCommand {
  const done = { pause: 'paused', resume: 'resumed', restart: 'restarted' }[verb];
  return {
    flags: [selectorFlag, { name: 'field-manager', type: 'string' }],
    unsupported: [...FILE_FLAGS, ...PRINT_FLAGS],
    async run(session, args) {
      requireResources(args);
      const { objects, errors } = await targets(session, args);
      if (objects.length === 0 && errors.length === 0) return noneFound(session);
      const rest = session.rest();
      for (const o of objects) {
        let patch: Fields | 'unchanged';
        try {
          patch = change(o);
        } catch (err) {
          const resource = o.resource.group ? `${o.resource.resource}.${o.resource.group}` : o.resource.resource;
          errors.push(new Error(`error: ${resource} ${JSON.stringify(o.name)} ${(err as Error).message}`));
          continue;
        }
        if (patch === 'unchanged') {
          if (verb === 'restart') errors.push(new Error(`failed to create patch for ${o.name}: if restart has already been triggered within the past second, please wait before attempting to trigger another`));
          else session.io.stdout(`${kindString(o.resource)}/${o.name} already ${done}\n`);
          continue;
        }
        try {
          await rest.request({
            method: 'PATCH',
            path: resourcePath(o.resource, o.namespace, o.name),
            contentType: 'application/strategic-merge-patch+json',
            body: patch,
            query: { fieldManager: str(session.flags, 'field-manager') ?? 'kubectl-rollout' },
          });
          session.io.stdout(`${kindString(o.resource)}/${o.name} ${done}\n`);
        } catch (err) {
          errors.push(new Error(`failed to patch: ${(err as Error).message}`, { cause: err }));
        }
      }
      return reportErrors(session, errors, true);
    },
  };
}

const isDeployment = (o: Visited) => (o.resource.group === 'apps' || o.resource.group === 'extensions') && o.resource.kind === 'Deployment';

/** Go's time.Now().Format(time.RFC3339) in the local zone. */
export function rfc3339Now(now = new Date()): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const offset = -now.getTimezoneOffset();
  const zone = offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${two(Math.floor(Math.abs(offset) / 60))}:${two(Math.abs(offset) % 60)}`;
  return `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}T${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}${zone}`;
}

const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

export const rolloutCommand: KubectlCommand = {
  flags: [],
  async run() {
    throw new FallbackSignal('rollout without a sub-command');
  },
  sub: {
    status: statusCommand,
    history: historyCommand,
    undo: undoCommand,
    pause: patchCommand('pause', (o) => {
      if (!isDeployment(o)) throw new Error('pausing is not supported');
      if (o.object['spec']?.paused) throw new Error('is already paused');
      return { spec: { paused: true } };
    }),
    resume: patchCommand('resume', (o) => {
      if (!isDeployment(o)) throw new Error('resuming is not supported');
      if (!o.object['spec']?.paused) throw new Error('is not paused');
      return { spec: { paused: null } };
    }),
    restart: patchCommand('restart', (o) => {
      const kind = workloadKind(o.resource);
      if (!kind && !((o.resource.group === 'extensions') && (o.resource.kind === 'Deployment' || o.resource.kind === 'DaemonSet'))) throw new Error('restarting is not supported');
      if (isDeployment(o) && o.object['spec']?.paused) throw new Error("can't restart paused deployment (run rollout resume first)");
      const at = rfc3339Now();
      if (o.object['spec']?.template?.metadata?.annotations?.[RESTARTED_AT] === at) return 'unchanged';
      return { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: at } } } } };
    }),
  },
};
