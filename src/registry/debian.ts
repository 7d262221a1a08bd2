// Debian packages as image inputs: installed versions (dpkg-query), candidates (apt-cache policy), .deb files fetched
// with `apt-get download` into a cache directory and unpacked with `dpkg-deb -x`. Nothing is installed on the host.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** An image input that is not on this machine; the message says what to install or run. */
export class MissingImageInputError extends Error {
  override name = 'MissingImageInputError';
}

export interface DebianPackage {
  name: string;
  version: string;
  /** The .deb in the cache directory (undefined for a package taken from the host). */
  deb?: string;
}

async function tool(file: string, args: string[], signal?: AbortSignal, env?: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await run(file, args, { maxBuffer: 64 * 1024 * 1024, ...(signal && { signal }), ...(env && { env }) });
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new MissingImageInputError(`${file} is not installed (it comes with Debian's dpkg and apt)`, { cause: err });
    if (e.name === 'AbortError') throw err;
    throw new Error(`${file} ${args.join(' ')}: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/** Versions of the named packages installed on this host; packages not (fully) installed are absent. */
export async function installedVersions(names: string[], signal?: AbortSignal): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!names.length) return out;
  let stdout = '';
  try {
    ({ stdout } = await run('dpkg-query', ['-W', '-f', '${Package} ${Version} ${db:Status-Abbrev}\\n', ...names], signal ? { signal } : {}));
  } catch (err) {
    // dpkg-query exits 1 when some names are unknown, after printing the known ones.
    const e = err as NodeJS.ErrnoException & { stdout?: string };
    if (e.code === 'ENOENT') throw new MissingImageInputError('dpkg-query is not installed: images are built from Debian packages', { cause: err });
    if (e.name === 'AbortError') throw err;
    stdout = e.stdout ?? '';
  }
  for (const line of stdout.split('\n')) {
    const [name, version, status] = line.trim().split(/\s+/);
    if (name && version && status === 'ii') out.set(name.replace(/:.*$/, ''), version);
  }
  return out;
}

/** `apt-cache policy` output: each package's candidate version, when apt knows one. */
export function parseAptPolicy(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | undefined;
  for (const line of text.split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) current = head[1]!.replace(/:.*$/, '');
    const candidate = /^\s+Candidate:\s+(\S+)/.exec(line);
    if (candidate && current && candidate[1] !== '(none)') out.set(current, candidate[1]!);
  }
  return out;
}

export async function candidateVersions(names: string[], signal?: AbortSignal): Promise<Map<string, string>> {
  return parseAptPolicy(await tool('apt-cache', ['policy', ...names], signal));
}

/** The package names a Depends field lists (alternatives: the first), without versions or architectures. */
export function parseDepends(field: string): string[] {
  return field
    .split(',')
    .map((part) => part.split('|')[0]!.trim().split(/[\s(:]/)[0]!)
    .filter((name, i, all) => name && all.indexOf(name) === i);
}

/** The upstream part of a Debian version: 1:1.35.0-4+deb12u1 → 1.35.0. */
export function upstreamVersion(version: string): string {
  const noEpoch = version.replace(/^\d+:/, '');
  const dash = noEpoch.lastIndexOf('-');
  return dash > 0 ? noEpoch.slice(0, dash) : noEpoch;
}

/** The file name the cache keeps a .deb under (apt's own naming, epoch's colon escaped). */
export function debFileName(name: string, version: string, architecture: string): string {
  return `${name}_${version.replaceAll(':', '%3a')}_${architecture}.deb`;
}

export async function debField(deb: string, field: string, signal?: AbortSignal): Promise<string> {
  return (await tool('dpkg-deb', ['-f', deb, field], signal)).trim();
}

export async function extractDeb(deb: string, dir: string, signal?: AbortSignal): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await tool('dpkg-deb', ['-x', deb, dir], signal);
}

let hostArchitecture: string | undefined;

export async function debianArchitecture(signal?: AbortSignal): Promise<string> {
  hostArchitecture ??= (await tool('dpkg', ['--print-architecture'], signal)).trim();
  return hostArchitecture;
}

/** A cached .deb of the package, newest first by modification time (for when apt knows no candidate). */
function cachedDebs(debDir: string, name: string): string[] {
  if (!existsSync(debDir)) return [];
  return readdirSync(debDir)
    .filter((f) => f.startsWith(`${name}_`) && f.endsWith('.deb'))
    .map((f) => path.join(debDir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
}

/**
 * The .deb files of `names` in apt's candidate versions, downloaded into `debDir` unless there already. Offline
 * (no candidate known to apt), the newest cached .deb of a package is used.
 */
export async function fetchDebs(names: string[], debDir: string, signal?: AbortSignal): Promise<DebianPackage[]> {
  if (!names.length) return [];
  mkdirSync(debDir, { recursive: true });
  let candidates = new Map<string, string>();
  try {
    candidates = await candidateVersions(names, signal);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    // No apt: only cached .deb files can help.
  }
  const arch = await debianArchitecture(signal);
  const out: DebianPackage[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const version = candidates.get(name);
    if (!version) {
      const cached = cachedDebs(debDir, name)[0];
      if (!cached) {
        missing.push(name);
        continue;
      }
      out.push({ name, version: await debField(cached, 'Version', signal), deb: cached });
      continue;
    }
    const arches = [arch, 'all'].map((a) => path.join(debDir, debFileName(name, version, a)));
    let deb = arches.find((f) => existsSync(f));
    deb ??= await downloadDeb(name, version, debDir, signal);
    out.push({ name, version, deb });
  }
  if (missing.length) {
    throw new MissingImageInputError(
      `apt knows no version of ${missing.join(', ')} and ${debDir} holds none: run apt-get update ` +
        `(the packages come from Debian's main archive), or put the .deb files into ${debDir}`,
    );
  }
  return out;
}

async function downloadDeb(name: string, version: string, debDir: string, signal?: AbortSignal): Promise<string> {
  // apt-get download writes into the working directory; a private one keeps partial files out of the cache.
  const work = mkdtempSync(path.join(debDir, '.download-'));
  try {
    try {
      await run('apt-get', ['download', '-q', `${name}=${version}`], { cwd: work, ...(signal && { signal }) });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      if (e.name === 'AbortError') throw err;
      const why = e.code === 'ENOENT' ? 'apt-get is not installed' : e.stderr?.trim() || e.message;
      throw new MissingImageInputError(
        `could not download Debian's ${name} ${version} with apt-get download (${why}); it needs a Debian mirror once ` +
          `(try apt-get update), or put ${debFileName(name, version, '<arch>')} into ${debDir}`,
        { cause: err },
      );
    }
    const [file] = readdirSync(work).filter((f) => f.endsWith('.deb'));
    if (!file) throw new MissingImageInputError(`apt-get download ${name}=${version} wrote no .deb file`);
    const arch = await debField(path.join(work, file), 'Architecture', signal);
    const target = path.join(debDir, debFileName(name, version, arch));
    renameSync(path.join(work, file), target);
    return target;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
