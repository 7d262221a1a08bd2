// Kubeconfig files, in the layout kubectl and kubeadm write.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  server: string;
  caPem: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  /** A bearer token instead of (or besides) a client certificate. */
  token?: string;
  clusterName?: string;
  userName?: string;
  /** Defaults to `<userName>@<clusterName>`, as kubeadm names it. */
  contextName?: string;
  namespace?: string;
}

const base64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export function kubeconfigYaml(opts: KubeconfigOptions): string {
  const clusterName = opts.clusterName ?? 'skiff';
  const userName = opts.userName ?? 'kubernetes-admin';
  const contextName = opts.contextName ?? `${userName}@${clusterName}`;
  const user: Record<string, string> = {};
  if (opts.clientCertPem !== undefined) user['client-certificate-data'] = base64(opts.clientCertPem);
  if (opts.clientKeyPem !== undefined) user['client-key-data'] = base64(opts.clientKeyPem);
  if (opts.token !== undefined) user['token'] = opts.token;
  const context: Record<string, string> = { cluster: clusterName, user: userName };
  if (opts.namespace !== undefined) context['namespace'] = opts.namespace;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: clusterName, cluster: { server: opts.server, 'certificate-authority-data': base64(opts.caPem) } }],
    contexts: [{ name: contextName, context }],
    'current-context': contextName,
    preferences: {},
    users: [{ name: userName, user }],
  };
  return stringify(config, { lineWidth: 0 });
}

/** Writes the kubeconfig readable by its owner only (it holds a private key), replacing any old file atomically. */
export async function writeKubeconfig(path: string, opts: KubeconfigOptions): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, kubeconfigYaml(opts), { mode: 0o600 });
  await rename(tmp, path);
}
