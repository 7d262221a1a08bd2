// `kubectl describe`: pods and services in upstream's layout, with their events; other kinds, and objects with fields
// the describers here do not print, are left to the real kubectl (nothing is printed before that is known).
import { bool, FallbackSignal, FlagError, str } from '../flags.ts';
import { resourcePath, type ResourceInfo } from '../discovery.ts';
import { ApiError, describeError } from '../rest.ts';
import type { KubectlCommand } from '../main.ts';
import type { Session } from '../session.ts';
import { DescribeWriter } from '../describe/writer.ts';

type Fields = Record<string, any>;

const DESCRIBED = new Set(['/pods', '/services']);

interface Found {
  resource: ResourceInfo;
  obj: Fields;
}

async function events(session: Session, r: ResourceInfo, obj: Fields): Promise<Fields[]> {
  const meta = obj['metadata'] ?? {};
  const selector: string[] = [];
  // A pod's reference carries no kind (kubectl clears it so events about a pod's containers match too).
  if (r.resource !== 'pods') selector.push(`involvedObject.kind=${r.kind}`);
  selector.push(`involvedObject.name=${meta.name}`, `involvedObject.namespace=${meta.namespace ?? ''}`, `involvedObject.uid=${meta.uid}`);
  const items: Fields[] = [];
  let token: string | undefined;
  const chunk = str(session.flags, 'chunk-size') ?? '500';
  do {
    const list = await session.rest().json<Fields>({ path: `/api/v1/namespaces/${encodeURIComponent(meta.namespace ?? '')}/events`, query: { fieldSelector: selector.join(','), limit: chunk === '0' ? undefined : chunk, continue: token } });
    items.push(...(list['items'] ?? []));
    token = list['metadata']?.continue || undefined;
  } while (token);
  return items;
}

async function describeOne(session: Session, found: Found, showEvents: boolean): Promise<string> {
  const w = new DescribeWriter();
  const list = showEvents ? await events(session, found.resource, found.obj) : undefined;
  if (found.resource.resource === 'pods') {
    const { describePod } = await import('../describe/pod.ts');
    describePod(w, found.obj, list);
  } else {
    const { describeService } = await import('../describe/service.ts');
    const ns = found.obj['metadata']?.namespace ?? '';
    const slices = await session
      .rest()
      .json<Fields>({ path: `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/endpointslices`, query: { labelSelector: `kubernetes.io/service-name=${found.obj['metadata']?.name}` } })
      .then((l) => (l['items'] ?? []) as Fields[])
      .catch((): Fields[] => []);
    describeService(w, found.obj, slices as never[], list);
  }
  return w.toString();
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
    const discovery = session.discovery();
    const rest = session.rest();
    // TYPE/NAME… or TYPE [NAME…]
    const wanted: Array<{ resource: ResourceInfo; name?: string }> = [];
    if (args.some((a) => a.includes('/'))) {
      for (const a of args) {
        const slash = a.indexOf('/');
        if (slash === -1) throw new FallbackSignal('mixed arguments');
        wanted.push({ resource: await discovery.resolve(a.slice(0, slash)), name: a.slice(slash + 1) });
      }
    } else {
      const [typeArg, ...names] = args;
      if (typeArg!.includes(',')) throw new FallbackSignal('several types');
      const resource = await discovery.resolve(typeArg!);
      if (names.length === 0) wanted.push({ resource });
      for (const name of names) wanted.push({ resource, name });
    }
    if (wanted.some((w) => !DESCRIBED.has(`${w.resource.group}/${w.resource.resource}`))) throw new FallbackSignal('describer');
    if (selector !== undefined && wanted.some((w) => w.name !== undefined)) throw new FlagError('name cannot be provided when a selector is specified');

    const found: Found[] = [];
    const errors: unknown[] = [];
    for (const w of wanted) {
      const ns = allNamespaces && w.name === undefined ? undefined : session.namespace;
      try {
        if (w.name !== undefined) {
          found.push({ resource: w.resource, obj: await rest.json<Fields>({ path: resourcePath(w.resource, ns, w.name) }) });
          continue;
        }
        let token: string | undefined;
        do {
          const list = await rest.json<Fields>({ path: resourcePath(w.resource, ns), query: { labelSelector: selector, limit: str(f, 'chunk-size') ?? '500', continue: token } });
          for (const obj of list['items'] ?? []) found.push({ resource: w.resource, obj });
          token = list['metadata']?.continue || undefined;
        } while (token);
      } catch (err) {
        errors.push(err);
      }
    }
    const showEvents = bool(f, 'show-events', true);

    // `describe TYPE PREFIX` with no object named PREFIX describes every object whose name starts with it.
    const notFound = errors.length === 1 && errors[0] instanceof ApiError && errors[0].reason === 'NotFound';
    if (notFound && args.length === 2 && !args[0]!.includes('/')) {
      const resource = wanted[0]!.resource;
      const list = await rest.json<Fields>({ path: resourcePath(resource, session.namespace), query: { limit: str(f, 'chunk-size') ?? '500' } });
      const matching = ((list['items'] ?? []) as Fields[]).filter((o) => String(o['metadata']?.name ?? '').startsWith(args[1]!));
      if (matching.length === 0) throw errors[0];
      let out = '';
      for (const obj of matching) out += `${await describeOne(session, { resource, obj }, showEvents)}\n`;
      session.io.stdout(out);
      return 0;
    }

    let out = '';
    for (const [i, x] of found.entries()) out += (i === 0 ? '' : '\n\n') + (await describeOne(session, x, showEvents));
    if (out) session.io.stdout(out);
    if (found.length === 0 && errors.length === 0) {
      session.io.stderr(allNamespaces ? 'No resources found\n' : `No resources found in ${session.namespace} namespace.\n`);
    }
    for (const err of errors) session.io.stderr(`${describeError(err)}\n`);
    return errors.length ? 1 : 0;
  },
};
