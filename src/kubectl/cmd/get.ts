// `kubectl get`: one or more types, names or TYPE/NAME, selectors, -A, and every output kubectl 1.35 has for it
// (watching one type is in get-watch.ts); tables come from the server (`as=Table`) and are laid out as kubectl lays them out.
import { bool, FallbackSignal, FlagError, str, type FlagSpec } from '../flags.ts';
import { kindString, resourcePath, type ResourceInfo } from '../discovery.ts';
import { ACCEPT_JSON, ACCEPT_TABLE, ApiError, describeError } from '../rest.ts';
import type { Session } from '../session.ts';
import type { KubectlCommand } from '../main.ts';
import { TablePrinter, type Table } from '../printers/table.ts';
import { alignTabs } from '../printers/tabwriter.ts';
import { age } from '../printers/duration.ts';
import { findValues, relaxedPath, renderJsonPath } from '../printers/jsonpath.ts';
import { asList, customColumns, toGoJson } from '../printers/output.ts';

const flags: FlagSpec[] = [
  { name: 'output', short: 'o', type: 'string' },
  { name: 'selector', short: 'l', type: 'string' },
  { name: 'field-selector', type: 'string' },
  { name: 'all-namespaces', short: 'A', type: 'bool' },
  { name: 'show-labels', type: 'bool' },
  { name: 'no-headers', type: 'bool' },
  { name: 'sort-by', type: 'string' },
  { name: 'show-kind', type: 'bool' },
  { name: 'ignore-not-found', type: 'bool' },
  { name: 'chunk-size', type: 'int' },
  { name: 'show-managed-fields', type: 'bool' },
  { name: 'allow-missing-template-keys', type: 'bool' },
  { name: 'watch', short: 'w', type: 'bool' },
  { name: 'watch-only', type: 'bool' },
  { name: 'output-watch-events', type: 'bool' },
];

const unsupported = ['raw', 'filename', 'f', 'recursive', 'R', 'kustomize', 'k', 'label-columns', 'L', 'subresource', 'template', 'server-print'];

interface Request {
  resource: ResourceInfo;
  /** Absent: list the collection. */
  name?: string;
}

type Output = { kind: 'table'; wide: boolean } | { kind: 'json' } | { kind: 'yaml' } | { kind: 'name' } | { kind: 'jsonpath'; template: string } | { kind: 'custom'; spec: string };

function parseOutput(value: string | undefined): Output {
  if (value === undefined || value === '') return { kind: 'table', wide: false };
  if (value === 'wide') return { kind: 'table', wide: true };
  if (value === 'json' || value === 'yaml' || value === 'name') return { kind: value };
  const eq = value.indexOf('=');
  const format = eq === -1 ? value : value.slice(0, eq);
  const arg = eq === -1 ? '' : value.slice(eq + 1);
  if (format === 'jsonpath' || format === 'jsonpath-as-json' || format === 'jsonpath-file' || format === 'custom-columns-file' || format === 'go-template' || format === 'go-template-file' || format === 'template' || format === 'templatefile') {
    if (format !== 'jsonpath') throw new FallbackSignal(format);
    if (!arg) throw new FlagError('template format specified but no template given');
    return { kind: 'jsonpath', template: arg };
  }
  if (format === 'custom-columns') {
    if (!arg) throw new FlagError('custom-columns format specified but no custom columns given');
    return { kind: 'custom', spec: arg };
  }
  throw new FlagError(
    `unable to match a printer suitable for the output format "${value}", allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,kyaml,name,template,templatefile,wide,yaml`,
  );
}

/** TYPE[,TYPE] [NAME…] or TYPE/NAME… into requests, resolving types through discovery. */
async function requestsFor(session: Session, args: string[]): Promise<{ requests: Request[]; multipleTypes: boolean; singleItem: boolean }> {
  const discovery = session.discovery();
  if (args.some((a) => a.includes('/'))) {
    const requests: Request[] = [];
    const types = new Set<string>();
    for (const a of args) {
      const slash = a.indexOf('/');
      if (slash === -1) {
        throw new FlagError(
          `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'`,
        );
      }
      const type = a.slice(0, slash);
      const name = a.slice(slash + 1);
      if (!name) throw new FlagError(`arguments in resource/name form must have a single resource and name`);
      types.add(type);
      requests.push({ resource: await discovery.resolve(type), name });
    }
    return { requests, multipleTypes: types.size > 1, singleItem: args.length === 1 };
  }
  const [typeArg, ...names] = args;
  const typeNames = typeArg!.split(',').filter((t) => t);
  if (typeNames.some((t) => t === 'all' || t === 'events' || t === 'ev')) throw new FallbackSignal('categories');
  const resources: ResourceInfo[] = [];
  for (const t of typeNames) resources.push(await discovery.resolve(t));
  const requests: Request[] = [];
  for (const resource of resources) {
    if (names.length === 0) requests.push({ resource });
    else for (const name of names) requests.push({ resource, name });
  }
  return { requests, multipleTypes: typeNames.length > 1, singleItem: typeNames.length === 1 && names.length === 1 };
}

interface Fetched {
  request: Request;
  body: Record<string, unknown>;
}

export const getCommand: KubectlCommand = {
  flags,
  unsupported,
  async run(session, args) {
    const f = session.flags;
    const output = parseOutput(str(f, 'output'));
    if (args.length === 0) {
      session.io.stderr(
        'You must specify the type of resource to get. Use "kubectl api-resources" for a complete list of supported resources.\n\nerror: Required resource not specified.\nUse "kubectl explain <resource>" for a detailed description of that resource (e.g. kubectl explain pods).\nSee \'kubectl get -h\' for help and examples\n',
      );
      return 1;
    }
    const allNamespaces = bool(f, 'all-namespaces');
    const namespace = session.namespace;
    const selector = str(f, 'selector');
    const fieldSelector = str(f, 'field-selector');
    const sortBy = str(f, 'sort-by');
    const chunk = str(f, 'chunk-size');
    const { requests, multipleTypes, singleItem } = await requestsFor(session, args);
    if (bool(f, 'watch') || bool(f, 'watch-only')) {
      if (multipleTypes || new Set(requests.map((r) => r.resource)).size > 1) throw new FlagError('you may only specify a single resource type');
      if (requests.length !== 1 || sortBy || (output.kind !== 'table' && output.kind !== 'json' && output.kind !== 'yaml' && output.kind !== 'name')) throw new FallbackSignal('watch');
      const { runGetWatch } = await import('./get-watch.ts');
      return runGetWatch(session, requests[0]!, output);
    }
    if (selector !== undefined && requests.some((r) => r.name !== undefined)) throw new FlagError('name cannot be provided when a selector is specified');
    const table = output.kind === 'table';
    const rest = session.rest();
    const errors: unknown[] = [];
    const fetched: Fetched[] = [];

    for (const request of requests) {
      const ns = request.resource.namespaced && !allNamespaces ? namespace : undefined;
      const accept = table ? ACCEPT_TABLE : ACCEPT_JSON;
      try {
        if (request.name !== undefined) {
          const query: Record<string, string> = {};
          if (table && sortBy) query['includeObject'] = 'Object';
          const body = await rest.json<Record<string, unknown>>({ path: resourcePath(request.resource, request.resource.namespaced ? namespace : undefined, request.name), accept, query });
          fetched.push({ request, body });
          continue;
        }
        let continueToken: string | undefined;
        do {
          const query: Record<string, string | undefined> = { labelSelector: selector, fieldSelector, continue: continueToken };
          if (table && sortBy) query['includeObject'] = 'Object';
          else query['limit'] = chunk ?? '500';
          if (chunk === '0') delete query['limit'];
          const body = await rest.json<Record<string, unknown>>({ path: resourcePath(request.resource, ns), accept, query });
          fetched.push({ request, body });
          continueToken = (body['metadata'] as { continue?: string } | undefined)?.continue || undefined;
        } while (continueToken);
      } catch (err) {
        if (err instanceof ApiError && err.reason === 'NotFound' && bool(f, 'ignore-not-found')) continue;
        if (!(err instanceof ApiError) || request.name === undefined || singleItem) throw err;
        errors.push(err);
      }
    }

    const code = table
      ? printTables(session, fetched, { wide: output.kind === 'table' && output.wide, allNamespaces, multipleTypes, sortBy, errors: errors.length > 0 })
      : await printGeneric(session, fetched, output, singleItem);
    for (const err of errors) session.io.stderr(`${describeError(err)}\n`);
    return errors.length ? 1 : code;
  },
};

/** A list answered without Table support: kubectl's fallback NAME/AGE table from metadata. */
function tableFromObjects(body: Record<string, unknown>): Table {
  const items = Array.isArray(body['items']) ? (body['items'] as Array<Record<string, any>>) : [body as Record<string, any>];
  return {
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', priority: 0 },
      { name: 'Age', type: 'string', priority: 0 },
    ],
    rows: items.map((o) => ({ cells: [o['metadata']?.name, age(o['metadata']?.creationTimestamp)], object: o })),
  };
}

function naturalLess(a: string, b: string): number {
  const chunk = /(\d+|\D+)/g;
  const pa = a.match(chunk) ?? [];
  const pb = b.match(chunk) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (a === undefined) return b === undefined ? 0 : -1;
  if (b === undefined) return 1;
  return naturalLess(String(a), String(b));
}

function sortObjects<T>(items: T[], sortBy: string, objectOf: (t: T) => unknown): T[] {
  const template = relaxedPath(sortBy);
  const keyed = items.map((item) => ({ item, key: findValues(template, objectOf(item))[0] }));
  keyed.sort((x, y) => compareValues(x.key, y.key));
  return keyed.map((k) => k.item);
}

function printTables(session: Session, fetched: Fetched[], o: { wide: boolean; allNamespaces: boolean; multipleTypes: boolean; sortBy: string | undefined; errors: boolean }): number {
  const f = session.flags;
  const kinds = new Set(fetched.map((x) => `${x.request.resource.group}/${x.request.resource.kind}`));
  const showKind = bool(f, 'show-kind') || o.multipleTypes || kinds.size > 1;
  let out = '';
  let pending = '';
  let separatorReady = false;
  let lastResource: ResourceInfo | undefined;
  let printer: TablePrinter | undefined;
  // kubectl's separatorWriter: the blank line between types is written only when more output follows it.
  const flush = () => {
    const text = alignTabs(pending);
    pending = '';
    if (!text) return;
    if (separatorReady) out += '\n';
    separatorReady = false;
    out += text;
  };
  for (const x of fetched) {
    const r = x.request.resource;
    const table = x.body['kind'] === 'Table' ? (x.body as Table) : tableFromObjects(x.body);
    if (o.sortBy && table.rows) table.rows = sortObjects(table.rows, o.sortBy, (row) => row.object);
    if (!printer || lastResource !== r) {
      flush();
      if (lastResource && !bool(f, 'no-headers') && out) separatorReady = true;
      printer = new TablePrinter({
        wide: o.wide,
        noHeaders: bool(f, 'no-headers'),
        withNamespace: o.allNamespaces && r.namespaced,
        showLabels: bool(f, 'show-labels'),
        ...(showKind ? { kind: kindString(r) } : {}),
      });
      lastResource = r;
    }
    pending += printer.print(table);
  }
  flush();
  if (out) session.io.stdout(out);
  else if (!o.errors && !bool(f, 'ignore-not-found')) {
    const allNamespaced = !o.allNamespaces && fetched.every((x) => x.request.resource.namespaced);
    session.io.stderr(allNamespaced ? `No resources found in ${session.namespace} namespace.\n` : 'No resources found\n');
  }
  return 0;
}

function withKind(item: Record<string, unknown>, r: ResourceInfo): Record<string, unknown> {
  return { apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind, ...item };
}

function stripManagedFields(obj: Record<string, unknown>): Record<string, unknown> {
  const meta = obj['metadata'] as Record<string, unknown> | undefined;
  if (!meta || !('managedFields' in meta)) return obj;
  const { managedFields: _, ...rest } = meta;
  return { ...obj, metadata: rest };
}

async function printGeneric(session: Session, fetched: Fetched[], output: Output, singleItem: boolean): Promise<number> {
  const f = session.flags;
  let items: Array<{ obj: Record<string, unknown>; r: ResourceInfo }> = [];
  for (const x of fetched) {
    if (Array.isArray(x.body['items'])) for (const item of x.body['items'] as Array<Record<string, unknown>>) items.push({ obj: withKind(item, x.request.resource), r: x.request.resource });
    else items.push({ obj: x.body, r: x.request.resource });
  }
  if (!bool(f, 'show-managed-fields')) items = items.map((i) => ({ ...i, obj: stripManagedFields(i.obj) }));
  const sortBy = str(f, 'sort-by');
  if (sortBy) items = sortObjects(items, sortBy, (i) => i.obj);
  const single = singleItem && items.length === 1 && fetched.length === 1 && !Array.isArray(fetched[0]!.body['items']);
  const data = single ? items[0]!.obj : asList(items.map((i) => i.obj));
  let text: string;
  switch (output.kind) {
    case 'json':
      text = `${toGoJson(data)}\n`;
      break;
    case 'yaml':
      text = (await import('../printers/yaml.ts')).toGoYaml(data);
      break;
    case 'name':
      text = items.map((i) => `${kindString(i.r)}/${(i.obj['metadata'] as { name?: string } | undefined)?.name ?? ''}\n`).join('');
      break;
    case 'jsonpath':
      text = renderJsonPath(output.template, data);
      break;
    case 'custom':
      text = customColumns(output.spec, items.map((i) => i.obj), bool(f, 'no-headers'));
      break;
    default:
      text = '';
  }
  if (text) session.io.stdout(text);
  if (items.length === 0 && (output.kind === 'name' || output.kind === 'custom') && !bool(f, 'ignore-not-found')) {
    const allNamespaced = !bool(f, 'all-namespaces') && fetched.every((x) => x.request.resource.namespaced);
    session.io.stderr(allNamespaced ? `No resources found in ${session.namespace} namespace.\n` : 'No resources found\n');
  }
  return 0;
}
