// A ContainerRuntime that keeps sandboxes, containers and images in memory: nothing runs, but every CRI call behaves
// as containerd's would (ids, states, idempotent stop/remove, NotFound for unknown ids). The node agent's pod workers
// can run on it where there is no containerd; the simulated node fleet (simulated.ts) does not need it.
import { createHash, randomBytes } from 'node:crypto';
import {
  RuntimeError,
  type AttachRequest,
  type AuthConfig,
  type Container,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerRuntime,
  type ContainerStatus,
  type ExecRequest,
  type ExecSyncResult,
  type Image,
  type ImageSpec,
  type PodSandbox,
  type PodSandboxConfig,
  type PodSandboxFilter,
  type PodSandboxStatus,
  type RuntimeCondition,
  type RuntimeVersion,
} from './runtime.ts';

export interface SimulatedContainerBehaviour {
  /** The container exits by itself this long after it starts (default: it runs until stopped). */
  exitAfterMs?: number;
  exitCode?: number;
}

export interface SimulatedRuntimeOptions {
  version?: string;
  /** The sandbox's pod IP(s); default none (host network). */
  allocateIPs?: (config: PodSandboxConfig) => string[];
  releaseIPs?: (config: PodSandboxConfig) => void;
  /** How each container behaves once started. */
  behaviour?: (config: ContainerConfig) => SimulatedContainerBehaviour;
  /** Images that cannot be pulled (as if the registry were out of reach). */
  unpullable?: (image: string) => boolean;
  now?: () => bigint;
}

interface SandboxRecord extends PodSandboxStatus {
  config: PodSandboxConfig;
}

interface ContainerRecord extends ContainerStatus {
  podSandboxId: string;
  config: ContainerConfig;
  exitTimer?: NodeJS.Timeout;
}

const newId = () => randomBytes(32).toString('hex');
const digestOf = (image: string) => `sha256:${createHash('sha256').update(image).digest('hex')}`;

function matchesLabels(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

export class SimulatedRuntime implements ContainerRuntime {
  readonly name = 'simulated' as const;
  readonly #sandboxes = new Map<string, SandboxRecord>();
  readonly #containers = new Map<string, ContainerRecord>();
  readonly #images = new Map<string, Image>();
  readonly #now: () => bigint;

  constructor(readonly options: SimulatedRuntimeOptions = {}) {
    this.#now = options.now ?? (() => BigInt(Date.now()) * 1_000_000n);
  }

  async version(): Promise<RuntimeVersion> {
    const v = this.options.version ?? '0.0.0';
    return { version: '0.1.0', runtimeName: 'simulated', runtimeVersion: v, runtimeApiVersion: 'v1' };
  }

  async status(): Promise<RuntimeCondition[]> {
    return [
      { type: 'RuntimeReady', status: true },
      { type: 'NetworkReady', status: true },
    ];
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const id = newId();
    const ips = this.options.allocateIPs?.(config) ?? [];
    const record: SandboxRecord = {
      id,
      metadata: { ...config.metadata },
      state: 'SANDBOX_READY',
      createdAt: this.#now(),
      labels: { ...config.labels },
      annotations: { ...config.annotations },
      config,
    };
    if (ips.length) record.network = { ip: ips[0]!, additionalIps: ips.slice(1) };
    this.#sandboxes.set(id, record);
    return id;
  }

  async stopPodSandbox(podSandboxId: string): Promise<void> {
    const sandbox = this.#sandbox(podSandboxId);
    for (const c of this.#containers.values()) if (c.podSandboxId === podSandboxId) this.#exit(c, 137, 'Error');
    if (sandbox.state === 'SANDBOX_READY') this.options.releaseIPs?.(sandbox.config);
    sandbox.state = 'SANDBOX_NOTREADY';
  }

  async removePodSandbox(podSandboxId: string): Promise<void> {
    const sandbox = this.#sandboxes.get(podSandboxId);
    if (!sandbox) return;
    for (const c of [...this.#containers.values()]) {
      if (c.podSandboxId !== podSandboxId) continue;
      clearTimeout(c.exitTimer);
      this.#containers.delete(c.id);
    }
    if (sandbox.state === 'SANDBOX_READY') this.options.releaseIPs?.(sandbox.config);
    this.#sandboxes.delete(podSandboxId);
  }

  async podSandboxStatus(podSandboxId: string): Promise<PodSandboxStatus> {
    const { config: _c, ...status } = this.#sandbox(podSandboxId);
    return structuredClone(status);
  }

  async listPodSandbox(filter: PodSandboxFilter = {}): Promise<PodSandbox[]> {
    const out: PodSandbox[] = [];
    for (const s of this.#sandboxes.values()) {
      if (filter.id && s.id !== filter.id) continue;
      if (filter.state && s.state !== filter.state) continue;
      if (!matchesLabels(s.labels, filter.labelSelector)) continue;
      out.push({ id: s.id, metadata: { ...s.metadata }, state: s.state, createdAt: s.createdAt, labels: { ...s.labels }, annotations: { ...s.annotations } });
    }
    return out;
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, _sandboxConfig?: PodSandboxConfig): Promise<string> {
    const sandbox = this.#sandbox(podSandboxId);
    if (sandbox.state !== 'SANDBOX_READY') throw new RuntimeError('FailedPrecondition', `sandbox ${podSandboxId} is not ready`);
    const image = this.#images.get(config.image.image);
    if (!image) throw new RuntimeError('NotFound', `failed to get image "${config.image.image}": not found`);
    const id = newId();
    this.#containers.set(id, {
      id,
      podSandboxId,
      metadata: { ...config.metadata },
      image: { ...config.image },
      imageRef: image.id,
      state: 'CONTAINER_CREATED',
      createdAt: this.#now(),
      startedAt: 0n,
      finishedAt: 0n,
      exitCode: 0,
      reason: '',
      message: '',
      logPath: config.logPath ?? '',
      labels: { ...config.labels },
      annotations: { ...config.annotations },
      config,
    });
    return id;
  }

  async startContainer(containerId: string): Promise<void> {
    const c = this.#container(containerId);
    if (c.state !== 'CONTAINER_CREATED') throw new RuntimeError('FailedPrecondition', `container ${containerId} is in state ${c.state}, not CONTAINER_CREATED`);
    c.state = 'CONTAINER_RUNNING';
    c.startedAt = this.#now();
    const behaviour = this.options.behaviour?.(c.config) ?? {};
    if (behaviour.exitAfterMs !== undefined) {
      const code = behaviour.exitCode ?? 0;
      c.exitTimer = setTimeout(() => this.#exit(c, code, code === 0 ? 'Completed' : 'Error'), behaviour.exitAfterMs);
    }
  }

  async stopContainer(containerId: string, timeoutSeconds: number): Promise<void> {
    const c = this.#container(containerId);
    // A container that honours SIGTERM exits 0; one that must be killed exits 137.
    if (c.state === 'CONTAINER_RUNNING') this.#exit(c, timeoutSeconds > 0 ? 0 : 137, timeoutSeconds > 0 ? 'Completed' : 'Error');
    else if (c.state === 'CONTAINER_CREATED') this.#exit(c, 0, '');
  }

  async removeContainer(containerId: string): Promise<void> {
    const c = this.#containers.get(containerId);
    if (!c) return;
    clearTimeout(c.exitTimer);
    this.#containers.delete(containerId);
  }

  async listContainers(filter: ContainerFilter = {}): Promise<Container[]> {
    const out: Container[] = [];
    for (const c of this.#containers.values()) {
      if (filter.id && c.id !== filter.id) continue;
      if (filter.podSandboxId && c.podSandboxId !== filter.podSandboxId) continue;
      if (filter.state && c.state !== filter.state) continue;
      if (!matchesLabels(c.labels, filter.labelSelector)) continue;
      out.push({
        id: c.id,
        podSandboxId: c.podSandboxId,
        metadata: { ...c.metadata },
        image: { ...c.image },
        imageRef: c.imageRef,
        state: c.state,
        createdAt: c.createdAt,
        labels: { ...c.labels },
        annotations: { ...c.annotations },
      });
    }
    return out;
  }

  /** Simulated images take no disk. */
  async imageFilesystem(): Promise<string | undefined> {
    return undefined;
  }

  /** Simulated containers write no log files. */
  async reopenContainerLog(): Promise<void> {}

  async containerStatus(containerId: string): Promise<ContainerStatus> {
    const { podSandboxId: _p, config, exitTimer: _t, ...status } = this.#container(containerId);
    return structuredClone({ ...status, mounts: config.mounts ?? [] });
  }

  /** Simulated containers run nothing: every command "succeeds" with no output (as kwok's exec-less pods do for probes). */
  async execSync(containerId: string, _cmd: string[], _timeoutSeconds: number): Promise<ExecSyncResult> {
    const c = this.#container(containerId);
    if (c.state !== 'CONTAINER_RUNNING') throw new RuntimeError('FailedPrecondition', `container ${containerId} is not running`);
    return { stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 0 };
  }

  async exec(request: ExecRequest): Promise<string> {
    this.#container(request.containerId);
    throw new RuntimeError('Unknown', 'the simulated runtime has no streaming server: exec needs --runtime cri');
  }

  async attach(request: AttachRequest): Promise<string> {
    this.#container(request.containerId);
    throw new RuntimeError('Unknown', 'the simulated runtime has no streaming server: attach needs --runtime cri');
  }

  async portForward(podSandboxId: string): Promise<string> {
    this.#sandbox(podSandboxId);
    throw new RuntimeError('Unknown', 'the simulated runtime has no streaming server: port-forward needs --runtime cri');
  }

  async pullImage(image: ImageSpec, _auth?: AuthConfig): Promise<string> {
    if (this.options.unpullable?.(image.image)) {
      throw new RuntimeError('Unavailable', `failed to pull and unpack image "${image.image}": failed to resolve reference "${image.image}"`);
    }
    const existing = this.#images.get(image.image);
    if (existing) return existing.id;
    const id = digestOf(image.image);
    this.#images.set(image.image, { id, repoTags: [image.image], repoDigests: [], size: 0n });
    return id;
  }

  async imageStatus(image: ImageSpec): Promise<Image | undefined> {
    const found = this.#images.get(image.image) ?? [...this.#images.values()].find((i) => i.id === image.image);
    return found ? structuredClone(found) : undefined;
  }

  async listImages(): Promise<Image[]> {
    return [...this.#images.values()].map((i) => structuredClone(i));
  }

  async removeImage(image: ImageSpec): Promise<void> {
    this.#images.delete(image.image);
  }

  async close(): Promise<void> {
    for (const c of this.#containers.values()) clearTimeout(c.exitTimer);
  }

  #sandbox(id: string): SandboxRecord {
    const s = this.#sandboxes.get(id);
    if (!s) throw new RuntimeError('NotFound', `an error occurred when try to find sandbox: not found: ${id}`);
    return s;
  }

  #container(id: string): ContainerRecord {
    const c = this.#containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `an error occurred when try to find container "${id}": not found`);
    return c;
  }

  #exit(c: ContainerRecord, exitCode: number, reason: string): void {
    if (c.state === 'CONTAINER_EXITED') return;
    clearTimeout(c.exitTimer);
    delete c.exitTimer;
    c.state = 'CONTAINER_EXITED';
    c.finishedAt = this.#now();
    c.exitCode = exitCode;
    c.reason = reason;
  }
}
