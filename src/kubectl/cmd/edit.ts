// `kubectl edit TYPE NAME`: the object as YAML under kubectl's comment header in a temp file, $KUBE_EDITOR / $EDITOR
// (default vi) on it, the difference sent as a patch; an invalid change reopens the file with the server's reasons
// at the top, as kubectl's edit loop does.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { FallbackSignal, FlagError, str } from '../flags.ts';
import { resourcePath, resourceString, type ResourceInfo } from '../discovery.ts';
import type { KubectlCommand } from '../main.ts';
import type { Session } from '../session.ts';
import { ApiError } from '../rest.ts';
import { CommandError, guarded, formatObject, outputOf, OUTPUT_FLAG, toKubectlYaml, type Obj } from '../mutate-output.ts';
import { resolveTargets } from './args.ts';

const HEADER = `# Please edit the object below. Lines beginning with a '#' will be ignored,
# and an empty file will abort the edit. If an error occurs while saving this file will be
# reopened with the relevant failures.
#
`;

interface Reason {
  head: string;
  other: string[];
}

/** The comment block: kubectl's header, then each failure with its causes. */
export function editHeader(reasons: Reason[]): string {
  let out = HEADER;
  const hash = (s: string) => s.replace(/\n(?!#)/g, '\n# ');
  for (const r of reasons) {
    out += r.other.length ? `# ${hash(r.head)}:\n` : `# ${hash(r.head)}\n`;
    for (const o of r.other) out += `# * ${hash(o)}\n`;
    out += '#\n';
  }
  return out;
}

/** kubectl's ManualStrip: drops comment lines (but not `#!`). */
export function manualStrip(text: string): string {
  return text
    .split('\n')
    .filter((line) => {
      const t = line.trim();
      return !(t.startsWith('#') && !t.startsWith('#!'));
    })
    .join('\n');
}

/** kubectl's hasLines: any line that is neither blank nor a comment. */
export function hasContent(text: string): boolean {
  return text.split('\n').some((line) => {
    const t = line.trim();
    return t.length > 0 && !t.startsWith('#');
  });
}

/** JSON merge patch (RFC 7386) turning `from` into `to`. */
export function createMergePatch(from: unknown, to: unknown): unknown {
  const isMap = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isMap(from) || !isMap(to)) return to;
  const patch: Obj = {};
  for (const k of Object.keys(from)) if (!(k in to)) patch[k] = null;
  for (const [k, v] of Object.entries(to)) {
    if (!(k in from)) patch[k] = v;
    else if (!isDeepStrictEqual(from[k], v)) patch[k] = isMap(from[k]) && isMap(v) ? createMergePatch(from[k], v) : v;
  }
  return patch;
}

/** The editor command as kubectl's defaultEnvEditor builds it. */
export function editorArgs(env: NodeJS.ProcessEnv, path: string): { args: string[]; display: string } {
  const editor = env['KUBE_EDITOR'] || env['EDITOR'] || 'vi';
  if (!editor.includes(' ')) return { args: [editor, path], display: editor };
  if (!/["'\\]/.test(editor)) {
    const parts = editor.split(' ');
    return { args: [...parts, path], display: editor };
  }
  const shell = env['SHELL'] || '/bin/bash';
  return { args: [shell, '-c', `${editor} ${JSON.stringify(path)}`], display: `${shell} -c ${editor}` };
}

function launch(session: Session, path: string): string {
  const { args, display } = editorArgs(session.env, resolve(path));
  const result = spawnSync(args[0]!, args.slice(1), { stdio: 'inherit', env: session.env });
  // Go's exec reports "not found" only for a name looked up in PATH.
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' && !args[0]!.includes('/')) throw new CommandError(`unable to launch the editor ${JSON.stringify(display)}`);
  if (result.error || result.status !== 0) throw new CommandError(`there was a problem with the editor ${JSON.stringify(display)}`);
  return readFileSync(path, 'utf8');
}

function tempFile(env: NodeJS.ProcessEnv): string {
  const digits = String(Math.floor(Math.random() * 1e10)).padStart(10, '0');
  return join(env['TMPDIR'] || tmpdir(), `kubectl-edit-${digits}.yaml`);
}

/** The YAML documents of the edited file, or the parse error's text. */
async function parseEdited(text: string): Promise<{ obj?: Obj; error?: string }> {
  const { parseAllDocuments } = await import('yaml');
  const docs = parseAllDocuments(text, { version: '1.1' });
  const list = Array.isArray(docs) ? docs : [docs];
  const bad = list.find((d) => d.errors.length);
  if (bad) return { error: `error converting YAML to JSON: yaml: ${bad.errors[0]!.message.split('\n')[0]}` };
  const objs = list.map((d) => d.toJS() as unknown).filter((o) => o !== null && o !== undefined);
  if (objs.length !== 1) throw new FallbackSignal('several objects in the edited file');
  return { obj: objs[0] as Obj };
}

function withoutManagedFields(obj: Obj): Obj {
  const metadata = { ...(obj['metadata'] ?? {}) } as Obj;
  delete metadata['managedFields'];
  return { ...obj, metadata };
}

function preserved(session: Session, path: string, message: string): never {
  session.io.stderr(`A copy of your changes has been stored to ${JSON.stringify(path)}\n`);
  throw new CommandError(message);
}

export const editCommand: KubectlCommand = guarded({
  flags: [OUTPUT_FLAG, { name: 'field-manager', type: 'string' }],
  unsupported: ['filename', 'f', 'recursive', 'R', 'kustomize', 'k', 'output-patch', 'windows-line-endings', 'save-config', 'validate', 'subresource', 'record', 'template', 'show-managed-fields', 'allow-missing-template-keys'],
  async run(session, args) {
    try {
      return await editObject(session, args);
    } catch (err) {
      if (err instanceof ExitError) return 1;
      throw err;
    }
  },
});

async function editObject(session: Session, args: string[]): Promise<number> {
  const format = outputOf(session.flags);
  if (args.length === 0) {
    throw new FlagError("You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'");
  }
  const { targets } = await resolveTargets(session, args);
  if (targets.length !== 1) throw new FallbackSignal('several objects');
  const t = targets[0]!;
  const rest = session.rest();
  const ns = t.resource.namespaced ? session.namespace : undefined;
  const path = resourcePath(t.resource, ns, t.name);
  const original = withoutManagedFields(await rest.json<Obj>({ path }));
  const originalYaml = await toKubectlYaml(original);
  let reasons: Reason[] = [];
  let previous: string | undefined;
  let file = '';
  for (;;) {
    const content = previous === undefined ? editHeader([]) + originalYaml : editHeader(reasons) + manualStrip(previous);
    const next = tempFile(session.env);
    writeFileSync(next, content);
    const edited = launch(session, next);
    if (previous !== undefined && isDeepStrictEqual(await stripped(previous), await stripped(edited))) preserved(session, next, 'Edit cancelled, no valid changes were saved.');
    if (file) rmSync(file, { force: true });
    file = next;
    if (isDeepStrictEqual(await stripped(originalYaml), await stripped(edited))) {
      rmSync(file, { force: true });
      session.io.stderr('Edit cancelled, no changes made.\n');
      return 0;
    }
    if (!hasContent(edited)) {
      rmSync(file, { force: true });
      session.io.stderr('Edit cancelled, saved file was empty.\n');
      return 0;
    }
    previous = edited;
    const parsed = await parseEdited(edited);
    if (parsed.error !== undefined) {
      reasons = [{ head: `The edited file had a syntax error: ${parsed.error}`, other: [] }];
      continue;
    }
    const updated = parsed.obj!;
    if ((updated['metadata']?.namespace ?? ns) !== ns && t.resource.namespaced) preserved(session, file, `the namespace from the provided object "${String(updated['metadata']?.namespace)}" does not match the namespace "${ns}". You must pass '--namespace=${String(updated['metadata']?.namespace)}' to perform this operation.`);
    const patch = createMergePatch(original, updated) as Obj;
    if (Object.keys(patch).length === 0) {
      session.io.stdout(await formatObject(updated, t.resource, format, 'skipped', 'none', 'sorted'));
      rmSync(file, { force: true });
      return 0;
    }
    if ('apiVersion' in patch || 'kind' in patch || (patch['metadata'] && 'name' in patch['metadata'])) preserved(session, file, 'At least one of apiVersion, kind and name was changed');
    try {
      const result = await rest.json<Obj>({
        method: 'PATCH',
        path,
        contentType: 'application/merge-patch+json',
        body: patch,
        query: { fieldManager: str(session.flags, 'field-manager') ?? 'kubectl-edit', fieldValidation: 'Strict' },
      });
      rmSync(file, { force: true });
      session.io.stdout(await formatObject(result, t.resource, format, 'edited', 'none', 'sorted'));
      return 0;
    } catch (err) {
      const reason = failure(err, t.resource, t.name, session, file);
      reasons = [reason];
    }
  }
}

/** A failed patch: an invalid object reopens the editor; anything else ends the edit as kubectl ends it. */
function failure(err: unknown, r: ResourceInfo, name: string, session: Session, file: string): Reason {
  const what = `${resourceString(r)} ${JSON.stringify(name)}`;
  if (err instanceof ApiError && err.reason === 'Invalid') {
    session.io.stderr(`error: ${what} is invalid\n`);
    return { head: `${what} was not valid`, other: (err.status.details?.causes ?? []).map((c) => `${c.field ?? ''}: ${c.message ?? ''}`) };
  }
  if (err instanceof ApiError && err.code === 404) {
    session.io.stderr(`error: ${what} could not be found on the server\nThe edits you made on deleted resources have been saved to ${JSON.stringify(file)}\n`);
    throw new ExitError();
  }
  session.io.stderr(`error: ${what} could not be patched: ${err instanceof ApiError ? (err.status.message ?? err.message) : (err as Error).message}\nYou can run \`kubectl replace -f ${file}\` to try this update again.\n`);
  throw new ExitError();
}

/** Exit 1 with nothing more to print. */
class ExitError extends Error {
  override name = 'ExitError';
}

/** kubectl's StripComments: the YAML read as JSON, or the text without comment lines when it does not parse. */
async function stripped(text: string): Promise<unknown> {
  const { parseAllDocuments } = await import('yaml');
  const docs = parseAllDocuments(text, { version: '1.1' });
  const list = Array.isArray(docs) ? docs : [docs];
  if (list.some((d) => d.errors.length)) return manualStrip(text);
  return list.map((d) => d.toJS() as unknown);
}
