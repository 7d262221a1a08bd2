// What a real-container node needs from the machine: Debian's packages, found by the files they install (a few
// stat calls, no dpkg on the happy path); the decision between installing them, falling back to simulated pods, or
// refusing; and the apt-get install itself, with its progress read from apt's status file descriptor.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import path from 'node:path';

export interface Prerequisite {
  /** The Debian package. */
  name: string;
  /** Programs it installs, looked for in the usual bin and sbin directories. */
  commands?: readonly string[];
  /** Programs any one of which will do (another package may provide it). */
  anyCommand?: readonly string[];
  /** Files it installs, relative to the filesystem root. */
  files?: readonly string[];
  /** These files must be statically linked executables (the sandbox image is made of /bin/busybox alone). */
  staticExecutables?: readonly string[];
  /** Needed only when Skiff runs its own containerd (not with --container-runtime-endpoint). */
  ownRuntimeOnly?: boolean;
}

/** The packages a node with real containers needs, in the order apt is asked for them. */
export const NODE_PREREQUISITES: readonly Prerequisite[] = [
  { name: 'containerd', commands: ['containerd', 'containerd-shim-runc-v2', 'ctr'], ownRuntimeOnly: true },
  { name: 'runc', commands: ['runc'], ownRuntimeOnly: true },
  { name: 'containernetworking-plugins', files: ['usr/lib/cni/bridge', 'usr/lib/cni/host-local', 'usr/lib/cni/loopback', 'usr/lib/cni/portmap'], ownRuntimeOnly: true },
  { name: 'busybox-static', staticExecutables: ['bin/busybox'], ownRuntimeOnly: true },
  { name: 'iptables', commands: ['iptables', 'iptables-restore', 'iptables-save'] },
  { name: 'iproute2', commands: ['ip'] },
  { name: 'conntrack', commands: ['conntrack'] },
];

/**
 * What the nftables proxy mode adds: nft, and a C compiler for its netlink helper (src/proxy/nfnl-send.c; without one
 * the map elements go through nft as text, slower). tcc is the smallest compiler Debian has.
 */
export const NFTABLES_PROXY_PREREQUISITES: readonly Prerequisite[] = [
  { name: 'nftables', commands: ['nft'] },
  { name: 'tcc', anyCommand: ['cc', 'gcc', 'tcc'] },
];

const BIN_DIRS = ['usr/local/sbin', 'usr/local/bin', 'usr/sbin', 'usr/bin', 'sbin', 'bin'];

export interface PrerequisiteReport {
  /** Packages (Debian names) whose files are missing, in NODE_PREREQUISITES order. */
  missing: string[];
  /** Missing packages only Skiff's own containerd needs. */
  missingOwnRuntime: string[];
  /** apt-get and /etc/debian_version exist: Skiff can install what is missing. */
  debian: boolean;
  /** apt has package lists (apt-get install and the nginx image build's apt-get download need them). */
  aptLists: boolean;
}

const PT_INTERP = 3;

/** An ELF executable without a program interpreter (PT_INTERP): runs with no shared libraries around it. */
export function isStaticExecutable(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const header = Buffer.alloc(64);
    if (readSync(fd, header, 0, 64, 0) < 52 || header.readUInt32BE(0) !== 0x7f454c46) return false;
    const is64 = header[4] === 2;
    const le = header[5] === 1;
    const u16 = (b: Buffer, at: number) => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
    const u32 = (b: Buffer, at: number) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
    const phoff = is64 ? Number(le ? header.readBigUInt64LE(32) : header.readBigUInt64BE(32)) : u32(header, 28);
    const phentsize = u16(header, is64 ? 54 : 42);
    const phnum = u16(header, is64 ? 56 : 44);
    if (phentsize < 4 || phnum > 512) return false;
    const table = Buffer.alloc(phentsize * phnum);
    if (readSync(fd, table, 0, table.length, phoff) < table.length) return false;
    for (let i = 0; i < phnum; i++) if (u32(table, i * phentsize) === PT_INTERP) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}

function hasCommand(root: string, name: string): boolean {
  return BIN_DIRS.some((dir) => existsSync(path.join(root, dir, name)));
}

export function isInstalled(p: Prerequisite, root = '/'): boolean {
  return (
    (p.commands ?? []).every((c) => hasCommand(root, c)) &&
    (p.anyCommand === undefined || p.anyCommand.some((c) => hasCommand(root, c))) &&
    (p.files ?? []).every((f) => existsSync(path.join(root, f))) &&
    (p.staticExecutables ?? []).every((f) => isStaticExecutable(path.join(root, f)))
  );
}

function hasAptLists(root: string): boolean {
  try {
    return readdirSync(path.join(root, 'var/lib/apt/lists')).some((f) => f.includes('_Packages'));
  } catch {
    return false;
  }
}

/** What of `prerequisites` this machine (or a tree at `root`, for tests) lacks, and whether apt can help. */
export function checkPrerequisites(root = '/', prerequisites: readonly Prerequisite[] = NODE_PREREQUISITES): PrerequisiteReport {
  const missing = prerequisites.filter((p) => !isInstalled(p, root));
  return {
    missing: missing.map((p) => p.name),
    missingOwnRuntime: missing.filter((p) => p.ownRuntimeOnly).map((p) => p.name),
    debian: existsSync(path.join(root, 'etc/debian_version')) && hasCommand(root, 'apt-get'),
    aptLists: hasAptLists(root),
  };
}

/** The command a user runs to install `packages` themselves. */
export function installCommand(packages: readonly string[]): string {
  return `sudo apt-get install -y --no-install-recommends ${packages.join(' ')}`;
}

/** --runtime cri asked for on a machine that cannot run real containers and cannot be made to. */
export class PrerequisitesError extends Error {
  override name = 'PrerequisitesError';
}

export interface RuntimeChoice {
  runtime: 'cri' | 'simulated';
  /** Packages to install before starting (as root on Debian). */
  install: string[];
  /** Why pods are simulated when nobody asked for that. */
  note?: string;
}

export interface RuntimeQuestion {
  report: PrerequisiteReport;
  isRoot: boolean;
  /** --runtime, when given. */
  asked?: 'cri' | 'simulated';
  /** --container-runtime-endpoint given: Skiff's own containerd (and what only it needs) is not used. */
  externalRuntime?: boolean;
}

const list = (names: readonly string[]) => (names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`);
const isAre = (names: readonly string[]) => (names.length === 1 ? 'is' : 'are');

/**
 * Real containers as root when the packages are there or apt can install them (as k3s brings its own); otherwise
 * simulated pods with a note saying what is missing and how to get it, or — when --runtime cri was asked for — an error.
 */
export function chooseRuntime(q: RuntimeQuestion): RuntimeChoice {
  if (q.asked === 'simulated') return { runtime: 'simulated', install: [] };
  const own = new Set(q.report.missingOwnRuntime);
  const missing = q.report.missing.filter((name) => !q.externalRuntime || !own.has(name));
  if (q.isRoot && (missing.length === 0 || q.report.debian)) return { runtime: 'cri', install: missing };
  let why: string;
  if (!q.isRoot) {
    why = missing.length
      ? `real containers need root, and Debian's ${list(missing)} ${isAre(missing)} not installed (${installCommand(missing)}; or run sudo skiff up, which installs ${missing.length === 1 ? 'it' : 'them'})`
      : 'real containers need root (sudo skiff up)';
  } else {
    why = `real containers need ${list(missing)}, which ${isAre(missing)} not installed, and without apt-get Skiff cannot install ${missing.length === 1 ? 'it' : 'them'}: install ${missing.length === 1 ? 'it' : 'them'} with this system's package manager (Debian's names: ${missing.join(' ')})`;
  }
  if (q.asked === 'cri') throw new PrerequisitesError(`--runtime cri: ${why}; or use --runtime simulated`);
  return { runtime: 'simulated', install: [], note: `pods are simulated: ${why}` };
}

/** apt-get failed; the message ends with apt's last lines. */
export class PackageInstallError extends Error {
  override name = 'PackageInstallError';
}

/** Runs apt-get with `args`; `onStatus` gets each line apt writes to its status descriptor. */
export type AptRunner = (args: string[], onStatus: (line: string) => void, signal?: AbortSignal) => Promise<{ code: number; output: string }>;

const APT_LOCK_WAIT_SECONDS = 300;

/** apt-get as a child process: non-interactive, its status lines on fd 3, its output kept for errors. */
export const runAptGet: AptRunner = (args, onStatus, signal) =>
  new Promise((resolve, reject) => {
    const child = spawn('apt-get', ['-o', 'APT::Status-Fd=3', '-o', `DPkg::Lock::Timeout=${APT_LOCK_WAIT_SECONDS}`, ...args], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      ...(signal ? { signal } : {}),
    });
    let output = '';
    const keep = (chunk: string) => (output = (output + chunk).slice(-20_000));
    child.stdout?.setEncoding('utf8').on('data', keep);
    child.stderr?.setEncoding('utf8').on('data', keep);
    let partial = '';
    const status = child.stdio[3] as NodeJS.ReadableStream | null;
    status?.setEncoding('utf8');
    status?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) onStatus(line.trim());
    });
    child.once('error', reject);
    child.once('close', (code, sig) => resolve({ code: code ?? (sig ? 128 : 1), output }));
  });

/** "pmstatus:conntrack:50:Installing conntrack" → "50% Installing conntrack"; other lines: undefined. */
export function aptStatusText(line: string): string | undefined {
  const m = /^(?:pm|dl)status:[^:]*:([\d.]+):(.*)$/.exec(line);
  if (!m) return undefined;
  return `${Math.round(Number(m[1]))}% ${m[2]!.trim()}`;
}

function lastLines(text: string, n = 12): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

// Stale or missing package lists: apt knows no such package, or its mirror no longer has the version apt knows.
const NO_CANDIDATE = /Unable to locate package|has no installation candidate|Unable to fetch some archives/;

export interface InstallOptions {
  /** Run apt-get update first (the package lists are missing). */
  update: boolean;
  /** Progress text (e.g. "40% Unpacking conntrack") as apt reports it. */
  onStatus?: (text: string) => void;
  signal?: AbortSignal;
  run?: AptRunner;
}

/**
 * apt-get install -y --no-install-recommends `packages` (none: only the update, when asked for); apt-get update
 * first when asked, or once when apt knows no candidate for a package (stale or missing lists).
 */
export async function installPackages(packages: readonly string[], opts: InstallOptions): Promise<void> {
  const run = opts.run ?? runAptGet;
  const onLine = (line: string) => {
    const text = aptStatusText(line);
    if (text) opts.onStatus?.(text);
  };
  let updated = false;
  const update = async () => {
    opts.onStatus?.('apt-get update');
    const result = await run(['update', '-q'], onLine, opts.signal);
    if (result.code !== 0) throw new PackageInstallError(`apt-get update failed (exit code ${result.code}):\n${lastLines(result.output)}`);
    updated = true;
  };
  if (opts.update) await update();
  if (!packages.length) return;
  const install = () => run(['install', '-y', '-q', '--no-install-recommends', ...packages], onLine, opts.signal);
  let result = await install();
  if (result.code !== 0 && !updated && NO_CANDIDATE.test(result.output)) {
    await update();
    result = await install();
  }
  if (result.code !== 0) {
    throw new PackageInstallError(`apt-get install ${packages.join(' ')} failed (exit code ${result.code}); install them yourself (${installCommand(packages)}) or use --runtime simulated. apt said:\n${lastLines(result.output)}`);
  }
}
