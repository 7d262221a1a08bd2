// `kubectl config view|get-contexts|current-context|use-context` over the merged kubeconfig.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { isAbsolute, join, dirname } from 'node:path';
import { parseDocument } from 'yaml';
import { bool, FallbackSignal, FlagError, str } from '../flags.ts';
import { kubeconfigFiles, type Fields, type MergedConfig, type NamedEntry } from '../kubeconfig.ts';
import type { KubectlCommand } from '../main.ts';
import { alignTabs } from '../printers/tabwriter.ts';
import { renderJsonPath } from '../printers/jsonpath.ts';
import { toGoJson } from '../printers/output.ts';
import { toGoYaml } from '../printers/yaml.ts';

const PATH_FIELDS = ['certificate-authority', 'client-certificate', 'client-key', 'tokenFile'];
const DATA_FIELDS = ['certificate-authority-data', 'client-certificate-data', 'client-key-data'];
const SECRET_FIELDS = ['token', 'password'];

/** clientcmd's struct field order, which `config view -o json` keeps. */
const FIELD_ORDER = [
  'server', 'tls-server-name', 'insecure-skip-tls-verify', 'certificate-authority', 'certificate-authority-data', 'proxy-url', 'disable-compression',
  'cluster', 'user', 'namespace',
  'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'token', 'tokenFile', 'as', 'as-uid', 'as-groups', 'as-user-extra', 'username', 'password', 'auth-provider', 'exec',
  'extensions',
];
const rank = (k: string) => {
  const i = FIELD_ORDER.indexOf(k);
  return i === -1 ? FIELD_ORDER.length : i;
};

function viewEntry(entry: NamedEntry, raw: boolean): Fields {
  const value: Fields = {};
  for (const [k, v] of Object.entries(entry.value).sort(([a], [b]) => rank(a) - rank(b))) {
    if (v === undefined || v === null || v === '') continue;
    if (PATH_FIELDS.includes(k) && typeof v === 'string' && !isAbsolute(v)) value[k] = join(dirname(entry.source), v);
    else if (!raw && DATA_FIELDS.includes(k)) value[k] = 'DATA+OMITTED';
    else if (!raw && SECRET_FIELDS.includes(k)) value[k] = 'REDACTED';
    else value[k] = v;
  }
  return value;
}

/** The merged config as `kubectl config view` shows it (lists sorted by name, secrets redacted unless --raw). */
export function viewConfig(merged: MergedConfig, options: { raw: boolean; minify: boolean; context?: string }): Fields {
  let contexts = [...merged.contexts.values()];
  let clusters = [...merged.clusters.values()];
  let users = [...merged.users.values()];
  const current = options.context ?? merged.currentContext;
  if (options.minify) {
    if (!current) throw new FlagError('current-context must exist in order to minify');
    const ctx = merged.contexts.get(current);
    if (!ctx) throw new FlagError(`cannot locate context ${current}`);
    contexts = [ctx];
    clusters = clusters.filter((c) => c.name === ctx.value['cluster']);
    users = users.filter((u) => u.name === ctx.value['user']);
  }
  const list = (entries: NamedEntry[], field: string) =>
    entries.length ? entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((e) => ({ name: e.name, [field]: viewEntry(e, options.raw) })) : null;
  const out: Fields = { kind: 'Config', apiVersion: 'v1' };
  if (Object.keys(merged.preferences).length) out['preferences'] = merged.preferences;
  out['clusters'] = list(clusters, 'cluster');
  out['users'] = list(users, 'user');
  out['contexts'] = list(contexts, 'context');
  out['current-context'] = options.minify ? current : merged.currentContext;
  return out;
}

const view: KubectlCommand = {
  flags: [
    { name: 'raw', type: 'bool' },
    { name: 'minify', type: 'bool' },
    { name: 'output', short: 'o', type: 'string' },
  ],
  unsupported: ['flatten', 'merge', 'template', 'show-managed-fields', 'allow-missing-template-keys'],
  async run(session) {
    const config = viewConfig(session.merged(), { raw: bool(session.flags, 'raw'), minify: bool(session.flags, 'minify'), ...(str(session.flags, 'context') ? { context: str(session.flags, 'context')! } : {}) });
    const output = str(session.flags, 'output') ?? 'yaml';
    if (output === 'yaml') session.io.stdout(toGoYaml(config));
    else if (output === 'json') session.io.stdout(`${toGoJson(config, false)}\n`);
    else if (output.startsWith('jsonpath=')) session.io.stdout(renderJsonPath(output.slice('jsonpath='.length), config));
    else throw new FallbackSignal(output);
    return 0;
  },
};

const currentContext: KubectlCommand = {
  flags: [],
  async run(session) {
    const current = session.merged().currentContext;
    if (!current) {
      session.io.stderr('error: current-context is not set\n');
      return 1;
    }
    session.io.stdout(`${current}\n`);
    return 0;
  },
};

const getContexts: KubectlCommand = {
  flags: [
    { name: 'output', short: 'o', type: 'string' },
    { name: 'no-headers', type: 'bool' },
  ],
  async run(session, args) {
    const merged = session.merged();
    const output = str(session.flags, 'output');
    if (output !== undefined && output !== 'name') throw new FlagError(`output must be one of '' or 'name': ${output}`);
    const names = args.length ? args : [...merged.contexts.keys()].sort();
    const missing = names.filter((n) => !merged.contexts.has(n));
    let text = '';
    if (output === 'name') text = names.filter((n) => merged.contexts.has(n)).map((n) => `${n}\n`).join('');
    else {
      if (!bool(session.flags, 'no-headers')) text += 'CURRENT\tNAME\tCLUSTER\tAUTHINFO\tNAMESPACE\n';
      for (const n of names) {
        const c = merged.contexts.get(n);
        if (!c) continue;
        const v = c.value;
        text += `${n === merged.currentContext ? '*' : ''}\t${n}\t${String(v['cluster'] ?? '')}\t${String(v['user'] ?? '')}\t${String(v['namespace'] ?? '')}\n`;
      }
      text = alignTabs(text);
    }
    session.io.stdout(text);
    if (missing.length) {
      session.io.stderr(`error: context ${missing[0]} not found\n`);
      return 1;
    }
    return 0;
  },
};

/** The file `use-context` writes: the explicit one, else the first existing file of KUBECONFIG (or its last). */
function fileForCurrentContext(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const { files, explicit } = kubeconfigFiles(flag, env);
  if (explicit || files.length === 1) return files[0]!;
  return files.find((f) => existsSync(f)) ?? files[files.length - 1]!;
}

const useContext: KubectlCommand = {
  flags: [],
  async run(session, args) {
    if (args.length !== 1) {
      session.io.stderr(`error: Unexpected args: [${args.join(' ')}]\nSee 'kubectl config use-context -h' for help and examples\n`);
      return 1;
    }
    const name = args[0]!;
    if (!session.merged().contexts.has(name)) {
      session.io.stderr(`error: no context exists with the name: "${name}"\n`);
      return 1;
    }
    const file = fileForCurrentContext(str(session.flags, 'kubeconfig'), session.env);
    const doc = existsSync(file) ? parseDocument(readFileSync(file, 'utf8')) : parseDocument('apiVersion: v1\nkind: Config\n');
    doc.set('current-context', name);
    writeFileSync(file, doc.toString(), { mode: 0o600 });
    session.io.stdout(`Switched to context "${name}".\n`);
    return 0;
  },
};

export const configCommand: KubectlCommand = {
  flags: [],
  run: () => Promise.resolve(1),
  sub: { view, 'current-context': currentContext, 'get-contexts': getContexts, 'use-context': useContext, use: useContext },
};
