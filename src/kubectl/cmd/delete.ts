// `kubectl delete`: names, TYPE/NAME, -l and --all; --cascade as propagationPolicy; and by default waiting until
// each object is really gone (finalizers, graceful pod deletion), as kubectl's --wait does.
import { bool, FallbackSignal, FlagError, str } from '../flags.ts';
import { kindString, resourcePath, type ResourceInfo } from '../discovery.ts';
import { ApiError, describeError } from '../rest.ts';
import type { KubectlCommand } from '../main.ts';
import type { Session } from '../session.ts';
import { resolveTargets, type Target } from './args.ts';
import { FILENAME_FLAGS } from '../manifest.ts';
import { deleteError, filenameTargets } from './delete-files.ts';

const POLICIES: Record<string, string> = { background: 'Background', true: 'Background', foreground: 'Foreground', orphan: 'Orphan', false: 'Orphan' };

/** kubectl's duration flags: 30s, 1m, 1m30s, 500ms; a bare number is seconds. */
export function parseDuration(text: string): number {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * units[m[2]!]!;
    consumed += m[0].length;
  }
  if (consumed !== text.length) throw new FlagError(`invalid argument "${text}" for "--timeout" flag: time: invalid duration "${text}"`);
  return total;
}

async function listNames(session: Session, r: ResourceInfo, selector: string | undefined, fieldSelector: string | undefined, allNamespaces: boolean): Promise<Array<Target & { namespace?: string }>> {
  const ns = r.namespaced && !allNamespaces ? session.namespace : undefined;
  const list = await session.rest().json<{ items?: Array<{ metadata?: { name?: string; namespace?: string } }> }>({
    path: resourcePath(r, ns),
    query: { labelSelector: selector, fieldSelector, limit: 500 },
  });
  return (list.items ?? []).map((i) => {
    const t: Target & { namespace?: string } = { resource: r, name: i.metadata?.name ?? '' };
    if (i.metadata?.namespace) t.namespace = i.metadata.namespace;
    return t;
  });
}

export const deleteCommand: KubectlCommand = {
  flags: [
    { name: 'selector', short: 'l', type: 'string' },
    { name: 'field-selector', type: 'string' },
    { name: 'all', type: 'bool' },
    { name: 'all-namespaces', short: 'A', type: 'bool' },
    { name: 'wait', type: 'bool' },
    { name: 'cascade', type: 'string' },
    { name: 'grace-period', type: 'int' },
    { name: 'now', type: 'bool' },
    { name: 'force', type: 'bool' },
    { name: 'ignore-not-found', type: 'bool' },
    { name: 'timeout', type: 'string' },
    { name: 'output', short: 'o', type: 'string' },
    ...FILENAME_FLAGS,
  ],
  unsupported: ['kustomize', 'k', 'dry-run', 'raw', 'interactive', 'i'],
  async run(session, args) {
    const f = session.flags;
    const output = str(f, 'output');
    if (output !== undefined && output !== 'name') throw new FallbackSignal('output');
    const cascade = str(f, 'cascade') ?? 'background';
    const policy = POLICIES[cascade];
    if (!policy) throw new FlagError(`invalid cascade value (${cascade}). Must be "background", "foreground", or "orphan"`);
    const selector = str(f, 'selector');
    const fieldSelector = str(f, 'field-selector');
    const all = bool(f, 'all');
    const allNamespaces = bool(f, 'all-namespaces');
    const fromFiles = await filenameTargets(session);
    if (args.length === 0 && !fromFiles) {
      session.io.stderr(
        "error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'\n",
      );
      return 1;
    }
    const { targets: named, types } = fromFiles ?? (await resolveTargets(session, args));
    let targets: Array<Target & { namespace?: string; source?: string }> = named;
    const bySelection = selector !== undefined || fieldSelector !== undefined || all;
    if (named.length && bySelection) throw new FlagError('name cannot be provided when a selector is specified');
    if (!named.length && fromFiles) {
      if (!fromFiles.failed) session.io.stdout('No resources found\n');
      return fromFiles.failed ? 1 : 0;
    }
    if (!named.length) {
      if (!bySelection) {
        session.io.stderr('error: resource(s) were provided, but no name was specified\n');
        return 1;
      }
      targets = [];
      for (const r of types) targets.push(...(await listNames(session, r, selector, fieldSelector, allNamespaces)));
      if (!targets.length) {
        session.io.stdout('No resources found\n');
        return 0;
      }
    }
    let gracePeriod = str(f, 'grace-period') !== undefined ? Number(str(f, 'grace-period')) : -1;
    if (bool(f, 'now')) gracePeriod = 1;
    if (bool(f, 'force') && gracePeriod < 0) gracePeriod = 0;
    const rest = session.rest();
    let code = fromFiles?.failed ? 1 : 0;
    const waits: Array<{ t: Target; namespace: string | undefined; uid: string | undefined }> = [];
    for (const t of targets) {
      const namespace = t.resource.namespaced ? (t.namespace ?? session.namespace) : undefined;
      const body: Record<string, unknown> = { propagationPolicy: policy };
      if (gracePeriod >= 0) body['gracePeriodSeconds'] = gracePeriod;
      try {
        const res = await rest.json<{ kind?: string; metadata?: { uid?: string } }>({ method: 'DELETE', path: resourcePath(t.resource, namespace, t.name), body });
        const verb = gracePeriod === 0 ? 'force deleted' : 'deleted';
        if (output === 'name') session.io.stdout(`${kindString(t.resource)}/${t.name}\n`);
        else session.io.stdout(`${kindString(t.resource)} "${t.name}" ${verb}${namespace ? ` from ${namespace} namespace` : ''}\n`);
        waits.push({ t, namespace, uid: res.kind === 'Status' ? undefined : res.metadata?.uid });
      } catch (err) {
        if (err instanceof ApiError && err.code === 404 && bool(f, 'ignore-not-found')) continue;
        session.io.stderr(`${describeError(deleteError(t, err))}\n`);
        code = 1;
      }
    }
    if (bool(f, 'wait', true) && gracePeriod !== 0) code = Math.max(code, await waitForDeletion(session, waits, str(f, 'timeout')));
    return code;
  },
};

/** Polls each deleted object until it is gone (or replaced by a new one with another uid). */
async function waitForDeletion(session: Session, waits: Array<{ t: Target; namespace: string | undefined; uid: string | undefined }>, timeout: string | undefined): Promise<number> {
  // kubectl's default for delete is "effectively forever"; bound it so a stuck finalizer cannot hang a script for ever.
  const limitMs = timeout && parseDuration(timeout) > 0 ? parseDuration(timeout) : 7 * 24 * 3_600_000;
  const deadline = Date.now() + limitMs;
  let code = 0;
  for (const w of waits) {
    if (!w.uid) continue;
    for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
      try {
        const obj = await session.rest().json<{ metadata?: { uid?: string } }>({ path: resourcePath(w.t.resource, w.namespace, w.t.name) });
        if (obj.metadata?.uid !== w.uid) break;
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) break;
        throw err;
      }
      if (Date.now() >= deadline) {
        session.io.stderr(`error: timed out waiting for the condition on ${w.t.resource.resource}/${w.t.name}\n`);
        code = 1;
        break;
      }
      await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, deadline - Date.now()))));
    }
  }
  return code;
}
