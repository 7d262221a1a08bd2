// For tests: an OCI image archive unpacked with GNU tar, its index, manifest and config parsed, its layer unpacked.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface OpenedOciArchive {
  index: { manifests: { digest: string; annotations: Record<string, string> }[] };
  manifest: { config: { digest: string }; layers: { digest: string; mediaType: string }[] };
  config: {
    architecture: string;
    os: string;
    config: { Cmd?: string[]; Entrypoint?: string[]; Env?: string[]; ExposedPorts?: Record<string, object>; StopSignal?: string; User?: string };
    rootfs: { diff_ids: string[] };
  };
  /** The single layer, unpacked (modes kept, owners not). */
  rootfs: string;
  /** `tar -tvf` of the layer: one line per entry. */
  listing: string[];
  close(): void;
}

export function openOciArchive(archive: Buffer | string): OpenedOciArchive {
  const dir = mkdtempSync(path.join(tmpdir(), 'skiff-oci-'));
  const file = typeof archive === 'string' ? archive : path.join(dir, 'archive.tar');
  if (typeof archive !== 'string') writeFileSync(file, archive);
  const blobs = path.join(dir, 'oci');
  mkdirSync(blobs);
  execFileSync('tar', ['-xf', file, '-C', blobs, '--no-same-owner']);
  const blob = (digest: string) => path.join(blobs, 'blobs/sha256', digest.replace('sha256:', ''));
  const index = JSON.parse(readFileSync(path.join(blobs, 'index.json'), 'utf8')) as OpenedOciArchive['index'];
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), 'utf8')) as OpenedOciArchive['manifest'];
  const config = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8')) as OpenedOciArchive['config'];
  const layer = blob(manifest.layers[0]!.digest);
  const rootfs = path.join(dir, 'rootfs');
  mkdirSync(rootfs);
  execFileSync('tar', ['-xf', layer, '-C', rootfs, '--no-same-owner']);
  const listing = execFileSync('tar', ['-tvf', layer], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }).split('\n').filter(Boolean);
  return { index, manifest, config, rootfs, listing, close: () => rmSync(dir, { recursive: true, force: true }) };
}
