// containerd's registry host configuration (`config_path`, one <registry>/hosts.toml each) that puts Skiff's registry
// mirror in front of the real registries: containerd asks the mirror first and, when it answers 404, the registry
// itself. containerd 1.6 reads <dir>/_default/hosts.toml for every registry without a directory of its own.
import { mkdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The directory containerd falls back to for a registry without its own. */
export const DEFAULT_HOSTS_DIR = '_default';
/** One `_default` covers docker.io, registry.k8s.io, quay.io, ghcr.io and every other registry. */
export const DEFAULT_MIRRORED_REGISTRIES: readonly string[] = [DEFAULT_HOSTS_DIR];

const MARKER = '# Written by Skiff';
const REGISTRY = /^[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?$/;

export class MirrorHostsError extends Error {
  override name = 'MirrorHostsError';
}

const str = (s: string) => JSON.stringify(s);

/** Where the registry's pulls go when no mirror has the image (containerd's own default for each). */
export function upstreamServer(registry: string): string | undefined {
  if (registry === DEFAULT_HOSTS_DIR) return undefined;
  return registry === 'docker.io' ? 'https://registry-1.docker.io' : `https://${registry}`;
}

function checkRegistry(registry: string): void {
  if (registry !== DEFAULT_HOSTS_DIR && !REGISTRY.test(registry)) {
    throw new MirrorHostsError(`${JSON.stringify(registry)} is not a registry host (e.g. docker.io, localhost:5000) or ${DEFAULT_HOSTS_DIR}`);
  }
}

function mirrorOrigin(mirrorURL: string): string {
  let url: URL;
  try {
    url = new URL(mirrorURL);
  } catch (err) {
    throw new MirrorHostsError(`registry mirror URL ${JSON.stringify(mirrorURL)} is not a URL`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MirrorHostsError(`registry mirror URL ${mirrorURL} is neither http nor https`);
  }
  return url.origin;
}

/** One registry's hosts.toml: the mirror for pull and resolve, then the registry's own server. */
export function mirrorHostsToml(registry: string, mirrorURL: string): string {
  checkRegistry(registry);
  const server = upstreamServer(registry);
  return [
    `${MARKER}; rewritten when the registry mirror moves.`,
    `# ${registry === DEFAULT_HOSTS_DIR ? 'Every registry' : registry}: Skiff's registry mirror first, then the registry itself.`,
    ...(server ? [`server = ${str(server)}`] : []),
    '',
    `[host.${str(mirrorOrigin(mirrorURL))}]`,
    '  capabilities = ["pull", "resolve"]',
    '',
  ].join('\n');
}

function hostsFile(registryConfigDir: string, registry: string): string {
  checkRegistry(registry);
  return path.join(registryConfigDir, registry, 'hosts.toml');
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Writes <registryConfigDir>/<registry>/hosts.toml for each registry (containerd reads them on every pull, no restart
 * needed). A file is replaced atomically and only when its content changes; returns the files written.
 */
export function writeMirrorHosts(registryConfigDir: string, mirrorURL: string, registries: readonly string[] = DEFAULT_MIRRORED_REGISTRIES): string[] {
  const written: string[] = [];
  for (const registry of registries) {
    const file = hostsFile(registryConfigDir, registry);
    const content = mirrorHostsToml(registry, mirrorURL);
    if (readOrUndefined(file) === content) continue;
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, content, { mode: 0o644 });
    renameSync(temp, file);
    written.push(file);
  }
  return written;
}

/** Removes the hosts.toml files Skiff wrote (not ones someone else put there), so pulls go straight to the registries. */
export function removeMirrorHosts(registryConfigDir: string, registries: readonly string[] = DEFAULT_MIRRORED_REGISTRIES): void {
  for (const registry of registries) {
    const file = hostsFile(registryConfigDir, registry);
    if (!readOrUndefined(file)?.startsWith(MARKER)) continue;
    rmSync(file, { force: true });
    try {
      rmdirSync(path.dirname(file));
    } catch {
      // holds certificates or other files: leave it
    }
  }
}
