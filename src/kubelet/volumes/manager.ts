// The volumes of the pods on this node (kubelet's volume manager and its in-tree plugins for emptyDir, hostPath,
// configMap, secret, downwardAPI, projected and persistentVolumeClaim), and the mounts each container gets.
//
// On disk, as upstream: <podDir>/volumes/kubernetes.io~<plugin>/<volume>. configMap, secret, downwardAPI and
// projected contents go through the atomic writer and are refreshed when a referenced object changes and at
// every resync; secret, downwardAPI and projected volumes (and emptyDir with medium Memory) are tmpfs mounts.
import { randomInt } from 'node:crypto';
import { chmod, chown, lstat, mkdir, readFile, readdir, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConfigMap, Container, PersistentVolume, PersistentVolumeClaim, Pod, Secret, Volume } from 'kubernetes-types/core/v1.d.ts';
import type { Client } from '../../client/client.ts';
import { CONFIGMAPS, PERSISTENT_VOLUME_CLAIMS } from '../../client/resources.ts';
import { abortableSleep } from '../../client/sleep.ts';
import { canonicalQuantity, quantityFromJson, quantityValue } from '../../apiserver/quantity.ts';
import { silentLogger, type Logger } from '../../log.ts';
import { EnvironmentBuilder, expandSubPathExpr } from '../env.ts';
import { hostCapacity } from '../node.ts';
import type { Mount } from '../runtime.ts';
import { ContainerConfigError, VolumeError, type ContainerEnvironment, type KubeletPaths, type PodVolumes } from '../seams.ts';
import { writeAtomically, type Payload } from './atomic-writer.ts';
import { podMemoryLimit, type ResourceList } from './fieldpath.ts';
import { checkHostPath, hasBacksteps } from './hostpath.ts';
import { hostNetworkHostsFileContent, managedHostsFileContent, podHostnameAndDomain } from './hosts.ts';
import { listMountPoints, mountPointsUnder, mountTmpfs, removeTree, unmount } from './mounts.ts';
import { getObject, ReferencedObjects } from './objects.ts';
import { configMapFiles, DEFAULT_MODE, downwardAPIFiles, projectedFiles, secretFiles } from './payloads.ts';
import { prepareSubPath, SubPathError } from './subpath.ts';
import { ServiceAccountTokens } from './tokens.ts';

const SECRETS = { group: '', version: 'v1', resource: 'secrets' } as const;
const PERSISTENT_VOLUMES = { group: '', version: 'v1', resource: 'persistentvolumes' } as const;

export const PLUGIN_DIRS = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
} as const;

const ETC_HOSTS = '/etc/hosts';
const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';
const EMPTY_DIR_MODE = 0o777;
/** Best-effort emptyDir usage counting stops after this many entries. */
const USAGE_WALK_LIMIT = 100_000;

export interface VolumeManagerOptions {
  client: Client;
  paths: KubeletPaths;
  nodeName: string;
  logger?: Logger;
  /** How often volume contents are refreshed and emptyDir usage checked; default 10 s. */
  resyncPeriodMs?: number;
  /** For a subdomain pod's FQDN in /etc/hosts; default cluster.local. */
  clusterDomain?: string;
  /** The containers' environment, for subPathExpr; default: a builder without service links or host IPs. */
  environment?: ContainerEnvironment;
  /** Node allocatable (memory sizes tmpfs, cpu/memory/ephemeral-storage stand in for unset limits); default: this machine. */
  allocatable?: ResourceList;
  /** secret, downwardAPI and projected volumes on tmpfs, as upstream; default: when running as root. */
  memoryBackedVolumes?: boolean;
  /** The node's hosts file, which hostNetwork pods get a copy of; default /etc/hosts. */
  nodeHostsFile?: string;
  /** A disk emptyDir grew past its sizeLimit (seen at a resync); `message` is upstream's eviction message. */
  onEmptyDirOverLimit?(pod: Pod, volumeName: string, message: string): void;
  /** Clock for token lifetimes (tests). */
  now?: () => number;
}

interface MountedVolume {
  hostPath: string;
  /** Mounted read-only whatever the volumeMount says (configMap, secret, downwardAPI, projected). */
  readOnly: boolean;
}

interface PodState {
  pod: Pod;
  volumes: Map<string, MountedVolume>;
  /** `configmap:<ns>/<name>` and `secret:<ns>/<name>` this pod's volumes read. */
  refs: Set<string>;
  removed: boolean;
  chain: Promise<void>;
  refreshQueued: boolean;
  overLimitReported: Set<string>;
}

const ATOMIC = (v: Volume) => !!(v.configMap || v.secret || v.downwardAPI || v.projected);

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class VolumeManager implements PodVolumes {
  readonly #opts: VolumeManagerOptions;
  readonly #log: Logger;
  readonly #pods = new Map<string, PodState>();
  readonly #configMaps: ReferencedObjects<ConfigMap>;
  readonly #secrets: ReferencedObjects<Secret>;
  readonly #tokens: ServiceAccountTokens;
  readonly #environment: ContainerEnvironment;
  /** tmpfs mounts this process made or found, so a refresh need not read mountinfo. */
  readonly #tmpfs = new Set<string>();
  #allocatable: ResourceList | undefined;
  #signal: AbortSignal | undefined;

  constructor(opts: VolumeManagerOptions) {
    this.#opts = opts;
    this.#log = opts.logger ?? silentLogger();
    const onChange = (kind: string) => (namespace: string, name: string) => this.#objectChanged(`${kind}:${namespace}/${name}`);
    this.#configMaps = new ReferencedObjects<ConfigMap>({ client: opts.client, gvr: CONFIGMAPS, kind: 'configmap', onChange: onChange('configmap'), logger: this.#log });
    this.#secrets = new ReferencedObjects<Secret>({ client: opts.client, gvr: SECRETS, kind: 'secret', onChange: onChange('secret'), logger: this.#log });
    this.#tokens = new ServiceAccountTokens(opts.client, opts.now);
    this.#environment = opts.environment ?? new EnvironmentBuilder({ client: opts.client, nodeName: opts.nodeName, hostIPs: [], serviceLister: () => [] });
  }

  /** Refreshes volume contents every resync period until `signal` aborts; then stops watching objects. */
  async start(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    const period = this.#opts.resyncPeriodMs ?? 10_000;
    try {
      while (!signal.aborted) {
        try {
          await abortableSleep(period, signal);
        } catch {
          break;
        }
        await this.#resync(signal);
      }
    } finally {
      this.#configMaps.stop();
      this.#secrets.stop();
    }
  }

  async setUp(pod: Pod, signal?: AbortSignal): Promise<void> {
    const uid = pod.metadata?.uid;
    if (!uid) throw new VolumeError('the pod has no metadata.uid');
    let state = this.#pods.get(uid);
    if (!state) {
      state = { pod, volumes: new Map(), refs: new Set(), removed: false, chain: Promise.resolve(), refreshQueued: false, overLimitReported: new Set() };
      this.#pods.set(uid, state);
    }
    state.pod = pod;
    state.removed = false;
    this.#updateRefs(state);
    const s = state;
    await this.#serial(s, () => this.#setUpVolumes(s, false, signal));
  }

  async mounts(pod: Pod, container: Container, podIPs: readonly string[]): Promise<Mount[]> {
    const uid = pod.metadata?.uid ?? '';
    const podDir = this.#opts.paths.podDir(uid);
    const state = this.#pods.get(uid);
    const out: Mount[] = [];
    let mountHosts = podIPs.length > 0 || !!pod.spec?.hostNetwork;
    let env: Awaited<ReturnType<ContainerEnvironment['env']>> | undefined;
    for (const vm of container.volumeMounts ?? []) {
      if (vm.mountPath === ETC_HOSTS) mountHosts = false;
      const volume = state?.volumes.get(vm.name);
      if (!volume) throw new ContainerConfigError(`cannot find volume "${vm.name}" to mount into container "${container.name}"`);
      let subPath = vm.subPath ?? '';
      if (vm.subPathExpr) {
        env ??= await this.#environment.env(pod, container, podIPs);
        subPath = expandSubPathExpr(vm.subPathExpr, env);
      }
      let hostPath = volume.hostPath;
      if (subPath) {
        if (subPath.startsWith('/')) throw new ContainerConfigError(`error SubPath \`${subPath}\` must not be an absolute path`);
        if (hasBacksteps(subPath)) throw new ContainerConfigError(`unable to provision SubPath \`${subPath}\`: must not contain '..'`);
        try {
          hostPath = await prepareSubPath(volume.hostPath, subPath);
        } catch (err) {
          // The details stay in the log: they describe the host's file system.
          this.#log.warn('subPath of a volumeMount failed', { pod: pod.metadata?.name, container: container.name, volume: vm.name, error: err });
          const what = err instanceof SubPathError && err.kind === 'create' ? 'create subPath directory' : 'prepare subPath';
          throw new ContainerConfigError(`failed to ${what} for volumeMount "${vm.name}" of container "${container.name}"`, { cause: err });
        }
      }
      out.push({
        containerPath: vm.mountPath.startsWith('/') ? vm.mountPath : `/${vm.mountPath}`,
        hostPath,
        readonly: !!vm.readOnly || volume.readOnly,
        propagation: propagationOf(vm.mountPropagation),
      });
    }
    if (mountHosts) out.push({ containerPath: ETC_HOSTS, hostPath: await this.#writeHostsFile(pod, podDir, podIPs), readonly: false });
    const terminationPath = container.terminationMessagePath ?? DEFAULT_TERMINATION_MESSAGE_PATH;
    if (terminationPath) {
      out.push({ containerPath: terminationPath.startsWith('/') ? terminationPath : `/${terminationPath}`, hostPath: await this.#newTerminationLog(podDir, container.name), readonly: false });
    }
    return out;
  }

  async tearDown(podUID: string): Promise<void> {
    const state = this.#pods.get(podUID);
    if (!state) return this.#removePodFiles(podUID);
    state.removed = true;
    for (const ref of state.refs) this.#release(ref);
    state.refs.clear();
    // In line with any setUp still running; a setUp called after this one sets the pod up again.
    await this.#serial(state, async () => {
      await this.#removePodFiles(podUID);
      state.volumes.clear();
      if (state.removed && this.#pods.get(podUID) === state) this.#pods.delete(podUID);
    });
  }

  /** Unmounts whatever is mounted under the pod's directory, deepest first, then removes the directory. */
  async #removePodFiles(podUID: string): Promise<void> {
    this.#tokens.forget(podUID);
    const podDir = this.#opts.paths.podDir(podUID);
    let real: string;
    try {
      // The parent resolved, the pod directory itself not: were it a symlink, only the link goes.
      real = path.join(await realpath(path.dirname(podDir)), path.basename(podDir));
      await lstat(real);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const m of mountPointsUnder(await listMountPoints(), real)) {
      await unmount(m.mountPoint);
      this.#tmpfs.delete(m.mountPoint);
    }
    for (const dir of this.#tmpfs) if (dir.startsWith(`${real}/`) || dir.startsWith(`${podDir}/`)) this.#tmpfs.delete(dir);
    await removeTree(real);
  }

  // --- setting up ---

  #serial(state: PodState, fn: () => Promise<void>): Promise<void> {
    const next = state.chain.then(fn, fn);
    state.chain = next.catch(() => {});
    return next;
  }

  /** Sets up every volume (or only the refreshable ones); the first failure becomes the VolumeError. */
  async #setUpVolumes(state: PodState, refreshOnly: boolean, signal: AbortSignal | undefined): Promise<void> {
    if (state.removed) return;
    const pod = state.pod;
    const podDir = this.#opts.paths.podDir(pod.metadata!.uid!);
    await mkdir(path.join(podDir, 'volumes'), { recursive: true, mode: 0o750 });
    let first: VolumeError | undefined;
    const failed: string[] = [];
    for (const volume of pod.spec?.volumes ?? []) {
      if (refreshOnly && !ATOMIC(volume)) continue;
      signal?.throwIfAborted();
      if (state.removed) return;
      try {
        state.volumes.set(volume.name, await this.#setUpVolume(pod, podDir, volume, signal));
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        failed.push(volume.name);
        first ??= err instanceof VolumeError ? err : new VolumeError(`MountVolume.SetUp failed for volume "${volume.name}" : ${messageOf(err)}`, { cause: err });
      }
    }
    if (first) {
      this.#log.debug('volume setup failed', { pod: pod.metadata?.name, namespace: pod.metadata?.namespace, volumes: failed, error: first.message });
      throw first;
    }
  }

  async #setUpVolume(pod: Pod, podDir: string, volume: Volume, signal: AbortSignal | undefined): Promise<MountedVolume> {
    const dirOf = (plugin: string) => path.join(podDir, 'volumes', plugin, volume.name);
    const fsGroup = pod.spec?.securityContext?.fsGroup;
    const namespace = pod.metadata?.namespace ?? '';
    if (volume.emptyDir) {
      const dir = dirOf(PLUGIN_DIRS.emptyDir);
      const medium = volume.emptyDir.medium ?? '';
      if (medium !== '' && medium !== 'Memory') throw new Error(`unknown storage medium "${medium}"`);
      const created = await this.#emptyDir(dir, pod, medium === 'Memory', volume.emptyDir.sizeLimit);
      if (created && fsGroup !== undefined) await applyFsGroup(dir, fsGroup, false);
      return { hostPath: dir, readOnly: false };
    }
    if (volume.hostPath) {
      await checkHostPath(volume.hostPath.path, volume.hostPath.type);
      return { hostPath: volume.hostPath.path, readOnly: false };
    }
    if (volume.configMap) {
      const src = volume.configMap;
      const optional = !!src.optional;
      const cm = await this.#optionalObject(() => this.#configMaps.get(namespace, src.name ?? '', signal), optional);
      const files = configMapFiles(cm, src.items, src.defaultMode ?? DEFAULT_MODE, optional);
      return this.#atomicVolume(dirOf(PLUGIN_DIRS.configMap), pod, files, false, fsGroup);
    }
    if (volume.secret) {
      const src = volume.secret;
      const optional = !!src.optional;
      const secret = await this.#optionalObject(() => this.#secrets.get(namespace, src.secretName ?? '', signal), optional);
      const files = secretFiles(secret, src.items, src.defaultMode ?? DEFAULT_MODE, optional);
      return this.#atomicVolume(dirOf(PLUGIN_DIRS.secret), pod, files, true, fsGroup);
    }
    if (volume.downwardAPI) {
      const files = downwardAPIFiles(volume.downwardAPI.items, pod, volume.downwardAPI.defaultMode ?? DEFAULT_MODE, this.#nodeAllocatable());
      return this.#atomicVolume(dirOf(PLUGIN_DIRS.downwardAPI), pod, files, true, fsGroup);
    }
    if (volume.projected) {
      const files = await projectedFiles(
        volume.projected,
        pod,
        {
          configMap: (name) => this.#configMaps.get(namespace, name, signal),
          secret: (name) => this.#secrets.get(namespace, name, signal),
          token: (projection) => this.#tokens.get(pod, projection, signal),
          allocatable: this.#nodeAllocatable(),
        },
        fsGroup,
      );
      return this.#atomicVolume(dirOf(PLUGIN_DIRS.projected), pod, files, true, fsGroup);
    }
    if (volume.persistentVolumeClaim) {
      return this.#claimVolume(volume, pod, volume.persistentVolumeClaim.claimName, !!volume.persistentVolumeClaim.readOnly, false, signal);
    }
    if (volume.ephemeral) {
      return this.#claimVolume(volume, pod, `${pod.metadata?.name ?? ''}-${volume.name}`, false, true, signal);
    }
    throw new Error('no volume plugin matched');
  }

  async #optionalObject<T>(read: () => Promise<T>, optional: boolean): Promise<T | undefined> {
    try {
      return await read();
    } catch (err) {
      if (optional && (err as Error).name === 'ObjectNotFoundError') return undefined;
      throw err;
    }
  }

  /** Creates the emptyDir (a tmpfs when memory-backed); true when it did not exist before. */
  async #emptyDir(dir: string, pod: Pod, memory: boolean, sizeLimit: unknown): Promise<boolean> {
    const created = await ensureDir(dir, EMPTY_DIR_MODE);
    // A directory made just now cannot be a mount point yet.
    if (memory && (created || !(await this.#isTmpfs(dir)))) {
      await mountTmpfs(dir, this.#tmpfsSize(pod, sizeLimit));
      this.#tmpfs.add(dir);
      return true;
    }
    return created;
  }

  async #atomicVolume(dir: string, pod: Pod, files: Payload, memoryBacked: boolean, fsGroup: number | undefined): Promise<MountedVolume> {
    await this.#emptyDir(dir, pod, memoryBacked && this.#memoryBacked(), undefined);
    const changed = await writeAtomically(dir, files, fsGroup !== undefined ? (tsDir) => applyFsGroup(tsDir, fsGroup, true) : undefined);
    if (changed && fsGroup !== undefined) await chown(dir, -1, fsGroup);
    return { hostPath: dir, readOnly: true };
  }

  async #claimVolume(volume: Volume, pod: Pod, claimName: string, readOnly: boolean, ephemeral: boolean, signal: AbortSignal | undefined): Promise<MountedVolume> {
    const namespace = pod.metadata?.namespace ?? '';
    const processing = (why: string) => new VolumeError(
      `Unable to attach or mount volumes: unmounted volumes=[${volume.name}], unattached volumes=[${volume.name}]: error processing PVC ${namespace}/${claimName}: ${why}`,
    );
    let claim: PersistentVolumeClaim;
    try {
      claim = (await this.#opts.client.get(PERSISTENT_VOLUME_CLAIMS, namespace, claimName, signal ? { signal } : {})) as PersistentVolumeClaim;
    } catch (err) {
      throw processing(`failed to fetch PVC from API server: ${messageOf(err)}`);
    }
    if (ephemeral && !claim.metadata?.ownerReferences?.some((r) => r.controller && r.uid === pod.metadata?.uid)) {
      throw processing(`PVC ${namespace}/${claimName} was not created for pod ${namespace}/${pod.metadata?.name ?? ''} (pod is not owner)`);
    }
    if (claim.metadata?.deletionTimestamp) throw processing('PVC is being deleted');
    if (claim.status?.phase !== 'Bound') throw processing('PVC is not bound');
    const pvName = claim.spec?.volumeName;
    if (!pvName) throw processing('PVC has empty pvc.Spec.VolumeName');
    let pv: PersistentVolume;
    try {
      pv = await getObject<PersistentVolume>(this.#opts.client, PERSISTENT_VOLUMES, 'persistentvolume', '', pvName, signal);
    } catch (err) {
      throw processing(`failed to fetch PV ${pvName} from API server: ${messageOf(err)}`);
    }
    const claimRef = pv.spec?.claimRef;
    if (!claimRef) throw processing(`found PV object ${pvName} but it has a nil pv.Spec.ClaimRef indicating it is not yet bound to the claim`);
    if (claimRef.uid !== claim.metadata?.uid) {
      throw processing(`found PV object ${pvName} but its pv.Spec.ClaimRef.UID (${claimRef.uid ?? ''}) does not point to claim.UID (${claim.metadata?.uid ?? ''})`);
    }
    if (pv.spec?.volumeMode === 'Block') throw new Error(`Volume "${volume.name}" has volumeMode "Block", but is specified in volumeMounts`);
    if (pv.spec?.hostPath) {
      await checkHostPath(pv.spec.hostPath.path, pv.spec.hostPath.type);
      return { hostPath: pv.spec.hostPath.path, readOnly };
    }
    if (pv.spec?.local) {
      const p = pv.spec.local.path;
      try {
        await stat(p);
      } catch {
        throw new Error(`path "${p}" does not exist`);
      }
      return { hostPath: p, readOnly };
    }
    throw new Error('no volume plugin matched');
  }

  #memoryBacked(): boolean {
    return this.#opts.memoryBackedVolumes ?? process.getuid?.() === 0;
  }

  #nodeAllocatable(): ResourceList {
    this.#allocatable ??= this.#opts.allocatable ?? hostCapacity();
    return this.#allocatable;
  }

  /** upstream's calculateEmptyDirMemorySize: the least of node allocatable memory, the pod's memory limit and sizeLimit. */
  #tmpfsSize(pod: Pod, sizeLimit: unknown): bigint | undefined {
    const bytes = (v: unknown) => {
      if (v === undefined) return undefined;
      try {
        return quantityValue(quantityFromJson(v));
      } catch {
        return undefined;
      }
    };
    let size = bytes(this.#nodeAllocatable()['memory']);
    for (const limit of [podMemoryLimit(pod), bytes(sizeLimit)]) {
      if (limit !== undefined && limit > 0n && (size === undefined || limit <= size)) size = limit;
    }
    return size;
  }

  async #isTmpfs(dir: string): Promise<boolean> {
    if (this.#tmpfs.has(dir)) return true;
    let real: string;
    try {
      real = await realpath(dir);
    } catch {
      return false;
    }
    const found = (await listMountPoints()).some((m) => m.mountPoint === real && m.fsType === 'tmpfs');
    if (found) this.#tmpfs.add(dir);
    return found;
  }

  // --- references and refreshing ---

  #updateRefs(state: PodState): void {
    const namespace = state.pod.metadata?.namespace ?? '';
    const wanted = new Set<string>();
    for (const v of state.pod.spec?.volumes ?? []) {
      if (v.configMap?.name) wanted.add(`configmap:${namespace}/${v.configMap.name}`);
      if (v.secret?.secretName) wanted.add(`secret:${namespace}/${v.secret.secretName}`);
      for (const s of v.projected?.sources ?? []) {
        if (s.configMap?.name) wanted.add(`configmap:${namespace}/${s.configMap.name}`);
        if (s.secret?.name) wanted.add(`secret:${namespace}/${s.secret.name}`);
      }
    }
    for (const ref of wanted) if (!state.refs.has(ref)) this.#acquire(ref);
    for (const ref of state.refs) if (!wanted.has(ref)) this.#release(ref);
    state.refs = wanted;
  }

  #split(ref: string): [objects: ReferencedObjects<ConfigMap> | ReferencedObjects<Secret>, namespace: string, name: string] {
    const colon = ref.indexOf(':');
    const rest = ref.slice(colon + 1);
    const slash = rest.indexOf('/');
    return [ref.slice(0, colon) === 'configmap' ? this.#configMaps : this.#secrets, rest.slice(0, slash), rest.slice(slash + 1)];
  }

  #acquire(ref: string): void {
    const [objects, namespace, name] = this.#split(ref);
    objects.acquire(namespace, name);
  }

  #release(ref: string): void {
    const [objects, namespace, name] = this.#split(ref);
    objects.release(namespace, name);
  }

  #objectChanged(ref: string): void {
    for (const state of this.#pods.values()) {
      if (state.removed || !state.refs.has(ref) || state.refreshQueued) continue;
      state.refreshQueued = true;
      this.#serial(state, async () => {
        state.refreshQueued = false;
        await this.#setUpVolumes(state, true, this.#signal);
      }).catch((err: unknown) => this.#log.debug('volume refresh failed', { pod: state.pod.metadata?.name, error: err }));
    }
  }

  async #resync(signal: AbortSignal): Promise<void> {
    for (const state of [...this.#pods.values()]) {
      if (signal.aborted) return;
      if (state.removed) continue;
      try {
        await this.#serial(state, () => this.#setUpVolumes(state, true, signal));
      } catch (err) {
        if (signal.aborted) return;
        this.#log.debug('volume refresh failed', { pod: state.pod.metadata?.name, error: err });
      }
      await this.#checkEmptyDirLimits(state);
    }
  }

  /** Best effort: disk emptyDirs with a sizeLimit are measured (allocated blocks, as du) and reported once when over. */
  async #checkEmptyDirLimits(state: PodState): Promise<void> {
    const { pod } = state;
    for (const v of pod.spec?.volumes ?? []) {
      if (!v.emptyDir || v.emptyDir.medium === 'Memory' || v.emptyDir.sizeLimit === undefined || state.overLimitReported.has(v.name)) continue;
      let limit: bigint;
      try {
        limit = quantityValue(quantityFromJson(v.emptyDir.sizeLimit));
      } catch {
        continue;
      }
      const usage = await diskUsage(path.join(this.#opts.paths.podDir(pod.metadata!.uid!), 'volumes', PLUGIN_DIRS.emptyDir, v.name));
      if (usage <= limit) continue;
      state.overLimitReported.add(v.name);
      const message = `Usage of EmptyDir volume "${v.name}" exceeds the limit "${canonicalQuantity(String(v.emptyDir.sizeLimit))}". `;
      this.#log.info('emptyDir over its sizeLimit', { pod: pod.metadata?.name, namespace: pod.metadata?.namespace, volume: v.name, usage: String(usage) });
      this.#opts.onEmptyDirOverLimit?.(pod, v.name, message);
    }
  }

  // --- files kubelet itself puts in containers ---

  async #writeHostsFile(pod: Pod, podDir: string, podIPs: readonly string[]): Promise<string> {
    const file = path.join(podDir, 'etc-hosts');
    let content: string;
    if (pod.spec?.hostNetwork) {
      content = hostNetworkHostsFileContent(await readFile(this.#opts.nodeHostsFile ?? ETC_HOSTS, 'utf8'), pod.spec.hostAliases);
    } else {
      const { hostname, domain } = podHostnameAndDomain(pod, this.#opts.clusterDomain ?? 'cluster.local');
      content = managedHostsFileContent(podIPs, hostname, domain, pod.spec?.hostAliases);
    }
    await mkdir(podDir, { recursive: true, mode: 0o750 });
    // Written in place: running containers have this very inode bind-mounted.
    await writeFile(file, content, { mode: 0o644 });
    await chmod(file, 0o644);
    return file;
  }

  /** A fresh, empty termination-message file for one container instance. */
  async #newTerminationLog(podDir: string, containerName: string): Promise<string> {
    const dir = path.join(podDir, 'containers', containerName);
    await mkdir(dir, { recursive: true, mode: 0o750 });
    for (;;) {
      const file = path.join(dir, randomInt(0, 2 ** 32 - 1).toString(16).padStart(8, '0'));
      try {
        await writeFile(file, '', { flag: 'wx', mode: 0o666 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      await chmod(file, 0o666);
      return file;
    }
  }
}

function propagationOf(mode: string | undefined): NonNullable<Mount['propagation']> {
  switch (mode ?? 'None') {
    case 'None':
      return 'PROPAGATION_PRIVATE';
    case 'HostToContainer':
      return 'PROPAGATION_HOST_TO_CONTAINER';
    case 'Bidirectional':
      return 'PROPAGATION_BIDIRECTIONAL';
  }
  throw new ContainerConfigError(`invalid MountPropagation mode: "${mode}"`);
}

/** Makes `dir` with exactly `mode` (whatever the umask); true when it was created now. */
async function ensureDir(dir: string, mode: number): Promise<boolean> {
  let created = false;
  try {
    await mkdir(dir, { mode });
    created = true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      await mkdir(path.dirname(dir), { recursive: true, mode: 0o750 });
      return ensureDir(dir, mode);
    }
    if (code !== 'EEXIST') throw err;
  }
  const st = await lstat(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  if ((st.mode & 0o777) !== mode) await chmod(dir, mode);
  return created;
}

/**
 * upstream's SetVolumeOwnership: every file and directory (not symlinks) gets the fsGroup as its group and
 * group read (and write, unless the volume is read-only); directories also the setgid bit.
 */
async function applyFsGroup(root: string, fsGroup: number, readOnly: boolean): Promise<void> {
  const mask = readOnly ? 0o440 : 0o660;
  const visit = async (p: string): Promise<void> => {
    const st = await lstat(p);
    if (st.isSymbolicLink()) return;
    await chown(p, -1, fsGroup);
    await chmod(p, (st.mode & 0o7777) | mask | (st.isDirectory() ? 0o2110 : 0));
    if (st.isDirectory()) for (const name of await readdir(p)) await visit(path.join(p, name));
  };
  await visit(root);
}

/** Allocated bytes under `dir` (du's count), not following symlinks; stops counting after a bounded walk. */
async function diskUsage(dir: string): Promise<bigint> {
  let total = 0n;
  let seen = 0;
  const stack = [dir];
  while (stack.length && seen < USAGE_WALK_LIMIT) {
    const p = stack.pop()!;
    let st;
    try {
      st = await lstat(p);
    } catch {
      continue;
    }
    seen++;
    total += BigInt(st.blocks) * 512n;
    if (st.isDirectory()) {
      try {
        for (const name of await readdir(p)) stack.push(path.join(p, name));
      } catch {
        // unreadable: count what we can
      }
    }
  }
  return total;
}
