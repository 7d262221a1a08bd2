// A throwaway etcd for tests: /usr/bin/etcd (Debian package etcd-server) on free loopback ports, data in a temp dir.
import { spawn } from 'node:child_process';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const etcdBinary = '/usr/bin/etcd';

export class EtcdNotInstalledError extends Error {
  override name = 'EtcdNotInstalledError';
  constructor(options?: ErrorOptions) {
    super(`${etcdBinary} not found: install it with \`apt-get install -y etcd-server etcd-client\` (CI installs it)`, options);
  }
}

export class EtcdStartError extends Error {
  override name = 'EtcdStartError';
}

export interface TestEtcd {
  /** The client URL, e.g. http://127.0.0.1:40123. */
  endpoint: string;
  stop(): Promise<void>;
}

export interface StartEtcdOptions {
  signal?: AbortSignal;
  /** How often etcd sends progress notifications to idle watchers (etcd's default is 10 minutes). */
  progressNotifyIntervalMs?: number;
  /** Give up waiting for health after this long. */
  startTimeoutMs?: number;
}

/** Starts etcd and resolves once it reports healthy; stop() kills it and removes its data. Aborting the signal stops it too. */
export async function startEtcd(options: StartEtcdOptions = {}): Promise<TestEtcd> {
  try {
    await access(etcdBinary);
  } catch (err) {
    throw new EtcdNotInstalledError({ cause: err });
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      // Another process may take a port between our probe and etcd's bind.
      const portTaken = err instanceof EtcdStartError && err.message.includes('address already in use');
      if (!portTaken || attempt >= 3) throw err;
    }
  }
}

async function startOnce(options: StartEtcdOptions): Promise<TestEtcd> {
  const { signal, progressNotifyIntervalMs = 500, startTimeoutMs = 20_000 } = options;
  signal?.throwIfAborted();
  const clientPort = await freePort();
  let peerPort = await freePort();
  while (peerPort === clientPort) peerPort = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'skiff-etcd-'));
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child = spawn(
    etcdBinary,
    [
      '--name=skiff-test',
      `--data-dir=${join(dataDir, 'data')}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=skiff-test=${peer}`,
      '--initial-cluster-state=new',
      '--logger=zap',
      '--log-outputs=stderr',
      '--log-level=error',
      `--experimental-watch-progress-notify-interval=${progressNotifyIntervalMs}ms`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      signal?.removeEventListener('abort', onAbort);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
    })());
  const onAbort = (): void => void stop();
  signal?.addEventListener('abort', onAbort, { once: true });

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new EtcdStartError(`etcd exited (${child.exitCode ?? child.signalCode}) before it was healthy:\n${stderr}`);
    }
    if (await healthy(client)) return { endpoint: client, stop };
    if (Date.now() > deadline || signal?.aborted) {
      await stop();
      throw new EtcdStartError(`etcd at ${client} was not healthy within ${startTimeoutMs} ms:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function healthy(client: string): Promise<boolean> {
  try {
    const response = await fetch(`${client}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await response.json()) as { health?: string };
    return response.ok && body.health === 'true';
  } catch {
    return false;
  }
}

/** A loopback port that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
