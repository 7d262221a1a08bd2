// `kubectl replace -f`: a PUT of each object (with the live resourceVersion when the file has none), and `--force`:
// delete, wait until gone, create again.
import { bool, FlagError, str, strs } from '../flags.ts';
import { kindString, resourcePath } from '../discovery.ts';
import { ApiError } from '../rest.ts';
import { FILENAME_FLAGS, readManifests, readOptions, type KubeObject, type ManifestObject } from '../manifest.ts';
import { addSource, reportErrors } from '../apply-errors.ts';
import { dryRunStrategy, formatObjects, objectName, operationLine, outputFormat, fieldValidation } from '../apply-print.ts';
import type { KubectlCommand } from '../main.ts';
import type { Session } from '../session.ts';
import { annotateForSave } from './create-files.ts';

const POLICIES: Record<string, string> = { background: 'Background', true: 'Background', foreground: 'Foreground', orphan: 'Orphan', false: 'Orphan' };

async function replaceOne(session: Session, m: ManifestObject, obj: KubeObject, dryRun: string, manager: string): Promise<KubeObject> {
  const rest = session.rest();
  const path = resourcePath(m.resource, m.namespace, m.name);
  const body: KubeObject = { ...obj, metadata: { ...(obj.metadata ?? {}) } };
  if (!body.metadata!['resourceVersion']) {
    try {
      const live = await rest.json<KubeObject>({ path });
      const rv = live.metadata?.['resourceVersion'];
      if (typeof rv === 'string') body.metadata!['resourceVersion'] = rv;
    } catch {
      // absent: the PUT says so
    }
  }
  return rest.json<KubeObject>({ method: 'PUT', path, query: { dryRun: dryRun === 'server' ? 'All' : undefined, fieldManager: manager, fieldValidation: fieldValidation(session.flags) }, body });
}

async function waitGone(session: Session, m: ManifestObject, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      await session.rest().request({ path: resourcePath(m.resource, m.namespace, m.name) });
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return;
      throw err;
    }
    if (Date.now() >= deadline) throw new Error('timed out waiting for the condition');
    await new Promise((r) => setTimeout(r, delay));
  }
}

export const replaceCommand: KubectlCommand = {
  flags: [
    ...FILENAME_FLAGS,
    { name: 'force', type: 'bool' },
    { name: 'dry-run', type: 'string' },
    { name: 'output', short: 'o', type: 'string' },
    { name: 'save-config', type: 'bool' },
    { name: 'validate', type: 'string' },
    { name: 'field-manager', type: 'string' },
    { name: 'cascade', type: 'string' },
    { name: 'grace-period', type: 'int' },
    { name: 'timeout', type: 'string' },
    { name: 'wait', type: 'bool' },
  ],
  unsupported: ['kustomize', 'k', 'raw', 'subresource', 'template', 'show-managed-fields', 'allow-missing-template-keys'],
  async run(session, args) {
    const f = session.flags;
    // Arguments are only read by --force in kubectl, and then as extra resources; Skiff ignores them as plain replace does.
    void args;
    const dryRun = dryRunStrategy(f);
    const output = outputFormat(f);
    const force = bool(f, 'force');
    const gracePeriod = str(f, 'grace-period') !== undefined ? Number(str(f, 'grace-period')) : -1;
    const fail = (message: string) => reportErrors((t) => session.io.stderr(t), [new Error(message)]);
    if (gracePeriod >= 0 && !force) return fail('--grace-period must have --force specified');
    if (str(f, 'timeout') !== undefined && !force) return fail('--timeout must have --force specified');
    if (force && dryRun !== 'none') return fail('--dry-run can not be used when --force is set');
    if (!strs(f, 'filename').length) return fail('must specify --filename to replace');
    const cascade = str(f, 'cascade') ?? 'background';
    const policy = POLICIES[cascade];
    if (!policy) throw new FlagError(`invalid cascade value (${cascade}). Must be "background", "foreground", or "orphan"`);
    const manager = str(f, 'field-manager') ?? 'kubectl-replace';
    const saveConfig = bool(f, 'save-config');
    const read = await readManifests(session, readOptions(f));
    const errors: Error[] = [];
    let printed = 0;
    const print = async (m: ManifestObject, obj: KubeObject) => {
      if (output === 'yaml' || output === 'json') {
        const text = await formatObjects([obj], output);
        session.io.stdout(output === 'yaml' && printed++ > 0 ? `---\n${text}` : text);
      } else session.io.stdout(operationLine(m.resource, objectName(obj), 'replaced', dryRun, output));
    };
    if (!force) {
      for (const entry of read.entries) {
        if (entry instanceof Error) {
          errors.push(entry);
          continue;
        }
        const obj = annotateForSave(entry.object, saveConfig);
        if (dryRun === 'client') {
          await print(entry, obj);
          continue;
        }
        try {
          await print(entry, await replaceOne(session, entry, obj, dryRun, manager));
        } catch (err) {
          errors.push(addSource('replacing', entry.source, err));
        }
      }
      return reportErrors((t) => session.io.stderr(t), errors);
    }
    // --force: delete everything first (printed as delete prints), wait, then create.
    if (read.errors.length) return reportErrors((t) => session.io.stderr(t), read.errors);
    for (const m of read.objects) {
      const body: Record<string, unknown> = { propagationPolicy: policy };
      if (gracePeriod >= 0) body['gracePeriodSeconds'] = gracePeriod;
      try {
        await session.rest().request({ method: 'DELETE', path: resourcePath(m.resource, m.namespace, m.name), body });
        const verb = gracePeriod === 0 ? 'force deleted' : 'deleted';
        session.io.stdout(`${kindString(m.resource)} "${m.name}" ${verb}${m.namespace ? ` from ${m.namespace} namespace` : ''}\n`);
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) continue;
        return reportErrors((t) => session.io.stderr(t), [addSource('deleting', m.source, err)]);
      }
    }
    const { parseDuration } = await import('./delete.ts');
    const timeout = str(f, 'timeout');
    const timeoutMs = timeout && parseDuration(timeout) > 0 ? parseDuration(timeout) : 5 * 60_000;
    for (const m of read.objects) {
      try {
        await waitGone(session, m, timeoutMs);
      } catch (err) {
        return reportErrors((t) => session.io.stderr(t), [err as Error]);
      }
    }
    let count = 0;
    for (const m of read.objects) {
      try {
        const created = await session.rest().json<KubeObject>({
          method: 'POST',
          path: resourcePath(m.resource, m.namespace),
          query: { fieldManager: manager, fieldValidation: fieldValidation(session.flags) },
          body: annotateForSave(m.object, saveConfig),
        });
        count++;
        await print(m, created);
      } catch (err) {
        errors.push(err as Error);
      }
    }
    if (errors.length) return reportErrors((t) => session.io.stderr(t), errors);
    if (!count) return fail('no objects passed to replace');
    return 0;
  },
};
