// `kubectl label` and `kubectl annotate` on named objects: KEY=VALUE and KEY- arguments, --overwrite, a merge patch
// of metadata, and kubectl's messages. Selectors, --all, --list, --local, -f, dry runs and output formats are left to
// the real kubectl.
import { bool, FallbackSignal, FlagError, str, type FlagSpec } from '../flags.ts';
import { kindString, resourcePath } from '../discovery.ts';
import type { KubectlCommand } from '../main.ts';
import { resolveTargets } from './args.ts';

type Fields = Record<string, any>;

/** kubectl's GetResourcesAndPairs: resources first, then KEY=VALUE / KEY- changes. */
export function splitResourcesAndPairs(args: string[], pairType: string): { resources: string[]; pairs: string[] } {
  const resources: string[] = [];
  const pairs: string[] = [];
  for (const s of args) {
    const pair = (s.includes('=') && s[0] !== '=') || (s.endsWith('-') && s !== '-');
    if (pair) pairs.push(s);
    else if (pairs.length > 0) throw new FlagError(`all resources must be specified before ${pairType} changes: ${s}`);
    else resources.push(s);
  }
  return { resources, pairs };
}

const LABEL_VALUE = /^(?:(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function parseLabels(pairs: string[]): { set: Map<string, string>; remove: string[] } {
  const set = new Map<string, string>();
  const remove: string[] = [];
  for (const spec of pairs) {
    if (spec.includes('=')) {
      const parts = spec.split('=');
      if (parts.length !== 2) throw new FlagError(`invalid label spec: ${spec}`);
      if (!LABEL_VALUE.test(parts[1]!) || parts[1]!.length > 63) throw new FallbackSignal('label value');
      set.set(parts[0]!, parts[1]!);
    } else if (spec.endsWith('-')) remove.push(spec.slice(0, -1));
    else throw new FlagError(`unknown label spec: ${spec}`);
  }
  if (remove.some((k) => set.has(k))) throw new FlagError('can not both modify and remove a label in the same command');
  return { set, remove };
}

function parseAnnotations(pairs: string[]): { set: Map<string, string>; remove: string[] } {
  const set = new Map<string, string>();
  const remove: string[] = [];
  const invalid: string[] = [];
  for (const spec of pairs) {
    if (spec.includes('=') && spec[0] !== '=') {
      const eq = spec.indexOf('=');
      set.set(spec.slice(0, eq), spec.slice(eq + 1));
    } else if (spec.endsWith('-') && spec !== '-') remove.push(spec.slice(0, -1));
    else invalid.push(spec);
  }
  if (invalid.length) throw new FlagError(`invalid annotation format: ${invalid.join(', ')}`);
  const both = remove.filter((k) => set.has(k));
  if (both.length) throw new FlagError(`can not both modify and remove the following annotation(s) in the same command: ${both.join(', ')}`);
  return { set, remove };
}

const common: FlagSpec[] = [
  { name: 'overwrite', type: 'bool' },
  { name: 'field-manager', type: 'string' },
];
const unsupported = ['selector', 'l', 'field-selector', 'all', 'all-namespaces', 'A', 'list', 'local', 'dry-run', 'output', 'o', 'resource-version', 'filename', 'f', 'recursive', 'R', 'kustomize', 'k', 'template', 'show-managed-fields', 'allow-missing-template-keys'];

function metadataCommand(kind: 'label' | 'annotation'): KubectlCommand {
  const field = kind === 'label' ? 'labels' : 'annotations';
  return {
    flags: common,
    unsupported,
    async run(session, args) {
      const { resources, pairs } = splitResourcesAndPairs(args, kind);
      const changes = kind === 'label' ? parseLabels(pairs) : parseAnnotations(pairs);
      if (resources.length < 1) throw new FlagError('one or more resources must be specified as <resource> <name> or <resource>/<name>');
      if (changes.set.size === 0 && changes.remove.length === 0) throw new FlagError(`at least one ${kind} update is required`);
      const { targets } = await resolveTargets(session, resources);
      // Several objects: kubectl's aggregated errors are not modelled here.
      if (targets.length !== 1) throw new FallbackSignal('several objects');
      const t = targets[0]!;
      const rest = session.rest();
      const ns = t.resource.namespaced ? session.namespace : undefined;
      const obj = await rest.json<Fields>({ path: resourcePath(t.resource, ns, t.name) });
      const current: Record<string, string> = { ...(obj['metadata']?.[field] ?? {}) };
      const overwrite = bool(session.flags, 'overwrite');
      let out = '';
      if (kind === 'label') {
        for (const k of changes.remove) if (!(k in current)) out += `label ${JSON.stringify(k)} not found.\n`;
        if (!overwrite) {
          for (const [k, v] of changes.set) {
            if (k in current && current[k] !== v) {
              if (out) session.io.stdout(out);
              throw new Error(`'${k}' already has a value (${current[k]}), and --overwrite is false`);
            }
          }
        }
      } else if (!overwrite) {
        const clashes = [...changes.set].filter(([k, v]) => k !== 'kubernetes.io/change-cause' && k in current && current[k] !== v);
        if (clashes.length) throw new Error(`--overwrite is false but found the following declared annotation(s): ${clashes.map(([k]) => `'${k}' already has a value (${current[k]})`).join('; ')}`);
      }
      const patch: Record<string, string | null> = {};
      let added = 0;
      let removed = 0;
      for (const [k, v] of changes.set) {
        if (current[k] !== v) {
          patch[k] = v;
          added++;
        }
      }
      for (const k of changes.remove) {
        if (k in current) {
          patch[k] = null;
          removed++;
        }
      }
      // kubectl label sends nothing when nothing changes; kubectl annotate always patches.
      if (kind === 'annotation' || added + removed > 0) {
        const body = added + removed > 0 ? { metadata: { [field]: patch } } : {};
        await rest.request({
          method: 'PATCH',
          path: resourcePath(t.resource, ns, t.name),
          contentType: 'application/merge-patch+json',
          body,
          query: { fieldManager: str(session.flags, 'field-manager') ?? `kubectl-${kind === 'label' ? 'label' : 'annotate'}` },
        });
      }
      let message = 'annotated';
      if (kind === 'label') message = added ? 'labeled' : removed ? 'unlabeled' : 'not labeled';
      session.io.stdout(`${out}${kindString(t.resource)}/${t.name} ${message}\n`);
      return 0;
    },
  };
}

export const labelCommand = metadataCommand('label');
export const annotateCommand = metadataCommand('annotation');
