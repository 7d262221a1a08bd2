// Skiff's registry mirror: the pull side of the OCI distribution API over plain HTTP on loopback, serving the images a
// node's containerd already holds. containerd's hosts.toml (hosts.ts) lists it before every real registry, so a pull
// of an image that is already there succeeds offline, and anything else gets 404 and goes on to the real registry.
import http from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { silentLogger, type Logger } from '../log.ts';

/** An OCI content descriptor: what a manifest, an index or a blob is. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface ImageRecord {
  /** Full reference, e.g. docker.io/library/nginx:latest or docker.io/library/nginx@sha256:…. */
  name: string;
  /** The manifest or index the name points at. */
  target: Descriptor;
}

export interface BlobHandle {
  size: number;
  /** Its bytes, or the bytes from start to end (inclusive). */
  read(range?: { start: number; end: number }): Readable;
}

/** Where the mirror's images come from (containerd's image and content stores on a node: mirror-containerd.ts). */
export interface ImageSource {
  /** The image with this full name, or undefined. */
  image(name: string, signal?: AbortSignal): Promise<ImageRecord | undefined>;
  /** Every image whose name is in this repository (e.g. docker.io/library/nginx). */
  images(repository: string, signal?: AbortSignal): Promise<ImageRecord[]>;
  /** A blob (manifest, config or layer) by digest, or undefined when the content store lacks it. */
  blob(digest: string, signal?: AbortSignal): Promise<BlobHandle | undefined>;
}

export interface RegistryMirrorOptions {
  /** A loopback address (default 127.0.0.1): the mirror serves without authentication. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  source: ImageSource;
  logger?: Logger;
}

export interface RunningRegistryMirror {
  /** e.g. http://127.0.0.1:40123, what hosts.toml names. */
  url: string;
  port: number;
  /** Resolves when the server has closed after the signal aborted. */
  closed: Promise<void>;
}

export class MirrorAddressError extends Error {
  override name = 'MirrorAddressError';
}

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
/** Manifests are small; anything bigger is not read into memory to look inside. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

// The distribution spec's grammar, https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
/** The digests a content store keeps blobs under. */
export const SUPPORTED_DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const REGISTRY_HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$/;

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
  }
}

const nameUnknown = (repository: string) => new RegistryError(404, 'NAME_UNKNOWN', 'repository name not known to registry', { name: repository });
const manifestUnknown = (reference: string) => new RegistryError(404, 'MANIFEST_UNKNOWN', 'manifest unknown', { reference });
const blobUnknown = (digest: string) => new RegistryError(404, 'BLOB_UNKNOWN', 'blob unknown to registry', { digest });

/**
 * The repository a request means. containerd asks a mirror with `?ns=<registry>` (docker.io, registry.k8s.io…); a
 * client talking to the mirror as a registry of its own gets Docker's rules: a first component with a dot is a
 * registry host, anything else is on docker.io.
 */
export function repositoryOf(name: string, ns: string | null): string {
  if (ns) return `${ns}/${name}`;
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  if (first.includes('.') || first === 'localhost') return name;
  return `docker.io/${slash < 0 ? `library/${name}` : name}`;
}

interface Route {
  kind: 'manifests' | 'blobs';
  repository: string;
  reference: string;
}

function route(url: URL): Route | 'base' {
  const path = url.pathname;
  if (path === '/v2/' || path === '/v2') return 'base';
  const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(path);
  if (!m) throw new RegistryError(404, 'UNSUPPORTED', `this mirror serves pulls only: no ${path}`);
  const [, name, kind, reference] = m as unknown as [string, string, 'manifests' | 'blobs', string];
  const ns = url.searchParams.get('ns');
  if (!NAME.test(name) || (ns !== null && !REGISTRY_HOST.test(ns))) {
    throw new RegistryError(400, 'NAME_INVALID', 'invalid repository name', { name, ...(ns !== null && { ns }) });
  }
  if (kind === 'blobs' ? !DIGEST.test(reference) : !DIGEST.test(reference) && !TAG.test(reference)) {
    throw kind === 'blobs'
      ? new RegistryError(400, 'DIGEST_INVALID', 'provided digest did not match uploaded content', { digest: reference })
      : new RegistryError(400, 'MANIFEST_INVALID', 'manifest invalid', { reference });
  }
  return { kind, repository: repositoryOf(name, ns), reference };
}

async function readSmallBlob(blob: BlobHandle): Promise<Buffer | undefined> {
  if (blob.size > MAX_MANIFEST_BYTES) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of blob.read()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The platform manifests an index lists (one level: that is how images are built). */
async function indexChildren(source: ImageSource, index: Descriptor, signal: AbortSignal): Promise<Descriptor[]> {
  if (!INDEX_TYPES.has(index.mediaType)) return [];
  const blob = await source.blob(index.digest, signal);
  const bytes = blob && (await readSmallBlob(blob));
  if (!bytes) return [];
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as { manifests?: unknown };
    if (!Array.isArray(parsed.manifests)) return [];
    return parsed.manifests.filter(
      (d): d is Descriptor => typeof d?.mediaType === 'string' && typeof d?.digest === 'string' && typeof d?.size === 'number',
    );
  } catch {
    return [];
  }
}

/** What a manifest request names: a tagged image, or a manifest by digest that an image of the repository holds. */
async function findManifest(source: ImageSource, { repository, reference }: Route, signal: AbortSignal): Promise<Descriptor> {
  const byDigest = DIGEST.test(reference);
  if (!byDigest) {
    const image = await source.image(`${repository}:${reference}`, signal);
    if (image) return image.target;
  }
  const images = await source.images(repository, signal);
  if (images.length === 0) throw nameUnknown(repository);
  if (!byDigest) throw manifestUnknown(reference);
  for (const { target } of images) {
    if (target.digest === reference) return target;
  }
  for (const { target } of images) {
    const child = (await indexChildren(source, target, signal)).find((d) => d.digest === reference);
    if (child) return { mediaType: child.mediaType, digest: child.digest, size: child.size };
  }
  throw manifestUnknown(reference);
}

type ByteRange = { start: number; end: number };

/** A single `bytes=` range (containerd resumes a broken download with `bytes=<offset>-`); undefined for the whole blob. */
function byteRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  const unsatisfiable = new RegistryError(416, 'RANGE_INVALID', 'requested range not satisfiable', { range: header });
  if (!m || (m[1] === '' && m[2] === '')) throw unsatisfiable;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) throw unsatisfiable;
  return { start, end };
}

async function serveContent(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  blob: BlobHandle,
  headers: { contentType: string; digest: string },
): Promise<number> {
  const range = byteRange(req.headers.range, blob.size);
  res.setHeader('Content-Type', headers.contentType);
  res.setHeader('Docker-Content-Digest', headers.digest);
  res.setHeader('ETag', `"${headers.digest}"`);
  res.setHeader('Accept-Ranges', 'bytes');
  if (range) {
    res.statusCode = 206;
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${blob.size}`);
    res.setHeader('Content-Length', range.end - range.start + 1);
  } else {
    res.statusCode = 200;
    res.setHeader('Content-Length', blob.size);
  }
  if (req.method === 'HEAD') {
    res.end();
    return res.statusCode;
  }
  await pipeline(blob.read(range), res);
  return res.statusCode;
}

async function serve(source: ImageSource, req: http.IncomingMessage, res: http.ServerResponse, signal: AbortSignal): Promise<number> {
  res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    throw new RegistryError(405, 'UNSUPPORTED', 'this mirror serves pulls only');
  }
  const target = route(new URL(req.url ?? '/', 'http://mirror'));
  if (target === 'base') {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 2 });
    res.end(req.method === 'HEAD' ? undefined : '{}');
    return 200;
  }
  if (target.kind === 'manifests') {
    const manifest = await findManifest(source, target, signal);
    const blob = await source.blob(manifest.digest, signal);
    if (!blob) throw manifestUnknown(target.reference);
    return serveContent(req, res, blob, { contentType: manifest.mediaType, digest: manifest.digest });
  }
  const digest = target.reference;
  const blob = SUPPORTED_DIGEST.test(digest) ? await source.blob(digest, signal) : undefined;
  if (!blob) {
    if ((await source.images(target.repository, signal)).length === 0) throw nameUnknown(target.repository);
    throw blobUnknown(digest);
  }
  return serveContent(req, res, blob, { contentType: 'application/octet-stream', digest });
}

function sendError(req: http.IncomingMessage, res: http.ServerResponse, err: RegistryError): void {
  const body = JSON.stringify({ errors: [{ code: err.code, message: err.message, ...(err.detail !== undefined && { detail: err.detail }) }] });
  res.writeHead(err.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Starts the mirror; it serves until `signal` aborts. */
export async function startRegistryMirror(options: RegistryMirrorOptions, signal: AbortSignal): Promise<RunningRegistryMirror> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) {
    throw new MirrorAddressError(`the registry mirror serves without authentication and listens on loopback only, not ${host}`);
  }
  signal.throwIfAborted();
  const logger = options.logger ?? silentLogger();
  const source = options.source;
  const server = http.createServer((req, res) => {
    const started = performance.now();
    const aborted = new AbortController();
    const requestSignal = AbortSignal.any([signal, aborted.signal]);
    res.once('close', () => aborted.abort());
    serve(source, req, res, requestSignal).then(
      (status) => logger.debug('request', { method: req.method, url: req.url, status, ms: +(performance.now() - started).toFixed(2) }),
      (err: unknown) => {
        const failure =
          err instanceof RegistryError ? err : new RegistryError(503, 'UNAVAILABLE', `the image store did not answer: ${(err as Error)?.message}`);
        if (!(err instanceof RegistryError)) logger.warn('request failed', { method: req.method, url: req.url, error: err });
        if (res.headersSent) res.destroy();
        else sendError(req, res, failure);
        logger.debug('request', { method: req.method, url: req.url, status: failure.status, code: failure.code });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info('registry mirror listening', { url });
  const closed = new Promise<void>((resolve) => {
    const stop = () => {
      server.close(() => resolve());
      server.closeAllConnections();
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
  return { url, port, closed };
}
