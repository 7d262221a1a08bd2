// Objects from `-f FILE|DIR|-` as kubectl's resource builder reads them: files and directories (-R for sub-directories,
// .json/.yaml/.yml only when walking), YAML streams of several documents and JSON, `kind: List` flattened, each object
// mapped to its resource through discovery and given the namespace it will live in.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FallbackSignal, strs, bool, str, type FlagSpec, type FlagValues } from './flags.ts';
import type { DiscoveryData, ResourceInfo } from './discovery.ts';
import type { Session } from './session.ts';

/** -f/--filename, -R/--recursive (kubectl's FilenameOptions). */
export const FILENAME_FLAGS: readonly FlagSpec[] = [
  { name: 'filename', short: 'f', type: 'strings' },
  { name: 'recursive', short: 'R', type: 'bool' },
];

export type KubeObject = Record<string, unknown> & { metadata?: Record<string, unknown> };

export interface ManifestObject {
  /** The file it came from (`STDIN` for `-`). */
  source: string;
  object: KubeObject;
  resource: ResourceInfo;
  name: string;
  /** The namespace it belongs to; '' for cluster-scoped resources. */
  namespace: string;
}

export interface ManifestResult {
  objects: ManifestObject[];
  /** What could not be read or mapped, in kubectl's words; the readable objects are still returned. */
  errors: Error[];
  /** Objects and errors in the order the files hold them (for verbs that report as they go). */
  entries: Array<ManifestObject | Error>;
}

/** A manifest problem kubectl reports without the `Error from server` prefix. */
export class ManifestError extends Error {
  override name = 'ManifestError';
}

const EXTENSIONS = ['.json', '.yaml', '.yml'];

/** The files named by -f, in kubectl's order: as given, directories walked in lexical order. */
export function expandFilenames(paths: readonly string[], recursive: boolean): Array<{ source: string; path: string | undefined }> {
  const out: Array<{ source: string; path: string | undefined }> = [];
  for (const p of paths) {
    if (p === '-') {
      out.push({ source: 'STDIN', path: undefined });
      continue;
    }
    if (/^https?:\/\//.test(p)) throw new FallbackSignal('-f URL');
    for (const match of globbed(p)) {
      if (statSync(match).isDirectory()) walk(match, recursive, true, out);
      else out.push({ source: match, path: match });
    }
  }
  return out;
}

/** The path itself when it exists, else what it matches as a pattern in its last segment (kubectl globs -f). */
function globbed(p: string): string[] {
  if (existsSync(p)) return [p];
  const base = basename(p);
  if (/[*?[]/.test(base) && !/[*?[]/.test(dirname(p))) {
    const re = new RegExp(`^${base.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
    let names: string[] = [];
    try {
      names = readdirSync(dirname(p)).filter((n) => re.test(n)).sort();
    } catch {
      // no such directory: nothing matches
    }
    if (names.length) return names.map((n) => (p.includes('/') ? join(dirname(p), n) : n));
  }
  throw new ManifestError(`the path "${p}" does not exist`);
}

function walk(dir: string, recursive: boolean, top: boolean, out: Array<{ source: string; path: string | undefined }>): void {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive || top) {
        if (recursive) walk(path, recursive, false, out);
      }
      continue;
    }
    if (EXTENSIONS.some((x) => e.name.endsWith(x))) out.push({ source: path, path });
  }
}

/** The documents of a YAML (or JSON) stream, empty ones skipped, `List`s flattened. */
export async function parseDocuments(text: string, source: string): Promise<KubeObject[]> {
  const { parseAllDocuments } = await import('yaml');
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text, { version: '1.1', uniqueKeys: false })) {
    if ('errors' in doc && doc.errors.length) throw new ManifestError(`error parsing ${source}: ${doc.errors[0]!.message}`);
    const value = doc.toJS({ maxAliasCount: -1 }) as unknown;
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new ManifestError(`error validating "${source}": error validating data: invalid object to validate`);
    flatten(value as KubeObject, objects);
  }
  return objects;
}

function flatten(obj: KubeObject, out: KubeObject[]): void {
  const kind = typeof obj['kind'] === 'string' ? obj['kind'] : '';
  if (kind.endsWith('List') && Array.isArray(obj['items'])) {
    for (const item of obj['items'] as unknown[]) if (item && typeof item === 'object') flatten(item as KubeObject, out);
    return;
  }
  out.push(obj);
}

/** The resource serving `apiVersion`/`kind`, as the RESTMapper finds it. */
export function findKind(data: DiscoveryData, apiVersion: string, kind: string): ResourceInfo | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash === -1 ? '' : apiVersion.slice(0, slash);
  const version = slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
  return data.resources.find((r) => r.group === group && r.version === version && r.kind === kind && !r.resource.includes('/'));
}

export interface ReadOptions {
  filenames: readonly string[];
  recursive: boolean;
  /** Standard input's text for `-`. */
  stdin?: () => string;
}

export function readOptions(flags: FlagValues): ReadOptions {
  return { filenames: strs(flags, 'filename'), recursive: bool(flags, 'recursive') };
}

/** Reads, parses and maps every object -f names. Throws only when nothing could be read at all (a missing path). */
export async function readManifests(session: Session, options: ReadOptions): Promise<ManifestResult> {
  const files = expandFilenames(options.filenames, options.recursive);
  const result: ManifestResult = { objects: [], errors: [], entries: [] };
  const fail = (err: Error) => {
    result.errors.push(err);
    result.entries.push(err);
  };
  const explicitNamespace = str(session.flags, 'namespace') !== undefined;
  const defaultNamespace = session.namespace;
  const discovery = session.discovery();
  let data: DiscoveryData | undefined;
  let refreshed = false;
  for (const file of files) {
    const text = file.path === undefined ? (options.stdin ?? readStdin)() : readFileSync(file.path, 'utf8');
    let docs: KubeObject[];
    try {
      docs = await parseDocuments(text, file.source);
    } catch (err) {
      fail(err as Error);
      continue;
    }
    for (const object of docs) {
      const metadata = (object.metadata && typeof object.metadata === 'object' ? object.metadata : {}) as Record<string, unknown>;
      const name = typeof metadata['name'] === 'string' ? metadata['name'] : '';
      const ns = typeof metadata['namespace'] === 'string' ? metadata['namespace'] : '';
      const apiVersion = typeof object['apiVersion'] === 'string' ? object['apiVersion'] : '';
      const kind = typeof object['kind'] === 'string' ? object['kind'] : '';
      if (!kind || !apiVersion) {
        const missing = [...(apiVersion ? [] : ['apiVersion not set']), ...(kind ? [] : ['kind not set'])];
        const what = missing.length === 1 ? missing[0] : `[${missing.join(', ')}]`;
        fail(new ManifestError(`error validating "${file.source}": error validating data: ${what}; if you choose to ignore these errors, turn validation off with --validate=false`));
        continue;
      }
      data ??= await discovery.data();
      let resource = findKind(data, apiVersion, kind);
      if (!resource && !refreshed) {
        refreshed = true;
        data = await discovery.refresh();
        resource = findKind(data, apiVersion, kind);
      }
      if (!resource) {
        fail(
          new ManifestError(`resource mapping not found for name: "${name}" namespace: "${ns}" from "${file.source}": no matches for kind "${kind}" in version "${apiVersion}"\nensure CRDs are installed first`),
        );
        continue;
      }
      let namespace = '';
      if (resource.namespaced) {
        if (explicitNamespace && ns && ns !== defaultNamespace) {
          fail(
            new ManifestError(`the namespace from the provided object "${ns}" does not match the namespace "${defaultNamespace}". You must pass '--namespace=${ns}' to perform this operation.`),
          );
          continue;
        }
        namespace = ns || defaultNamespace;
        object.metadata = { ...metadata, namespace };
      }
      const entry: ManifestObject = { source: file.source, object, resource, name, namespace };
      result.objects.push(entry);
      result.entries.push(entry);
    }
  }
  return result;
}

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

/** `-f` is required: kubectl's message when it is missing. */
export function requireFilenames(flags: FlagValues): boolean {
  return strs(flags, 'filename').length > 0;
}
