// CRI v1 messages as the client sends and receives them: camelCase field names, int64 as bigint, enums by name,
// absent sub-messages as undefined. Requests reuse the runtime seam's types where they are the same message.
import type {
  AuthConfig,
  ContainerConfig,
  ContainerMetadata,
  ContainerState,
  ImageSpec,
  PodSandboxConfig,
  PodSandboxMetadata,
  PodSandboxState,
  RuntimeCondition,
} from '../runtime.ts';

export type { AuthConfig, ContainerConfig, ImageSpec };

type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';

/** PodSandboxConfig as CRI carries it: the namespace options sit in linux.securityContext. */
export interface WirePodSandboxConfig extends Omit<PodSandboxConfig, 'linux'> {
  linux?: {
    cgroupParent?: string;
    securityContext?: {
      namespaceOptions?: { network?: NamespaceMode; pid?: NamespaceMode; ipc?: NamespaceMode; targetId?: string };
      [field: string]: unknown;
    };
    sysctls?: Record<string, string>;
  };
}

export interface VersionResponse {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

export interface StatusResponse {
  status?: { conditions: RuntimeCondition[] };
  info: Record<string, string>;
}

export interface PodSandboxFilter {
  id?: string;
  state?: { state: PodSandboxState };
  labelSelector?: Record<string, string>;
}

export interface PodSandbox {
  id: string;
  metadata?: PodSandboxMetadata;
  state: PodSandboxState;
  createdAt: bigint;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
}

export interface PodSandboxStatus extends PodSandbox {
  network?: { ip: string; additionalIps: { ip: string }[] };
  linux?: { namespaces?: { options?: { network: string; pid: string; ipc: string; targetId: string } } };
}

export interface PodSandboxStatusResponse {
  status?: PodSandboxStatus;
  info: Record<string, string>;
  timestamp: bigint;
}

export interface ContainerFilter {
  id?: string;
  state?: { state: ContainerState };
  podSandboxId?: string;
  labelSelector?: Record<string, string>;
}

export interface WireImageSpec {
  image: string;
  annotations: Record<string, string>;
  userSpecifiedImage: string;
  runtimeHandler: string;
}

export interface Container {
  id: string;
  podSandboxId: string;
  metadata?: ContainerMetadata;
  image?: WireImageSpec;
  imageRef: string;
  state: ContainerState;
  createdAt: bigint;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  imageId: string;
}

export interface WireMount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
  selinuxRelabel: boolean;
  propagation: string;
}

export interface ContainerStatus {
  id: string;
  metadata?: ContainerMetadata;
  state: ContainerState;
  createdAt: bigint;
  startedAt: bigint;
  finishedAt: bigint;
  exitCode: number;
  image?: WireImageSpec;
  imageRef: string;
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  mounts: WireMount[];
  logPath: string;
  imageId: string;
}

export interface ContainerStatusResponse {
  status?: ContainerStatus;
  info: Record<string, string>;
}

export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: bigint;
  uid?: { value: bigint };
  username: string;
  spec?: WireImageSpec;
  pinned: boolean;
}

export interface ImageStatusResponse {
  image?: Image;
  info: Record<string, string>;
}

export interface FilesystemUsage {
  timestamp: bigint;
  fsId?: { mountpoint: string };
  usedBytes?: { value: bigint };
  inodesUsed?: { value: bigint };
}

export interface ImageFsInfoResponse {
  imageFilesystems: FilesystemUsage[];
  containerFilesystems: FilesystemUsage[];
}
