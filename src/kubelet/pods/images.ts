// Images for containers, as kubelet's image manager gets them (pkg/kubelet/images): the default tag, the pull policy,
// credentials from the pod's imagePullSecrets, backoff after failed pulls, and the events kubelet records.
import type { Container, Pod, Secret } from 'kubernetes-types/core/v1.d.ts';
import type { AuthConfig, ContainerRuntime } from '../runtime.ts';
import { Backoff } from './backoff.ts';
import { goDuration } from './format.ts';
import type { ImageUser } from './container-config.ts';

export type ImageErrorReason = 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull' | 'InvalidImageName' | 'ImageInspectError';

/** The image could not be had; `reason` becomes the container's waiting reason, the message its waiting message. */
export class ImagePullError extends Error {
  override name = 'ImagePullError';
  constructor(
    readonly reason: ImageErrorReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export type RecordEvent = (type: 'Normal' | 'Warning', reason: string, message: string) => void;

const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST_RE = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/;
const TAG_RE = /^\w[\w.-]{0,127}$/;
const DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

export interface ImageReference {
  /** Registry host as credentials are keyed: docker.io for Docker Hub. */
  registry: string;
  /** Repository path, library/ added for Docker Hub's official images. */
  path: string;
  tag: string;
  digest: string;
}

/** Parses an image reference the way docker's reference.ParseNormalizedNamed does; undefined when invalid. */
export function parseImageReference(image: string): ImageReference | undefined {
  const at = image.indexOf('@');
  let name = at >= 0 ? image.slice(0, at) : image;
  const digest = at >= 0 ? image.slice(at + 1) : '';
  let tag = '';
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!TAG_RE.test(tag)) return undefined;
  }
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const hasHost = slash >= 0 && (/[.:]/.test(first) || first === 'localhost');
  const host = hasHost ? first : 'docker.io';
  let path = hasHost ? name.slice(slash + 1) : name;
  if (!HOST_RE.test(host) || !path || !path.split('/').every((c) => PATH_COMPONENT_RE.test(c))) return undefined;
  if (at >= 0 && !DIGEST_RE.test(digest)) return undefined;
  const registry = normalizeRegistry(host);
  if (registry === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  return { registry, path, tag, digest };
}

function normalizeRegistry(host: string): string {
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

/** applyDefaultImageTag: `:latest` when the image has neither tag nor digest. */
export function applyDefaultTag(image: string): string {
  const ref = parseImageReference(image);
  if (!ref) throw new ImagePullError('InvalidImageName', `Failed to apply default image tag "${image}": couldn't parse image name "${image}": invalid reference format`);
  return ref.tag || ref.digest ? image : `${image}:latest`;
}

/** The pull policy of a container, defaulted from its tag when the API server has not. */
export function pullPolicy(container: Container): 'Always' | 'IfNotPresent' | 'Never' {
  const given = container.imagePullPolicy;
  if (given === 'Always' || given === 'IfNotPresent' || given === 'Never') return given;
  const ref = parseImageReference(container.image ?? '');
  return !ref || (!ref.digest && (ref.tag === '' || ref.tag === 'latest')) ? 'Always' : 'IfNotPresent';
}

interface DockerAuthEntry {
  username?: string;
  password?: string;
  auth?: string;
  email?: string;
  identitytoken?: string;
  registrytoken?: string;
}

function keyMatches(key: string, ref: ImageReference): boolean {
  let k = key.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
  if (k === 'index.docker.io/v1' || k === 'index.docker.io/v2') k = 'index.docker.io';
  const slash = k.indexOf('/');
  const host = normalizeRegistry(slash < 0 ? k : k.slice(0, slash));
  const keyPath = slash < 0 ? '' : k.slice(slash + 1);
  const hostParts = host.split('.');
  const refParts = ref.registry.split('.');
  if (hostParts.length !== refParts.length) return false;
  for (let i = 0; i < hostParts.length; i++) {
    const pattern = new RegExp(`^${hostParts[i]!.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    if (!pattern.test(refParts[i]!)) return false;
  }
  return !keyPath || ref.path === keyPath || ref.path.startsWith(`${keyPath}/`);
}

function authFrom(key: string, entry: DockerAuthEntry): AuthConfig {
  let { username, password } = entry;
  if (!username && entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) {
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
  }
  const auth: AuthConfig = { serverAddress: key };
  if (username) auth.username = username;
  if (password) auth.password = password;
  if (entry.identitytoken) auth.identityToken = entry.identitytoken;
  if (entry.registrytoken) auth.registryToken = entry.registrytoken;
  return auth;
}

/** The docker credentials of `secrets` (kubernetes.io/dockerconfigjson or dockercfg) that apply to `image`, in order. */
export function credentialsFor(image: string, secrets: readonly Secret[]): AuthConfig[] {
  const ref = parseImageReference(image);
  if (!ref) return [];
  const out: AuthConfig[] = [];
  for (const secret of secrets) {
    let entries: Record<string, DockerAuthEntry> = {};
    try {
      if (secret.type === 'kubernetes.io/dockerconfigjson' && secret.data?.['.dockerconfigjson']) {
        const parsed = JSON.parse(Buffer.from(secret.data['.dockerconfigjson'], 'base64').toString('utf8')) as { auths?: Record<string, DockerAuthEntry> };
        entries = parsed.auths ?? {};
      } else if (secret.type === 'kubernetes.io/dockercfg' && secret.data?.['.dockercfg']) {
        entries = JSON.parse(Buffer.from(secret.data['.dockercfg'], 'base64').toString('utf8')) as Record<string, DockerAuthEntry>;
      }
    } catch {
      continue;
    }
    for (const [key, entry] of Object.entries(entries)) if (keyMatches(key, ref)) out.push(authFrom(key, entry));
  }
  return out;
}

/** The message of a runtime failure without the transport's prefix (gRPC's status message, as kubelet shows it). */
function runtimeMessage(err: unknown): string {
  const details = (err as { details?: unknown }).details;
  if (typeof details === 'string' && details) return details;
  return err instanceof Error ? err.message : String(err);
}

const UNREACHABLE_RE =
  /failed to resolve reference|failed to do request|dial tcp|no such host|network is unreachable|connection refused|i\/o timeout|TLS handshake timeout|context deadline exceeded|server misbehaving|temporary failure in name resolution/i;

/** How to get an image onto a node that cannot reach its registry. */
export function offlineHint(image: string): string {
  return `The image "${image}" is not on this node and its registry cannot be reached: provide it offline with \`skiff image import FILE\` (an OCI layout or docker-archive tar) or build it with \`skiff image build\`.`;
}

export interface EnsuredImage {
  /** The reference to create the container from. */
  image: string;
  imageRef: string;
  user: ImageUser;
}

export interface ImageManagerOptions {
  runtime: ContainerRuntime;
  backoff?: Backoff;
  now?: () => number;
}

interface PullResult {
  imageRef: string;
  pullMs: number;
}

export class ImageManager {
  readonly #runtime: ContainerRuntime;
  readonly #backoff: Backoff;
  readonly #now: () => number;
  readonly #lastError = new Map<string, string>();
  /** Pulls under way, shared by every container that asks for the same image meanwhile. */
  readonly #pulls = new Map<string, Promise<PullResult>>();

  constructor(options: ImageManagerOptions) {
    this.#runtime = options.runtime;
    this.#now = options.now ?? Date.now;
    this.#backoff = options.backoff ?? new Backoff(undefined, undefined, this.#now);
  }

  /** EnsureImageExists: the image is present (pulled if the policy says so), or an ImagePullError says why not. */
  async ensureImageExists(pod: Pod, container: Container, auths: readonly AuthConfig[], record: RecordEvent, signal?: AbortSignal): Promise<EnsuredImage> {
    const spec = container.image ?? '';
    let image: string;
    try {
      image = applyDefaultTag(spec);
    } catch (err) {
      record('Warning', 'InspectFailed', (err as Error).message);
      throw err;
    }
    let present;
    try {
      present = await this.#runtime.imageStatus({ image }, signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      const message = `Failed to inspect image "${spec}": ${runtimeMessage(err)}`;
      record('Warning', 'InspectFailed', message);
      throw new ImagePullError('ImageInspectError', message, { cause: err });
    }
    const policy = pullPolicy(container);
    if (policy === 'Never' || (policy === 'IfNotPresent' && present)) {
      if (present) {
        record('Normal', 'Pulled', `Container image "${spec}" already present on machine`);
        return { image, imageRef: present.id, user: userOf(present) };
      }
      const message = `Container image "${spec}" is not present with pull policy of Never`;
      record('Warning', 'ErrImageNeverPull', message);
      throw new ImagePullError('ErrImageNeverPull', message);
    }

    const backoffKey = `${pod.metadata?.uid ?? ''}_${spec}`;
    if (this.#backoff.isInBackOffSinceUpdate(backoffKey)) {
      const message = `Back-off pulling image "${spec}"`;
      record('Normal', 'BackOff', message);
      const last = this.#lastError.get(backoffKey);
      throw new ImagePullError('ImagePullBackOff', last ? `${message}: ErrImagePull: ${last}` : message);
    }
    record('Normal', 'Pulling', `Pulling image "${spec}"`);
    const started = this.#now();
    let result: PullResult;
    try {
      result = await this.#pull(image, auths, signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      const detail = runtimeMessage(err);
      const unreachable = UNREACHABLE_RE.test(detail) && !present;
      record('Warning', 'Failed', `Failed to pull image "${spec}": ${detail}${unreachable ? ` ${offlineHint(spec)}` : ''}`);
      this.#backoff.next(backoffKey, this.#now());
      this.#lastError.set(backoffKey, detail);
      throw new ImagePullError('ErrImagePull', detail, { cause: err });
    }
    this.#lastError.delete(backoffKey);
    const status = await this.#runtime.imageStatus({ image }, signal).catch(() => undefined);
    const total = this.#now() - started;
    record(
      'Normal',
      'Pulled',
      `Successfully pulled image "${spec}" in ${goDuration(result.pullMs)} (${goDuration(total)} including waiting). Image size: ${status?.size ?? 0n} bytes.`,
    );
    this.#backoff.gc();
    return { image, imageRef: status?.id ?? result.imageRef, user: status ? userOf(status) : {} };
  }

  /** When the pull backoff of the pod's image ends (undefined: none). */
  backoffEndsAt(uid: string, image: string): number | undefined {
    const key = `${uid}_${image}`;
    const ms = this.#backoff.get(key);
    const last = this.#backoff.lastUpdate(key);
    return ms && last !== undefined ? last + ms : undefined;
  }

  /** Forgets the pull backoffs of a pod that is gone. */
  forgetPod(uid: string): void {
    this.#backoff.forgetPrefix(`${uid}_`);
    for (const key of this.#lastError.keys()) if (key.startsWith(`${uid}_`)) this.#lastError.delete(key);
  }

  /** One pull per image at a time; a caller that gives up (its signal aborts) leaves the pull to the others. */
  #pull(image: string, auths: readonly AuthConfig[], signal: AbortSignal | undefined): Promise<PullResult> {
    const key = `${image}\x00${JSON.stringify(auths)}`;
    let pull = this.#pulls.get(key);
    if (!pull) {
      pull = this.#pullWithCredentials(image, auths).finally(() => this.#pulls.delete(key));
      // Nobody may be waiting any more when it fails.
      pull.catch(() => {});
      this.#pulls.set(key, pull);
    }
    return untilAborted(pull, signal);
  }

  async #pullWithCredentials(image: string, auths: readonly AuthConfig[]): Promise<PullResult> {
    const started = this.#now();
    if (auths.length === 0) return { imageRef: await this.#runtime.pullImage({ image }), pullMs: this.#now() - started };
    let lastError: unknown;
    for (const auth of auths) {
      try {
        return { imageRef: await this.#runtime.pullImage({ image }, auth), pullMs: this.#now() - started };
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function userOf(image: { uid?: bigint; username?: string }): ImageUser {
  const user: ImageUser = {};
  if (image.uid !== undefined) user.uid = image.uid;
  if (image.username) user.username = image.username;
  return user;
}
