// `kubectl patch TYPE NAME -p PATCH [--type strategic|merge|json] [--subresource status|scale]`: read the object,
// send the patch, and say `patched` or `patched (no change)` as the answer compares with what was read.
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { FallbackSignal, FlagError, str } from '../flags.ts';
import { resourcePath, type ResourceInfo } from '../discovery.ts';
import type { KubectlCommand } from '../main.ts';
import { CommandError, guarded, dryRunOf, DRY_RUN_FLAG, formatObject, outputOf, OUTPUT_FLAG, PRINT_UNSUPPORTED, type Obj } from '../mutate-output.ts';
import { resolveTargets } from './args.ts';

const PATCH_TYPES: Record<string, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

/** apimachinery's yaml.ToJSON: JSON passes through untouched, YAML is converted. */
export async function patchToJson(text: string): Promise<string> {
  if (/^\s*[{[]/.test(text)) return text;
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(text, { version: '1.1' });
  if (doc.errors.length) {
    const first = doc.errors[0]!;
    throw new CommandError(`unable to parse ${JSON.stringify(text)}: yaml: ${first.code === 'BLOCK_AS_IMPLICIT_KEY' ? 'mapping values are not allowed in this context' : 'did not find expected node content'}`);
  }
  return JSON.stringify(doc.toJS() ?? null);
}

/** The schema type name the strategic merge patch code knows a built-in kind by (io.k8s.api.apps.v1.Deployment). */
export function schemaTypeName(r: Pick<ResourceInfo, 'group' | 'version' | 'kind'>): string {
  const pkg = r.group === '' ? 'core' : r.group.split('.')[0]!;
  return `io.k8s.api.${pkg}.${r.version}.${r.kind}`;
}

/** The patch applied locally, for --dry-run=client. */
async function applyLocally(type: string, original: Obj, patch: unknown, r: ResourceInfo): Promise<Obj> {
  if (type === 'merge') {
    const { applyMergePatch } = await import('../../apiserver/patch/mergepatch.ts');
    return applyMergePatch(original, patch) as Obj;
  }
  if (type === 'json') {
    const { applyJsonPatch, decodeJsonPatch } = await import('../../apiserver/patch/jsonpatch.ts');
    return applyJsonPatch(original, decodeJsonPatch(patch).operations) as Obj;
  }
  const { applyStrategicMergePatch } = await import('../../apiserver/patch/strategic.ts');
  try {
    return applyStrategicMergePatch(original as never, patch, schemaTypeName(r)) as Obj;
  } catch {
    throw new CommandError(`strategic merge patch is not supported for ${r.group ? `${r.group}/` : ''}${r.version}, Kind=${r.kind} locally, try --type merge`);
  }
}

export const patchCommand: KubectlCommand = guarded({
  flags: [
    DRY_RUN_FLAG,
    OUTPUT_FLAG,
    { name: 'patch', short: 'p', type: 'string' },
    { name: 'patch-file', type: 'string' },
    { name: 'type', type: 'string' },
    { name: 'subresource', type: 'string' },
    { name: 'field-manager', type: 'string' },
  ],
  unsupported: ['local', 'filename', 'f', 'recursive', 'R', 'kustomize', 'k', 'record', ...PRINT_UNSUPPORTED],
  async run(session, args) {
    const f = session.flags;
    const dryRun = dryRunOf(f);
    const format = outputOf(f);
    const patchText = str(f, 'patch') ?? '';
    const patchFile = str(f, 'patch-file') ?? '';
    if (patchText && patchFile) throw new CommandError('cannot specify --patch and --patch-file together');
    if (!patchText && !patchFile) throw new CommandError('must specify --patch or --patch-file containing the contents of the patch');
    const typeFlag = str(f, 'type') ?? '';
    const type = typeFlag ? typeFlag.toLowerCase() : 'strategic';
    if (!(type in PATCH_TYPES)) throw new CommandError(`--type must be one of [json merge strategic], not ${JSON.stringify(typeFlag)}`);
    let raw = patchText;
    if (patchFile) {
      try {
        raw = readFileSync(patchFile, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new CommandError(`unable to read patch file: open ${patchFile}: ${code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
      }
    }
    const body = await patchToJson(raw);
    if (args.length === 0) {
      throw new FlagError("You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'");
    }
    const { targets } = await resolveTargets(session, args);
    if (targets.length !== 1) throw new FallbackSignal('several objects');
    const t = targets[0]!;
    const subresource = str(f, 'subresource') || undefined;
    const ns = t.resource.namespaced ? session.namespace : undefined;
    const path = resourcePath(t.resource, ns, t.name, subresource);
    const rest = session.rest();
    const original = await rest.json<Obj>({ path });
    let patched: Obj;
    let changed: boolean;
    if (dryRun === 'client') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch (err) {
        throw new CommandError((err as Error).message);
      }
      patched = await applyLocally(type, original, parsed, t.resource);
      // kubectl compares decoded objects whose numbers differ in type after patching: it reports a change.
      changed = true;
    } else {
      patched = await rest.json<Obj>({
        method: 'PATCH',
        path,
        contentType: PATCH_TYPES[type]!,
        body,
        query: { dryRun: dryRun === 'server' ? 'All' : undefined, fieldManager: str(f, 'field-manager') ?? 'kubectl-patch' },
      });
      changed = !isDeepStrictEqual(original, patched);
    }
    const kind = String(patched['kind'] ?? t.resource.kind);
    const apiVersion = String(patched['apiVersion'] ?? '');
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : subresource ? '' : t.resource.group;
    const shown = { kind, group };
    session.io.stdout(await formatObject(patched, shown, format, changed ? 'patched' : 'patched (no change)', 'none', 'sorted'));
    return 0;
  },
});
