// `kubectl set image|env|resources`: change the containers of a pod template, send the change as a strategic merge
// patch naming only the containers that changed, and print `<kind>/<name> image updated` (nothing when nothing
// changed). Other `set` sub-verbs are left to the real kubectl.
import { isDeepStrictEqual } from 'node:util';
import { bool, FallbackSignal, str, strs, type FlagSpec } from '../flags.ts';
import { resourcePath } from '../discovery.ts';
import type { KubectlCommand } from '../main.ts';
import type { Session } from '../session.ts';
import { CommandError, guarded, dryRunOf, DRY_RUN_FLAG, errorMessage, formatObject, outputOf, OUTPUT_FLAG, PRINT_UNSUPPORTED, type Obj } from '../mutate-output.ts';
import { resolveTargets, type Target } from './args.ts';
import { splitResourcesAndPairs } from './label.ts';

type Container = Obj & { name: string };

/** A change that cannot be made to one object: reported as `error: <resource>/<name> <message>`. */
class ObjectError extends Error {
  override name = 'ObjectError';
}

/** Where each workload kind keeps its pod spec. */
export function podSpecPath(kind: string): string[] | undefined {
  if (kind === 'Pod') return ['spec'];
  if (['Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet', 'ReplicationController', 'Job'].includes(kind)) return ['spec', 'template', 'spec'];
  if (kind === 'CronJob') return ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
  return undefined;
}

function nest(path: string[], leaf: Obj): Obj {
  return path.reduceRight<Obj>((inner, key) => ({ [key]: inner }), leaf);
}

/** Go's path.Match for the `-c` container selector (`*`, `?`, character classes). */
export function globMatch(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`).test(name);
}

interface ChangeContext {
  kind: string;
  name: string;
  /** Containers then init containers, each marked with its list. */
  containers: Array<{ list: 'containers' | 'initContainers'; container: Container }>;
}

interface SetSpec {
  use: string;
  operation: string;
  failure: string;
  flags: FlagSpec[];
  unsupported: string[];
  pairType: string;
  /** Parses flags and pairs once, before any object is read; may answer early (errors). */
  prepare(session: Session, pairs: string[]): Promise<Changer> | Changer;
}

interface Changer {
  /** Changes the containers in place; returns the patch entries per changed container, and errors to report. */
  apply(ctx: ChangeContext): { errors: string[] };
  /** `set env --list`: prints instead of patching. */
  list?: boolean;
}

function setVerb(spec: SetSpec): KubectlCommand {
  return guarded({
    flags: [DRY_RUN_FLAG, OUTPUT_FLAG, { name: 'field-manager', type: 'string' }, ...spec.flags],
    unsupported: ['local', 'selector', 'l', 'all', 'filename', 'f', 'recursive', 'R', 'kustomize', 'k', 'record', ...PRINT_UNSUPPORTED, ...spec.unsupported],
    async run(session, args) {
      const dryRun = dryRunOf(session.flags);
      const format = outputOf(session.flags);
      const { resources, pairs } = spec.pairType === 'environment' ? splitEnvArgs(args) : splitResourcesAndPairs(args, spec.pairType);
      const changer = await spec.prepare(session, pairs);
      if (resources.length < 1) throw new CommandError('one or more resources must be specified as <resource> <name> or <resource>/<name>');
      const { targets } = await resolveTargets(session, resources);
      const rest = session.rest();
      const errors: string[] = [];
      for (const t of targets) {
        const ns = t.resource.namespaced ? session.namespace : undefined;
        const obj = await rest.json<Obj>({ path: resourcePath(t.resource, ns, t.name) });
        let outcome;
        try {
          outcome = await changeObject(t, obj, changer);
        } catch (err) {
          if (!(err instanceof ObjectError)) throw err;
          errors.push(`error: ${t.resource.resource}/${t.name} ${err.message}\n`);
          continue;
        }
        errors.push(...outcome.errors);
        if (changer.list || !outcome.patch) continue;
        let shown = outcome.changed;
        if (dryRun !== 'client') {
          try {
            shown = await rest.json<Obj>({
              method: 'PATCH',
              path: resourcePath(t.resource, ns, t.name),
              contentType: 'application/strategic-merge-patch+json',
              body: outcome.patch,
              query: { dryRun: dryRun === 'server' ? 'All' : undefined, fieldManager: str(session.flags, 'field-manager') ?? 'kubectl-set' },
            });
          } catch (err) {
            errors.push(`${spec.failure}${errorMessage(err)}`);
            continue;
          }
        }
        session.io.stdout(await formatObject(shown, t.resource, format, spec.operation, dryRun));
      }
      if (errors.length === 0) return 0;
      const message = (errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]`).replace(/\n+$/, '');
      session.io.stderr(message.startsWith('error: ') ? `${message}\n` : `error: ${message}\n`);
      return 1;
    },
  });
}

async function changeObject(t: Target, obj: Obj, changer: Changer): Promise<{ patch?: Obj; changed: Obj; errors: string[] }> {
  const path = podSpecPath(t.resource.kind);
  if (!path) throw new FallbackSignal(`set on ${t.resource.kind}`);
  const changed = structuredClone(obj);
  let podSpec: Obj = changed;
  for (const key of path) podSpec = (podSpec[key] ??= {}) as Obj;
  const before = structuredClone(podSpec);
  const containers = [
    ...((podSpec['initContainers'] ?? []) as Container[]).map((container) => ({ list: 'initContainers' as const, container })),
    ...((podSpec['containers'] ?? []) as Container[]).map((container) => ({ list: 'containers' as const, container })),
  ];
  const { errors } = changer.apply({ kind: t.resource.kind, name: t.name, containers });
  const patchSpec: Obj = {};
  for (const list of ['containers', 'initContainers'] as const) {
    const entries: Obj[] = [];
    const old = (before[list] ?? []) as Container[];
    for (const c of (podSpec[list] ?? []) as Container[]) {
      const prior = old.find((o) => o.name === c.name);
      if (!prior || isDeepStrictEqual(prior, c)) continue;
      entries.push(containerPatch(prior, c));
    }
    if (entries.length) patchSpec[list] = entries;
  }
  if (!Object.keys(patchSpec).length) return { changed, errors };
  return { patch: nest(path, patchSpec), changed, errors };
}

/** The strategic merge patch of one container: changed fields; env by name with deletions as `$patch: delete`. */
export function containerPatch(before: Container, after: Container): Obj {
  const patch: Obj = { name: after.name };
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (key === 'name' || isDeepStrictEqual(before[key], after[key])) continue;
    if (key === 'env') {
      const oldEnv = (before['env'] ?? []) as Obj[];
      const newEnv = (after['env'] ?? []) as Obj[];
      const entries: Obj[] = newEnv.filter((e) => !oldEnv.some((o) => isDeepStrictEqual(o, e)));
      for (const o of oldEnv) if (!newEnv.some((e) => e['name'] === o['name'])) entries.push({ $patch: 'delete', name: o['name'] });
      patch['$setElementOrder/env'] = newEnv.map((e) => ({ name: e['name'] }));
      patch['env'] = entries;
    } else patch[key] = after[key] ?? null;
  }
  return patch;
}

// ---- set image ----

const setImage = setVerb({
  use: 'set image',
  operation: 'image updated',
  failure: 'failed to patch image update to pod template: ',
  flags: [],
  unsupported: [],
  pairType: 'image',
  prepare(_session, pairs) {
    const images = new Map<string, string>();
    for (const p of pairs) {
      const eq = p.indexOf('=');
      if (eq <= 0) throw new CommandError(`invalid image format: ${p}`);
      images.set(p.slice(0, eq), p.slice(eq + 1));
    }
    if (images.size < 1) throw new CommandError('at least one image update is required');
    if (images.size > 1 && images.has('*')) throw new CommandError('all containers are already specified by *, but saw more than one container_name=container_image pairs');
    return {
      apply({ containers }) {
        const errors: string[] = [];
        for (const [name, image] of images) {
          const hits = containers.filter(({ container }) => name === '*' || container.name === name);
          for (const { container } of hits) container['image'] = image;
          if (!hits.length) errors.push(`error: unable to find container named ${JSON.stringify(name)}`);
        }
        return { errors };
      },
    };
  },
});

// ---- set env ----

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** kubectl's SplitEnvironmentFromResources: resources first, then NAME=VALUE / NAME- arguments. */
export function splitEnvArgs(args: string[]): { resources: string[]; pairs: string[] } {
  const resources: string[] = [];
  const pairs: string[] = [];
  for (const s of args) {
    const isEnv = /^.+=/s.test(s) || s.endsWith('-');
    if (isEnv) pairs.push(s);
    else if (pairs.length) throw new CommandError(`all resources must be specified before environment changes: ${args.join(' ')}`);
    else resources.push(s);
  }
  return { resources, pairs };
}

/** kubectl's ParseEnv. */
export function parseEnvChanges(specs: string[]): { env: Obj[]; remove: string[] } {
  const env: Obj[] = [];
  const remove: string[] = [];
  for (const spec of specs) {
    if (spec === '-') throw new FallbackSignal('env from stdin');
    const eq = spec.indexOf('=');
    if (eq !== -1) {
      const name = spec.slice(0, eq);
      if (!ENV_NAME.test(name)) {
        throw new CommandError(
          `${JSON.stringify(name)} is not a valid key name: a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`,
        );
      }
      env.push({ name, value: spec.slice(eq + 1) });
    } else if (spec.endsWith('-')) remove.push(spec.slice(0, -1));
    else throw new CommandError(`unknown environment variable: ${spec}`);
  }
  if (remove.some((r) => env.some((e) => e['name'] === r))) throw new CommandError('can not both modify and remove the same environment variable in the same command');
  return { env, remove };
}

/** kubectl's updateEnv: replace by name in place, append new ones, drop removed ones. */
export function updateEnv(existing: Obj[], add: Obj[], remove: string[]): Obj[] {
  const out: Obj[] = [];
  const added = new Set<string>();
  for (const e of existing) {
    if (remove.includes(e['name'])) continue;
    const replacement = add.find((a) => a['name'] === e['name']);
    if (replacement) {
      out.push(replacement);
      added.add(e['name']);
    } else out.push(e);
  }
  for (const a of add) {
    if (added.has(a['name'])) continue;
    const at = out.findIndex((o) => o['name'] === a['name']);
    if (at === -1) out.push(a);
    else out[at] = a;
    added.add(a['name']);
  }
  return out;
}

/** `valueFrom` as kubectl's --list names it. */
function refString(from: Obj): string {
  if (from['configMapKeyRef']) return `configmap ${from['configMapKeyRef'].name}, key ${from['configMapKeyRef'].key}`;
  if (from['secretKeyRef']) return `secret ${from['secretKeyRef'].name}, key ${from['secretKeyRef'].key}`;
  if (from['fieldRef']) return `field path ${from['fieldRef'].fieldPath}`;
  if (from['resourceFieldRef']) return `resource ${from['resourceFieldRef'].resource}`;
  return 'invalid valueFrom';
}

const setEnv = setVerb({
  use: 'set env',
  operation: 'env updated',
  failure: 'failed to patch env update to pod template: ',
  flags: [
    { name: 'containers', short: 'c', type: 'string' },
    { name: 'from', type: 'string' },
    { name: 'prefix', type: 'string' },
    { name: 'env', short: 'e', type: 'array' },
    { name: 'keys', type: 'strings' },
    { name: 'list', type: 'bool' },
    { name: 'overwrite', type: 'bool' },
  ],
  unsupported: ['resolve'],
  pairType: 'environment',
  async prepare(session, pairs) {
    const f = session.flags;
    const list = bool(f, 'list');
    if (list && f.has('output')) throw new CommandError('--list and --output may not be specified together');
    const keys = strs(f, 'keys');
    const from = str(f, 'from') ?? '';
    if (keys.length && !from) throw new CommandError('when specifying --keys, a configmap or secret must be provided with --from');
    const { env, remove } = parseEnvChanges([...strs(f, 'env'), ...pairs]);
    if (from) {
      const { targets } = await resolveTargets(session, [from]);
      for (const t of targets) {
        if (t.resource.kind !== 'ConfigMap' && t.resource.kind !== 'Secret') throw new CommandError('unsupported resource specified in --from');
        const source = await session.rest().json<Obj>({ path: resourcePath(t.resource, session.namespace, t.name) });
        const refKey = t.resource.kind === 'ConfigMap' ? 'configMapKeyRef' : 'secretKeyRef';
        for (const key of Object.keys(source['data'] ?? {})) {
          if (keys.length && !keys.includes(key)) continue;
          const envName = key.replace(/[^a-zA-Z0-9_]/g, '_').toUpperCase();
          if (envName !== key) session.io.stderr(`Warning: key ${key} transferred to ${envName}\n`);
          env.push({ name: envName, valueFrom: { [refKey]: { key, name: t.name } } });
        }
      }
    }
    const prefix = str(f, 'prefix') ?? '';
    if (prefix) for (const e of env) e['name'] = `${prefix}${e['name']}`;
    const overwrite = bool(f, 'overwrite', true);
    const selector = str(f, 'containers') ?? '*';
    return {
      list,
      apply({ kind, name, containers }) {
        const chosen = [...containers.filter((c) => c.list === 'containers'), ...containers.filter((c) => c.list === 'initContainers')].filter(({ container }) => globMatch(selector, container.name));
        if (!chosen.length) {
          session.io.stderr(`Warning: ${kind}/${name} does not have any containers matching ${JSON.stringify(selector)}\n`);
          return { errors: [] };
        }
        let out = '';
        for (const { container } of chosen) {
          const current = (container['env'] ?? []) as Obj[];
          if (!overwrite) {
            for (const e of env) {
              const clash = current.find((c) => c['name'] === e['name']);
              if (clash && clash['value'] !== e['value']) throw new ObjectError(`'${clash['name']}' already has a value (${clash['value'] ?? ''}), and --overwrite is false`);
            }
          }
          const updated = updateEnv(current, env, remove);
          if (updated.length) container['env'] = updated;
          else delete container['env'];
          if (list) {
            out += `# ${kind} ${name}, container ${container.name}\n`;
            for (const e of updated) out += e['valueFrom'] ? `# ${e['name']} from ${refString(e['valueFrom'])}\n` : `${e['name']}=${e['value'] ?? ''}\n`;
          }
        }
        if (out) session.io.stdout(out);
        return { errors: [] };
      },
    };
  },
});

// ---- set resources ----

/** `cpu=100m,memory=256Mi`, kept in order of the map kubectl builds (keys sorted). */
export function parseResourceList(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const statement of text.split(',')) {
    const parts = statement.split('=');
    if (parts.length !== 2) throw new CommandError(`Invalid argument syntax ${statement}, expected <resource>=<value>`);
    out[parts[0]!] = parts[1]!;
  }
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]!]));
}

const setResources = setVerb({
  use: 'set resources',
  operation: 'resource requirements updated',
  failure: 'failed to patch resources update to pod template ',
  flags: [
    { name: 'containers', short: 'c', type: 'string' },
    { name: 'limits', type: 'string' },
    { name: 'requests', type: 'string' },
  ],
  unsupported: [],
  pairType: 'resource',
  prepare(session) {
    const f = session.flags;
    const limitsText = str(f, 'limits') ?? '';
    const requestsText = str(f, 'requests') ?? '';
    if (!limitsText && !requestsText) throw new CommandError('you must specify an update to requests or limits (in the form of --requests/--limits)');
    const limits = parseResourceList(limitsText);
    const requests = parseResourceList(requestsText);
    const selector = str(f, 'containers') ?? '*';
    return {
      apply({ containers }) {
        const chosen = containers.filter(({ list, container }) => list === 'containers' && globMatch(selector, container.name));
        if (!chosen.length) return { errors: [`error: unable to find container named ${selector}`] };
        for (const { container } of chosen) {
          const resources = { ...((container['resources'] ?? {}) as Obj) };
          if (Object.keys(limits).length) resources['limits'] = { ...(resources['limits'] ?? {}), ...limits };
          if (Object.keys(requests).length) resources['requests'] = { ...(resources['requests'] ?? {}), ...requests };
          container['resources'] = resources;
        }
        return { errors: [] };
      },
    };
  },
});

export const setCommand: KubectlCommand = {
  flags: [],
  run: () => Promise.resolve(1),
  sub: { image: setImage, env: setEnv, resources: setResources },
};
