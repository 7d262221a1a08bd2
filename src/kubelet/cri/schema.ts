// The part of CRI v1 (package runtime.v1, k8s.io/cri-api) that Skiff speaks, as a protobufjs descriptor. Only field
// numbers and types matter on the wire; names are camelCase so decoded messages read as Skiff's TypeScript types.
// Fields Skiff does not use yet are left out: protobuf skips unknown fields when decoding.
import protobuf from 'protobufjs';

type FieldDef = { id: number; type: string; rule?: 'repeated'; keyType?: string };
type Fields = Record<string, FieldDef>;

const f = (id: number, type: string): FieldDef => ({ id, type });
const list = (id: number, type: string): FieldDef => ({ id, type, rule: 'repeated' });
const map = (id: number, type = 'string'): FieldDef => ({ id, type, keyType: 'string' });
const empty: Fields = {};

const enums: Record<string, Record<string, number>> = {
  Protocol: { TCP: 0, UDP: 1, SCTP: 2 },
  MountPropagation: { PROPAGATION_PRIVATE: 0, PROPAGATION_HOST_TO_CONTAINER: 1, PROPAGATION_BIDIRECTIONAL: 2 },
  NamespaceMode: { POD: 0, CONTAINER: 1, NODE: 2, TARGET: 3 },
  PodSandboxState: { SANDBOX_READY: 0, SANDBOX_NOTREADY: 1 },
  ContainerState: { CONTAINER_CREATED: 0, CONTAINER_RUNNING: 1, CONTAINER_EXITED: 2, CONTAINER_UNKNOWN: 3 },
  ProfileType: { RuntimeDefault: 0, Unconfined: 1, Localhost: 2 },
};

const messages: Record<string, Fields> = {
  // Shared pieces.
  Int64Value: { value: f(1, 'int64') },
  UInt64Value: { value: f(1, 'uint64') },
  KeyValue: { key: f(1, 'string'), value: f(2, 'string') },
  ImageSpec: { image: f(1, 'string'), annotations: map(2), userSpecifiedImage: f(18, 'string'), runtimeHandler: f(19, 'string') },
  AuthConfig: {
    username: f(1, 'string'),
    password: f(2, 'string'),
    auth: f(3, 'string'),
    serverAddress: f(4, 'string'),
    identityToken: f(5, 'string'),
    registryToken: f(6, 'string'),
  },
  DNSConfig: { servers: list(1, 'string'), searches: list(2, 'string'), options: list(3, 'string') },
  PortMapping: { protocol: f(1, 'Protocol'), containerPort: f(2, 'int32'), hostPort: f(3, 'int32'), hostIp: f(4, 'string') },
  Mount: {
    containerPath: f(1, 'string'),
    hostPath: f(2, 'string'),
    readonly: f(3, 'bool'),
    selinuxRelabel: f(4, 'bool'),
    propagation: f(5, 'MountPropagation'),
  },
  NamespaceOption: { network: f(1, 'NamespaceMode'), pid: f(2, 'NamespaceMode'), ipc: f(3, 'NamespaceMode'), targetId: f(4, 'string') },
  SecurityProfile: { profileType: f(1, 'ProfileType'), localhostRef: f(2, 'string') },
  Capability: { addCapabilities: list(1, 'string'), dropCapabilities: list(2, 'string'), addAmbientCapabilities: list(3, 'string') },
  LinuxContainerResources: {
    cpuPeriod: f(1, 'int64'),
    cpuQuota: f(2, 'int64'),
    cpuShares: f(3, 'int64'),
    memoryLimitInBytes: f(4, 'int64'),
    oomScoreAdj: f(5, 'int64'),
    cpusetCpus: f(6, 'string'),
    cpusetMems: f(7, 'string'),
    unified: map(9),
    memorySwapLimitInBytes: f(10, 'int64'),
  },

  // Sandboxes.
  PodSandboxMetadata: { name: f(1, 'string'), uid: f(2, 'string'), namespace: f(3, 'string'), attempt: f(4, 'uint32') },
  LinuxSandboxSecurityContext: {
    namespaceOptions: f(1, 'NamespaceOption'),
    runAsUser: f(3, 'Int64Value'),
    readonlyRootfs: f(4, 'bool'),
    supplementalGroups: list(5, 'int64'),
    privileged: f(6, 'bool'),
    runAsGroup: f(8, 'Int64Value'),
    seccomp: f(9, 'SecurityProfile'),
    apparmor: f(10, 'SecurityProfile'),
  },
  LinuxPodSandboxConfig: {
    cgroupParent: f(1, 'string'),
    securityContext: f(2, 'LinuxSandboxSecurityContext'),
    sysctls: map(3),
    overhead: f(4, 'LinuxContainerResources'),
    resources: f(5, 'LinuxContainerResources'),
  },
  PodSandboxConfig: {
    metadata: f(1, 'PodSandboxMetadata'),
    hostname: f(2, 'string'),
    logDirectory: f(3, 'string'),
    dnsConfig: f(4, 'DNSConfig'),
    portMappings: list(5, 'PortMapping'),
    labels: map(6),
    annotations: map(7),
    linux: f(8, 'LinuxPodSandboxConfig'),
  },
  PodIP: { ip: f(1, 'string') },
  PodSandboxNetworkStatus: { ip: f(1, 'string'), additionalIps: list(2, 'PodIP') },
  Namespace: { options: f(2, 'NamespaceOption') },
  LinuxPodSandboxStatus: { namespaces: f(1, 'Namespace') },
  PodSandboxStatus: {
    id: f(1, 'string'),
    metadata: f(2, 'PodSandboxMetadata'),
    state: f(3, 'PodSandboxState'),
    createdAt: f(4, 'int64'),
    network: f(5, 'PodSandboxNetworkStatus'),
    linux: f(6, 'LinuxPodSandboxStatus'),
    labels: map(7),
    annotations: map(8),
    runtimeHandler: f(9, 'string'),
  },
  PodSandbox: {
    id: f(1, 'string'),
    metadata: f(2, 'PodSandboxMetadata'),
    state: f(3, 'PodSandboxState'),
    createdAt: f(4, 'int64'),
    labels: map(5),
    annotations: map(6),
    runtimeHandler: f(7, 'string'),
  },
  PodSandboxStateValue: { state: f(1, 'PodSandboxState') },
  PodSandboxFilter: { id: f(1, 'string'), state: f(2, 'PodSandboxStateValue'), labelSelector: map(3) },

  // Containers.
  ContainerMetadata: { name: f(1, 'string'), attempt: f(2, 'uint32') },
  LinuxContainerSecurityContext: {
    capabilities: f(1, 'Capability'),
    privileged: f(2, 'bool'),
    namespaceOptions: f(3, 'NamespaceOption'),
    runAsUser: f(5, 'Int64Value'),
    runAsUsername: f(6, 'string'),
    readonlyRootfs: f(7, 'bool'),
    supplementalGroups: list(8, 'int64'),
    noNewPrivs: f(11, 'bool'),
    runAsGroup: f(12, 'Int64Value'),
    maskedPaths: list(13, 'string'),
    readonlyPaths: list(14, 'string'),
    seccomp: f(15, 'SecurityProfile'),
    apparmor: f(16, 'SecurityProfile'),
  },
  LinuxContainerConfig: { resources: f(1, 'LinuxContainerResources'), securityContext: f(2, 'LinuxContainerSecurityContext') },
  ContainerConfig: {
    metadata: f(1, 'ContainerMetadata'),
    image: f(2, 'ImageSpec'),
    command: list(3, 'string'),
    args: list(4, 'string'),
    workingDir: f(5, 'string'),
    envs: list(6, 'KeyValue'),
    mounts: list(7, 'Mount'),
    labels: map(9),
    annotations: map(10),
    logPath: f(11, 'string'),
    stdin: f(12, 'bool'),
    stdinOnce: f(13, 'bool'),
    tty: f(14, 'bool'),
    linux: f(15, 'LinuxContainerConfig'),
  },
  Container: {
    id: f(1, 'string'),
    podSandboxId: f(2, 'string'),
    metadata: f(3, 'ContainerMetadata'),
    image: f(4, 'ImageSpec'),
    imageRef: f(5, 'string'),
    state: f(6, 'ContainerState'),
    createdAt: f(7, 'int64'),
    labels: map(8),
    annotations: map(9),
    imageId: f(10, 'string'),
  },
  ContainerStateValue: { state: f(1, 'ContainerState') },
  ContainerFilter: { id: f(1, 'string'), state: f(2, 'ContainerStateValue'), podSandboxId: f(3, 'string'), labelSelector: map(4) },
  ContainerStatus: {
    id: f(1, 'string'),
    metadata: f(2, 'ContainerMetadata'),
    state: f(3, 'ContainerState'),
    createdAt: f(4, 'int64'),
    startedAt: f(5, 'int64'),
    finishedAt: f(6, 'int64'),
    exitCode: f(7, 'int32'),
    image: f(8, 'ImageSpec'),
    imageRef: f(9, 'string'),
    reason: f(10, 'string'),
    message: f(11, 'string'),
    labels: map(12),
    annotations: map(13),
    mounts: list(14, 'Mount'),
    logPath: f(15, 'string'),
    imageId: f(17, 'string'),
  },

  // Runtime state.
  RuntimeCondition: { type: f(1, 'string'), status: f(2, 'bool'), reason: f(3, 'string'), message: f(4, 'string') },
  RuntimeStatus: { conditions: list(1, 'RuntimeCondition') },

  // Images.
  Image: {
    id: f(1, 'string'),
    repoTags: list(2, 'string'),
    repoDigests: list(3, 'string'),
    size: f(4, 'uint64'),
    uid: f(5, 'Int64Value'),
    username: f(6, 'string'),
    spec: f(7, 'ImageSpec'),
    pinned: f(8, 'bool'),
  },
  ImageFilter: { image: f(1, 'ImageSpec') },
  FilesystemIdentifier: { mountpoint: f(1, 'string') },
  FilesystemUsage: {
    timestamp: f(1, 'int64'),
    fsId: f(2, 'FilesystemIdentifier'),
    usedBytes: f(3, 'UInt64Value'),
    inodesUsed: f(4, 'UInt64Value'),
  },

  // Requests and responses.
  VersionRequest: { version: f(1, 'string') },
  VersionResponse: { version: f(1, 'string'), runtimeName: f(2, 'string'), runtimeVersion: f(3, 'string'), runtimeApiVersion: f(4, 'string') },
  StatusRequest: { verbose: f(1, 'bool') },
  StatusResponse: { status: f(1, 'RuntimeStatus'), info: map(2) },
  RunPodSandboxRequest: { config: f(1, 'PodSandboxConfig'), runtimeHandler: f(2, 'string') },
  RunPodSandboxResponse: { podSandboxId: f(1, 'string') },
  StopPodSandboxRequest: { podSandboxId: f(1, 'string') },
  StopPodSandboxResponse: empty,
  RemovePodSandboxRequest: { podSandboxId: f(1, 'string') },
  RemovePodSandboxResponse: empty,
  PodSandboxStatusRequest: { podSandboxId: f(1, 'string'), verbose: f(2, 'bool') },
  PodSandboxStatusResponse: { status: f(1, 'PodSandboxStatus'), info: map(2), timestamp: f(4, 'int64') },
  ListPodSandboxRequest: { filter: f(1, 'PodSandboxFilter') },
  ListPodSandboxResponse: { items: list(1, 'PodSandbox') },
  CreateContainerRequest: { podSandboxId: f(1, 'string'), config: f(2, 'ContainerConfig'), sandboxConfig: f(3, 'PodSandboxConfig') },
  CreateContainerResponse: { containerId: f(1, 'string') },
  StartContainerRequest: { containerId: f(1, 'string') },
  StartContainerResponse: empty,
  StopContainerRequest: { containerId: f(1, 'string'), timeout: f(2, 'int64') },
  StopContainerResponse: empty,
  RemoveContainerRequest: { containerId: f(1, 'string') },
  RemoveContainerResponse: empty,
  ListContainersRequest: { filter: f(1, 'ContainerFilter') },
  ListContainersResponse: { containers: list(1, 'Container') },
  ContainerStatusRequest: { containerId: f(1, 'string'), verbose: f(2, 'bool') },
  ContainerStatusResponse: { status: f(1, 'ContainerStatus'), info: map(2) },
  PullImageRequest: { image: f(1, 'ImageSpec'), auth: f(2, 'AuthConfig'), sandboxConfig: f(3, 'PodSandboxConfig') },
  PullImageResponse: { imageRef: f(1, 'string') },
  ListImagesRequest: { filter: f(1, 'ImageFilter') },
  ListImagesResponse: { images: list(1, 'Image') },
  ImageStatusRequest: { image: f(1, 'ImageSpec'), verbose: f(2, 'bool') },
  ImageStatusResponse: { image: f(1, 'Image'), info: map(2) },
  RemoveImageRequest: { image: f(1, 'ImageSpec') },
  RemoveImageResponse: empty,
  ExecSyncRequest: { containerId: f(1, 'string'), cmd: list(2, 'string'), timeout: f(3, 'int64') },
  ExecSyncResponse: { stdout: f(1, 'bytes'), stderr: f(2, 'bytes'), exitCode: f(3, 'int32') },
  ExecRequest: { containerId: f(1, 'string'), cmd: list(2, 'string'), tty: f(3, 'bool'), stdin: f(4, 'bool'), stdout: f(5, 'bool'), stderr: f(6, 'bool') },
  ExecResponse: { url: f(1, 'string') },
  AttachRequest: { containerId: f(1, 'string'), stdin: f(2, 'bool'), tty: f(3, 'bool'), stdout: f(4, 'bool'), stderr: f(5, 'bool') },
  AttachResponse: { url: f(1, 'string') },
  PortForwardRequest: { podSandboxId: f(1, 'string'), port: list(2, 'int32') },
  PortForwardResponse: { url: f(1, 'string') },
  ReopenContainerLogRequest: { containerId: f(1, 'string') },
  ReopenContainerLogResponse: empty,
  UpdateContainerResourcesRequest: { containerId: f(1, 'string'), linux: f(2, 'LinuxContainerResources') },
  UpdateContainerResourcesResponse: empty,
  ImageFsInfoRequest: empty,
  ImageFsInfoResponse: { imageFilesystems: list(1, 'FilesystemUsage'), containerFilesystems: list(2, 'FilesystemUsage') },
};

/** The gRPC services, method → [request type, response type]. Paths are /runtime.v1.<Service>/<Method>. */
export const CRI_SERVICES = {
  RuntimeService: {
    Version: ['VersionRequest', 'VersionResponse'],
    Status: ['StatusRequest', 'StatusResponse'],
    RunPodSandbox: ['RunPodSandboxRequest', 'RunPodSandboxResponse'],
    StopPodSandbox: ['StopPodSandboxRequest', 'StopPodSandboxResponse'],
    RemovePodSandbox: ['RemovePodSandboxRequest', 'RemovePodSandboxResponse'],
    PodSandboxStatus: ['PodSandboxStatusRequest', 'PodSandboxStatusResponse'],
    ListPodSandbox: ['ListPodSandboxRequest', 'ListPodSandboxResponse'],
    CreateContainer: ['CreateContainerRequest', 'CreateContainerResponse'],
    StartContainer: ['StartContainerRequest', 'StartContainerResponse'],
    StopContainer: ['StopContainerRequest', 'StopContainerResponse'],
    RemoveContainer: ['RemoveContainerRequest', 'RemoveContainerResponse'],
    ListContainers: ['ListContainersRequest', 'ListContainersResponse'],
    ContainerStatus: ['ContainerStatusRequest', 'ContainerStatusResponse'],
    ExecSync: ['ExecSyncRequest', 'ExecSyncResponse'],
    Exec: ['ExecRequest', 'ExecResponse'],
    Attach: ['AttachRequest', 'AttachResponse'],
    PortForward: ['PortForwardRequest', 'PortForwardResponse'],
    ReopenContainerLog: ['ReopenContainerLogRequest', 'ReopenContainerLogResponse'],
    UpdateContainerResources: ['UpdateContainerResourcesRequest', 'UpdateContainerResourcesResponse'],
  },
  ImageService: {
    ListImages: ['ListImagesRequest', 'ListImagesResponse'],
    ImageStatus: ['ImageStatusRequest', 'ImageStatusResponse'],
    PullImage: ['PullImageRequest', 'PullImageResponse'],
    RemoveImage: ['RemoveImageRequest', 'RemoveImageResponse'],
    ImageFsInfo: ['ImageFsInfoRequest', 'ImageFsInfoResponse'],
  },
} as const;

export type CriServiceName = keyof typeof CRI_SERVICES;

let root: protobuf.Root | undefined;

/** The runtime.v1 namespace, built on first use. */
export function criTypes(): protobuf.Namespace {
  if (!root) {
    const nested: Record<string, protobuf.AnyNestedObject> = {};
    for (const [name, values] of Object.entries(enums)) nested[name] = { values };
    for (const [name, fields] of Object.entries(messages)) nested[name] = { fields };
    root = protobuf.Root.fromJSON({ nested: { runtime: { nested: { v1: { nested } } } } });
    root.resolveAll();
  }
  return root.lookup('runtime.v1') as protobuf.Namespace;
}

export function criType(name: string): protobuf.Type {
  return criTypes().lookupType(name);
}
