// A CRI v1 client (runtime.v1.RuntimeService and runtime.v1.ImageService) over gRPC on a unix socket, as the kubelet
// talks to containerd. Each call takes an AbortSignal and a deadline; failures reject with CriError.
import * as grpc from '@grpc/grpc-js';
import { decodeMessage, encodeMessage } from './codec.ts';
import { CriError } from './errors.ts';
import { CRI_SERVICES, type CriServiceName } from './schema.ts';
import type {
  AuthConfig,
  Container,
  ContainerConfig,
  ContainerFilter,
  ContainerStatusResponse,
  Image,
  ImageFsInfoResponse,
  ImageSpec,
  ImageStatusResponse,
  PodSandbox,
  PodSandboxFilter,
  PodSandboxStatusResponse,
  StatusResponse,
  VersionResponse,
  WirePodSandboxConfig,
} from './types.ts';

export interface CriClientOptions {
  /** unix:///path/to/socket, or an absolute socket path. */
  endpoint: string;
  /** Deadline of every call but PullImage (kubelet's --runtime-request-timeout is 2 min). */
  timeoutMs?: number;
  /** Deadline of PullImage (default none). */
  pullTimeoutMs?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export function criTarget(endpoint: string): string {
  if (endpoint.startsWith('unix://')) return `unix://${endpoint.slice('unix://'.length)}`;
  if (endpoint.startsWith('/')) return `unix://${endpoint}`;
  throw new TypeError(`CRI endpoint ${JSON.stringify(endpoint)} is not a unix socket (unix:///path or /path)`);
}

export class CriClient {
  readonly #client: grpc.Client;
  readonly #timeoutMs: number;
  readonly #pullTimeoutMs: number | undefined;

  constructor(readonly options: CriClientOptions) {
    this.#client = new grpc.Client(criTarget(options.endpoint), grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
      'grpc.max_send_message_length': 16 * 1024 * 1024,
      // The runtime may restart under us: reconnect quickly instead of gRPC's default backoff of up to 2 minutes.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
    });
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    this.#pullTimeoutMs = options.pullTimeoutMs;
  }

  // RuntimeService

  version(opts?: CallOptions): Promise<VersionResponse> {
    return this.#call('RuntimeService', 'Version', { version: 'v1' }, opts);
  }

  status(verbose = false, opts?: CallOptions): Promise<StatusResponse> {
    return this.#call('RuntimeService', 'Status', { verbose }, opts);
  }

  async runPodSandbox(config: WirePodSandboxConfig, runtimeHandler = '', opts?: CallOptions): Promise<string> {
    const res = await this.#call<{ podSandboxId: string }>('RuntimeService', 'RunPodSandbox', { config, runtimeHandler }, opts);
    return res.podSandboxId;
  }

  async stopPodSandbox(podSandboxId: string, opts?: CallOptions): Promise<void> {
    await this.#call('RuntimeService', 'StopPodSandbox', { podSandboxId }, opts);
  }

  async removePodSandbox(podSandboxId: string, opts?: CallOptions): Promise<void> {
    await this.#call('RuntimeService', 'RemovePodSandbox', { podSandboxId }, opts);
  }

  podSandboxStatus(podSandboxId: string, verbose = false, opts?: CallOptions): Promise<PodSandboxStatusResponse> {
    return this.#call('RuntimeService', 'PodSandboxStatus', { podSandboxId, verbose }, opts);
  }

  async listPodSandbox(filter?: PodSandboxFilter, opts?: CallOptions): Promise<PodSandbox[]> {
    const res = await this.#call<{ items: PodSandbox[] }>('RuntimeService', 'ListPodSandbox', { filter }, opts);
    return res.items;
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: WirePodSandboxConfig, opts?: CallOptions): Promise<string> {
    const res = await this.#call<{ containerId: string }>('RuntimeService', 'CreateContainer', { podSandboxId, config, sandboxConfig }, opts);
    return res.containerId;
  }

  async startContainer(containerId: string, opts?: CallOptions): Promise<void> {
    await this.#call('RuntimeService', 'StartContainer', { containerId }, opts);
  }

  /** The runtime waits up to `timeoutSeconds` after SIGTERM, so the call's deadline is stretched by as much. */
  async stopContainer(containerId: string, timeoutSeconds: number, opts?: CallOptions): Promise<void> {
    const timeoutMs = (opts?.timeoutMs ?? this.#timeoutMs) + Math.max(0, timeoutSeconds) * 1000;
    await this.#call('RuntimeService', 'StopContainer', { containerId, timeout: BigInt(timeoutSeconds) }, { ...opts, timeoutMs });
  }

  async removeContainer(containerId: string, opts?: CallOptions): Promise<void> {
    await this.#call('RuntimeService', 'RemoveContainer', { containerId }, opts);
  }

  async listContainers(filter?: ContainerFilter, opts?: CallOptions): Promise<Container[]> {
    const res = await this.#call<{ containers: Container[] }>('RuntimeService', 'ListContainers', { filter }, opts);
    return res.containers;
  }

  containerStatus(containerId: string, verbose = false, opts?: CallOptions): Promise<ContainerStatusResponse> {
    return this.#call('RuntimeService', 'ContainerStatus', { containerId, verbose }, opts);
  }

  /** Runs `cmd` in the container and waits for it; the deadline is stretched by the command's own timeout. */
  async execSync(containerId: string, cmd: string[], timeoutSeconds: number, opts?: CallOptions): Promise<{ stdout: Uint8Array; stderr: Uint8Array; exitCode: number }> {
    const timeoutMs = (opts?.timeoutMs ?? this.#timeoutMs) + Math.max(0, timeoutSeconds) * 1000;
    return this.#call('RuntimeService', 'ExecSync', { containerId, cmd, timeout: BigInt(timeoutSeconds) }, { ...opts, timeoutMs });
  }

  /** A URL on the runtime's streaming server that serves this exec once. */
  async exec(request: { containerId: string; cmd: string[]; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }, opts?: CallOptions): Promise<string> {
    const res = await this.#call<{ url: string }>('RuntimeService', 'Exec', request, opts);
    return res.url;
  }

  async attach(request: { containerId: string; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }, opts?: CallOptions): Promise<string> {
    const res = await this.#call<{ url: string }>('RuntimeService', 'Attach', request, opts);
    return res.url;
  }

  async portForward(podSandboxId: string, ports: number[], opts?: CallOptions): Promise<string> {
    const res = await this.#call<{ url: string }>('RuntimeService', 'PortForward', { podSandboxId, port: ports }, opts);
    return res.url;
  }

  async reopenContainerLog(containerId: string, opts?: CallOptions): Promise<void> {
    await this.#call('RuntimeService', 'ReopenContainerLog', { containerId }, opts);
  }

  // ImageService

  async listImages(filter?: ImageSpec, opts?: CallOptions): Promise<Image[]> {
    const res = await this.#call<{ images: Image[] }>('ImageService', 'ListImages', { filter: filter ? { image: filter } : undefined }, opts);
    return res.images;
  }

  imageStatus(image: ImageSpec, verbose = false, opts?: CallOptions): Promise<ImageStatusResponse> {
    return this.#call('ImageService', 'ImageStatus', { image, verbose }, opts);
  }

  /** Returns the image reference (its id) the runtime pulled. */
  async pullImage(image: ImageSpec, auth?: AuthConfig, sandboxConfig?: WirePodSandboxConfig, opts?: CallOptions): Promise<string> {
    const timeoutMs = opts?.timeoutMs ?? this.#pullTimeoutMs;
    const res = await this.#call<{ imageRef: string }>('ImageService', 'PullImage', { image, auth, sandboxConfig }, {
      ...opts,
      timeoutMs: timeoutMs ?? 0,
    });
    return res.imageRef;
  }

  async removeImage(image: ImageSpec, opts?: CallOptions): Promise<void> {
    await this.#call('ImageService', 'RemoveImage', { image }, opts);
  }

  imageFsInfo(opts?: CallOptions): Promise<ImageFsInfoResponse> {
    return this.#call('ImageService', 'ImageFsInfo', {}, opts);
  }

  close(): void {
    this.#client.close();
  }

  /** timeoutMs 0: no deadline. */
  #call<T>(service: CriServiceName, method: string, request: object, opts: CallOptions = {}): Promise<T> {
    const types = (CRI_SERVICES[service] as Record<string, readonly [string, string]>)[method];
    if (!types) throw new TypeError(`no CRI method ${service}.${method}`);
    const [requestType, responseType] = types;
    const path = `/runtime.v1.${service}/${method}`;
    const signal = opts.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const timeoutMs = opts.timeoutMs ?? this.#timeoutMs;
    const callOptions: grpc.CallOptions = timeoutMs > 0 ? { deadline: Date.now() + timeoutMs } : {};
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => call.cancel();
      const call = this.#client.makeUnaryRequest<object, T>(
        path,
        (value) => encodeMessage(requestType, value),
        (bytes) => decodeMessage<T>(responseType, bytes),
        request,
        new grpc.Metadata(),
        callOptions,
        (err, value) => {
          signal?.removeEventListener('abort', onAbort);
          if (signal?.aborted) reject(signal.reason);
          else if (err) reject(new CriError(method, err.code, err.details || err.message, { cause: err }));
          else resolve(value!);
        },
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
