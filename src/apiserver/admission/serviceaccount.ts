// ServiceAccount (upstream's plugin/pkg/admission/serviceaccount): a new pod that names no service account runs as
// `default`, takes its account's imagePullSecrets when it has none, and — unless the pod or the account turns
// automountServiceAccountToken off — gets the API access volume: a projected service-account token, the cluster CA
// (kube-root-ca.crt) and its namespace, mounted read-only at /var/run/secrets/kubernetes.io/serviceaccount in every
// container. Unlike upstream, a pod whose account does not exist (yet) is admitted: Skiff's tests run clusters without
// the ServiceAccount controller.
import type { KObject } from '../../api/types.ts';
import { generateName } from '../objects.ts';
import type { AdmissionObjects } from './objects.ts';
import { isResource, type AdmissionPlugin, type Attributes, type Operation } from './types.ts';

export const DEFAULT_SERVICE_ACCOUNT = 'default';
export const SERVICE_ACCOUNT_VOLUME_PREFIX = 'kube-api-access-';
export const DEFAULT_API_TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** upstream's WarnOnlyBoundTokenExpirationSeconds: an hour and 7 s, a value the TokenRequest handler recognises. */
export const PROJECTED_TOKEN_EXPIRATION_SECONDS = 3607;
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const SERVICE_ACCOUNTS = { group: '', resource: 'serviceaccounts' };

type Obj = Record<string, any>;

/** upstream's TokenVolumeSource (defaultMode set explicitly, as upstream does since #104464). */
export function tokenVolumeSource(): Obj {
  return {
    sources: [
      { serviceAccountToken: { expirationSeconds: PROJECTED_TOKEN_EXPIRATION_SECONDS, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
    defaultMode: 420,
  };
}

/** The pod's choice wins, then the account's; mounting is the default. */
export function shouldAutomount(sa: KObject | undefined, spec: Obj): boolean {
  if (typeof spec['automountServiceAccountToken'] === 'boolean') return spec['automountServiceAccountToken'];
  const saChoice = sa?.['automountServiceAccountToken'];
  if (typeof saChoice === 'boolean') return saChoice;
  return true;
}

/**
 * Mounts the API access volume into every container and init container without a mount at the token path, adding
 * the volume when one of them needs it. A volume already named kube-api-access-* (a pod recreated from its own
 * dump) is reused.
 */
export function mountServiceAccountToken(spec: Obj, newName: () => string = () => generateName(SERVICE_ACCOUNT_VOLUME_PREFIX)): void {
  const volumes: Obj[] = Array.isArray(spec['volumes']) ? spec['volumes'] : [];
  const existing = volumes.find((v) => typeof v?.['name'] === 'string' && v['name'].startsWith(SERVICE_ACCOUNT_VOLUME_PREFIX));
  const volumeName: string = existing ? existing['name'] : newName();
  let needsVolume = false;
  for (const list of [spec['initContainers'], spec['containers']]) {
    if (!Array.isArray(list)) continue;
    for (const c of list as Obj[]) {
      const mounts: Obj[] = Array.isArray(c['volumeMounts']) ? c['volumeMounts'] : [];
      if (mounts.some((m) => m?.['mountPath'] === DEFAULT_API_TOKEN_MOUNT_PATH)) continue;
      c['volumeMounts'] = [...mounts, { name: volumeName, readOnly: true, mountPath: DEFAULT_API_TOKEN_MOUNT_PATH }];
      needsVolume = true;
    }
  }
  if (needsVolume && !existing) spec['volumes'] = [...volumes, { name: volumeName, projected: tokenVolumeSource() }];
}

export class ServiceAccount implements AdmissionPlugin {
  readonly name = 'ServiceAccount';

  /** Without objects every account counts as absent: defaults only, automount on. */
  constructor(readonly objects?: AdmissionObjects) {}

  handles(operation: Operation): boolean {
    return operation === 'CREATE';
  }

  async admit(attrs: Attributes): Promise<void> {
    if (attrs.subresource || !isResource(attrs, '', 'pods') || !attrs.object) return;
    // Static pods mirrored by a kubelet keep what their manifest says.
    if (attrs.object.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return;
    const spec = (attrs.object['spec'] ??= {}) as Obj;
    if (!spec['serviceAccountName']) spec['serviceAccountName'] = DEFAULT_SERVICE_ACCOUNT;
    // v1 mirrors the deprecated serviceAccount field.
    spec['serviceAccount'] = spec['serviceAccountName'];
    const sa = await this.#serviceAccount(attrs.namespace || attrs.object.metadata?.namespace || '', spec['serviceAccountName']);
    if (shouldAutomount(sa, spec)) mountServiceAccountToken(spec);
    const pullSecrets = sa?.['imagePullSecrets'];
    if ((!Array.isArray(spec['imagePullSecrets']) || spec['imagePullSecrets'].length === 0) && Array.isArray(pullSecrets) && pullSecrets.length > 0) {
      spec['imagePullSecrets'] = pullSecrets.map((s: Obj) => ({ name: s?.['name'] }));
    }
  }

  /** From the watch cache, then storage (an account created a moment ago). */
  async #serviceAccount(namespace: string, name: string): Promise<KObject | undefined> {
    if (!this.objects || !namespace) return undefined;
    return this.objects.get(SERVICE_ACCOUNTS, namespace, name) ?? (await this.objects.getLive(SERVICE_ACCOUNTS, namespace, name));
  }
}
