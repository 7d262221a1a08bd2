// `kubectl create configmap NAME` from literals, files (key=path, directories) and env files; the source reading is
// shared with `create secret generic`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { strs, type FlagSpec } from '../flags.ts';
import { CommandError, generator, list, meta, type Obj } from './create-common.ts';
import { sortedMap } from '../mutate-output.ts';

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** apimachinery's IsConfigMapKey messages. */
export function configKeyErrors(key: string): string[] {
  const errs: string[] = [];
  if (key.length > 253) errs.push('must be no more than 253 characters');
  if (!CONFIG_KEY.test(key)) errs.push("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
  if (key === '.') errs.push("must not be '.'");
  else if (key === '..') errs.push("must not be '..'");
  else if (key.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/** kubectl's ParseFileSource: `[key=]path`. */
export function parseFileSource(source: string): { key: string; path: string } {
  const n = source.split('=').length - 1;
  if (n === 0) return { key: basename(source), path: source };
  if (n === 1 && source.startsWith('=')) throw new CommandError(`key name for file path ${source.slice(1)} missing`);
  if (n === 1 && source.endsWith('=')) throw new CommandError(`file path for key name ${source.slice(0, -1)} missing`);
  if (n > 1) throw new CommandError("key names or file paths cannot contain '='");
  const [key = '', path = ''] = source.split('=');
  return { key, path };
}

/** kubectl's ParseLiteralSource: `key=value`, the value may hold `=`. */
export function parseLiteralSource(source: string): { key: string; value: string } {
  const eq = source.indexOf('=');
  if (eq <= 0) throw new CommandError(`invalid literal source ${source}, expected key=value`);
  return { key: source.slice(0, eq), value: source.slice(eq + 1) };
}

function readError(path: string, err: unknown): CommandError {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
  return new CommandError(`error reading ${path}: ${reason}`);
}

/** Files named by --from-file, in kubectl's order: a directory's regular files by name. */
export function fileSources(sources: string[]): Array<{ key: string; path: string; data: Buffer }> {
  const out: Array<{ key: string; path: string; data: Buffer }> = [];
  for (const source of sources) {
    const { key, path } = parseFileSource(source);
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch (err) {
      throw readError(path, err);
    }
    if (!isDir) {
      out.push({ key, path, data: readFileSync(path) });
      continue;
    }
    if (source.includes('=')) throw new CommandError('cannot give a key name for a directory path');
    for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.isFile()) out.push({ key: entry.name, path: join(path, entry.name), data: readFileSync(join(path, entry.name)) });
    }
  }
  return out;
}

/** KEY=VALUE lines of an env file, as kubectl's AddFromEnvFile reads them. */
export function envFileSource(path: string, kind: 'configmap' | 'secret', env: NodeJS.ProcessEnv): Array<{ key: string; value: string }> {
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw new CommandError(`env ${kind === 'configmap' ? 'config' : 'secret'} file cannot be a directory`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof CommandError) throw err;
    throw readError(path, err);
  }
  const out: Array<{ key: string; value: string }> = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, i, lines) => {
      if (i === lines.length - 1 && raw === '') return;
      const line = raw.replace(/^\s+/, '');
      if (!line || line.startsWith('#')) return;
      const eq = line.indexOf('=');
      const key = eq === -1 ? line : line.slice(0, eq);
      if (!ENV_NAME.test(key)) {
        throw new CommandError(
          `${JSON.stringify(key)} is not a valid key name: a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`,
        );
      }
      out.push({ key, value: eq === -1 ? (env[key] ?? '') : line.slice(eq + 1) });
    });
  return out;
}

const CONFIGMAP = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true };

export const sourceFlags: FlagSpec[] = [
  { name: 'from-file', type: 'strings' },
  { name: 'from-literal', type: 'array' },
  { name: 'from-env-file', type: 'strings' },
];

export { sortedMap };

export const createConfigMap = generator({
  use: 'create configmap',
  flags: sourceFlags,
  build(ctx) {
    const files = list(ctx.flags, 'from-file');
    const literals = strs(ctx.flags, 'from-literal');
    const envFiles = list(ctx.flags, 'from-env-file');
    if (envFiles.length && (files.length || literals.length)) throw new CommandError('from-env-file cannot be combined with from-file or from-literal');
    const data: Record<string, string> = {};
    const binaryData: Record<string, string> = {};
    const add = (key: string, value: Buffer | string) => {
      const errs = configKeyErrors(key);
      if (errs.length) throw new CommandError(`${JSON.stringify(key)} is not a valid key name for a ConfigMap: ${errs.join(',')}`);
      if (key in data) throw new CommandError(`cannot add key ${JSON.stringify(key)}, another key by that name already exists in Data for ConfigMap ${JSON.stringify(ctx.name)}`);
      if (key in binaryData) throw new CommandError(`cannot add key ${JSON.stringify(key)}, another key by that name already exists in BinaryData for ConfigMap ${JSON.stringify(ctx.name)}`);
      if (typeof value === 'string') data[key] = value;
      else {
        const text = value.toString('utf8');
        if (Buffer.from(text, 'utf8').equals(value)) data[key] = text;
        else binaryData[key] = value.toString('base64');
      }
    };
    for (const f of fileSources(files)) add(f.key, f.data);
    for (const l of literals) {
      const { key, value } = parseLiteralSource(l);
      add(key, value);
    }
    for (const path of envFiles) for (const e of envFileSource(path, 'configmap', ctx.session.env)) add(e.key, e.value);
    const obj: Obj = { kind: 'ConfigMap', apiVersion: 'v1', metadata: meta(ctx.name, ctx.enforceNamespace ? ctx.namespace : undefined) };
    if (Object.keys(data).length) obj['data'] = sortedMap(data);
    if (Object.keys(binaryData).length) obj['binaryData'] = sortedMap(binaryData);
    return { obj, target: CONFIGMAP, failure: 'failed to create configmap: ' };
  },
});
