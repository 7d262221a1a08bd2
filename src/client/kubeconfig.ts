// Reading a kubeconfig the way client-go does for one context: the cluster's server and CA, and the user's client
// certificate or token, from inline `*-data` fields or from files relative to the kubeconfig.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

export interface KubeconfigCredentials {
  server: string;
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  namespace?: string;
  context: string;
}

export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
}

type Named<T> = Array<{ name?: string } & T>;

export function loadKubeconfig(path: string, contextName?: string): KubeconfigCredentials {
  let doc: Record<string, unknown>;
  try {
    doc = (parse(readFileSync(path, 'utf8')) ?? {}) as Record<string, unknown>;
  } catch (cause) {
    throw new KubeconfigError(`cannot read kubeconfig ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  const name = contextName ?? (doc['current-context'] as string | undefined);
  if (!name) throw new KubeconfigError(`kubeconfig ${path} has no current-context; pass a context`);
  const find = <T>(list: unknown, what: string, want: string): T => {
    const entry = ((list ?? []) as Named<Record<string, unknown>>).find((e) => e.name === want);
    if (!entry) throw new KubeconfigError(`kubeconfig ${path}: ${what} "${want}" not found`);
    return entry[what] as T;
  };
  const context = find<{ cluster: string; user: string; namespace?: string }>(doc['contexts'], 'context', name);
  const cluster = find<Record<string, string>>(doc['clusters'], 'cluster', context.cluster);
  const user = context.user ? find<Record<string, string>>(doc['users'], 'user', context.user) : {};
  const base = dirname(path);
  const data = (inline: string | undefined, file: string | undefined): string | undefined => {
    if (inline) return Buffer.from(inline, 'base64').toString('utf8');
    if (file) return readFileSync(isAbsolute(file) ? file : join(base, file), 'utf8');
    return undefined;
  };
  if (!cluster['server']) throw new KubeconfigError(`kubeconfig ${path}: cluster "${context.cluster}" has no server`);
  const out: KubeconfigCredentials = { server: cluster['server'], context: name };
  const ca = data(cluster['certificate-authority-data'], cluster['certificate-authority']);
  const cert = data(user['client-certificate-data'], user['client-certificate']);
  const key = data(user['client-key-data'], user['client-key']);
  const token = user['token'] ?? (user['tokenFile'] ? readFileSync(user['tokenFile'], 'utf8').trim() : undefined);
  if (ca) out.caPem = ca;
  if (cert) out.certPem = cert;
  if (key) out.keyPem = key;
  if (token) out.token = token;
  if (context.namespace) out.namespace = context.namespace;
  return out;
}
