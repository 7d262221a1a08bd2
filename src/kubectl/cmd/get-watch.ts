// `kubectl get -w`, `--watch-only` and `--output-watch-events` for one resource type: the current state (unless
// --watch-only), then one line or document per change, until the server ends the watch, --request-timeout passes or
// SIGINT arrives. Tables keep their columns aligned across rows as kubectl's remembering tabwriter does.
import { bool, str } from '../flags.ts';
import { kindString, resourcePath, type ResourceInfo } from '../discovery.ts';
import { ACCEPT_JSON, ACCEPT_TABLE } from '../rest.ts';
import type { Session } from '../session.ts';
import { TablePrinter, type Table } from '../printers/table.ts';
import { sortKeys, toGoJson } from '../printers/output.ts';
import { RememberingTabWriter } from './remembering-tabwriter.ts';
import { streamWatch } from './watch-stream.ts';

type Obj = Record<string, any>;

export type WatchOutput = { kind: 'table'; wide: boolean } | { kind: 'json' } | { kind: 'yaml' } | { kind: 'name' };

export interface WatchRequest {
  resource: ResourceInfo;
  name?: string;
}

const EVENT_LABELS: Record<string, string> = { ADDED: 'ADDED   ', MODIFIED: 'MODIFIED', DELETED: 'DELETED ', ERROR: 'ERROR   ' };

function withoutManagedFields(obj: Obj): Obj {
  const meta = obj['metadata'];
  if (!meta || !('managedFields' in meta)) return obj;
  const { managedFields: _, ...rest } = meta as Obj;
  return { ...obj, metadata: rest };
}

/** Prints objects or watch events one at a time, as kubectl's printers do during a watch. */
class WatchPrinter {
  readonly #tabs = new RememberingTabWriter();
  readonly #table: TablePrinter | undefined;
  #yamlDocuments = 0;

  constructor(
    readonly session: Session,
    readonly output: WatchOutput,
    readonly resource: ResourceInfo,
    readonly events: boolean,
  ) {
    const f = session.flags;
    if (output.kind === 'table') {
      this.#table = new TablePrinter({ wide: output.wide, noHeaders: bool(f, 'no-headers'), withNamespace: bool(f, 'all-namespaces') && resource.namespaced, showLabels: bool(f, 'show-labels'), ...(bool(f, 'show-kind') ? { kind: kindString(resource) } : {}) });
    }
  }

  async print(type: string, obj: Obj): Promise<void> {
    const io = this.session.io;
    if (this.#table) {
      const table = obj as Table;
      const text = this.#table.print(table);
      if (!text) return;
      const rows = table.rows?.length ?? 0;
      let lines = text.slice(0, -1).split('\n');
      if (this.events) {
        const header = lines.length > rows;
        lines = lines.map((l, i) => (header && i === 0 ? `EVENT\t${l}` : `${EVENT_LABELS[type] ?? type}\t${l}`));
      }
      io.stdout(this.#tabs.flush(`${lines.join('\n')}\n`));
      return;
    }
    const r = this.resource;
    const full: Obj = { apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind, ...obj };
    if (this.output.kind === 'name') {
      io.stdout(`${kindString(r)}/${full['metadata']?.['name'] ?? ''}\n`);
      return;
    }
    if (this.events) {
      const event = { type, object: sortKeys(full) };
      if (this.output.kind === 'json') io.stdout(`${JSON.stringify(event).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')}\n`);
      else io.stdout(await this.#yaml({ object: full, type }));
      return;
    }
    const shown = bool(this.session.flags, 'show-managed-fields') ? full : withoutManagedFields(full);
    if (this.output.kind === 'json') io.stdout(`${toGoJson(shown)}\n`);
    else io.stdout(await this.#yaml(shown));
  }

  async #yaml(obj: Obj): Promise<string> {
    const text = (await import('../printers/yaml.ts')).toGoYaml(obj);
    return this.#yamlDocuments++ > 0 ? `---\n${text}` : text;
  }
}

/** The initial state (a list or one object), then the watch from it. Returns the exit code. */
export async function runGetWatch(session: Session, request: WatchRequest, output: WatchOutput): Promise<number> {
  const f = session.flags;
  const { resource, name } = request;
  const allNamespaces = bool(f, 'all-namespaces');
  const watchOnly = bool(f, 'watch-only');
  const events = bool(f, 'output-watch-events');
  const ns = resource.namespaced && !allNamespaces ? session.namespace : undefined;
  const accept = output.kind === 'table' ? ACCEPT_TABLE : ACCEPT_JSON;
  const selector = str(f, 'selector');
  const fieldSelector = str(f, 'field-selector');
  const rest = session.rest();
  const printer = new WatchPrinter(session, output, resource, events);

  let initial: Obj;
  if (name !== undefined) initial = await rest.json<Obj>({ path: resourcePath(resource, resource.namespaced ? session.namespace : undefined, name), accept });
  else initial = await rest.json<Obj>({ path: resourcePath(resource, ns), accept, query: { labelSelector: selector, fieldSelector, limit: 500 } });

  if (!watchOnly) {
    if (output.kind === 'table') await printer.print('ADDED', initial);
    else for (const item of name !== undefined ? [initial] : ((initial['items'] ?? []) as Obj[])) await printer.print('ADDED', item);
  }
  // A watch from a list's resourceVersion sends only changes; a single object's watch starts with its current state,
  // which kubectl leaves out.
  let skipFirst = name !== undefined;
  const rv = name !== undefined ? '0' : String(initial['metadata']?.['resourceVersion'] ?? '0');
  const watchPath = resourcePath(resource, name !== undefined ? (resource.namespaced ? session.namespace : undefined) : ns);
  const nameSelector = name !== undefined ? `metadata.name=${name}` : undefined;
  const fields = [fieldSelector, nameSelector].filter((s) => s).join(',') || undefined;
  let chain = Promise.resolve();
  const code = await streamWatch(session, { path: watchPath, accept, query: { labelSelector: selector, fieldSelector: fields, resourceVersion: rv, allowWatchBookmarks: undefined } }, (ev) => {
    if (ev.type === 'BOOKMARK') return;
    if (skipFirst) {
      skipFirst = false;
      return;
    }
    chain = chain.then(() => printer.print(ev.type, ev.object));
  });
  await chain;
  return code;
}
