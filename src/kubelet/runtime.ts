// The seam between the node agent and whatever runs containers: CRI v1's RuntimeService and ImageService, in
// TypeScript. The `cri` implementation (issue 5) speaks gRPC to containerd over a unix socket; `SimulatedRuntime`
// (runtime-simulated.ts) keeps sandboxes and containers in memory. The node agent's pod workers drive either one,
// and one shared test suite covers both where their behaviour is common.
//
// Names and states follow CRI (k8s.io/cri-api runtime/v1) so the gRPC mapping is field by field.

export type RuntimeName = 'simulated' | 'cri';
export const RUNTIME_NAMES: readonly RuntimeName[] = ['simulated', 'cri'];

export interface RuntimeVersion {
  /** CRI API version, "v1". */
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

export interface RuntimeCondition {
  /** RuntimeReady or NetworkReady. */
  type: string;
  status: boolean;
  reason?: string;
  message?: string;
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort?: number;
  hostIp?: string;
}

export interface DNSConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname?: string;
  logDirectory?: string;
  dnsConfig?: DNSConfig;
  portMappings?: PortMapping[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Linux options: host namespaces, cgroup parent, security context. */
  linux?: {
    cgroupParent?: string;
    namespaceOptions?: { network?: 'POD' | 'NODE'; pid?: 'POD' | 'CONTAINER' | 'NODE'; ipc?: 'POD' | 'NODE' };
    /** The pod's securityContext.sysctls. */
    sysctls?: Record<string, string>;
    /** The rest of CRI's LinuxSandboxSecurityContext (privileged: some container of the pod is). */
    securityContext?: {
      runAsUser?: { value: number };
      runAsGroup?: { value: number };
      supplementalGroups?: number[];
      privileged?: boolean;
      seccomp?: { profileType: 'RuntimeDefault' | 'Unconfined' | 'Localhost'; localhostRef?: string };
    };
  };
}

export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  /** Nanoseconds since the epoch, as CRI reports them. */
  createdAt: bigint;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PodSandboxStatus extends PodSandbox {
  network?: { ip: string; additionalIps: string[] };
}

export interface ImageSpec {
  image: string;
  annotations?: Record<string, string>;
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
  propagation?: 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';
}

export interface ContainerMetadata {
  name: string;
  attempt: number;
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: ImageSpec;
  command?: string[];
  args?: string[];
  workingDir?: string;
  envs?: KeyValue[];
  mounts?: Mount[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Relative to the sandbox's logDirectory. */
  logPath?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  linux?: {
    resources?: { cpuPeriod?: number; cpuQuota?: number; cpuShares?: number; memoryLimitInBytes?: number; oomScoreAdj?: number };
    securityContext?: Record<string, unknown>;
  };
}

export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface Container {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata;
  image: ImageSpec;
  imageRef: string;
  state: ContainerState;
  createdAt: bigint;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStatus extends Omit<Container, 'podSandboxId'> {
  startedAt: bigint;
  finishedAt: bigint;
  exitCode: number;
  /** e.g. Completed, Error, OOMKilled. */
  reason: string;
  message: string;
  logPath: string;
  /** The container's mounts as the runtime reports them (its termination-log file among them). */
  mounts?: Mount[];
}

export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: bigint;
  /** The image's USER: a numeric uid, or a name when not numeric (neither: it runs as root). */
  uid?: bigint;
  username?: string;
  /** The runtime keeps it whatever happens (its sandbox image): garbage collection leaves it. */
  pinned?: boolean;
}

export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  serverAddress?: string;
  identityToken?: string;
  registryToken?: string;
}

export interface ContainerFilter {
  id?: string;
  podSandboxId?: string;
  state?: ContainerState;
  labelSelector?: Record<string, string>;
}

export interface PodSandboxFilter {
  id?: string;
  state?: PodSandboxState;
  labelSelector?: Record<string, string>;
}

export interface ExecSyncResult {
  stdout: Uint8Array;
  stderr: Uint8Array;
  exitCode: number;
}

export interface ExecRequest {
  containerId: string;
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface AttachRequest {
  containerId: string;
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** CRI's RuntimeService and ImageService. Every call may take an AbortSignal; failures reject with RuntimeError. */
export interface ContainerRuntime {
  readonly name: RuntimeName;
  version(signal?: AbortSignal): Promise<RuntimeVersion>;
  status(signal?: AbortSignal): Promise<RuntimeCondition[]>;

  runPodSandbox(config: PodSandboxConfig, runtimeHandler?: string, signal?: AbortSignal): Promise<string>;
  stopPodSandbox(podSandboxId: string, signal?: AbortSignal): Promise<void>;
  removePodSandbox(podSandboxId: string, signal?: AbortSignal): Promise<void>;
  podSandboxStatus(podSandboxId: string, signal?: AbortSignal): Promise<PodSandboxStatus>;
  listPodSandbox(filter?: PodSandboxFilter, signal?: AbortSignal): Promise<PodSandbox[]>;

  createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig, signal?: AbortSignal): Promise<string>;
  startContainer(containerId: string, signal?: AbortSignal): Promise<void>;
  /** SIGTERM, then SIGKILL after `timeoutSeconds` (0: at once). */
  stopContainer(containerId: string, timeoutSeconds: number, signal?: AbortSignal): Promise<void>;
  removeContainer(containerId: string, signal?: AbortSignal): Promise<void>;
  listContainers(filter?: ContainerFilter, signal?: AbortSignal): Promise<Container[]>;
  containerStatus(containerId: string, signal?: AbortSignal): Promise<ContainerStatus>;
  /** Makes the runtime write a container's log to a new file at its log path (after the old one was renamed). */
  reopenContainerLog(containerId: string, signal?: AbortSignal): Promise<void>;

  /** Runs a command in a running container to completion (exec probes, hooks). */
  execSync(containerId: string, cmd: string[], timeoutSeconds: number, signal?: AbortSignal): Promise<ExecSyncResult>;
  /** URLs on the runtime's streaming server, each good for one session (CRI's Exec, Attach, PortForward). */
  exec(request: ExecRequest, signal?: AbortSignal): Promise<string>;
  attach(request: AttachRequest, signal?: AbortSignal): Promise<string>;
  portForward(podSandboxId: string, ports: number[], signal?: AbortSignal): Promise<string>;

  pullImage(image: ImageSpec, auth?: AuthConfig, signal?: AbortSignal): Promise<string>;
  imageStatus(image: ImageSpec, signal?: AbortSignal): Promise<Image | undefined>;
  listImages(signal?: AbortSignal): Promise<Image[]>;
  removeImage(image: ImageSpec, signal?: AbortSignal): Promise<void>;
  /** Where the runtime keeps images (the mount point of its image filesystem), if it says. */
  imageFilesystem(signal?: AbortSignal): Promise<string | undefined>;

  close(): Promise<void>;
}

/** gRPC-style status codes the runtime reports (NotFound for unknown ids, FailedPrecondition for wrong states …). */
export type RuntimeErrorCode = 'NotFound' | 'FailedPrecondition' | 'InvalidArgument' | 'Unavailable' | 'Unknown';

export class RuntimeError extends Error {
  override name = 'RuntimeError';
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A runtime asked for by name that this build cannot run yet. */
export class RuntimeNotAvailableError extends Error {
  override name = 'RuntimeNotAvailableError';
}
