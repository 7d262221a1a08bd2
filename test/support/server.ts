// Starts `skiff server` for end-to-end tests and talks HTTPS to it with the admin client certificate.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { Agent, request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml } from 'yaml';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export type Datastore = 'sqlite' | 'etcd';
/** `tsx` runs src/cli/main.ts straight from source (fast); `bin` runs bin/skiff as a user would. */
export type Launcher = 'tsx' | 'bin';

export interface StartOptions {
  datastore: Datastore;
  signal?: AbortSignal;
  extraArgs?: string[];
  /** Defaults to $SKIFF_E2E_LAUNCHER, else `tsx`. */
  launcher?: Launcher;
  /** The skiff subcommand that serves (default `server`; `up` takes the same flags). */
  command?: string;
  /** Run this TypeScript/JavaScript entry instead of src/cli/main.ts (harness self-tests use a fake server). */
  entry?: string;
  readyTimeoutMs?: number;
}

export interface SkiffServer {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly kubeconfig: string;
  readonly datastoreEndpoint: string | undefined;
  /** The child process currently running (changes on restart). */
  readonly process: ChildProcess;
  /** Recent stdout and stderr of the server, for failure messages. */
  output(): string;
  /** SIGTERM, wait for a clean exit (code 0), then remove the data dir and any etcd. Rejects if the exit was not clean. */
  stop(): Promise<void>;
  kill(signal: NodeJS.Signals): void;
  /** Waits for the current process to end (sending SIGTERM if it still runs), then starts again on the same data dir and port. */
  restart(options?: { extraArgs?: string[] }): Promise<void>;
}

export class ServerStartError extends Error {
  override name = 'ServerStartError';
}
export class ServerStopError extends Error {
  override name = 'ServerStopError';
}
export class RequestTimeoutError extends Error {
  override name = 'RequestTimeoutError';
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // If the test process dies, take its servers down with it.
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  live.add(child);
  child.on('exit', () => live.delete(child));
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  server: string;
}

function fileOrData(base: string, data: unknown, path: unknown): Buffer | undefined {
  if (typeof data === 'string') return Buffer.from(data, 'base64');
  if (typeof path === 'string') return readFileSync(resolve(base, path));
  return undefined;
}

/** The CA, client certificate and key of a kubeconfig's current context (inline data or file paths). */
export function readKubeconfig(path: string): TlsMaterial {
  const doc = parseYaml(readFileSync(path, 'utf8')) as any;
  const base = dirname(path);
  const contextName = doc?.['current-context'];
  const context = (doc?.contexts ?? []).find((c: any) => c?.name === contextName)?.context ?? doc?.contexts?.[0]?.context;
  const cluster = (doc?.clusters ?? []).find((c: any) => c?.name === context?.cluster)?.cluster ?? doc?.clusters?.[0]?.cluster;
  const user = (doc?.users ?? []).find((u: any) => u?.name === context?.user)?.user ?? doc?.users?.[0]?.user;
  const ca = fileOrData(base, cluster?.['certificate-authority-data'], cluster?.['certificate-authority']);
  const cert = fileOrData(base, user?.['client-certificate-data'], user?.['client-certificate']);
  const key = fileOrData(base, user?.['client-key-data'], user?.['client-key']);
  if (!ca || !cert || !key || typeof cluster?.server !== 'string') throw new ServerStartError(`${path} lacks a server, CA, client certificate or key`);
  return { ca, cert, key, server: cluster.server };
}

class ProcessOutput {
  #text = '';
  append(chunk: string): void {
    this.#text += chunk;
    if (this.#text.length > 256_000) this.#text = this.#text.slice(-200_000);
  }
  toString(): string {
    return this.#text;
  }
}

function launch(launcher: Launcher, entry: string | undefined, args: string[]): ChildProcess {
  if (launcher === 'bin' && !entry) {
    return spawn(join(repoRoot, 'bin', 'skiff'), args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  }
  const script = entry ?? join(repoRoot, 'src', 'cli', 'main.ts');
  // The same V8 setting bin/skiff runs the server with.
  return spawn(process.execPath, ['--max-semi-space-size=64', '--import', 'tsx', script, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
}

async function exitWithin(child: ChildProcess, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((done) => (timer = setTimeout(() => done(undefined), ms)));
  try {
    return await Promise.race([exitOf(child), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function startSkiffServer(options: StartOptions): Promise<SkiffServer> {
  const launcher = options.launcher ?? (process.env['SKIFF_E2E_LAUNCHER'] === 'bin' ? 'bin' : 'tsx');
  const dataDir = await mkdtemp(join(tmpdir(), 'skiff-e2e-'));
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const kubeconfig = join(dataDir, 'admin.conf');
  const output = new ProcessOutput();
  let etcd: { endpoint: string; stop(): Promise<void> } | undefined;
  let datastoreEndpoint: string | undefined;
  let extraArgs = options.extraArgs ?? [];
  let child: ChildProcess | undefined;
  let stopped = false;

  const cleanup = async () => {
    stopped = true;
    options.signal?.removeEventListener('abort', onAbort);
    try {
      await etcd?.stop();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  };
  const onAbort = () => {
    child?.kill('SIGKILL');
    void cleanup().catch(() => {});
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const spawnOnce = async () => {
    const args = [options.command ?? 'server', '--data-dir', dataDir, '--secure-port', String(port), '--bind-address', '127.0.0.1'];
    if (datastoreEndpoint) args.push('--datastore-endpoint', datastoreEndpoint);
    args.push(...extraArgs);
    output.append(`$ skiff ${args.join(' ')}\n`);
    const current = launch(launcher, options.entry, args);
    track(current);
    child = current;
    current.stdout?.setEncoding('utf8').on('data', (c: string) => output.append(c));
    current.stderr?.setEncoding('utf8').on('data', (c: string) => output.append(c));
    await waitUntilReady(current);
  };

  const waitUntilReady = async (current: ChildProcess) => {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
    let exited = false;
    current.once('exit', () => (exited = true));
    let lastProblem = 'admin.conf not written yet';
    for (let attempt = 0; Date.now() < deadline && attempt < 5_000; attempt++) {
      if (exited) throw new ServerStartError(`skiff server exited before it was ready (code ${current.exitCode}, signal ${current.signalCode})\n${output}`);
      if (options.signal?.aborted) throw new ServerStartError('aborted while waiting for skiff server');
      if (existsSync(kubeconfig)) {
        try {
          const response = await request(server, { path: '/readyz', timeoutMs: 5_000 });
          if (response.status === 200 && response.body.trim() === 'ok') return;
          lastProblem = `/readyz answered ${response.status}: ${response.body.slice(0, 200)}`;
        } catch (error) {
          lastProblem = String(error);
          // admin.conf may have been half written, or rewritten with new certificates: read it again next time.
          dropConnection(server);
        }
      }
      await sleep(100);
    }
    current.kill('SIGKILL');
    throw new ServerStartError(`skiff server did not become ready: ${lastProblem}\n${output}`);
  };

  const server: SkiffServer & { agent?: Agent; tls?: TlsMaterial } = {
    url,
    port,
    dataDir,
    kubeconfig,
    get datastoreEndpoint() {
      return datastoreEndpoint;
    },
    get process() {
      if (!child) throw new ServerStartError('skiff server not started');
      return child;
    },
    output: () => output.toString(),
    kill(signal) {
      child?.kill(signal);
    },
    async restart(restartOptions) {
      if (child) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exitOf(child);
      }
      dropConnection(server);
      if (restartOptions?.extraArgs) extraArgs = restartOptions.extraArgs;
      await spawnOnce();
    },
    async stop() {
      if (stopped) return;
      const current = child;
      let problem: string | undefined;
      try {
        if (current && current.exitCode === null && current.signalCode === null) {
          current.kill('SIGTERM');
          const result = await exitWithin(current, 20_000);
          if (!result) {
            current.kill('SIGKILL');
            await exitOf(current);
            problem = 'skiff server did not exit within 20 s of SIGTERM';
          } else if (result.code !== 0) {
            problem = `skiff server exited with code ${result.code}, signal ${result.signal} on SIGTERM`;
          }
        }
      } finally {
        dropConnection(server);
        await cleanup();
      }
      if (problem) throw new ServerStopError(`${problem}\n${output}`);
    },
  };

  try {
    if (options.datastore === 'etcd') {
      const { startEtcd } = await import('./etcd.ts');
      etcd = await startEtcd(options.signal ? { signal: options.signal } : {});
      datastoreEndpoint = `etcd://${etcd.endpoint.replace(/^[a-z]+:\/\//, '')}`;
    }
    await spawnOnce();
  } catch (error) {
    child?.kill('SIGKILL');
    await cleanup().catch(() => {});
    throw error;
  }
  return server;
}

// ---------------------------------------------------------------------------------------------------
// HTTPS client

export interface RequestOptions {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** Strings and Buffers are sent as they are; anything else as JSON (Content-Type application/json unless given). */
  body?: unknown;
  timeoutMs?: number;
}

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  raw: Buffer;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

type Connected = SkiffServer & { agent?: Agent; tls?: TlsMaterial };

function connection(server: SkiffServer): { agent: Agent; tls: TlsMaterial } {
  const s = server as Connected;
  if (!s.agent || !s.tls) {
    s.tls = readKubeconfig(server.kubeconfig);
    s.agent = new Agent({ keepAlive: true, maxSockets: 32, ca: s.tls.ca, cert: s.tls.cert, key: s.tls.key });
  }
  return { agent: s.agent, tls: s.tls };
}

function dropConnection(server: SkiffServer): void {
  const s = server as Connected;
  s.agent?.destroy();
  delete s.agent;
  delete s.tls;
}

function send(server: SkiffServer, options: RequestOptions, agent: Agent): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  let body: Buffer | undefined;
  if (options.body !== undefined) {
    if (typeof options.body === 'string' || Buffer.isBuffer(options.body)) body = Buffer.from(options.body as string | Buffer);
    else {
      body = Buffer.from(JSON.stringify(options.body));
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
    }
    headers['Content-Length'] = String(body.length);
  }
  const url = new URL(options.path, server.url);
  return new Promise((resolveResponse, reject) => {
    let answered = false;
    const req = httpsRequest(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: options.method ?? 'GET', headers, agent },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          const raw = Buffer.concat(chunks);
          const text = raw.toString('utf8');
          let json: any;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolveResponse({ status: res.statusCode ?? 0, headers: res.headers, body: text, raw, json });
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new RequestTimeoutError(`${options.method ?? 'GET'} ${options.path} got no complete answer within ${options.timeoutMs ?? 30_000} ms`));
    }, options.timeoutMs ?? 30_000);
    req.on('error', (error) => {
      // A server may answer (e.g. 413) and close before the whole body is written; the answer wins.
      if (answered) return;
      clearTimeout(timer);
      reject(error);
    });
    if (body) req.write(body);
    req.end();
  });
}

/** A request with the admin client certificate of `server`'s admin.conf. */
export function request(server: SkiffServer, options: RequestOptions): Promise<Response> {
  return send(server, options, connection(server).agent);
}

/** A request that trusts the server's CA but presents no client certificate. */
export function anonymousRequest(server: SkiffServer, options: RequestOptions): Promise<Response> {
  const agent = new Agent({ keepAlive: false, ca: connection(server).tls.ca });
  return send(server, options, agent).finally(() => agent.destroy());
}

export interface WatchEvent {
  type: string;
  object: any;
}

export interface WatchResult {
  status: number;
  headers: IncomingHttpHeaders;
  events: WatchEvent[];
  /** True when the server ended the stream; false when we stopped reading (maxEvents or timeout). */
  ended: boolean;
  /** The body when the answer was not a stream of events (e.g. a Status). */
  body: string;
}

/**
 * Opens a watch and collects its events until the server ends the stream, `maxEvents` have arrived,
 * `until` says stop, or `timeoutMs` passes.
 */
export function watchEvents(
  server: SkiffServer,
  path: string,
  options: { maxEvents?: number; timeoutMs?: number; until?: (events: WatchEvent[]) => boolean; signal?: AbortSignal } = {},
): Promise<WatchResult> {
  const { agent } = connection(server);
  const url = new URL(path, server.url);
  return new Promise((resolveWatch, reject) => {
    const events: WatchEvent[] = [];
    let body = '';
    let partial = '';
    let settled = false;
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    const finish = (ended: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      resolveWatch({ status, headers, events, ended, body });
    };
    const onAbort = () => finish(false);
    const req = httpsRequest({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'GET', headers: { Accept: 'application/json' }, agent }, (res) => {
      status = res.statusCode ?? 0;
      headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        partial += chunk;
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.trim()) continue;
          try {
            events.push(JSON.parse(line) as WatchEvent);
          } catch {
            // Not an event stream line; the raw body keeps it.
          }
        }
        if ((options.maxEvents !== undefined && events.length >= options.maxEvents) || options.until?.(events)) finish(false);
      });
      res.on('end', () => {
        if (partial.trim()) {
          try {
            events.push(JSON.parse(partial) as WatchEvent);
          } catch {
            // idem
          }
        }
        finish(true);
      });
      res.on('error', () => finish(false));
    });
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 30_000);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    });
    req.end();
  });
}

/** Polls `check` until it returns a value other than undefined; bounded by attempts and time. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  options: { attempts?: number; intervalMs?: number; timeoutMs?: number } = {},
): Promise<T> {
  const attempts = options.attempts ?? 300;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (let i = 0; i < attempts && Date.now() < deadline; i++) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(options.intervalMs ?? 100);
  }
  throw new Error(`gave up waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`, { cause: lastError });
}
