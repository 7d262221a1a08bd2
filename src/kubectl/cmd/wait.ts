// `kubectl wait --for=create|delete|condition=X[=v]|jsonpath={…}[=v]` on named objects, -l, --all, -A: one deadline
// (--timeout, 30s by default) for the whole command, `kind/name condition met` for each object that gets there,
// and kubectl's timeout and not-found errors. -f/-k, --local and -o other than name are left to the real kubectl.
import { ApiError } from '../../client/errors.ts';
import { bool, duration, FallbackSignal, str, strs } from '../flags.ts';
import { kindString, resourcePath } from '../discovery.ts';
import type { KubectlCommand } from '../main.ts';
import type { Session } from '../session.ts';
import { findObjects, reportErrors, type FindOptions, type Visited } from '../visit.ts';
import type { WaitFor } from '../wait-conditions.ts';

type Fields = Record<string, any>;

const NO_RESOURCES =
  "You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'";

const isNotFound = (err: unknown) => err instanceof ApiError && err.code === 404;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One object against one --for; resolves once it holds, rejects with kubectl's error. */
async function waitOne(session: Session, o: Visited, what: WaitFor, timeoutMs: number, deadline: number): Promise<void> {
  const conditions = await import('../wait-conditions.ts');
  const check = (obj: Fields): boolean => (what.kind === 'condition' ? conditions.conditionMet(obj, what.name, what.value) : what.kind === 'jsonpath' ? conditions.jsonPathMet(obj, what.template, what.value) : false);
  const rest = session.rest();
  const path = resourcePath(o.resource, o.namespace, o.name);
  const objectName = `${o.resource.resource}/${o.name}`;
  const timedOut = new Error(`timed out waiting for the condition on ${objectName}`);
  if (what.kind === 'create') return;
  if (what.kind === 'delete') {
    let current: Fields;
    try {
      current = await rest.json<Fields>({ path });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (current['metadata']?.uid !== o.object['metadata']?.uid) return;
    if (timeoutMs === 0) throw new Error(`condition not met for ${objectName}`);
  } else if (timeoutMs === 0) {
    const current = await rest.json<Fields>({ path });
    if (!check(current)) throw new Error(`condition not met for ${objectName}`);
    return;
  }
  if (Date.now() >= deadline) throw timedOut;
  const { untilWithSync, WatchTimeoutError } = await import('../watch.ts');
  const uid = o.object['metadata']?.uid;
  try {
    await untilWithSync(
      session,
      {
        collection: resourcePath(o.resource, o.namespace),
        name: o.name,
        deadline,
        precondition: (exists) => {
          if (what.kind === 'delete') return !exists;
          if (!exists) throw new ApiError({ code: 404, reason: 'NotFound', message: `${o.resource.group ? `${o.resource.resource}.${o.resource.group}` : o.resource.resource} "${o.name}" not found` });
          return false;
        },
      },
      (event) => {
        if (what.kind === 'delete') return event.type === 'DELETED' || (event.type !== 'BOOKMARK' && event.object['metadata']?.uid !== uid);
        if (event.type === 'DELETED') return false;
        return check(event.object);
      },
    );
  } catch (err) {
    if (err instanceof WatchTimeoutError) throw timedOut;
    throw err;
  }
}

export const waitCommand: KubectlCommand = {
  flags: [
    { name: 'for', type: 'strings' },
    { name: 'timeout', type: 'duration' },
    { name: 'selector', short: 'l', type: 'string' },
    { name: 'field-selector', type: 'string' },
    { name: 'all', type: 'bool' },
    { name: 'all-namespaces', short: 'A', type: 'bool' },
    { name: 'output', short: 'o', type: 'string' },
  ],
  unsupported: ['filename', 'f', 'recursive', 'R', 'kustomize', 'k', 'local', 'template', 'show-managed-fields', 'allow-missing-template-keys'],
  async run(session, args) {
    const f = session.flags;
    const output = str(f, 'output');
    if (output !== undefined && output !== 'name') throw new FallbackSignal('wait -o');
    let timeout = duration(f, 'timeout', 30_000);
    if (timeout < 0) timeout = 168 * 3_600_000;
    const { parseWaitFor } = await import('../wait-conditions.ts');
    // Several --for (ANDed) are left to the real kubectl, and so is a value with a comma (this flag parser splits on them).
    const forValues = strs(f, 'for');
    if (forValues.length > 1) throw new FallbackSignal('several --for conditions');
    const what = parseWaitFor(forValues[0] ?? '');
    const deadline = Date.now() + timeout;
    if (args.length === 0) throw new Error(NO_RESOURCES);
    const options: FindOptions = { selector: str(f, 'selector'), fieldSelector: str(f, 'field-selector'), all: bool(f, 'all'), allNamespaces: bool(f, 'all-namespaces') };
    let found = await findObjects(session, args, options);
    if (what.kind === 'create') {
      for (;;) {
        const other = found.errors.find((e) => !isNotFound(e));
        if (other) return reportErrors(session, [other]);
        if (found.errors.length === 0 && found.objects.length > 0) break;
        if (Date.now() + 500 > deadline) return reportErrors(session, [new Error('timed out waiting for the condition')]);
        await sleep(500);
        found = await findObjects(session, args, options);
      }
    }
    const errors = what.kind === 'delete' ? found.errors.filter((e) => !isNotFound(e)) : [...found.errors];
    let visited = 0;
    for (const o of found.objects) {
      visited++;
      try {
        await waitOne(session, o, what, timeout, deadline);
        session.io.stdout(`${kindString(o.resource)}/${o.name}${output === 'name' ? '' : ' condition met'}\n`);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length) return reportErrors(session, errors);
    if (visited === 0 && what.kind !== 'delete') return reportErrors(session, [new Error('no matching resources found')]);
    return 0;
  },
};
