// Images without a registry: an OCI image archive (oci-layout, index.json, blobs) written from local files, and its
// import into Skiff's containerd with Debian's `ctr`, in the CRI plugin's namespace (k8s.io). The pause image each
// sandbox runs is built this way from Debian's busybox-static.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ArchiveEntry {
  /** Path inside the archive, without a leading slash; directories end without a slash. */
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode?: number;
  /** A file's bytes. */
  data?: Uint8Array;
  /** A symlink's target. */
  target?: string;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function tarHeader(entry: ArchiveEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  const name = entry.type === 'dir' ? `${entry.path}/` : entry.path;
  if (Buffer.byteLength(name) > 100) throw new RangeError(`tar entry name too long: ${name}`);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(entry.mode ?? (entry.type === 'dir' ? 0o755 : 0o644), 8), 100, 8, 'ascii');
  h.write(octal(0, 8), 108, 8, 'ascii');
  h.write(octal(0, 8), 116, 8, 'ascii');
  h.write(octal(size, 12), 124, 12, 'ascii');
  h.write(octal(0, 12), 136, 12, 'ascii');
  h.write(' '.repeat(8), 148, 8, 'ascii');
  h.write(entry.type === 'dir' ? '5' : entry.type === 'symlink' ? '2' : '0', 156, 1, 'ascii');
  if (entry.target) h.write(entry.target, 157, 100, 'utf8');
  h.write('ustar\0' + '00', 257, 8, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(octal(sum, 7) + ' ', 148, 8, 'ascii');
  return h;
}

/** A deterministic ustar archive: uid/gid 0, mtime 0, entries in the order given. */
export function tarArchive(entries: ArchiveEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.type === 'file' ? Buffer.from(entry.data ?? new Uint8Array()) : Buffer.alloc(0);
    parts.push(tarHeader(entry, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

const sha256 = (data: Uint8Array) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export interface OciImageOptions {
  /** Full reference, e.g. registry.k8s.io/pause:3.10.1. */
  name: string;
  /** More full references to the same image, e.g. docker.io/library/nginx:1.22.1 beside :latest. */
  additionalNames?: string[];
  /** The single (uncompressed) layer's entries. */
  layer: ArchiveEntry[];
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  /** The image config's User (default: root). */
  user?: string;
  /** e.g. ['80/tcp']. */
  exposedPorts?: string[];
  /** e.g. SIGQUIT: what the runtime sends to stop the container instead of SIGTERM. */
  stopSignal?: string;
  labels?: Record<string, string>;
  /** The layer's history line (default: skiff). */
  createdBy?: string;
  architecture?: string;
}

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

/** An OCI image archive (what `ctr images import` and `docker load` of OCI layouts read) with one layer. */
export function ociImageArchive(options: OciImageOptions): Buffer {
  const layer = tarArchive(options.layer);
  const layerDigest = sha256(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: options.architecture ?? GOARCH[process.arch] ?? process.arch,
      os: 'linux',
      config: {
        Env: options.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        ...(options.entrypoint && { Entrypoint: options.entrypoint }),
        ...(options.cmd && { Cmd: options.cmd }),
        ...(options.workingDir && { WorkingDir: options.workingDir }),
        ...(options.user && { User: options.user }),
        ...(options.exposedPorts?.length && { ExposedPorts: Object.fromEntries(options.exposedPorts.map((p) => [p, {}])) }),
        ...(options.stopSignal && { StopSignal: options.stopSignal }),
        ...(options.labels && { Labels: options.labels }),
      },
      rootfs: { type: 'layers', diff_ids: [layerDigest] },
      history: [{ created_by: options.createdBy ?? 'skiff' }],
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
    }),
  );
  const index = {
    schemaVersion: 2,
    manifests: [options.name, ...(options.additionalNames ?? [])].map((name) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: sha256(manifest),
      size: manifest.length,
      annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name.slice(name.lastIndexOf(':') + 1) },
    })),
  };
  const blob = (data: Buffer): ArchiveEntry => ({ path: `blobs/sha256/${sha256(data).slice('sha256:'.length)}`, type: 'file', data });
  return tarArchive([
    { path: 'oci-layout', type: 'file', data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
    { path: 'index.json', type: 'file', data: Buffer.from(JSON.stringify(index)) },
    { path: 'blobs', type: 'dir' },
    { path: 'blobs/sha256', type: 'dir' },
    blob(config),
    blob(manifest),
    blob(layer),
  ]);
}

/** Debian's busybox-static binary (package busybox-static). */
export const BUSYBOX_STATIC = '/bin/busybox';

/** A pause image: busybox-static sleeping forever as the sandbox's PID 1. */
export function pauseImageArchive(name: string, busybox = BUSYBOX_STATIC): Buffer {
  return ociImageArchive({
    name,
    entrypoint: ['/bin/busybox', 'sleep', 'infinity'],
    layer: [
      { path: 'bin', type: 'dir' },
      { path: 'bin/busybox', type: 'file', mode: 0o755, data: readFileSync(busybox) },
      { path: 'bin/sh', type: 'symlink', target: 'busybox' },
      { path: 'etc', type: 'dir' },
      { path: 'proc', type: 'dir' },
      { path: 'sys', type: 'dir' },
      { path: 'dev', type: 'dir' },
      { path: 'tmp', type: 'dir', mode: 0o1777 },
    ],
  });
}

export class ImageImportError extends Error {
  override name = 'ImageImportError';
}

/** `ctr images import` output: the names it created ("unpacking NAME (sha256:…)...done"). */
export function parseImportedNames(output: string): string[] {
  return [...output.matchAll(/^unpacking (\S+) \(sha256:[0-9a-f]+\)/gm)].map((m) => m[1]!);
}

/** Imports an image archive into containerd's k8s.io namespace, where the CRI plugin sees it; resolves to the names created. */
export async function importImageArchive(socket: string, archive: Buffer | string, signal?: AbortSignal): Promise<string[]> {
  let file = typeof archive === 'string' ? archive : '';
  if (typeof archive !== 'string') {
    file = `${socket}.import-${process.pid}-${Date.now()}.tar`;
    writeFileSync(file, archive);
  }
  try {
    const { stdout } = await run('ctr', ['--address', socket, '--namespace', 'k8s.io', 'images', 'import', file], {
      ...(signal && { signal }),
    });
    return parseImportedNames(stdout);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new ImageImportError(`ctr images import ${file}: ${stderr || (err as Error).message}`, { cause: err });
  } finally {
    if (typeof archive !== 'string') rmSync(file, { force: true });
  }
}
