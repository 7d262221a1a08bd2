// Skiff's own containerd: a supervised child process with its config, socket, root and state under the data dir.
// start(signal) writes the config, starts containerd and resolves once its CRI service answers; if containerd dies
// it is started again (with backoff); when the signal aborts it gets SIGTERM, then SIGKILL after a grace period.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CriClient } from './cri/client.ts';
import { containerdConfig, containerdPaths, DEBIAN_CNI_BIN_DIR, type ContainerdPaths } from './containerd-config.ts';

export const CONTAINERD_DEBIAN_PACKAGES = 'containerd runc containernetworking-plugins';

export interface ContainerdOptions {
  /** Skiff's data dir; containerd lives in <dataDir>/containerd. */
  dataDir: string;
  /** containerd's binary (default: `containerd` on PATH, or /usr/bin/containerd). */
  binary?: string;
  sandboxImage?: string;
  cniBinDir?: string;
  logLevel?: string;
  /** How long one start may take until CRI answers (default 30 s). */
  startTimeoutMs?: number;
  /** After SIGTERM, how long until SIGKILL (default 10 s). */
  stopGraceMs?: number;
  /** First restart delay, doubled per crash up to maxRestartDelayMs (defaults 200 ms, 10 s). */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  log?: (message: string) => void;
}

export class ContainerdNotInstalledError extends Error {
  override name = 'ContainerdNotInstalledError';
}

export class ContainerdStartError extends Error {
  override name = 'ContainerdStartError';
}

function onPath(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The containerd binary, after checking that runc and the CNI plugins are there too. */
export function findContainerd(binary?: string, cniBinDir = DEBIAN_CNI_BIN_DIR): string {
  const missing: string[] = [];
  const containerd = binary ?? onPath('containerd');
  if (!containerd || !existsSync(containerd)) missing.push(binary ? `containerd (${binary})` : 'containerd');
  if (!onPath('containerd-shim-runc-v2')) missing.push('containerd-shim-runc-v2');
  if (!onPath('runc')) missing.push('runc');
  if (!existsSync(path.join(cniBinDir, 'bridge'))) missing.push(`the CNI plugins (${cniBinDir}/bridge)`);
  if (missing.length) {
    throw new ContainerdNotInstalledError(
      `the cri runtime needs ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not installed; ` +
        `install Debian's packages: apt-get install ${CONTAINERD_DEBIAN_PACKAGES}`,
    );
  }
  return containerd!;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves (to undefined) when the signal aborts, at once if it already has. */
function whenAborted(signal: AbortSignal): Promise<undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(undefined), { once: true }));
}

export class ContainerdSupervisor {
  readonly paths: ContainerdPaths;
  readonly endpoint: string;
  #child: ChildProcess | undefined;
  #restarts = 0;
  #stopped: Promise<void> | undefined;
  readonly #log: (message: string) => void;

  constructor(readonly options: ContainerdOptions) {
    this.paths = containerdPaths(options.dataDir);
    this.endpoint = `unix://${this.paths.socket}`;
    this.#log = options.log ?? (() => {});
  }

  /** The running containerd's pid, if one runs. */
  get pid(): number | undefined {
    return this.#child?.exitCode === null && this.#child.signalCode === null ? this.#child.pid : undefined;
  }

  /** How often containerd was started again after it died. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Resolves when containerd answers CRI; keeps it running until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#stopped) throw new Error('ContainerdSupervisor.start called twice');
    const binary = findContainerd(this.options.binary, this.options.cniBinDir);
    this.#prepare();
    await this.#stopStale();
    let ready!: () => void;
    let failed!: (err: unknown) => void;
    const firstReady = new Promise<void>((res, rej) => {
      ready = res;
      failed = rej;
    });
    this.#stopped = this.#supervise(binary, signal, ready, failed);
    this.#stopped.catch(() => {});
    await firstReady;
  }

  /** Resolves once containerd has stopped after the start signal aborted. */
  async stopped(): Promise<void> {
    await this.#stopped;
  }

  /** Waits until the current containerd answers CRI Version. */
  async waitReady(signal?: AbortSignal, timeoutMs = this.options.startTimeoutMs ?? 30_000): Promise<void> {
    const client = new CriClient({ endpoint: this.endpoint, timeoutMs: 2000 });
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    // containerd answers within a few hundred ms of starting: look often at first, less often later.
    let delay = 10;
    try {
      while (Date.now() < deadline) {
        signal?.throwIfAborted();
        if (existsSync(this.paths.socket)) {
          try {
            await client.version(signal ? { signal } : {});
            return;
          } catch (err) {
            last = err;
          }
        }
        await sleep(delay, undefined, signal ? { signal } : {});
        delay = Math.min(delay * 1.5, 100);
      }
    } finally {
      client.close();
    }
    throw new ContainerdStartError(`containerd did not answer on ${this.paths.socket} within ${timeoutMs} ms; see ${this.paths.log}`, {
      cause: last,
    });
  }

  #prepare(): void {
    const p = this.paths;
    for (const dir of [p.dir, p.root, p.state, p.cniConfDir, p.registryConfigDir]) mkdirSync(dir, { recursive: true, mode: 0o711 });
    writeFileSync(
      p.config,
      containerdConfig({
        paths: p,
        ...(this.options.sandboxImage !== undefined && { sandboxImage: this.options.sandboxImage }),
        ...(this.options.cniBinDir !== undefined && { cniBinDir: this.options.cniBinDir }),
        ...(this.options.logLevel !== undefined && { logLevel: this.options.logLevel }),
      }),
    );
  }

  /** A containerd left running by a Skiff that died holds the same root: stop it first. */
  async #stopStale(): Promise<void> {
    let pid: number;
    try {
      pid = Number.parseInt(readFileSync(this.paths.pidFile, 'utf8'), 10);
    } catch {
      return;
    }
    if (!Number.isInteger(pid) || pid <= 1 || !processAlive(pid)) return;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      return;
    }
    if (!cmdline.includes(this.paths.config)) return;
    this.#log(`stopping containerd ${pid} left behind by an earlier run`);
    process.kill(pid, 'SIGTERM');
    const grace = this.options.stopGraceMs ?? 10_000;
    for (let waited = 0; waited < grace && processAlive(pid); waited += 100) await sleep(100);
    if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  }

  #spawn(binary: string): ChildProcess {
    const out = openSync(this.paths.log, 'a');
    try {
      const child = spawn(binary, ['--config', this.paths.config], { stdio: ['ignore', out, out] });
      if (child.pid) writeFileSync(this.paths.pidFile, `${child.pid}\n`);
      return child;
    } finally {
      closeSync(out);
    }
  }

  async #supervise(binary: string, signal: AbortSignal, ready: () => void, failed: (err: unknown) => void): Promise<void> {
    let crashes = 0;
    let first = true;
    while (!signal.aborted) {
      const child = this.#spawn(binary);
      this.#child = child;
      const exited = new Promise<string>((resolve) => {
        child.once('exit', (code, sig) => resolve(sig ? `signal ${sig}` : `exit code ${code}`));
        child.once('error', (err) => resolve(err.message));
      });
      const startedAt = Date.now();
      // Ready, or dead before it got there.
      const attempt = new AbortController();
      const outcome = await Promise.race([
        this.waitReady(AbortSignal.any([signal, attempt.signal])).then(
          () => 'ready' as const,
          (err: unknown) => err,
        ),
        exited.then((how) => new ContainerdStartError(`containerd exited (${how}) before it answered; see ${this.paths.log}`)),
      ]);
      attempt.abort();
      if (outcome === 'ready') {
        this.#log(`containerd ${child.pid} is ready on ${this.paths.socket}`);
        if (first) ready();
        first = false;
      } else if (first) {
        await this.#terminate(child, exited);
        this.#child = undefined;
        rmSync(this.paths.pidFile, { force: true });
        failed(signal.aborted ? signal.reason : outcome);
        return;
      } else if (!signal.aborted) {
        this.#log(`containerd ${child.pid} did not become ready: ${String(outcome)}`);
      }
      const how = await Promise.race([exited, whenAborted(signal)]);
      if (how === undefined || signal.aborted) {
        await this.#terminate(child, exited);
        break;
      }
      // Died: start again, sooner if it had been up for a while.
      if (Date.now() - startedAt > 60_000) crashes = 0;
      const delay = Math.min((this.options.restartDelayMs ?? 200) * 2 ** crashes, this.options.maxRestartDelayMs ?? 10_000);
      crashes++;
      this.#restarts++;
      this.#log(`containerd ${child.pid} died (${how}); starting it again in ${delay} ms`);
      try {
        await sleep(delay, undefined, { signal });
      } catch {
        break;
      }
    }
    this.#child = undefined;
    rmSync(this.paths.pidFile, { force: true });
    // Aborted before the first start answered: start() rejects (after it resolved, this does nothing).
    failed(signal.reason);
  }

  async #terminate(child: ChildProcess, exited: Promise<string>): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const grace = this.options.stopGraceMs ?? 10_000;
    const timer = setTimeout(() => child.kill('SIGKILL'), grace);
    await exited;
    clearTimeout(timer);
  }
}
