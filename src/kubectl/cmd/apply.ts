// `kubectl apply -f`: client-side apply (the last-applied-configuration annotation, create when absent, else a three-way
// patch), `--server-side` (an apply patch), `--prune -l` over kubectl's default allowlist, and both dry-run modes.
// Per object: one GET and at most one write; discovery once; no OpenAPI download.
import { bool, str, strs } from '../flags.ts';
import { resourcePath, type DiscoveryData, type ResourceInfo } from '../discovery.ts';
import { ApiError } from '../rest.ts';
import { FILENAME_FLAGS, findKind, readManifests, readOptions, type KubeObject, type ManifestObject } from '../manifest.ts';
import { addSource, combined, reportErrors, usageError } from '../apply-errors.ts';
import { dryRunStrategy, formatObjects, objectName, operationLine, outputFormat, fieldValidation, type DryRun, type OutputFormat } from '../apply-print.ts';
import { builtinType, goJsonCompact, isMap, threeWayJsonMergePatch, threeWayStrategicPatch } from '../apply-patch.ts';
import { klogWarning } from '../klog.ts';
import { lastAppliedOwners, upgradeManagedFieldsPatch, type ManagedFieldsEntry } from '../apply-migrate.ts';
import type { KubectlCommand } from '../main.ts';
import type { Session } from '../session.ts';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const CLIENT_SIDE_MANAGER = 'kubectl-client-side-apply';
const MAX_PATCH_RETRY = 5;

const SSA_CONFLICT_HELP = `Please review the fields above--they currently have other managers. Here
are the ways you can resolve this warning:
* If you intend to manage all of these fields, please re-run the apply
  command with the \`--force-conflicts\` flag.
* If you do not intend to manage all of the fields, please edit your
  manifest to remove references to the fields that should keep their
  current managers.
* You may co-own fields by updating your manifest to match the existing
  value; in this case, you'll become the manager if the other manager(s)
  stop managing the field (remove it from their configuration).
See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts`;

/** kubectl's default --prune-allowlist: [group, version, kind, namespaced]. */
const DEFAULT_PRUNE: Array<[string, string, string, boolean]> = [
  ['', 'v1', 'ConfigMap', true],
  ['', 'v1', 'Endpoints', true],
  ['', 'v1', 'PersistentVolumeClaim', true],
  ['', 'v1', 'Pod', true],
  ['', 'v1', 'ReplicationController', true],
  ['', 'v1', 'Secret', true],
  ['', 'v1', 'Service', true],
  ['batch', 'v1', 'Job', true],
  ['batch', 'v1', 'CronJob', true],
  ['networking.k8s.io', 'v1', 'Ingress', true],
  ['apps', 'v1', 'DaemonSet', true],
  ['apps', 'v1', 'Deployment', true],
  ['apps', 'v1', 'ReplicaSet', true],
  ['apps', 'v1', 'StatefulSet', true],
  ['', 'v1', 'Namespace', false],
  ['', 'v1', 'PersistentVolume', false],
];

function annotations(obj: KubeObject): Record<string, string> | undefined {
  const a = obj.metadata?.['annotations'];
  return isMap(a) ? (a as Record<string, string>) : undefined;
}

/** The object's JSON without the last-applied annotation (annotations left as `{}` when it was the only one). */
export function lastAppliedText(obj: KubeObject): string {
  const metadata = { ...(obj.metadata ?? {}) };
  const { [LAST_APPLIED]: _dropped, ...rest } = annotations(obj) ?? {};
  metadata['annotations'] = rest;
  return `${goJsonCompact({ ...obj, metadata })}\n`;
}

/** The object carrying its own last-applied annotation (GetModifiedConfiguration / CreateApplyAnnotation). */
export function withLastApplied(obj: KubeObject): KubeObject {
  const text = lastAppliedText(obj);
  const { [LAST_APPLIED]: _dropped, ...rest } = annotations(obj) ?? {};
  return { ...obj, metadata: { ...(obj.metadata ?? {}), annotations: { ...rest, [LAST_APPLIED]: text } } };
}

function pruneNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pruneNulls);
  if (isMap(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = pruneNulls(x);
    return out;
  }
  return v;
}

/** `Resource: "apps/v1, Resource=deployments", GroupVersionKind: …` (resource.Info's String). */
function infoString(m: ManifestObject): string {
  const r = m.resource;
  return `Resource: "${r.group}/${r.version}, Resource=${r.resource}", GroupVersionKind: "${r.group}/${r.version}, Kind=${r.kind}"\nName: ${JSON.stringify(m.name)}, Namespace: ${JSON.stringify(m.namespace)}`;
}

interface ApplyContext {
  session: Session;
  dryRun: DryRun;
  output: OutputFormat;
  fieldManager: string;
  forceConflicts: boolean;
  visitedUids: Set<string>;
  /** The objects as they ended up, for -o yaml|json. */
  results: KubeObject[];
}

function writeQuery(ctx: ApplyContext, manager: string): Record<string, string | undefined> {
  return { dryRun: ctx.dryRun === 'server' ? 'All' : undefined, fieldManager: manager, fieldValidation: fieldValidation(ctx.session.flags) };
}

async function getLive(session: Session, m: ManifestObject): Promise<KubeObject | undefined> {
  try {
    return await session.rest().json<KubeObject>({ path: resourcePath(m.resource, m.namespace, m.name) });
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return undefined;
    throw addSource(`retrieving current configuration of:\n${infoString(m)}\nfrom server for:`, m.source, err);
  }
}

/** The patch from live to the new configuration and its content type. */
export function computePatch(m: ManifestObject, modified: KubeObject, live: KubeObject): { patch: Record<string, unknown>; contentType: string } {
  const originalText = annotations(live)?.[LAST_APPLIED];
  const original = originalText ? (JSON.parse(originalText) as Record<string, unknown>) : undefined;
  const fq = builtinType(String(modified['apiVersion']), String(modified['kind']));
  if (fq) return { patch: threeWayStrategicPatch(original, modified, live, fq), contentType: 'application/strategic-merge-patch+json' };
  return { patch: threeWayJsonMergePatch(original, modified, live), contentType: 'application/merge-patch+json' };
}

async function applyClientSide(ctx: ApplyContext, m: ManifestObject): Promise<void> {
  const { session } = ctx;
  const rest = session.rest();
  const modified = withLastApplied(m.object);
  let live = await getLive(session, m);
  if (!live) {
    const body = pruneNulls(withLastApplied(m.object)) as KubeObject;
    let created = body;
    if (ctx.dryRun !== 'client') {
      try {
        created = await rest.json<KubeObject>({ method: 'POST', path: resourcePath(m.resource, m.namespace), query: writeQuery(ctx, ctx.fieldManager), body });
      } catch (err) {
        throw addSource('creating', m.source, err);
      }
    }
    finish(ctx, m, created, 'created');
    return;
  }
  const uid = live.metadata?.['uid'];
  if (typeof uid === 'string') ctx.visitedUids.add(uid);
  if (annotations(live)?.[LAST_APPLIED] === undefined) {
    session.io.stderr(
      `Warning: resource ${m.resource.resource}/${m.name} is missing the ${LAST_APPLIED} annotation which is required by kubectl apply. kubectl apply should only be used on resources created declaratively by either kubectl create --save-config or kubectl apply. The missing annotation will be patched automatically.\n`,
    );
  }
  // kubectl 1.35 computes no patch for --dry-run=client: the live object is reported as configured.
  if (ctx.dryRun === 'client') {
    finish(ctx, m, live, 'configured');
    return;
  }
  let { patch, contentType } = computePatch(m, modified, live);
  if (!Object.keys(patch).length) {
    finish(ctx, m, live, 'unchanged');
    return;
  }
  let result: KubeObject;
  for (let attempt = 0; ; attempt++) {
    try {
      result = await rest.json<KubeObject>({ method: 'PATCH', path: resourcePath(m.resource, m.namespace, m.name), query: writeQuery(ctx, ctx.fieldManager), body: patch, contentType });
      break;
    } catch (err) {
      if (err instanceof ApiError && err.code === 409 && attempt < MAX_PATCH_RETRY) {
        live = await session.rest().json<KubeObject>({ path: resourcePath(m.resource, m.namespace, m.name) });
        ({ patch, contentType } = computePatch(m, modified, live));
        if (!Object.keys(patch).length) {
          result = live;
          break;
        }
        continue;
      }
      const sourced = addSource('patching', m.source, err);
      throw addSource(`applying patch:\n${goJsonCompact(patch)}\nto:\n${infoString(m)}\nfor:`, m.source, sourced);
    }
  }
  finish(ctx, m, result, 'configured');
}

async function applyServerSide(ctx: ApplyContext, m: ManifestObject): Promise<void> {
  const rest = ctx.session.rest();
  const query = { ...writeQuery(ctx, ctx.fieldManager), force: String(ctx.forceConflicts) };
  let result: KubeObject;
  try {
    result = await rest.json<KubeObject>({ method: 'PATCH', path: resourcePath(m.resource, m.namespace, m.name), query, body: goJsonCompact(m.object), contentType: 'application/apply-patch+yaml' });
  } catch (err) {
    if (err instanceof ApiError && err.code === 409) throw new Error(`${err.status.message ?? err.message}\n${SSA_CONFLICT_HELP}`, { cause: err });
    throw err;
  }
  result = await saveLastAppliedIfNecessary(ctx, m, result);
  result = await migrateToServerSide(ctx, m, result, () => rest.json<KubeObject>({ method: 'PATCH', path: resourcePath(m.resource, m.namespace, m.name), query, body: goJsonCompact(m.object), contentType: 'application/apply-patch+yaml' }));
  finish(ctx, m, result, 'serverside-applied');
}

/** With the `kubectl` manager, an object still carrying a client-side last-applied annotation gets it owned by `kubectl-last-applied`. */
async function saveLastAppliedIfNecessary(ctx: ApplyContext, m: ManifestObject, obj: KubeObject): Promise<KubeObject> {
  if (ctx.fieldManager !== 'kubectl') return obj;
  const text = annotations(obj)?.[LAST_APPLIED];
  if (text === undefined) return obj;
  if (lastAppliedOwners(managedFields(obj), 'Apply').length) return obj;
  const body = { apiVersion: m.object['apiVersion'], kind: m.object['kind'], metadata: { annotations: { [LAST_APPLIED]: text }, name: m.name, ...(m.namespace ? { namespace: m.namespace } : {}) } };
  try {
    return await ctx.session.rest().json<KubeObject>({
      method: 'PATCH',
      path: resourcePath(m.resource, m.namespace, m.name),
      query: { dryRun: ctx.dryRun === 'server' ? 'All' : undefined, fieldManager: 'kubectl-last-applied' },
      body: goJsonCompact(body),
      contentType: 'application/apply-patch+yaml',
    });
  } catch (err) {
    ctx.session.io.stderr(`Warning: failed to migrate ${LAST_APPLIED} for Server-Side Apply. This is non-fatal and will be retried next time you apply. Error: ${(err as Error).message}\n`);
    return obj;
  }
}

function managedFields(obj: KubeObject): ManagedFieldsEntry[] {
  const managed = obj.metadata?.['managedFields'];
  return Array.isArray(managed) ? (managed as ManagedFieldsEntry[]) : [];
}

/** Hands the fields client-side apply managed to the server-side manager, then applies again (migrateToSSAIfNecessary). */
async function migrateToServerSide(ctx: ApplyContext, m: ManifestObject, obj: KubeObject, reapply: () => Promise<KubeObject>): Promise<KubeObject> {
  const rest = ctx.session.rest();
  const warn = (text: string, err: unknown) => {
    ctx.session.io.stderr(`Warning: ${text} This is non-fatal and will be retried next time you apply. Error: ${(err as Error).message}\n`);
    return obj;
  };
  let current = obj;
  for (let attempt = 0; ; attempt++) {
    const managers = new Set(lastAppliedOwners(managedFields(current), 'Update').map((e) => e.manager ?? ''));
    const patch = managers.size ? upgradeManagedFieldsPatch(managedFields(current), String(current.metadata?.['resourceVersion'] ?? ''), managers, ctx.fieldManager) : undefined;
    if (!patch) return current;
    try {
      await rest.json<KubeObject>({ method: 'PATCH', path: resourcePath(m.resource, m.namespace, m.name), query: { dryRun: ctx.dryRun === 'server' ? 'All' : undefined }, body: patch, contentType: 'application/json-patch+json' });
      break;
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409) || attempt + 1 >= MAX_PATCH_RETRY) return warn('server rejected managed fields migration to Server-Side Apply.', err);
      current = await rest.json<KubeObject>({ path: resourcePath(m.resource, m.namespace, m.name) });
    }
  }
  try {
    return await reapply();
  } catch (err) {
    return warn('failed to re-apply configuration after performing Server-Side Apply migration.', err);
  }
}

function finish(ctx: ApplyContext, m: ManifestObject, obj: KubeObject, operation: string): void {
  const uid = obj.metadata?.['uid'];
  if (typeof uid === 'string') ctx.visitedUids.add(uid);
  if (obj.metadata?.['deletionTimestamp']) ctx.session.io.stderr(`Warning: Detected changes to resource ${m.name} which is currently being deleted.\n`);
  ctx.results.push(obj);
  if (ctx.output === '' || ctx.output === 'name') ctx.session.io.stdout(operationLine(m.resource, objectName(obj) || m.name, operation, ctx.dryRun, ctx.output));
}

function labelsOf(obj: KubeObject): Record<string, string> {
  const l = obj.metadata?.['labels'];
  return isMap(l) ? (l as Record<string, string>) : {};
}

/** Keeps the objects a -l selector matches (the builder's LabelSelectorParam). */
export async function filterBySelector(objects: ManifestObject[], selector: string | undefined): Promise<ManifestObject[]> {
  if (!selector) return objects;
  const { parseLabelSelector, matchesLabels } = await import('../../apiserver/selectors.ts');
  const sel = parseLabelSelector(selector);
  return objects.filter((m) => matchesLabels(sel, labelsOf(m.object)));
}

async function pruneAll(ctx: ApplyContext, data: DiscoveryData, namespaces: string[], selector: string, allowlist: string[]): Promise<void> {
  const { session } = ctx;
  const mappings: Array<{ resource: ResourceInfo; namespaced: boolean }> = [];
  if (!allowlist.length) {
    klogWarning(session.io, 'prune.go:71', 'Deprecated: kubectl apply will no longer prune non-namespaced resources by default when used with the --namespace flag in a future release. To preserve the current behaviour, list the resources you want to target explicitly in the --prune-allowlist flag.');
    for (const [group, version, kind, namespaced] of DEFAULT_PRUNE) {
      const r = findKind(data, group ? `${group}/${version}` : version, kind);
      if (!r) throw new Error(`error retrieving RESTMappings to prune: invalid resource {${group} ${version} ${kind} ${namespaced}}: no matches for kind "${kind}" in version "${group ? `${group}/${version}` : version}"`);
      mappings.push({ resource: r, namespaced });
    }
  } else {
    for (const entry of allowlist) {
      const parts = entry.split('/');
      if (parts.length !== 3) throw new Error(`invalid GroupVersionKind format: ${entry}, please follow <group/version/kind>`);
      const [group, version, kind] = parts as [string, string, string];
      const g = group === 'core' ? '' : group;
      const r = findKind(data, g ? `${g}/${version}` : version, kind);
      if (!r) throw new Error(`no matches for kind "${kind}" in version "${g ? `${g}/${version}` : version}"`);
      mappings.push({ resource: r, namespaced: r.namespaced });
    }
  }
  const rest = session.rest();
  const pruneIn = async (resource: ResourceInfo, namespace: string) => {
    const list = await rest.json<{ items?: KubeObject[] }>({ path: resourcePath(resource, namespace || undefined), query: { labelSelector: selector } });
    for (const obj of list.items ?? []) {
      if (annotations(obj)?.[LAST_APPLIED] === undefined) continue;
      if (ctx.visitedUids.has(String(obj.metadata?.['uid']))) continue;
      const name = String(obj.metadata?.['name']);
      if (ctx.dryRun !== 'client') {
        await rest.request({
          method: 'DELETE',
          path: resourcePath(resource, namespace || undefined, name),
          body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', ...(ctx.dryRun === 'server' ? { dryRun: ['All'] } : {}) },
        });
      }
      session.io.stdout(operationLine(resource, name, 'pruned', ctx.dryRun, ctx.output === 'name' ? 'name' : ''));
    }
  };
  for (const ns of namespaces) for (const m of mappings.filter((x) => x.namespaced)) await pruneIn(m.resource, ns);
  for (const m of mappings.filter((x) => !x.namespaced)) await pruneIn(m.resource, '');
}

export const applyCommand: KubectlCommand = {
  flags: [
    ...FILENAME_FLAGS,
    { name: 'selector', short: 'l', type: 'string' },
    { name: 'prune', type: 'bool' },
    { name: 'all', type: 'bool' },
    { name: 'prune-allowlist', type: 'strings' },
    { name: 'server-side', type: 'bool' },
    { name: 'force-conflicts', type: 'bool' },
    { name: 'field-manager', type: 'string' },
    { name: 'dry-run', type: 'string' },
    { name: 'output', short: 'o', type: 'string' },
    { name: 'overwrite', type: 'bool' },
    { name: 'validate', type: 'string' },
    { name: 'openapi-patch', type: 'bool' },
    { name: 'cascade', type: 'string' },
  ],
  unsupported: ['kustomize', 'k', 'applyset', 'subresource', 'force', 'grace-period', 'timeout', 'wait', 'template', 'show-managed-fields', 'allow-missing-template-keys', 'record', 'server-dry-run'],
  async run(session, args) {
    const f = session.flags;
    if (args.length) return reportErrors((t) => session.io.stderr(t), [usageError('apply', `Unexpected args: [${args.join(' ')}]`)]);
    const serverSide = bool(f, 'server-side');
    const forceConflicts = bool(f, 'force-conflicts');
    const dryRun = dryRunStrategy(f);
    const output = outputFormat(f);
    const selector = str(f, 'selector');
    const prune = bool(f, 'prune');
    const all = bool(f, 'all');
    const fail = (message: string) => {
      session.io.stderr(`error: ${message}\n`);
      return 1;
    };
    if (!strs(f, 'filename').length) return fail('must specify one of -f and -k');
    if (forceConflicts && !serverSide) return fail('--force-conflicts only works with --server-side');
    if (dryRun === 'client' && serverSide) return fail("--dry-run=client doesn't work with --server-side (did you mean --dry-run=server instead?)");
    if (all && selector) return fail('cannot set --all and --selector at the same time');
    if (prune) {
      if (!all && !selector) {
        return fail('all resources selected for prune without explicitly passing --all. To prune all resources, pass the --all flag. If you did not mean to prune all resources, specify a label selector');
      }
      if (serverSide) return fail("--prune is in alpha and doesn't currently work on objects created by server-side apply");
    }
    const ctx: ApplyContext = {
      session,
      dryRun,
      output,
      fieldManager: str(f, 'field-manager') ?? (serverSide ? 'kubectl' : CLIENT_SIDE_MANAGER),
      forceConflicts,
      visitedUids: new Set(),
      results: [],
    };
    const read = await readManifests(session, readOptions(f));
    const objects = await filterBySelector(read.objects, selector);
    const errors: Error[] = combined(read.errors);
    if (!objects.length && !errors.length) return fail('no objects passed to apply');
    const namespaces: string[] = [];
    if (str(f, 'namespace') !== undefined) namespaces.push(session.namespace);
    for (const m of objects) {
      if (m.resource.namespaced && !namespaces.includes(m.namespace)) namespaces.push(m.namespace);
      try {
        if (!m.name) {
          const generateName = m.object.metadata?.['generateName'];
          throw new Error(typeof generateName === 'string' && generateName ? `from ${generateName}: cannot use generate name with apply` : 'resource name may not be empty');
        }
        if (serverSide) await applyServerSide(ctx, m);
        else await applyClientSide(ctx, m);
      } catch (err) {
        errors.push(err as Error);
      }
    }
    if (errors.length) return reportErrors((t) => session.io.stderr(t), errors);
    if (output === 'yaml' || output === 'json') session.io.stdout(await formatObjects(ctx.results, output));
    if (prune) {
      try {
        await pruneAll(ctx, await session.discovery().data(), namespaces, selector ?? '', strs(f, 'prune-allowlist'));
      } catch (err) {
        return reportErrors((t) => session.io.stderr(t), [err as Error]);
      }
    }
    return 0;
  },
};
