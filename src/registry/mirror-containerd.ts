// The registry mirror's images, straight from a node's containerd: names through containerd's Images gRPC service
// (in the CRI plugin's namespace, k8s.io), bytes from its content store on disk, where every committed blob is a
// file named by its digest: <root>/io.containerd.content.v1.content/blobs/<algorithm>/<hex>.
import * as grpc from '@grpc/grpc-js';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import protobuf from 'protobufjs';
import { criTarget } from '../kubelet/cri/client.ts';
import { SUPPORTED_DIGEST, type BlobHandle, type ImageRecord, type ImageSource } from './mirror.ts';

export const CONTENT_STORE_DIR = 'io.containerd.content.v1.content';
/** The namespace the CRI plugin keeps its images in. */
export const CRI_NAMESPACE = 'k8s.io';

export interface ContainerdImageSourceOptions {
  /** containerd's socket: unix:///path or /path. */
  endpoint: string;
  /** containerd's root directory (its config's `root`). */
  root: string;
  namespace?: string;
  /** Deadline of one call to containerd (default 5 s). */
  timeoutMs?: number;
}

export class ContainerdImagesError extends Error {
  override name = 'ContainerdImagesError';
  constructor(
    message: string,
    /** The gRPC status code containerd answered with. */
    readonly grpcCode: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

// containerd.services.images.v1 and containerd.types.Descriptor: only the fields the mirror reads.
const IMAGES_SCHEMA = {
  nested: {
    Descriptor: {
      fields: {
        mediaType: { id: 1, type: 'string' },
        digest: { id: 2, type: 'string' },
        size: { id: 3, type: 'int64' },
      },
    },
    Image: { fields: { name: { id: 1, type: 'string' }, target: { id: 3, type: 'Descriptor' } } },
    GetImageRequest: { fields: { name: { id: 1, type: 'string' } } },
    GetImageResponse: { fields: { image: { id: 1, type: 'Image' } } },
    ListImagesRequest: { fields: { filters: { id: 1, rule: 'repeated', type: 'string' } } },
    ListImagesResponse: { fields: { images: { id: 1, rule: 'repeated', type: 'Image' } } },
  },
};

let schema: protobuf.Root | undefined;
function messageType(name: string): protobuf.Type {
  schema ??= protobuf.Root.fromJSON(IMAGES_SCHEMA);
  return schema.lookupType(name);
}

interface WireImage {
  name?: string;
  target?: { mediaType?: string; digest?: string; size?: number };
}

function toRecord(image: WireImage | undefined): ImageRecord | undefined {
  const t = image?.target;
  if (!image?.name || !t?.digest || !t.mediaType) return undefined;
  return { name: image.name, target: { mediaType: t.mediaType, digest: t.digest, size: t.size ?? 0 } };
}

export class ContainerdImageSource implements ImageSource {
  readonly #client: grpc.Client;
  readonly #contentDir: string;
  readonly #namespace: string;
  readonly #timeoutMs: number;

  constructor(options: ContainerdImageSourceOptions) {
    this.#client = new grpc.Client(criTarget(options.endpoint), grpc.credentials.createInsecure(), {
      // containerd may be restarted by its supervisor: reconnect quickly.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
    });
    this.#contentDir = path.join(options.root, CONTENT_STORE_DIR);
    this.#namespace = options.namespace ?? CRI_NAMESPACE;
    this.#timeoutMs = options.timeoutMs ?? 5000;
  }

  async image(name: string, signal?: AbortSignal): Promise<ImageRecord | undefined> {
    try {
      const res = await this.#call<{ image?: WireImage }>('Get', 'GetImageRequest', 'GetImageResponse', { name }, signal);
      return toRecord(res.image);
    } catch (err) {
      if (err instanceof ContainerdImagesError && err.grpcCode === grpc.status.NOT_FOUND) return undefined;
      throw err;
    }
  }

  async images(repository: string, signal?: AbortSignal): Promise<ImageRecord[]> {
    // A node holds tens of images: listing them all is cheaper than building one of containerd's regexp filters.
    const res = await this.#call<{ images?: WireImage[] }>('List', 'ListImagesRequest', 'ListImagesResponse', {}, signal);
    const out: ImageRecord[] = [];
    for (const wire of res.images ?? []) {
      const record = toRecord(wire);
      if (!record) continue;
      const rest = record.name.slice(repository.length);
      if (record.name.startsWith(repository) && (rest.startsWith(':') || rest.startsWith('@'))) out.push(record);
    }
    return out;
  }

  async blob(digest: string, _signal?: AbortSignal): Promise<BlobHandle | undefined> {
    if (!SUPPORTED_DIGEST.test(digest)) return undefined;
    const [algorithm, hex] = digest.split(':') as [string, string];
    const file = path.join(this.#contentDir, 'blobs', algorithm, hex);
    let size: number;
    try {
      const info = await stat(file);
      if (!info.isFile()) return undefined;
      size = info.size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return { size, read: (range) => createReadStream(file, range ?? {}) };
  }

  close(): void {
    this.#client.close();
  }

  #call<T>(method: string, requestType: string, responseType: string, request: object, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const req = messageType(requestType);
    const res = messageType(responseType);
    const metadata = new grpc.Metadata();
    metadata.set('containerd-namespace', this.#namespace);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => call.cancel();
      const call = this.#client.makeUnaryRequest<object, T>(
        `/containerd.services.images.v1.Images/${method}`,
        (value) => Buffer.from(req.encode(req.fromObject(value)).finish()),
        (bytes) => res.toObject(res.decode(bytes), { longs: Number }) as T,
        request,
        metadata,
        { deadline: Date.now() + this.#timeoutMs },
        (err, value) => {
          signal?.removeEventListener('abort', onAbort);
          if (signal?.aborted) reject(signal.reason);
          else if (err) reject(new ContainerdImagesError(`containerd Images.${method}: ${err.details || err.message}`, err.code, { cause: err }));
          else resolve(value!);
        },
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
