// Kubeconfig loading as kubectl (client-go's clientcmd) does it: the files of KUBECONFIG (or --kubeconfig) merged with
// the first file winning for each named cluster, user and context and for current-context; then the command-line
// overrides (--context, --cluster, --user, -n, --server, --token, TLS flags) applied to the chosen context.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { createRequire } from 'node:module';
import type { parse as yamlParse } from 'yaml';
import { parseSimpleYaml } from './simple-yaml.ts';

export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
}

/** The merged config names something it lacks; kubectl reports these as "Error in configuration". */
export class InvalidConfigurationError extends KubeconfigError {
  override name = 'InvalidConfigurationError';
}

export type Fields = Record<string, unknown>;

export interface NamedEntry {
  name: string;
  value: Fields;
  /** The file the entry came from, for resolving relative paths. */
  source: string;
}

export interface MergedConfig {
  clusters: Map<string, NamedEntry>;
  users: Map<string, NamedEntry>;
  contexts: Map<string, NamedEntry>;
  currentContext: string;
  preferences: Fields;
  /** The files read, in precedence order. */
  files: string[];
}

export interface ConfigOverrides {
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  user?: string;
  namespace?: string;
  server?: string;
  token?: string;
  insecureSkipTlsVerify?: boolean;
  certificateAuthority?: string;
  clientCertificate?: string;
  clientKey?: string;
  tlsServerName?: string;
}

/** Everything a request needs to reach and authenticate to the API server. */
export interface ClientConfig {
  server: string;
  namespace: string;
  /** True when the namespace came from -n or the context (kubectl's "explicit" namespace). */
  contextName: string;
  clusterName: string;
  userName: string;
  caPem?: Buffer;
  certPem?: Buffer;
  keyPem?: Buffer;
  token?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
}

/** The kubeconfig files kubectl reads, in precedence order. */
export function kubeconfigFiles(flag: string | undefined, env: NodeJS.ProcessEnv, home = homedir()): { files: string[]; explicit: boolean } {
  if (flag) return { files: [flag], explicit: true };
  const list = env['KUBECONFIG'];
  if (list) {
    const seen = new Set<string>();
    const files = list.split(delimiter).filter((f) => f && !seen.has(f) && seen.add(f));
    return { files, explicit: false };
  }
  return { files: [join(home, '.kube', 'config')], explicit: false };
}

/**
 * The `yaml` package, loaded only for kubeconfigs beyond parseSimpleYaml's subset. Synchronously, from the clone's
 * node_modules (as the bundle loads its other runtime packages), so loading the config stays synchronous.
 */
function fullYamlParse(text: string): unknown {
  const requireHere = createRequire(import.meta.url);
  return (requireHere('yaml') as { parse: typeof yamlParse }).parse(text) as unknown;
}

function readDoc(path: string): Fields {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KubeconfigError(`stat ${path}: no such file or directory`, { cause });
    throw new KubeconfigError(`${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    const doc = parseSimpleYaml(text) ?? fullYamlParse(text);
    return doc && typeof doc === 'object' ? (doc as Fields) : {};
  } catch (cause) {
    throw new KubeconfigError(`error loading config file "${path}": ${(cause as Error).message}`, { cause });
  }
}

function mergeNamed(into: Map<string, NamedEntry>, list: unknown, field: string, source: string): void {
  if (!Array.isArray(list)) return;
  for (const item of list as Fields[]) {
    const name = item?.['name'];
    if (typeof name !== 'string' || into.has(name)) continue;
    const value = item[field];
    into.set(name, { name, value: value && typeof value === 'object' ? (value as Fields) : {}, source });
  }
}

/** Reads and merges kubeconfig files: missing files in KUBECONFIG are skipped, a missing --kubeconfig is an error. */
export function loadMergedConfig(files: readonly string[], explicit: boolean): MergedConfig {
  const merged: MergedConfig = { clusters: new Map(), users: new Map(), contexts: new Map(), currentContext: '', preferences: {}, files: [] };
  for (const file of files) {
    if (!explicit && !existsSync(file)) continue;
    const doc = readDoc(file);
    merged.files.push(file);
    mergeNamed(merged.clusters, doc['clusters'], 'cluster', file);
    mergeNamed(merged.users, doc['users'], 'user', file);
    mergeNamed(merged.contexts, doc['contexts'], 'context', file);
    const current = doc['current-context'];
    if (!merged.currentContext && typeof current === 'string') merged.currentContext = current;
    const prefs = doc['preferences'];
    if (!Object.keys(merged.preferences).length && prefs && typeof prefs === 'object') merged.preferences = prefs as Fields;
  }
  return merged;
}

const text = (fields: Fields | undefined, key: string): string | undefined => {
  const v = fields?.[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
};

function resolvePath(file: string, relativeTo: string): string {
  return isAbsolute(file) ? file : join(dirname(relativeTo), file);
}

function readFileOrError(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new KubeconfigError(`open ${path}: no such file or directory`, { cause });
  }
}

/** Inline base64 data wins over a file; files are relative to the kubeconfig that named them. */
function material(entry: NamedEntry | undefined, dataKey: string, fileKey: string): Buffer | undefined {
  if (!entry) return undefined;
  const data = text(entry.value, dataKey);
  if (data) return Buffer.from(data, 'base64');
  const file = text(entry.value, fileKey);
  return file ? readFileOrError(resolvePath(file, entry.source)) : undefined;
}

/** The effective client configuration, as clientcmd's DirectClientConfig computes it. */
export function resolveClientConfig(config: MergedConfig, o: ConfigOverrides): ClientConfig {
  const contextName = o.context ?? config.currentContext;
  const context = config.contexts.get(contextName);
  if (o.context && !context) throw new InvalidConfigurationError(`context was not found for specified context: ${o.context}`);
  const clusterName = o.cluster ?? text(context?.value, 'cluster') ?? '';
  const userName = o.user ?? text(context?.value, 'user') ?? '';
  const cluster = config.clusters.get(clusterName);
  const user = config.users.get(userName);
  if (o.cluster && !cluster) throw new InvalidConfigurationError(`cluster "${o.cluster}" does not exist`);
  if (o.user && !user) throw new InvalidConfigurationError(`auth info "${o.user}" does not exist`);

  let server = o.server ?? text(cluster?.value, 'server') ?? 'http://localhost:8080';
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(server)) server = `${o.insecureSkipTlsVerify || cluster ? 'https' : 'http'}://${server}`;
  const out: ClientConfig = {
    server: server.replace(/\/+$/, ''),
    namespace: o.namespace ?? text(context?.value, 'namespace') ?? 'default',
    contextName,
    clusterName,
    userName,
    insecureSkipTlsVerify: o.insecureSkipTlsVerify ?? cluster?.value['insecure-skip-tls-verify'] === true,
  };
  const ca = o.certificateAuthority ? readFileOrError(o.certificateAuthority) : material(cluster, 'certificate-authority-data', 'certificate-authority');
  // An explicit --insecure-skip-tls-verify drops the CA, as clientcmd does, so the two never conflict.
  if (ca && !o.insecureSkipTlsVerify) out.caPem = ca;
  const cert = o.clientCertificate ? readFileOrError(o.clientCertificate) : material(user, 'client-certificate-data', 'client-certificate');
  const key = o.clientKey ? readFileOrError(o.clientKey) : material(user, 'client-key-data', 'client-key');
  if (cert) out.certPem = cert;
  if (key) out.keyPem = key;
  const tokenFile = text(user?.value, 'tokenFile');
  const token = o.token ?? text(user?.value, 'token') ?? (tokenFile ? readFileOrError(resolvePath(tokenFile, user!.source)).toString('utf8').trim() : undefined);
  if (token) out.token = token;
  const serverName = o.tlsServerName ?? text(cluster?.value, 'tls-server-name');
  if (serverName) out.tlsServerName = serverName;
  return out;
}
