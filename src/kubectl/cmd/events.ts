// `kubectl events`: core/v1 Events of a namespace (or all), optionally only those about one object (--for) or of
// some types (--types), sorted as kubectl sorts them, as its table or as JSON/YAML/name/jsonpath; -w follows them.
import { bool, FallbackSignal, str, strs, type FlagSpec } from '../flags.ts';
import { resolveResource } from '../discovery.ts';
import type { KubectlCommand } from '../main.ts';
import type { Session } from '../session.ts';
import { toGoJson } from '../printers/output.ts';
import { alignTabs } from '../printers/tabwriter.ts';
import { eventHeader, eventRow, sortEvents, typedEvent } from './events-format.ts';

type Obj = Record<string, any>;

const flags: FlagSpec[] = [
  { name: 'output', short: 'o', type: 'string' },
  { name: 'all-namespaces', short: 'A', type: 'bool' },
  { name: 'for', type: 'string' },
  { name: 'types', type: 'strings' },
  { name: 'no-headers', type: 'bool' },
  { name: 'watch', short: 'w', type: 'bool' },
  { name: 'chunk-size', type: 'int' },
  { name: 'show-managed-fields', type: 'bool' },
  { name: 'allow-missing-template-keys', type: 'bool' },
];

const unsupported = ['template'];

const ALLOWED_FORMATS = 'go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,kyaml,name,template,templatefile,yaml';

type Output = { kind: 'table' } | { kind: 'json' } | { kind: 'yaml' } | { kind: 'name' } | { kind: 'jsonpath'; template: string };

function parseOutput(value: string | undefined): Output {
  if (!value) return { kind: 'table' };
  if (value === 'json' || value === 'yaml' || value === 'name') return { kind: value };
  const eq = value.indexOf('=');
  const format = eq === -1 ? value : value.slice(0, eq);
  if (format === 'jsonpath' && eq !== -1 && value.length > eq + 1) return { kind: 'jsonpath', template: value.slice(eq + 1) };
  if (ALLOWED_FORMATS.split(',').includes(format)) throw new FallbackSignal(`-o ${format}`);
  throw new Error(`unable to match a printer suitable for the output format "${value}", allowed formats are: ${ALLOWED_FORMATS}`);
}

/** --for TYPE/NAME into the field selector kubectl sends. */
async function forSelector(session: Session, value: string): Promise<string | { error: string }> {
  if (!value.includes('/')) throw new Error('--for must be in resource/name form');
  const parts = value.split('/');
  if (parts.length !== 2) throw new Error('arguments in resource/name form may not have more than one slash');
  const [type, name] = parts as [string, string];
  const discovery = session.discovery();
  let r = resolveResource(await discovery.data(), type);
  if (!r) {
    try {
      r = await discovery.resolve(type);
    } catch {
      return { error: `the server doesn't have a resource type "${type.toLowerCase().split('.')[0]}"` };
    }
  }
  const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
  return `involvedObject.kind=${r.kind},involvedObject.apiVersion=${apiVersion},involvedObject.name=${name}`;
}

export const eventsCommand: KubectlCommand = {
  flags,
  unsupported,
  async run(session) {
    const f = session.flags;
    const allNamespaces = bool(f, 'all-namespaces');
    const namespace = session.namespace;
    const forValue = str(f, 'for') ?? '';
    let fieldSelector: string | undefined;
    if (forValue) {
      const sel = await forSelector(session, forValue);
      if (typeof sel !== 'string') {
        session.io.stderr(`${sel.error}\n`);
        return 1;
      }
      fieldSelector = sel;
    }
    const output = parseOutput(str(f, 'output'));
    const types = [...new Set(strs(f, 'types'))].sort();
    if (types.some((t) => t.toLowerCase() !== 'normal' && t.toLowerCase() !== 'warning')) throw new Error('valid --types are Normal or Warning');
    const wanted = (e: Obj) => types.length === 0 || types.some((t) => t.toLowerCase() === String(e['type'] ?? '').toLowerCase());
    const path = allNamespaces ? '/api/v1/events' : `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
    const noHeaders = bool(f, 'no-headers');
    const showManaged = bool(f, 'show-managed-fields');

    if (bool(f, 'watch')) {
      const [{ streamWatch }, { RememberingTabWriter }] = await Promise.all([import('./watch-stream.ts'), import('./remembering-tabwriter.ts')]);
      const tabs = new RememberingTabWriter();
      let headerDone = noHeaders;
      const print = async (e: Obj) => {
        if (output.kind === 'table') {
          const text = (headerDone ? '' : eventHeader(allNamespaces)) + eventRow(e, allNamespaces);
          headerDone = true;
          session.io.stdout(tabs.flush(text));
        } else session.io.stdout(await formatObject(typedEvent(e, showManaged), output, 'event'));
      };
      let chain = Promise.resolve();
      return streamWatch(session, { path, query: { fieldSelector, limit: 500 } }, (ev) => {
        if (ev.type === 'DELETED' || ev.type === 'BOOKMARK' || ev.type === 'ERROR' || !wanted(ev.object)) return;
        chain = chain.then(() => print(ev.object));
      }).then(async (code) => {
        await chain;
        return code;
      });
    }

    const items: Obj[] = [];
    let continueToken: string | undefined;
    const chunk = str(f, 'chunk-size') ?? '500';
    do {
      const query: Record<string, string | undefined> = { fieldSelector, continue: continueToken };
      if (chunk !== '0') query['limit'] = chunk;
      const list = await session.rest().json<{ items?: Obj[]; metadata?: { continue?: string } }>({ path, query });
      items.push(...(list.items ?? []));
      continueToken = list.metadata?.continue || undefined;
    } while (continueToken);

    const events = items.filter(wanted);
    if (events.length === 0) {
      session.io.stderr(allNamespaces ? 'No events found.\n' : `No events found in ${namespace} namespace.\n`);
      return 0;
    }
    const sorted = sortEvents(events);
    if (output.kind === 'table') {
      const now = Date.now();
      const text = (noHeaders ? '' : eventHeader(allNamespaces)) + sorted.map((e) => eventRow(e, allNamespaces, now)).join('');
      session.io.stdout(alignTabs(text));
      return 0;
    }
    const list = { kind: 'EventList', apiVersion: 'v1', metadata: {}, items: sorted.map((e) => typedEvent(e, showManaged)) };
    const text = await formatObject(list, output, '');
    if (text) session.io.stdout(text);
    return 0;
  },
};

/** One object through kubectl's JSON/YAML/name/jsonpath printers; a list prints no names. */
async function formatObject(obj: Obj, output: Output, kind: string): Promise<string> {
  switch (output.kind) {
    case 'json':
      return `${toGoJson(obj, false)}\n`;
    case 'yaml':
      return (await import('../printers/yaml.ts')).toGoYaml(obj);
    case 'name':
      return kind ? `${kind}/${obj['metadata']?.['name'] ?? ''}\n` : '';
    case 'jsonpath':
      return (await import('../printers/jsonpath.ts')).renderJsonPath(output.template, obj);
    default:
      return '';
  }
}
