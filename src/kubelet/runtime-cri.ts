// The `cri` ContainerRuntime: the runtime seam's calls mapped one to one onto CRI v1 over gRPC (CriClient), for
// containerd — Skiff's own (containerd.ts) or one given by --container-runtime-endpoint.
import { CriClient, type CriClientOptions } from './cri/client.ts';
import type * as cri from './cri/types.ts';
import type {
  AttachRequest,
  AuthConfig,
  ExecRequest,
  ExecSyncResult,
  Container,
  ContainerConfig,
  ContainerFilter,
  ContainerRuntime,
  ContainerStatus,
  Image,
  ImageSpec,
  Mount,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStatus,
  RuntimeCondition,
  RuntimeVersion,
} from './runtime.ts';

const opts = (signal: AbortSignal | undefined) => (signal ? { signal } : {});

const imageSpec = (spec: cri.WireImageSpec | undefined): ImageSpec => ({
  image: spec?.image ?? '',
  ...(spec && Object.keys(spec.annotations).length > 0 && { annotations: spec.annotations }),
});

function podSandbox(s: cri.PodSandbox): PodSandbox {
  return {
    id: s.id,
    metadata: s.metadata ?? { name: '', uid: '', namespace: '', attempt: 0 },
    state: s.state,
    createdAt: s.createdAt,
    labels: s.labels,
    annotations: s.annotations,
  };
}

/** The seam keeps namespace options at linux.namespaceOptions; CRI has them in linux.securityContext. */
export function sandboxConfigForWire(config: PodSandboxConfig): cri.WirePodSandboxConfig {
  const { linux, ...rest } = config;
  if (!linux) return rest;
  const { namespaceOptions, cgroupParent, sysctls, securityContext } = linux;
  return {
    ...rest,
    linux: {
      ...(cgroupParent !== undefined && { cgroupParent }),
      ...((namespaceOptions || securityContext) && { securityContext: { ...securityContext, ...(namespaceOptions && { namespaceOptions }) } }),
      ...(sysctls && Object.keys(sysctls).length > 0 && { sysctls }),
    },
  };
}

function image(i: cri.Image): Image {
  return {
    id: i.id,
    repoTags: i.repoTags,
    repoDigests: i.repoDigests,
    size: i.size,
    ...(i.uid && { uid: i.uid.value }),
    ...(i.username && { username: i.username }),
    ...(i.pinned && { pinned: true }),
  };
}

export class CriRuntime implements ContainerRuntime {
  readonly name = 'cri' as const;
  readonly client: CriClient;

  constructor(options: CriClientOptions) {
    this.client = new CriClient(options);
  }

  async version(signal?: AbortSignal): Promise<RuntimeVersion> {
    return this.client.version(opts(signal));
  }

  async status(signal?: AbortSignal): Promise<RuntimeCondition[]> {
    const res = await this.client.status(false, opts(signal));
    return (res.status?.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      ...(c.reason && { reason: c.reason }),
      ...(c.message && { message: c.message }),
    }));
  }

  runPodSandbox(config: PodSandboxConfig, runtimeHandler = '', signal?: AbortSignal): Promise<string> {
    return this.client.runPodSandbox(sandboxConfigForWire(config), runtimeHandler, opts(signal));
  }

  stopPodSandbox(podSandboxId: string, signal?: AbortSignal): Promise<void> {
    return this.client.stopPodSandbox(podSandboxId, opts(signal));
  }

  removePodSandbox(podSandboxId: string, signal?: AbortSignal): Promise<void> {
    return this.client.removePodSandbox(podSandboxId, opts(signal));
  }

  async podSandboxStatus(podSandboxId: string, signal?: AbortSignal): Promise<PodSandboxStatus> {
    const res = await this.client.podSandboxStatus(podSandboxId, false, opts(signal));
    const s = res.status;
    if (!s) throw new TypeError(`CRI PodSandboxStatus for ${podSandboxId} returned no status`);
    const out: PodSandboxStatus = podSandbox(s);
    if (s.network?.ip) out.network = { ip: s.network.ip, additionalIps: s.network.additionalIps.map((a) => a.ip) };
    return out;
  }

  async listPodSandbox(filter: PodSandboxFilter = {}, signal?: AbortSignal): Promise<PodSandbox[]> {
    const wire: cri.PodSandboxFilter = {
      ...(filter.id && { id: filter.id }),
      ...(filter.state && { state: { state: filter.state } }),
      ...(filter.labelSelector && { labelSelector: filter.labelSelector }),
    };
    return (await this.client.listPodSandbox(wire, opts(signal))).map(podSandbox);
  }

  createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig, signal?: AbortSignal): Promise<string> {
    return this.client.createContainer(podSandboxId, config, sandboxConfigForWire(sandboxConfig), opts(signal));
  }

  startContainer(containerId: string, signal?: AbortSignal): Promise<void> {
    return this.client.startContainer(containerId, opts(signal));
  }

  stopContainer(containerId: string, timeoutSeconds: number, signal?: AbortSignal): Promise<void> {
    return this.client.stopContainer(containerId, timeoutSeconds, opts(signal));
  }

  removeContainer(containerId: string, signal?: AbortSignal): Promise<void> {
    return this.client.removeContainer(containerId, opts(signal));
  }

  async listContainers(filter: ContainerFilter = {}, signal?: AbortSignal): Promise<Container[]> {
    const wire: cri.ContainerFilter = {
      ...(filter.id && { id: filter.id }),
      ...(filter.podSandboxId && { podSandboxId: filter.podSandboxId }),
      ...(filter.state && { state: { state: filter.state } }),
      ...(filter.labelSelector && { labelSelector: filter.labelSelector }),
    };
    return (await this.client.listContainers(wire, opts(signal))).map((c) => ({
      id: c.id,
      podSandboxId: c.podSandboxId,
      metadata: c.metadata ?? { name: '', attempt: 0 },
      image: imageSpec(c.image),
      imageRef: c.imageRef,
      state: c.state,
      createdAt: c.createdAt,
      labels: c.labels,
      annotations: c.annotations,
    }));
  }

  reopenContainerLog(containerId: string, signal?: AbortSignal): Promise<void> {
    return this.client.reopenContainerLog(containerId, opts(signal));
  }

  async containerStatus(containerId: string, signal?: AbortSignal): Promise<ContainerStatus> {
    const res = await this.client.containerStatus(containerId, false, opts(signal));
    const s = res.status;
    if (!s) throw new TypeError(`CRI ContainerStatus for ${containerId} returned no status`);
    return {
      id: s.id,
      metadata: s.metadata ?? { name: '', attempt: 0 },
      image: imageSpec(s.image),
      imageRef: s.imageRef,
      state: s.state,
      createdAt: s.createdAt,
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
      exitCode: s.exitCode,
      reason: s.reason,
      message: s.message,
      logPath: s.logPath,
      labels: s.labels,
      annotations: s.annotations,
      mounts: s.mounts.map((m) => ({
        containerPath: m.containerPath,
        hostPath: m.hostPath,
        readonly: m.readonly,
        propagation: m.propagation as NonNullable<Mount['propagation']>,
      })),
    };
  }

  execSync(containerId: string, cmd: string[], timeoutSeconds: number, signal?: AbortSignal): Promise<ExecSyncResult> {
    return this.client.execSync(containerId, cmd, timeoutSeconds, opts(signal));
  }

  exec(request: ExecRequest, signal?: AbortSignal): Promise<string> {
    return this.client.exec(request, opts(signal));
  }

  attach(request: AttachRequest, signal?: AbortSignal): Promise<string> {
    return this.client.attach(request, opts(signal));
  }

  portForward(podSandboxId: string, ports: number[], signal?: AbortSignal): Promise<string> {
    return this.client.portForward(podSandboxId, ports, opts(signal));
  }

  pullImage(spec: ImageSpec, auth?: AuthConfig, signal?: AbortSignal): Promise<string> {
    return this.client.pullImage(spec, auth, undefined, opts(signal));
  }

  async imageStatus(spec: ImageSpec, signal?: AbortSignal): Promise<Image | undefined> {
    const res = await this.client.imageStatus(spec, false, opts(signal));
    return res.image ? image(res.image) : undefined;
  }

  async listImages(signal?: AbortSignal): Promise<Image[]> {
    return (await this.client.listImages(undefined, opts(signal))).map(image);
  }

  async imageFilesystem(signal?: AbortSignal): Promise<string | undefined> {
    const info = await this.client.imageFsInfo(opts(signal));
    return info.imageFilesystems[0]?.fsId?.mountpoint || undefined;
  }

  removeImage(spec: ImageSpec, signal?: AbortSignal): Promise<void> {
    return this.client.removeImage(spec, opts(signal));
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
