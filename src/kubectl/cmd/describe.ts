// `kubectl describe`: TYPE [NAME_PREFIX | -l selector], TYPE/NAME…, several types at once, -A, --show-events,
// --chunk-size; each object through the describer kubectl uses for its kind (describe/registry.ts), with kubectl's
// rules for when events show, prefix matching of names, and its errors.
import { bool, FallbackSignal, str } from '../flags.ts';
import { resourcePath, type ResourceInfo } from '../discovery.ts';
import { ApiError, describeError } from '../rest.ts';
import type { KubectlCommand } from '../main.ts';
import type { Session } from '../session.ts';
import type { DescribeContext, Fields, Target } from '../describe/context.ts';

const RESOURCE_NAME_FORM =
  "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'";

/** A problem with the arguments, printed as `error: …` as the resource builder reports it. */
class BuilderError extends Error {
  override name = 'BuilderError';
}

interface Wanted {
  resource: ResourceInfo;
  name?: string;
}

async function parseArgs(session: Session, args: string[], selector: string | undefined): Promise<Wanted[]> {
  const discovery = session.discovery();
  const wanted: Wanted[] = [];
  if (args.some((a) => a.includes('/'))) {
    for (const a of args) {
      const slash = a.indexOf('/');
      if (slash === -1) throw new BuilderError(RESOURCE_NAME_FORM);
      wanted.push({ resource: await discovery.resolve(a.slice(0, slash)), name: a.slice(slash + 1) });
    }
    return wanted;
  }
  const [typeArg, ...names] = args;
  const types: ResourceInfo[] = [];
  for (const t of typeArg!.split(',').filter((x) => x)) {
    // Categories (`all`) expand through kubectl's category expander, which is left to the real kubectl.
    if (!t.includes('.') && (await discovery.data()).resources.some((r) => r.categories.includes(t.toLowerCase()))) throw new FallbackSignal('category');
    types.push(await discovery.resolve(t));
  }
  if (names.length > 0 && selector !== undefined) throw new BuilderError('name cannot be provided when a selector is specified');
  for (const resource of types) {
    if (names.length === 0) wanted.push({ resource });
    for (const name of names) wanted.push({ resource, name });
  }
  return wanted;
}

async function describeTarget(ctx: DescribeContext, target: Target): Promise<string> {
  const { describerFor } = await import('../describe/registry.ts');
  const describer = await describerFor(target.resource.group, target.resource.kind);
  return describer(ctx, target);
}

export const describeCommand: KubectlCommand = {
  flags: [
    { name: 'selector', short: 'l', type: 'string' },
    { name: 'all-namespaces', short: 'A', type: 'bool' },
    { name: 'show-events', type: 'bool' },
    { name: 'chunk-size', type: 'int' },
  ],
  unsupported: ['filename', 'f', 'recursive', 'R', 'kustomize', 'k'],
  async run(session, args) {
    const f = session.flags;
    if (args.length === 0) {
      session.io.stderr('error: You must specify the type of resource to describe. Use "kubectl api-resources" for a complete list of supported resources.\n');
      return 1;
    }
    const allNamespaces = bool(f, 'all-namespaces');
    const selector = str(f, 'selector');
    const chunkSize = Number(str(f, 'chunk-size') ?? '500');
    if (chunkSize < 0) throw new FallbackSignal('negative chunk size');
    const rest = session.rest();
    let wanted: Wanted[];
    try {
      wanted = await parseArgs(session, args, selector);
    } catch (err) {
      if (!(err instanceof BuilderError)) throw err;
      session.io.stderr(`error: ${err.message}\n`);
      return 1;
    }
    // kubectl 1.35 shows events for every object, however many (later versions only for a single one).
    const { DescribeContext } = await import('../describe/context.ts');
    const ctx = new DescribeContext(rest, { showEvents: bool(f, 'show-events', true), chunkSize });

    // The resource builder: every named object fetched and every type listed, errors kept to report after.
    const found: Target[] = [];
    const errors: unknown[] = [];
    for (const w of wanted) {
      const ns = !w.resource.namespaced || (allNamespaces && w.name === undefined) ? undefined : session.namespace;
      try {
        if (w.name !== undefined) found.push({ resource: w.resource, obj: await rest.json<Fields>({ path: resourcePath(w.resource, ns, w.name) }) });
        else for (const obj of await ctx.list(resourcePath(w.resource, ns), { labelSelector: selector })) found.push({ resource: w.resource, obj });
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        errors.push(err);
      }
    }

    // `describe TYPE PREFIX` with no object named PREFIX describes every object whose name starts with it.
    const notFound = errors.length === 1 && errors[0] instanceof ApiError && errors[0].reason === 'NotFound';
    if (notFound && args.length === 2 && !args[0]!.includes('/') && !args[0]!.includes(',')) {
      const resource = wanted[0]!.resource;
      const items = await ctx.list(resourcePath(resource, resource.namespaced ? session.namespace : undefined));
      let out = '';
      let matched = false;
      for (const obj of items) {
        if (!String(obj['metadata']?.name ?? '').startsWith(args[1]!)) continue;
        matched = true;
        out += `${await describeTarget(ctx, { resource, obj })}\n`;
      }
      if (!matched) throw errors[0];
      session.io.stdout(out);
      return 0;
    }

    let out = '';
    for (const [i, target] of found.entries()) out += (i === 0 ? '' : '\n\n') + (await describeTarget(ctx, target));
    if (out) session.io.stdout(out);
    if (found.length === 0 && errors.length === 0) {
      session.io.stderr(allNamespaces ? 'No resources found\n' : `No resources found in ${session.namespace} namespace.\n`);
    }
    for (const err of errors) session.io.stderr(`${describeError(err)}\n`);
    return errors.length ? 1 : 0;
  },
};
