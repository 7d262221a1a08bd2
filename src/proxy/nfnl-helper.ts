// Finds the nfnl-send helper (nfnl-send.c), compiling it into dist/ with the machine's C compiler the first time, or
// when the source is newer, and runs it. Resolves null when it cannot be had — no compiler, an unwritable dist/, a
// big-endian host or SKIFF_NFT_NETLINK=0 — and the nftables mode then writes elements as `nft` text and runs `nft`
// itself (slower, same result).
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { endianness } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const SOURCE = fileURLToPath(new URL('./nfnl-send.c', import.meta.url));
const BINARY = fileURLToPath(new URL('../../dist/nfnl-send', import.meta.url));

let found: Promise<string | null> | undefined;

/** The helper's path, or null (with a process warning saying why). Looked for once per process. */
export function netlinkSender(): Promise<string | null> {
  if (process.env['SKIFF_NFT_NETLINK'] === '0') return Promise.resolve(null);
  return (found ??= find());
}

async function find(): Promise<string | null> {
  if (!littleEndian) {
    process.emitWarning('nftables: map elements are written with nft (the netlink encoder writes little-endian only)');
    return null;
  }
  const [source, binary] = await Promise.all([stat(SOURCE).catch(() => undefined), stat(BINARY).catch(() => undefined)]);
  if (binary && (!source || binary.mtimeMs >= source.mtimeMs)) return BINARY;
  let why = `${SOURCE} is missing`;
  if (source) {
    try {
      await compile(SOURCE, BINARY);
      return BINARY;
    } catch (err) {
      why = `cannot compile ${SOURCE}: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  process.emitWarning(`nftables: ${why}; map elements are written with nft instead (slower; a C compiler helps: apt-get install tcc)`);
  return null;
}

/** The compilers tried, in order: $CC alone when set, else cc, gcc and tcc (the smallest Debian has). */
export function compilers(env: NodeJS.ProcessEnv = process.env): string[] {
  return env['CC'] ? [env['CC']] : ['cc', 'gcc', 'tcc'];
}

/** Compiles the helper to `out` (written beside it first and renamed, so a running proxy never sees half a file). */
export async function compile(source: string, out: string): Promise<void> {
  await mkdir(dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    for (const cc of compilers()) {
      try {
        await promisify(execFile)(cc, ['-O2', '-o', tmp, source]);
      } catch (err) {
        // A compiler that is not there: the next one. One that failed: that is the answer.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      await rename(tmp, out);
      return;
    }
    throw new Error(`no C compiler is installed (looked for ${compilers().join(', ')})`);
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * One running helper (in a network namespace, when given one), started on first use and kept: forking the proxy's
 * process for every sync costs ~10 ms once its heap is large. Batches go one at a time; each resolves with the
 * kernel's answers ("SEQ ERRNO MESSAGE" lines). The helper holds no reference on the event loop while idle, and
 * exits when this process does (its stdin closes).
 */
export class NetlinkSender {
  #child: ChildProcessWithoutNullStreams | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #pending = 0;

  constructor(
    readonly path: string,
    readonly netns: string | undefined,
  ) {}

  /** Sends a batch; resolves with the kernel's answers. */
  send(batch: Buffer): Promise<string> {
    return this.#enqueue(() => this.#request(batch.length, batch, parseAcks));
  }

  /**
   * Runs `nft -f -` (`-t`: terse) with `script` on its stdin from the helper — in the helper's network namespace, with
   * no fork of this process. Resolves with nft's exit code (127: it could not be started) and output.
   */
  nft(script: string, opts: { terse?: boolean } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const body = Buffer.from(`${opts.terse ? 't' : 'f'}${script}`);
    return this.#enqueue(() => this.#request(body.length | NFT_REQUEST, body, parseNftAnswer));
  }

  /** Runs `request` after those before it; at once (its bytes written before this returns) when none is pending. */
  #enqueue<T>(request: () => Promise<T>): Promise<T> {
    const run = this.#pending === 0 ? request() : this.#queue.then(request);
    this.#pending++;
    this.#queue = run.then(
      () => void this.#pending--,
      () => void this.#pending--,
    );
    return run;
  }

  /** Ends the helper (it exits at the end of its input). */
  close(): void {
    this.#child?.stdin.end();
    this.#child = undefined;
  }

  /** Writes one request (its length word, then its body) and resolves with the answer `parse` finds in the output. */
  #request<T>(lengthWord: number, body: Buffer, parse: (out: Buffer) => T | undefined): Promise<T> {
    const child = this.#start();
    return new Promise((resolve, reject) => {
      let out: Buffer = Buffer.alloc(0);
      let stderr = '';
      const finish = () => {
        child.stdout.off('data', onData);
        child.stderr.off('data', onStderr);
        child.off('exit', onExit);
        child.off('error', onError);
        setRef(child, false);
      };
      const onData = (b: Buffer) => {
        out = out.length ? Buffer.concat([out, b]) : b;
        let answer: T | undefined;
        try {
          answer = parse(out);
        } catch (err) {
          finish();
          reject(err as Error);
          return;
        }
        if (answer !== undefined) {
          finish();
          resolve(answer);
        }
      };
      const onStderr = (b: Buffer) => {
        stderr = (stderr + b.toString('utf8')).slice(-2000);
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        finish();
        reject(new Error(`nfnl-send exited (${signal ?? `code ${code}`})${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
      };
      const onError = (err: Error) => {
        finish();
        reject(new Error(`nfnl-send: ${err.message}`));
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onStderr);
      child.on('exit', onExit);
      child.on('error', onError);
      setRef(child, true);
      const length = Buffer.alloc(4);
      length.writeUInt32LE(lengthWord >>> 0);
      child.stdin.write(length);
      child.stdin.write(body);
    });
  }

  /** Starts the helper now if it is not running (send starts it otherwise). */
  start(): void {
    this.#start();
  }

  #start(): ChildProcessWithoutNullStreams {
    if (this.#child && this.#child.exitCode === null && this.#child.signalCode === null) return this.#child;
    const [file, args] = this.netns ? ['ip', ['netns', 'exec', this.netns, this.path]] : [this.path, []];
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => {}); // a helper that died is reported through 'exit'
    child.on('error', () => {});
    child.on('exit', () => {
      if (this.#child === child) this.#child = undefined;
    });
    this.#child = child;
    setRef(child, false);
    return child;
  }
}

const littleEndian = endianness() === 'LE';
/** The length word's top bit: the request is a script for nft, not a batch (nfnl-send.c). */
const NFT_REQUEST = 0x80000000;

/** A batch's answer: the "SEQ ERRNO MESSAGE" lines before "end". */
function parseAcks(out: Buffer): string | undefined {
  const text = out.toString('utf8');
  return text === 'end\n' || text.endsWith('\nend\n') ? text.slice(0, -4) : undefined;
}

/** An nft request's answer: "nft STATUS OUTLEN ERRLEN", nft's stdout and stderr, "end". */
export function parseNftAnswer(out: Buffer): { code: number; stdout: string; stderr: string } | undefined {
  const eol = out.indexOf(10);
  if (eol < 0) return undefined;
  const m = /^nft (\d+) (\d+) (\d+)$/.exec(out.subarray(0, eol).toString('latin1'));
  if (!m) throw new Error(`nfnl-send: unexpected answer ${JSON.stringify(out.subarray(0, eol).toString('utf8').slice(0, 100))}`);
  const [code, outLength, errLength] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const start = eol + 1;
  if (out.length < start + outLength + errLength + 4) return undefined;
  return {
    code,
    stdout: out.subarray(start, start + outLength).toString('utf8'),
    stderr: out.subarray(start + outLength, start + outLength + errLength).toString('utf8'),
  };
}

/** Whether the helper keeps this process alive: only while a batch is in flight. */
function setRef(child: ChildProcessWithoutNullStreams, on: boolean): void {
  for (const handle of [child, child.stdin, child.stdout, child.stderr] as { ref(): void; unref(): void }[]) {
    if (on) handle.ref();
    else handle.unref();
  }
}
