// `kubectl diff -f`: each object live and as the server would make it (a server-side dry-run of the patch apply
// would send, or of the create), written as YAML into two temporary directories, LIVE-… and MERGED-…, compared by
// `diff -u -N` (or $KUBECTL_EXTERNAL_DIFF). Exit 0: no differences, 1: differences, more: trouble.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bool, str, strs } from '../flags.ts';
import { resourcePath } from '../discovery.ts';
import { ApiError } from '../rest.ts';
import { FILENAME_FLAGS, readManifests, readOptions, type KubeObject, type ManifestObject } from '../manifest.ts';
import { errorText, usageError } from '../apply-errors.ts';
import { goJsonCompact, isMap } from '../apply-patch.ts';
import { computePatch, filterBySelector, LAST_APPLIED } from './apply.ts';
import type { KubectlCommand } from '../main.ts';
import type { Session } from '../session.ts';

const MAX_RETRIES = 4;

/** A new directory `<tmp>/<prefix>-<random number>`, named as Go's os.MkdirTemp names it. */
function makeTempDir(prefix: string): string {
  for (;;) {
    const dir = join(tmpdir(), `${prefix}-${Math.floor(Math.random() * 2 ** 32)}`);
    try {
      mkdirSync(dir, { mode: 0o700 });
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** `apps.v1.Deployment.default.web`: the file name of one object in both directories. */
export function diffFileName(m: Pick<ManifestObject, 'resource' | 'namespace' | 'name'>): string {
  const r = m.resource;
  return `${r.group ? `${r.group}.` : ''}${r.version}.${r.kind}.${m.namespace}.${m.name}`;
}

/** GetModifiedConfiguration without the annotation: the object, its last-applied annotation dropped. */
function withoutLastApplied(obj: KubeObject): KubeObject {
  const a = obj.metadata?.['annotations'];
  const { [LAST_APPLIED]: _dropped, ...rest } = isMap(a) ? (a as Record<string, unknown>) : {};
  return { ...obj, metadata: { ...(obj.metadata ?? {}), annotations: rest } };
}

async function merged(session: Session, m: ManifestObject, live: KubeObject | undefined, force: boolean, manager: string, serverSide: boolean, forceConflicts: boolean): Promise<KubeObject> {
  const rest = session.rest();
  if (serverSide) {
    return rest.json<KubeObject>({
      method: 'PATCH',
      path: resourcePath(m.resource, m.namespace, m.name),
      query: { dryRun: 'All', fieldManager: manager, force: String(forceConflicts) },
      body: goJsonCompact(m.object),
      contentType: 'application/apply-patch+yaml',
    });
  }
  if (!live) return rest.json<KubeObject>({ method: 'POST', path: resourcePath(m.resource, m.namespace), query: { dryRun: 'All', fieldManager: manager }, body: m.object });
  const { patch, contentType } = computePatch(m, withoutLastApplied(m.object), live);
  if (!Object.keys(patch).length) return live;
  if (!force) {
    const meta = isMap(patch['metadata']) ? patch['metadata'] : {};
    patch['metadata'] = { ...meta, resourceVersion: live.metadata?.['resourceVersion'] };
  }
  return rest.json<KubeObject>({ method: 'PATCH', path: resourcePath(m.resource, m.namespace, m.name), query: { dryRun: 'All', fieldManager: manager }, body: patch, contentType });
}

function omitManagedFields(obj: KubeObject | undefined): KubeObject | undefined {
  if (!obj?.metadata || !('managedFields' in obj.metadata)) return obj;
  const { managedFields: _omitted, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/** Secret data shown as *** (changed values as *** (before) / *** (after)), as kubectl masks them. */
export function maskSecrets(from: KubeObject | undefined, to: KubeObject | undefined): [KubeObject | undefined, KubeObject | undefined] {
  const f = isMap(from?.['data']) ? { ...(from['data'] as Record<string, unknown>) } : undefined;
  const t = isMap(to?.['data']) ? { ...(to['data'] as Record<string, unknown>) } : undefined;
  for (const k of Object.keys(f ?? {})) {
    if (t && Object.hasOwn(t, k)) {
      if (f![k] !== t[k]) {
        f![k] = '*** (before)';
        t[k] = '*** (after)';
        continue;
      }
      t[k] = '***';
    }
    f![k] = '***';
  }
  for (const k of Object.keys(t ?? {})) if (!f || !Object.hasOwn(f, k)) t![k] = '***';
  return [from && f ? { ...from, data: f } : from, to && t ? { ...to, data: t } : to];
}

function runDiff(session: Session, from: string, to: string): Promise<{ code: number | null; error?: Error }> {
  let command = 'diff';
  let args = ['-u', '-N', from, to];
  const external = session.env['KUBECTL_EXTERNAL_DIFF'];
  if (external) {
    const parts = external.split(' ');
    command = parts[0]!;
    args = [from, to, ...parts.slice(1).filter((a) => /^[a-zA-Z0-9-=]+$/.test(a))];
  }
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => session.io.stdout(c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => session.io.stderr(c.toString('utf8')));
    child.on('error', (error) => resolve({ code: null, error: new Error(`failed to run "${command}": ${error.message.includes('ENOENT') ? `exec: "${command}": executable file not found in $PATH` : error.message}`) }));
    child.on('close', (code) => resolve({ code }));
  });
}

export const diffCommand: KubectlCommand = {
  flags: [
    ...FILENAME_FLAGS,
    { name: 'selector', short: 'l', type: 'string' },
    { name: 'server-side', type: 'bool' },
    { name: 'force-conflicts', type: 'bool' },
    { name: 'field-manager', type: 'string' },
    { name: 'show-managed-fields', type: 'bool' },
    { name: 'show-secrets', type: 'bool' },
    { name: 'concurrency', type: 'int' },
    { name: 'validate', type: 'string' },
  ],
  unsupported: ['kustomize', 'k', 'prune', 'prune-allowlist'],
  async run(session, args) {
    const f = session.flags;
    // kubectl diff adds one to the exit code of every error: 1 means "differences".
    const fail = (err: Error) => {
      session.io.stderr(errorText(err));
      return 2;
    };
    if (args.length) return fail(usageError('diff', `Unexpected args: [${args.join(' ')}]`));
    if (!strs(f, 'filename').length) return fail(new Error('must specify one of -f and -k'));
    const serverSide = bool(f, 'server-side');
    const forceConflicts = bool(f, 'force-conflicts');
    if (forceConflicts && !serverSide) return fail(new Error('--force-conflicts only works with --server-side'));
    const manager = str(f, 'field-manager') ?? (serverSide ? 'kubectl' : 'kubectl-client-side-apply');
    let read;
    try {
      read = await readManifests(session, readOptions(f));
    } catch (err) {
      return fail(err as Error);
    }
    if (read.errors.length) return fail(read.errors[0]!);
    const objects = await filterBySelector(read.objects, str(f, 'selector'));
    const live = makeTempDir('LIVE');
    const mergedDir = makeTempDir('MERGED');
    try {
      for (const m of objects) {
        let from: KubeObject | undefined;
        let to: KubeObject | undefined;
        for (let attempt = 1; ; attempt++) {
          try {
            from = await session.rest().json<KubeObject>({ path: resourcePath(m.resource, m.namespace, m.name) });
          } catch (err) {
            if (!(err instanceof ApiError && err.code === 404)) return fail(err as Error);
            from = undefined;
          }
          try {
            to = await merged(session, m, from, attempt === MAX_RETRIES, manager, serverSide, forceConflicts);
            break;
          } catch (err) {
            if (err instanceof ApiError && err.code === 409 && attempt < MAX_RETRIES) continue;
            return fail(err as Error);
          }
        }
        if (from?.metadata?.['deletionTimestamp']) session.io.stderr(`Warning: Detected changes to resource ${m.name} which is currently being deleted.\n`);
        if (!bool(f, 'show-managed-fields')) {
          from = omitManagedFields(from);
          to = omitManagedFields(to);
        }
        if (!bool(f, 'show-secrets') && m.resource.group === '' && m.resource.version === 'v1' && m.resource.kind === 'Secret') [from, to] = maskSecrets(from, to);
        const { toGoYaml } = await import('../printers/yaml.ts');
        const name = diffFileName(m);
        writeFileSync(join(live, name), from ? toGoYaml(from) : '', { mode: 0o700 });
        writeFileSync(join(mergedDir, name), to ? toGoYaml(to) : '', { mode: 0o700 });
      }
      const result = await runDiff(session, live, mergedDir);
      if (result.error) return fail(result.error);
      if (result.code === 0 || result.code === 1) return result.code;
      return fail(new Error(`failed to run "${session.env['KUBECTL_EXTERNAL_DIFF'] ? session.env['KUBECTL_EXTERNAL_DIFF'].split(' ')[0] : 'diff'}": exit status ${result.code ?? 1}`));
    } finally {
      rmSync(live, { recursive: true, force: true });
      rmSync(mergedDir, { recursive: true, force: true });
    }
  },
};
