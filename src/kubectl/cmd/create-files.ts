// `kubectl create -f`: each object from the files POSTed as it is (the last-applied annotation refreshed only when the
// object already carries one, or written with --save-config), reported as it goes.
import { bool, str, strs } from '../flags.ts';
import { resourcePath } from '../discovery.ts';
import { FILENAME_FLAGS, readManifests, readOptions, type KubeObject } from '../manifest.ts';
import { addSource, reportErrors, usageError } from '../apply-errors.ts';
import { dryRunStrategy, formatObjects, objectName, operationLine, outputFormat, fieldValidation } from '../apply-print.ts';
import type { KubectlCommand } from '../main.ts';
import { filterBySelector, LAST_APPLIED, withLastApplied } from './apply.ts';

/** CreateOrUpdateAnnotation: with --save-config always, else only refreshing an annotation already there. */
export function annotateForSave(obj: KubeObject, saveConfig: boolean): KubeObject {
  const annotations = obj.metadata?.['annotations'] as Record<string, unknown> | undefined;
  if (saveConfig || annotations?.[LAST_APPLIED] !== undefined) return withLastApplied(obj);
  return obj;
}

export const createFromFilesFlags = [
  ...FILENAME_FLAGS,
  { name: 'selector', short: 'l', type: 'string' },
  { name: 'dry-run', type: 'string' },
  { name: 'output', short: 'o', type: 'string' },
  { name: 'save-config', type: 'bool' },
  { name: 'validate', type: 'string' },
  { name: 'field-manager', type: 'string' },
] as const;

export const createFromFiles: KubectlCommand = {
  flags: createFromFilesFlags,
  unsupported: ['kustomize', 'k', 'edit', 'raw', 'windows-line-endings', 'template', 'show-managed-fields', 'allow-missing-template-keys'],
  async run(session, args) {
    const f = session.flags;
    if (args.length) return reportErrors((t) => session.io.stderr(t), [usageError('create', `Unexpected args: [${args.join(' ')}]`)]);
    if (!strs(f, 'filename').length) {
      session.io.stderr('error: must specify one of -f and -k\n');
      return 1;
    }
    const dryRun = dryRunStrategy(f);
    const output = outputFormat(f);
    const read = await readManifests(session, readOptions(f));
    const selected = new Set(await filterBySelector(read.objects, str(f, 'selector')));
    const errors: Error[] = [];
    let count = 0;
    let printed = 0;
    for (const entry of read.entries) {
      if (entry instanceof Error) {
        errors.push(entry);
        continue;
      }
      if (!selected.has(entry)) continue;
      let obj = annotateForSave(entry.object, bool(f, 'save-config'));
      if (dryRun !== 'client') {
        try {
          obj = await session.rest().json<KubeObject>({
            method: 'POST',
            path: resourcePath(entry.resource, entry.namespace),
            query: { dryRun: dryRun === 'server' ? 'All' : undefined, fieldManager: str(f, 'field-manager') ?? 'kubectl-create', fieldValidation: fieldValidation(session.flags) },
            body: obj,
          });
        } catch (err) {
          errors.push(addSource('creating', entry.source, err));
          continue;
        }
      }
      count++;
      if (output === 'yaml' || output === 'json') {
        const text = await formatObjects([obj], output);
        session.io.stdout(output === 'yaml' && printed++ > 0 ? `---\n${text}` : text);
      } else session.io.stdout(operationLine(entry.resource, objectName(obj), 'created', dryRun, output));
    }
    if (errors.length) return reportErrors((t) => session.io.stderr(t), errors);
    if (!count) return reportErrors((t) => session.io.stderr(t), [new Error('no objects passed to create')]);
    return 0;
  },
};
