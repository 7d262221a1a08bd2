// Shared defaulting: upstream's SetDefaults_PodSpec / Container / Volume / Probe … (pkg/apis/core/v1
// defaults.go and the generated +default markers), applied in place to JSON objects. Pod templates in
// workloads get the PodSpec defaults; only bare Pods get SetDefaults_Pod's extras.
import type { KObject } from './types.ts';

type Obj = Record<string, any>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

/** Sets `o[key] = value` when the field is absent (undefined or null). */
export function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

/** Sets a string field when it is absent or empty, as Go's `if x == ""` defaulting does. */
export function setDefaultString(o: Obj, key: string, value: string): void {
  if (o[key] === undefined || o[key] === null || o[key] === '') o[key] = value;
}

/** The object at `o[key]`, created when absent. */
export function ensureObj(o: Obj, key: string): Obj {
  if (!isObj(o[key])) o[key] = {};
  return o[key] as Obj;
}

/** Image tag as upstream's parsers.ParseImageName sees it: "latest" when neither tag nor digest. */
export function imageTag(image: string): string {
  if (!image || /\s/.test(image)) return '';
  const [name, digest] = image.split('@', 2) as [string, string | undefined];
  const lastSlash = name.lastIndexOf('/');
  const last = name.slice(lastSlash + 1);
  const colon = last.indexOf(':');
  const repoPath = colon >= 0 ? name.slice(0, lastSlash + 1 + colon) : name;
  // A repository path with upper case (outside the registry host) does not parse: no tag.
  const pathPart = repoPath.includes('/') && /[.:]|^localhost$/.test(repoPath.split('/')[0]!) ? repoPath.slice(repoPath.indexOf('/') + 1) : repoPath;
  if (/[A-Z]/.test(pathPart)) return '';
  const tag = colon >= 0 ? last.slice(colon + 1) : '';
  if (!tag && !digest) return 'latest';
  return tag;
}

/** imagePullPolicy for an image: Always for :latest (or no tag), IfNotPresent otherwise. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  return imageTag(image) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultHTTPGet(h: Obj | undefined): void {
  if (!isObj(h)) return;
  setDefaultString(h, 'path', '/');
  setDefaultString(h, 'scheme', 'HTTP');
}

function defaultHandler(h: unknown): void {
  if (!isObj(h)) return;
  defaultHTTPGet(h['httpGet']);
  if (isObj(h['grpc'])) setDefault(h['grpc'], 'service', '');
}

function defaultProbe(p: unknown): void {
  if (!isObj(p)) return;
  for (const [k, v] of [['timeoutSeconds', 1], ['periodSeconds', 10], ['successThreshold', 1], ['failureThreshold', 3]] as const) {
    if (!p[k]) p[k] = v;
  }
  defaultHandler(p);
}

function defaultFieldRef(ref: unknown): void {
  if (isObj(ref)) setDefaultString(ref, 'apiVersion', 'v1');
}

/** SetDefaults_Container (plus the generated defaults of everything inside a container). */
export function defaultContainer(c: Obj): void {
  if (!c['imagePullPolicy']) c['imagePullPolicy'] = defaultPullPolicy(String(c['image'] ?? ''));
  setDefaultString(c, 'terminationMessagePath', '/dev/termination-log');
  setDefaultString(c, 'terminationMessagePolicy', 'File');
  // Container.resources is a struct without omitzero: upstream always serialises it.
  setDefault(c, 'resources', {});
  for (const port of list(c['ports'])) setDefaultString(port, 'protocol', 'TCP');
  for (const env of list(c['env'])) {
    const from = env['valueFrom'];
    if (isObj(from)) defaultFieldRef(from['fieldRef']);
  }
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(c[probe]);
  if (isObj(c['lifecycle'])) {
    defaultHandler(c['lifecycle']['postStart']);
    defaultHandler(c['lifecycle']['preStop']);
  }
}

const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi',
  'ephemeral', 'image',
] as const;

export const volumeSourceNames: readonly string[] = VOLUME_SOURCES;

/** SetDefaults_Volume and the defaults of each volume source. */
export function defaultVolume(v: Obj): void {
  if (!VOLUME_SOURCES.some((s) => v[s] !== undefined && v[s] !== null)) v['emptyDir'] = {};
  if (isObj(v['hostPath'])) setDefault(v['hostPath'], 'type', '');
  for (const s of ['secret', 'configMap', 'downwardAPI', 'projected']) if (isObj(v[s])) setDefault(v[s], 'defaultMode', 420);
  if (isObj(v['downwardAPI'])) for (const item of list(v['downwardAPI']['items'])) defaultFieldRef(item['fieldRef']);
  if (isObj(v['projected'])) {
    for (const src of list(v['projected']['sources'])) {
      if (isObj(src['serviceAccountToken'])) setDefault(src['serviceAccountToken'], 'expirationSeconds', 3600);
      if (isObj(src['downwardAPI'])) for (const item of list(src['downwardAPI']['items'])) defaultFieldRef(item['fieldRef']);
    }
  }
  if (isObj(v['iscsi'])) setDefaultString(v['iscsi'], 'iscsiInterface', 'default');
  if (isObj(v['rbd'])) {
    setDefaultString(v['rbd'], 'pool', 'rbd');
    setDefaultString(v['rbd'], 'user', 'admin');
    setDefaultString(v['rbd'], 'keyring', '/etc/ceph/keyring');
  }
  if (isObj(v['azureDisk'])) {
    setDefault(v['azureDisk'], 'cachingMode', 'ReadWrite');
    setDefault(v['azureDisk'], 'fsType', 'ext4');
    setDefault(v['azureDisk'], 'readOnly', false);
    setDefault(v['azureDisk'], 'kind', 'Shared');
  }
  if (isObj(v['scaleIO'])) {
    setDefaultString(v['scaleIO'], 'storageMode', 'ThinProvisioned');
    setDefaultString(v['scaleIO'], 'fsType', 'xfs');
  }
  const claim = isObj(v['ephemeral']) ? v['ephemeral']['volumeClaimTemplate'] : undefined;
  if (isObj(claim) && isObj(claim['spec'])) defaultPersistentVolumeClaimSpec(claim['spec']);
  if (isObj(v['image']) && !v['image']['pullPolicy']) v['image']['pullPolicy'] = defaultPullPolicy(String(v['image']['reference'] ?? ''));
}

export function defaultPersistentVolumeClaimSpec(spec: Obj): void {
  setDefault(spec, 'volumeMode', 'Filesystem');
}

/** SetDefaults_PodSpec and everything nested in a PodSpec (what a pod template gets). */
export function defaultPodSpec(spec: Obj): void {
  setDefaultString(spec, 'dnsPolicy', 'ClusterFirst');
  setDefaultString(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefaultString(spec, 'schedulerName', 'default-scheduler');
  // v1's deprecated serviceAccount mirrors serviceAccountName (upstream's conversion does this).
  if (!spec['serviceAccountName'] && spec['serviceAccount']) spec['serviceAccountName'] = spec['serviceAccount'];
  if (spec['serviceAccountName']) spec['serviceAccount'] = spec['serviceAccountName'];
  for (const v of list(spec['volumes'])) defaultVolume(v);
  for (const c of list(spec['containers'])) defaultContainer(c);
  for (const c of list(spec['initContainers'])) defaultContainer(c);
  for (const c of list(spec['ephemeralContainers'])) defaultContainer(c);
}

/** A pod template inside a workload: PodSpec defaults, and the template's metadata always present. */
export function defaultPodTemplateSpec(template: unknown): void {
  if (!isObj(template)) return;
  setDefault(template, 'metadata', {});
  defaultPodSpec(ensureObj(template, 'spec'));
}

/** SetDefaults_Pod on top of the PodSpec defaults: requests from limits, service links, host ports. */
export function defaultPod(pod: KObject): void {
  const spec = ensureObj(pod, 'spec');
  for (const c of [...list(spec['containers']), ...list(spec['initContainers'])]) {
    const res = isObj(c['resources']) ? c['resources'] : undefined;
    if (!res || !isObj(res['limits'])) continue;
    const requests = ensureObj(res, 'requests');
    for (const [k, v] of Object.entries(res['limits'])) if (!(k in requests)) requests[k] = v;
  }
  setDefault(spec, 'enableServiceLinks', true);
  if (spec['hostNetwork'] === true) {
    for (const c of [...list(spec['containers']), ...list(spec['initContainers'])]) {
      for (const p of list(c['ports'])) if (!p['hostPort']) p['hostPort'] = p['containerPort'];
    }
  }
  defaultPodSpec(spec);
}
